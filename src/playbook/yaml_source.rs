//! Reads a YAML file into the loader's spanned [`Node`] tree, with YAML 1.1 scalars as Ansible
//! reads them (`yes`/`on` booleans, `0644` octal, `~` null), anchors, aliases and `<<` merge
//! keys, and `!vault` values kept as `{"__ansible_vault": ...}`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};

use super::error::Error;
use super::node::{Key, Node, Origin};

/// Reads and parses a YAML file (first document).
pub fn read_yaml(path: &Path) -> Result<Node, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_yaml(&text, path)
}

/// Parses YAML text; `path` names the file in positions. An empty document is a null leaf.
pub fn parse_yaml(text: &str, path: &Path) -> Result<Node, Error> {
    let file: Arc<PathBuf> = Arc::new(path.to_path_buf());
    let mut builder = Builder {
        file,
        anchors: HashMap::new(),
        stack: Vec::new(),
        root: None,
    };
    for ev in Parser::new_from_str(text) {
        let (event, span) = ev.map_err(|e| Error::Yaml {
            message: e.info().to_string(),
            origin: Some(Origin {
                file: path.to_path_buf(),
                line: e.marker().line(),
                column: e.marker().col() + 1,
            }),
        })?;
        let origin = Origin {
            file: builder.file.as_ref().clone(),
            line: span.start.line(),
            column: span.start.col() + 1,
        };
        match event {
            Event::DocumentEnd => break,
            Event::Scalar(value, style, anchor, tag) => {
                let v = match tag {
                    Some(t) if t.suffix == "vault" || t.handle == "!vault" => {
                        let mut m = Map::new();
                        m.insert("__ansible_vault".into(), Value::String(value.to_string()));
                        Value::Object(m)
                    }
                    Some(t) if t.handle == "!" && t.suffix == "unsafe" => {
                        Value::String(value.to_string())
                    }
                    Some(t) if t.suffix == "str" => Value::String(value.to_string()),
                    _ if style == ScalarStyle::Plain => resolve_plain(&value),
                    _ => Value::String(value.to_string()),
                };
                builder.push(Node::Leaf(v, origin), anchor)?;
            }
            Event::SequenceStart(anchor, _) => {
                builder.stack.push(Frame::Seq(Vec::new(), origin, anchor))
            }
            Event::MappingStart(anchor, _) => builder.stack.push(Frame::Map {
                entries: Vec::new(),
                key: None,
                origin,
                anchor,
            }),
            Event::SequenceEnd => {
                if let Some(Frame::Seq(items, o, anchor)) = builder.stack.pop() {
                    builder.push(Node::Seq(items, o), anchor)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    entries,
                    origin: o,
                    anchor,
                    ..
                }) = builder.stack.pop()
                {
                    builder.push(Node::Map(entries, o), anchor)?;
                }
            }
            Event::Alias(id) => {
                let node = builder
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| Error::Yaml {
                        message: "found undefined alias".into(),
                        origin: Some(origin.clone()),
                    })?;
                builder.push(node, 0)?;
            }
            _ => {}
        }
    }
    Ok(builder.root.unwrap_or_else(|| {
        Node::Leaf(
            Value::Null,
            Origin {
                file: path.to_path_buf(),
                line: 1,
                column: 1,
            },
        )
    }))
}

enum Frame {
    Seq(Vec<Node>, Origin, usize),
    Map {
        entries: Vec<(Key, Node)>,
        key: Option<Key>,
        origin: Origin,
        anchor: usize,
    },
}

struct Builder {
    file: Arc<PathBuf>,
    anchors: HashMap<usize, Node>,
    stack: Vec<Frame>,
    root: Option<Node>,
}

impl Builder {
    fn push(&mut self, node: Node, anchor: usize) -> Result<(), Error> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq(items, ..)) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let name = match &node {
                        Node::Leaf(Value::String(s), _) => s.clone(),
                        Node::Leaf(Value::Null, _) => "null".to_string(),
                        Node::Leaf(v, _) => match v {
                            Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
                            other => other.to_string(),
                        },
                        other => {
                            return Err(Error::syntax(
                                "complex mapping keys are not supported",
                                other.origin(),
                            ))
                        }
                    };
                    *key = Some(Key {
                        name,
                        origin: node.origin().clone(),
                    });
                }
                Some(k) if k.name == "<<" => {
                    let sources: Vec<Node> = match node {
                        Node::Seq(items, _) => items,
                        other => vec![other],
                    };
                    for src in sources {
                        if let Node::Map(src_entries, _) = src {
                            for (sk, sv) in src_entries {
                                if !entries.iter().any(|(ek, _)| ek.name == sk.name) {
                                    entries.push((sk, sv));
                                }
                            }
                        }
                    }
                }
                Some(k) => {
                    if let Some(pos) = entries.iter().position(|(ek, _)| ek.name == k.name) {
                        entries.remove(pos);
                    }
                    entries.push((k, node));
                }
            },
        }
        Ok(())
    }
}

/// YAML 1.1 resolution of a plain scalar, as PyYAML does it.
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        _ => {}
    }
    let t = s.replace('_', "");
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b.to_string()),
        None => (false, t.strip_prefix('+').unwrap_or(&t).to_string()),
    };
    let sign = if neg { -1 } else { 1 };
    if !body.is_empty() && body.chars().all(|c| c.is_ascii_digit()) && !s.starts_with('_') {
        if body.len() > 1 && body.starts_with('0') {
            if body.chars().all(|c| ('0'..='7').contains(&c)) {
                if let Ok(n) = i64::from_str_radix(&body, 8) {
                    return Value::from(sign * n);
                }
            }
            return Value::String(s.to_string());
        }
        if let Ok(n) = body.parse::<i64>() {
            return Value::from(sign * n);
        }
    }
    if let Some(hex) = body.strip_prefix("0x") {
        if let Ok(n) = i64::from_str_radix(hex, 16) {
            return Value::from(sign * n);
        }
    }
    if let Some(bin) = body.strip_prefix("0b") {
        if let Ok(n) = i64::from_str_radix(bin, 2) {
            return Value::from(sign * n);
        }
    }
    // Base 60 (`12:30` → 750).
    if body.contains(':')
        && body
            .split(':')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && !body.starts_with('0')
    {
        let mut n: i64 = 0;
        for p in body.split(':') {
            n = n * 60 + p.parse::<i64>().unwrap_or(0);
        }
        return Value::from(sign * n);
    }
    // Floats need a dot (`1e3` stays a string in YAML 1.1).
    let lower = body.to_ascii_lowercase();
    if lower == ".inf" {
        return Value::String(s.to_string());
    }
    if body.contains('.')
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && body.chars().any(|c| c.is_ascii_digit())
    {
        if let Ok(f) = body.parse::<f64>() {
            return serde_json::Number::from_f64(if neg { -f } else { f })
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(s.to_string()));
        }
    }
    Value::String(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml11_scalars() {
        assert_eq!(resolve_plain("yes"), json!(true));
        assert_eq!(resolve_plain("y"), json!("y"));
        assert_eq!(resolve_plain("0644"), json!(420));
        assert_eq!(resolve_plain("08"), json!("08"));
        assert_eq!(resolve_plain("12:30"), json!(750));
        assert_eq!(resolve_plain("1e3"), json!("1e3"));
        assert_eq!(resolve_plain("1.0e+3"), json!(1000.0));
        assert_eq!(resolve_plain("1_000"), json!(1000));
        assert_eq!(resolve_plain("~"), Value::Null);
    }

    #[test]
    fn positions_merge_keys_and_vault() {
        let text = "base: &b\n  x: 1\nm:\n  <<: *b\n  y: \"2\"\ns: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n";
        let n = parse_yaml(text, Path::new("/t.yml")).unwrap();
        let v = n.to_value();
        assert_eq!(v["m"], json!({"x": 1, "y": "2"}));
        assert!(v["s"]["__ansible_vault"]
            .as_str()
            .unwrap()
            .starts_with("$ANSIBLE_VAULT"));
        let m = n.get("m").unwrap();
        assert_eq!((m.origin().line, m.origin().column), (4, 3));
    }
}
