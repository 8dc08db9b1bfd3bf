//! JSON text exactly as Python's `json.dumps(..., sort_keys=True, ensure_ascii=False)` writes it,
//! compact (`{"a": 1, "b": [1, 2]}`) or indented by 4: the form Ansible's callbacks print.
//! Also Python's `str()` of values, used for loop item labels (`(item={'key': 'a'})`) and
//! `rinventory --graph --vars`. One writer for the engine's output and the inventory listings.

use serde_json::Value;

use crate::yaml::Timestamp;

/// One-line JSON with `", "` and `": "` separators and sorted keys.
pub fn compact(v: &Value) -> String {
    let mut out = String::new();
    write(v, None, 0, &mut out);
    out
}

/// JSON as Python writes it with `indent=0` and the newlines removed (ad-hoc `-o`):
/// `{"changed": false,"ping": "pong"}`.
pub fn oneline(v: &Value) -> String {
    let mut out = String::new();
    write(v, Some(0), 0, &mut out);
    out.replace('\n', "")
}

/// JSON indented by 4 spaces with sorted keys.
pub fn pretty(v: &Value) -> String {
    let mut out = String::new();
    write(v, Some(4), 0, &mut out);
    out
}

fn write(v: &Value, indent: Option<usize>, level: usize, out: &mut String) {
    // A YAML date or datetime is written as Ansible's JSON encoder does: `isoformat()`.
    if let Some(ts) = Timestamp::from_json(v) {
        write_str(&ts.isoformat(), out);
        return;
    }
    match v {
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                separator(i, indent, level + 1, out);
                write_str(k, out);
                out.push_str(": ");
                write(&map[k.as_str()], indent, level + 1, out);
            }
            close(indent, level, out);
            out.push('}');
        }
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(i, indent, level + 1, out);
                write(item, indent, level + 1, out);
            }
            close(indent, level, out);
            out.push(']');
        }
        Value::String(s) => write_str(s, out),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&python_number(n)),
    }
}

/// Python's text of an int or float as `json.dumps` writes it (`1.0`, `1e+16`, `Infinity`).
fn python_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    python_float(n.as_f64().unwrap_or(0.0))
}

fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        // Python switches to exponent notation: 1e+16, 1.5e-05.
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let exp: i32 = exponent.parse().unwrap_or(0);
        return format!(
            "{mantissa}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        );
    }
    let text = format!("{f}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

fn separator(i: usize, indent: Option<usize>, level: usize, out: &mut String) {
    match indent {
        Some(width) => {
            if i > 0 {
                out.push(',');
            }
            out.push('\n');
            out.push_str(&" ".repeat(width * level));
        }
        None => {
            if i > 0 {
                out.push_str(", ");
            }
        }
    }
}

fn close(indent: Option<usize>, level: usize, out: &mut String) {
    if let Some(width) = indent {
        out.push('\n');
        out.push_str(&" ".repeat(width * level));
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `str()` of a value: strings as they are at the top level, containers with `repr`
/// of their elements (`['a', 1]`, `{'key': 'a', 'value': True}`).
pub fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => match Timestamp::from_json(other) {
            Some(ts) => ts.python_str(),
            None => python_repr(other),
        },
    }
}

/// Python's `repr()` of a value.
pub fn python_repr(v: &Value) -> String {
    if let Some(ts) = Timestamp::from_json(v) {
        return ts.python_repr();
    }
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => python_number(n),
        Value::String(s) => repr_str(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", repr_str(k), python_repr(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_sorts_keys_with_python_separators() {
        let v = json!({"msg": "boom", "changed": false, "l": [1, 2.0, null]});
        assert_eq!(
            compact(&v),
            r#"{"changed": false, "l": [1, 2.0, null], "msg": "boom"}"#
        );
    }

    #[test]
    fn pretty_indents_by_four() {
        let v = json!({"msg": "h2", "x": {"a": [], "b": {}}});
        assert_eq!(
            pretty(&v),
            "{\n    \"msg\": \"h2\",\n    \"x\": {\n        \"a\": [],\n        \"b\": {}\n    }\n}"
        );
    }

    #[test]
    fn oneline_matches_indent_zero() {
        let v = json!({"ping": "pong", "changed": false});
        assert_eq!(oneline(&v), r#"{"changed": false,"ping": "pong"}"#);
    }

    #[test]
    fn python_str_of_items() {
        assert_eq!(python_str(&json!("a")), "a");
        assert_eq!(python_str(&json!(["a", 1])), "['a', 1]");
        assert_eq!(
            python_str(&json!({"key": "a", "value": true})),
            "{'key': 'a', 'value': True}"
        );
        assert_eq!(python_repr(&json!("it's")), "\"it's\"");
    }

    #[test]
    fn dates_as_python_shows_them() {
        let d = json!({"__rplay_timestamp": "2024-01-02T10:00:00"});
        assert_eq!(compact(&json!({"d": d})), r#"{"d": "2024-01-02T10:00:00"}"#);
        assert_eq!(python_str(&d), "2024-01-02 10:00:00");
        assert_eq!(
            python_str(&json!([d])),
            "[datetime.datetime(2024, 1, 2, 10, 0)]"
        );
    }
}
