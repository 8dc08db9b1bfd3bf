//! Dynamic inventory scripts: an executable run as `<script> --list` (no shell, current
//! directory unchanged) printing a JSON object of groups, with host variables in
//! `_meta.hostvars` or, when that is missing, from `<script> --host <name>` per host.
//! A script that fails, prints something other than a JSON object, or runs longer than the
//! timeout is an error naming the script and showing its stderr.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use indexmap::IndexSet;
use serde_json::{Map, Value};

use super::data::InventoryData;
use crate::diag::Diagnostic;

/// Runs the script at `path` and loads its groups and hosts into `data`.
pub(crate) fn load(
    path: &Path,
    timeout: Duration,
    data: &mut InventoryData,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    let shown = path.display().to_string();
    let (stdout, stderr) = run(path, &["--list"], timeout)?;
    if !stderr.trim().is_empty() {
        warnings.push(
            Diagnostic::error(format!(
                "Inventory script ({shown}) wrote to stderr: {}",
                stderr.trim_end()
            ))
            .into_warning(),
        );
    }
    let parsed: Value = serde_json::from_str(&stdout).map_err(|e| {
        Diagnostic::error(format!(
            "Inventory script ({shown}) result could not be parsed as JSON: {e} (line {}, column {}){}",
            e.line(),
            e.column(),
            stderr_note(&stderr)
        ))
    })?;
    let Value::Object(groups) = parsed else {
        return Err(Diagnostic::error(format!(
            "Inventory script ({shown}) must print a JSON object, got {}",
            json_type(&parsed)
        )));
    };
    let origin = format!("<inventory script output from '{shown}'>");
    let mut hosts: IndexSet<String> = IndexSet::new();
    let mut meta_hostvars: Option<Map<String, Value>> = None;
    for (group, definition) in &groups {
        if group == "_meta" {
            match definition.get("hostvars") {
                Some(Value::Object(hv)) => meta_hostvars = Some(hv.clone()),
                Some(other) => {
                    return Err(Diagnostic::error(format!(
                        "Inventory script ({shown}): '_meta.hostvars' is {} instead of a dict",
                        json_type(other)
                    )))
                }
                None => {}
            }
            continue;
        }
        parse_group(
            group, definition, &origin, &shown, data, &mut hosts, warnings,
        )?;
    }
    if meta_hostvars.is_none() {
        warnings.push(Diagnostic::error(format!(
            "Inventory scripts should always provide 'meta.hostvars'. Host variables will be collected by running the inventory script with the '--host' option for each host. Origin: {origin}"
        )).into_warning());
    }
    for host in &hosts {
        let vars = match &meta_hostvars {
            Some(all) => all.get(host).cloned().unwrap_or(Value::Object(Map::new())),
            None => {
                let (out, _) = run(path, &["--host", host], timeout)?;
                if out.trim().is_empty() {
                    Value::Object(Map::new())
                } else {
                    serde_json::from_str(&out).map_err(|e| {
                        Diagnostic::error(format!(
                            "Inventory script ({shown}) result for host '{host}' could not be parsed as JSON: {e}"
                        ))
                    })?
                }
            }
        };
        let Value::Object(vars) = vars else {
            return Err(Diagnostic::error(format!(
                "Inventory script ({shown}): variables for host '{host}' are {} instead of a dict",
                json_type(&vars)
            )));
        };
        for (key, value) in vars {
            data.set_host_var(host, &key, value);
        }
    }
    Ok(())
}

fn parse_group(
    group: &str,
    definition: &Value,
    origin: &str,
    shown: &str,
    data: &mut InventoryData,
    hosts: &mut IndexSet<String>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    data.add_group(group);
    let normalized: Map<String, Value>;
    let definition = match definition {
        Value::Object(map)
            if ["hosts", "vars", "children"]
                .iter()
                .any(|k| map.contains_key(*k)) =>
        {
            map
        }
        Value::Object(map) => {
            warnings.push(Diagnostic::error(format!(
                "Treating malformed group '{group}' as the sole host of that group. Variables provided in this manner cannot be templated. Origin: {origin}"
            )).into_warning());
            let mut m = Map::new();
            m.insert(
                "hosts".into(),
                Value::Array(vec![Value::String(group.to_string())]),
            );
            // "Variables provided in this manner cannot be templated": mark them unsafe.
            m.insert("vars".into(), mark_unsafe(Value::Object(map.clone())));
            normalized = m;
            &normalized
        }
        other => {
            warnings.push(
                Diagnostic::error(format!(
                    "Group '{group}' was converted to 'dict' from '{}'. Origin: {origin}",
                    json_type(other)
                ))
                .into_warning(),
            );
            let mut m = Map::new();
            m.insert("hosts".into(), other.clone());
            normalized = m;
            &normalized
        }
    };
    let bad = |what: &str, value: &Value, wanted: &str| {
        Diagnostic::error(format!(
            "Inventory script ({shown}): value contains '{group}.{what}' which is {} instead of {wanted}",
            json_type(value)
        ))
    };
    if let Some(list) = definition.get("hosts") {
        let Value::Array(items) = list else {
            return Err(bad("hosts", list, "'list'"));
        };
        for item in items {
            let name = match item {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            hosts.insert(name.clone());
            data.add_host(&name, Some(group), None)
                .map_err(Diagnostic::error)?;
        }
    }
    if let Some(vars) = definition.get("vars") {
        let Value::Object(vars) = vars else {
            return Err(bad("vars", vars, "'dict'"));
        };
        for (key, value) in vars {
            data.set_group_var(group, key, value.clone())
                .map_err(Diagnostic::error)?;
        }
    }
    if let Some(children) = definition.get("children") {
        let Value::Array(children) = children else {
            return Err(bad("children", children, "'list'"));
        };
        for child in children {
            let name = match child {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            data.add_group(&name);
            data.add_child_group(group, &name)
                .map_err(|e| Diagnostic::error(format!("Inventory script ({shown}): {e}")))?;
        }
    }
    Ok(())
}

/// Marks every string inside `value` as never-templated (`{"__ansible_unsafe": ...}`).
fn mark_unsafe(value: Value) -> Value {
    match value {
        Value::String(s) => {
            let mut m = Map::new();
            m.insert(crate::yaml::UNSAFE_KEY.to_string(), Value::String(s));
            Value::Object(m)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(mark_unsafe).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, mark_unsafe(v))).collect())
        }
        other => other,
    }
}

/// Runs `path args...`, capturing output, killing it after `timeout`.
fn run(path: &Path, args: &[&str], timeout: Duration) -> Result<(String, String), Diagnostic> {
    let shown = path.display().to_string();
    let mut child = Command::new(path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Diagnostic::error(format!("Inventory script ({shown}) could not be run: {e}"))
        })?;
    let mut stdout_pipe = child.stdout.take();
    let mut stderr_pipe = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(pipe) = stdout_pipe.as_mut() {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(pipe) = stderr_pipe.as_mut() {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Diagnostic::error(format!(
                    "Inventory script ({shown} {}) did not finish within {} seconds and was stopped",
                    args.join(" "),
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                return Err(Diagnostic::error(format!(
                    "Inventory script ({shown}) could not be waited for: {e}"
                )))
            }
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr).to_string();
    if !status.success() {
        return Err(Diagnostic::error(format!(
            "Inventory script ({shown}) had an execution error: exit status {}{}",
            status
                .code()
                .map_or("killed by a signal".to_string(), |c| c.to_string()),
            stderr_note(&stderr)
        )));
    }
    let stdout = String::from_utf8(stdout).map_err(|_| {
        Diagnostic::error(format!("Inventory script ({shown}) output is not UTF-8"))
    })?;
    Ok((stdout, stderr))
}

fn stderr_note(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        String::new()
    } else {
        format!("\nstderr: {}", stderr.trim_end())
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "'NoneType'",
        Value::Bool(_) => "'bool'",
        Value::Number(n) if n.is_f64() => "'float'",
        Value::Number(_) => "'int'",
        Value::String(_) => "'str'",
        Value::Array(_) => "'list'",
        Value::Object(_) => "'dict'",
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use serde_json::json;

    use super::*;
    use crate::config::HashBehaviour;

    fn script(dir: &Path, body: &str) -> std::path::PathBuf {
        let path = dir.join("inv.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn list_with_meta_and_legacy_forms() {
        let dir = tempfile::tempdir().unwrap();
        let path = script(
            dir.path(),
            r#"echo '{"web": {"hosts": ["d1", "d2"], "vars": {"gv": 1}, "children": ["inner"]}, "inner": ["d3"], "simple": {"a": 1}, "_meta": {"hostvars": {"d1": {"ansible_host": "10.1.1.1"}}}}'"#,
        );
        let mut data = InventoryData::new(HashBehaviour::Replace);
        let mut warnings = Vec::new();
        load(&path, Duration::from_secs(10), &mut data, &mut warnings).unwrap();
        assert_eq!(data.hosts["d1"].vars["ansible_host"], json!("10.1.1.1"));
        assert_eq!(data.groups["web"].vars["gv"], json!(1));
        assert!(data.groups["web"].children.contains("inner"));
        assert!(data.groups["inner"].hosts.contains("d3"));
        assert_eq!(
            data.hosts["simple"].groups.iter().collect::<Vec<_>>(),
            vec!["simple"]
        );
        assert_eq!(data.groups["simple"].vars["a"], json!(1));
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn failures_are_errors_with_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = InventoryData::new(HashBehaviour::Replace);
        let mut w = Vec::new();
        let path = script(dir.path(), "echo boom >&2; exit 3");
        let e = load(&path, Duration::from_secs(10), &mut data, &mut w).unwrap_err();
        assert!(
            e.message.contains("execution error") && e.message.contains("boom"),
            "{e}"
        );
        let path = script(dir.path(), "echo '{not json'");
        let e = load(&path, Duration::from_secs(10), &mut data, &mut w).unwrap_err();
        assert!(e.message.contains("could not be parsed as JSON"), "{e}");
        let path = script(dir.path(), "echo '[1]'");
        let e = load(&path, Duration::from_secs(10), &mut data, &mut w).unwrap_err();
        assert!(e.message.contains("JSON object"), "{e}");
    }

    #[test]
    fn hanging_script_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = script(dir.path(), "exec sleep 30");
        let mut data = InventoryData::new(HashBehaviour::Replace);
        let e = load(&path, Duration::from_secs(1), &mut data, &mut Vec::new()).unwrap_err();
        assert!(e.message.contains("did not finish"), "{e}");
    }
}
