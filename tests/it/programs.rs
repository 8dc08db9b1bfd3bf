//! Every program answers `--help` and `--version` the way a user expects, and `rdoc` documents
//! every module from its own definition.

use std::process::Command;

use libtest_mimic::Trial;

use crate::fixture;

const PROGRAMS: &[&str] = &["rplay", "radhoc", "rinventory", "rvault", "rlab", "rdoc"];

pub fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = PROGRAMS
        .iter()
        .map(|name| {
            Trial::test(format!("programs::help_and_version::{name}"), move || {
                help_and_version(name).map_err(Into::into)
            })
        })
        .collect();
    trials.push(Trial::test("programs::rdoc_pages", || {
        rdoc_pages().map_err(Into::into)
    }));
    trials.push(Trial::test("programs::rdoc_into_closed_pipe", || {
        rdoc_into_closed_pipe().map_err(Into::into)
    }));
    trials
}

fn run(name: &str, args: &[&str]) -> Result<(i32, String, String), String> {
    let out = Command::new(fixture::bin(name))
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {name}: {e}"))?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn help_and_version(name: &str) -> Result<(), String> {
    let (rc, out, err) = run(name, &["--version"])?;
    if rc != 0 || !out.starts_with(name) || !out.contains(env!("CARGO_PKG_VERSION")) {
        return Err(format!(
            "{name} --version: rc={rc} stdout={out:?} stderr={err:?}"
        ));
    }
    let (rc, out, err) = run(name, &["--help"])?;
    if rc != 0 || !out.contains("Usage:") {
        return Err(format!(
            "{name} --help: rc={rc} stdout={out:?} stderr={err:?}"
        ));
    }
    Ok(())
}

fn rdoc_pages() -> Result<(), String> {
    let (rc, list, err) = run("rdoc", &["--list"])?;
    if rc != 0 {
        return Err(format!("rdoc --list: rc={rc} {err}"));
    }
    for module in ["copy", "apt", "systemd", "file", "command", "template"] {
        if !list
            .lines()
            .any(|l| l.split_whitespace().next() == Some(module))
        {
            return Err(format!("rdoc --list does not list {module}:\n{list}"));
        }
    }
    let (rc, page, err) = run("rdoc", &["ansible.builtin.copy"])?;
    for want in [
        "MODULE ansible.builtin.copy",
        "= dest",
        "- mode",
        "RETURN VALUES",
        "checksum",
    ] {
        if rc != 0 || !page.contains(want) {
            return Err(format!("rdoc copy lacks {want:?}: rc={rc} {err}\n{page}"));
        }
    }
    let (rc, _, err) = run("rdoc", &["no_such_module"])?;
    if rc != 1 || !err.contains("not found") {
        return Err(format!("rdoc of an unknown module: rc={rc} stderr={err:?}"));
    }
    Ok(())
}

/// `rdoc copy ... | head -1`: the reader leaves early, after the first line of far more than a
/// pipe buffer holds; rdoc ends quietly (no panic on stderr).
fn rdoc_into_closed_pipe() -> Result<(), String> {
    let pages = vec!["copy"; 200].join(" ");
    let script = format!(
        "'{}' {pages} 2>/tmp/rdoc-pipe-$$.err | head -1 >/dev/null; cat /tmp/rdoc-pipe-$$.err; rm -f /tmp/rdoc-pipe-$$.err",
        fixture::bin("rdoc").display()
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .output()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let err = String::from_utf8_lossy(&out.stdout);
    if !err.is_empty() {
        return Err(format!("rdoc copy ... | head -1 wrote to stderr: {err}"));
    }
    Ok(())
}
