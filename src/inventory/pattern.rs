//! Host patterns (`hosts:`, `--limit`, ad-hoc): `all`/`*`, names, groups, globs, `~regex`,
//! unions (`,` or legacy `:`), intersections `&`, exclusions `!`, subscripts `g[0]`, `g[1:3]`
//! (inclusive), `g[-1]`. Evaluation follows Ansible's `InventoryManager`: plain patterns first
//! (union, first-seen order), then all `&`, then all `!`; only `&`/`!` imply `all`.

use std::collections::HashSet;

use regex::Regex;

use super::data::InventoryData;
use super::range::parse_address;

/// Names that mean the controller itself (an implicit `localhost` is made for them).
pub const LOCALHOST_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Ansible's `split_host_pattern`: commas split; without commas, a valid address or host
/// range stays whole, anything else splits on `:` outside brackets.
pub(crate) fn split_host_pattern(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if parse_address(pattern).is_some() {
        vec![pattern.to_string()]
    } else {
        let mut parts = Vec::new();
        let mut current = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '[' => {
                    // A complete bracketed expression stays in the part.
                    let mut group = String::from('[');
                    let mut closed = false;
                    for d in chars.by_ref() {
                        group.push(d);
                        if d == ']' {
                            closed = true;
                            break;
                        }
                    }
                    if closed {
                        current.push_str(&group);
                    } else {
                        // An unclosed `[` is a separator for the findall; keep what follows.
                        if !current.is_empty() {
                            parts.push(std::mem::take(&mut current));
                        }
                        current.push_str(&group[1..]);
                    }
                }
                ':' | ']' => {
                    if !current.is_empty() {
                        parts.push(std::mem::take(&mut current));
                    }
                }
                c if c.is_whitespace() => {
                    if !current.is_empty() {
                        parts.push(std::mem::take(&mut current));
                    }
                }
                c => current.push(c),
            }
        }
        if !current.is_empty() {
            parts.push(current);
        }
        parts
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The outcome of evaluating patterns: hosts in order, plus the patterns that matched nothing
/// and whether the implicit localhost was used.
#[derive(Debug, Clone, Default)]
pub(crate) struct Matched {
    pub hosts: Vec<String>,
    pub unmatched: Vec<String>,
    pub implicit_localhost: Option<String>,
}

/// Evaluates already-split patterns against the inventory.
pub(crate) fn evaluate(data: &InventoryData, patterns: &[String]) -> Result<Matched, String> {
    let mut regular: Vec<&str> = Vec::new();
    let mut intersect: Vec<&str> = Vec::new();
    let mut exclude: Vec<&str> = Vec::new();
    for p in patterns {
        match p.chars().next() {
            Some('&') => intersect.push(p),
            Some('!') => exclude.push(p),
            _ => regular.push(p),
        }
    }
    if regular.is_empty() {
        regular.push("all");
    }
    let mut matched = Matched::default();
    let mut hosts: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for p in regular.into_iter().chain(intersect).chain(exclude) {
        let that: Vec<String> = if data.hosts.contains_key(p) {
            vec![p.to_string()]
        } else {
            match_one(data, p, &mut matched)?
        };
        match p.chars().next() {
            Some('!') => {
                let that: HashSet<&String> = that.iter().collect();
                hosts.retain(|h| !that.contains(h));
            }
            Some('&') => {
                let that: HashSet<&String> = that.iter().collect();
                hosts.retain(|h| that.contains(h));
            }
            _ => {
                for h in that {
                    if seen.insert(h.clone()) {
                        hosts.push(h);
                    }
                }
            }
        }
    }
    let mut dedup = HashSet::new();
    hosts.retain(|h| dedup.insert(h.clone()));
    matched.hosts = hosts;
    Ok(matched)
}

/// One pattern without its `&`/`!` prefix: subscript split, enumeration, subscript applied.
fn match_one(
    data: &InventoryData,
    pattern: &str,
    matched: &mut Matched,
) -> Result<Vec<String>, String> {
    let pattern = pattern.strip_prefix(['&', '!']).unwrap_or(pattern);
    if pattern.is_empty() {
        return Ok(Vec::new());
    }
    let (expr, subscript) = split_subscript(pattern);
    let hosts = enumerate(data, expr, matched)?;
    match subscript {
        None => Ok(hosts),
        Some((start, end)) => apply_subscript(&hosts, start, end)
            .ok_or_else(|| format!("No hosts matched the subscripted pattern '{pattern}'")),
    }
}

/// `name[3]`, `name[-1]`, `name[1:3]`, `name[2:]`; regexes have no subscript.
fn split_subscript(pattern: &str) -> (&str, Option<(i64, Option<i64>)>) {
    if pattern.starts_with('~') || !pattern.ends_with(']') {
        return (pattern, None);
    }
    let Some(open) = pattern.rfind('[') else {
        return (pattern, None);
    };
    if open == 0 {
        return (pattern, None);
    }
    let inner = &pattern[open + 1..pattern.len() - 1];
    let is_int = |s: &str| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    };
    let is_uint = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if is_int(inner) {
        return match inner.parse() {
            Ok(i) => (&pattern[..open], Some((i, None))),
            Err(_) => (pattern, None),
        };
    }
    if let Some(sep) = inner.find([':', '-']) {
        let (start, end) = (&inner[..sep], &inner[sep + 1..]);
        if is_uint(start) && (end.is_empty() || is_uint(end)) {
            let start: i64 = start.parse().unwrap_or(0);
            let end: i64 = if end.is_empty() {
                -1
            } else {
                end.parse().unwrap_or(-1)
            };
            return (&pattern[..open], Some((start, Some(end))));
        }
    }
    (pattern, None)
}

/// Python slicing as Ansible uses it: `[i]` one host (negative from the end), `[i:j]`
/// inclusive, `[i:]` to the end. `None` when a single index is out of range.
fn apply_subscript(hosts: &[String], start: i64, end: Option<i64>) -> Option<Vec<String>> {
    if hosts.is_empty() {
        return Some(Vec::new());
    }
    let len = hosts.len() as i64;
    let index = |i: i64| if i < 0 { len + i } else { i };
    match end {
        // `[i:0]` behaves like `[i]` in Ansible (0 is falsy).
        Some(end) if end != 0 => {
            let end = if end == -1 { len - 1 } else { end };
            let from = index(start).clamp(0, len);
            let to = (index(end) + 1).clamp(0, len);
            Some(if from < to {
                hosts[from as usize..to as usize].to_vec()
            } else {
                Vec::new()
            })
        }
        _ => {
            let i = index(start);
            (0..len)
                .contains(&i)
                .then(|| vec![hosts[i as usize].clone()])
        }
    }
}

fn enumerate(
    data: &InventoryData,
    pattern: &str,
    matched: &mut Matched,
) -> Result<Vec<String>, String> {
    let matcher = compile(pattern)?;
    let mut results = Vec::new();
    let groups: Vec<&String> = data.groups.keys().filter(|g| matcher.is_match(g)).collect();
    for group in &groups {
        results.extend(data.group_hosts(group));
    }
    let special = pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']);
    if groups.is_empty() || special {
        results.extend(data.hosts.keys().filter(|h| matcher.is_match(h)).cloned());
    }
    if results.is_empty() && LOCALHOST_NAMES.contains(&pattern) {
        matched.implicit_localhost = Some(pattern.to_string());
        results.push(pattern.to_string());
    }
    if results.is_empty() && groups.is_empty() && pattern != "all" {
        matched.unmatched.push(pattern.to_string());
    }
    Ok(results)
}

/// A glob (fnmatch, whole name) or `~regex` (matched at the start) as a regex.
fn compile(pattern: &str) -> Result<Regex, String> {
    let source = match pattern.strip_prefix('~') {
        Some(regex) => format!("^(?:{regex})"),
        None => format!("^(?s:{})\\z", glob_to_regex(pattern)),
    };
    Regex::new(&source).map_err(|_| format!("Invalid host list pattern: {pattern}"))
}

/// Python's `fnmatch.translate` (without the anchors).
fn glob_to_regex(glob: &str) -> String {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                while chars.get(i) == Some(&'*') {
                    i += 1;
                }
                out.push_str(".*");
            }
            '?' => out.push('.'),
            '[' => {
                let mut j = i;
                if chars.get(j) == Some(&'!') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push_str("\\[");
                } else {
                    let mut body: String = chars[i..j].iter().collect();
                    i = j + 1;
                    if let Some(rest) = body.strip_prefix('!') {
                        body = format!("^{rest}");
                    } else if body.starts_with('^') {
                        body = format!("\\{body}");
                    }
                    let body = body.replace('\\', "\\\\").replace("\\\\^", "\\^");
                    let body = body
                        .replace('[', "\\[")
                        .replace("&&", "\\&\\&")
                        .replace("~~", "\\~\\~");
                    out.push('[');
                    out.push_str(&body);
                    out.push(']');
                }
            }
            other => out.push_str(&regex::escape(&other.to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HashBehaviour;

    /// The inventory of semantics-lab/inv1 (hosts in file order).
    fn inv1() -> InventoryData {
        let mut d = InventoryData::new(HashBehaviour::Replace);
        d.add_host("lonely", Some("ungrouped"), None).unwrap();
        for g in ["web", "db", "prod"] {
            d.add_group(g);
        }
        for h in [
            "web01",
            "web02",
            "web03",
            "weba.example.com",
            "webb.example.com",
            "webc.example.com",
            "host2",
        ] {
            d.add_host(h, Some("web"), None).unwrap();
        }
        d.add_host("db1", Some("db"), None).unwrap();
        d.add_child_group("prod", "web").unwrap();
        d.add_child_group("prod", "db").unwrap();
        d.reconcile();
        d
    }

    fn run(pattern: &str) -> Vec<String> {
        evaluate(&inv1(), &split_host_pattern(pattern))
            .unwrap()
            .hosts
    }

    #[test]
    fn splitting() {
        assert_eq!(split_host_pattern("web:!web02"), vec!["web", "!web02"]);
        assert_eq!(split_host_pattern("a, b ,c"), vec!["a", "b", "c"]);
        assert_eq!(split_host_pattern("web[1:2]"), vec!["web[1:2]"]);
        assert_eq!(split_host_pattern("prod:&web"), vec!["prod", "&web"]);
        assert_eq!(split_host_pattern("::1"), vec!["::1"]);
    }

    #[test]
    fn patterns_like_ansible() {
        assert_eq!(run("web:!web02").len(), 6);
        assert!(!run("web:!web02").contains(&"web02".to_string()));
        assert_eq!(run("web[1:2]"), vec!["web02", "web03"]);
        assert_eq!(run("web[0]"), vec!["web01"]);
        assert_eq!(run("web[-1]"), vec!["host2"]);
        assert_eq!(run("web[5:]"), vec!["webc.example.com", "host2"]);
        assert_eq!(run("~web0[12]"), vec!["web01", "web02"]);
        assert_eq!(run("prod:!web"), vec!["db1"]);
        assert_eq!(run("web*.example.com").len(), 3);
        assert_eq!(run("db,lonely"), vec!["db1", "lonely"]);
        assert_eq!(run("!web").len(), 2);
        assert_eq!(run("all:&db"), vec!["db1"]);
        assert_eq!(run("*").len(), 9);
        // A subscript, not a glob: `web0` matches nothing (Ansible warns and goes on).
        assert!(run("web0[12]").is_empty());
        assert_eq!(run("web[1:0]"), vec!["web02"]);
    }

    #[test]
    fn unmatched_and_localhost() {
        let m = evaluate(&inv1(), &split_host_pattern("nosuch,localhost")).unwrap();
        assert_eq!(m.unmatched, vec!["nosuch"]);
        assert_eq!(m.hosts, vec!["localhost"]);
        assert_eq!(m.implicit_localhost.as_deref(), Some("localhost"));
        assert!(evaluate(&inv1(), &["web[99]".to_string()]).is_err());
        assert!(evaluate(&inv1(), &["~(".to_string()]).is_err());
    }
}
