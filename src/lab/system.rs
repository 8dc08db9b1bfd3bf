//! The controller side: running commands with useful errors, checking for root, disk space and
//! the programs rlab needs (installing missing ones with apt-get), and file locks.

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};

use super::error::{io_err, Error, Result};

/// Programs rlab runs, with the Debian package that provides each.
const TOOLS: &[(&str, &str)] = &[
    ("debootstrap", "debootstrap"),
    ("systemd-nspawn", "systemd-container"),
    ("nft", "nftables"),
    ("dpkg-scanpackages", "dpkg-dev"),
    ("ssh", "openssh-client"),
    ("ssh-keygen", "openssh-client"),
    ("ip", "iproute2"),
];

/// Runs `cmd`, returning its stdout; a failure names `what` and quotes the end of stderr.
pub fn run(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Command {
            what: what.to_string(),
            detail: format!("cannot start: {e}"),
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
        if text.trim().is_empty() {
            text = String::from_utf8_lossy(&out.stdout).into_owned();
        }
        Err(Error::Command {
            what: what.to_string(),
            detail: format!("{}: {}", out.status, tail(&text, 30)),
        })
    }
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..].join("\n")
}

/// Fails unless running as root.
pub fn ensure_root() -> Result<()> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        Ok(())
    } else {
        Err(Error::NotRoot)
    }
}

/// Whether `program` is on PATH (or in the sbin directories, which root's PATH may lack).
pub fn have_program(program: &str) -> bool {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .any(|dir| Path::new(dir).join(program).is_file());
    found
}

/// Installs with apt-get whatever program in [`TOOLS`] is missing.
pub fn ensure_tools() -> Result<()> {
    ensure_programs(TOOLS)
}

/// Installs with apt-get the package of each `(program, package)` whose program is missing.
pub fn ensure_programs(tools: &[(&str, &str)]) -> Result<()> {
    let mut packages: Vec<&str> = tools
        .iter()
        .filter(|(p, _)| !have_program(p))
        .map(|(_, pkg)| *pkg)
        .collect();
    packages.dedup();
    if packages.is_empty() {
        return Ok(());
    }
    let install = |pkgs: &[&str]| {
        run(
            Command::new("apt-get")
                .args(["install", "-y", "-q"])
                .args(pkgs)
                .env("DEBIAN_FRONTEND", "noninteractive"),
            "apt-get install",
        )
    };
    if install(&packages).is_err() {
        let _ = run(
            Command::new("apt-get").args(["update", "-q"]),
            "apt-get update",
        );
        if let Err(e) = install(&packages) {
            let (program, package) = tools
                .iter()
                .find(|(p, _)| !have_program(p))
                .copied()
                .unwrap_or(("?", "?"));
            return Err(Error::MissingProgram {
                program: program.into(),
                package: package.into(),
                detail: e.to_string(),
            });
        }
    }
    for (program, package) in tools {
        if !have_program(program) {
            return Err(Error::MissingProgram {
                program: (*program).into(),
                package: (*package).into(),
                detail: "the package installed but the program is still not on PATH".into(),
            });
        }
    }
    Ok(())
}

/// Fails with [`Error::NoSpace`] when `path` (or its nearest existing parent) has less than `needed_mb` free.
pub fn ensure_space(path: &Path, needed_mb: u64) -> Result<()> {
    let mut probe = path;
    while !probe.exists() {
        match probe.parent() {
            Some(p) => probe = p,
            None => break,
        }
    }
    let c = std::ffi::CString::new(probe.as_os_str().as_encoded_bytes())
        .map_err(|_| Error::Usage(format!("bad path {}", path.display())))?;
    // SAFETY: statvfs writes into the zeroed struct we pass; `c` is a valid C string.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(Error::Io {
            path: probe.to_path_buf(),
            source: std::io::Error::last_os_error(),
        });
    }
    let available_mb = (st.f_bavail as u64).saturating_mul(st.f_frsize as u64) / (1024 * 1024);
    if available_mb < needed_mb {
        return Err(Error::NoSpace {
            path: probe.to_path_buf(),
            available_mb,
            needed_mb,
        });
    }
    Ok(())
}

/// An exclusive lock on a file, released on drop (or when the process dies).
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Blocks until the lock at `path` is ours.
    pub fn acquire(path: &Path) -> Result<FileLock> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io_err(path))?;
        loop {
            // SAFETY: flock on an fd we own.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(FileLock { _file: file });
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(Error::Io {
                    path: path.to_path_buf(),
                    source: err,
                });
            }
        }
    }
}

/// Removes `dir` and everything below it, deleting its `fanout` subdirectory's entries from
/// several threads (a light lab has hundreds of host directories; unlinks are latency-bound).
pub fn remove_tree(dir: &Path, fanout: &str) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let children: Vec<std::path::PathBuf> = std::fs::read_dir(dir.join(fanout))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    let workers = 8.min(children.len()).max(1);
    std::thread::scope(|scope| {
        for w in 0..workers {
            let children = &children;
            scope.spawn(move || {
                for child in children.iter().skip(w).step_by(workers) {
                    let _ = std::fs::remove_dir_all(child);
                }
            });
        }
    });
    std::fs::remove_dir_all(dir).map_err(io_err(dir))
}

/// Kernel limits raised for many containers under one user (root): every systemd host uses a
/// dozen inotify instances, and the default of 128 per user stops the tenth host from booting
/// ("Failed to allocate manager object: Too many open files").
const KERNEL_MINIMUMS: &[(&str, u64)] = &[
    ("/proc/sys/fs/inotify/max_user_instances", 8192),
    ("/proc/sys/fs/inotify/max_user_watches", 1_048_576),
    ("/proc/sys/user/max_inotify_instances", 8192),
    ("/proc/sys/user/max_inotify_watches", 1_048_576),
];

/// Raises the kernel limits in [`KERNEL_MINIMUMS`] that are lower; returns what it changed.
pub fn raise_kernel_limits() -> Result<Vec<String>> {
    let mut changed = Vec::new();
    for (path, minimum) in KERNEL_MINIMUMS {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let current: u64 = text.trim().parse().unwrap_or(0);
        if current < *minimum {
            std::fs::write(path, minimum.to_string()).map_err(io_err(*path))?;
            changed.push(format!("{path}: {current} -> {minimum}"));
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_space_is_a_clear_error() {
        match ensure_space(Path::new("/tmp/rlab-does-not-exist/below"), u64::MAX / 2) {
            Err(Error::NoSpace { path, .. }) => assert_eq!(path, Path::new("/tmp")),
            other => panic!("expected NoSpace, got {other:?}"),
        }
        assert!(ensure_space(Path::new("/tmp"), 1).is_ok());
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("", 3), "");
    }
}
