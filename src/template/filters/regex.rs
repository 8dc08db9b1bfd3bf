//! Regular-expression filters with Python `re` semantics: `regex_replace`, `regex_search`,
//! `regex_findall`, `regex_escape`. Python patterns and replacement strings (`\1`, `\g<name>`) are
//! translated to the `regex` crate's syntax; compiled patterns are cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use minijinja::value::{Rest, Value, ValueOrKwargs};
use minijinja::{Environment, Error};
use regex::{Regex, RegexBuilder};

use super::core::{py_str, split_kwargs};
use super::fail;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_escape", |s: &Value| regex_escape(&py_str(s)));
}

/// Compiled patterns by (pattern, ignorecase, multiline).
type RegexCache = HashMap<(String, bool, bool), Arc<Regex>>;

/// Compiles a Python regular expression (cached).
pub(crate) fn compile(
    pattern: &str,
    ignorecase: bool,
    multiline: bool,
) -> Result<Arc<Regex>, Error> {
    static CACHE: OnceLock<Mutex<RegexCache>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (pattern.to_string(), ignorecase, multiline);
    if let Ok(guard) = cache.lock() {
        if let Some(re) = guard.get(&key) {
            return Ok(re.clone());
        }
    }
    let re = RegexBuilder::new(&translate_pattern(pattern))
        .case_insensitive(ignorecase)
        .multi_line(multiline)
        .build()
        .map_err(|e| fail(format!("invalid regular expression '{pattern}': {e}")))?;
    let re = Arc::new(re);
    if let Ok(mut guard) = cache.lock() {
        if guard.len() > 1000 {
            guard.clear();
        }
        guard.insert(key, re.clone());
    }
    Ok(re)
}

/// Python-only pattern syntax → `regex` crate syntax (`\Z` → `\z`).
fn translate_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('Z') => out.push_str("\\z"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Python replacement string (`\1`, `\g<1>`, `\g<name>`, `\n`) → `regex` crate syntax.
fn translate_replacement(repl: &str) -> String {
    let mut out = String::with_capacity(repl.len());
    let mut chars = repl.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    let mut num = String::new();
                    while let Some(&d) = chars.peek() {
                        if d.is_ascii_digit() && num.len() < 2 {
                            num.push(d);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    out.push_str(&format!("${{{num}}}"));
                }
                Some('g') => {
                    chars.next();
                    if chars.peek() == Some(&'<') {
                        chars.next();
                        let mut name = String::new();
                        for n in chars.by_ref() {
                            if n == '>' {
                                break;
                            }
                            name.push(n);
                        }
                        out.push_str(&format!("${{{name}}}"));
                    } else {
                        out.push_str("\\g");
                    }
                }
                Some('n') => {
                    chars.next();
                    out.push('\n');
                }
                Some('t') => {
                    chars.next();
                    out.push('\t');
                }
                Some('r') => {
                    chars.next();
                    out.push('\r');
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

fn flag(kwargs: &Option<minijinja::value::Kwargs>, name: &str) -> bool {
    kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
        .map(|v| v.is_true())
        .unwrap_or(false)
}

/// `regex_replace(pattern, replacement='', ignorecase=False, multiline=False, count=0)`.
fn regex_replace(value: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let text = if value.is_none() || value.is_undefined() {
        String::new()
    } else {
        py_str(value)
    };
    let pattern = args.first().map(py_str).unwrap_or_default();
    let repl = args.get(1).map(py_str).unwrap_or_default();
    let ignorecase =
        args.get(2).map(|v| v.is_true()).unwrap_or(false) || flag(&kwargs, "ignorecase");
    let multiline = args.get(3).map(|v| v.is_true()).unwrap_or(false) || flag(&kwargs, "multiline");
    let count = kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<i64>>("count").ok().flatten())
        .unwrap_or(0);
    let re = compile(&pattern, ignorecase, multiline)?;
    let repl = translate_replacement(&repl);
    Ok(re
        .replacen(&text, count.max(0) as usize, repl.as_str())
        .into_owned())
}

/// `regex_search(pattern, *groups, ignorecase=False, multiline=False)`: the match, or a list of
/// the requested groups, or `None`.
fn regex_search(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let text = py_str(value);
    let pattern = args.first().map(py_str).unwrap_or_default();
    let re = compile(
        &pattern,
        flag(&kwargs, "ignorecase"),
        flag(&kwargs, "multiline"),
    )?;
    let Some(caps) = re.captures(&text) else {
        return Ok(Value::from(()));
    };
    if args.len() <= 1 {
        return Ok(Value::from(
            caps.get(0).map(|m| m.as_str()).unwrap_or_default(),
        ));
    }
    let mut items = Vec::new();
    for arg in &args[1..] {
        let a = py_str(arg);
        let group = if let Some(name) = a.strip_prefix("\\g<").and_then(|s| s.strip_suffix('>')) {
            match name.parse::<usize>() {
                Ok(i) => caps.get(i),
                Err(_) => caps.name(name),
            }
        } else if let Some(num) = a.strip_prefix('\\') {
            let i: usize = num.parse().map_err(|_| fail("Unknown argument"))?;
            caps.get(i)
        } else {
            return Err(fail("Unknown argument"));
        };
        items.push(match group {
            Some(m) => Value::from(m.as_str()),
            None => Value::from(()),
        });
    }
    Ok(Value::from(items))
}

/// `regex_findall(pattern, multiline=False, ignorecase=False)`: Python `re.findall`.
fn regex_findall(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let text = py_str(value);
    let pattern = args.first().map(py_str).unwrap_or_default();
    let multiline = args.get(1).map(|v| v.is_true()).unwrap_or(false) || flag(&kwargs, "multiline");
    let ignorecase =
        args.get(2).map(|v| v.is_true()).unwrap_or(false) || flag(&kwargs, "ignorecase");
    let re = compile(&pattern, ignorecase, multiline)?;
    let groups = re.captures_len() - 1;
    let mut out = Vec::new();
    for caps in re.captures_iter(&text) {
        let g = |i: usize| Value::from(caps.get(i).map(|m| m.as_str()).unwrap_or_default());
        out.push(match groups {
            0 => g(0),
            1 => g(1),
            n => Value::from((1..=n).map(g).collect::<Vec<_>>()),
        });
    }
    Ok(Value::from(out))
}

/// Python's `re.escape`.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "()[]{}?*+-|^$\\.&~# \t\n\r\u{b}\u{c}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_backrefs_translate() {
        assert_eq!(translate_replacement("\\1-\\g<name>$"), "${1}-${name}$$");
        let re = compile("^(\\w+)@(\\w+)$", false, false).ok();
        let out = re.map(|r| {
            r.replace("me@host", translate_replacement("\\2/\\1").as_str())
                .into_owned()
        });
        assert_eq!(out.as_deref(), Some("host/me"));
    }

    #[test]
    fn escape_matches_python() {
        assert_eq!(regex_escape("a.b*c"), "a\\.b\\*c");
    }
}
