//! Finding and reading ansible.cfg.
//!
//! Only one file is used (no merging), the first that exists of: `$ANSIBLE_CONFIG` (a file,
//! or a directory holding `ansible.cfg`), `./ansible.cfg` (skipped with a warning when the
//! current directory is world-writable), `~/.ansible.cfg`, `/etc/ansible/ansible.cfg`.
//! The format is Python configparser's INI as Ansible sets it up: `key = value` or
//! `key: value`, full-line `#`/`;` comments, inline `;` comments after whitespace, indented
//! continuation lines, keys case-insensitive.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::diag::{Diagnostic, Span};

/// One `key = value` with the place it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigValue {
    /// The value text, trimmed (continuation lines joined with `\n`).
    pub value: String,
    /// Where the key was written.
    pub span: Span,
}

/// A parsed ansible.cfg: section → (lower-cased key → value).
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    /// The file's path.
    pub path: PathBuf,
    /// Sections in file order; keys lower-cased.
    pub sections: IndexMap<String, IndexMap<String, ConfigValue>>,
}

impl ConfigFile {
    /// Reads and parses the file at `path`.
    pub fn read(path: &Path) -> Result<ConfigFile, Diagnostic> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostic::error(format!(
                "could not read config file {}: {e}",
                path.display()
            ))
        })?;
        ConfigFile::parse(&text, path)
    }

    /// Parses INI text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, Diagnostic> {
        let label = path.display().to_string();
        let file: std::sync::Arc<str> = std::sync::Arc::from(label.as_str());
        let mut config = ConfigFile {
            path: path.to_path_buf(),
            sections: IndexMap::new(),
        };
        let mut section: Option<String> = None;
        let mut last_key: Option<String> = None;
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let span = |col: usize| Span {
                file: file.clone(),
                line: line_no,
                col,
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                if trimmed.is_empty() {
                    last_key = None;
                }
                continue;
            }
            let indented = raw.starts_with([' ', '\t']);
            if indented {
                if let (Some(sec), Some(key)) = (&section, &last_key) {
                    if let Some(entry) = config
                        .sections
                        .get_mut(sec)
                        .and_then(|keys| keys.get_mut(key))
                    {
                        let extra = strip_inline_comment(trimmed);
                        if !entry.value.is_empty() {
                            entry.value.push('\n');
                        }
                        entry.value.push_str(extra);
                        continue;
                    }
                }
            }
            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    return Err(Diagnostic::in_source(
                        span(1),
                        format!("invalid section header in config file: {trimmed}"),
                        text,
                    ));
                };
                let name = name.trim().to_string();
                config.sections.entry(name.clone()).or_default();
                section = Some(name);
                last_key = None;
                continue;
            }
            let Some(sec) = &section else {
                return Err(Diagnostic::in_source(
                    span(1),
                    "config file has a setting before any [section] header",
                    text,
                ));
            };
            let split_at = trimmed.find(['=', ':']);
            let (key, value) = match split_at {
                Some(at) => (&trimmed[..at], &trimmed[at + 1..]),
                None => {
                    return Err(Diagnostic::in_source(
                        span(1),
                        format!("expected 'key = value' in config file, found: {trimmed}"),
                        text,
                    ))
                }
            };
            let key = key.trim().to_ascii_lowercase();
            let value = strip_inline_comment(value.trim()).to_string();
            let col = raw.len() - raw.trim_start().len() + 1;
            config.sections.entry(sec.clone()).or_default().insert(
                key.clone(),
                ConfigValue {
                    value,
                    span: span(col),
                },
            );
            last_key = Some(key);
        }
        Ok(config)
    }

    /// The value of `key` in `section`, if set.
    pub fn get(&self, section: &str, key: &str) -> Option<&ConfigValue> {
        self.sections.get(section)?.get(key)
    }
}

/// configparser with `inline_comment_prefixes=(';',)`: a `;` preceded by whitespace starts a
/// comment.
fn strip_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b';' && i > 0 && (bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
            return value[..i].trim_end();
        }
    }
    value
}

/// Finds the config file Ansible would use. `env` reads environment variables, `cwd` is the
/// current directory and `home` the user's home. Returns the path and any warning (the
/// world-writable current directory case).
pub fn find_config_file(
    env: &dyn Fn(&str) -> Option<String>,
    cwd: &Path,
    home: Option<&Path>,
) -> (Option<PathBuf>, Vec<Diagnostic>) {
    let mut warnings = Vec::new();
    if let Some(value) = env("ANSIBLE_CONFIG").filter(|v| !v.is_empty()) {
        let mut path = expand_home(&value, home);
        if path.is_relative() {
            path = cwd.join(path);
        }
        if path.is_dir() {
            path = path.join("ansible.cfg");
        }
        if path.is_file() {
            return (Some(path), warnings);
        }
    }
    let local = cwd.join("ansible.cfg");
    if local.is_file() {
        if is_world_writable(cwd) {
            warnings.push(Diagnostic::error(format!(
                "Ansible is being run in a world writable directory ({}), ignoring it as an ansible.cfg source.",
                cwd.display()
            )).into_warning());
        } else {
            return (Some(local), warnings);
        }
    }
    if let Some(home) = home {
        let user = home.join(".ansible.cfg");
        if user.is_file() {
            return (Some(user), warnings);
        }
    }
    let system = PathBuf::from("/etc/ansible/ansible.cfg");
    if system.is_file() {
        return (Some(system), warnings);
    }
    (None, warnings)
}

/// `~` and `~/x` → the home directory.
pub fn expand_home(value: &str, home: Option<&Path>) -> PathBuf {
    match (value.strip_prefix('~'), home) {
        (Some(""), Some(home)) => home.to_path_buf(),
        (Some(rest), Some(home)) if rest.starts_with('/') => home.join(&rest[1..]),
        _ => PathBuf::from(value),
    }
}

fn is_world_writable(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(dir)
        .map(|m| m.permissions().mode() & 0o002 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_keys_comments_and_continuations() {
        let text = "# top\n[defaults]\nInventory = ./hosts ; inline\nforks: 20\nroles_path = a\n  b\n\n[ssh_connection]\nssh_args = -C -o X=1;kept\n";
        let cfg = ConfigFile::parse(text, Path::new("/p/ansible.cfg")).unwrap();
        let inv = cfg.get("defaults", "inventory").unwrap();
        assert_eq!(inv.value, "./hosts");
        assert_eq!(inv.span.to_string(), "/p/ansible.cfg:3:1");
        assert_eq!(cfg.get("defaults", "forks").unwrap().value, "20");
        assert_eq!(cfg.get("defaults", "roles_path").unwrap().value, "a\nb");
        assert_eq!(
            cfg.get("ssh_connection", "ssh_args").unwrap().value,
            "-C -o X=1;kept"
        );
    }

    #[test]
    fn setting_outside_a_section_is_an_error_with_location() {
        let e = ConfigFile::parse("forks = 3\n", Path::new("a.cfg")).unwrap_err();
        assert_eq!(e.span.unwrap().to_string(), "a.cfg:1:1");
        let e = ConfigFile::parse("[defaults]\njunk line\n", Path::new("a.cfg")).unwrap_err();
        assert_eq!(e.span.unwrap().line, 2);
    }

    #[test]
    fn lookup_order_prefers_ansible_config() {
        let dir = tempfile::tempdir().unwrap();
        let explicit = dir.path().join("explicit.cfg");
        std::fs::write(&explicit, "[defaults]\n").unwrap();
        let cwd = dir.path().join("cwd");
        std::fs::create_dir(&cwd).unwrap();
        std::fs::write(cwd.join("ansible.cfg"), "[defaults]\n").unwrap();
        let value = explicit.to_string_lossy().to_string();
        let env = move |k: &str| (k == "ANSIBLE_CONFIG").then(|| value.clone());
        let (found, _) = find_config_file(&env, &cwd, None);
        assert_eq!(found, Some(explicit));
        let none = |_: &str| None;
        let (found, _) = find_config_file(&none, &cwd, None);
        assert_eq!(found, Some(cwd.join("ansible.cfg")));
    }
}
