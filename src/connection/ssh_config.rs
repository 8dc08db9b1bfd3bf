//! `~/.ssh/config` (or the file given with `-F`): `Host` and simple `Match` blocks, `Include`,
//! and the keywords rplay honours (HostName, Port, User, IdentityFile, IdentitiesOnly, ProxyJump,
//! ProxyCommand `ssh -W`, ConnectTimeout, ServerAliveInterval/CountMax, StrictHostKeyChecking,
//! UserKnownHostsFile, PasswordAuthentication, PubkeyAuthentication). Unknown keywords are kept
//! and ignored, like OpenSSH ignores what it does not need.

use std::path::{Path, PathBuf};

use super::error::ConnectError;
use super::pattern::{match_list, wildcard_match};
use super::ssh_options::{split_keyword, SshOptions};

/// When a block applies.
#[derive(Debug, Clone)]
enum Condition {
    /// `Host p1 p2 !p3` (or the implicit block before the first `Host`: `*`).
    Host(Vec<String>),
    /// `Match host p1,p2` / `Match originalhost ...`.
    MatchHost(Vec<String>),
    /// `Match all`.
    All,
    /// A `Match` rplay cannot evaluate (exec, user, localuser...): never applies.
    Never,
}

#[derive(Debug, Clone)]
struct Block {
    condition: Condition,
    entries: Vec<(String, String)>,
}

/// A parsed OpenSSH client configuration.
#[derive(Debug, Clone, Default)]
pub struct SshConfig {
    blocks: Vec<Block>,
}

impl SshConfig {
    /// Reads `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<SshConfig, ConnectError> {
        let mut cfg = SshConfig {
            blocks: vec![Block {
                condition: Condition::All,
                entries: Vec::new(),
            }],
        };
        cfg.read_file(path, 0)?;
        Ok(cfg)
    }

    /// Like [`SshConfig::load`], but parses each file once per process: the engine resolves a
    /// host's connection for every task, and the file does not change during a run.
    pub fn load_cached(path: &Path) -> Result<std::sync::Arc<SshConfig>, ConnectError> {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex, OnceLock};
        static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<SshConfig>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(c) = cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(path)
        {
            return Ok(c.clone());
        }
        let cfg = Arc::new(SshConfig::load(path)?);
        cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(path.to_path_buf(), cfg.clone());
        Ok(cfg)
    }

    /// Parses configuration text; `path` only names it in errors and resolves `Include`.
    pub fn parse(text: &str, path: &Path) -> Result<SshConfig, ConnectError> {
        let mut cfg = SshConfig {
            blocks: vec![Block {
                condition: Condition::All,
                entries: Vec::new(),
            }],
        };
        cfg.read_text(text, path, 0)?;
        Ok(cfg)
    }

    fn read_file(&mut self, path: &Path, depth: usize) -> Result<(), ConnectError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(ConnectError::SshConfig {
                    path: path.to_path_buf(),
                    line: 1,
                    message: format!("cannot read: {e}"),
                })
            }
        };
        self.read_text(&text, path, depth)
    }

    fn read_text(&mut self, text: &str, path: &Path, depth: usize) -> Result<(), ConnectError> {
        let err = |line: usize, message: String| ConnectError::SshConfig {
            path: path.to_path_buf(),
            line,
            message,
        };
        for (idx, raw) in text.lines().enumerate() {
            let lineno = idx + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = split_keyword(line) else {
                return Err(err(lineno, format!("keyword {line:?} has no value")));
            };
            match key.to_ascii_lowercase().as_str() {
                "host" => self.blocks.push(Block {
                    condition: Condition::Host(
                        value.split_whitespace().map(str::to_string).collect(),
                    ),
                    entries: Vec::new(),
                }),
                "match" => self.blocks.push(Block {
                    condition: parse_match(value),
                    entries: Vec::new(),
                }),
                "include" => {
                    if depth >= 16 {
                        return Err(err(lineno, "Include nested too deeply".into()));
                    }
                    let base = path.parent().unwrap_or(Path::new("."));
                    for word in value.split_whitespace() {
                        for file in expand_include(word, base) {
                            self.read_file(&file, depth + 1)?;
                        }
                    }
                }
                other => {
                    if let Some(block) = self.blocks.last_mut() {
                        block.entries.push((other.to_string(), value.to_string()));
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds the settings of every block matching `host` (the name given to ssh, before
    /// `HostName`) to `opts`, first value winning.
    pub fn apply(&self, host: &str, opts: &mut SshOptions) {
        for block in &self.blocks {
            let applies = match &block.condition {
                Condition::All => true,
                Condition::Never => false,
                Condition::Host(pats) => match_list(pats.iter().map(String::as_str), host),
                Condition::MatchHost(pats) => match_list(pats.iter().map(String::as_str), host),
            };
            if applies {
                for (k, v) in &block.entries {
                    opts.add(k, v);
                }
            }
        }
    }
}

fn parse_match(value: &str) -> Condition {
    let words: Vec<&str> = value.split_whitespace().collect();
    match words.as_slice() {
        ["all"] => Condition::All,
        [kind, pats]
            if kind.eq_ignore_ascii_case("host") || kind.eq_ignore_ascii_case("originalhost") =>
        {
            Condition::MatchHost(pats.split(',').map(str::to_string).collect())
        }
        _ => Condition::Never,
    }
}

/// Files named by an `Include` word: `~` expanded, relative paths under the including file's
/// directory, `*`/`?` in the file name matched against the directory listing.
fn expand_include(word: &str, base: &Path) -> Vec<PathBuf> {
    let expanded = expand_tilde(word);
    let path = if Path::new(&expanded).is_absolute() {
        PathBuf::from(expanded)
    } else {
        base.join(expanded)
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?']) {
        return vec![path];
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| wildcard_match(&name, &e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Expands a leading `~/` to the controller user's home directory.
pub fn expand_tilde(p: &str) -> String {
    if p == "~" {
        return home_dir().to_string_lossy().into_owned();
    }
    match p.strip_prefix("~/") {
        Some(rest) => home_dir().join(rest).to_string_lossy().into_owned(),
        None => p.to_string(),
    }
}

/// The controller user's home directory (`$HOME`, else `/`).
pub fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# comment
User fallback
Host web* !web9
    HostName 10.0.0.%h
    Port 2222
    IdentityFile ~/.ssh/web
Host bastion
    HostName bastion.example.com
    User jump
Match exec \"true\"
    Port 1
Host *
    Port 22
    IdentityFile ~/.ssh/id_ed25519
    ServerAliveInterval 15
";

    fn resolve(host: &str) -> SshOptions {
        let cfg = SshConfig::parse(CONFIG, Path::new("/x/config")).unwrap();
        let mut o = SshOptions::default();
        cfg.apply(host, &mut o);
        o
    }

    #[test]
    fn host_blocks_first_value_wins() {
        let o = resolve("web1");
        assert_eq!(o.get("port"), Some("2222"));
        assert_eq!(o.get("user"), Some("fallback"));
        assert_eq!(o.get("hostname"), Some("10.0.0.%h"));
        assert_eq!(o.identity_files().len(), 2);
        assert_eq!(o.get("serveraliveinterval"), Some("15"));
    }

    #[test]
    fn negated_and_unevaluable_blocks_do_not_apply() {
        let o = resolve("web9");
        assert_eq!(o.get("port"), Some("22"));
        assert_eq!(o.get("hostname"), None);
        let b = resolve("bastion");
        assert_eq!(b.get("user"), Some("fallback"));
        assert_eq!(b.get("hostname"), Some("bastion.example.com"));
    }

    #[test]
    fn keyword_without_value_names_file_and_line() {
        let e = SshConfig::parse("Host a\n  Port\n", Path::new("/x/config")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/x/config:2:1: keyword \"Port\" has no value"
        );
    }
}
