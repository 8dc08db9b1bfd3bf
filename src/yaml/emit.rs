//! Writing JSON-like values as YAML the way PyYAML's `yaml.dump(default_flow_style=False)`
//! does (sorted keys, two-space indent, sequences not indented under their key, strings quoted
//! only when they would otherwise read back as something else), for `rinventory --yaml`.

use serde_json::Value;

use super::scalar::{resolve_plain, Resolved};
use super::timestamp::Timestamp;

/// True for a date or datetime: written as a scalar, not as the mapping that carries it.
fn is_timestamp(value: &Value) -> bool {
    Timestamp::from_json(value).is_some()
}

/// The block-style YAML text of `value`, ending with a newline.
pub fn to_yaml_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() && !is_timestamp(value) => {
            write_map(map, 0, &mut out)
        }
        Value::Array(items) if !items.is_empty() => write_seq(items, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn write_map(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string(key));
        out.push(':');
        match &map[key] {
            Value::Object(inner) if !inner.is_empty() && !is_timestamp(&map[key]) => {
                out.push('\n');
                write_map(inner, indent + 2, out);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(items, indent, out);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn write_seq(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Value::Object(inner) if !inner.is_empty() && !is_timestamp(item) => {
                // First key on the dash line, the rest aligned under it.
                let mut nested = String::new();
                write_map(inner, indent + 2, &mut nested);
                out.push(' ');
                out.push_str(nested.trim_start());
            }
            Value::Array(inner) if !inner.is_empty() => {
                let mut nested = String::new();
                write_seq(inner, indent + 2, &mut nested);
                out.push(' ');
                out.push_str(nested.trim_start());
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn scalar(value: &Value) -> String {
    // PyYAML writes dates plain: `2024-01-02`, `2024-01-02 10:00:00+00:00`.
    if let Some(ts) = Timestamp::from_json(value) {
        return ts.python_str();
    }
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => float(f),
            _ => n.to_string(),
        },
        Value::String(s) => string(s),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

fn float(f: f64) -> String {
    if f.is_nan() {
        ".nan".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { ".inf" } else { "-.inf" }.to_string()
    } else {
        let text = format!("{f:?}");
        if text.contains(['.', 'e']) {
            text
        } else {
            format!("{text}.0")
        }
    }
}

fn string(s: &str) -> String {
    if is_plain_safe(s) {
        return s.to_string();
    }
    if s.chars().any(|c| c.is_control()) {
        return serde_json::to_string(s).unwrap_or_else(|_| format!("'{}'", s.replace('\'', "''")));
    }
    format!("'{}'", s.replace('\'', "''"))
}

fn is_plain_safe(s: &str) -> bool {
    if s.is_empty() || s.trim() != s || s.chars().any(|c| c.is_control()) {
        return false;
    }
    if resolve_plain(s) != Resolved::Str || looks_like_timestamp(s) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    !(s.contains(": ") || s.contains(" #") || s.ends_with(':'))
}

/// `YYYY-MM-DD` (optionally with a time), which YAML 1.1 reads as a timestamp.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn block_style_like_pyyaml() {
        let v = json!({"all": {"children": {"web": {"hosts": {"h1": {"port": 22, "l": [1, "yes"], "e": {}, "s": "a: b", "d": "2001-01-01", "o": "0644"}}}}}});
        let expected = "all:\n  children:\n    web:\n      hosts:\n        h1:\n          d: '2001-01-01'\n          e: {}\n          l:\n          - 1\n          - 'yes'\n          o: '0644'\n          port: 22\n          s: 'a: b'\n";
        assert_eq!(to_yaml_string(&v), expected);
    }

    #[test]
    fn dates_are_plain_scalars() {
        let v = json!({"d": {"__rplay_timestamp": "2024-01-02T10:00:00"}, "l": [{"__rplay_timestamp": "2024-01-02"}]});
        assert_eq!(
            to_yaml_string(&v),
            "d: 2024-01-02 10:00:00\nl:\n- 2024-01-02\n"
        );
    }
}
