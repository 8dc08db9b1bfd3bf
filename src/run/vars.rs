//! The variables a task sees on a host, merged in Ansible's precedence order (VAR-01), lowest
//! first: role defaults, inventory vars, facts, play vars, vars_files, role vars, block/task vars,
//! include_vars, set_fact/register, role params, include params, extra vars, magic vars.
//! Values stay raw (templates inside are rendered lazily when read).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::host_state::HostState;
use crate::playbook::{RoleScope, Task};

/// Everything that feeds a host's task variables.
pub struct VarInputs<'a> {
    /// All public roles of the play.
    pub play_roles: &'a [Arc<RoleScope>],
    /// The host's inventory variables (levels 2–10).
    pub inventory_vars: Map<String, Value>,
    /// The host's run memory.
    pub state: &'a HostState,
    /// Play `vars:`.
    pub play_vars: &'a Map<String, Value>,
    /// Play `vars_files` contents, merged.
    pub vars_files: &'a Map<String, Value>,
    /// The task (None for play-level templating such as `hosts:`).
    pub task: Option<&'a Task>,
    /// `-e` values.
    pub extra_vars: &'a Map<String, Value>,
    /// Magic variables.
    pub magic: Map<String, Value>,
}

fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        into.insert(k.clone(), v.clone());
    }
}

/// Facts as variables: `ansible_facts` plus each fact injected as `ansible_<name>`.
pub fn fact_vars(facts: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in facts {
        let name = if k.starts_with("ansible_") || k == "module_setup" || k == "gather_subset" {
            k.clone()
        } else {
            format!("ansible_{k}")
        };
        out.insert(name, v.clone());
    }
    if let Some(local) = facts.get("local") {
        out.insert("ansible_local".into(), local.clone());
    }
    out
}

/// Merges the layers for one host and task.
pub fn assemble(inp: &VarInputs<'_>) -> Map<String, Value> {
    let mut vars = Map::new();
    let role = inp.task.and_then(|t| t.role.as_ref());
    for r in inp.play_roles {
        if r.public {
            merge(&mut vars, &r.defaults);
        }
    }
    if let Some(r) = role {
        merge(&mut vars, &r.defaults);
    }
    merge(&mut vars, &inp.inventory_vars);
    merge(&mut vars, &fact_vars(&inp.state.facts));
    vars.insert(
        "ansible_facts".into(),
        Value::Object(inp.state.facts.clone()),
    );
    merge(&mut vars, inp.play_vars);
    merge(&mut vars, inp.vars_files);
    for r in inp.play_roles {
        if r.public {
            merge(&mut vars, &r.vars);
            merge(&mut vars, &r.entry_vars);
        }
    }
    if let Some(r) = role {
        merge(&mut vars, &r.vars);
        merge(&mut vars, &r.entry_vars);
    }
    if let Some(t) = inp.task {
        merge(&mut vars, &t.vars);
    }
    merge(&mut vars, &inp.state.include_vars);
    merge(&mut vars, &inp.state.set_facts);
    if let Some(r) = role {
        merge(&mut vars, &r.params);
    }
    if let Some(t) = inp.task {
        merge(&mut vars, &t.include_params);
    }
    merge(&mut vars, inp.extra_vars);
    merge(&mut vars, &inp.magic);
    if let Some(r) = role {
        vars.insert("role_name".into(), Value::String(r.name.clone()));
        vars.insert(
            "role_path".into(),
            Value::String(r.path.display().to_string()),
        );
        vars.insert("ansible_role_name".into(), Value::String(r.name.clone()));
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn ladder_order() {
        let state = HostState {
            facts: m(json!({"distribution": "Debian"})),
            set_facts: m(json!({"a": "set_fact", "e": "set_fact"})),
            ..Default::default()
        };
        let play_vars = m(json!({"a": "play", "b": "play"}));
        let files = m(json!({"b": "vars_files"}));
        let extra = m(json!({"e": "extra"}));
        let inp = VarInputs {
            play_roles: &[],
            inventory_vars: m(json!({"a": "inv", "c": "inv"})),
            state: &state,
            play_vars: &play_vars,
            vars_files: &files,
            task: None,
            extra_vars: &extra,
            magic: m(json!({"inventory_hostname": "h"})),
        };
        let v = assemble(&inp);
        assert_eq!(v["a"], "set_fact");
        assert_eq!(v["b"], "vars_files");
        assert_eq!(v["c"], "inv");
        assert_eq!(v["e"], "extra");
        assert_eq!(v["ansible_distribution"], "Debian");
        assert_eq!(v["ansible_facts"]["distribution"], "Debian");
    }
}
