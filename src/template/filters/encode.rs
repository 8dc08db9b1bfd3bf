//! Encoding filters: JSON (`to_json`, `to_nice_json`, `from_json`), YAML (`to_yaml`,
//! `to_nice_yaml`, `from_yaml`, `from_yaml_all`), base64, hashes (`hash`, `md5`, `sha1`,
//! `checksum`; `password_hash` is in `password_hash.rs`), shell `quote` and `comment`.

use base64::Engine as _;
use minijinja::value::{Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error};

use super::core::{py_float, py_str, split_kwargs};
use super::data::as_map;
use super::fail;
use crate::template::yaml_codec;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("to_json", to_json);
    env.add_filter("to_nice_json", to_nice_json);
    env.add_filter("from_json", from_json);
    env.add_filter("to_yaml", |v: &Value, args: Rest<ValueOrKwargs>| {
        to_yaml(v, &args, false)
    });
    env.add_filter("to_nice_yaml", |v: &Value, args: Rest<ValueOrKwargs>| {
        to_yaml(v, &args, true)
    });
    env.add_filter("from_yaml", from_yaml);
    env.add_filter("from_yaml_all", from_yaml_all);
    env.add_filter("b64encode", |v: &Value| {
        base64::engine::general_purpose::STANDARD.encode(py_str(v).as_bytes())
    });
    env.add_filter("b64decode", b64decode);
    env.add_filter("hash", |v: &Value, kind: Option<String>| {
        hash(&py_str(v), kind.as_deref().unwrap_or("sha1"))
    });
    env.add_filter("md5", |v: &Value| hash(&py_str(v), "md5"));
    env.add_filter("sha1", |v: &Value| hash(&py_str(v), "sha1"));
    env.add_filter("checksum", |v: &Value| hash(&py_str(v), "sha1"));
    env.add_filter("password_hash", super::password_hash::password_hash);
    env.add_filter("quote", |v: &Value| shell_quote(&py_str(v)));
    env.add_filter("comment", comment);
}

/// Python `json.dumps` of a value.
pub(crate) fn json_dumps(
    v: &Value,
    indent: Option<usize>,
    sort_keys: bool,
    ensure_ascii: bool,
) -> Result<String, Error> {
    let mut out = String::new();
    let (item_sep, key_sep) = if indent.is_some() {
        (",", ": ")
    } else {
        (", ", ": ")
    };
    write_json(
        v,
        indent,
        0,
        sort_keys,
        ensure_ascii,
        item_sep,
        key_sep,
        &mut out,
    )?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn write_json(
    v: &Value,
    indent: Option<usize>,
    level: usize,
    sort_keys: bool,
    ensure_ascii: bool,
    item_sep: &str,
    key_sep: &str,
    out: &mut String,
) -> Result<(), Error> {
    let newline = |out: &mut String, level: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * level));
        }
    };
    match v.kind() {
        ValueKind::Undefined => {
            return Err(fail("Object of type Undefined is not JSON serializable"))
        }
        ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
        ValueKind::Number => {
            if v.is_integer() {
                out.push_str(&v.to_string());
            } else {
                let f = f64::try_from(v.clone()).unwrap_or(0.0);
                out.push_str(&match py_float(f).as_str() {
                    "nan" => "NaN".to_string(),
                    "inf" => "Infinity".to_string(),
                    "-inf" => "-Infinity".to_string(),
                    s => s.to_string(),
                });
            }
        }
        ValueKind::String => json_string(v.as_str().unwrap_or_default(), ensure_ascii, out),
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = v.try_iter()?.collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                write_json(
                    item,
                    indent,
                    level + 1,
                    sort_keys,
                    ensure_ascii,
                    item_sep,
                    key_sep,
                    out,
                )?;
            }
            newline(out, level);
            out.push(']');
        }
        ValueKind::Map => {
            let mut entries: Vec<(String, Value)> = Vec::new();
            for k in v.try_iter()? {
                let item = v.get_item(&k)?;
                let key = match k.kind() {
                    ValueKind::String => k.as_str().unwrap_or_default().to_string(),
                    ValueKind::Bool => if k.is_true() { "true" } else { "false" }.to_string(),
                    ValueKind::None => "null".to_string(),
                    _ => k.to_string(),
                };
                entries.push((key, item));
            }
            if sort_keys {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                json_string(k, ensure_ascii, out);
                out.push_str(key_sep);
                write_json(
                    item,
                    indent,
                    level + 1,
                    sort_keys,
                    ensure_ascii,
                    item_sep,
                    key_sep,
                    out,
                )?;
            }
            newline(out, level);
            out.push('}');
        }
        ValueKind::Invalid => {
            return Err(crate::template::convert::invalid_error(v).into_minijinja())
        }
        // Ansible's JSON encoder writes dates and datetimes as `isoformat()`.
        _ if crate::template::datetime::YamlTimestamp::of(v).is_some() => {
            let text = crate::template::datetime::YamlTimestamp::of(v)
                .map(|ts| ts.isoformat())
                .unwrap_or_default();
            json_string(&text, ensure_ascii, out);
        }
        _ => {
            return Err(fail(format!(
                "Object of type {} is not JSON serializable",
                v.kind()
            )))
        }
    }
    Ok(())
}

fn json_string(s: &str, ensure_ascii: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if ensure_ascii && (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn kw_bool(kwargs: &Option<minijinja::value::Kwargs>, name: &str) -> Option<bool> {
    kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
        .map(|v| v.is_true())
}

fn kw_usize(kwargs: &Option<minijinja::value::Kwargs>, name: &str) -> Option<usize> {
    kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
        .and_then(|v| v.as_usize())
}

/// `to_json(indent=None, sort_keys=False, ensure_ascii=True)`.
fn to_json(v: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let (_, kwargs) = split_kwargs(&args);
    json_dumps(
        v,
        kw_usize(&kwargs, "indent"),
        kw_bool(&kwargs, "sort_keys").unwrap_or(false),
        kw_bool(&kwargs, "ensure_ascii").unwrap_or(true),
    )
}

/// `to_nice_json(indent=4, sort_keys=True)`.
fn to_nice_json(v: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let indent = args
        .first()
        .and_then(Value::as_usize)
        .or_else(|| kw_usize(&kwargs, "indent"))
        .unwrap_or(4);
    json_dumps(
        v,
        Some(indent),
        kw_bool(&kwargs, "sort_keys").unwrap_or(true),
        kw_bool(&kwargs, "ensure_ascii").unwrap_or(true),
    )
}

/// `from_json`: parses JSON text (non-strings pass through).
fn from_json(v: &Value) -> Result<Value, Error> {
    if v.kind() != ValueKind::String {
        return Ok(v.clone());
    }
    let parsed: serde_json::Value = serde_json::from_str(v.as_str().unwrap_or_default())
        .map_err(|e| fail(format!("from_json: invalid JSON: {e}")))?;
    Ok(crate::template::convert::from_json(&parsed))
}

fn to_yaml(v: &Value, args: &[ValueOrKwargs], nice: bool) -> Result<String, Error> {
    let (args, kwargs) = split_kwargs(args);
    let indent = args
        .first()
        .and_then(Value::as_usize)
        .or_else(|| kw_usize(&kwargs, "indent"))
        .unwrap_or(if nice { 4 } else { 2 });
    let flow = if nice {
        Some(false)
    } else {
        kwargs
            .as_ref()
            .and_then(|k| k.get::<Option<bool>>("default_flow_style").ok().flatten())
    };
    let sort_keys = kw_bool(&kwargs, "sort_keys").unwrap_or(true);
    let width = kw_usize(&kwargs, "width").unwrap_or(80);
    let json =
        crate::template::convert::to_json(v, "\u{0}no omit\u{0}").map_err(|e| fail(e.message))?;
    Ok(yaml_codec::dump(
        &json,
        &yaml_codec::DumpOptions {
            indent,
            default_flow_style: flow,
            sort_keys,
            width,
        },
    ))
}

fn from_yaml(v: &Value) -> Result<Value, Error> {
    if v.kind() != ValueKind::String {
        return Ok(v.clone());
    }
    let docs = yaml_codec::load_all(v.as_str().unwrap_or_default()).map_err(fail)?;
    Ok(docs
        .first()
        .map(crate::template::convert::from_json)
        .unwrap_or(Value::from(())))
}

fn from_yaml_all(v: &Value) -> Result<Value, Error> {
    let docs = yaml_codec::load_all(&py_str(v)).map_err(fail)?;
    Ok(Value::from(
        docs.iter()
            .map(crate::template::convert::from_json)
            .collect::<Vec<_>>(),
    ))
}

/// `b64decode(encoding='utf-8')`: decodes to text (invalid UTF-8 replaced).
fn b64decode(v: &Value) -> Result<String, Error> {
    let s = py_str(v);
    let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine
        .decode(cleaned.as_bytes())
        .map_err(|e| fail(format!("b64decode: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Hex digest of `s` with `kind` (md5, sha1, sha224, sha256, sha384, sha512).
pub(crate) fn hash(s: &str, kind: &str) -> Result<String, Error> {
    use sha2::Digest;
    Ok(match kind {
        "md5" => hex::encode(md5::compute(s.as_bytes()).0),
        "sha1" => hex::encode(sha1::Sha1::digest(s.as_bytes())),
        "sha224" => hex::encode(sha2::Sha224::digest(s.as_bytes())),
        "sha256" => hex::encode(sha2::Sha256::digest(s.as_bytes())),
        "sha384" => hex::encode(sha2::Sha384::digest(s.as_bytes())),
        "sha512" => hex::encode(sha2::Sha512::digest(s.as_bytes())),
        other => return Err(fail(format!("unsupported hash type '{other}'"))),
    })
}

/// Python's `shlex.quote`.
pub(crate) fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".to_string();
    }
    let safe = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c));
    if safe {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// Ansible's `comment(style='plain', **kw)`.
fn comment(v: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let style = args
        .first()
        .map(py_str)
        .unwrap_or_else(|| "plain".to_string());
    let (beginning, decoration, end) = match style.as_str() {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        other => return Err(fail(format!("comment: unknown style '{other}'"))),
    };
    let kw = |name: &str| -> Option<String> {
        kwargs
            .as_ref()
            .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
            .map(|v| py_str(&v))
    };
    let prepostfix = kw("decoration").unwrap_or_else(|| decoration.to_string());
    let newline = kw("newline").unwrap_or_else(|| "\n".to_string());
    let beginning = kw("beginning").unwrap_or_else(|| beginning.to_string());
    let decoration = kw("decoration").unwrap_or_else(|| decoration.to_string());
    let prefix = kw("prefix").unwrap_or_else(|| prepostfix.trim_end().to_string());
    let postfix = kw("postfix").unwrap_or_else(|| prepostfix.trim_end().to_string());
    let end = kw("end").unwrap_or_else(|| end.to_string());
    let count = |name: &str| kw(name).and_then(|s| s.parse::<usize>().ok()).unwrap_or(1);
    let (prefix_count, postfix_count) = (count("prefix_count"), count("postfix_count"));
    let text = py_str(v);

    let mut out = String::new();
    if !beginning.is_empty() {
        out.push_str(&beginning);
        out.push_str(&newline);
    }
    if !prefix.is_empty() {
        let unit = if prefix != newline {
            format!("{prefix}{newline}")
        } else {
            newline.clone()
        };
        out.push_str(&unit.repeat(prefix_count));
    }
    let body = format!(
        "{decoration}{}",
        text.replace(&newline, &format!("{newline}{decoration}"))
    )
    .replace(
        &format!("{decoration}{newline}"),
        &format!("{}{newline}", decoration.trim_end()),
    );
    out.push_str(&body);
    for _ in 0..postfix_count {
        out.push_str(&newline);
        out.push_str(&postfix);
    }
    if !end.is_empty() {
        out.push_str(&newline);
        out.push_str(&end);
    }
    Ok(out)
}

/// Keeps `as_map` referenced for mapping checks in this family.
#[allow(dead_code)]
fn is_mapping(v: &Value) -> bool {
    as_map(v).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_matches_python_separators() {
        let v = Value::from_pairs([("b", Value::from(vec![Value::from(1), Value::from("é")]))]);
        assert_eq!(
            json_dumps(&v, None, false, true).ok().as_deref(),
            Some("{\"b\": [1, \"\\u00e9\"]}")
        );
        assert_eq!(
            json_dumps(&v, Some(4), true, true).ok().as_deref(),
            Some("{\n    \"b\": [\n        1,\n        \"\\u00e9\"\n    ]\n}")
        );
    }

    #[test]
    fn quote_matches_shlex() {
        assert_eq!(shell_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shell_quote("abc"), "abc");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn comment_plain() {
        let out = comment(&Value::from("hello"), Rest(Vec::new())).ok();
        assert_eq!(out.as_deref(), Some("#\n# hello\n#"));
    }
}
