//! Roles: how a role is referenced (`roles:` entries, `import_role`, `include_role`, meta
//! dependencies) and the scope its tasks run in (its directory, defaults, vars and params).

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::error::Error;
use super::keywords;
use super::node::{Node, Origin};

/// A role as its tasks see it.
#[derive(Debug, Clone)]
pub struct RoleScope {
    /// Role name (the directory name).
    pub name: String,
    /// The role directory (absolute).
    pub path: PathBuf,
    /// `defaults/main.yml`.
    pub defaults: Map<String, Value>,
    /// `vars/main.yml`.
    pub vars: Map<String, Value>,
    /// Role params (precedence 18).
    pub params: Map<String, Value>,
    /// `vars:` of the role entry (merged after the role's vars in 2.19).
    pub entry_vars: Map<String, Value>,
    /// Directories of the roles that pulled this one in, closest first (file lookups).
    pub parent_paths: Vec<PathBuf>,
    /// Whether defaults/vars are visible to the whole play (`roles:`, `import_role`,
    /// `include_role` with `public: true`).
    pub public: bool,
}

/// A reference to a role with its entry keywords.
#[derive(Debug, Clone)]
pub struct RoleRef {
    /// Name (or path) of the role.
    pub name: String,
    /// Role params.
    pub params: Map<String, Value>,
    /// `vars:` of the entry.
    pub vars: Map<String, Value>,
    /// Keyword entries (when, tags, become...) as written, pushed to the role's tasks.
    pub keyword_node: Vec<(super::node::Key, Node)>,
    /// `tasks_from` (default `main`).
    pub tasks_from: Option<String>,
    /// `vars_from`.
    pub vars_from: Option<String>,
    /// `defaults_from`.
    pub defaults_from: Option<String>,
    /// `handlers_from`.
    pub handlers_from: Option<String>,
    /// Where the reference was written.
    pub origin: Origin,
}

impl RoleRef {
    /// Parses a `roles:` entry or a meta dependency: a name or a mapping.
    pub fn parse(node: &Node) -> Result<RoleRef, Error> {
        match node {
            Node::Leaf(Value::String(name), origin) => Ok(RoleRef {
                name: name.clone(),
                params: Map::new(),
                vars: Map::new(),
                keyword_node: Vec::new(),
                tasks_from: None,
                vars_from: None,
                defaults_from: None,
                handlers_from: None,
                origin: origin.clone(),
            }),
            Node::Map(entries, origin) => {
                let name = node
                    .get("role")
                    .or_else(|| node.get("name"))
                    .and_then(Node::as_str)
                    .ok_or_else(|| {
                        Error::syntax("role definitions must contain a role name", origin)
                    })?
                    .to_string();
                let mut r = RoleRef {
                    name,
                    params: Map::new(),
                    vars: Map::new(),
                    keyword_node: Vec::new(),
                    tasks_from: None,
                    vars_from: None,
                    defaults_from: None,
                    handlers_from: None,
                    origin: origin.clone(),
                };
                for (k, v) in entries {
                    match k.name.as_str() {
                        "role" | "name" => {}
                        "vars" => r.vars = super::task::vars_map(v)?,
                        "tasks_from" => r.tasks_from = v.as_str().map(str::to_string),
                        "vars_from" => r.vars_from = v.as_str().map(str::to_string),
                        "defaults_from" => r.defaults_from = v.as_str().map(str::to_string),
                        "handlers_from" => r.handlers_from = v.as_str().map(str::to_string),
                        key if keywords::INHERITED.contains(&key) => {
                            r.keyword_node.push((k.clone(), v.clone()))
                        }
                        key => {
                            r.params.insert(key.to_string(), v.to_value());
                        }
                    }
                }
                Ok(r)
            }
            other => Err(Error::syntax(
                format!("Invalid role definition: {}", other.type_name()),
                other.origin(),
            )),
        }
    }

    /// Identity used for role de-duplication within a play.
    pub fn dedup_key(&self, path: &std::path::Path) -> String {
        let kw: Vec<Value> = self
            .keyword_node
            .iter()
            .map(|(k, v)| Value::Array(vec![Value::String(k.name.clone()), v.to_value()]))
            .collect();
        format!(
            "{}|{}|{}|{}|{}",
            path.display(),
            Value::Object(self.params.clone()),
            Value::Object(self.vars.clone()),
            Value::Array(kw),
            self.tasks_from.as_deref().unwrap_or("main")
        )
    }
}
