//! Python `ast.literal_eval` for INI inventory values: Ansible types `port=8080`, `x=True`,
//! `l=[1,2]` and `s='quoted'` by evaluating them as Python literals and keeps the raw text when
//! that fails (so `yes`, `true`, `0644` and `abc # note` stay strings, while `8080 # note` is
//! the integer 8080 because `#` starts a Python comment).
//!
//! Supported: ints (`1_000`, `0x1F`, `0o17`, `0b11`, one sign), floats (`1.5`, `.5`, `1e3`),
//! strings (quotes, triple quotes, `r`/`u`/`b` prefixes, escapes, adjacent concatenation),
//! `True`/`False`/`None`, lists, tuples (→ lists), dicts, sets (→ lists). Complex numbers and
//! anything else are not literals here, and the caller keeps the text.

use serde_json::{Map, Number, Value};

/// Evaluates `text` as a Python literal; `None` when it is not one.
pub(crate) fn literal_eval(text: &str) -> Option<Value> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
    };
    parser.skip_space();
    let value = parser.top()?;
    parser.skip_space();
    (parser.pos == parser.chars.len()).then_some(value)
}

/// The Python value a literal denotes, with what JSON cannot keep apart (tuple vs list).
struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    /// Skips spaces, tabs, newlines (inside brackets) and `#` comments.
    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' || c == '\x0c' {
                self.pos += 1;
            } else if c == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn skip_space_and_newlines(&mut self) {
        loop {
            self.skip_space();
            if matches!(self.peek(), Some('\n' | '\r')) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The top level allows a bare tuple: `1, 2`.
    fn top(&mut self) -> Option<Value> {
        let first = self.value(false)?;
        self.skip_space();
        if self.peek() != Some(',') {
            return Some(first);
        }
        let mut items = vec![first];
        while self.peek() == Some(',') {
            self.pos += 1;
            self.skip_space();
            if self.peek().is_none() {
                break;
            }
            items.push(self.value(false)?);
            self.skip_space();
        }
        Some(Value::Array(items))
    }

    fn value(&mut self, nested: bool) -> Option<Value> {
        if nested {
            self.skip_space_and_newlines();
        } else {
            self.skip_space();
        }
        let c = self.peek()?;
        match c {
            '[' => self.sequence(']'),
            '(' => self.sequence(')'),
            '{' => self.braces(),
            '-' | '+' => {
                self.pos += 1;
                self.skip_space();
                let number = self.number()?;
                if c == '-' {
                    negate(number)
                } else {
                    Some(number)
                }
            }
            '0'..='9' | '.' => self.number(),
            '\'' | '"' => self.strings(),
            _ if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "True" => Some(Value::Bool(true)),
                    "False" => Some(Value::Bool(false)),
                    "None" => Some(Value::Null),
                    _ if matches!(self.peek(), Some('\'' | '"')) && is_string_prefix(&word) => {
                        self.pos = start;
                        self.strings()
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `[a, b]` or `(a, b)` (a parenthesised single value without comma is just the value).
    fn sequence(&mut self, close: char) -> Option<Value> {
        self.pos += 1;
        let mut items = Vec::new();
        let mut saw_comma = false;
        loop {
            self.skip_space_and_newlines();
            if self.peek() == Some(close) {
                self.pos += 1;
                break;
            }
            items.push(self.value(true)?);
            self.skip_space_and_newlines();
            match self.peek()? {
                ',' => {
                    saw_comma = true;
                    self.pos += 1;
                }
                c if c == close => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        if close == ')' && items.len() == 1 && !saw_comma {
            return items.pop();
        }
        Some(Value::Array(items))
    }

    /// `{k: v, ...}` (dict) or `{a, b}` (set, shown as a list).
    fn braces(&mut self) -> Option<Value> {
        self.pos += 1;
        self.skip_space_and_newlines();
        if self.peek() == Some('}') {
            self.pos += 1;
            return Some(Value::Object(Map::new()));
        }
        let first = self.value(true)?;
        self.skip_space_and_newlines();
        if self.peek() == Some(':') {
            let mut map = Map::new();
            let mut key = first;
            loop {
                self.pos += 1; // ':'
                let value = self.value(true)?;
                map.insert(key_text(&key)?, value);
                self.skip_space_and_newlines();
                match self.peek()? {
                    ',' => {
                        self.pos += 1;
                        self.skip_space_and_newlines();
                        if self.peek() == Some('}') {
                            self.pos += 1;
                            return Some(Value::Object(map));
                        }
                        key = self.value(true)?;
                        self.skip_space_and_newlines();
                        if self.peek() != Some(':') {
                            return None;
                        }
                    }
                    '}' => {
                        self.pos += 1;
                        return Some(Value::Object(map));
                    }
                    _ => return None,
                }
            }
        }
        let mut items = vec![first];
        loop {
            self.skip_space_and_newlines();
            match self.peek()? {
                ',' => {
                    self.pos += 1;
                    self.skip_space_and_newlines();
                    if self.peek() == Some('}') {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value(true)?);
                }
                '}' => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        let mut unique: Vec<Value> = Vec::new();
        for item in items {
            if !unique.contains(&item) {
                unique.push(item);
            }
        }
        Some(Value::Array(unique))
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            || (matches!(self.peek(), Some('+' | '-'))
                && matches!(self.chars.get(self.pos.wrapping_sub(1)), Some('e' | 'E'))
                && !self.chars[start..self.pos]
                    .iter()
                    .any(|c| matches!(c, 'x' | 'X')))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        python_number(&text)
    }

    /// One or more adjacent string literals, concatenated.
    fn strings(&mut self) -> Option<Value> {
        let mut out = String::new();
        let mut any = false;
        loop {
            self.skip_space();
            let start = self.pos;
            let mut prefix = String::new();
            while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                prefix.push(self.peek()?);
                self.pos += 1;
            }
            if !matches!(self.peek(), Some('\'' | '"')) || !is_string_prefix(&prefix) {
                self.pos = start;
                break;
            }
            let raw = prefix.to_ascii_lowercase().contains('r');
            out.push_str(&self.string_body(raw)?);
            any = true;
        }
        any.then_some(Value::String(out))
    }

    fn string_body(&mut self, raw: bool) -> Option<String> {
        let quote = self.peek()?;
        let triple = self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote);
        self.pos += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            if c == quote {
                if !triple {
                    self.pos += 1;
                    return Some(out);
                }
                if self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote) {
                    self.pos += 3;
                    return Some(out);
                }
            }
            if c == '\n' && !triple {
                return None;
            }
            if c == '\\' {
                let next = self.peek_at(1)?;
                if raw {
                    out.push('\\');
                    out.push(next);
                    self.pos += 2;
                    continue;
                }
                self.pos += 2;
                match next {
                    '\n' => {}
                    '\\' => out.push('\\'),
                    '\'' => out.push('\''),
                    '"' => out.push('"'),
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'f' => out.push('\x0c'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\x0b'),
                    'x' => out.push(self.hex_escape(2)?),
                    'u' => out.push(self.hex_escape(4)?),
                    'U' => out.push(self.hex_escape(8)?),
                    '0'..='7' => {
                        let mut value = next.to_digit(8)?;
                        for _ in 0..2 {
                            match self.peek().and_then(|c| c.to_digit(8)) {
                                Some(d) => {
                                    value = value * 8 + d;
                                    self.pos += 1;
                                }
                                None => break,
                            }
                        }
                        out.push(char::from_u32(value)?);
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                continue;
            }
            out.push(c);
            self.pos += 1;
        }
    }

    fn hex_escape(&mut self, digits: usize) -> Option<char> {
        let text: String = self
            .chars
            .get(self.pos..self.pos + digits)?
            .iter()
            .collect();
        let value = u32::from_str_radix(&text, 16).ok()?;
        self.pos += digits;
        char::from_u32(value)
    }
}

fn is_string_prefix(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "" | "r" | "u" | "b" | "br" | "rb"
    )
}

fn negate(value: Value) -> Option<Value> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(Value::from(i.checked_neg()?))
            } else {
                Number::from_f64(-n.as_f64()?).map(Value::Number)
            }
        }
        _ => None,
    }
}

/// A Python int or float literal (no sign).
fn python_number(text: &str) -> Option<Value> {
    if text.is_empty() || text.ends_with('_') || text.contains("__") {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            let digits = digits.strip_prefix('_').unwrap_or(digits);
            if digits.is_empty() || digits.starts_with('_') {
                return None;
            }
            let cleaned: String = digits.chars().filter(|&c| c != '_').collect();
            return i64::from_str_radix(&cleaned, radix).ok().map(Value::from);
        }
    }
    let is_float = lower.contains(['.', 'e']);
    if lower.ends_with('j') {
        return None;
    }
    if !lower
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '_' | '.' | 'e' | '+' | '-'))
    {
        return None;
    }
    // Underscores only between digits.
    let chars: Vec<char> = lower.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            let before = i.checked_sub(1).and_then(|j| chars.get(j));
            let after = chars.get(i + 1);
            if !before.is_some_and(|b| b.is_ascii_digit())
                || !after.is_some_and(|a| a.is_ascii_digit())
            {
                return None;
            }
        }
    }
    let cleaned: String = lower.chars().filter(|&c| c != '_').collect();
    if is_float {
        let value: f64 = cleaned.parse().ok()?;
        Number::from_f64(value).map(Value::Number)
    } else {
        // Python 3 rejects leading zeros in non-zero decimals (`0644`, `08`).
        if cleaned.len() > 1 && cleaned.starts_with('0') && cleaned.chars().any(|c| c != '0') {
            return None;
        }
        match cleaned.parse::<i64>() {
            Ok(i) => Some(Value::from(i)),
            Err(_) => cleaned
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number),
        }
    }
}

/// A dict key as JSON shows it (`1` → `"1"`, `True` → `"true"`, `None` → `"null"`).
fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Expected values from `/tmp/ansvenv/bin/python -c 'import ast; ast.literal_eval(...)'`.
    #[test]
    fn matches_python_literal_eval() {
        let cases = [
            ("8080 # x", Some(json!(8080))),
            ("abc # x", None),
            ("0644", None),
            ("08", None),
            ("1_000", Some(json!(1000))),
            ("0x1F", Some(json!(31))),
            ("1e3", Some(json!(1000.0))),
            ("True", Some(json!(true))),
            ("true", None),
            ("None", Some(json!(null))),
            ("[1,2]", Some(json!([1, 2]))),
            (r#"{"a":1}"#, Some(json!({"a": 1}))),
            ("(1,2)", Some(json!([1, 2]))),
            ("1,2", Some(json!([1, 2]))),
            ("-5", Some(json!(-5))),
            ("'a' 'b'", Some(json!("ab"))),
            ("u'x'", Some(json!("x"))),
            (" 5", Some(json!(5))),
            ("5 ", Some(json!(5))),
            ("1.5", Some(json!(1.5))),
            ("+3", Some(json!(3))),
            ("1j", None),
            ("{1,2}", Some(json!([1, 2]))),
            ("\"\"", Some(json!(""))),
            ("3 4", None),
            ("0o17", Some(json!(15))),
            ("0b11", Some(json!(3))),
            ("1.", Some(json!(1.0))),
            (".5", Some(json!(0.5))),
            ("-0", Some(json!(0))),
            ("not", None),
            ("a=b", None),
            ("yes", None),
            ("'03#pa'", Some(json!("03#pa"))),
            ("'a\\nb'", Some(json!("a\nb"))),
            ("r'a\\nb'", Some(json!("a\\nb"))),
            (
                "{'k': [1, {'n': None}]}",
                Some(json!({"k": [1, {"n": null}]})),
            ),
            ("[1, 2,]", Some(json!([1, 2]))),
            ("(5)", Some(json!(5))),
            ("--5", None),
            ("1__0", None),
            ("10.0.0.1", None),
            ("/usr/bin/python3", None),
        ];
        for (text, expected) in cases {
            assert_eq!(literal_eval(text), expected, "{text:?}");
        }
    }
}
