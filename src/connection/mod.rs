//! Connections to managed hosts: SSH (russh) and local. Both implement the modules'
//! [`rplay_modules::Host`] trait.
//!
//! # How the engine uses this layer
//!
//! ```text
//! let opts = ConnectOptions { remote_user, host_key_checking, timeout, password, .. };
//! raise_fd_limit()?;                                   // once, at start
//! let pool = Pool::new();                              // once per run
//! // per host (after loading and validation, before the first task on it):
//! let spec = ConnectionSpec::from_vars(&name, &host_vars, &opts)?;   // bad vars: task error
//! // per task:
//! let become = BecomeSpec::resolve(&name, &host_vars, &task_become_keywords, &opts)?;
//! let host: Arc<dyn Host> = pool.host(&spec, become.as_ref()).await?; // Unreachable => UNREACHABLE
//! module.plan(&*host, ..) / module.apply(&*host, ..)
//! // end of run:
//! pool.close_all().await;
//! ```
//!
//! # Design
//!
//! - One SSH connection per host (user@address:port + jump chain) for the whole run, opened by
//!   the first `pool.host()` call, reused by later ones, reopened if it dropped.
//! - One long-lived `/bin/sh` per (host, become setting), in one session channel; `become` runs
//!   the whole shell under sudo/su once, answering the password prompt on stdin. Every request
//!   (run a script, put a file, get a file) is one write and one read: **one round trip**. The
//!   framing (`protocol`) sends only shell text: scripts single-quoted and `eval`ed in a
//!   subshell, stdin and file contents base64 in here-documents with random end markers. The
//!   host writes each response in one burst (stdout, status, stderr, cut at random markers), so
//!   sshd's Nagle algorithm never holds part of it back, and a daemon started by a script
//!   cannot hold the session. A request abandoned midway (task timeout) retires its shell.
//! - Handshakes run at most `DEFAULT_CONNECT_LIMIT` at a time (after the TCP connect, so dead
//!   hosts do not hold turns); jump host connections are shared by every host behind them;
//!   the open-file soft limit is raised when the pool is made.
//! - Files go to a private temp file (umask 077) in the destination directory, in bounded-size
//!   chunks, then mode/owner/group, sync, rename; the temp file is removed on failure. With
//!   become_user, the shell already runs as that user, so nothing is ever world-readable.
//! - Host keys are checked against known_hosts (`known_hosts`), OpenSSH options come from
//!   `ansible_ssh_common_args`/`ansible_ssh_extra_args` and `~/.ssh/config` (`ssh_options`,
//!   `ssh_config`), authentication tries agent, key files, password (`auth`).
//! - Errors: [`ConnectError`] for bad settings and failures; unreachable hosts map to
//!   `HostError::Unreachable` with Ansible's `Failed to connect to the host via ssh: ` prefix.
//!
//! Map: `spec` (what to connect to), `ssh_options`/`ssh_config`/`pattern` (OpenSSH settings),
//! `known_hosts`, `ssh` (transport and handshake), `auth`, `protocol` (framing, pure),
//! `shell` (a running shell), `escalation` (become), `shell_host` (the `Host` impl), `pool`,
//! `local` (`LocalHost`, no become), `fd_limit`.

pub(crate) mod auth;
pub mod error;
pub(crate) mod escalation;
pub mod fd_limit;
pub mod known_hosts;
pub mod local;
pub mod pattern;
pub mod pool;
pub mod protocol;
pub(crate) mod shell;
pub mod shell_host;
pub mod spec;
pub(crate) mod ssh;
pub mod ssh_config;
pub mod ssh_options;

pub use error::ConnectError;
pub use fd_limit::raise_fd_limit;
pub use local::LocalHost;
pub use pool::Pool;
pub use shell_host::ShellHost;
pub use spec::{
    BecomeKeywords, BecomeMethod, BecomeSpec, ConnectOptions, ConnectionSpec, HostKeyPolicy,
    JumpHost, PassphrasePrompt, Transport,
};
