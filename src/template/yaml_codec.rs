//! YAML for the `to_yaml`/`to_nice_yaml`/`from_yaml` filters.
//!
//! Dumping follows PyYAML's SafeDumper as Ansible calls it (keys sorted, `default_flow_style=None`
//! puts collections of scalars in flow style, block sequences not indented under their key, plain
//! scalars when unambiguous, single quotes otherwise, lines folded at 80 columns). Loading uses
//! saphyr-parser events with YAML 1.1 scalar resolution (`yes`/`no`, `~`, octal `0644`...).

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value as Json};

use crate::yaml::Timestamp;

/// True for a date or datetime (`{"__rplay_timestamp": ...}`): a scalar, not a mapping.
fn is_timestamp(v: &Json) -> bool {
    Timestamp::from_json(v).is_some()
}

/// How to dump.
#[derive(Debug, Clone)]
pub(crate) struct DumpOptions {
    pub(crate) indent: usize,
    /// `None`: flow style for collections of scalars only; `Some(false)`: always block.
    pub(crate) default_flow_style: Option<bool>,
    pub(crate) sort_keys: bool,
    pub(crate) width: usize,
}

/// Dumps one document the way `yaml.dump` does.
pub(crate) fn dump(value: &Json, opts: &DumpOptions) -> String {
    let mut out = String::new();
    match value {
        _ if is_timestamp(value) => {
            out.push_str(&non_string_scalar(value));
            out.push('\n');
        }
        Json::Array(a) if !a.is_empty() && !use_flow(value, opts) => {
            write_block_seq(a, 0, opts, &mut out)
        }
        Json::Object(m) if !m.is_empty() && !use_flow(value, opts) => {
            write_block_map(m, 0, opts, &mut out)
        }
        Json::Array(_) | Json::Object(_) => {
            out.push_str(&flow(value, opts));
            out.push('\n');
        }
        scalar => {
            // Ansible strips PyYAML's "..." document end after a top-level scalar.
            out.push_str(&scalar_text(scalar, 0, 0, opts));
            out.push('\n');
        }
    }
    out
}

fn use_flow(value: &Json, opts: &DumpOptions) -> bool {
    match opts.default_flow_style {
        Some(f) => f,
        None => match value {
            Json::Array(a) => a.iter().all(is_scalar),
            Json::Object(m) => m.values().all(is_scalar),
            _ => true,
        },
    }
}

fn is_scalar(v: &Json) -> bool {
    !matches!(v, Json::Array(_) | Json::Object(_)) || is_timestamp(v)
}

fn sorted_entries<'a>(m: &'a Map<String, Json>, opts: &DumpOptions) -> Vec<(&'a String, &'a Json)> {
    let mut entries: Vec<_> = m.iter().collect();
    if opts.sort_keys {
        entries.sort_by(|a, b| a.0.cmp(b.0));
    }
    entries
}

fn write_block_map(m: &Map<String, Json>, indent: usize, opts: &DumpOptions, out: &mut String) {
    for (i, (k, v)) in sorted_entries(m, opts).into_iter().enumerate() {
        if i > 0 || !out.ends_with(' ') {
            if !out.is_empty() && !out.ends_with('\n') && !out.ends_with(' ') {
                out.push('\n');
            }
            if i > 0 || out.is_empty() || out.ends_with('\n') {
                out.push_str(&" ".repeat(indent));
            }
        }
        let key = scalar_text(&Json::String(k.clone()), indent, indent, opts);
        out.push_str(&key);
        out.push(':');
        write_value(v, indent, key.len() + 1, opts, out, true);
    }
}

fn write_block_seq(a: &[Json], indent: usize, opts: &DumpOptions, out: &mut String) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 || !out.ends_with(' ') {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&" ".repeat(indent));
        }
        out.push('-');
        // PyYAML pads the dash to the indentation width for nested collections.
        match v {
            _ if is_timestamp(v) => write_value(v, indent, 1, opts, out, false),
            Json::Object(m) if !m.is_empty() && !use_flow(v, opts) => {
                out.push_str(&" ".repeat(opts.indent.saturating_sub(1).max(1)));
                write_block_map(m, indent + opts.indent, opts, out);
            }
            Json::Array(inner) if !inner.is_empty() && !use_flow(v, opts) => {
                out.push_str(&" ".repeat(opts.indent.saturating_sub(1).max(1)));
                write_block_seq(inner, indent + opts.indent, opts, out);
            }
            _ => write_value(v, indent, 1, opts, out, false),
        }
    }
}

/// Writes the value after `key:` or `-`.
fn write_value(
    v: &Json,
    indent: usize,
    col: usize,
    opts: &DumpOptions,
    out: &mut String,
    in_map: bool,
) {
    match v {
        Json::Object(m) if !m.is_empty() && !use_flow(v, opts) && !is_timestamp(v) => {
            out.push('\n');
            write_block_map(m, indent + opts.indent, opts, out);
        }
        Json::Array(a) if !a.is_empty() && !use_flow(v, opts) => {
            out.push('\n');
            // Block sequences under a mapping key are not indented (PyYAML's indentless style).
            let child = if in_map { indent } else { indent + opts.indent };
            write_block_seq(a, child, opts, out);
        }
        Json::Array(_) | Json::Object(_) if !is_timestamp(v) => {
            out.push(' ');
            out.push_str(&flow_at(v, indent, indent + col + 1, opts));
            out.push('\n');
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(
                scalar,
                indent + opts.indent,
                indent + col + 1,
                opts,
            ));
            out.push('\n');
        }
    }
}

/// A flow collection starting at column `col`; items wrap past the width like PyYAML's emitter,
/// continuation lines indented by `indent` plus the indentation step.
fn flow(v: &Json, opts: &DumpOptions) -> String {
    let mut out = String::new();
    let mut col = 0;
    flow_into(v, 0, &mut col, opts, &mut out);
    out
}

fn flow_at(v: &Json, indent: usize, col: usize, opts: &DumpOptions) -> String {
    let mut out = String::new();
    let mut c = col;
    flow_into(v, indent, &mut c, opts, &mut out);
    out
}

fn flow_into(v: &Json, indent: usize, col: &mut usize, opts: &DumpOptions, out: &mut String) {
    let push = |out: &mut String, col: &mut usize, s: &str| {
        out.push_str(s);
        *col += s.chars().count();
    };
    let inner = indent + opts.indent;
    match v {
        Json::Array(a) => {
            push(out, col, "[");
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    push(out, col, ",");
                    if *col > opts.width {
                        out.push('\n');
                        out.push_str(&" ".repeat(inner));
                        *col = inner;
                    } else {
                        push(out, col, " ");
                    }
                }
                flow_into(x, inner, col, opts, out);
            }
            push(out, col, "]");
        }
        Json::Object(m) if !is_timestamp(v) => {
            push(out, col, "{");
            for (i, (k, x)) in sorted_entries(m, opts).into_iter().enumerate() {
                if i > 0 {
                    push(out, col, ",");
                    if *col > opts.width {
                        out.push('\n');
                        out.push_str(&" ".repeat(inner));
                        *col = inner;
                    } else {
                        push(out, col, " ");
                    }
                }
                push(out, col, &flow_scalar(&Json::String(k.clone())));
                push(out, col, ": ");
                flow_into(x, inner, col, opts, out);
            }
            push(out, col, "}");
        }
        scalar => push(out, col, &flow_scalar(scalar)),
    }
}

fn flow_scalar(v: &Json) -> String {
    match v {
        Json::String(s) => {
            if plain_allowed(s) && !s.contains([',', '[', ']', '{', '}']) {
                s.clone()
            } else {
                quote_scalar(s)
            }
        }
        other => non_string_scalar(other),
    }
}

fn non_string_scalar(v: &Json) -> String {
    // PyYAML writes a date as `2024-01-02` and a datetime as `2024-01-02 10:00:00`, unquoted.
    if let Some(ts) = Timestamp::from_json(v) {
        return ts.python_str();
    }
    match v {
        Json::Null => "null".to_string(),
        Json::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        Json::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                if f.is_nan() {
                    ".nan".to_string()
                } else if f.is_infinite() {
                    if f > 0.0 { ".inf" } else { "-.inf" }.to_string()
                } else {
                    crate::template::filters::py_float_text(f)
                }
            } else {
                n.to_string()
            }
        }
        _ => String::new(),
    }
}

/// A scalar in block context; `cont_indent` is the indentation of folded continuation lines and
/// `col` the column where the scalar starts.
fn scalar_text(v: &Json, cont_indent: usize, col: usize, opts: &DumpOptions) -> String {
    let Json::String(s) = v else {
        return non_string_scalar(v);
    };
    if plain_allowed(s) {
        return fold(s, cont_indent, col, opts.width);
    }
    let special = s
        .chars()
        .any(|c| (c as u32) < 0x20 && c != '\n' || c == '\u{7f}');
    let space_break = s.contains(" \n") || s.contains("\n ");
    if special || space_break {
        return double_quote(s);
    }
    single_quoted(s, cont_indent, col, opts.width)
}

/// PyYAML's `write_single_quoted`: `'` doubled, a line break written as an empty line, long lines
/// folded at single spaces past `width`, continuation lines indented by `indent`.
fn single_quoted(s: &str, indent: usize, col: usize, width: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::from("'");
    let mut column = col + 1;
    let (mut spaces, mut breaks) = (false, false);
    let mut start = 0usize;
    let mut end = 0usize;
    while end <= chars.len() {
        let ch = chars.get(end).copied();
        if spaces {
            if ch != Some(' ') {
                if start + 1 == end && column > width && start != 0 && end != chars.len() {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                    column = indent;
                } else {
                    let data: String = chars[start..end].iter().collect();
                    column += end - start;
                    out.push_str(&data);
                }
                start = end;
            }
        } else if breaks {
            if ch != Some('\n') {
                if chars[start] == '\n' {
                    out.push('\n');
                }
                for _ in start..end {
                    out.push('\n');
                }
                out.push_str(&" ".repeat(indent));
                column = indent;
                start = end;
            }
        } else if (ch.is_none() || matches!(ch, Some(' ') | Some('\n') | Some('\''))) && start < end
        {
            let data: String = chars[start..end].iter().collect();
            column += end - start;
            out.push_str(&data);
            start = end;
        }
        if ch == Some('\'') {
            out.push_str("''");
            column += 2;
            start = end + 1;
        }
        if let Some(c) = ch {
            spaces = c == ' ';
            breaks = c == '\n';
        }
        end += 1;
    }
    out.push('\'');
    out
}

/// Breaks a line at single spaces once the column passes `width` (PyYAML's folding).
fn fold(s: &str, cont_indent: usize, col: usize, width: usize) -> String {
    if col + s.chars().count() <= width || !s.contains(' ') {
        return s.to_string();
    }
    let mut out = String::new();
    let mut column = col;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let single_space =
            c == ' ' && i > 0 && chars[i - 1] != ' ' && i + 1 < chars.len() && chars[i + 1] != ' ';
        if single_space && column > width {
            out.push('\n');
            out.push_str(&" ".repeat(cont_indent));
            column = cont_indent;
        } else {
            out.push(c);
            column += 1;
        }
        i += 1;
    }
    out
}

fn quote_scalar(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn double_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True when `s` can be written as a plain scalar without changing its meaning.
fn plain_allowed(s: &str) -> bool {
    if s.is_empty() || s != s.trim() || s.contains('\n') {
        return false;
    }
    if !matches!(resolve_plain(s), Json::String(_)) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // "-x" and "?x"/":x" are plain when followed by a non-space.
        let second = s.chars().nth(1);
        if !("-?:".contains(first) && second.is_some_and(|c| c != ' ')) {
            return false;
        }
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    !s.chars().any(|c| (c as u32) < 0x20 || c == '\u{7f}')
}

/// YAML 1.1 resolution of a plain scalar (as PyYAML's SafeLoader does).
pub(crate) fn resolve_plain(s: &str) -> Json {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Json::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" | "y" | "Y" => {
            if s == "y" || s == "Y" {
                return Json::String(s.to_string());
            }
            return Json::Bool(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Json::Bool(false)
        }
        _ => {}
    }
    let t = s.replace('_', "");
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b.to_string()),
        None => (false, t.strip_prefix('+').unwrap_or(&t).to_string()),
    };
    let sign = if neg { -1 } else { 1 };
    if !body.is_empty() {
        if let Some(h) = body.strip_prefix("0x") {
            if let Ok(v) = i64::from_str_radix(h, 16) {
                return Json::from(sign * v);
            }
        } else if let Some(b) = body.strip_prefix("0b") {
            if let Ok(v) = i64::from_str_radix(b, 2) {
                return Json::from(sign * v);
            }
        } else if body.len() > 1
            && body.starts_with('0')
            && body.chars().all(|c| c.is_ascii_digit())
        {
            if let Ok(v) = i64::from_str_radix(&body[1..], 8) {
                return Json::from(sign * v);
            }
        } else if body.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(v) = body.parse::<i64>() {
                return Json::from(sign * v);
            }
        }
        let lower = body.to_lowercase();
        if lower == ".inf" {
            return Json::String(s.to_string());
        }
        let float_like = body.contains('.')
            && body
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
            && body
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '.')
            && body.chars().any(|c| c.is_ascii_digit());
        if float_like {
            if let Ok(f) = body.parse::<f64>() {
                if let Some(n) = serde_json::Number::from_f64(if neg { -f } else { f }) {
                    return Json::Number(n);
                }
            }
        }
    }
    match Timestamp::parse(s) {
        Some(ts) => ts.to_json(),
        None => Json::String(s.to_string()),
    }
}

/// Parses every document of a YAML stream into JSON values.
pub(crate) fn load_all(text: &str) -> Result<Vec<Json>, String> {
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<(Json, Option<String>)> = Vec::new();
    let mut anchors: std::collections::HashMap<usize, Json> = std::collections::HashMap::new();
    let mut anchor_stack: Vec<usize> = Vec::new();
    let mut current_doc: Option<Json> = None;
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| format!("YAML parsing failed: {e}"))?;
        let value: Option<(Json, usize)> = match ev {
            Event::DocumentStart(_) => {
                current_doc = None;
                None
            }
            Event::DocumentEnd => {
                docs.push(current_doc.take().unwrap_or(Json::Null));
                None
            }
            Event::Scalar(s, style, anchor, tag) => {
                let v = match (style, tag) {
                    (_, Some(t)) if t.suffix == "str" || t.suffix == "unsafe" => {
                        Json::String(s.to_string())
                    }
                    (ScalarStyle::Plain, _) => resolve_plain(&s),
                    _ => Json::String(s.to_string()),
                };
                Some((v, anchor))
            }
            Event::Alias(id) => Some((anchors.get(&id).cloned().unwrap_or(Json::Null), 0)),
            Event::SequenceStart(anchor, _) => {
                stack.push((Json::Array(Vec::new()), None));
                anchor_stack.push(anchor);
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push((Json::Object(Map::new()), None));
                anchor_stack.push(anchor);
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (v, _) = stack
                    .pop()
                    .ok_or("YAML parsing failed: unbalanced collections")?;
                let anchor = anchor_stack.pop().unwrap_or(0);
                Some((v, anchor))
            }
            _ => None,
        };
        let Some((v, anchor)) = value else {
            continue;
        };
        if anchor > 0 {
            anchors.insert(anchor, v.clone());
        }
        match stack.last_mut() {
            None => current_doc = Some(v),
            Some((Json::Array(a), _)) => a.push(v),
            Some((Json::Object(m), pending)) => match pending.take() {
                None => {
                    let key = match v {
                        Json::String(s) => s,
                        Json::Null => "null".to_string(),
                        other => match other {
                            Json::Bool(b) => if b { "True" } else { "False" }.to_string(),
                            o => o.to_string(),
                        },
                    };
                    *pending = Some(key);
                }
                Some(key) => {
                    if key == "<<" {
                        merge_into(m, v);
                    } else {
                        m.insert(key, v);
                    }
                }
            },
            Some(_) => {
                return Err(format!(
                    "YAML parsing failed near line {}",
                    span.start.line()
                ))
            }
        }
    }
    Ok(docs)
}

fn merge_into(m: &mut Map<String, Json>, v: Json) {
    let sources = match v {
        Json::Array(a) => a,
        other => vec![other],
    };
    for s in sources {
        if let Json::Object(src) = s {
            for (k, val) in src {
                m.entry(k).or_insert(val);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nice() -> DumpOptions {
        DumpOptions {
            indent: 4,
            default_flow_style: Some(false),
            sort_keys: true,
            width: 80,
        }
    }

    #[test]
    fn nice_yaml_matches_pyyaml_layout() {
        let v = json!({"b": {"x": 1}, "a": "yes", "c": [1, {"k": "v", "j": 2}]});
        assert_eq!(
            dump(&v, &nice()),
            "a: 'yes'\nb:\n    x: 1\nc:\n- 1\n-   j: 2\n    k: v\n"
        );
    }

    #[test]
    fn flow_for_scalar_collections() {
        let opts = DumpOptions {
            indent: 2,
            default_flow_style: None,
            sort_keys: true,
            width: 80,
        };
        assert_eq!(
            dump(&json!({"a": [1, 2], "b": "x"}), &opts),
            "a: [1, 2]\nb: x\n"
        );
        assert_eq!(dump(&json!("abc"), &opts), "abc\n");
    }

    #[test]
    fn loads_yaml_1_1_scalars() {
        let docs = load_all("a: yes\nb: 0644\nc: ~\nd: '1'\ne: [1, x]\n").unwrap_or_default();
        assert_eq!(
            docs,
            vec![json!({"a": true, "b": 420, "c": null, "d": "1", "e": [1, "x"]})]
        );
    }
}
