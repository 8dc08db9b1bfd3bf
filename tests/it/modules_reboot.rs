//! Lab tests of the `reboot` module on a host of its own (a reboot must not disturb other
//! trials' hosts): the host really reboots (new boot id), later tasks run on the renewed
//! connection, check mode reboots nothing, and the output is ansible-playbook's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use libtest_mimic::{Failed, Trial};

use crate::fixture::{self, Lab, Output};

/// Every trial of this area.
pub fn trials() -> Vec<Trial> {
    vec![Trial::test(
        "modules_reboot::reboot_like_ansible",
        reboot_like_ansible,
    )]
}

/// This area's lab: one full host with python (for ansible-playbook too).
fn lab() -> Result<&'static Lab, Failed> {
    static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
    LAB.get_or_init(|| {
        fixture::start_lab(&format!("reboot-{}", fixture::lab_tag()), 1, &["--python"])
    })
    .as_ref()
    .map_err(|e| Failed::from(e.as_str()))
}

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reboot")
}

fn rplay(lab: &Lab, args: &[&str]) -> Output {
    fixture::run_with_input(
        Command::new(fixture::bin("rplay"))
            .current_dir(cases())
            .env("ANSIBLE_NOCOLOR", "1")
            .env_remove("ANSIBLE_CONFIG")
            .arg("-i")
            .arg(&lab.inventory)
            .args(args),
        None,
    )
}

fn ensure(ok: bool, what: impl Into<String>) -> Result<(), Failed> {
    if ok {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

/// Output with the reboot's duration masked.
fn comparable(text: &str) -> String {
    let re = regex::Regex::new(r#""elapsed": \d+"#).expect("static regex");
    text.lines()
        .filter(|l| !l.starts_with("Using ") && !l.starts_with("No config file"))
        .map(|l| re.replace_all(l, "\"elapsed\": N").into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn boot_id(lab: &Lab) -> Result<String, Failed> {
    Ok(lab.check(&lab.hosts[0], "cat /proc/sys/kernel/random/boot_id")?)
}

fn reboot_like_ansible() -> Result<(), Failed> {
    let lab = lab()?;
    // A real reboot: the playbook itself asserts that the boot id changed, with tasks before
    // and after the reboot on the same run's connection.
    let first = boot_id(lab)?;
    let ours = rplay(lab, &["reboot.yml"]);
    ensure(
        ours.rc == 0 && ours.stdout.contains("\"rebooted\": true"),
        format!("rplay reboot.yml: {ours:?}"),
    )?;
    let second = boot_id(lab)?;
    ensure(first != second, "the host got a new boot id")?;
    // Check mode says it would reboot and does not.
    let check = rplay(lab, &["--check", "only-reboot.yml"]);
    ensure(
        check.rc == 0 && check.stdout.contains("changed=1 "),
        format!("check mode: {check:?}"),
    )?;
    ensure(boot_id(lab)? == second, "check mode did not reboot")?;
    // The same output as ansible-playbook, which also reboots the host.
    for args in [
        &["only-reboot.yml"][..],
        &["--check", "only-reboot.yml"][..],
    ] {
        let ansible = fixture::oracle(lab, "ansible-playbook", args, &cases())?;
        let ours = rplay(lab, args);
        let (a, r) = (comparable(&ansible.stdout), comparable(&ours.stdout));
        ensure(
            a == r && ansible.rc == ours.rc,
            format!(
                "{args:?}: exit codes ansible={} rplay={}\n{}\n--- ansible stderr:\n{}\n--- rplay stderr:\n{}",
                ansible.rc,
                ours.rc,
                similar::TextDiff::from_lines(&a, &r)
                    .unified_diff()
                    .header("ansible-playbook", "rplay"),
                ansible.stderr,
                ours.stderr
            ),
        )?;
    }
    ensure(
        boot_id(lab)? != second,
        "ansible and rplay rebooted the host again",
    )?;
    Ok(())
}
