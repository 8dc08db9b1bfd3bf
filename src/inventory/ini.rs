//! INI inventory files, as Ansible's `ini` inventory plugin reads them: `[group]`,
//! `[group:vars]`, `[group:children]` sections, host lines split like a shell command line
//! with `key=value` variables, values typed by Python literal rules (so `yes` stays a string),
//! `#`/`;` comment lines, lines before any section in `ungrouped`.

use std::path::Path;

use indexmap::IndexMap;
use serde_json::Value;

use super::data::InventoryData;
use super::literal::literal_eval;
use super::range::expand_host_pattern;
use super::shlex;
use crate::diag::{Diagnostic, Span};

/// Where a `[x:children]` or `[x:vars]` section referred to a group not defined yet.
struct Pending {
    line: usize,
    vars_only: bool,
    parents: Vec<String>,
}

/// Parses `text` (the contents of `path`) into `data`.
pub(crate) fn parse(
    text: &str,
    path: &Path,
    data: &mut InventoryData,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    let label: std::sync::Arc<str> = std::sync::Arc::from(path.display().to_string().as_str());
    let at = |line: usize, col: usize, message: String| {
        Diagnostic::in_source(
            Span {
                file: label.clone(),
                line,
                col,
            },
            message,
            text,
        )
    };
    let mut pending: IndexMap<String, Pending> = IndexMap::new();
    let mut group = "ungrouped".to_string();
    let mut state = "hosts";
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        let col = raw.len() - raw.trim_start().len() + 1;
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some((name, kind)) = section_header(line) {
            let kind = kind.unwrap_or("hosts");
            if !matches!(kind, "hosts" | "children" | "vars") {
                return Err(at(
                    line_no,
                    col,
                    format!("Section [{name}:{kind}] has unknown type: {kind}"),
                ));
            }
            warn_group_name(name, &label, line_no, warnings);
            if !data.groups.contains_key(name) {
                if kind == "vars" && !pending.contains_key(name) {
                    pending.insert(
                        name.to_string(),
                        Pending {
                            line: line_no,
                            vars_only: true,
                            parents: Vec::new(),
                        },
                    );
                }
                data.add_group(name);
            }
            if kind != "vars" {
                if let Some(declared) = pending.shift_remove(name) {
                    for parent in declared.parents {
                        data.add_child_group(&parent, name)
                            .map_err(|e| at(declared.line, 1, e))?;
                    }
                }
            }
            group = name.to_string();
            state = kind;
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(at(
                line_no,
                col,
                format!("Invalid section entry: '{line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters"),
            ));
        }
        match state {
            "hosts" => {
                let tokens = shlex::split(line).map_err(|e| {
                    at(
                        line_no,
                        col,
                        format!("Error parsing host definition '{line}': {e}"),
                    )
                })?;
                let Some(first) = tokens.first() else {
                    continue;
                };
                let (names, port) = expand_host_pattern(first).map_err(|e| at(line_no, col, e))?;
                let mut vars = Vec::new();
                for token in &tokens[1..] {
                    let Some((key, value)) = token.split_once('=') else {
                        return Err(at(
                            line_no,
                            column_of(raw, token),
                            format!("Expected key=value host variable assignment, got: {token}"),
                        ));
                    };
                    vars.push((key.to_string(), ini_value(value)));
                }
                for name in names {
                    data.add_host(&name, Some(&group), port)
                        .map_err(|e| at(line_no, col, e))?;
                    for (key, value) in &vars {
                        data.set_host_var(&name, key, value.clone());
                        data.note_host_var_origin(&name, key, format!("{label}:{line_no}"));
                    }
                }
            }
            "vars" => {
                let Some((key, value)) = line.split_once('=') else {
                    return Err(at(line_no, col, format!("Expected key=value, got: {line}")));
                };
                data.set_group_var(&group, key.trim(), ini_value(value.trim()))
                    .map_err(|e| at(line_no, col, e))?;
                data.note_group_var_origin(&group, key.trim(), format!("{label}:{line_no}"));
            }
            _ => {
                let Some(child) = child_group_name(line) else {
                    return Err(at(
                        line_no,
                        col,
                        format!("Expected group name, got: {line}"),
                    ));
                };
                if data.groups.contains_key(child) {
                    data.add_child_group(&group, child)
                        .map_err(|e| at(line_no, col, e))?;
                } else {
                    let entry = pending.entry(child.to_string()).or_insert(Pending {
                        line: line_no,
                        vars_only: false,
                        parents: Vec::new(),
                    });
                    entry.vars_only = false;
                    entry.parents.push(group.clone());
                }
            }
        }
    }
    if let Some((name, declared)) = pending.into_iter().next() {
        let message = if declared.vars_only {
            format!("Section [{name}:vars] not valid for undefined group: {name}")
        } else {
            let parent = declared.parents.last().cloned().unwrap_or_default();
            format!("Section [{parent}:children] includes undefined group: {name}")
        };
        return Err(at(declared.line, 1, message));
    }
    Ok(())
}

/// `[name]` or `[name:kind]`, optionally followed by a `#` comment.
fn section_header(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']')?;
    let after = rest[close + 1..].trim_start();
    if !after.is_empty() && !after.starts_with('#') {
        return None;
    }
    let inner = &rest[..close];
    let (name, kind) = match inner.split_once(':') {
        Some((name, kind)) => (name, Some(kind)),
        None => (inner, None),
    };
    let name_ok =
        !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == ':' || c == ']');
    let kind_ok =
        kind.is_none_or(|k| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_'));
    (name_ok && kind_ok).then_some((name, kind))
}

/// A `[x:children]` line: one group name, optionally followed by a comment.
fn child_group_name(line: &str) -> Option<&str> {
    let end = line
        .find(|c: char| c.is_whitespace() || c == '#')
        .unwrap_or(line.len());
    let name = &line[..end];
    let rest = line[end..].trim_start();
    let ok = !name.is_empty()
        && !name.contains([':', ']'])
        && (rest.is_empty() || rest.starts_with('#'));
    ok.then_some(name)
}

/// Ansible keeps group names with characters outside `[A-Za-z0-9_]` but warns.
fn warn_group_name(
    name: &str,
    file: &std::sync::Arc<str>,
    line: usize,
    warnings: &mut Vec<Diagnostic>,
) {
    let valid = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        warnings.push(
            Diagnostic::error(format!(
                "Invalid characters were found in group names but not replaced, use -vvvv to see details ({name} at {file}:{line})"
            ))
            .into_warning(),
        );
    }
}

/// Types an INI value: a Python literal when it is one, else the text.
pub(crate) fn ini_value(text: &str) -> Value {
    literal_eval(text).unwrap_or_else(|| Value::String(text.to_string()))
}

fn column_of(raw: &str, token: &str) -> usize {
    raw.find(token.split('=').next().unwrap_or(token))
        .map_or(1, |byte| raw[..byte].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::HashBehaviour;

    fn load(text: &str) -> Result<InventoryData, Diagnostic> {
        let mut data = InventoryData::new(HashBehaviour::Replace);
        let mut warnings = Vec::new();
        parse(text, Path::new("hosts.ini"), &mut data, &mut warnings)?;
        data.reconcile();
        Ok(data)
    }

    #[test]
    fn typing_sections_and_ranges() {
        let d = load(
            "# c\nlonely ansible_connection=local\n[web]\nweb[01:02] a=1\nhost2:222 foo=yes bar=\"'03#pa'\" baz=True qux=[1,2] s=\"hello world\"\n[web:vars]\nhttp_port=8080 # trailing\nflag=FALSE\n[prod:children]\nweb\n[prod:vars]\nansible_group_priority=10\n",
        )
        .unwrap();
        let h2 = &d.hosts["host2"].vars;
        assert_eq!(h2["ansible_port"], json!(222));
        assert_eq!(h2["foo"], json!("yes"));
        assert_eq!(h2["bar"], json!("03#pa"));
        assert_eq!(h2["baz"], json!(true));
        assert_eq!(h2["qux"], json!([1, 2]));
        assert_eq!(h2["s"], json!("hello world"));
        assert_eq!(d.groups["web"].vars["http_port"], json!(8080));
        assert_eq!(d.groups["web"].vars["flag"], json!("FALSE"));
        assert_eq!(d.groups["prod"].priority, 10);
        assert!(d.groups["prod"].children.contains("web"));
        assert!(d.groups["ungrouped"].hosts.contains("lonely"));
        assert!(d.hosts.contains_key("web02"));
    }

    #[test]
    fn children_may_be_declared_later() {
        let d = load("[parent:children]\nchild\n[child]\nc1\n").unwrap();
        assert!(d.groups["parent"].children.contains("child"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = load("[a:children]\nmissing\n").unwrap_err();
        assert_eq!(
            e.message,
            "Section [a:children] includes undefined group: missing"
        );
        assert_eq!(e.span.as_ref().map(|s| s.line), Some(2));
        let e = load("[nope:vars]\nx=1\n").unwrap_err();
        assert!(e.message.contains("not valid for undefined group"), "{e}");
        let e = load("[web]\nh1 novalue\n").unwrap_err();
        assert_eq!(e.span.as_ref().map(|s| (s.line, s.col)), Some((2, 4)));
        let e = load("[web:bogus]\n").unwrap_err();
        assert!(e.message.contains("unknown type"));
        let e = load("[web]\nh[01:1]\n").unwrap_err();
        assert!(e.message.contains("equal-length"));
        let e = load("[a b]\n").unwrap_err();
        assert!(e.message.contains("Invalid section entry"));
        let e = load("[a:children]\na\n").unwrap_err();
        assert_eq!(e.span.as_ref().map(|s| s.line), Some(2));
    }
}
