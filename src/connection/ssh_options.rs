//! OpenSSH options gathered from every source, with OpenSSH's rule that the first value obtained
//! for a keyword wins: `ansible_ssh_common_args`/`ansible_ssh_extra_args` (`-o Key=Value`, `-J`,
//! `-i`, `-p`, `-l`, `-F`) come first, then the matching blocks of `~/.ssh/config`.

use std::collections::HashMap;

/// Keyword → value (first wins), keywords lower-cased; `IdentityFile` and `UserKnownHostsFile`
/// accumulate like in OpenSSH.
#[derive(Debug, Clone, Default)]
pub struct SshOptions {
    values: HashMap<String, String>,
    identity_files: Vec<String>,
    /// `-F file` given on the command line: replaces `~/.ssh/config`.
    pub config_file: Option<String>,
}

impl SshOptions {
    /// Records `key value` unless the keyword already has a value.
    pub fn add(&mut self, key: &str, value: &str) {
        let key = key.to_ascii_lowercase();
        let value = unquote(value.trim());
        if key == "identityfile" {
            if !self.identity_files.iter().any(|f| f == &value) {
                self.identity_files.push(value);
            }
            return;
        }
        self.values.entry(key).or_insert(value);
    }

    /// The first value obtained for `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// A yes/no keyword; `None` when unset or not a yes/no word.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        match self.get(key)?.to_ascii_lowercase().as_str() {
            "yes" | "true" => Some(true),
            "no" | "false" => Some(false),
            _ => None,
        }
    }

    /// Every `IdentityFile`, in the order obtained.
    pub fn identity_files(&self) -> &[String] {
        &self.identity_files
    }

    /// Parses `ansible_ssh_common_args`-style text into options. Flags rplay has no use for
    /// (`-C`, `-q`, `-v`, `-A`, `-T`, `-tt`...) are accepted and ignored.
    pub fn add_args(&mut self, text: &str) -> Result<(), String> {
        let words = shell_words::split(text).map_err(|e| format!("cannot split {text:?}: {e}"))?;
        let mut it = words.into_iter();
        while let Some(word) = it.next() {
            let Some(flag) = word.strip_prefix('-') else {
                return Err(format!("unexpected argument {word:?}"));
            };
            let mut chars = flag.chars();
            let Some(letter) = chars.next() else {
                return Err("lone '-' in ssh arguments".into());
            };
            let attached: String = chars.collect();
            let takes_value = matches!(
                letter,
                'o' | 'J'
                    | 'i'
                    | 'p'
                    | 'l'
                    | 'F'
                    | 'c'
                    | 'm'
                    | 'b'
                    | 'E'
                    | 'S'
                    | 'L'
                    | 'R'
                    | 'D'
                    | 'W'
                    | 'O'
                    | 'Q'
                    | 'w'
                    | 'B'
                    | 'e'
                    | 'I'
            );
            if !takes_value {
                // Clustered boolean flags such as -tt, -4, -qC: nothing rplay needs.
                continue;
            }
            let value = if attached.is_empty() {
                it.next()
                    .ok_or_else(|| format!("option -{letter} needs a value"))?
            } else {
                attached
            };
            match letter {
                'o' => {
                    let (k, v) = split_keyword(&value)
                        .ok_or_else(|| format!("-o {value:?}: expected Key=Value"))?;
                    self.add(k, v);
                }
                'J' => self.add("proxyjump", &value),
                'i' => self.add("identityfile", &value),
                'p' => self.add("port", &value),
                'l' => self.add("user", &value),
                'F' if self.config_file.is_none() => self.config_file = Some(value),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Splits `Key=Value`, `Key Value` or `Key = Value` into its two parts.
pub(crate) fn split_keyword(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let end = line.find(|c: char| c == '=' || c.is_whitespace())?;
    let (key, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    if key.is_empty() {
        return None;
    }
    Some((key, rest))
}

/// Removes one pair of surrounding double quotes.
fn unquote(v: &str) -> String {
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_and_identity_files_accumulate() {
        let mut o = SshOptions::default();
        o.add_args("-o Port=2222 -oUser=alice -o 'ProxyJump bastion' -i k1 -C -tt")
            .unwrap();
        o.add("port", "22");
        o.add("IdentityFile", "k2");
        assert_eq!(o.get("Port"), Some("2222"));
        assert_eq!(o.get("user"), Some("alice"));
        assert_eq!(o.get("proxyjump"), Some("bastion"));
        assert_eq!(o.identity_files(), &["k1".to_string(), "k2".to_string()]);
    }

    #[test]
    fn jump_flag_and_bad_option() {
        let mut o = SshOptions::default();
        o.add_args("-J ops@jump:2200 -o StrictHostKeyChecking=accept-new")
            .unwrap();
        assert_eq!(o.get("proxyjump"), Some("ops@jump:2200"));
        assert_eq!(o.get("stricthostkeychecking"), Some("accept-new"));
        assert!(o.add_args("-o").is_err());
        assert!(o.add_args("-o NoValueHere").is_err());
        assert!(o.add_args("stray").is_err());
    }

    #[test]
    fn keyword_forms() {
        assert_eq!(split_keyword("A=b"), Some(("A", "b")));
        assert_eq!(split_keyword("A b c"), Some(("A", "b c")));
        assert_eq!(split_keyword("A = b"), Some(("A", "b")));
        assert_eq!(split_keyword("A"), None);
    }
}
