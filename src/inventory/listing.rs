//! What `rinventory` prints, shaped exactly like `ansible-inventory`'s output: the `--list`
//! JSON (groups with `hosts`/`children`, `_meta.hostvars`), `--host` variables, the `--yaml`
//! tree and the `--graph` text, plus a JSON writer that formats like Python's
//! `json.dumps(sort_keys=True, indent=4)` so outputs compare byte for byte.

use std::collections::HashSet;
use std::path::Path;

use serde_json::{Map, Value};

use super::{remove_internal, Inventory};
use crate::diag::Diagnostic;
use crate::pyjson::python_str;

/// Options shared by the listing functions.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListOptions<'a> {
    /// `--playbook-dir`: also read group_vars/host_vars there.
    pub playbook_dir: Option<&'a Path>,
    /// `--export`: group vars at group level, host vars only host-level.
    pub export: bool,
    /// Where play-adjacent group_vars/host_vars are read for full host variables when no
    /// `--playbook-dir` is given: ansible-inventory uses its current directory.
    pub default_play_dir: Option<&'a Path>,
}

impl Inventory {
    /// Host variables as `ansible-inventory` shows them (internal vars removed). `!unsafe`
    /// strings keep their `{"__ansible_unsafe": ...}` marker only when `keep_unsafe` (as in
    /// `--list`'s `_meta.hostvars`); elsewhere (`--host`, `--graph`) they print as strings.
    pub fn display_host_vars(
        &self,
        host: &str,
        options: ListOptions<'_>,
        keep_unsafe: bool,
    ) -> Result<Map<String, Value>, Diagnostic> {
        let mut vars = if options.export {
            self.host_vars_export(host, options.playbook_dir)?
        } else {
            self.host_vars(host, options.playbook_dir.or(options.default_play_dir))?
        };
        remove_internal(&mut vars);
        if !keep_unsafe {
            strip_unsafe_markers(&mut vars);
        }
        Ok(vars)
    }

    /// Group variables as `ansible-inventory --export`/`--graph --vars` show them (see
    /// [`Inventory::display_host_vars`] for `keep_unsafe`).
    pub fn display_group_vars(
        &self,
        group: &str,
        options: ListOptions<'_>,
        keep_unsafe: bool,
    ) -> Result<Map<String, Value>, Diagnostic> {
        let mut vars = self.group_vars(group, options.playbook_dir)?;
        remove_internal(&mut vars);
        if !keep_unsafe {
            strip_unsafe_markers(&mut vars);
        }
        Ok(vars)
    }

    /// The `--list` document.
    pub fn list_json(&self, options: ListOptions<'_>) -> Result<Value, Diagnostic> {
        let hosts = self.select_quietly("all")?;
        let available: HashSet<&str> = hosts.iter().map(String::as_str).collect();
        let mut results = Map::new();
        let mut seen = HashSet::new();
        self.format_group_json("all", &available, options, &mut seen, &mut results)?;
        let mut hostvars = Map::new();
        for host in &hosts {
            let vars = self.display_host_vars(host, options, true)?;
            if !vars.is_empty() {
                hostvars.insert(host.clone(), Value::Object(vars));
            }
        }
        let mut meta = Map::new();
        meta.insert("hostvars".into(), Value::Object(hostvars));
        meta.insert("profile".into(), Value::String("inventory_legacy".into()));
        results.insert("_meta".into(), Value::Object(meta));
        Ok(Value::Object(results))
    }

    fn select_quietly(&self, pattern: &str) -> Result<Vec<String>, Diagnostic> {
        self.select(pattern)
    }

    fn format_group_json(
        &self,
        name: &str,
        available: &HashSet<&str>,
        options: ListOptions<'_>,
        seen: &mut HashSet<String>,
        results: &mut Map<String, Value>,
    ) -> Result<(), Diagnostic> {
        let Some(group) = self.group(name) else {
            return Ok(());
        };
        let mut entry = Map::new();
        if name != "all" {
            let hosts: Vec<Value> = group
                .hosts
                .iter()
                .filter(|h| available.contains(h.as_str()))
                .map(|h| Value::String(h.clone()))
                .collect();
            entry.insert("hosts".into(), Value::Array(hosts));
        }
        let mut children = Vec::new();
        let mut nested = Map::new();
        for child in &group.children {
            children.push(Value::String(child.clone()));
            if !seen.contains(child) {
                self.format_group_json(child, available, options, seen, &mut nested)?;
                seen.insert(child.clone());
            }
        }
        entry.insert("children".into(), Value::Array(children));
        if options.export {
            entry.insert(
                "vars".into(),
                Value::Object(self.display_group_vars(name, options, true)?),
            );
        }
        remove_empty(&mut entry);
        // Python builds `results[name]` first, then `update`s the children's entries in.
        if !entry.is_empty() {
            results.insert(name.to_string(), Value::Object(entry));
        }
        for (k, v) in nested {
            results.insert(k, v);
        }
        Ok(())
    }

    /// The `--yaml` document (nested groups, host vars on the first occurrence of a host).
    pub fn list_yaml_tree(&self, options: ListOptions<'_>) -> Result<Value, Diagnostic> {
        let hosts = self.select_quietly("all")?;
        let available: HashSet<&str> = hosts.iter().map(String::as_str).collect();
        let mut seen_hosts = HashSet::new();
        let mut seen_groups = HashSet::new();
        let mut out = Map::new();
        self.format_group_yaml(
            "all",
            &available,
            options,
            &mut seen_hosts,
            &mut seen_groups,
            &mut out,
        )?;
        Ok(Value::Object(out))
    }

    fn format_group_yaml(
        &self,
        name: &str,
        available: &HashSet<&str>,
        options: ListOptions<'_>,
        seen_hosts: &mut HashSet<String>,
        seen_groups: &mut HashSet<String>,
        out: &mut Map<String, Value>,
    ) -> Result<(), Diagnostic> {
        let Some(group) = self.group(name) else {
            return Ok(());
        };
        let mut entry = Map::new();
        let mut children = Map::new();
        for child in &group.children {
            if child == "all" {
                continue;
            }
            if seen_groups.contains(child) {
                children.insert(child.clone(), Value::Object(Map::new()));
            } else {
                self.format_group_yaml(
                    child,
                    available,
                    options,
                    seen_hosts,
                    seen_groups,
                    &mut children,
                )?;
                seen_groups.insert(child.clone());
            }
        }
        entry.insert("children".into(), Value::Object(children));
        let mut hosts = Map::new();
        if name != "all" {
            for host in &group.hosts {
                if !available.contains(host.as_str()) {
                    continue;
                }
                let vars = if seen_hosts.insert(host.clone()) {
                    self.display_host_vars(host, options, false)?
                } else {
                    Map::new()
                };
                hosts.insert(host.clone(), Value::Object(vars));
            }
        }
        entry.insert("hosts".into(), Value::Object(hosts));
        if options.export {
            let vars = self.display_group_vars(name, options, false)?;
            if !vars.is_empty() {
                entry.insert("vars".into(), Value::Object(vars));
            }
        }
        remove_empty(&mut entry);
        if !entry.is_empty() {
            out.insert(name.to_string(), Value::Object(entry));
        }
        Ok(())
    }

    /// The `--graph` text from `group` (with `--vars`: host and group variables).
    pub fn graph(
        &self,
        group: &str,
        show_vars: bool,
        options: ListOptions<'_>,
    ) -> Result<String, Diagnostic> {
        if self.group(group).is_none() {
            return Err(Diagnostic::error(
                "Pattern must be valid group name when using --graph",
            ));
        }
        let mut lines = Vec::new();
        self.graph_group(group, 0, show_vars, options, &mut lines)?;
        Ok(lines.join("\n"))
    }

    fn graph_group(
        &self,
        name: &str,
        depth: usize,
        show_vars: bool,
        options: ListOptions<'_>,
        lines: &mut Vec<String>,
    ) -> Result<(), Diagnostic> {
        let Some(group) = self.group(name) else {
            return Ok(());
        };
        lines.push(graph_line(&format!("@{name}:"), depth));
        for child in &group.children {
            self.graph_group(child, depth + 1, show_vars, options, lines)?;
        }
        if name != "all" {
            for host in &group.hosts {
                lines.push(graph_line(host, depth + 1));
                if show_vars {
                    let vars = self.display_host_vars(host, options, false)?;
                    push_vars(&vars, depth + 2, lines);
                }
            }
        }
        if show_vars {
            let vars = self.display_group_vars(name, options, false)?;
            push_vars(&vars, depth + 1, lines);
        }
        Ok(())
    }
}

/// ansible-inventory prints `!unsafe` strings as plain strings.
fn strip_unsafe_markers(vars: &mut Map<String, Value>) {
    for value in vars.values_mut() {
        strip_unsafe(value);
    }
}

fn strip_unsafe(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(Value::String(text)) = map.get(crate::yaml::UNSAFE_KEY) {
                    *value = Value::String(text.clone());
                    return;
                }
            }
            strip_unsafe_markers(map);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_unsafe),
        _ => {}
    }
}

fn push_vars(vars: &Map<String, Value>, depth: usize, lines: &mut Vec<String>) {
    let mut keys: Vec<&String> = vars.keys().collect();
    keys.sort();
    for key in keys {
        lines.push(graph_line(
            &format!("{{{key} = {}}}", python_str(&vars[key])),
            depth,
        ));
    }
}

fn graph_line(text: &str, depth: usize) -> String {
    if depth == 0 {
        text.to_string()
    } else {
        format!("{}--{text}", "  |".repeat(depth))
    }
}

fn remove_empty(entry: &mut Map<String, Value>) {
    entry.retain(|key, value| {
        let empty = match value {
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        };
        !(matches!(key.as_str(), "hosts" | "vars" | "children") && empty)
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pyjson::pretty as python_json;

    #[test]
    fn json_matches_python_dumps() {
        let v = json!({"b": [1, 2.5, {}], "a": "é\n\u{1}", "c": [], "d": 1.0, "e": null});
        // json.dumps(v, sort_keys=True, indent=4, ensure_ascii=False) in Python 3.11.
        let expected = "{\n    \"a\": \"é\\n\\u0001\",\n    \"b\": [\n        1,\n        2.5,\n        {}\n    ],\n    \"c\": [],\n    \"d\": 1.0,\n    \"e\": null\n}";
        assert_eq!(python_json(&v), expected);
    }

    #[test]
    fn python_str_and_repr() {
        assert_eq!(python_str(&json!("x")), "x");
        assert_eq!(
            python_str(&json!([1, "a", true, null])),
            "[1, 'a', True, None]"
        );
        assert_eq!(python_str(&json!({"k": "it's"})), "{'k': \"it's\"}");
        assert_eq!(python_str(&json!(1e16)), "1e+16");
        assert_eq!(python_str(&json!(0.5)), "0.5");
    }
}
