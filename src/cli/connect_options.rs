//! Turns the connection and privilege flags into the connection layer's run-wide
//! [`ConnectOptions`] (no I/O: prompting for passwords is the binaries' job).

use std::path::PathBuf;
use std::time::Duration;

use crate::connection::spec::ConnectOptions;

use super::{ConnectionArgs, PrivilegeArgs};

/// Connection defaults from the command line and the environment.
pub fn connect_options(conn: &ConnectionArgs, privilege: &PrivilegeArgs) -> ConnectOptions {
    let mut o = ConnectOptions {
        remote_user: conn
            .user
            .clone()
            .or_else(|| std::env::var("ANSIBLE_REMOTE_USER").ok()),
        private_key_file: conn
            .private_key
            .clone()
            .or_else(|| std::env::var("ANSIBLE_PRIVATE_KEY_FILE").ok())
            .map(PathBuf::from),
        ..ConnectOptions::default()
    };
    if let Some(t) = conn.timeout {
        o.timeout = Duration::from_secs(t);
    }
    if let Ok(v) = std::env::var("ANSIBLE_HOST_KEY_CHECKING") {
        o.host_key_checking = !matches!(
            v.to_ascii_lowercase().as_str(),
            "false" | "no" | "0" | "off"
        );
    }
    o.ssh_common_args = conn.ssh_common_args.clone();
    o.ssh_extra_args = conn.ssh_extra_args.clone();
    if let Some(c) = &conn.connection {
        o.transport = c.clone();
    }
    if let Some(m) = &privilege.become_method {
        o.become_method = m.clone();
    }
    if let Some(u) = &privilege.become_user {
        o.become_user = u.clone();
    }
    o
}
