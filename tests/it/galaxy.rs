//! Regression tests for engine behaviours that public Galaxy roles rely on (found by running
//! such roles under rplay and ansible-playbook; see docs/galaxy-trials.md). Each test writes a
//! small role in the shape a Galaxy role uses, runs it with rplay and with the pinned
//! ansible-playbook on the controller (connection local, no facts), and compares the outcome.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Failed, Trial};

type TestResult = Result<(), Failed>;

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "galaxy::with_first_found_searches_role_subdirs",
            with_first_found_searches_role_subdirs,
        ),
        Trial::test(
            "galaxy::timezone_agrees_with_ansible",
            timezone_agrees_with_ansible,
        ),
    ]
}

fn write(dir: &Path, name: &str, content: &str) -> TestResult {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("mkdir {}: {e}", parent.display()))?;
    }
    std::fs::write(&p, content).map_err(|e| format!("write {}: {e}", p.display()))?;
    Ok(())
}

fn run(program: &Path, dir: &Path, playbook: &str) -> Result<Output, Failed> {
    Command::new(program)
        .args(["-i", "inventory.ini", playbook])
        .current_dir(dir)
        .env("ANSIBLE_CONFIG", dir.join("no-ansible.cfg"))
        .env("ANSIBLE_LOCAL_TEMP", dir.join("ansible-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()).into())
}

fn expect_success(what: &str, out: &Output) -> TestResult {
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .into())
}

/// `with_first_found` over bare file names inside a role finds them in the role's `vars/` for
/// `include_vars` and in `templates/` for `template` (the geerlingguy.ntp pattern), skipping
/// names that do not exist; the loop terms must reach the lookup.
fn with_first_found_searches_role_subdirs() -> TestResult {
    let oracle = super::fixture::oracle_bin("ansible-playbook").map_err(Failed::from)?;
    let rplay = super::fixture::bin("rplay");
    // The oracle's own python runs its modules on the controller.
    let python = oracle.with_file_name("python");
    let mut rendered = Vec::new();
    for (label, program) in [("rplay", rplay), ("ansible-playbook", oracle)] {
        let tmp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let dir = tmp.path();
        write(
            dir,
            "inventory.ini",
            &format!(
                "[local]\nlocalhost ansible_connection=local ansible_python_interpreter={}\n",
                python.display()
            ),
        )?;
        write(
            dir,
            "site.yml",
            "- hosts: localhost\n  gather_facts: false\n  vars:\n    out_dir: \"{{ playbook_dir }}/out\"\n  roles:\n    - picker\n",
        )?;
        write(
            dir,
            "roles/picker/tasks/main.yml",
            r#"- name: Include OS-specific variables.
  include_vars: "{{ item }}"
  with_first_found:
    - "NoSuchOs-1.yml"
    - "{{ 'Debian' + '-' + 'none' }}.yml"
    - "Debian.yml"
- name: Output directory exists.
  file:
    path: "{{ out_dir }}"
    state: directory
- name: Render the first template found.
  template:
    src: "{{ item }}"
    dest: "{{ out_dir }}/picked.conf"
  with_first_found:
    - missing.conf.j2
    - picked.conf.j2
- name: The variables came from vars/Debian.yml.
  assert:
    that:
      - picked_daemon == "chronyd-from-vars"
"#,
        )?;
        write(
            dir,
            "roles/picker/vars/Debian.yml",
            "picked_daemon: chronyd-from-vars\n",
        )?;
        // A same-named file in files/ must not win over vars/ for include_vars.
        write(
            dir,
            "roles/picker/files/Debian.yml",
            "picked_daemon: wrong-from-files\n",
        )?;
        write(
            dir,
            "roles/picker/templates/picked.conf.j2",
            "daemon {{ picked_daemon }}\n",
        )?;
        let out = run(&program, dir, "site.yml")?;
        expect_success(label, &out)?;
        let text = std::fs::read_to_string(dir.join("out/picked.conf"))
            .map_err(|e| format!("{label}: out/picked.conf: {e}"))?;
        rendered.push((label, text));
    }
    let expected = "daemon chronyd-from-vars\n";
    for (label, text) in &rendered {
        if text != expected {
            return Err(format!("{label} rendered {text:?}, expected {expected:?}").into());
        }
    }
    Ok(())
}

/// The `changed=` count of the recap of one host's run.
fn recap_changed(stdout: &str) -> Option<u32> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" ok=") && l.contains("changed="))?;
    let rest = line.split("changed=").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Writes a one-task playbook setting the time zone to `zone` on every lab host.
fn timezone_playbook(dir: &Path, zone: &str) -> Result<PathBuf, Failed> {
    let name = format!("tz-{}.yml", zone.replace('/', "-"));
    write(
        dir,
        &name,
        &format!(
            "- hosts: lab\n  gather_facts: false\n  tasks:\n    - name: Set timezone.\n      community.general.timezone:\n        name: {zone}\n"
        ),
    )?;
    Ok(dir.join(name))
}

/// Runs the playbook setting `zone` with rplay or the oracle; returns (exit code, stdout+stderr).
fn run_timezone(
    lab: &super::fixture::Lab,
    dir: &Path,
    zone: &str,
    oracle: bool,
) -> Result<(i32, String), Failed> {
    let playbook = timezone_playbook(dir, zone)?;
    let playbook = playbook.display().to_string();
    if oracle {
        let out = super::fixture::oracle(lab, "ansible-playbook", &[&playbook], dir)?;
        return Ok((out.rc, format!("{}{}", out.stdout, out.stderr)));
    }
    let out = Command::new(super::fixture::bin("rplay"))
        .arg("-i")
        .arg(&lab.inventory)
        .arg(&playbook)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run rplay: {e}"))?;
    Ok((
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// geerlingguy.ntp sets the time zone with `timezone`: rplay and ansible-playbook must agree on
/// when it changes (each reading the state the other wrote) and on rejecting unknown zones.
fn timezone_agrees_with_ansible() -> TestResult {
    let lab = super::fixture::start_lab(
        &format!("galaxy-{}", super::fixture::lab_tag()),
        1,
        &["--python"],
    )?;
    let tmp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let dir = tmp.path();
    let host = lab.hosts.first().cloned().unwrap_or_default();
    let zone_now = || lab.check(&host, "timedatectl show -p Timezone --value");
    // (tool is the oracle, zone, expected exit code, expected changed count)
    let steps: [(bool, &str, i32, Option<u32>); 6] = [
        (false, "Europe/Paris", 0, Some(1)),
        (false, "Europe/Paris", 0, Some(0)),
        (true, "Europe/Paris", 0, Some(0)),
        (true, "Asia/Tokyo", 0, Some(1)),
        (false, "Asia/Tokyo", 0, Some(0)),
        (false, "Not/AZone", 2, None),
    ];
    for (oracle, zone, rc, changed) in steps {
        let who = if oracle { "ansible-playbook" } else { "rplay" };
        let (got_rc, out) = run_timezone(&lab, dir, zone, oracle)?;
        if got_rc != rc {
            return Err(format!("{who} {zone}: exit {got_rc}, expected {rc}:\n{out}").into());
        }
        if let Some(n) = changed {
            if recap_changed(&out) != Some(n) {
                return Err(format!("{who} {zone}: expected changed={n}:\n{out}").into());
            }
            let now = zone_now()?;
            if now.trim() != zone {
                return Err(format!("{who} {zone}: host time zone is {now:?}").into());
            }
        } else if !out.contains("is not available") {
            return Err(format!("{who} {zone}: expected an unknown-zone error:\n{out}").into());
        }
    }
    let (rc, out) = run_timezone(&lab, dir, "Not/AZone", true)?;
    if rc != 2 {
        return Err(format!("ansible-playbook accepted an unknown zone:\n{out}").into());
    }
    super::fixture::stop_lab(&lab.name)?;
    Ok(())
}
