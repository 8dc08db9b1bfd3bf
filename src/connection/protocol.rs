//! The framing spoken with the long-lived remote `/bin/sh` of a host. Every request is plain
//! shell text (scripts single-quoted, stdin and file contents base64-encoded in here-documents
//! ended by a random marker), so nothing but the shell itself reads the session's input and
//! dash's read-ahead cannot swallow data.
//!
//! A script's stdout and stderr go to files in a private directory of the shell; when it ends,
//! the whole response is written to the channel's stdout in one burst:
//! `B<m> stdout E<m> <status>\n stderr F<m>\n`. One burst matters for speed: sshd does not
//! disable Nagle's algorithm for non-terminal sessions, so a second small write would wait for
//! the acknowledgement of the first, adding most of a round trip. It also means a daemon started
//! by a script cannot hold the channel open. [`ResponseReader`] cuts the stream at the markers.

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

    fn final_(&self) -> String {
        format!("__RPLAY_F_{}__", self.0)
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

/// Sent once, before a shell's first request: makes the shell's private directory (removed when
/// the shell ends) and the helpers that write responses.
pub fn preamble() -> String {
    r#"__rp_d=
for __rp_p in "${TMPDIR:-/tmp}" /tmp /var/tmp "$HOME" /dev/shm; do
  __rp_d=$(umask 077 && mktemp -d "$__rp_p/.rplay-XXXXXXXXXX" 2>/dev/null) && break
done
[ -n "$__rp_d" ] || { echo "rplay: cannot create a private temporary directory" >&2; exit 70; }
trap 'rm -rf "$__rp_d"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
__rp_dir() { [ -d "$__rp_d" ] || (umask 077 && mkdir -p "$__rp_d") 2>/dev/null; }
__rp_tail() { printf '%s %d\n' "__RPLAY_E_$1__" "$2"; [ -s "$__rp_d/e" ] && cat "$__rp_d/e"; printf '%s\n' "__RPLAY_F_$1__"; }
__rp_reply() {
  __rp_tail "$1" "$2" >>"$__rp_d/r" && cat "$__rp_d/r" && return
  printf '%s%s 70\nrplay: the private directory %s is gone\n%s\n' "__RPLAY_B_$1__" "__RPLAY_E_$1__" "$__rp_d" "__RPLAY_F_$1__"
}
"#
    .to_string()
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

/// The request text running `cmd` in a subshell (so `exit`, `cd`, `set` and `export` in the
/// script do not touch the session's shell). Shell-level errors read
/// `/bin/sh: N: eval: ...`; modules wanting `sh -c` wording (the `shell` module) exec it.
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
    let redirect = ">>\"$__rp_d/r\" 2>\"$__rp_d/e\"";
    // `eval` in a subshell: isolated like `sh -c`, but without exec'ing a new shell (a few ms).
    let body = format!("( {prelude}eval {} ) {redirect}", quote(&cmd.script));
    let mut out = format!("__rp_dir; printf %s {} >\"$__rp_d/r\"\n", m.begin());
    match &cmd.stdin {
        Some(bytes) => {
            out.push_str(&format!("base64 -d <<'I{0}' | {body}\n", m.as_str()));
            out.push_str(&base64_lines(bytes));
            out.push_str(&format!("I{}\n", m.as_str()));
        }
        None => out.push_str(&format!("{body} </dev/null\n")),
    }
    out.push_str(&format!("__rp_reply {} $?\n", m.as_str()));
    Ok(out)
}

/// The directory that will hold the temp file for `dest`.
fn dest_dir(dest: &str) -> String {
    match dest.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => dest[..i].to_string(),
        None => ".".to_string(),
    }
}

/// Starts a file transfer: a private temp file (umask 077) next to `dest`.
pub fn put_begin(dest: &str) -> String {
    let dir = dest_dir(dest);
    let template = if dir.starts_with('/') || dir.starts_with('.') {
        format!("{dir}/.rplay-tmp-XXXXXXXXXX")
    } else {
        format!("./{dir}/.rplay-tmp-XXXXXXXXXX")
    };
    format!(
        "__rp_dir; : >\"$__rp_d/e\"; __rp_f=0; __rp_t=$(umask 077 && mktemp {} </dev/null 2>>\"$__rp_d/e\") || __rp_f=1\n",
        quote(&template)
    )
}

/// Appends one chunk of content to the temp file (skipped after a failure).
pub fn put_chunk(m: &Marker, data: &[u8]) -> String {
    format!(
        "[ \"$__rp_f\" = 0 ] && {{ base64 -d >>\"$__rp_t\" 2>>\"$__rp_d/e\" || __rp_f=1; }} <<'C{0}'\n{1}C{0}\n",
        m.as_str(),
        base64_lines(data)
    )
}

/// Applies attributes, syncs and renames the temp file onto `dest`, removes it on failure, and
/// replies. Without a mode/owner/group, an existing destination's are kept and a new file gets
/// the default mode (0666 minus the umask), as Ansible's atomic move does.
pub fn put_finish(m: &Marker, dest: &str, attrs: &FileAttrs) -> String {
    let d = quote(dest);
    let mut steps: Vec<String> = Vec::new();
    let need_existing = attrs.mode.is_none() || (attrs.owner.is_none() && attrs.group.is_none());
    if need_existing {
        steps.push(format!(
            "{{ __rp_k=$(stat -c '%a %u:%g' -- {d} 2>/dev/null) || __rp_k=; }}"
        ));
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
        "if [ \"$__rp_f\" = 0 ]; then {{ {}; }} </dev/null 2>>\"$__rp_d/e\" || __rp_f=1; fi\n",
        steps.join(" && ")
    ));
    out.push_str("[ \"$__rp_f\" = 0 ] || { [ -n \"$__rp_t\" ] && rm -f -- \"$__rp_t\"; }\n");
    out.push_str(&format!(
        "printf %s {} >\"$__rp_d/r\"; __rp_reply {} \"$__rp_f\"\n",
        m.begin(),
        m.as_str()
    ));
    out
}

/// Reads a whole file: its bytes are streamed raw on stdout (not through a temp file).
pub fn get_request(m: &Marker, path: &str) -> String {
    format!(
        "__rp_dir; printf %s {}; cat -- {} </dev/null 2>\"$__rp_d/e\"; __rp_tail {} $?\n",
        m.begin(),
        quote(path),
        m.as_str()
    )
}

/// Collects one response from the shell's stdout: drops what precedes the begin marker, then
/// stdout up to the end marker, the status line, and stderr up to the final marker.
#[derive(Debug)]
pub struct ResponseReader {
    begin: Vec<u8>,
    end: Vec<u8>,
    final_: Vec<u8>,
    buf: Vec<u8>,
    state: ReadState,
    scan_from: usize,
    stdout: Vec<u8>,
    rc: i32,
    stderr: Vec<u8>,
    /// What the shell wrote on the channel's stderr (diagnostics when it dies).
    stray: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadState {
    Begin,
    Stdout,
    Status,
    Stderr,
    Done,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from.min(hay.len())..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

impl ResponseReader {
    /// A reader for the request made with `m`.
    pub fn new(m: &Marker) -> ResponseReader {
        ResponseReader {
            begin: m.begin().into_bytes(),
            end: m.end().into_bytes(),
            final_: m.final_().into_bytes(),
            buf: Vec::new(),
            state: ReadState::Begin,
            scan_from: 0,
            stdout: Vec::new(),
            rc: 0,
            stderr: Vec::new(),
            stray: Vec::new(),
        }
    }

    /// Feeds the shell's standard output.
    pub fn push_stdout(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        loop {
            let progressed = match self.state {
                ReadState::Begin => match find(&self.buf, &self.begin, 0) {
                    Some(i) => {
                        self.buf.drain(..i + self.begin.len());
                        self.state = ReadState::Stdout;
                        self.scan_from = 0;
                        true
                    }
                    None => {
                        let keep = self.begin.len() - 1;
                        if self.buf.len() > keep {
                            self.buf.drain(..self.buf.len() - keep);
                        }
                        false
                    }
                },
                ReadState::Stdout => self.cut(ReadState::Status),
                ReadState::Status => match self.buf.iter().position(|&b| b == b'\n') {
                    Some(nl) => {
                        let text = String::from_utf8_lossy(&self.buf[..nl]).into_owned();
                        self.rc = text.trim().parse::<i32>().unwrap_or(-1);
                        self.buf.drain(..=nl);
                        self.state = ReadState::Stderr;
                        self.scan_from = 0;
                        true
                    }
                    None => false,
                },
                ReadState::Stderr => self.cut(ReadState::Done),
                ReadState::Done => false,
            };
            if !progressed {
                break;
            }
        }
    }

    /// Looks for the marker ending the current part; moves the part out when found.
    fn cut(&mut self, next: ReadState) -> bool {
        let marker = if next == ReadState::Status {
            &self.end
        } else {
            &self.final_
        };
        match find(&self.buf, marker, self.scan_from) {
            Some(i) => {
                let rest = self.buf.split_off(i + marker.len());
                let mut part = std::mem::replace(&mut self.buf, rest);
                part.truncate(i);
                if next == ReadState::Status {
                    self.stdout = part;
                } else {
                    self.stderr = part;
                    self.buf.clear();
                }
                self.state = next;
                self.scan_from = 0;
                true
            }
            None => {
                self.scan_from = self.buf.len().saturating_sub(marker.len() - 1);
                false
            }
        }
    }

    /// Feeds the channel's standard error (not part of responses; kept for diagnostics).
    pub fn push_stderr(&mut self, data: &[u8]) {
        self.stray.extend_from_slice(data);
        if self.stray.len() > 64 * 1024 {
            self.stray.drain(..self.stray.len() - 64 * 1024);
        }
    }

    /// The finished response.
    pub fn finished(&mut self) -> Option<Output> {
        if self.state != ReadState::Done {
            return None;
        }
        Some(Output {
            rc: self.rc,
            stdout: std::mem::take(&mut self.stdout),
            stderr: std::mem::take(&mut self.stderr),
        })
    }

    /// What the shell said on the channel's stderr (when it dies, the reason).
    pub fn stderr_so_far(&self) -> String {
        String::from_utf8_lossy(&self.stray).into_owned()
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
        stdin.write_all(preamble().as_bytes()).unwrap();
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
        rr.push_stderr(&out.stderr);
        rr.finished().expect("response complete")
    }

    #[test]
    fn lost_private_directory_is_recreated_or_reported() {
        let m = Marker::new();
        let out = through_sh(
            &[
                "rm -rf \"$__rp_d\"\n".to_string(),
                run_request(&m, &Command::new("echo back")).unwrap(),
            ],
            &m,
        );
        assert_eq!((out.rc, out.stdout_str().as_str()), (0, "back\n"));
        let m2 = Marker::new();
        let out = through_sh(
            &[run_request(&m2, &Command::new("rm -rf \"$__rp_d\"; echo x")).unwrap()],
            &m2,
        );
        assert_eq!(out.rc, 70, "{out:?}");
        assert!(out.stderr_str().contains("is gone"));
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
        let mut reqs = vec![put_begin(dest)];
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
                put_begin(dest),
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
                put_begin(dest.to_str().unwrap()),
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
                put_begin(dest2.to_str().unwrap()),
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
