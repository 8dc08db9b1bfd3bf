//! YAML (and JSON) inventory files, as Ansible's `yaml` inventory plugin reads them: top-level
//! keys are groups; each group may have `hosts` (host pattern → vars or null), `vars` and
//! `children` (group → group definition or null). A string in place of one of those mappings
//! means `{string: null}`; other keys are skipped with a warning.

use serde_json::Value;

use super::data::InventoryData;
use super::range::expand_host_pattern;
use crate::diag::Diagnostic;
use crate::yaml::{Node, Yaml};

/// Why a file is not a YAML inventory (the caller may then try another format).
pub(crate) enum Rejected {
    /// Not YAML at all, empty, not a mapping, or a plugin configuration: try other formats.
    NotYamlInventory(Diagnostic),
    /// A YAML inventory with an error in it: report.
    Invalid(Diagnostic),
}

/// Loads the YAML inventory in `text` (from file `label`) into `data`.
pub(crate) fn parse(
    text: &str,
    label: &str,
    data: &mut InventoryData,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Rejected> {
    let loaded =
        crate::yaml::load_str_with_warnings(text, label).map_err(Rejected::NotYamlInventory)?;
    let root = match loaded.documents.as_slice() {
        [] => {
            return Err(Rejected::NotYamlInventory(Diagnostic::error(format!(
                "{label}: Parsed empty YAML file"
            ))))
        }
        [one] => one,
        [_, second, ..] => {
            return Err(Rejected::NotYamlInventory(Diagnostic::in_source(
                second.span.clone(),
                "expected a single document in the stream",
                text,
            )))
        }
    };
    let Some(map) = root.as_map() else {
        let message = if root.is_null() {
            format!("{label}: Parsed empty YAML file")
        } else {
            format!(
                "YAML inventory has invalid structure, it should be a dictionary, got: {}",
                root.kind()
            )
        };
        return Err(Rejected::NotYamlInventory(Diagnostic::in_source(
            root.span.clone(),
            message,
            text,
        )));
    };
    if map
        .get("plugin")
        .is_some_and(|p| !p.is_null() && p.as_bool() != Some(false))
    {
        return Err(Rejected::NotYamlInventory(Diagnostic::in_source(
            root.span.clone(),
            "Plugin configuration YAML file, not YAML inventory (inventory plugins are not supported by rplay)",
            text,
        )));
    }
    warnings.extend(loaded.warnings);
    for (name, group) in map {
        parse_group(name, group, text, data, warnings).map_err(Rejected::Invalid)?;
    }
    Ok(())
}

fn parse_group(
    name: &str,
    node: &Node,
    text: &str,
    data: &mut InventoryData,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    let at = |node: &Node, message: String| {
        Diagnostic::in_source(
            node.key_span.clone().unwrap_or_else(|| node.span.clone()),
            message,
            text,
        )
    };
    let entries = match &node.value {
        Yaml::Null => {
            data.add_group(name);
            return Ok(());
        }
        Yaml::Map(entries) => entries,
        _ => {
            warnings.push(
                at(
                    node,
                    format!("Skipping '{name}' as this is not a valid group definition"),
                )
                .into_warning(),
            );
            return Ok(());
        }
    };
    data.add_group(name);
    for (key, section) in entries {
        let is_section = matches!(key.as_str(), "vars" | "children" | "hosts");
        // A string stands for a one-entry mapping `{string: null}`.
        let single;
        let items: Vec<(&str, Option<&Node>, &Node)> = match &section.value {
            Yaml::Str(s) | Yaml::Unsafe(s) if is_section => {
                single = s.clone();
                vec![(single.as_str(), None, section)]
            }
            Yaml::Map(m) => m.iter().map(|(k, v)| (k.as_str(), Some(v), v)).collect(),
            Yaml::Null => continue,
            _ if is_section => {
                return Err(at(
                    section,
                    format!(
                        "Invalid \"{key}\" entry for \"{name}\" group, requires a dictionary, found \"{}\" instead.",
                        python_type(section)
                    ),
                ))
            }
            _ => {
                warnings.push(
                    at(
                        section,
                        format!(
                            "Skipping key ({key}) in group ({name}) as it is not a mapping, it is a {}",
                            python_type(section)
                        ),
                    )
                    .into_warning(),
                );
                continue;
            }
        };
        match key.as_str() {
            "vars" => {
                for (var, value, _) in items {
                    let origin = value.map(|v| {
                        format!("{}:{}:{}", v.span.file, v.span.line, v.span.col)
                    });
                    let value = value.map_or(Value::Null, Node::to_json);
                    data.set_group_var(name, var, value).map_err(|e| at(section, e))?;
                    if let Some(o) = origin {
                        data.note_group_var_origin(name, var, o);
                    }
                }
            }
            "children" => {
                for (child, definition, place) in items {
                    match definition {
                        Some(def) => parse_group(child, def, text, data, warnings)?,
                        None => data.add_group(child),
                    }
                    data.add_child_group(name, child).map_err(|e| at(place, e))?;
                }
            }
            "hosts" => {
                for (pattern, host_vars, place) in items {
                    let (names, port) = expand_host_pattern(pattern).map_err(|e| at(place, e))?;
                    let vars = match host_vars.map(|v| &v.value) {
                        None | Some(Yaml::Null) => None,
                        Some(Yaml::Map(m)) => Some(m),
                        Some(_) => {
                            return Err(at(
                                place,
                                format!("Invalid host entry '{pattern}' in group '{name}': host variables must be a mapping"),
                            ))
                        }
                    };
                    for host in names {
                        data.add_host(&host, Some(name), port).map_err(|e| at(place, e))?;
                        if let Some(vars) = vars {
                            for (var, value) in vars {
                                data.set_host_var(&host, var, value.to_json());
                                let o = &value.span;
                                data.note_host_var_origin(
                                    &host,
                                    var,
                                    format!("{}:{}:{}", o.file, o.line, o.col),
                                );
                            }
                        }
                    }
                }
            }
            _ => warnings.push(
                at(
                    section,
                    format!("Skipping unexpected key ({key}) in group ({name}), only \"vars\", \"children\" and \"hosts\" are valid"),
                )
                .into_warning(),
            ),
        }
    }
    Ok(())
}

/// Python's type name for a value, as Ansible's messages show it.
fn python_type(node: &Node) -> &'static str {
    match node.value {
        Yaml::Null => "<class 'NoneType'>",
        Yaml::Bool(_) => "<class 'bool'>",
        Yaml::Int(_) => "<class 'int'>",
        Yaml::Float(_) => "<class 'float'>",
        Yaml::Str(_) | Yaml::Unsafe(_) | Yaml::Vault(_) => "<class 'str'>",
        Yaml::Seq(_) => "<class 'list'>",
        Yaml::Map(_) => "<class 'dict'>",
        Yaml::Timestamp(ts) if ts.time.is_some() => "<class 'datetime.datetime'>",
        Yaml::Timestamp(_) => "<class 'datetime.date'>",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::HashBehaviour;

    fn load(text: &str) -> Result<InventoryData, Diagnostic> {
        let mut data = InventoryData::new(HashBehaviour::Replace);
        let mut warnings = Vec::new();
        match parse(text, "inv.yml", &mut data, &mut warnings) {
            Ok(()) => {}
            Err(Rejected::Invalid(d) | Rejected::NotYamlInventory(d)) => return Err(d),
        }
        data.reconcile();
        Ok(data)
    }

    #[test]
    fn groups_hosts_vars_children() {
        let d = load(
            "all:\n  vars:\n    v: yes\n  hosts: lone\n  children:\n    web:\n      hosts:\n        web[1:2]:2222: {a: 1}\n      vars: {p: 0644}\n      children: db\n",
        )
        .unwrap();
        assert_eq!(d.groups["all"].vars["v"], json!(true));
        assert_eq!(d.groups["web"].vars["p"], json!(420));
        assert_eq!(d.hosts["web2"].vars["ansible_port"], json!(2222));
        assert_eq!(d.hosts["web2"].vars["a"], json!(1));
        assert!(d.groups["web"].children.contains("db"));
        assert!(d.groups["ungrouped"].hosts.contains("lone"));
    }

    #[test]
    fn non_inventory_yaml_is_rejected_for_other_formats() {
        let mut data = InventoryData::new(HashBehaviour::Replace);
        let mut w = Vec::new();
        assert!(matches!(
            parse("", "x", &mut data, &mut w),
            Err(Rejected::NotYamlInventory(_))
        ));
        assert!(matches!(
            parse("- a\n", "x", &mut data, &mut w),
            Err(Rejected::NotYamlInventory(_))
        ));
        assert!(matches!(
            parse("plugin: aws_ec2\n", "x", &mut data, &mut w),
            Err(Rejected::NotYamlInventory(_))
        ));
        assert!(matches!(
            parse("[web]\nh1\n", "x", &mut data, &mut w),
            Err(Rejected::NotYamlInventory(_))
        ));
    }

    #[test]
    fn bad_section_type_is_an_error_with_location() {
        let e = load("all:\n  hosts:\n    - a\n").unwrap_err();
        assert!(e.message.contains("requires a dictionary"), "{e}");
        assert_eq!(e.span.map(|s| s.line), Some(2));
    }
}
