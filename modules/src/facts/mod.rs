//! Fact gathering (`setup`, `gather_facts`): one POSIX script collects the raw answers in one
//! round trip (`script`), and pure parsers turn them into Ansible's facts with Ansible's names,
//! types and formats (`system`, `hardware`, `network`). This file resolves `gather_subset` into
//! collectors, runs the probe and applies `filter`.

pub mod hardware;
pub mod network;
pub mod script;
pub mod system;

use crate::{Command, Host, Map, ModuleError, Value};

/// Collectors of Ansible's `min` subset (always gathered unless `!min`).
pub const MIN: &[&str] = &[
    "apparmor",
    "cmdline",
    "date_time",
    "distribution",
    "dns",
    "env",
    "fips",
    "local",
    "lsb",
    "pkg_mgr",
    "platform",
    "python",
    "selinux",
    "service_mgr",
    "ssh_pub_keys",
    "user",
];
/// Collectors outside `min`, gathered with `all` or by name.
pub const EXTRA: &[&str] = &["hardware", "network", "virtual", "chroot"];

/// Resolves a `gather_subset` list into the collectors to run, or an error naming a bad entry.
pub fn resolve_subset(subset: &[String]) -> Result<Vec<&'static str>, String> {
    let known = |n: &str| MIN.iter().chain(EXTRA).find(|c| **c == n).copied();
    let mut include: Vec<&'static str> = Vec::new();
    let mut exclude: Vec<&'static str> = Vec::new();
    let mut exclude_all = false;
    let mut exclude_min = false;
    let mut positives = 0;
    for raw in subset {
        let entry = raw.trim();
        if entry.is_empty() {
            continue;
        }
        let (neg, name) = match entry.strip_prefix('!') {
            Some(n) => (true, n),
            None => (false, entry),
        };
        match (neg, name) {
            (false, "all") => {
                positives += 1;
                include.extend(MIN.iter().chain(EXTRA));
            }
            (false, "min") => {
                positives += 1;
                include.extend(MIN);
            }
            (true, "all") => exclude_all = true,
            (true, "min") => exclude_min = true,
            // Collectors rplay folds into others, or that Ansible has and this host never needs.
            (
                _,
                "ohai" | "facter" | "caps" | "loadavg" | "systemd" | "iscsi" | "nvme"
                | "fibre_channel" | "devices" | "dmi" | "mounts" | "lvm" | "interfaces",
            ) => {
                positives += usize::from(!neg);
            }
            (_, n) => {
                let c =
                    known(n).ok_or_else(|| {
                        format!(
                        "Bad subset '{n}' given to Ansible. gather_subset options allowed: all, {}",
                        MIN.iter().chain(EXTRA).copied().collect::<Vec<_>>().join(", ")
                    )
                    })?;
                if neg {
                    exclude.push(c);
                } else {
                    positives += 1;
                    include.push(c);
                }
            }
        }
    }
    if positives == 0 && !exclude_all {
        include.extend(MIN.iter().chain(EXTRA));
    }
    if !exclude_min {
        include.extend(MIN);
    }
    if exclude_all {
        include.retain(|c| MIN.contains(c) || subset.iter().any(|s| s == c));
    }
    if exclude_min {
        include.retain(|c| !MIN.contains(c) || subset.iter().any(|s| s == c));
    }
    include.retain(|c| !exclude.contains(c));
    let mut out: Vec<&'static str> = Vec::new();
    for c in MIN.iter().chain(EXTRA) {
        if include.contains(c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// Shell-style pattern match (`*`, `?`, `[...]` kept simple: `*` and `?`).
pub(crate) fn fnmatch(pattern: &str, name: &str) -> bool {
    crate::builtin::apt::glob_match(pattern, name)
}

/// Runs the probe for `collectors` and returns the facts (without the `ansible_` prefix).
pub async fn gather(
    host: &dyn Host,
    collectors: &[&str],
    fact_path: &str,
) -> Result<Map, ModuleError> {
    let probe = script::build(collectors, fact_path);
    let out = host.run(Command::new(probe.script())).await?;
    let s = probe.parse(&out.stdout).map_err(ModuleError::Protocol)?;
    let mut f = Map::new();
    let has = |c: &str| collectors.contains(&c);
    if has("platform") {
        system::platform(&s, &mut f);
    }
    if has("distribution") {
        system::distribution(&s, &mut f);
    }
    if has("lsb") {
        system::lsb(&s, &mut f);
    }
    if has("date_time") {
        system::date_time(&s, &mut f);
    }
    if has("env") {
        system::env(&s, &mut f);
    }
    if has("user") {
        system::user(&s, &mut f);
    }
    if has("dns") {
        system::dns(&s, &mut f);
    }
    if has("pkg_mgr") {
        system::pkg_mgr(&s, &mut f);
    }
    if has("service_mgr") {
        system::service_mgr(&s, &mut f);
    }
    if has("python") {
        system::python(&s, &mut f);
    }
    if has("selinux") {
        system::selinux(&s, &mut f);
    }
    system::small_ones(&s, &mut f);
    if has("local") {
        system::local(&s, &mut f);
    }
    if has("hardware") {
        hardware::cpu(&s, &mut f);
        hardware::memory(&s, &mut f);
        hardware::uptime(&s, &mut f);
        hardware::mounts(&s, &mut f);
        hardware::dmi(&s, &mut f);
    }
    if has("network") {
        network::network_facts(&s, &mut f);
    }
    if has("virtual") {
        system::virtual_facts(&s, &mut f);
    }
    Ok(f)
}

/// Facts with Ansible's `ansible_` prefix (as `setup` returns them), keys sorted, `filter`
/// applied; `local` becomes `ansible_local`.
pub fn prefixed(facts: Map, filter: &[String]) -> Map {
    let mut items: Vec<(String, Value)> = facts
        .into_iter()
        .map(|(k, v)| (format!("ansible_{k}"), v))
        .filter(|(k, _)| {
            filter.is_empty()
                || filter
                    .iter()
                    .any(|p| fnmatch(p, k) || fnmatch(p, k.trim_start_matches("ansible_")))
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(v: &[&str]) -> Vec<&'static str> {
        resolve_subset(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn subsets_like_ansible() {
        assert_eq!(r(&["all"]).len(), MIN.len() + EXTRA.len());
        assert_eq!(r(&[]).len(), MIN.len() + EXTRA.len());
        assert_eq!(r(&["!all"]), MIN.to_vec());
        let net = r(&["network"]);
        assert!(
            net.contains(&"network") && !net.contains(&"hardware") && net.contains(&"distribution")
        );
        assert_eq!(r(&["!all", "!min", "distribution"]), vec!["distribution"]);
        assert!(!r(&["all", "!hardware"]).contains(&"hardware"));
        assert!(resolve_subset(&["bogus".into()]).is_err());
    }

    #[test]
    fn filter_and_prefix() {
        let mut m = Map::new();
        m.insert("distribution".into(), Value::from("Debian"));
        m.insert("distribution_version".into(), Value::from("12"));
        m.insert("kernel".into(), Value::from("6"));
        let p = prefixed(m.clone(), &["ansible_distribution*".into()]);
        assert_eq!(
            p.keys().collect::<Vec<_>>(),
            vec!["ansible_distribution", "ansible_distribution_version"]
        );
        assert_eq!(prefixed(m, &[]).len(), 3);
    }
}
