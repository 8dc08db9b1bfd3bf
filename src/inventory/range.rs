//! Host names in inventories: `name:port` / `[ipv6]:port` splitting (Ansible's
//! `parse_address`) and range expansion (`web[01:03]`, `[a:c]`, `[1:10:2]`, several ranges
//! as a cartesian product).

/// Splits an optional port from a host pattern the way Ansible's `parse_address` does with
/// ranges allowed. `None` when the text is not a recognisable host (the caller then uses the
/// whole text as the name, without a port).
pub(crate) fn parse_address(text: &str) -> Option<(String, Option<u16>)> {
    let mut address = text.to_string();
    let mut port = None;
    if let Some((inner, digits)) = bracketed_hostport(&address) {
        port = Some(digits.parse::<u16>().ok()?);
        address = inner;
    }
    if let Some((host, digits)) = hostport(&address) {
        port = Some(digits.parse::<u16>().ok()?);
        address = host;
    }
    if is_ipv6(&address) || is_hostname(&address) {
        Some((address, port))
    } else {
        None
    }
}

/// `[inner]:digits`
fn bracketed_hostport(text: &str) -> Option<(String, String)> {
    let rest = text.strip_prefix('[')?;
    let close = rest.rfind("]:")?;
    let inner = &rest[..close];
    let digits = &rest[close + 2..];
    if inner.is_empty() || digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((inner.to_string(), digits.to_string()))
}

/// `host:digits` where `host` has no `:`, `[` or `]` outside complete `[...]` groups.
fn hostport(text: &str) -> Option<(String, String)> {
    let colon = text.rfind(':')?;
    let (host, digits) = (&text[..colon], &text[colon + 1..]);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut chars = host.chars();
    while let Some(c) = chars.next() {
        match c {
            '[' => loop {
                match chars.next() {
                    Some(']') => break,
                    Some(_) => {}
                    None => return None,
                }
            },
            ':' | ']' => return None,
            _ => {}
        }
    }
    Some((host.to_string(), digits.to_string()))
}

/// Is `text` at position `i` a range `[a:b]`, `[1:5]` or with `:step`? Returns its length.
fn range_len(chars: &[char], i: usize) -> Option<usize> {
    if chars.get(i) != Some(&'[') {
        return None;
    }
    let close = chars[i..].iter().position(|&c| c == ']')? + i;
    let inner: String = chars[i + 1..close].iter().collect();
    let parts: Vec<&str> = inner.split(':').collect();
    let is_num = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let is_letter = |s: &str| s.len() == 1 && s.chars().all(|c| c.is_ascii_alphabetic());
    let ok = match parts.as_slice() {
        [a, b] => (is_num(a) && is_num(b)) || (is_letter(a) && is_letter(b)),
        [a, b, step] => {
            ((is_num(a) && is_num(b)) || (is_letter(a) && is_letter(b))) && is_num(step)
        }
        _ => false,
    };
    ok.then_some(close - i + 1)
}

/// Ansible's `hostname` pattern: dot-separated labels of word characters, `-` and ranges,
/// starting with a word character or range and not ending in `-` or `_`.
fn is_hostname(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    loop {
        // One label.
        let start = i;
        let mut last: Option<char> = None;
        while i < chars.len() && chars[i] != '.' {
            if let Some(len) = range_len(&chars, i) {
                i += len;
                last = Some(']');
                continue;
            }
            let c = chars[i];
            let word = c.is_alphanumeric() || c == '_';
            if i == start && !word {
                return false;
            }
            if !word && c != '-' {
                return false;
            }
            last = Some(c);
            i += 1;
        }
        if i == start || matches!(last, Some('-' | '_')) {
            return false;
        }
        if i == chars.len() {
            return true;
        }
        i += 1; // '.'
        if i == chars.len() {
            return false;
        }
    }
}

/// A loose IPv6 check (hex groups separated by `:`, at most one `::`, optional IPv4 tail);
/// ranges count as a group.
fn is_ipv6(text: &str) -> bool {
    if !text.contains(':') {
        return false;
    }
    let double = text.matches("::").count();
    if double > 1 {
        return false;
    }
    let groups: Vec<&str> = text.split(':').filter(|g| !g.is_empty()).collect();
    let mut count = 0;
    for (n, group) in groups.iter().enumerate() {
        let is_last = n + 1 == groups.len();
        if is_last && group.contains('.') {
            // IPv4 tail counts as two groups.
            let parts: Vec<&str> = group.split('.').collect();
            if parts.len() != 4 || !parts.iter().all(|p| p.parse::<u8>().is_ok()) {
                return false;
            }
            count += 2;
            continue;
        }
        let chars: Vec<char> = group.chars().collect();
        let ok = (group.len() <= 4 && group.chars().all(|c| c.is_ascii_hexdigit()))
            || range_len(&chars, 0) == Some(chars.len());
        if !ok {
            return false;
        }
        count += 1;
    }
    if double == 1 {
        count <= 7
    } else {
        count == 8
    }
}

/// Expands every `[x:y(:step)]` range in `pattern`, left to right. Errors say what is wrong
/// with the range, as Ansible's messages do.
pub(crate) fn expand_ranges(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        return Ok(vec![pattern.to_string()]);
    };
    let Some(close_rel) = pattern[open..].find(']') else {
        return Err(format!("invalid host range in '{pattern}': missing ']'"));
    };
    let close = open + close_rel;
    let head = &pattern[..open];
    let range = &pattern[open + 1..close];
    let tail = &pattern[close + 1..];
    let bounds: Vec<&str> = range.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err("host range must be begin:end or begin:end:step".to_string());
    }
    let begin = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    let step_text = bounds.get(2).copied().unwrap_or("1");
    if end.is_empty() {
        return Err("host range must specify end value".to_string());
    }
    let step: usize = step_text
        .parse()
        .ok()
        .filter(|&s| s > 0)
        .ok_or_else(|| format!("invalid host range step '{step_text}' in '{pattern}'"))?;
    let width = if begin.starts_with('0') && begin.len() > 1 {
        if begin.len() != end.len() {
            return Err("host range must specify equal-length begin and end formats".to_string());
        }
        Some(begin.len())
    } else {
        None
    };
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let items: Vec<String> = match (LETTERS.find(begin), LETTERS.find(end)) {
        (Some(b), Some(e)) if begin.len() == 1 && end.len() == 1 => {
            if b > e {
                return Err("host range must have begin <= end".to_string());
            }
            LETTERS[b..=e]
                .chars()
                .step_by(step)
                .map(String::from)
                .collect()
        }
        _ => {
            let b: u64 = begin
                .parse()
                .map_err(|_| format!("invalid host range '[{range}]' in '{pattern}'"))?;
            let e: u64 = end
                .parse()
                .map_err(|_| format!("invalid host range '[{range}]' in '{pattern}'"))?;
            if e.saturating_sub(b) > 10_000_000 {
                return Err(format!("host range '[{range}]' is too large"));
            }
            (b..=e)
                .step_by(step)
                .map(|n| match width {
                    Some(w) => format!("{n:0w$}"),
                    None => n.to_string(),
                })
                .collect()
        }
    };
    let mut names = Vec::new();
    for item in items {
        let name = format!("{head}{item}{tail}");
        if name.contains('[') {
            names.extend(expand_ranges(&name)?);
        } else {
            names.push(name);
        }
    }
    Ok(names)
}

/// Ansible's `_expand_hostpattern`: port split (when the text is a valid address), then range
/// expansion.
pub(crate) fn expand_host_pattern(text: &str) -> Result<(Vec<String>, Option<u16>), String> {
    let (pattern, port) = parse_address(text).unwrap_or_else(|| (text.to_string(), None));
    let names = if pattern.contains('[') {
        expand_ranges(&pattern)?
    } else {
        vec![pattern]
    };
    Ok((names, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_like_ansible() {
        assert_eq!(
            expand_ranges("web[01:03]").unwrap(),
            vec!["web01", "web02", "web03"]
        );
        assert_eq!(
            expand_ranges("web[a:c].example.com").unwrap(),
            vec!["weba.example.com", "webb.example.com", "webc.example.com"]
        );
        assert_eq!(expand_ranges("n[1:10:4]").unwrap(), vec!["n1", "n5", "n9"]);
        assert_eq!(expand_ranges("n[:2]").unwrap(), vec!["n0", "n1", "n2"]);
        assert_eq!(
            expand_ranges("db[1:2]-[a:b]").unwrap(),
            vec!["db1-a", "db1-b", "db2-a", "db2-b"]
        );
        assert!(expand_ranges("web[01:100]")
            .unwrap_err()
            .contains("equal-length"));
        assert!(expand_ranges("web[1]").unwrap_err().contains("begin:end"));
        assert!(expand_ranges("web[c:a]")
            .unwrap_err()
            .contains("begin <= end"));
        assert!(expand_ranges("web[1:]").unwrap_err().contains("end value"));
    }

    #[test]
    fn ports_split_only_from_valid_addresses() {
        assert_eq!(
            parse_address("host:2222"),
            Some(("host".into(), Some(2222)))
        );
        assert_eq!(
            parse_address("10.0.0.1:22"),
            Some(("10.0.0.1".into(), Some(22)))
        );
        assert_eq!(parse_address("[::1]:22"), Some(("::1".into(), Some(22))));
        assert_eq!(parse_address("::1"), Some(("::1".into(), None)));
        assert_eq!(
            parse_address("web[1:3]:22"),
            Some(("web[1:3]".into(), Some(22)))
        );
        assert_eq!(parse_address("web:db"), None);
        assert_eq!(parse_address("a:b"), None);
        assert_eq!(parse_address("user@host:22"), None);
        assert_eq!(
            expand_host_pattern("web[1:2]:2222").unwrap(),
            (vec!["web1".to_string(), "web2".to_string()], Some(2222))
        );
    }
}
