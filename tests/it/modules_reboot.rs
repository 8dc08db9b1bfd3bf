//! Lab tests of the `reboot` module on a host of its own (a reboot must not disturb other
//! trials' hosts): the host really reboots (new boot id), later tasks run on the renewed
//! connection, check mode reboots nothing, and the output is ansible-playbook's. On a second host
//! of its own, `wait_for_connection` waits out an sshd that is stopped for a while.

use std::sync::OnceLock;

use libtest_mimic::{Failed, Trial};

use crate::fixture::{self, Lab, Output};
use crate::project::{self, ensure};

/// Every trial of this area.
pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test("modules_reboot::reboot_like_ansible", reboot_like_ansible),
        Trial::test(
            "modules_reboot::wait_for_connection_outlasts_a_stopped_sshd",
            wait_for_connection_outlasts_a_stopped_sshd,
        ),
    ]
}

/// This area's lab: one full host with python (for ansible-playbook too).
fn lab() -> Result<&'static Lab, Failed> {
    static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
    project::own_lab(&LAB, "reboot", 1, &["--python"])
}

fn rplay(lab: &Lab, args: &[&str]) -> Output {
    project::rplay(lab, &project::dir("reboot"), args)
}

/// Output with the reboot's duration masked.
fn comparable(text: &str) -> String {
    let re = regex::Regex::new(r#""elapsed": \d+"#).expect("static regex");
    re.replace_all(&project::without_config_line(text), "\"elapsed\": N")
        .into_owned()
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
        let ansible = fixture::oracle(lab, "ansible-playbook", args, &project::dir("reboot"))?;
        let ours = rplay(lab, args);
        project::same_output(&format!("{args:?}"), &ansible, &ours, comparable)?;
    }
    ensure(
        boot_id(lab)? != second,
        "ansible and rplay rebooted the host again",
    )?;
    Ok(())
}

/// `wait_for_connection`'s lab: sshd is stopped there, which must not disturb other trials.
fn wait_lab() -> Result<&'static Lab, Failed> {
    static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
    project::own_lab(&LAB, "waitconn", 1, &["--python"])
}

fn wait_for_connection_outlasts_a_stopped_sshd() -> Result<(), Failed> {
    let lab = wait_lab()?;
    let dir = project::dir("reboot");
    let ours = project::rplay(lab, &dir, &["wait-for-connection.yml"]);
    ensure(
        ours.rc == 0 && ours.stdout.contains("ok=3 ") && ours.stdout.contains("changed=1 "),
        format!("rplay wait-for-connection.yml: {ours:?}"),
    )?;
    let ansible = fixture::oracle(lab, "ansible-playbook", &["wait-for-connection.yml"], &dir)?;
    project::same_output("wait-for-connection.yml", &ansible, &ours, comparable)?;
    let timeout = project::rplay(lab, &dir, &["wait-for-connection-timeout.yml"]);
    ensure(
        timeout.rc == 0
            && timeout.stdout.contains("\"msg\": \"True True\"")
            && timeout.stdout.contains("ignored=1"),
        format!("a wait shorter than the outage fails: {timeout:?}"),
    )?;
    // Check mode skips the wait, as Ansible does.
    let check = project::rplay(lab, &dir, &["--check", "wait-for-connection.yml"]);
    ensure(
        check.rc == 0 && check.stdout.contains("skipped=3"),
        format!("check mode: {check:?}"),
    )?;
    Ok(())
}
