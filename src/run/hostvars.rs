//! `hostvars`: a lazy mapping from host name to that host's variables without play context
//! (inventory vars, facts, set_fact/register, include_vars), built only when a template reads it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, Value};
use serde_json::{Map, Value as Json};

use super::host_state::HostState;
use super::inventory_view::InventoryView;
use super::vars::fact_vars;
use crate::template::VarsContext;

/// The `hostvars` object of a template context.
#[derive(Clone)]
pub struct HostVars {
    /// The inventory.
    pub inventory: Arc<dyn InventoryView>,
    /// Per-host run memory.
    pub hosts: Arc<Mutex<HashMap<String, HostState>>>,
    /// The template engine (each host's vars are templated lazily).
    pub templating: Arc<super::templating::Templating>,
}

impl std::fmt::Debug for HostVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hostvars")
    }
}

impl HostVars {
    fn vars_of(&self, host: &str) -> Option<Map<String, Json>> {
        let known = self
            .inventory
            .select(host)
            .map(|h| !h.is_empty())
            .unwrap_or(false)
            || host == "localhost";
        if !known {
            return None;
        }
        let mut m = self.inventory.host_vars(host);
        let state = self
            .hosts
            .lock()
            .ok()
            .and_then(|h| h.get(host).cloned())
            .unwrap_or_default();
        m.extend(fact_vars(&state.facts));
        m.insert("ansible_facts".into(), Json::Object(state.facts.clone()));
        m.extend(state.include_vars);
        m.extend(state.set_facts);
        m.insert("inventory_hostname".into(), Json::String(host.to_string()));
        m.insert(
            "group_names".into(),
            serde_json::json!(self.inventory.group_names(host)),
        );
        Some(m)
    }
}

impl Object for HostVars {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let host = key.as_str()?;
        self.vars_of(host).map(|m| {
            VarsContext::new(self.templating.templar(), Arc::new(m))
                .with_type_name("HostVarsVars")
                .into_value()
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let hosts = self.inventory.select("all").unwrap_or_default();
        Enumerator::Values(hosts.into_iter().map(Value::from).collect())
    }
}
