//! The system OpenSSH client pointed at a lab host (lab key, the lab's known_hosts with strict
//! checking, no user config): used by `rlab ssh`, by `up` to wait for boot, and by tests.

use std::process::Command;

use super::state::{HostState, LabState};

/// An `ssh` command for `user` on `host`; append the remote command with `.arg(...)`.
pub fn command(state: &LabState, host: &HostState, user: &str) -> Command {
    let mut cmd = Command::new("ssh");
    cmd.arg("-F")
        .arg("/dev/null")
        .arg("-i")
        .arg(&state.key)
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            state.known_hosts.display()
        ))
        .args([
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=10",
            "-p",
        ])
        .arg(host.port.to_string())
        .arg(format!("{user}@127.0.0.1"));
    cmd
}
