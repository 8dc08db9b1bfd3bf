//! The framing spoken with the long-lived remote `/bin/sh` of a host: every request is plain
//! shell text (scripts single-quoted, stdin and file contents base64-encoded in here-documents
//! ended by a random marker), so nothing but the shell itself ever reads the session's input and
//! dash's read-ahead cannot swallow data. Each request prints a begin marker and, when done,
//! an end marker carrying the exit status on stdout and on stderr; [`ResponseReader`] cuts
//! the two streams at those markers. One request = one round trip.

use std::hash::{BuildHasher, Hasher};

use base64::Engine;
use rplay_modules::{Command, FileAttrs, Output};

/// Raw bytes carried by one here-document chunk of a file transfer (base64 makes it 4/3 larger).
pub const CHUNK_BYTES: usize = 768 * 1024;

/// A random token naming one request's markers and here-documents.
#[derive(Debug, Clone)]
pub struct Marker(String);

impl Marker {
    /// A fresh unpredictable marker (128 bits from the process's random hasher keys).
    pub fn new() -> Marker {
        let state = std::collections::hash_map::RandomState::new();
        let mut out = String::with_capacity(32);
        for salt in 0..2u64 {
            let mut h = state.build_hasher();
            h.write_u64(salt);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default(),
            );
            out.push_str(&format!("{:016x}", h.finish()));
        }
        Marker(out)
    }

    /// The token itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn begin(&self) -> String {
        format!("__RPLAY_B_{}__", self.0)
    }

    fn end(&self) -> String {
        format!("__RPLAY_E_{}__", self.0)
    }
}

impl Default for Marker {
    fn default() -> Self {
        Marker::new()
    }
}

/// Quotes `s` as one shell word.
pub fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn valid_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Prints both begin markers.
fn begin_line(m: &Marker) -> String {
    format!("printf %s {b}; printf %s {b} >&2\n", b = m.begin())
}

/// Prints both end markers with the status held in shell expression `status`.
fn end_line(m: &Marker, status: &str) -> String {
    format!(
        "printf '%s %d\\n' {e} \"{status}\"; printf '%s\\n' {e} >&2\n",
        e = m.end()
    )
}

/// Base64 of `data` in 76-column lines, each ended by a newline.
fn base64_lines(data: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::with_capacity(text.len() + text.len() / 76 + 2);
    for chunk in text.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// The request text running `cmd` with `/bin/sh -c` in a subshell (so `exit`, `cd` and `export`
/// in the script do not touch the session's shell).
pub fn run_request(m: &Marker, cmd: &Command) -> Result<String, String> {
    if cmd.script.contains('\0') {
        return Err("the script contains a NUL byte".into());
    }
    let mut prelude = String::new();
    if let Some(cwd) = &cmd.cwd {
        prelude.push_str(&format!("cd -- {} || exit 1; ", quote(cwd)));
    }
    for (k, v) in &cmd.env {
        if !valid_env_name(k) {
            return Err(format!("invalid environment variable name {k:?}"));
        }
        if v.contains('\0') {
            return Err(format!("environment variable {k} contains a NUL byte"));
        }
        prelude.push_str(&format!("export {k}={}; ", quote(v)));
    }
    let body = format!("( {prelude}exec /bin/sh -c {} )", quote(&cmd.script));
    let mut out = begin_line(m);
    match &cmd.stdin {
        Some(bytes) => {
            out.push_str(&format!("base64 -d <<'I{0}' | {body}\n", m.as_str()));
            out.push_str(&base64_lines(bytes));
            out.push_str(&format!("I{}\n", m.as_str()));
        }
        None => out.push_str(&format!("{body} </dev/null\n")),
    }
    out.push_str(&end_line(m, "$?"));
    Ok(out)
}

/// The directory that will hold the temp file for `dest`, as a shell word-safe path.
fn dest_dir(dest: &str) -> String {
    match dest.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => dest[..i].to_string(),
        None => ".".to_string(),
    }
}

/// Starts a file transfer: a private temp file (umask 077) next to `dest`.
pub fn put_begin(m: &Marker, dest: &str) -> String {
    let dir = dest_dir(dest);
    let template = if dir.starts_with('/') || dir.starts_with('.') {
        format!("{dir}/.rplay-tmp-XXXXXXXXXX")
    } else {
        format!("./{dir}/.rplay-tmp-XXXXXXXXXX")
    };
    format!(
        "{}__rp_f=0; __rp_t=$(umask 077 && mktemp {} </dev/null) || __rp_f=1\n",
        begin_line(m),
        quote(&template)
    )
}

/// Appends one chunk of content to the temp file (skipped after a failure).
pub fn put_chunk(m: &Marker, data: &[u8]) -> String {
    format!(
        "[ \"$__rp_f\" = 0 ] && {{ base64 -d >>\"$__rp_t\" || __rp_f=1; }} <<'C{0}'\n{1}C{0}\n",
        m.as_str(),
        base64_lines(data)
    )
}

/// Applies attributes, syncs and renames the temp file onto `dest`, removes it on failure, and
/// reports. Without a mode/owner/group, an existing destination's are kept and a new file gets
/// the default mode (0666 minus the umask), as Ansible's atomic move does.
pub fn put_finish(m: &Marker, dest: &str, attrs: &FileAttrs) -> String {
    let d = quote(dest);
    let mut steps: Vec<String> = Vec::new();
    let keep = "__rp_k=$(stat -c '%a %u:%g' -- ".to_string() + &d + " 2>/dev/null) || __rp_k=";
    let need_existing = attrs.mode.is_none() || (attrs.owner.is_none() && attrs.group.is_none());
    if need_existing {
        steps.push(keep);
    }
    match &attrs.mode {
        Some(mode) => steps.push(format!("chmod {} \"$__rp_t\"", quote(mode))),
        None => steps.push(
            "if [ -n \"$__rp_k\" ]; then chmod \"${__rp_k%% *}\" \"$__rp_t\"; else chmod =rw \"$__rp_t\"; fi"
                .to_string(),
        ),
    }
    match (&attrs.owner, &attrs.group) {
        (Some(o), Some(g)) => {
            steps.push(format!("chown {} \"$__rp_t\"", quote(&format!("{o}:{g}"))))
        }
        (Some(o), None) => steps.push(format!("chown {} \"$__rp_t\"", quote(o))),
        (None, Some(g)) => steps.push(format!("chgrp {} \"$__rp_t\"", quote(g))),
        (None, None) => steps.push(
            "if [ -n \"$__rp_k\" ]; then chown \"${__rp_k#* }\" \"$__rp_t\" 2>/dev/null || :; fi"
                .to_string(),
        ),
    }
    steps.push("{ sync \"$__rp_t\" 2>/dev/null || :; }".to_string());
    steps.push(format!("mv -f -- \"$__rp_t\" {d}"));
    let mut out = String::new();
    out.push_str(&format!(
        "if [ \"$__rp_f\" = 0 ]; then {{ {}; }} </dev/null || __rp_f=1; fi\n",
        steps.join(" && ")
    ));
    out.push_str("[ \"$__rp_f\" = 0 ] || { [ -n \"$__rp_t\" ] && rm -f -- \"$__rp_t\"; }\n");
    out.push_str(&end_line(m, "$__rp_f"));
    out
}

/// Reads a whole file (raw bytes on stdout).
pub fn get_request(m: &Marker, path: &str) -> String {
    format!(
        "{}cat -- {} </dev/null\n{}",
        begin_line(m),
        quote(path),
        end_line(m, "$?")
    )
}

/// Collects one response: drops what precedes the begin markers, stops at the end markers.
#[derive(Debug)]
pub struct ResponseReader {
    begin: Vec<u8>,
    end: Vec<u8>,
    out: Stream,
    err: Stream,
}

#[derive(Debug, Default)]
struct Stream {
    /// Payload between the markers (so far).
    buf: Vec<u8>,
    started: bool,
    done: bool,
    scan_from: usize,
    /// What followed the end marker (the status on stdout).
    trailer: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

impl Stream {
    fn push(&mut self, data: &[u8], begin: &[u8], end: &[u8]) {
        if self.done {
            self.trailer.extend_from_slice(data);
            return;
        }
        self.buf.extend_from_slice(data);
        if !self.started {
            match find(&self.buf, begin, 0) {
                Some(i) => {
                    self.buf.drain(..i + begin.len());
                    self.started = true;
                    self.scan_from = 0;
                }
                None => {
                    // Keep only a tail that could still be the start of the marker.
                    let keep = begin.len().saturating_sub(1);
                    if self.buf.len() > keep {
                        self.buf.drain(..self.buf.len() - keep);
                    }
                    return;
                }
            }
        }
        match find(&self.buf, end, self.scan_from) {
            Some(i) => {
                let tail = self.buf.split_off(i);
                self.trailer.extend_from_slice(&tail[end.len()..]);
                self.done = true;
            }
            None => self.scan_from = self.buf.len().saturating_sub(end.len() - 1),
        }
    }
}

impl ResponseReader {
    /// A reader for the request made with `m`.
    pub fn new(m: &Marker) -> ResponseReader {
        ResponseReader {
            begin: m.begin().into_bytes(),
            end: m.end().into_bytes(),
            out: Stream::default(),
            err: Stream::default(),
        }
    }

    /// Feeds standard output.
    pub fn push_stdout(&mut self, data: &[u8]) {
        self.out.push(data, &self.begin, &self.end);
    }

    /// Feeds standard error.
    pub fn push_stderr(&mut self, data: &[u8]) {
        self.err.push(data, &self.begin, &self.end);
    }

    /// The status printed after the stdout end marker (`" <rc>\n"`), once complete.
    fn rc(&self) -> Option<i32> {
        if !self.out.done {
            return None;
        }
        let nl = self.out.trailer.iter().position(|&b| b == b'\n')?;
        let text = String::from_utf8_lossy(&self.out.trailer[..nl]);
        Some(text.trim().parse::<i32>().unwrap_or(-1))
    }

    /// The finished response, once both streams reached their end markers.
    pub fn finished(&mut self) -> Option<Output> {
        let rc = self.rc()?;
        if !self.err.done {
            return None;
        }
        Some(Output {
            rc,
            stdout: std::mem::take(&mut self.out.buf),
            stderr: std::mem::take(&mut self.err.buf),
        })
    }

    /// Whether any part of the response has arrived yet.
    pub fn started(&self) -> bool {
        self.out.started || self.err.started
    }

    /// Everything received on stderr so far (for error messages when the shell dies).
    pub fn stderr_so_far(&self) -> String {
        String::from_utf8_lossy(&self.err.buf).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a request with the controller's /bin/sh and parses the response: the framing is
    /// pure text, so the local shell checks it exactly as a remote one would.
    fn through_sh(requests: &[String], m: &Marker) -> Output {
        use std::io::Write;
        let mut child = std::process::Command::new("/bin/sh")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        for r in requests {
            stdin.write_all(r.as_bytes()).unwrap();
        }
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let mut rr = ResponseReader::new(m);
        // Feed in small pieces to exercise markers split across reads.
        for piece in out.stdout.chunks(7) {
            rr.push_stdout(piece);
        }
        for piece in out.stderr.chunks(5) {
            rr.push_stderr(piece);
        }
        rr.finished().expect("response complete")
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("abc/d.e"), "abc/d.e");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("a b"), "'a b'");
    }

    #[test]
    fn run_with_stdin_env_cwd_and_exit_code() {
        let m = Marker::new();
        let cmd = Command {
            script: "cat; echo \"$GREETING\" >&2; pwd; exit 3\n".into(),
            stdin: Some(b"in\x00put'\n".to_vec()),
            env: vec![("GREETING".into(), "it's \"here\"".into())],
            cwd: Some("/".into()),
        };
        let out = through_sh(&[run_request(&m, &cmd).unwrap()], &m);
        assert_eq!(out.rc, 3);
        assert_eq!(out.stdout, b"in\x00put'\n/\n");
        assert_eq!(out.stderr, b"it's \"here\"\n");
    }

    #[test]
    fn output_without_newline_and_noise_before_begin() {
        let m = Marker::new();
        let mut req = String::from("echo motd-noise; echo err-noise >&2\n");
        req.push_str(&run_request(&m, &Command::new("printf 'no newline'")).unwrap());
        let out = through_sh(&[req], &m);
        assert_eq!(out.rc, 0);
        assert_eq!(out.stdout, b"no newline");
        assert!(out.stderr.is_empty());
    }

    #[test]
    fn script_syntax_error_does_not_break_framing() {
        let m = Marker::new();
        let out = through_sh(
            &[run_request(&m, &Command::new("echo 'unterminated")).unwrap()],
            &m,
        );
        assert_eq!(out.rc, 2);
        assert!(
            out.stderr_str().contains("Syntax error") || out.stderr_str().contains("unexpected")
        );
        assert!(run_request(
            &m,
            &Command {
                env: vec![("A B".into(), "x".into())],
                ..Default::default()
            }
        )
        .is_err());
    }

    #[test]
    fn put_in_chunks_then_get() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("f.bin");
        let dest = dest.to_str().unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let m = Marker::new();
        let mut reqs = vec![put_begin(&m, dest)];
        for c in data.chunks(65_536) {
            reqs.push(put_chunk(&m, c));
        }
        reqs.push(put_finish(
            &m,
            dest,
            &FileAttrs {
                mode: Some("0640".into()),
                ..Default::default()
            },
        ));
        let out = through_sh(&reqs, &m);
        assert_eq!(out.rc, 0, "{}", out.stderr_str());
        assert_eq!(std::fs::read(dest).unwrap(), data);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(dest).unwrap().permissions().mode() & 0o7777,
            0o640
        );
        // Replacing without attributes keeps the mode; no temp file is left behind.
        let m2 = Marker::new();
        let out = through_sh(
            &[
                put_begin(&m2, dest),
                put_chunk(&m2, b"new"),
                put_finish(&m2, dest, &FileAttrs::default()),
            ],
            &m2,
        );
        assert_eq!(out.rc, 0, "{}", out.stderr_str());
        assert_eq!(
            std::fs::metadata(dest).unwrap().permissions().mode() & 0o7777,
            0o640
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let m3 = Marker::new();
        let got = through_sh(&[get_request(&m3, dest)], &m3);
        assert_eq!((got.rc, got.stdout.as_slice()), (0, b"new".as_slice()));
    }

    #[test]
    fn failed_put_reports_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("sub-missing/f");
        let m = Marker::new();
        let out = through_sh(
            &[
                put_begin(&m, dest.to_str().unwrap()),
                put_chunk(&m, b"x"),
                put_finish(&m, dest.to_str().unwrap(), &FileAttrs::default()),
            ],
            &m,
        );
        assert_eq!(out.rc, 1);
        assert!(out.stderr_str().contains("mktemp"), "{}", out.stderr_str());
        let dest2 = dir.path().join("f");
        let m2 = Marker::new();
        let out = through_sh(
            &[
                put_begin(&m2, dest2.to_str().unwrap()),
                put_chunk(&m2, b"x"),
                put_finish(
                    &m2,
                    dest2.to_str().unwrap(),
                    &FileAttrs {
                        owner: Some("no-such-user-rplay".into()),
                        ..Default::default()
                    },
                ),
            ],
            &m2,
        );
        assert_eq!(out.rc, 1);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temp file removed"
        );
    }
}
