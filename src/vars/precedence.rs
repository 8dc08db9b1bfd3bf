//! Ansible's variable precedence ladder as a type: [`Layer`] lists the places a variable can
//! come from, lowest first (ANSIBLE-SEMANTICS VAR-01), and [`VarStack`] holds one mapping per
//! layer and flattens them with `hash_behaviour`.
//!
//! The inventory fills the inventory layers (through `Inventory::host_vars`, which already
//! merges steps 2–10 in Ansible's order); the engine fills the rest as a play runs.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::combine::combine_into;
use crate::config::HashBehaviour;

/// Where variables come from, lowest precedence first. The derived order *is* the precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// 1. Role `defaults/main.yml` (all roles of the play, then the running role's chain).
    RoleDefaults,
    /// 2–10. Inventory: group vars (file, group_vars/ beside inventory and playbook, by
    /// depth/priority/name), host vars, host_vars/ (as `Inventory::host_vars` merges them).
    Inventory,
    /// 11. Facts from gathering or the fact cache (`set_fact: cacheable=true`).
    Facts,
    /// 12. Play `vars:` and `vars_prompt` answers.
    PlayVars,
    /// 13. Play `vars_files`.
    PlayVarsFiles,
    /// 14. Role `vars/main.yml`.
    RoleVars,
    /// 15. Block and task `vars:`.
    TaskVars,
    /// 16. `include_vars` results.
    IncludeVars,
    /// 17. `set_fact` and `register` results.
    SetFacts,
    /// 18. Role parameters.
    RoleParams,
    /// 19. Parameters of the include that brought the task in.
    IncludeParams,
    /// 20. Extra vars (`-e`), which nothing overrides.
    ExtraVars,
    /// 21. Magic variables (`hostvars`, `groups`, `playbook_dir`, ...), set last.
    Magic,
}

/// One mapping per [`Layer`]; [`VarStack::flatten`] merges them lowest first.
#[derive(Debug, Clone, Default)]
pub struct VarStack {
    layers: BTreeMap<Layer, Map<String, Value>>,
}

impl VarStack {
    /// An empty stack.
    pub fn new() -> VarStack {
        VarStack::default()
    }

    /// Replaces the whole mapping of `layer`.
    pub fn set_layer(&mut self, layer: Layer, vars: Map<String, Value>) {
        self.layers.insert(layer, vars);
    }

    /// Adds `vars` on top of what `layer` already holds, by `behaviour`.
    pub fn extend_layer(
        &mut self,
        layer: Layer,
        vars: &Map<String, Value>,
        behaviour: HashBehaviour,
    ) {
        combine_into(self.layers.entry(layer).or_default(), vars, behaviour);
    }

    /// Sets one variable in `layer`.
    pub fn set(&mut self, layer: Layer, name: impl Into<String>, value: Value) {
        self.layers
            .entry(layer)
            .or_default()
            .insert(name.into(), value);
    }

    /// The mapping of one layer.
    pub fn layer(&self, layer: Layer) -> Option<&Map<String, Value>> {
        self.layers.get(&layer)
    }

    /// The value `name` would have, and the layer it comes from (highest layer holding it).
    /// With `merge` the value may combine several layers; this reports the top one.
    pub fn lookup(&self, name: &str) -> Option<(Layer, &Value)> {
        self.layers
            .iter()
            .rev()
            .find_map(|(layer, vars)| vars.get(name).map(|v| (*layer, v)))
    }

    /// All layers merged, lowest first.
    pub fn flatten(&self, behaviour: HashBehaviour) -> Map<String, Value> {
        let mut result = Map::new();
        for vars in self.layers.values() {
            combine_into(&mut result, vars, behaviour);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn higher_layers_win_regardless_of_fill_order() {
        let mut stack = VarStack::new();
        stack.set(Layer::ExtraVars, "x", json!("extra"));
        stack.set(Layer::PlayVars, "x", json!("play"));
        stack.set(Layer::RoleDefaults, "x", json!("default"));
        stack.set(Layer::RoleDefaults, "y", json!("default"));
        let flat = stack.flatten(HashBehaviour::Replace);
        assert_eq!(flat["x"], json!("extra"));
        assert_eq!(flat["y"], json!("default"));
        assert_eq!(stack.lookup("x").map(|(l, _)| l), Some(Layer::ExtraVars));
    }

    #[test]
    fn merge_behaviour_merges_dicts_across_layers() {
        let mut stack = VarStack::new();
        stack.set(Layer::Inventory, "d", json!({"a": 1}));
        stack.set(Layer::PlayVars, "d", json!({"b": 2}));
        assert_eq!(
            stack.flatten(HashBehaviour::Merge)["d"],
            json!({"a": 1, "b": 2})
        );
        assert_eq!(stack.flatten(HashBehaviour::Replace)["d"], json!({"b": 2}));
    }

    #[test]
    fn include_vars_beat_task_vars_and_set_fact_beats_include_vars() {
        assert!(Layer::IncludeVars > Layer::TaskVars);
        assert!(Layer::SetFacts > Layer::IncludeVars);
        assert!(Layer::ExtraVars > Layer::IncludeParams);
    }
}
