//! Errors of the connection layer: bad connection settings (named by host, variable or file:line)
//! and failures to reach a host. [`ConnectError::into_host_error`] maps them onto the modules'
//! [`HostError`], which decides between UNREACHABLE and a failed task.

use std::path::PathBuf;

use rplay_modules::HostError;

/// Everything that can go wrong before or while talking to a host.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A connection variable of a host has a value rplay cannot use.
    #[error("host {host}: {var}: {message}")]
    InvalidVar {
        /// Inventory name of the host.
        host: String,
        /// The variable, e.g. `ansible_port`.
        var: String,
        /// What is wrong with it.
        message: String,
    },
    /// A line of an OpenSSH configuration file cannot be used.
    #[error("{}:{line}:1: {message}", path.display())]
    SshConfig {
        /// The configuration file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// `ansible_ssh_common_args` / `ansible_ssh_extra_args` cannot be parsed.
    #[error("host {host}: {var}: {message}")]
    SshArgs {
        /// Inventory name of the host.
        host: String,
        /// The variable holding the arguments.
        var: String,
        /// What is wrong.
        message: String,
    },
    /// The host cannot be reached; the message uses Ansible's wording
    /// (`Failed to connect to the host via ssh: ...`).
    #[error("{0}")]
    Unreachable(String),
    /// Privilege escalation failed.
    #[error("{0}")]
    Become(String),
    /// Remote I/O failed after the connection was up.
    #[error("{0}")]
    Io(String),
}

impl ConnectError {
    /// The modules' view of this error: connection problems make the host UNREACHABLE, become
    /// problems and I/O errors fail the task, bad settings fail the task with their message.
    pub fn into_host_error(self) -> HostError {
        match self {
            ConnectError::Unreachable(m) => HostError::Unreachable(m),
            ConnectError::Become(m) => HostError::Become(m),
            ConnectError::Io(m) => HostError::Io(m),
            other => HostError::Unreachable(other.to_string()),
        }
    }
}

impl From<ConnectError> for HostError {
    fn from(e: ConnectError) -> Self {
        e.into_host_error()
    }
}

/// Prefix Ansible puts before every SSH connection failure; users grep for it.
pub const VIA_SSH: &str = "Failed to connect to the host via ssh: ";

/// An UNREACHABLE error with Ansible's prefix.
pub(crate) fn unreachable(detail: impl std::fmt::Display) -> ConnectError {
    ConnectError::Unreachable(format!("{VIA_SSH}{detail}"))
}
