//! A play's `vars_prompt:` entries as loaded: validated at load time (a `name` is required, only
//! Ansible's keys are accepted), kept as raw values because Ansible templates them when the play
//! starts, with the extra vars and play vars.

use serde_json::{Map, Value};

use super::error::Error;
use super::node::Node;

/// The keys a `vars_prompt` entry may have.
const KEYS: &[&str] = &[
    "name",
    "prompt",
    "default",
    "private",
    "confirm",
    "encrypt",
    "salt_size",
    "salt",
    "unsafe",
];

/// One `vars_prompt` entry, untemplated.
#[derive(Debug, Clone, PartialEq)]
pub struct VarPrompt {
    /// The entry's keys and values as written.
    pub fields: Map<String, Value>,
}

/// Reads `vars_prompt:` (a list of mappings, or one mapping; null or empty is none).
pub fn parse(node: &Node) -> Result<Vec<VarPrompt>, Error> {
    let entries: Vec<&Node> = match node {
        Node::Leaf(Value::Null, _) => Vec::new(),
        Node::Map(..) => vec![node],
        Node::Seq(items, _) => items.iter().collect(),
        Node::Leaf(_, origin) => return Err(invalid_contents(origin)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let Some(map) = entry.as_map() else {
            return Err(invalid_contents(entry.origin()));
        };
        if !map.iter().any(|(k, _)| k.name == "name") {
            return Err(Error::syntax(
                "Invalid vars_prompt data structure, missing 'name' key",
                node.origin(),
            ));
        }
        if let Some((k, _)) = map.iter().find(|(k, _)| !KEYS.contains(&k.name.as_str())) {
            return Err(Error::syntax(
                format!(
                    "Invalid vars_prompt data structure, found unsupported key '{}'",
                    k.name
                ),
                node.origin(),
            ));
        }
        let fields = match entry.to_value() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        out.push(VarPrompt { fields });
    }
    Ok(out)
}

fn invalid_contents(origin: &super::node::Origin) -> Error {
    Error::syntax(
        "Invalid variable file contents.\n\nVariable files must contain either a dictionary of \
         variables, or a list of dictionaries.",
        origin,
    )
}
