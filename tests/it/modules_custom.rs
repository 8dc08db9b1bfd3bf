//! Lab tests of the project's own modules (`library/` beside the playbook and in roles), with the
//! project in `tests/custom-modules/`: they converge, change nothing the second time, report a
//! drift made by hand in check mode without touching it and fix it for real; they give the same
//! output and registered results as ansible-playbook; and an AnsibleModule Python module is a load
//! error naming its file.

use std::path::PathBuf;
use std::process::Command;

use libtest_mimic::{Failed, Trial};

use crate::fixture::{self, Lab, Output};
use crate::project::{self, ensure, recap};

/// Every trial of this area.
pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "modules_custom::library_modules_converge_and_fix_drift",
            library_modules_converge_and_fix_drift,
        ),
        Trial::test(
            "modules_custom::same_output_as_ansible",
            same_output_as_ansible,
        ),
        Trial::test("modules_custom::module_path_option", module_path_option),
        Trial::test(
            "modules_custom::ansible_python_module_is_a_load_error",
            ansible_python_module_is_a_load_error,
        ),
    ]
}

const MARKER: &str = "/tmp/rplay-marker";

fn project() -> PathBuf {
    project::dir("custom-modules")
}

fn rplay(lab: &Lab, playbook: &str, extra: &[&str]) -> Output {
    let mut args = extra.to_vec();
    args.push(playbook);
    project::rplay(lab, &project(), &args)
}

fn reset(lab: &Lab) -> Result<(), Failed> {
    for h in &lab.hosts {
        lab.check(h, &format!("rm -f {MARKER}"))?;
    }
    Ok(())
}

fn library_modules_converge_and_fix_drift() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    reset(lab)?;
    let first = rplay(lab, "site.yml", &[]);
    ensure(first.rc == 0, format!("first run: {first:?}"))?;
    for h in &lab.hosts {
        ensure(
            recap(&first.stdout, h).contains("changed=1 ")
                && recap(&first.stdout, h).contains("ignored=1"),
            format!("first run on {h}:\n{}", first.stdout),
        )?;
        ensure(
            lab.check(h, &format!("cat {MARKER}"))? == "hello world\n",
            format!("{h}: the marker module wrote its file"),
        )?;
    }
    let second = rplay(lab, "site.yml", &[]);
    ensure(second.rc == 0, format!("second run: {second:?}"))?;
    for h in &lab.hosts {
        ensure(
            recap(&second.stdout, h).contains("changed=0 "),
            format!("second run changed {h}:\n{}", second.stdout),
        )?;
    }
    let drifted = &lab.hosts[0];
    lab.check(drifted, &format!("echo changed by hand > {MARKER}"))?;
    let check = rplay(lab, "site.yml", &["--check", "--diff"]);
    ensure(check.rc == 0, format!("check run: {check:?}"))?;
    for h in &lab.hosts {
        let want = if h == drifted {
            "changed=1 "
        } else {
            "changed=0 "
        };
        ensure(
            recap(&check.stdout, h).contains(want),
            format!("check run on {h} should say {want}:\n{}", check.stdout),
        )?;
    }
    ensure(
        check.stdout.contains("-changed by hand") && check.stdout.contains("+hello world"),
        format!("--diff shows the module's diff:\n{}", check.stdout),
    )?;
    ensure(
        check.stdout.contains("\"check\": \"True\""),
        format!(
            "the key=value module is told it runs in check mode:\n{}",
            check.stdout
        ),
    )?;
    ensure(
        lab.check(drifted, &format!("cat {MARKER}"))? == "changed by hand\n",
        "check mode left the drift alone",
    )?;
    let fix = rplay(lab, "site.yml", &[]);
    ensure(
        fix.rc == 0 && recap(&fix.stdout, drifted).contains("changed=1 "),
        format!("fixing run: {fix:?}"),
    )?;
    ensure(
        lab.check(drifted, &format!("cat {MARKER}"))? == "hello world\n",
        "the real run fixed the drift",
    )?;
    for h in &lab.hosts {
        let left = lab.check(h, "ls -a /tmp /root")?;
        ensure(
            !left.contains("rplay-module"),
            format!("{h}: module files were left behind:\n{left}"),
        )?;
    }
    Ok(())
}

/// Ansible's and rplay's standard output of one playbook, minus the config-file line only
/// ansible-playbook prints.
fn comparable(text: &str) -> String {
    crate::engine::normalize(&project::without_config_line(text))
}

fn same_output_as_ansible() -> Result<(), Failed> {
    let lab = fixture::pylab()?;
    for (playbook, args) in [
        ("site.yml", &["-v"][..]),
        ("site.yml", &["-v", "--check", "--diff"][..]),
        ("failures.yml", &[][..]),
    ] {
        reset(lab)?;
        // One fork each, so both print hosts in inventory order.
        let mut args = args.to_vec();
        args.extend(["-f", "1"]);
        let mut oracle_args = args.clone();
        oracle_args.push(playbook);
        let ansible = fixture::oracle(lab, "ansible-playbook", &oracle_args, &project())?;
        let ansible_marker = lab.check(&lab.hosts[0], &format!("cat {MARKER} || true"))?;
        reset(lab)?;
        let ours = rplay(lab, playbook, &args);
        let our_marker = lab.check(&lab.hosts[0], &format!("cat {MARKER} || true"))?;
        project::same_output(playbook, &ansible, &ours, comparable)?;
        ensure(
            ansible.stderr.contains("[WARNING]: careful")
                == ours.stderr.contains("[WARNING]: careful"),
            format!(
                "module warnings on stderr:\n{}\n---\n{}",
                ansible.stderr, ours.stderr
            ),
        )?;
        ensure(
            ansible_marker == our_marker,
            format!("{playbook}: end state ansible={ansible_marker:?} rplay={our_marker:?}"),
        )?;
    }
    Ok(())
}

fn ansible_python_module_is_a_load_error() -> Result<(), Failed> {
    let out = fixture::run_with_input(
        Command::new(fixture::bin("rplay"))
            .current_dir(project())
            .env("ANSIBLE_NOCOLOR", "1")
            .args(["-i", "localhost,", "--syntax-check", "python.yml"]),
        None,
    );
    ensure(
        out.rc == 4,
        format!("rplay should refuse python.yml with exit code 4: {out:?}"),
    )?;
    ensure(
        out.stderr.contains("library/py_module")
            && out.stderr.contains("AnsibleModule")
            && out.stderr.contains("python.yml:5:7"),
        format!(
            "the error names the module file and the task: {}",
            out.stderr
        ),
    )?;
    Ok(())
}

/// `-M DIR` finds modules in a directory that is neither beside the playbook nor configured:
/// a playbook in a scratch directory runs `kv_echo` from the project's `library/`, and so does
/// radhoc; without `-M` the module is unknown.
fn module_path_option() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let scratch = std::env::temp_dir().join(format!("rplay-module-path-{}", lab.name));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    std::fs::write(
        scratch.join("pb.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - kv_echo:\n        greeting: from-M\n      register: r\n    - debug:\n        var: r.greeting\n",
    )
    .map_err(|e| format!("{}: {e}", scratch.display()))?;
    let library = project().join("library");
    let module_path = format!("/nonexistent-rplay-dir:{}", library.display());
    let without = project::rplay(lab, &scratch, &["pb.yml"]);
    ensure(
        without.rc != 0 && without.stderr.contains("kv_echo"),
        format!("without -M kv_echo must be unknown: {without:?}"),
    )?;
    let with = project::rplay(lab, &scratch, &["-M", &module_path, "pb.yml"]);
    ensure(
        with.rc == 0 && with.stdout.contains("\"r.greeting\": \"from-M\""),
        format!("rplay -M: {with:?}"),
    )?;
    let adhoc = fixture::run_with_input(
        Command::new(fixture::bin("radhoc"))
            .current_dir(&scratch)
            .env("ANSIBLE_NOCOLOR", "1")
            .env_remove("ANSIBLE_CONFIG")
            .arg("-i")
            .arg(&lab.inventory)
            .args([
                "all",
                "-M",
                &module_path,
                "-m",
                "kv_echo",
                "-a",
                "greeting=adhoc",
            ]),
        None,
    );
    ensure(
        adhoc.rc == 0 && adhoc.stdout.contains("\"greeting\": \"adhoc\""),
        format!("radhoc -M: {adhoc:?}"),
    )?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
