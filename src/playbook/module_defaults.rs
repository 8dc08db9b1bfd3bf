//! `module_defaults` on plays, roles, blocks and tasks: default arguments per action or action
//! group, validated and keyed by the action's canonical name at load time, merged level by level
//! (an inner level's entry for the same action replaces the outer one whole, as Ansible's dict
//! update does), and applied under the task's own arguments when it runs.

use serde_json::{Map, Value};

use super::error::Error;
use super::node::Node;

/// The action groups ansible-core 2.19 defines (`ansible.builtin`'s runtime metadata). They only
/// gather modules of other collections, none of which rplay implements, so they name no rplay
/// module; a default for them applies to nothing, as for a playbook without those collections.
const BUILTIN_GROUPS: &[&str] = &[
    "testgroup",
    "testlegacy",
    "aws",
    "acme",
    "azure",
    "cpm",
    "docker",
    "gcp",
    "k8s",
    "os",
    "ovirt",
    "vmware",
];

const NOT_A_DICT: &str = "The field 'module_defaults' is supposed to be a dictionary or list of \
dictionaries, the keys of which must be static action, module, or group names. Only the values \
may contain templates. For example: {'ping': \"{{ ping_defaults }}\"}";

/// Folds one level's `module_defaults:` (a mapping or a list of mappings) into `into`.
pub fn fold(into: &mut Map<String, Value>, node: &Node) -> Result<(), Error> {
    let dicts: Vec<&Node> = match node {
        Node::Leaf(Value::Null, _) => return Ok(()),
        Node::Seq(items, _) => items.iter().collect(),
        other => vec![other],
    };
    for dict in dicts {
        let Some(entries) = dict.as_map() else {
            return Err(Error::syntax(NOT_A_DICT, dict.origin()));
        };
        for (k, v) in entries {
            let key = resolve_key(&k.name).map_err(|msg| Error::syntax(msg, &k.origin))?;
            into.insert(key, v.to_value());
        }
    }
    Ok(())
}

/// `group/<name>` → `group/ansible.builtin.<name>`; an action → its canonical module name.
fn resolve_key(written: &str) -> Result<String, String> {
    if let Some(group) = written.strip_prefix("group/") {
        let short = group.strip_prefix("ansible.builtin.").unwrap_or(group);
        if group.split('.').count() >= 3 && !group.starts_with("ansible.builtin.") {
            // A collection's group: none of them holds a module rplay implements.
            return Ok(format!("group/{group}"));
        }
        if BUILTIN_GROUPS.contains(&short) {
            return Ok(format!("group/ansible.builtin.{short}"));
        }
        return Err(format!(
            "Error loading module_defaults: could not resolve the module_defaults group ansible.builtin.{short}"
        ));
    }
    let full = if written.split('.').count() < 3 {
        format!("ansible.legacy.{written}")
    } else {
        written.to_string()
    };
    match rplay_modules::registry::find(written) {
        Some(m) => Ok(m.spec().name.to_string()),
        None => Err(format!(
            "Could not resolve action {full} in module_defaults"
        )),
    }
}

/// The default-argument values (untemplated) that apply to `action`, in the order they apply.
pub fn for_action<'a>(defaults: &'a Map<String, Value>, action: &str) -> Vec<&'a Value> {
    defaults
        .iter()
        .filter(|(k, _)| !k.starts_with("group/") && k.as_str() == action)
        .map(|(_, v)| v)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_resolve_to_canonical_names_and_known_groups() {
        assert_eq!(resolve_key("ansible.builtin.debug").as_deref(), Ok("debug"));
        assert_eq!(resolve_key("ansible.legacy.copy").as_deref(), Ok("copy"));
        assert_eq!(
            resolve_key("group/aws").as_deref(),
            Ok("group/ansible.builtin.aws")
        );
        assert!(resolve_key("group/nothing")
            .unwrap_err()
            .contains("ansible.builtin.nothing"));
        assert!(resolve_key("nosuch")
            .unwrap_err()
            .contains("ansible.legacy.nosuch"));
    }
}
