//! Differential tests of inventory loading: for every case in `tests/inventories/<case>/`,
//! each line of its `args` file (optionally starting with `VAR=value` environment settings)
//! runs `rinventory` and the pinned `ansible-inventory` in the case directory, and their
//! outputs must be identical (`--list`/`--host`/`--graph` byte for byte; `--yaml` as data,
//! since PyYAML writes anchors for shared values). Bad-input trials check that broken
//! inventories fail with an error naming `file:line:col` (or the script), never a panic.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Failed, Trial};

use crate::fixture;

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/inventories")
}

fn rinventory() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rinventory"))
}

pub fn trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    cases.sort();
    for case in cases {
        if !case.join("args").is_file() {
            continue;
        }
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        trials.push(Trial::test(format!("inventory::diff::{name}"), move || {
            diff_case(&case)
        }));
    }
    let errors: Vec<(&str, fn() -> Result<(), Failed>)> = vec![
        (
            "inventory::errors::ini_unknown_section_type",
            ini_unknown_section_type,
        ),
        (
            "inventory::errors::ini_undefined_child",
            ini_undefined_child,
        ),
        ("inventory::errors::ini_bad_range", ini_bad_range),
        (
            "inventory::errors::ini_host_var_without_equals",
            ini_host_var_without_equals,
        ),
        ("inventory::errors::yaml_syntax_error", yaml_syntax_error),
        (
            "inventory::errors::yaml_hosts_not_a_mapping",
            yaml_hosts_not_a_mapping,
        ),
        (
            "inventory::errors::group_is_its_own_child",
            group_is_its_own_child,
        ),
        ("inventory::errors::script_fails", script_fails),
        ("inventory::errors::script_hangs", script_hangs),
        (
            "inventory::errors::script_prints_invalid_json",
            script_prints_invalid_json,
        ),
        (
            "inventory::errors::broken_group_vars_file",
            broken_group_vars_file,
        ),
        (
            "inventory::errors::invalid_ansible_cfg_value",
            invalid_ansible_cfg_value,
        ),
        ("inventory::cli::help_and_version", help_and_version),
    ];
    for (name, test) in errors {
        trials.push(Trial::test(name, test));
    }
    trials
}

/// Runs `program args` in `dir` with a clean Ansible environment plus `env`.
fn run(
    program: &Path,
    args: &[String],
    dir: &Path,
    env: &[(String, String)],
    home: &Path,
) -> Result<Output, Failed> {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("ANSIBLE_") || key.starts_with("RPLAY_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("HOME", home)
        .env("ANSIBLE_HOME", home.join(".ansible"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .map_err(|e| Failed::from(format!("running {}: {e}", program.display())))
}

fn diff_case(case: &Path) -> Result<(), Failed> {
    let oracle = fixture::oracle_bin("ansible-inventory").map_err(Failed::from)?;
    let args_text =
        std::fs::read_to_string(case.join("args")).map_err(|e| Failed::from(e.to_string()))?;
    let home = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let mut problems = Vec::new();
    for line in args_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut env = Vec::new();
        let mut args = Vec::new();
        for word in line.split_whitespace() {
            match word.split_once('=') {
                Some((k, v))
                    if args.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_') =>
                {
                    env.push((k.to_string(), v.to_string()))
                }
                _ => args.push(word.to_string()),
            }
        }
        let ours = run(&rinventory(), &args, case, &env, home.path())?;
        let theirs = run(&oracle, &args, case, &env, home.path())?;
        let our_out = String::from_utf8_lossy(&ours.stdout).to_string();
        let their_out = String::from_utf8_lossy(&theirs.stdout).to_string();
        if ours.status.code() != theirs.status.code() {
            problems.push(format!(
                "`{line}`: exit code rinventory {:?} vs ansible-inventory {:?}\nrinventory stderr:\n{}\nansible stderr:\n{}",
                ours.status.code(),
                theirs.status.code(),
                String::from_utf8_lossy(&ours.stderr),
                String::from_utf8_lossy(&theirs.stderr)
            ));
            continue;
        }
        let same = if args.iter().any(|a| a == "--yaml" || a == "-y") {
            yaml_data(&our_out, "rinventory")? == yaml_data(&their_out, "ansible-inventory")?
        } else {
            our_out == their_out
        };
        if !same {
            problems.push(format!(
                "`{line}` differs:\n{}\nrinventory stderr:\n{}",
                first_difference(&our_out, &their_out),
                String::from_utf8_lossy(&ours.stderr)
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failed::from(problems.join("\n\n")))
    }
}

fn yaml_data(text: &str, who: &str) -> Result<Vec<serde_json::Value>, Failed> {
    rplay::yaml::load_str(text, who)
        .map(|docs| docs.iter().map(|d| d.to_json()).collect())
        .map_err(|e| Failed::from(format!("{who} printed invalid YAML: {e}")))
}

/// The first differing line with a little context, both sides.
fn first_difference(ours: &str, theirs: &str) -> String {
    let a: Vec<&str> = ours.lines().collect();
    let b: Vec<&str> = theirs.lines().collect();
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let from = at.saturating_sub(3);
    format!(
        "line {}:\n--- rinventory\n{}\n--- ansible-inventory\n{}",
        at + 1,
        a.get(from..(at + 4).min(a.len())).unwrap_or(&[]).join("\n"),
        b.get(from..(at + 4).min(b.len())).unwrap_or(&[]).join("\n")
    )
}

/// Writes `files` into a scratch directory, runs `rinventory args` there, and expects a
/// failure whose stderr contains every string of `expected`.
fn expect_error(
    files: &[(&str, &str)],
    args: &[&str],
    env: &[(&str, &str)],
    expected: &[&str],
) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Failed::from(e.to_string()))?;
        }
        std::fs::write(&path, text).map_err(|e| Failed::from(e.to_string()))?;
        if text.starts_with("#!") {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| Failed::from(e.to_string()))?;
        }
    }
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let out = run(&rinventory(), &args, dir.path(), &env, dir.path())?;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if out.status.code() != Some(1) {
        return Err(Failed::from(format!(
            "expected exit code 1, got {:?}; stderr:\n{stderr}",
            out.status.code()
        )));
    }
    if stderr.contains("panicked") {
        return Err(Failed::from(format!("rinventory panicked:\n{stderr}")));
    }
    let root = dir.path().to_string_lossy().to_string();
    let stderr = stderr.replace(&format!("{root}/"), "");
    for needle in expected {
        if !stderr.contains(needle) {
            return Err(Failed::from(format!("stderr lacks {needle:?}:\n{stderr}")));
        }
    }
    Ok(())
}

fn ini_unknown_section_type() -> Result<(), Failed> {
    expect_error(
        &[("hosts.ini", "[web]\nw1\n[web:bogus]\n")],
        &["-i", "hosts.ini", "--list"],
        &[],
        &["hosts.ini:3:1", "unknown type: bogus", "[web:bogus]"],
    )
}

fn ini_undefined_child() -> Result<(), Failed> {
    expect_error(
        &[("hosts.ini", "[prod:children]\nweb\ndb\n[web]\nw1\n")],
        &["-i", "hosts.ini", "--list"],
        &[],
        &[
            "hosts.ini:3:1",
            "Section [prod:children] includes undefined group: db",
        ],
    )
}

fn ini_bad_range() -> Result<(), Failed> {
    expect_error(
        &[("hosts.ini", "[web]\n  web[01:100]\n")],
        &["-i", "hosts.ini", "--list"],
        &[],
        &["hosts.ini:2:3", "equal-length"],
    )
}

fn ini_host_var_without_equals() -> Result<(), Failed> {
    expect_error(
        &[("hosts.ini", "[web]\nw1 port=1 oops\n")],
        &["-i", "hosts.ini", "--list"],
        &[],
        &[
            "hosts.ini:2:11",
            "Expected key=value host variable assignment, got: oops",
        ],
    )
}

fn yaml_syntax_error() -> Result<(), Failed> {
    expect_error(
        &[("hosts.yml", "all:\n  hosts:\n    a: b: c\n")],
        &["-i", "hosts.yml", "--list"],
        &[],
        &["hosts.yml:3:", "YAML parsing failed", "a: b: c"],
    )
}

fn yaml_hosts_not_a_mapping() -> Result<(), Failed> {
    expect_error(
        &[(
            "hosts.yml",
            "all:\n  children:\n    web:\n      hosts:\n        - w1\n",
        )],
        &["-i", "hosts.yml", "--list"],
        &[],
        &["hosts.yml:4:7", "Invalid \"hosts\" entry for \"web\" group"],
    )
}

fn group_is_its_own_child() -> Result<(), Failed> {
    expect_error(
        &[("hosts.ini", "[a:children]\nb\n[b:children]\na\n")],
        &["-i", "hosts.ini", "--list"],
        &[],
        &["hosts.ini:4:1", "recursive dependency loop"],
    )
}

fn script_fails() -> Result<(), Failed> {
    expect_error(
        &[(
            "inv.sh",
            "#!/bin/sh\necho 'cannot reach the API' >&2\nexit 2\n",
        )],
        &["-i", "inv.sh", "--list"],
        &[],
        &["inv.sh", "execution error", "cannot reach the API"],
    )
}

fn script_hangs() -> Result<(), Failed> {
    expect_error(
        &[("inv.sh", "#!/bin/sh\nexec sleep 60\n")],
        &["-i", "inv.sh", "--list"],
        &[("RPLAY_INVENTORY_SCRIPT_TIMEOUT", "1")],
        &["inv.sh", "did not finish within 1 seconds"],
    )
}

fn script_prints_invalid_json() -> Result<(), Failed> {
    expect_error(
        &[("inv.sh", "#!/bin/sh\necho '{\"web\": [\"w1\",]}'\n")],
        &["-i", "inv.sh", "--list"],
        &[],
        &["inv.sh", "could not be parsed as JSON", "line 1"],
    )
}

fn broken_group_vars_file() -> Result<(), Failed> {
    expect_error(
        &[
            ("inv/hosts", "[web]\nw1\n"),
            ("inv/group_vars/web.yml", "ok: 1\nbad: [1, 2\n"),
        ],
        &["-i", "inv", "--list"],
        &[],
        &["inv/group_vars/web.yml:", "YAML parsing failed"],
    )
}

fn invalid_ansible_cfg_value() -> Result<(), Failed> {
    expect_error(
        &[
            (
                "ansible.cfg",
                "[defaults]\ninventory = hosts\nforks = lots\n",
            ),
            ("hosts", "w1\n"),
        ],
        &["--list"],
        &[],
        &["ansible.cfg:3:1", "'lots' is not a valid number"],
    )
}

fn help_and_version() -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    for flag in ["--help", "--version"] {
        let out = run(
            &rinventory(),
            &[flag.to_string()],
            dir.path(),
            &[],
            dir.path(),
        )?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !text.contains("rinventory") {
            return Err(Failed::from(format!("{flag} failed: {text}")));
        }
    }
    Ok(())
}
