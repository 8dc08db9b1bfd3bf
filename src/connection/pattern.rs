//! OpenSSH host patterns (`*`, `?`, `!negation`, comma lists), shared by `~/.ssh/config` `Host`
//! lines and known_hosts host fields.

/// True when `text` matches the wildcard `pattern` (`*` any run, `?` one character),
/// ASCII case-insensitively like OpenSSH.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `text` against a list of patterns where `!pattern` excludes: true when some positive
/// pattern matches and no negated one does.
pub fn match_list<'a>(patterns: impl IntoIterator<Item = &'a str>, text: &str) -> bool {
    let mut matched = false;
    for pat in patterns {
        if let Some(neg) = pat.strip_prefix('!') {
            if wildcard_match(neg, text) {
                return false;
            }
        } else if wildcard_match(pat, text) {
            matched = true;
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("web?.example.com", "WEB1.example.com"));
        assert!(!wildcard_match("web?.example.com", "web10.example.com"));
        assert!(wildcard_match("*.example.com", "a.b.example.com"));
        assert!(wildcard_match("[127.0.0.1]:*", "[127.0.0.1]:2201"));
        assert!(!wildcard_match("db*", "web1"));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
        assert!(!wildcard_match("a*b*c", "axxbyy"));
    }

    #[test]
    fn negation_wins() {
        assert!(match_list(["*.lab", "!bad.lab"], "good.lab"));
        assert!(!match_list(["*.lab", "!bad.lab"], "bad.lab"));
        assert!(!match_list(["!bad.lab"], "other"));
    }
}
