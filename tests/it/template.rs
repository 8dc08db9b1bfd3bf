//! Differential tests of the template engine against ansible-core: every playbook in
//! `tests/template-cases/` is run with the pinned `ansible-playbook` (local connection, json
//! callback) and each task's `debug: msg` (or `when:` outcome) is compared with what rplay's
//! `Templar` renders from the same variables: values and JSON types must be equal, and where
//! Ansible fails, rplay must fail with the same message.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use libtest_mimic::{Failed, Trial};
use rplay::template::{LookupPaths, Templar, TemplarOptions, VarsContext};
use serde_json::{Map, Value as Json};

use super::fixture;

/// One trial per case file.
pub fn trials() -> Vec<Trial> {
    let dir = cases_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yml"));
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(format!("template::differential::{stem}"), move || {
                run_case(&path)
            })
        })
        .collect()
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/template-cases")
}

/// What Ansible did with one task.
#[derive(Debug)]
enum Outcome {
    Value(Json),
    Skipped,
    Ran,
    Failed(String),
}

fn run_case(path: &Path) -> Result<(), Failed> {
    let expected = run_ansible(path)?;
    let plays = load_yaml(path)?;
    let play = plays
        .as_array()
        .and_then(|p| p.first())
        .ok_or_else(|| Failed::from(format!("{}: no play", path.display())))?;
    let mut vars: Map<String, Json> = play
        .get("vars")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    vars.insert("inventory_hostname".into(), Json::from("localhost"));
    vars.insert("playbook_dir".into(), Json::from(dir.display().to_string()));
    vars.insert(
        "groups".into(),
        serde_json::json!({"all": ["localhost"], "ungrouped": ["localhost"]}),
    );
    let tasks = play
        .get("tasks")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    if tasks.len() != expected.len() {
        return Err(format!(
            "{}: ansible reported {} tasks, the case has {}",
            path.display(),
            expected.len(),
            tasks.len()
        )
        .into());
    }
    let templar = Templar::new(TemplarOptions::default());
    let mut failures = Vec::new();
    for (i, (task, want)) in tasks.iter().zip(&expected).enumerate() {
        let mut task_vars = vars.clone();
        if let Some(tv) = task.get("vars").and_then(Json::as_object) {
            task_vars.extend(tv.clone());
        }
        let ctx = VarsContext::new(&templar, Arc::new(task_vars))
            .with_lookup_paths(LookupPaths {
                search: vec![dir.clone()],
            })
            .into_value();
        let got = evaluate_task(&templar, task, &ctx);
        // Tasks with `when:` are compared on whether they ran, not on their message.
        let want = match want {
            Outcome::Value(_) if task.get("when").is_some() => &Outcome::Ran,
            w => w,
        };
        if let Some(problem) = compare(want, &got) {
            failures.push(format!(
                "task {} {}: {problem}",
                i + 1,
                serde_json::to_string(task).unwrap_or_default()
            ));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

fn evaluate_task(templar: &Templar, task: &Json, ctx: &minijinja::Value) -> Outcome {
    if let Some(when) = task.get("when") {
        let conds: Vec<Json> = match when {
            Json::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for c in conds {
            let ok = match c {
                Json::Bool(b) => Ok(b),
                Json::String(s) => templar.eval_bool(&s, ctx),
                _ => return Outcome::Failed("Conditional expressions must be strings.".into()),
            };
            match ok {
                Ok(true) => {}
                Ok(false) => return Outcome::Skipped,
                Err(e) => return Outcome::Failed(e.message),
            }
        }
    }
    let Some(debug) = task.get("debug") else {
        return Outcome::Ran;
    };
    let Some(msg) = debug.get("msg") else {
        return Outcome::Ran;
    };
    match templar.render_value(msg, ctx) {
        Ok(v) if task.get("when").is_some() => {
            let _ = v;
            Outcome::Ran
        }
        Ok(v) => Outcome::Value(v),
        Err(e) => Outcome::Failed(e.message),
    }
}

/// Describes a mismatch, or `None` when rplay agrees with Ansible.
fn compare(want: &Outcome, got: &Outcome) -> Option<String> {
    match (want, got) {
        (Outcome::Value(a), Outcome::Value(b)) if a == b => None,
        (Outcome::Skipped, Outcome::Skipped) | (Outcome::Ran, Outcome::Ran) => None,
        (Outcome::Failed(a), Outcome::Failed(b)) => {
            // Ansible wraps the templating message; compare the part after the wrapper.
            let core = a
                .rsplit_once("Error while resolving value for 'msg': ")
                .map(|(_, m)| m)
                .or_else(|| a.strip_prefix("Task failed: "))
                .unwrap_or(a);
            let core = core
                .strip_prefix("Error while evaluating conditional: ")
                .unwrap_or(core);
            // The origin of a non-boolean conditional's value is only known to the engine.
            let (core, b) = (strip_origin(core), strip_origin(b));
            let (core, b) = (core.as_str(), &b);
            if core == b || core.contains(b.as_str()) || b.contains(core) {
                None
            } else {
                Some(format!(
                    "both failed, messages differ:\n  ansible: {a}\n  rplay:   {b}"
                ))
            }
        }
        _ => Some(format!("ansible: {want:?}\n  rplay:   {got:?}")),
    }
}

/// Removes the ` at '<file>:<line>:<col>'` origin from a conditional error.
fn strip_origin(msg: &str) -> String {
    match (msg.find(" at '"), msg.find("'. Conditionals")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &msg[..a], &msg[b + 1..]),
        _ => msg.to_string(),
    }
}

fn run_ansible(path: &Path) -> Result<Vec<Outcome>, Failed> {
    let bin = fixture::oracle_bin("ansible-playbook").map_err(Failed::from)?;
    let out = Command::new(&bin)
        .args(["-i", "localhost,", "-c", "local"])
        .arg(path)
        .current_dir(path.parent().unwrap_or(Path::new(".")))
        .env("ANSIBLE_STDOUT_CALLBACK", "json")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCALHOST_WARNING", "False")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "False")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "False")
        .env("RPLAY_TEMPLATE_TEST_ENV", "from-env")
        .output()
        .map_err(|e| Failed::from(format!("cannot run {}: {e}", bin.display())))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let start = stdout.find('{').unwrap_or(0);
    let doc: Json = serde_json::from_str(&stdout[start..]).map_err(|e| {
        Failed::from(format!(
            "ansible-playbook output is not JSON ({e}): {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        ))
    })?;
    let tasks = doc
        .pointer("/plays/0/tasks")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(tasks
        .iter()
        .map(|t| {
            let r = t.pointer("/hosts/localhost").cloned().unwrap_or_default();
            if r.get("failed").and_then(Json::as_bool) == Some(true) {
                Outcome::Failed(
                    r.get("msg")
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_string(),
                )
            } else if r.get("skipped").and_then(Json::as_bool) == Some(true) {
                Outcome::Skipped
            } else if let Some(m) = r.get("msg") {
                Outcome::Value(m.clone())
            } else {
                Outcome::Ran
            }
        })
        .collect())
}

/// Loads the case playbook as JSON with the oracle's Python (PyYAML), as Ansible reads it.
fn load_yaml(path: &Path) -> Result<Json, Failed> {
    let py = fixture::oracle_bin("python3").map_err(Failed::from)?;
    let out = Command::new(py)
        .arg("-c")
        .arg("import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))")
        .arg(path)
        .output()
        .map_err(|e| Failed::from(format!("cannot load {}: {e}", path.display())))?;
    serde_json::from_slice(&out.stdout).map_err(|e| {
        Failed::from(format!(
            "{}: not loadable ({e}): {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}
