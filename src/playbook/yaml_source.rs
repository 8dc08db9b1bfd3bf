//! Reads a YAML file into the loader's spanned [`Node`] tree through the project's YAML loader
//! (`crate::yaml`: YAML 1.1 scalars as Ansible reads them, anchors, merge keys, `!vault` values
//! kept as `{"__ansible_vault": ...}`), keeping the position of every key and value.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::Error;
use super::node::{Key, Node, Origin};

/// Reads and parses a YAML file (first document) with the project's YAML 1.1 loader.
pub fn read_yaml(path: &Path) -> Result<Node, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_yaml(&text, path)
}

/// Parses YAML text; `path` names the file in positions. An empty document is a null leaf.
pub fn parse_yaml(text: &str, path: &Path) -> Result<Node, Error> {
    let label = path.display().to_string();
    let docs = crate::yaml::load_str(text, &label).map_err(|d| Error::Yaml {
        message: d.message.clone(),
        origin: d.span.as_ref().map(|s| Origin {
            file: PathBuf::from(s.file.as_ref()),
            line: s.line,
            column: s.col,
        }),
    })?;
    match docs.into_iter().next() {
        Some(doc) => Ok(convert(&doc, path)),
        None => Ok(Node::Leaf(
            Value::Null,
            Origin {
                file: path.to_path_buf(),
                line: 1,
                column: 1,
            },
        )),
    }
}

fn origin_of(span: &crate::diag::Span, path: &Path) -> Origin {
    Origin {
        file: path.to_path_buf(),
        line: span.line,
        column: span.col,
    }
}

fn convert(n: &crate::yaml::Node, path: &Path) -> Node {
    use crate::yaml::Yaml;
    let origin = origin_of(&n.span, path);
    match &n.value {
        Yaml::Map(m) => Node::Map(
            m.iter()
                .map(|(k, v)| {
                    let key_origin = v
                        .key_span
                        .as_ref()
                        .map(|s| origin_of(s, path))
                        .unwrap_or_else(|| origin.clone());
                    (
                        Key {
                            name: k.clone(),
                            origin: key_origin,
                        },
                        convert(v, path),
                    )
                })
                .collect(),
            origin,
        ),
        Yaml::Seq(items) => Node::Seq(items.iter().map(|i| convert(i, path)).collect(), origin),
        _ => Node::Leaf(n.to_json(), origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
