//! rplay on a terminal (a pseudo-terminal made by `script`): the live progress line shows hosts
//! done per task when a batch has many hosts, colours follow NO_COLOR, and none of it leaks into
//! piped output, so scripts and cron mails read exactly Ansible's lines.

use std::path::Path;
use std::process::Command;

use libtest_mimic::{Failed, Trial};

use super::fixture;

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "terminal::progress_line_on_many_hosts",
            progress_on_many_hosts,
        ),
        Trial::test(
            "terminal::no_progress_or_color_when_piped",
            nothing_when_piped,
        ),
        Trial::test("terminal::no_color_respected", no_color_respected),
    ]
}

const PLAYBOOK: &str = "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: wait a little\n      command: sleep 0.2\n      changed_when: false\n";

/// Writes an inventory of `hosts` local-connection hosts and the playbook into `dir`.
fn project(dir: &Path, hosts: usize) -> Result<(), Failed> {
    std::fs::write(
        dir.join("inv.ini"),
        format!("[web]\nw[1:{hosts}] ansible_connection=local\n"),
    )
    .map_err(|e| Failed::from(e.to_string()))?;
    std::fs::write(dir.join("pb.yml"), PLAYBOOK).map_err(|e| Failed::from(e.to_string()))
}

/// Runs rplay on `dir`'s project inside a pseudo-terminal; returns its exit code and what the
/// terminal received.
fn on_terminal(dir: &Path, env: &[(&str, &str)]) -> Result<(i32, String), Failed> {
    let rplay = fixture::bin("rplay");
    let mut cmd = Command::new("script");
    cmd.args(["-qfec"])
        .arg(format!("{} -i inv.ini pb.yml", rplay.display()))
        .arg("/dev/null")
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("ANSIBLE_NOCOLOR")
        .env_remove("ANSIBLE_FORCE_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd
        .output()
        .map_err(|e| Failed::from(format!("cannot run script (package bsdutils): {e}")))?;
    Ok((
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    ))
}

fn progress_on_many_hosts() -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    project(dir.path(), 6)?;
    let (rc, out) = on_terminal(dir.path(), &[])?;
    if rc != 0 {
        return Err(format!("rplay exited {rc}:\n{out}").into());
    }
    if !out.contains("6/6 hosts done with wait a little") {
        return Err(format!("no progress line for 6 hosts:\n{out}").into());
    }
    if !out.contains("\x1b[32mok: [w1]\x1b[0m") {
        return Err(format!("no coloured ok line on the terminal:\n{out}").into());
    }
    // The line clears itself: the recap is not preceded by a stale progress line.
    let recap = out.find("PLAY RECAP").unwrap_or(0);
    if !out[..recap].ends_with("\r\x1b[2K\r\n") && !out[..recap].ends_with("\r\n\r\n") {
        let tail: String = out[..recap]
            .chars()
            .rev()
            .take(80)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(format!("progress line not cleared before the recap: {tail:?}").into());
    }
    // Few hosts: no progress line at all.
    project(dir.path(), 2)?;
    let (_, out) = on_terminal(dir.path(), &[])?;
    if out.contains("hosts done") {
        return Err(format!("progress line shown for 2 hosts:\n{out}").into());
    }
    Ok(())
}

fn nothing_when_piped() -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    project(dir.path(), 6)?;
    let o = Command::new(fixture::bin("rplay"))
        .args(["-i", "inv.ini", "pb.yml"])
        .current_dir(dir.path())
        .env_remove("ANSIBLE_FORCE_COLOR")
        .output()
        .map_err(|e| Failed::from(e.to_string()))?;
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    if all.contains('\x1b') || all.contains("hosts done") {
        return Err(format!("escape codes or progress in piped output:\n{all}").into());
    }
    if !all.contains("ok: [w6]") {
        return Err(format!("results missing:\n{all}").into());
    }
    Ok(())
}

fn no_color_respected() -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    project(dir.path(), 2)?;
    let (rc, out) = on_terminal(dir.path(), &[("NO_COLOR", "1")])?;
    if rc != 0 || !out.contains("ok: [w1]") {
        return Err(format!("rplay exited {rc}:\n{out}").into());
    }
    if out.contains("\x1b[") {
        return Err(format!("NO_COLOR set but escape codes printed:\n{out:?}").into());
    }
    Ok(())
}
