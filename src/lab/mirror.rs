//! Finds the Debian mirror the controller itself uses (its apt sources), so the base image is
//! built from it: no mirror host name is written into this repository.

use std::path::Path;

use super::error::{Error, Result};

/// The first Debian archive URL (not a security or updates-only suite) in the controller's apt sources.
pub fn controller_mirror() -> Result<String> {
    let mut texts = Vec::new();
    let dir = Path::new("/etc/apt/sources.list.d");
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if let Ok(t) = std::fs::read_to_string(&p) {
                let deb822 = p.extension().is_some_and(|e| e == "sources");
                texts.push((deb822, t));
            }
        }
    }
    if let Ok(t) = std::fs::read_to_string("/etc/apt/sources.list") {
        texts.push((false, t));
    }
    for (deb822, text) in &texts {
        let found = if *deb822 {
            mirror_in_deb822(text)
        } else {
            mirror_in_one_line(text)
        };
        if let Some(url) = found {
            return Ok(url);
        }
    }
    Err(Error::NoMirror)
}

/// Whether a (URL, suite) pair is the main Debian archive for bookworm.
fn is_main_archive(url: &str, suite: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://"))
        && suite == "bookworm"
        && !url.contains("security")
}

/// Mirror from one-line-style `deb URL SUITE COMPONENTS` sources.
fn mirror_in_one_line(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace().peekable();
        if words.next() != Some("deb") {
            continue;
        }
        if words.peek().is_some_and(|w| w.starts_with('[')) {
            for w in words.by_ref() {
                if w.ends_with(']') {
                    break;
                }
            }
        }
        let (Some(url), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        if is_main_archive(url, suite) {
            return Some(url.to_string());
        }
    }
    None
}

/// Mirror from deb822-style stanzas (`Types:`, `URIs:`, `Suites:`).
fn mirror_in_deb822(text: &str) -> Option<String> {
    for stanza in text.split("\n\n") {
        let mut types = "";
        let mut uris = "";
        let mut suites = "";
        for line in stanza.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "types" => types = v.trim(),
                    "uris" => uris = v.trim(),
                    "suites" => suites = v.trim(),
                    _ => {}
                }
            }
        }
        if !types.split_whitespace().any(|t| t == "deb") {
            continue;
        }
        for url in uris.split_whitespace() {
            if suites.split_whitespace().any(|s| is_main_archive(url, s)) {
                return Some(url.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb822_main_archive_is_found_and_security_skipped() {
        let text = "Types: deb\nURIs: http://sec.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n\
                    Types: deb\n# comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n";
        assert_eq!(
            mirror_in_deb822(text).as_deref(),
            Some("http://mirror.example/debian")
        );
    }

    #[test]
    fn one_line_sources_with_options() {
        let text = "# deb http://old.example/debian bookworm main\n\
                    deb [arch=amd64 signed-by=/x] http://m.example/debian bookworm main\n";
        assert_eq!(
            mirror_in_one_line(text).as_deref(),
            Some("http://m.example/debian")
        );
        assert_eq!(
            mirror_in_one_line("deb-src http://m.example/debian bookworm main\n"),
            None
        );
    }
}
