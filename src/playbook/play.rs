//! Playbooks and plays as loaded: the play's keywords, vars, sections (with roles' tasks already
//! placed before `tasks:`), handlers (role handlers first), and every role it uses.

use std::collections::BTreeMap;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::block::Item;
use super::node::Origin;
use super::role::RoleScope;
use super::task::Task;

/// A loaded playbook file (imports already inlined).
#[derive(Debug, Clone)]
pub struct Playbook {
    /// The playbook file (absolute).
    pub path: PathBuf,
    /// Its plays, in order.
    pub plays: Vec<Arc<Play>>,
}

/// A loaded play.
#[derive(Debug, Clone)]
pub struct Play {
    /// `name:` as written.
    pub name: Option<String>,
    /// `hosts:` (a pattern string or list, templated with extra vars and play vars).
    pub hosts: Value,
    /// Where the play starts.
    pub origin: Origin,
    /// Play `vars:`.
    pub vars: Map<String, Value>,
    /// Where each play var's value was written (2.19 names it in conditional errors).
    pub var_origins: BTreeMap<String, Origin>,
    /// `vars_files:` entries (strings, or lists of alternatives).
    pub vars_files: Vec<Value>,
    /// `vars_prompt:` entries, asked when the play starts.
    pub vars_prompt: Vec<super::vars_prompt::VarPrompt>,
    /// Play-level `module_defaults` (they also apply to fact gathering).
    pub module_defaults: Map<String, Value>,
    /// Play keywords (gather_facts, serial, become...).
    pub keywords: Map<String, Value>,
    /// Tags of the play.
    pub tags: Vec<String>,
    /// `pre_tasks:`.
    pub pre_tasks: Vec<Item>,
    /// Role tasks, then `tasks:`.
    pub tasks: Vec<Item>,
    /// `post_tasks:`.
    pub post_tasks: Vec<Item>,
    /// Handlers: role handlers in role order, then the play's.
    pub handlers: Vec<Arc<Task>>,
    /// Every role of the play (dependencies first), for defaults and vars.
    pub roles: Vec<Arc<RoleScope>>,
    /// De-duplication keys of the roles `roles:` and dependencies placed at load time: a
    /// dependency of an `include_role` that matches one of them does not run again.
    pub placed_roles: HashSet<String>,
    /// The playbook directory.
    pub playbook_dir: PathBuf,
}

impl Play {
    /// A play keyword, if set.
    pub fn keyword(&self, name: &str) -> Option<&Value> {
        self.keywords.get(name).filter(|v| !v.is_null())
    }

    /// The name shown in the PLAY banner: `name`, else the hosts joined by `,`.
    pub fn display_name(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        match &self.hosts {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(rplay_modules::spec::value_to_string)
                .collect::<Vec<_>>()
                .join(","),
            other => rplay_modules::spec::value_to_string(other),
        }
    }
}
