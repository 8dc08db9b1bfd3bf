//! Network namespaces and the processes inside them, seen from the controller: creating and
//! deleting `rlab-LAB-HOST` namespaces, and finding every process that lives in one (the host's
//! container or sshd, and its forwarder), which is how `down` finds what to kill even when the
//! state file is lost.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::Result;
use super::system::run;

/// Directory where `ip netns` keeps named namespaces.
pub const NETNS_DIR: &str = "/run/netns";

/// Path of a named namespace.
pub fn netns_path(name: &str) -> PathBuf {
    Path::new(NETNS_DIR).join(name)
}

/// Creates namespace `name` (replacing a leftover one) with its loopback interface up.
pub fn add(name: &str) -> Result<()> {
    if netns_path(name).exists() {
        del(name);
    }
    run(
        Command::new("ip").args(["netns", "add", name]),
        &format!("creating network namespace {name}"),
    )?;
    run(
        Command::new("ip").args(["-n", name, "link", "set", "lo", "up"]),
        &format!("bringing up lo in {name}"),
    )?;
    Ok(())
}

/// Deletes namespace `name` (what `ip netns del` does: detach the bind mount that keeps it,
/// remove the file); a missing one is fine.
pub fn del(name: &str) {
    let path = netns_path(name);
    if !path.exists() {
        return;
    }
    if let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) {
        // SAFETY: umount2 with a valid C string; failure (not mounted) is harmless here.
        unsafe {
            libc::umount2(c.as_ptr(), libc::MNT_DETACH);
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// Names of existing namespaces starting with `prefix`.
pub fn list(prefix: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(NETNS_DIR) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

/// Pids of live processes whose network namespace is one of `inodes`.
pub fn pids_in(inodes: &HashSet<u64>) -> Vec<u32> {
    if inodes.is_empty() {
        return Vec::new();
    }
    live_pids_where(|pid| {
        std::fs::metadata(format!("/proc/{pid}/ns/net"))
            .map(|m| inodes.contains(&m.ino()))
            .unwrap_or(false)
    })
}

/// Pids of live (not zombie) processes for which `wanted` holds.
fn live_pids_where(wanted: impl Fn(u32) -> bool) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| wanted(*pid) && is_alive(*pid))
        .collect()
}

/// Pids of live processes started for a full host of network namespace `netns` (systemd-nspawn
/// and the shell that restarts it when the host reboots), which live outside the namespace:
/// their command lines hold `network-namespace-path=<netns path>` as a whole word.
pub fn pids_of_host_launchers(netns: &str) -> Vec<u32> {
    let needle = format!("network-namespace-path={}", netns_path(netns).display());
    live_pids_where(|pid| {
        let cmd = cmdline(pid);
        cmd.match_indices(&needle).any(|(i, _)| {
            matches!(
                cmd[i + needle.len()..].chars().next(),
                None | Some(' ') | Some(';')
            )
        })
    })
}

/// Whether `pid` exists and is not a zombie.
pub fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // The state letter follows the command name, which is in parentheses.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next());
            !matches!(state, Some('Z') | Some('X') | None)
        }
        Err(_) => false,
    }
}

/// The command line of `pid`, with arguments separated by spaces.
pub fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|c| *c == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Sends `signal` to `pid`, ignoring a process that is already gone.
pub fn signal(pid: u32, signal: i32) {
    if let Ok(pid) = i32::try_from(pid) {
        if pid > 1 {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }
}

/// Mount points at or below `dir` in the controller's mount namespace, deepest first.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(p.replace("\\040", " ")))
        .filter(|p| p.starts_with(dir))
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_in_its_own_netns() {
        let me = std::process::id();
        assert!(is_alive(me));
        let ino = std::fs::metadata("/proc/self/ns/net").unwrap().ino();
        assert!(pids_in(&HashSet::from([ino])).contains(&me));
        assert!(pids_in(&HashSet::new()).is_empty());
        assert!(!cmdline(me).is_empty());
    }
}
