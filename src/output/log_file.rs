//! The `log_path` file (`[defaults] log_path`, `ANSIBLE_LOG_PATH`): every line the default
//! output shows, also appended as one record in the form Python's logging writes for Ansible:
//! `2026-12-05 08:15:40,079 p=PID u=USER n=ansible INFO| PLAY [web] ***`. The text is exactly the
//! screen's (colour removed), so results hidden by `no_log` stay hidden here too.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// A record's level, as Ansible maps its display colours and calls to logging levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Ordinary lines (ok, changed, banners, recap).
    Info,
    /// Warnings and skipped hosts.
    Warning,
    /// Errors and failed or unreachable hosts.
    Error,
}

impl LogLevel {
    fn name(self) -> &'static str {
        match self {
            LogLevel::Info => "INFO",
            LogLevel::Warning => "WARNING",
            LogLevel::Error => "ERROR",
        }
    }
}

/// An open log file.
pub struct LogFile {
    file: File,
    prefix_tail: String,
}

impl LogFile {
    /// Opens `path` for appending. `Err` carries the warning Ansible prints when it cannot log
    /// (the run goes on without a log).
    pub fn open(path: &Path) -> Result<LogFile, String> {
        if path.is_dir() {
            return Err(format!(
                "DEFAULT_LOG_PATH can not be a directory '{}', aborting",
                path.display()
            ));
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|_| {
                format!(
                    "log file at '{}' is not writeable and we cannot create it, aborting\n",
                    path.display()
                )
            })?;
        Ok(LogFile {
            file,
            prefix_tail: format!("p={} u={} n=ansible", std::process::id(), user_name()),
        })
    }

    /// Appends one record; leading newlines are dropped and an empty text is not logged.
    pub fn record(&mut self, level: LogLevel, text: &str) {
        let text = strip_colour(text);
        let text = text.trim_start_matches('\n');
        if text.is_empty() {
            return;
        }
        let line = format!(
            "{} {} {}| {text}\n",
            local_timestamp(SystemTime::now()),
            self.prefix_tail,
            level.name()
        );
        // A full disk must not stop the run, as with Python's logging.
        let _ = self.file.write_all(line.as_bytes());
    }
}

/// The login name of the effective user, or `uid=N` without a passwd entry (as Ansible).
fn user_name() -> String {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and `buf` outlives the use of `pwd`.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc == 0 && !found.is_null() && !pwd.pw_name.is_null() {
        // SAFETY: getpwuid_r filled `pw_name` with a NUL-terminated string inside `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        return name.to_string_lossy().into_owned();
    }
    format!("uid={uid}")
}

/// `YYYY-MM-DD HH:MM:SS,mmm` in local time, Python logging's `asctime`.
fn local_timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as libc::time_t;
    // SAFETY: `tm` is plain old data and `localtime_r` only writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call.
    unsafe { libc::localtime_r(&secs, &mut tm) };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02},{:03}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        d.subsec_millis()
    )
}

/// The text without ANSI colour sequences.
fn strip_colour(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for n in chars.by_ref() {
                if n.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_pythons_logging_form() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("run.log");
        let mut log = LogFile::open(&path).expect("open");
        log.record(LogLevel::Info, "\n\u{1b}[0;32mPLAY [x] ***\u{1b}[0m");
        log.record(LogLevel::Info, "");
        log.record(LogLevel::Warning, "[WARNING]: w\n");
        let text = std::fs::read_to_string(&path).expect("read");
        let re = regex::Regex::new(
            r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} p=\d+ u=\S+ n=ansible INFO\| PLAY \[x\] \*\*\*\n\d{4}-.* WARNING\| \[WARNING\]: w\n\n$",
        )
        .expect("regex");
        assert!(re.is_match(&text), "{text:?}");
        assert!(LogFile::open(dir.path()).is_err());
    }
}
