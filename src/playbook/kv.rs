//! Ansible's `k=v` argument strings (`copy: src=a dest="/b c"`, `-e n=5`, `radhoc -a`): splitting
//! into tokens that keep quotes and `{{ }}` groups whole, then into keys and values (all strings).
//! Free-form modules keep every token that is not one of their few options in `_raw_params`.

use serde_json::{Map, Value};

/// Options that free-form modules (command, shell...) accept as `k=v` inside their text.
const FREE_FORM_OPTIONS: &[&str] = &[
    "creates",
    "removes",
    "chdir",
    "executable",
    "warn",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
];

/// Splits an argument string on whitespace, keeping quoted parts and Jinja blocks (`{{ }}`,
/// `{% %}`, `{# #}`) whole. Tokens keep their quotes.
pub fn split_args(text: &str) -> Result<Vec<String>, String> {
    Ok(split_args_spans(text)?
        .into_iter()
        .map(|(t, _, _)| t)
        .collect())
}

/// Like [`split_args`], with each token's character range in `text`.
pub fn split_args_spans(text: &str) -> Result<Vec<(String, usize, usize)>, String> {
    let mut tokens = Vec::new();
    let mut start = 0usize;
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if let Some(q) = quote {
            current.push(c);
            if c == '\\' {
                if let Some(n) = next {
                    current.push(n);
                    i += 2;
                    continue;
                }
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == '{' && matches!(next, Some('{') | Some('%') | Some('#')) {
            depth += 1;
            current.push(c);
            current.push(next.unwrap_or('{'));
            i += 2;
            continue;
        }
        if depth > 0 && matches!(c, '}' | '%' | '#') && next == Some('}') {
            depth -= 1;
            current.push(c);
            current.push('}');
            i += 2;
            continue;
        }
        if depth == 0 && (c == '"' || c == '\'') {
            quote = Some(c);
            current.push(c);
            i += 1;
            continue;
        }
        if depth == 0 && c.is_whitespace() {
            if !current.is_empty() {
                tokens.push((std::mem::take(&mut current), start, i));
            }
            i += 1;
            start = i;
            continue;
        }
        current.push(c);
        i += 1;
    }
    if quote.is_some() {
        return Err(format!(
            "failed at splitting arguments, either an unbalanced jinja2 block or quotes: {text}"
        ));
    }
    if depth > 0 {
        return Err(format!(
            "failed at splitting arguments, either an unbalanced jinja2 block or quotes: {text}"
        ));
    }
    if !current.is_empty() {
        tokens.push((current, start, chars.len()));
    }
    Ok(tokens)
}

/// Removes one pair of matching surrounding quotes.
pub fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Decodes Python-style backslash escapes (`\n`, `\t`, `\\`, `\"`, `\uXXXX`...).
pub fn decode_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('n') => push_skip(&mut out, &mut chars, '\n'),
            Some('t') => push_skip(&mut out, &mut chars, '\t'),
            Some('r') => push_skip(&mut out, &mut chars, '\r'),
            Some('a') => push_skip(&mut out, &mut chars, '\x07'),
            Some('b') => push_skip(&mut out, &mut chars, '\x08'),
            Some('f') => push_skip(&mut out, &mut chars, '\x0c'),
            Some('v') => push_skip(&mut out, &mut chars, '\x0b'),
            Some('\\') => push_skip(&mut out, &mut chars, '\\'),
            Some('\'') => push_skip(&mut out, &mut chars, '\''),
            Some('"') => push_skip(&mut out, &mut chars, '"'),
            Some(k @ ('u' | 'U' | 'x')) => {
                let len = match k {
                    'u' => 4,
                    'U' => 8,
                    _ => 2,
                };
                let rest: String = chars.clone().skip(1).take(len).collect();
                match u32::from_str_radix(&rest, 16).ok().and_then(char::from_u32) {
                    Some(ch) if rest.len() == len => {
                        out.push(ch);
                        for _ in 0..=len {
                            chars.next();
                        }
                    }
                    _ => out.push('\\'),
                }
            }
            _ => out.push('\\'),
        }
    }
    out
}

fn push_skip(out: &mut String, chars: &mut std::iter::Peekable<std::str::Chars<'_>>, c: char) {
    out.push(c);
    chars.next();
}

/// Parses `k=v` text into a map of string values. With `check_raw` (free-form modules), tokens
/// that are not `k=v` options of the module go to `_raw_params`, joined by spaces, quotes kept.
pub fn parse_kv(text: &str, check_raw: bool) -> Result<Map<String, Value>, String> {
    let mut options = Map::new();
    let mut raw_params: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut option_spans: Vec<(usize, usize)> = Vec::new();
    for (orig, tok_start, tok_end) in split_args_spans(text)? {
        let x = decode_escapes(&orig);
        let pos = x
            .char_indices()
            .skip(1)
            .find(|&(i, c)| c == '=' && !x[..i].ends_with('\\'))
            .map(|(i, _)| i);
        let Some(pos) = pos else {
            if check_raw || !x.contains('=') {
                raw_params.push(orig);
            } else {
                raw_params.push(x.replace("\\=", "="));
            }
            continue;
        };
        let key = x[..pos].trim();
        let value = x[pos + 1..].trim();
        if check_raw && !FREE_FORM_OPTIONS.contains(&key) {
            raw_params.push(orig);
        } else {
            option_spans.push((tok_start, tok_end));
            options.insert(key.to_string(), Value::String(unquote(value).to_string()));
        }
    }
    if check_raw && !raw_params.is_empty() {
        // Free-form text keeps its own spacing and line breaks; only the options are cut out.
        let kept: String = chars
            .iter()
            .enumerate()
            .filter(|(i, _)| !option_spans.iter().any(|(a, b)| i >= a && i < b))
            .map(|(_, c)| *c)
            .collect();
        options.insert("_raw_params".into(), Value::String(kept.trim().to_string()));
    } else if !raw_params.is_empty() {
        options.insert("_raw_params".into(), Value::String(raw_params.join(" ")));
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_keeping_quotes_and_jinja() {
        let t = split_args(r#"a=1 b="x y" c={{ foo | default('p q') }} d='z'"#).unwrap();
        assert_eq!(
            t,
            vec!["a=1", "b=\"x y\"", "c={{ foo | default('p q') }}", "d='z'"]
        );
        assert!(split_args("a=\"open").is_err());
    }

    #[test]
    fn kv_values_are_unquoted_strings() {
        let m = parse_kv(r#"path=/tmp/x mode=0644 msg="a b" n=5"#, false).unwrap();
        assert_eq!(m["path"], "/tmp/x");
        assert_eq!(m["mode"], "0644");
        assert_eq!(m["msg"], "a b");
        assert_eq!(m["n"], "5");
    }

    #[test]
    fn free_form_keeps_raw_params() {
        let m = parse_kv("echo hi creates=/tmp/x chdir=/tmp", true).unwrap();
        assert_eq!(m["_raw_params"], "echo hi");
        assert_eq!(m["creates"], "/tmp/x");
        assert_eq!(m["chdir"], "/tmp");
        let m = parse_kv(r#"echo "a=b c" foo=bar"#, true).unwrap();
        assert_eq!(m["_raw_params"], r#"echo "a=b c" foo=bar"#);
        let m = parse_kv("a\nb  c creates=/x\n", true).unwrap();
        assert_eq!(m["_raw_params"], "a\nb  c");
    }

    #[test]
    fn escapes_are_decoded() {
        let m = parse_kv(r#"msg="a\nb" x=c\=d"#, false).unwrap();
        assert_eq!(m["msg"], "a\nb");
        assert_eq!(m["x"], "c\\=d");
    }
}
