//! Combining two variable mappings the way Ansible's `combine_vars` does: with
//! `hash_behaviour=replace` a key from the higher layer replaces the lower one wholesale; with
//! `merge`, mappings present on both sides are merged recursively (lists and scalars replaced).
//! A key that already exists keeps its position (Python dict update order).

use serde_json::{Map, Value};

use crate::config::HashBehaviour;

/// Adds `higher` on top of `lower` (in place) by `behaviour`.
pub fn combine_into(
    lower: &mut Map<String, Value>,
    higher: &Map<String, Value>,
    behaviour: HashBehaviour,
) {
    match behaviour {
        HashBehaviour::Replace => {
            for (key, value) in higher {
                lower.insert(key.clone(), value.clone());
            }
        }
        HashBehaviour::Merge => merge_into(lower, higher),
    }
}

/// Same as [`combine_into`], consuming `higher` (saves clones on hot paths).
pub fn combine_owned(
    lower: &mut Map<String, Value>,
    higher: Map<String, Value>,
    behaviour: HashBehaviour,
) {
    match behaviour {
        HashBehaviour::Replace => {
            for (key, value) in higher {
                lower.insert(key, value);
            }
        }
        HashBehaviour::Merge => merge_into(lower, &higher),
    }
}

/// Recursive merge (`merge_hash` with `recursive=True, list_merge='replace'`).
pub fn merge_into(lower: &mut Map<String, Value>, higher: &Map<String, Value>) {
    for (key, value) in higher {
        match (lower.get_mut(key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => {
                merge_into(existing, incoming)
            }
            _ => {
                lower.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn replace_swaps_whole_dicts_and_keeps_key_position() {
        let mut low = map(json!({"a": {"x": 1, "y": 2}, "b": 1}));
        combine_into(
            &mut low,
            &map(json!({"c": 3, "a": {"x": 9}})),
            HashBehaviour::Replace,
        );
        assert_eq!(
            serde_json::to_string(&low).unwrap(),
            r#"{"a":{"x":9},"b":1,"c":3}"#
        );
    }

    #[test]
    fn merge_is_recursive_and_replaces_lists() {
        let mut low = map(json!({"a": {"x": 1, "l": [1, 2], "d": {"p": 1}}}));
        combine_into(
            &mut low,
            &map(json!({"a": {"y": 2, "l": [3], "d": {"q": 2}}})),
            HashBehaviour::Merge,
        );
        assert_eq!(
            low,
            map(json!({"a": {"x": 1, "l": [3], "d": {"p": 1, "q": 2}, "y": 2}}))
        );
    }
}
