//! Shell helpers shared by modules: POSIX quoting, and *probe scripts* whose output is framed into
//! named sections, so one round trip can ask a host several questions and the answers (even file
//! contents without a trailing newline, or binary data) can be told apart without ambiguity.

use std::sync::atomic::{AtomicU64, Ordering};

use indexmap::IndexMap;
use sha1::{Digest, Sha1};

/// Quotes `s` for a POSIX shell: returned as is when it only holds safe characters, otherwise
/// single-quoted with embedded single quotes spelled `'\''`.
pub fn quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'/' | b'.' | b'_' | b'-' | b'+' | b':' | b',' | b'@' | b'%' | b'='
                )
        });
    if safe {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Joins words into one shell command line, each quoted.
pub fn join(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// A fresh token that marks section frames; it cannot be guessed from the data being read.
fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha1::new();
    h.update(format!("{now}:{n}:{}", std::process::id()).as_bytes());
    hex::encode(h.finalize())[..16].to_string()
}

/// A script made of named sections. Each section's standard output is framed by marker lines
/// carrying a per-script nonce, and its exit status is recorded.
#[derive(Debug, Clone)]
pub struct ProbeScript {
    nonce: String,
    prelude: String,
    body: String,
}

impl Default for ProbeScript {
    fn default() -> Self {
        Self::new()
    }
}

impl ProbeScript {
    /// An empty probe.
    pub fn new() -> Self {
        ProbeScript {
            nonce: nonce(),
            prelude: String::new(),
            body: String::new(),
        }
    }

    /// Adds unframed shell code run before the sections (variable assignments, functions).
    pub fn prelude(&mut self, code: &str) -> &mut Self {
        self.prelude.push_str(code);
        self.prelude.push('\n');
        self
    }

    /// Adds a section named `name` whose output is what `code` prints.
    pub fn section(&mut self, name: &str, code: &str) -> &mut Self {
        let n = &self.nonce;
        self.body.push_str(&format!(
            "printf '%s\\n' '::rplay-{n}:{name}:begin'\n{{\n{code}\n}}\nprintf '\\n::rplay-{n}:{name}:end:%s\\n' \"$?\"\n"
        ));
        self
    }

    /// The whole script text.
    pub fn script(&self) -> String {
        format!("{}{}", self.prelude, self.body)
    }

    /// Splits a probe's standard output into its sections.
    pub fn parse(&self, stdout: &[u8]) -> Result<Sections, String> {
        parse_sections(&self.nonce, stdout)
    }
}

/// One section's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    /// What the section printed (the framing newline removed).
    pub out: Vec<u8>,
    /// The section's exit status.
    pub rc: i32,
}

impl Section {
    /// Output as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.out).into_owned()
    }
    /// Output lines, without the trailing empty one.
    pub fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_string).collect()
    }
}

/// The sections of a probe's output, by name.
#[derive(Debug, Clone, Default)]
pub struct Sections(pub IndexMap<String, Section>);

impl Sections {
    /// A section that the probe must have printed.
    pub fn get(&self, name: &str) -> Result<&Section, String> {
        self.0
            .get(name)
            .ok_or_else(|| format!("the host's answer lacks the '{name}' section"))
    }
    /// A section that may be missing.
    pub fn opt(&self, name: &str) -> Option<&Section> {
        self.0.get(name)
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Parses framed output produced by a [`ProbeScript`] with `nonce`.
pub fn parse_sections(nonce: &str, stdout: &[u8]) -> Result<Sections, String> {
    let begin_prefix = format!("::rplay-{nonce}:");
    let mut sections = IndexMap::new();
    let mut pos = 0;
    while let Some(start) = find(stdout, begin_prefix.as_bytes(), pos) {
        let line_end = find(stdout, b"\n", start).ok_or("truncated probe output")?;
        let header =
            String::from_utf8_lossy(&stdout[start + begin_prefix.len()..line_end]).into_owned();
        let Some(name) = header.strip_suffix(":begin") else {
            pos = line_end + 1;
            continue;
        };
        let body_start = line_end + 1;
        let end_marker = format!("\n::rplay-{nonce}:{name}:end:");
        let end = find(stdout, end_marker.as_bytes(), body_start)
            .ok_or_else(|| format!("probe section '{name}' has no end"))?;
        let rc_start = end + end_marker.len();
        let rc_end = find(stdout, b"\n", rc_start).unwrap_or(stdout.len());
        let rc: i32 = String::from_utf8_lossy(&stdout[rc_start..rc_end])
            .trim()
            .parse()
            .map_err(|_| format!("probe section '{name}' has a bad exit status"))?;
        sections.insert(
            name.to_string(),
            Section {
                out: stdout[body_start..end].to_vec(),
                rc,
            },
        );
        pos = rc_end;
    }
    Ok(Sections(sections))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("/etc/hosts"), "/etc/hosts");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn sections_round_trip_through_sh() {
        let mut p = ProbeScript::new();
        p.section("a", "printf 'no newline'");
        p.section("b", "printf 'x\\n\\n'; false");
        p.section("c", ":");
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(p.script())
            .output()
            .unwrap();
        let s = p.parse(&out.stdout).unwrap();
        assert_eq!(s.get("a").unwrap().out, b"no newline");
        assert_eq!(s.get("a").unwrap().rc, 0);
        assert_eq!(s.get("b").unwrap().out, b"x\n\n");
        assert_eq!(s.get("b").unwrap().rc, 1);
        assert_eq!(s.get("c").unwrap().out, b"");
        assert!(s.get("d").is_err());
    }

    #[test]
    fn foreign_markers_are_ignored() {
        let s = parse_sections("n1", b"::rplay-n2:a:begin\nzz\n").unwrap();
        assert!(s.0.is_empty());
        assert!(parse_sections("n1", b"::rplay-n1:a:begin\nzz").is_err());
    }
}
