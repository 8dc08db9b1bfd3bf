//! The loaded YAML tree: [`Node`] = a [`Yaml`] value plus the [`Span`] where it starts.
//!
//! Mapping keys are stringified the way Ansible's JSON output shows them (`1` → `"1"`,
//! `true` → `"true"`, `~` → `"null"`). A key's own position is kept on the value: every node
//! that sits in a mapping has `key_span` = where its key was written (used for errors such as
//! "unknown play keyword"). Nodes elsewhere (documents, sequence items) have `key_span: None`.

use indexmap::IndexMap;
use serde_json::Value;

use super::timestamp::Timestamp;
use crate::diag::Span;

/// JSON object key marking a vault-encrypted value: `{"__ansible_vault": "<envelope>"}`.
pub const VAULT_KEY: &str = "__ansible_vault";
/// JSON object key marking a string that must never be templated:
/// `{"__ansible_unsafe": "<text>"}`.
pub const UNSAFE_KEY: &str = "__ansible_unsafe";

/// A mapping in insertion order (duplicate keys: the last value wins, at the first key's place,
/// as in a Python dict).
pub type Mapping = IndexMap<String, Node>;

/// A YAML value with Ansible's typing.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    /// `~`, `null`, or nothing.
    Null,
    /// `true`, `yes`, `on`, ... (YAML 1.1 spellings).
    Bool(bool),
    /// Decimal, `0644` octal, `0x`, `0b`, `1_000`, `12:30` base 60.
    Int(i64),
    /// Floats, including `.inf` and `.nan`.
    Float(f64),
    /// Any string (quoted scalars are always strings).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with stringified keys.
    Map(Mapping),
    /// A `!vault` value: the envelope text (`$ANSIBLE_VAULT;1.1;AES256...`), still encrypted.
    Vault(String),
    /// A `!unsafe` string: taken literally, never templated.
    Unsafe(String),
    /// `2001-12-14` (a date) or `2001-12-14 21:59:43` (a datetime).
    Timestamp(Timestamp),
}

/// A value and where it is in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Yaml,
    /// Where the value starts.
    pub span: Span,
    /// Where this value's key was written, when the node is a mapping value.
    pub key_span: Option<Span>,
}

impl Node {
    /// A node not inside a mapping.
    pub fn new(value: Yaml, span: Span) -> Node {
        Node {
            value,
            span,
            key_span: None,
        }
    }

    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key)
    }

    /// The text of a string (plain or `!unsafe`).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Yaml::Str(s) | Yaml::Unsafe(s) => Some(s),
            _ => None,
        }
    }

    /// The entries of a mapping.
    pub fn as_map(&self) -> Option<&Mapping> {
        match &self.value {
            Yaml::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items of a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Yaml::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// A boolean value.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Yaml::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer value.
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Yaml::Int(i) => Some(i),
            _ => None,
        }
    }

    /// True for `null`/`~`/empty.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Yaml::Null)
    }

    /// What kind of value this is, for error messages ("expected a mapping, found a string").
    pub fn kind(&self) -> &'static str {
        self.value.kind()
    }

    /// The value as JSON. Vault values become `{"__ansible_vault": envelope}`, unsafe strings
    /// `{"__ansible_unsafe": text}`, dates and datetimes `{"__rplay_timestamp": isoformat}`. JSON has no infinity or NaN: those floats become `null`.
    pub fn to_json(&self) -> Value {
        self.value.to_json()
    }
}

impl Yaml {
    /// What kind of value this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Yaml::Null => "null",
            Yaml::Bool(_) => "a boolean",
            Yaml::Int(_) => "an integer",
            Yaml::Float(_) => "a float",
            Yaml::Str(_) | Yaml::Unsafe(_) => "a string",
            Yaml::Seq(_) => "a list",
            Yaml::Map(_) => "a mapping",
            Yaml::Vault(_) => "a vault-encrypted value",
            Yaml::Timestamp(ts) => {
                if ts.time.is_some() {
                    "a datetime"
                } else {
                    "a date"
                }
            }
        }
    }

    /// The value as JSON (see [`Node::to_json`]).
    pub fn to_json(&self) -> Value {
        match self {
            Yaml::Null => Value::Null,
            Yaml::Bool(b) => Value::Bool(*b),
            Yaml::Int(i) => Value::from(*i),
            Yaml::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Yaml::Str(s) => Value::String(s.clone()),
            Yaml::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Yaml::Map(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Yaml::Vault(text) => tagged(VAULT_KEY, text),
            Yaml::Unsafe(text) => tagged(UNSAFE_KEY, text),
            Yaml::Timestamp(ts) => ts.to_json(),
        }
    }
}

fn tagged(key: &str, text: &str) -> Value {
    let mut object = serde_json::Map::new();
    object.insert(key.to_string(), Value::String(text.to_string()));
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(value: Yaml) -> Node {
        Node::new(value, Span::new("t", 1, 1))
    }

    #[test]
    fn to_json_marks_vault_and_unsafe() {
        let mut map = Mapping::new();
        map.insert(
            "v".into(),
            node(Yaml::Vault("$ANSIBLE_VAULT;1.1;AES256\n61".into())),
        );
        map.insert("u".into(), node(Yaml::Unsafe("{{ x }}".into())));
        map.insert("n".into(), node(Yaml::Float(f64::NAN)));
        let json = node(Yaml::Map(map)).to_json();
        assert_eq!(
            json,
            serde_json::json!({
                "v": {"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n61"},
                "u": {"__ansible_unsafe": "{{ x }}"},
                "n": null,
            })
        );
    }

    #[test]
    fn accessors() {
        let mut map = Mapping::new();
        map.insert("a".into(), node(Yaml::Seq(vec![node(Yaml::Int(1))])));
        let n = node(Yaml::Map(map));
        assert_eq!(
            n.get("a").and_then(|a| a.as_seq()).map(|s| s.len()),
            Some(1)
        );
        assert!(n.get("b").is_none());
        assert_eq!(n.kind(), "a mapping");
        assert_eq!(node(Yaml::Unsafe("x".into())).as_str(), Some("x"));
    }
}
