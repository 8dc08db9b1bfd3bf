//! The one error type of the lab: every failure names what failed and what to do about it.

use std::path::PathBuf;

/// Why an `rlab` operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// rlab mounts file systems, creates network namespaces and starts containers.
    #[error("rlab must run as root (it mounts file systems, creates network namespaces and starts containers); run it as root or with sudo")]
    NotRoot,
    /// The lab name is used in paths, namespace and machine names.
    #[error(
        "invalid lab name {0:?}: use 1-32 characters from a-z, 0-9 and '-', starting with a letter"
    )]
    BadLabName(String),
    /// A program rlab needs is missing and could not be installed.
    #[error(
        "{program} is missing and `apt-get install -y {package}` did not provide it: {detail}"
    )]
    MissingProgram {
        /// The program looked for on PATH.
        program: String,
        /// The Debian package that provides it.
        package: String,
        /// What went wrong while installing it.
        detail: String,
    },
    /// Not enough free disk space.
    #[error("not enough disk space in {path}: {available_mb} MB free, about {needed_mb} MB needed; free some space (or remove /var/cache/rlab to drop the image cache)")]
    NoSpace {
        /// Where space is missing.
        path: PathBuf,
        /// Free space now.
        available_mb: u64,
        /// Space the operation needs.
        needed_mb: u64,
    },
    /// A requested port is taken by another program.
    #[error("port {port} on 127.0.0.1 is in use by another program; choose another --first-port (or omit it and rlab picks free ports)")]
    PortInUse {
        /// The port that was taken.
        port: u16,
    },
    /// No free port was found in the allowed range.
    #[error("no free port on 127.0.0.1 between {from} and 65535 for {needed} hosts; stop other labs or choose a lower --first-port")]
    NoFreePorts {
        /// First port tried.
        from: u16,
        /// Ports still needed.
        needed: usize,
    },
    /// An external command failed.
    #[error("{what} failed: {detail}")]
    Command {
        /// What rlab was doing.
        what: String,
        /// Exit status and the end of the command's error output.
        detail: String,
    },
    /// A file operation on the controller failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The lab has no state: it is not running.
    #[error("lab {lab:?} is not running (no {path}); start it with `rlab --lab {lab} up`")]
    NotRunning {
        /// The lab name.
        lab: String,
        /// The missing state file.
        path: PathBuf,
    },
    /// The state file could not be read.
    #[error("{path}: unreadable lab state ({reason}); run `rlab --lab {lab} down` to clean up")]
    BadState {
        /// The lab name.
        lab: String,
        /// The state file.
        path: PathBuf,
        /// The parse error.
        reason: String,
    },
    /// A host did not come up in time.
    #[error("host {host} of lab {lab:?} did not become ready within {secs} s: {reason}")]
    NotReady {
        /// The lab name.
        lab: String,
        /// The inventory name of the host.
        host: String,
        /// The time waited.
        secs: u64,
        /// The last thing observed.
        reason: String,
    },
    /// `rlab ssh` was given a host that is not in the lab.
    #[error("no host {host:?} in lab {lab:?} (its hosts: {hosts})")]
    UnknownHost {
        /// The lab name.
        lab: String,
        /// The name asked for.
        host: String,
        /// The names that exist.
        hosts: String,
    },
    /// The controller's apt sources name no Debian mirror.
    #[error("no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/ (rlab builds its image from the controller's own mirror); add a `deb http://... bookworm main` source")]
    NoMirror,
    /// A bad argument combination.
    #[error("{0}")]
    Usage(String),
}

/// Result of lab operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps an I/O error with the path it concerns.
pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
