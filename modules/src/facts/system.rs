//! Parsers for the OS-level facts (Ansible's `min` subset plus `virtual`): platform, distribution,
//! lsb, date_time, env, user, dns, pkg_mgr, service_mgr, python, selinux, apparmor, fips,
//! cmdline, ssh host keys, chroot, local facts and virtualization. Pure functions from the probe's
//! sections to Ansible's keys, names, types and formats.

use crate::shell::Sections;
use crate::{Map, Value};

fn text(s: &Sections, name: &str) -> String {
    s.opt(name).map(|x| x.text()).unwrap_or_default()
}

fn put(m: &mut Map, k: &str, v: impl Into<Value>) {
    m.insert(k.to_string(), v.into());
}

/// `KEY="value"` lines (os-release, lsb-release) into pairs, quotes removed.
pub fn parse_shell_vars(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.trim().split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

/// platform: system, kernel, kernel_version, machine, architecture, userspace_bits, nodename,
/// hostname, fqdn, domain, machine_id.
pub fn platform(s: &Sections, out: &mut Map) {
    let lines: Vec<String> = text(s, "uname").lines().map(str::to_string).collect();
    let g = |i: usize| lines.get(i).cloned().unwrap_or_default();
    let machine = g(3);
    put(out, "system", g(0));
    put(out, "kernel", g(1));
    put(out, "kernel_version", g(2));
    put(out, "machine", machine.clone());
    let arch = match machine.as_str() {
        "i386" | "i486" | "i586" | "i686" => "i386".to_string(),
        other => other.to_string(),
    };
    put(out, "architecture", arch);
    put(out, "userspace_architecture", machine.clone());
    put(out, "userspace_bits", g(5));
    let nodename = g(4);
    put(out, "nodename", nodename.clone());
    put(
        out,
        "hostname",
        nodename.split('.').next().unwrap_or_default().to_string(),
    );
    let fqdn = g(6);
    let fqdn = if fqdn.is_empty() {
        nodename.clone()
    } else {
        fqdn
    };
    put(out, "fqdn", fqdn.clone());
    put(
        out,
        "domain",
        fqdn.split_once('.')
            .map(|(_, d)| d.to_string())
            .unwrap_or_default(),
    );
    let mid = text(s, "machine_id").trim().to_string();
    if !mid.is_empty() {
        put(out, "machine_id", mid);
    }
}

/// Maps os-release `ID` to Ansible's distribution name.
fn distribution_name(id: &str, name: &str) -> String {
    match id {
        "debian" => "Debian",
        "ubuntu" => "Ubuntu",
        "raspbian" => "Debian",
        "linuxmint" => "Linux Mint",
        "kali" => "Kali",
        "devuan" => "Devuan",
        "pop" => "Pop!_OS",
        "centos" => "CentOS",
        "rhel" => "RedHat",
        "rocky" => "Rocky",
        "almalinux" => "AlmaLinux",
        "fedora" => "Fedora",
        "ol" => "OracleLinux",
        "amzn" => "Amazon",
        "sles" | "sles_sap" => "SLES",
        "opensuse-leap" => "openSUSE Leap",
        "opensuse-tumbleweed" => "openSUSE Tumbleweed",
        "arch" => "Archlinux",
        "manjaro" => "Manjaro",
        "alpine" => "Alpine",
        "gentoo" => "Gentoo",
        "void" => "Void",
        "nixos" => "NixOS",
        _ => {
            return if name.is_empty() {
                "NA".into()
            } else {
                name.split_whitespace().next().unwrap_or(name).to_string()
            }
        }
    }
    .to_string()
}

/// Ansible's OS family of a distribution.
pub fn os_family(dist: &str) -> &'static str {
    match dist {
        "Debian" | "Ubuntu" | "Linux Mint" | "Kali" | "Devuan" | "Pop!_OS" | "Raspbian"
        | "Neon" | "Parrot" => "Debian",
        "RedHat" | "CentOS" | "Fedora" | "Rocky" | "AlmaLinux" | "OracleLinux" | "Amazon"
        | "Scientific" | "CloudLinux" | "XenServer" | "EulerOS" | "openEuler" => "RedHat",
        "SLES" | "openSUSE Leap" | "openSUSE Tumbleweed" | "SUSE" | "openSUSE" => "Suse",
        "Archlinux" | "Manjaro" => "Archlinux",
        "Alpine" => "Alpine",
        "Gentoo" => "Gentoo",
        "Void" => "Void",
        _ => "NA",
    }
}

/// distribution, distribution_version, _major_version, _minor_version, _release, os_family,
/// distribution_file_*.
pub fn distribution(s: &Sections, out: &mut Map) {
    let os = parse_shell_vars(&text(s, "os_release"));
    let get = |k: &str| {
        os.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let files = text(s, "dist_files");
    let file = |path: &str| -> Option<String> {
        let marker = format!("=={path}\n");
        let start = files.find(&marker)? + marker.len();
        let rest = &files[start..];
        Some(rest.split("\n==").next().unwrap_or(rest).trim().to_string())
    };
    let id = get("ID");
    let dist = distribution_name(&id, &get("NAME"));
    let mut version = get("VERSION_ID");
    let mut release = get("VERSION_CODENAME");
    let mut file_path = "/etc/os-release".to_string();
    let mut variety = dist.clone();
    if dist == "Debian" {
        if let Some(v) = file("/etc/debian_version") {
            if v.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                version = v.lines().next().unwrap_or_default().to_string();
            }
        }
        if release.is_empty() {
            release = get("VERSION")
                .split('(')
                .nth(1)
                .map(|r| r.trim_end_matches(')').to_string())
                .unwrap_or_default();
        }
    } else if os_family(&dist) == "RedHat" {
        if let Some(r) = file("/etc/redhat-release") {
            file_path = "/etc/redhat-release".into();
            variety = "RedHat".into();
            if let Some(v) = r
                .split_whitespace()
                .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
            {
                version = v.to_string();
            }
            if let Some(code) = r.split('(').nth(1) {
                release = code.trim_end_matches(')').trim().to_string();
            }
        }
    } else if dist == "Alpine" {
        if let Some(v) = file("/etc/alpine-release") {
            version = v;
            file_path = "/etc/alpine-release".into();
        }
    } else if dist == "Archlinux" && version.is_empty() {
        version = "NA".into();
    }
    if release.is_empty() {
        release = "NA".into();
    }
    if version.is_empty() {
        version = "NA".into();
    }
    let major = version.split('.').next().unwrap_or("NA").to_string();
    put(out, "distribution", dist.clone());
    put(out, "distribution_version", version.clone());
    put(out, "distribution_major_version", major);
    if let Some(minor) = version.split('.').nth(1) {
        put(out, "distribution_minor_version", minor.to_string());
    }
    put(out, "distribution_release", release);
    put(out, "distribution_file_path", file_path);
    put(out, "distribution_file_variety", variety);
    put(out, "distribution_file_parsed", true);
    put(out, "os_family", os_family(&dist));
}

/// lsb: `{codename, description, id, major_release, release}` from lsb_release or /etc/lsb-release.
pub fn lsb(s: &Sections, out: &mut Map) {
    let t = text(s, "lsb");
    let mut m = Map::new();
    for line in t.lines() {
        let (k, v) = match line.split_once(':') {
            Some((k, v)) if !line.contains('=') => (k.trim(), v.trim()),
            _ => match line.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim().trim_matches('"')),
                None => continue,
            },
        };
        let key = match k {
            "Distributor ID" | "DISTRIB_ID" => "id",
            "Description" | "DISTRIB_DESCRIPTION" => "description",
            "Release" | "DISTRIB_RELEASE" => "release",
            "Codename" | "DISTRIB_CODENAME" => "codename",
            _ => continue,
        };
        m.insert(key.into(), Value::from(v));
        if key == "release" {
            m.insert(
                "major_release".into(),
                Value::from(v.split('.').next().unwrap_or(v)),
            );
        }
    }
    put(out, "lsb", Value::Object(m));
}

/// date_time: all strings, as Ansible gives them.
pub fn date_time(s: &Sections, out: &mut Map) {
    let t = text(s, "date");
    let mut lines = t.lines();
    let local: Vec<&str> = lines.next().unwrap_or_default().split('|').collect();
    let utc: Vec<&str> = lines.next().unwrap_or_default().split('|').collect();
    if local.len() < 18 || utc.len() < 6 {
        return;
    }
    let micro = &local[17].get(..6).unwrap_or("000000");
    let mut m = Map::new();
    let mut p = |k: &str, v: String| {
        m.insert(k.into(), Value::from(v));
    };
    p("year", local[0].into());
    p("month", local[1].into());
    p("weekday", local[9].into());
    p(
        "weekday_number",
        if local[16] == "7" {
            "0".into()
        } else {
            local[16].into()
        },
    );
    p("weeknumber", local[15].into());
    p("day", local[2].into());
    p("hour", local[3].into());
    p("minute", local[4].into());
    p("second", local[5].into());
    p("epoch", local[6].into());
    p("epoch_int", local[6].into());
    p("date", format!("{}-{}-{}", local[0], local[1], local[2]));
    p("time", format!("{}:{}:{}", local[3], local[4], local[5]));
    p(
        "iso8601_micro",
        format!(
            "{}-{}-{}T{}:{}:{}.{}Z",
            utc[0], utc[1], utc[2], utc[3], utc[4], utc[5], micro
        ),
    );
    p(
        "iso8601",
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            utc[0], utc[1], utc[2], utc[3], utc[4], utc[5]
        ),
    );
    p(
        "iso8601_basic",
        format!(
            "{}{}{}T{}{}{}{}",
            local[0], local[1], local[2], local[3], local[4], local[5], micro
        ),
    );
    p(
        "iso8601_basic_short",
        format!(
            "{}{}{}T{}{}{}",
            local[0], local[1], local[2], local[3], local[4], local[5]
        ),
    );
    p("tz", local[7].into());
    p("tz_dst", local[7].into());
    p("tz_offset", local[8].into());
    // Ansible's order of keys is alphabetical in its JSON output; order does not matter to users.
    let weekday_number = m.get("weekday_number").cloned();
    if let Some(w) = weekday_number {
        m.insert("weekday_number".into(), w);
    }
    put(out, "date_time", Value::Object(m));
}

/// env: the remote environment of the login session.
pub fn env(s: &Sections, out: &mut Map) {
    let mut m = Map::new();
    let mut last: Option<String> = None;
    for line in text(s, "env").lines() {
        match line.split_once('=') {
            Some((k, v))
                if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                m.insert(k.to_string(), Value::from(v));
                last = Some(k.to_string());
            }
            _ => {
                // A continuation line of a value holding newlines.
                if let Some(k) = &last {
                    if let Some(Value::String(v)) = m.get_mut(k) {
                        v.push('\n');
                        v.push_str(line);
                    }
                }
            }
        }
    }
    put(out, "env", Value::Object(m));
}

/// user_id, user_uid, user_gid, user_gecos, user_dir, user_shell, real_user_id, real_group_id,
/// effective_user_id, effective_group_id.
pub fn user(s: &Sections, out: &mut Map) {
    let t = text(s, "user");
    let l: Vec<&str> = t.lines().collect();
    let g = |i: usize| l.get(i).copied().unwrap_or_default();
    let num = |v: &str| {
        v.trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::Null)
    };
    put(out, "user_id", g(0));
    put(out, "user_uid", num(g(1)));
    put(out, "user_gid", num(g(2)));
    let pw: Vec<&str> = g(3).split(':').collect();
    put(out, "user_gecos", pw.first().copied().unwrap_or_default());
    put(out, "user_dir", pw.get(1).copied().unwrap_or_default());
    put(out, "user_shell", pw.get(2).copied().unwrap_or_default());
    put(out, "real_user_id", num(g(4)));
    put(out, "effective_user_id", num(g(1)));
    put(out, "real_group_id", num(g(5)));
    put(out, "effective_group_id", num(g(2)));
}

/// dns: nameservers, search, domain, options, sortlist.
pub fn dns(s: &Sections, out: &mut Map) {
    let mut m = Map::new();
    let mut ns = Vec::new();
    for line in text(s, "resolv").lines() {
        let line = line.split(['#', ';']).next().unwrap_or_default();
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first() {
            Some(&"nameserver") if words.len() > 1 => ns.push(Value::from(words[1])),
            Some(&"domain") if words.len() > 1 => {
                m.insert("domain".into(), Value::from(words[1]));
            }
            Some(&"search") => {
                m.insert(
                    "search".into(),
                    Value::Array(words[1..].iter().map(|w| Value::from(*w)).collect()),
                );
            }
            Some(&"sortlist") => {
                m.insert(
                    "sortlist".into(),
                    Value::Array(words[1..].iter().map(|w| Value::from(*w)).collect()),
                );
            }
            Some(&"options") => {
                let mut o = Map::new();
                for w in &words[1..] {
                    match w.split_once(':') {
                        Some((k, v)) => o.insert(k.to_string(), Value::from(v)),
                        None => o.insert(w.to_string(), Value::Bool(true)),
                    };
                }
                m.insert("options".into(), Value::Object(o));
            }
            _ => {}
        }
    }
    if !ns.is_empty() {
        m.insert("nameservers".into(), Value::Array(ns));
    }
    put(out, "dns", Value::Object(m));
}

/// pkg_mgr.
pub fn pkg_mgr(s: &Sections, out: &mut Map) {
    let t = text(s, "pkg_mgr");
    let v = match t.trim() {
        "apt-get" => "apt",
        "emerge" => "portage",
        "pkg" => "pkgng",
        "" => "unknown",
        other => other,
    };
    put(out, "pkg_mgr", v.to_string());
}

/// service_mgr.
pub fn service_mgr(s: &Sections, out: &mut Map) {
    let t = text(s, "service_mgr");
    let lines: Vec<&str> = t.lines().map(str::trim).collect();
    let comm = lines.first().copied().unwrap_or_default();
    let v = if lines.contains(&"systemd-running") || comm == "systemd" {
        "systemd"
    } else if lines.contains(&"openrc") || comm == "openrc-init" {
        "openrc"
    } else if comm == "runit" || comm == "runit-init" {
        "runit"
    } else if lines.contains(&"initd") || comm == "init" {
        "sysvinit"
    } else {
        "service"
    };
    put(out, "service_mgr", v);
}

/// python and python_version, only when the host has a Python.
pub fn python(s: &Sections, out: &mut Map) {
    let t = text(s, "python");
    let l: Vec<&str> = t.lines().collect();
    let (Some(exe), Some(ver)) = (l.first(), l.get(1)) else {
        return;
    };
    let parts: Vec<&str> = ver.split_whitespace().collect();
    if parts.len() < 5 {
        return;
    }
    let n = |i: usize| {
        parts[i]
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::Null)
    };
    let mut v = Map::new();
    v.insert("major".into(), n(0));
    v.insert("minor".into(), n(1));
    v.insert("micro".into(), n(2));
    v.insert("releaselevel".into(), Value::from(parts[3]));
    v.insert("serial".into(), n(4));
    let mut p = Map::new();
    p.insert("executable".into(), Value::from(*exe));
    p.insert("has_sslcontext".into(), Value::Bool(true));
    p.insert("type".into(), Value::from("cpython"));
    p.insert("version".into(), Value::Object(v));
    p.insert(
        "version_info".into(),
        Value::Array(vec![n(0), n(1), n(2), Value::from(parts[3]), n(4)]),
    );
    put(out, "python", Value::Object(p));
    put(
        out,
        "python_version",
        format!("{}.{}.{}", parts[0], parts[1], parts[2]),
    );
}

/// selinux: `{status: disabled}` unless the host runs SELinux.
pub fn selinux(s: &Sections, out: &mut Map) {
    let t = text(s, "selinux");
    let l: Vec<&str> = t.lines().collect();
    let mut m = Map::new();
    match l.first().map(|x| x.trim().to_ascii_lowercase()) {
        Some(mode) if mode == "enforcing" || mode == "permissive" => {
            m.insert("status".into(), Value::from("enabled"));
            m.insert("mode".into(), Value::from(mode));
            m.insert(
                "type".into(),
                Value::from(l.get(1).copied().unwrap_or("unknown")),
            );
            m.insert(
                "config_mode".into(),
                Value::from(l.get(2).copied().unwrap_or("unknown")),
            );
            if let Some(p) = l.get(3).and_then(|v| v.trim().parse::<i64>().ok()) {
                m.insert("policyvers".into(), Value::from(p));
            }
        }
        _ => {
            m.insert("status".into(), Value::from("disabled"));
        }
    }
    put(out, "selinux", Value::Object(m));
    put(out, "selinux_python_present", false);
}

/// apparmor, fips, cmdline/proc_cmdline, ssh host keys, is_chroot.
pub fn small_ones(s: &Sections, out: &mut Map) {
    if s.opt("apparmor").is_some() {
        let on = text(s, "apparmor").trim() == "enabled";
        let mut m = Map::new();
        m.insert(
            "status".into(),
            Value::from(if on { "enabled" } else { "disabled" }),
        );
        put(out, "apparmor", Value::Object(m));
    }
    if s.opt("fips").is_some() {
        put(out, "fips", text(s, "fips").trim() == "1");
    }
    if s.opt("cmdline").is_some() {
        let line = text(s, "cmdline");
        let mut cmd = Map::new();
        let mut proc = Map::new();
        for w in line.split_whitespace() {
            let (k, v) = match w.split_once('=') {
                Some((k, v)) => (k.to_string(), Value::from(v)),
                None => (w.to_string(), Value::Bool(true)),
            };
            cmd.insert(k.clone(), v.clone());
            match proc.get_mut(&k) {
                Some(Value::Array(a)) => a.push(v),
                Some(prev) => {
                    let p = prev.clone();
                    *prev = Value::Array(vec![p, v]);
                }
                None => {
                    proc.insert(k, v);
                }
            }
        }
        put(out, "cmdline", Value::Object(cmd));
        put(out, "proc_cmdline", Value::Object(proc));
    }
    for line in text(s, "ssh_keys").lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 3 {
            continue;
        }
        let file = w[0].rsplit('/').next().unwrap_or_default();
        let kind = file
            .trim_start_matches("ssh_host_")
            .trim_end_matches("_key.pub");
        put(out, &format!("ssh_host_key_{kind}_public"), w[2]);
        put(out, &format!("ssh_host_key_{kind}_public_keytype"), w[1]);
    }
    if s.opt("chroot").is_some() {
        match text(s, "chroot").trim() {
            "yes" => put(out, "is_chroot", true),
            "no" => put(out, "is_chroot", false),
            _ => {}
        }
    }
}

/// local: facts from `fact_path`: executables' JSON output, JSON files, or INI files.
pub fn local(s: &Sections, out: &mut Map) {
    let t = text(s, "local");
    let mut m = Map::new();
    for chunk in t.split("::fact::").skip(1) {
        let (path, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
        let stem = path
            .rsplit('/')
            .next()
            .unwrap_or(path)
            .trim_end_matches(".fact")
            .to_string();
        let body = body.trim();
        let value = match serde_json::from_str::<Value>(body) {
            Ok(v) => v,
            Err(_) => match parse_ini(body) {
                Some(v) => v,
                None => Value::from(format!(
                    "error loading facts as JSON or ini - please check content: {path}"
                )),
            },
        };
        m.insert(stem, value);
    }
    put(out, "local", Value::Object(m));
}

/// INI text into `{section: {key: value}}` (values are strings, as Python's configparser gives).
fn parse_ini(text: &str) -> Option<Value> {
    let mut m = Map::new();
    let mut section: Option<String> = None;
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if let Some(name) = l.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            m.insert(name.to_string(), Value::Object(Map::new()));
            section = Some(name.to_string());
            continue;
        }
        let (k, v) = l.split_once('=').or_else(|| l.split_once(':'))?;
        let sec = section.as_ref()?;
        if let Some(Value::Object(o)) = m.get_mut(sec) {
            o.insert(k.trim().to_lowercase(), Value::from(v.trim()));
        }
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

/// virtualization_type / role / tech_guest / tech_host.
pub fn virtual_facts(s: &Sections, out: &mut Map) {
    let t = text(s, "virtual");
    let lines: Vec<&str> = t.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let find = |p: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(p))
            .map(str::to_string)
    };
    // Ansible looks at /proc/1/environ first (`container=` makes the type "container", or
    // "podman"), then at /run/systemd/container, then at docker/podman marker files.
    let run_container = lines
        .first()
        .filter(|f| !f.contains('=') && !matches!(**f, "dockerenv" | "podman" | "hypervisor"))
        .map(|f| f.to_string());
    let mut tech: Vec<String> = Vec::new();
    let mut kind = String::new();
    if let Some(c) = find("container=") {
        if c == "podman" {
            kind = "podman".into();
            tech.push("podman".into());
        } else {
            kind = "container".into();
            tech.push("container".into());
        }
    }
    if let Some(c) = &run_container {
        tech.push(c.clone());
        if kind.is_empty() {
            kind = c.clone();
        }
    }
    if lines.contains(&"dockerenv") {
        tech.push("docker".into());
        if kind.is_empty() {
            kind = "docker".into();
        }
    }
    if lines.contains(&"podman") && !tech.contains(&"podman".to_string()) {
        tech.push("podman".into());
        if kind.is_empty() {
            kind = "podman".into();
        }
    }
    tech.sort();
    tech.dedup();
    let mut guest: Vec<Value> = tech.into_iter().map(Value::from).collect();
    let (vtype, role) = if !kind.is_empty() {
        (kind, "guest")
    } else {
        let product = find("product=").unwrap_or_default();
        let vendor = find("vendor=").unwrap_or_default();
        let detected = find("detect=").unwrap_or_default();
        let v = if product.contains("KVM")
            || product.contains("Standard PC")
            || vendor.contains("QEMU")
            || detected == "kvm"
        {
            "kvm"
        } else if product.contains("VMware") || detected == "vmware" {
            "VMware"
        } else if product.contains("VirtualBox") || detected == "oracle" {
            "virtualbox"
        } else if vendor.contains("Microsoft") || detected == "microsoft" {
            "VirtualPC"
        } else if vendor.contains("Xen") || detected == "xen" {
            "xen"
        } else if vendor.contains("Amazon EC2") || detected == "amazon" {
            "kvm"
        } else if lines.contains(&"hypervisor") {
            "NA"
        } else {
            ""
        };
        if v.is_empty() {
            ("NA".to_string(), "NA")
        } else {
            guest.push(Value::from(v));
            (v.to_string(), "guest")
        }
    };
    put(out, "virtualization_type", vtype);
    put(out, "virtualization_role", role);
    put(out, "virtualization_tech_guest", Value::Array(guest));
    put(out, "virtualization_tech_host", Value::Array(Vec::new()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::Section;

    fn secs(items: &[(&str, &str)]) -> Sections {
        let mut m = indexmap::IndexMap::new();
        for (k, v) in items {
            m.insert(
                k.to_string(),
                Section {
                    out: v.as_bytes().to_vec(),
                    rc: 0,
                },
            );
        }
        Sections(m)
    }

    #[test]
    fn debian_distribution() {
        let s = secs(&[
            ("os_release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n"),
            ("dist_files", "==/etc/debian_version\n12.11\n"),
        ]);
        let mut m = Map::new();
        distribution(&s, &mut m);
        assert_eq!(m["distribution"], "Debian");
        assert_eq!(m["distribution_version"], "12.11");
        assert_eq!(m["distribution_major_version"], "12");
        assert_eq!(m["distribution_minor_version"], "11");
        assert_eq!(m["distribution_release"], "bookworm");
        assert_eq!(m["os_family"], "Debian");
    }

    #[test]
    fn rocky_and_ubuntu() {
        let s = secs(&[
            (
                "os_release",
                "NAME=\"Rocky Linux\"\nVERSION_ID=\"9.3\"\nID=\"rocky\"\n",
            ),
            (
                "dist_files",
                "==/etc/redhat-release\nRocky Linux release 9.3 (Blue Onyx)\n",
            ),
        ]);
        let mut m = Map::new();
        distribution(&s, &mut m);
        assert_eq!(m["distribution"], "Rocky");
        assert_eq!(m["distribution_version"], "9.3");
        assert_eq!(m["distribution_release"], "Blue Onyx");
        assert_eq!(m["os_family"], "RedHat");
        let s = secs(&[
            (
                "os_release",
                "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\nID=ubuntu\n",
            ),
            ("dist_files", "==/etc/debian_version\nbookworm/sid\n"),
        ]);
        let mut m = Map::new();
        distribution(&s, &mut m);
        assert_eq!(m["distribution_version"], "22.04");
        assert_eq!(m["distribution_release"], "jammy");
    }

    #[test]
    fn platform_user_dns_date() {
        let s = secs(&[
            ("uname", "Linux\n6.1.0-1\n#1 SMP\nx86_64\nh1\n64\nh1.example.com\nh1\n"),
            ("user", "root\n0\n0\nroot:/root:/bin/bash\n0\n0\n"),
            ("resolv", "# c\nnameserver 10.0.0.1\nsearch a.example b.example\noptions ndots:2 rotate\n"),
            ("date", "2026|11|24|09|05|07|1795510000|UTC|+0000|Tuesday|Tue|November|Nov|328|2|48|2|123456789\n2026|11|24|09|05|07\n"),
        ]);
        let mut m = Map::new();
        platform(&s, &mut m);
        user(&s, &mut m);
        dns(&s, &mut m);
        date_time(&s, &mut m);
        assert_eq!(m["fqdn"], "h1.example.com");
        assert_eq!(m["domain"], "example.com");
        assert_eq!(m["hostname"], "h1");
        assert_eq!(m["userspace_bits"], "64");
        assert_eq!(m["user_uid"], 0);
        assert_eq!(m["user_dir"], "/root");
        assert_eq!(m["dns"]["nameservers"][0], "10.0.0.1");
        assert_eq!(m["dns"]["options"]["ndots"], "2");
        assert_eq!(
            m["date_time"]["iso8601_micro"],
            "2026-11-24T09:05:07.123456Z"
        );
        assert_eq!(m["date_time"]["weekday"], "Tuesday");
        assert_eq!(m["date_time"]["epoch"], "1795510000");
    }

    #[test]
    fn local_facts_json_and_ini() {
        let s = secs(&[("local", "::fact::/etc/ansible/facts.d/app.fact\n{\"v\": 1}\n::fact::/etc/ansible/facts.d/ini.fact\n[general]\nName = x\n")]);
        let mut m = Map::new();
        local(&s, &mut m);
        assert_eq!(m["local"]["app"]["v"], 1);
        assert_eq!(m["local"]["ini"]["general"]["name"], "x");
    }

    #[test]
    fn nspawn_is_a_guest() {
        let s = secs(&[(
            "virtual",
            "systemd-nspawn\n\ncontainer=systemd-nspawn\ndetect=systemd-nspawn\n",
        )]);
        let mut m = Map::new();
        virtual_facts(&s, &mut m);
        assert_eq!(m["virtualization_type"], "container");
        assert_eq!(
            m["virtualization_tech_guest"],
            serde_json::json!(["container", "systemd-nspawn"])
        );
        assert_eq!(m["virtualization_role"], "guest");
    }
}
