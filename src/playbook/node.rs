//! The spanned YAML tree the playbook loader reads: mappings (with the position of every key),
//! sequences and leaf values, each with its [`Origin`]. Built from the project's YAML loader; leaf
//! values follow its YAML 1.1 rules (vaulted values stay `{"__ansible_vault": ...}` objects).

use serde_json::{Map, Value};

pub use crate::run::event::Origin;

/// A YAML node with its position.
#[derive(Debug, Clone)]
pub enum Node {
    /// A mapping; keys keep their own positions.
    Map(Vec<(Key, Node)>, Origin),
    /// A sequence.
    Seq(Vec<Node>, Origin),
    /// A leaf value (scalar, or an opaque value such as a vaulted string).
    Leaf(Value, Origin),
}

/// A mapping key with its position.
#[derive(Debug, Clone)]
pub struct Key {
    /// The key as text.
    pub name: String,
    /// Where it was written.
    pub origin: Origin,
}

impl Node {
    /// Where the node starts.
    pub fn origin(&self) -> &Origin {
        match self {
            Node::Map(_, o) | Node::Seq(_, o) | Node::Leaf(_, o) => o,
        }
    }

    /// The node as a plain value (positions dropped).
    pub fn to_value(&self) -> Value {
        match self {
            Node::Leaf(v, _) => v.clone(),
            Node::Seq(items, _) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Map(entries, _) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    m.insert(k.name.clone(), v.to_value());
                }
                Value::Object(m)
            }
        }
    }

    /// The string leaves inside the node (mapping values, not keys) in document order, with
    /// their positions.
    pub fn strings(&self) -> Vec<(String, Origin)> {
        match self {
            Node::Leaf(Value::String(s), o) => vec![(s.clone(), o.clone())],
            Node::Leaf(..) => Vec::new(),
            Node::Seq(items, _) => items.iter().flat_map(Node::strings).collect(),
            Node::Map(entries, _) => entries.iter().flat_map(|(_, v)| v.strings()).collect(),
        }
    }

    /// The entries of a mapping, or `None`.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match self {
            Node::Map(entries, _) => Some(entries),
            _ => None,
        }
    }

    /// The items of a sequence, or `None`.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match self {
            Node::Seq(items, _) => Some(items),
            _ => None,
        }
    }

    /// A string leaf.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Leaf(Value::String(s), _) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// True for a null leaf.
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Leaf(Value::Null, _))
    }

    /// A short name of the node's type for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Map(..) => "dict",
            Node::Seq(..) => "list",
            Node::Leaf(Value::String(_), _) => "str",
            Node::Leaf(Value::Bool(_), _) => "bool",
            Node::Leaf(Value::Number(_), _) => "number",
            Node::Leaf(Value::Null, _) => "NoneType",
            Node::Leaf(..) => "value",
        }
    }
}
