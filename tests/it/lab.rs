//! Checks of `rlab` itself on real hosts: the shared lab's hosts boot with systemd, firewalld,
//! sudo users and the offline apt repository and without python; the python lab runs Ansible;
//! `down` leaves no process, mount or namespace behind, also after a crash; light hosts work.

use std::collections::HashSet;
use std::process::Command;

use libtest_mimic::{Failed, Trial};

use crate::fixture::{self, Lab};

/// All lab trials.
pub fn trials() -> Vec<Trial> {
    vec![
        on_lab(
            "lab::hosts_have_own_hostnames_and_host_keys",
            hosts_have_own_hostnames_and_host_keys,
        ),
        on_lab("lab::systemd_is_running", systemd_is_running),
        on_lab("lab::firewalld_is_running", firewalld_is_running),
        on_lab(
            "lab::apt_installs_hello_from_local_repo",
            apt_installs_hello_from_local_repo,
        ),
        on_lab(
            "lab::deploy_sudo_needs_no_password",
            deploy_sudo_needs_no_password,
        ),
        on_lab(
            "lab::ops_sudo_needs_its_password",
            ops_sudo_needs_its_password,
        ),
        on_lab(
            "lab::default_image_has_no_python",
            default_image_has_no_python,
        ),
        on_lab(
            "lab::inventory_is_read_by_ansible",
            inventory_is_read_by_ansible,
        ),
        Trial::test("lab::python_lab_runs_ansible_modules", || {
            let lab = fixture::pylab()?;
            python_lab_runs_ansible_modules(lab).map_err(Failed::from)
        }),
        Trial::test("lab::down_leaves_nothing_behind_even_after_a_crash", || {
            down_leaves_nothing_behind_even_after_a_crash().map_err(Failed::from)
        }),
        Trial::test("lab::light_hosts_answer_with_own_hostnames", || {
            light_hosts_answer_with_own_hostnames().map_err(Failed::from)
        }),
        Trial::test("lab::clear_errors_for_bad_use", || {
            clear_errors_for_bad_use().map_err(Failed::from)
        }),
    ]
}

/// A trial on the shared lab; it fails (never skips) when the lab cannot start.
fn on_lab(name: &str, check: fn(&Lab) -> Result<(), String>) -> Trial {
    Trial::test(name, move || {
        let lab = fixture::lab()?;
        check(lab).map_err(Failed::from)
    })
}

fn hosts_have_own_hostnames_and_host_keys(lab: &Lab) -> Result<(), String> {
    if lab.hosts != ["h1", "h2"] {
        return Err(format!("expected hosts h1, h2; got {:?}", lab.hosts));
    }
    let mut keys = HashSet::new();
    for h in &lab.hosts {
        let name = lab.check(h, "hostname")?;
        if name.trim() != h {
            return Err(format!("{h} reports hostname {name:?}"));
        }
        keys.insert(lab.check(h, "cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f2")?);
        let machine_id = lab.check(h, "cat /etc/machine-id")?;
        if machine_id.trim().len() != 32 {
            return Err(format!("{h} has machine-id {machine_id:?}"));
        }
    }
    if keys.len() != 2 {
        return Err("both hosts have the same host key".into());
    }
    let known = std::fs::read_to_string(&lab.known_hosts).map_err(|e| e.to_string())?;
    for p in &lab.ports {
        if !known.contains(&format!("[127.0.0.1]:{p} ssh-ed25519 ")) {
            return Err(format!("known_hosts lacks port {p}:\n{known}"));
        }
    }
    Ok(())
}

fn systemd_is_running(lab: &Lab) -> Result<(), String> {
    for h in &lab.hosts {
        let pid1 = lab.check(h, "cat /proc/1/comm")?;
        if pid1.trim() != "systemd" {
            return Err(format!("PID 1 on {h} is {pid1:?}"));
        }
        let state = lab.ssh(h, "systemctl is-system-running").1;
        if !matches!(state.trim(), "running" | "degraded") {
            return Err(format!("systemctl is-system-running on {h}: {state:?}"));
        }
        lab.check(h, "systemctl is-active ssh dbus")?;
    }
    Ok(())
}

fn firewalld_is_running(lab: &Lab) -> Result<(), String> {
    for h in &lab.hosts {
        let active = lab.check(h, "systemctl is-active firewalld")?;
        let state = lab.check(h, "firewall-cmd --state")?;
        if active.trim() != "active" || state.trim() != "running" {
            return Err(format!("firewalld on {h}: {active:?} / {state:?}"));
        }
    }
    Ok(())
}

fn apt_installs_hello_from_local_repo(lab: &Lab) -> Result<(), String> {
    let h = "h1";
    let sources = lab.check(
        h,
        "cat /etc/apt/sources.list.d/*.list; ls /etc/apt/sources.list 2>/dev/null || true",
    )?;
    if sources.trim() != "deb [trusted=yes] file:/srv/repo ./" {
        return Err(format!(
            "the offline repository is not the only apt source: {sources:?}"
        ));
    }
    lab.check(
        h,
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q hello",
    )?;
    let out = lab.check(h, "hello")?;
    if out.trim() != "Hello, world!" {
        return Err(format!("hello printed {out:?}"));
    }
    let policy = lab.check(h, "apt-cache policy hello tree nginx-light chrony")?;
    if policy.matches("file:/srv/repo").count() < 4 {
        return Err(format!(
            "not every repo package comes from /srv/repo:\n{policy}"
        ));
    }
    // Leave the host as it was for other tests.
    lab.check(
        h,
        "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q hello",
    )?;
    Ok(())
}

fn deploy_sudo_needs_no_password(lab: &Lab) -> Result<(), String> {
    for h in &lab.hosts {
        let o = lab.ssh_as("deploy", h, "id -un; sudo -n id -u", None);
        if o.rc != 0 || o.stdout != "deploy\n0\n" {
            return Err(format!(
                "deploy on {h}: rc {} stdout {:?} stderr {:?}",
                o.rc, o.stdout, o.stderr
            ));
        }
    }
    Ok(())
}

fn ops_sudo_needs_its_password(lab: &Lab) -> Result<(), String> {
    let h = "h2";
    let o = lab.ssh_as("ops", h, "sudo -n -k id -u", None);
    if o.rc == 0 {
        return Err(format!(
            "ops could sudo without a password on {h}: {:?}",
            o.stdout
        ));
    }
    let o = lab.ssh_as("ops", h, "sudo -k -S -p '' id -u", Some("wrong-password\n"));
    if o.rc == 0 {
        return Err("ops could sudo with a wrong password".into());
    }
    let o = lab.ssh_as(
        "ops",
        h,
        "sudo -k -S -p '' id -u",
        Some(&format!("{}\n", fixture::OPS_PASSWORD)),
    );
    if o.rc != 0 || o.stdout.trim() != "0" {
        return Err(format!(
            "ops sudo with its password: rc {} {:?} {:?}",
            o.rc, o.stdout, o.stderr
        ));
    }
    Ok(())
}

fn default_image_has_no_python(lab: &Lab) -> Result<(), String> {
    for h in &lab.hosts {
        let (rc, out, _) = lab.ssh(
            h,
            "command -v python3 python3.11 python python2 /usr/bin/python3 /usr/bin/python3.11 /usr/libexec/platform-python",
        );
        if rc == 0 || !out.trim().is_empty() {
            return Err(format!("python found on {h}: {out:?}"));
        }
    }
    Ok(())
}

fn inventory_is_read_by_ansible(lab: &Lab) -> Result<(), String> {
    let inventory = fixture::oracle_bin("ansible-inventory")?;
    let o = fixture::run_with_input(
        Command::new(inventory)
            .arg("-i")
            .arg(&lab.inventory)
            .arg("--list"),
        None,
    );
    if o.rc != 0 {
        return Err(format!("ansible-inventory failed: {}", o.stderr));
    }
    let v: serde_json::Value = serde_json::from_str(&o.stdout).map_err(|e| e.to_string())?;
    let hosts = &v["lab"]["hosts"];
    if hosts != &serde_json::json!(["h1", "h2"]) {
        return Err(format!("group lab has {hosts}"));
    }
    let h1 = &v["_meta"]["hostvars"]["h1"];
    if h1["ansible_port"] != serde_json::json!(lab.ports[0]) || h1["ansible_host"] != "127.0.0.1" {
        return Err(format!("h1 vars: {h1}"));
    }
    Ok(())
}

fn python_lab_runs_ansible_modules(lab: &Lab) -> Result<(), String> {
    let ansible = fixture::oracle_bin("ansible")?;
    let o = fixture::run_with_input(
        Command::new(ansible)
            .arg("-i")
            .arg(&lab.inventory)
            .args(["lab", "-m", "apt", "-a", "name=tree state=present"])
            .env("ANSIBLE_HOST_KEY_CHECKING", "True"),
        None,
    );
    if o.rc != 0 || o.stdout.matches("CHANGED").count() != 2 {
        return Err(format!(
            "ansible apt on the python lab: rc {}\n{}\n{}",
            o.rc, o.stdout, o.stderr
        ));
    }
    for h in &lab.hosts {
        lab.check(h, "tree --version")?;
    }
    Ok(())
}

/// Everything of a lab visible on the controller: live processes mentioning it, mounts under
/// its directory, its network namespaces, its state directory.
fn leftovers(name: &str) -> Vec<String> {
    let mut found = Vec::new();
    let marker = format!("rlab-{name}-");
    let dir = format!("/var/lib/rlab/{name}");
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let pid = e.file_name().to_string_lossy().into_owned();
            if !pid.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if !zombie && (cmd.contains(&marker) || cmd.contains(&dir)) {
                found.push(format!("process {pid}: {cmd}"));
            }
        }
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    found.extend(
        mounts
            .lines()
            .filter(|l| l.contains(&dir) || l.contains(&marker))
            .map(|l| format!("mount: {l}")),
    );
    if let Ok(entries) = std::fs::read_dir("/run/netns") {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(&marker) {
                found.push(format!("netns {n}"));
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir("/run/systemd/nspawn/propagate") {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(&marker) {
                found.push(format!(
                    "nspawn directory /run/systemd/nspawn/propagate/{n}"
                ));
            }
        }
    }
    if std::path::Path::new(&dir).exists() {
        found.push(format!("directory {dir}"));
    }
    found
}

fn down_leaves_nothing_behind_even_after_a_crash() -> Result<(), String> {
    let name = format!("itx-{}", fixture::lab_tag());
    let lab = fixture::start_lab(&name, 1, &[])?;
    if leftovers(&name).is_empty() {
        return Err(
            "a running lab shows no processes or namespaces: the leftover check is blind".into(),
        );
    }
    lab.check("h1", "systemctl is-active firewalld")?;
    // Simulate a crash: kill the forwarder and lose the state file, then `up` again.
    let paths = rplay::lab::LabPaths::new(&name).map_err(|e| e.to_string())?;
    let state = rplay::lab::LabState::load(&paths).map_err(|e| e.to_string())?;
    if let Some(pid) = state.hosts[0].forwarder_pid {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    std::fs::remove_file(paths.state()).map_err(|e| e.to_string())?;
    let lab = fixture::start_lab(&name, 1, &[])?;
    lab.check("h1", "systemctl is-active firewalld")?;
    fixture::stop_lab(&name)?;
    let left = leftovers(&name);
    if !left.is_empty() {
        return Err(format!("after rlab down:\n{}", left.join("\n")));
    }
    Ok(())
}

fn light_hosts_answer_with_own_hostnames() -> Result<(), String> {
    let name = format!("itl-{}", fixture::lab_tag());
    let lab = fixture::start_lab(&name, 3, &["--light", "--latency", "20"])?;
    for h in &lab.hosts {
        let out = lab.check(h, "hostname; ls /run/sshd >/dev/null && echo ok")?;
        if out != format!("{h}\nok\n") {
            return Err(format!("light host {h} answered {out:?}"));
        }
    }
    lab.check("h1", "echo data > /root/file")?;
    if lab.ssh("h2", "test -e /root/file").0 == 0 {
        return Err("light hosts share their root file system".into());
    }
    fixture::stop_lab(&name)?;
    let left = leftovers(&name);
    if !left.is_empty() {
        return Err(format!(
            "after rlab down of light lab:\n{}",
            left.join("\n")
        ));
    }
    Ok(())
}

fn clear_errors_for_bad_use() -> Result<(), String> {
    let o = fixture::run_with_input(
        Command::new(fixture::rlab()).args(["--lab", "Bad/Name", "status"]),
        None,
    );
    if o.rc == 0 || !o.stderr.contains("invalid lab name") {
        return Err(format!("bad lab name: rc {} {:?}", o.rc, o.stderr));
    }
    let o = fixture::run_with_input(
        Command::new(fixture::rlab()).args(["--lab", "never-started", "inventory"]),
        None,
    );
    if o.rc == 0 || !o.stderr.contains("is not running") {
        return Err(format!(
            "inventory of a stopped lab: rc {} {:?}",
            o.rc, o.stderr
        ));
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = taken.local_addr().map_err(|e| e.to_string())?.port();
    let o = fixture::run_with_input(
        Command::new(fixture::rlab()).args([
            "--lab",
            "itport",
            "up",
            "1",
            "--light",
            "--first-port",
            &port.to_string(),
        ]),
        None,
    );
    if o.rc == 0
        || !o
            .stderr
            .contains(&format!("port {port} on 127.0.0.1 is in use"))
    {
        let _ = fixture::stop_lab(&format!("itp-{}", fixture::lab_tag()));
        return Err(format!("port in use: rc {} {:?}", o.rc, o.stderr));
    }
    Ok(())
}
