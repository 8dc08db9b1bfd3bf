//! What a task produced (registered results, `set_fact` values) is data, not a template (TPL-02):
//! 2.19 templates only strings loaded from playbooks, roles, vars files and inventory, so a
//! registered stdout of `{{ k }}` stays literal when read later. Such strings are stored marked
//! `{"__ansible_unsafe": ...}`, which the lazy variables hand out as they are.

use serde_json::{Map, Value};

use super::Templar;
use crate::yaml::UNSAFE_KEY;

/// `value` with every string that looks like a template marked as never to be templated.
pub fn as_data(value: Value) -> Value {
    match value {
        Value::String(s) if Templar::is_template(&s) => {
            let mut m = Map::new();
            m.insert(UNSAFE_KEY.to_string(), Value::String(s));
            Value::Object(m)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(as_data).collect()),
        Value::Object(map) if !(map.len() == 1 && map.contains_key(UNSAFE_KEY)) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, as_data(v))).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_template_strings_are_marked() {
        let v = as_data(json!({"stdout": "{{ k }}", "rc": 0, "lines": ["a", "{% x %}"]}));
        assert_eq!(
            v,
            json!({"stdout": {"__ansible_unsafe": "{{ k }}"}, "rc": 0,
                   "lines": ["a", {"__ansible_unsafe": "{% x %}"}]})
        );
    }
}
