//! Lab tests of vault-encrypted sources of `copy` and `template` (project in
//! `tests/vaulted-src/`): decrypted on the controller, the plaintext written on the hosts with the
//! same output and end state as ansible-playbook; then the usual contract (nothing to do the
//! second time, a drift shown by `--check --diff` without touching it, fixed by a real run).

use std::path::PathBuf;

use libtest_mimic::{Failed, Trial};

use crate::fixture::{self, Lab, Output};
use crate::project::{self, ensure, recap};

/// Every trial of this area.
pub fn trials() -> Vec<Trial> {
    vec![Trial::test(
        "modules_vaulted_src::copy_and_template_decrypt_vaulted_sources",
        copy_and_template_decrypt_vaulted_sources,
    )]
}

const FILES: &str = "/tmp/rplay-vaulted.conf /tmp/rplay-vaulted-template.txt";

fn project() -> PathBuf {
    project::dir("vaulted-src")
}

fn rplay(lab: &Lab, extra: &[&str]) -> Output {
    let mut args = vec!["-f", "1", "--vault-password-file", "vault-pass.txt"];
    args.extend(extra);
    args.push("site.yml");
    project::rplay(lab, &project(), &args)
}

/// Contents and modes of the written files on every host.
fn end_state(lab: &Lab) -> Result<String, Failed> {
    let mut out = String::new();
    for h in &lab.hosts {
        out.push_str(&lab.check(
            h,
            &format!("for f in {FILES}; do stat -c '%n %a' $f; cat $f; done"),
        )?);
    }
    Ok(out)
}

fn reset(lab: &Lab) -> Result<(), Failed> {
    for h in &lab.hosts {
        lab.check(h, &format!("rm -f {FILES}"))?;
    }
    Ok(())
}

fn copy_and_template_decrypt_vaulted_sources() -> Result<(), Failed> {
    let lab = fixture::pylab()?;
    reset(lab)?;
    let ansible = fixture::oracle(
        lab,
        "ansible-playbook",
        &[
            "-f",
            "1",
            "--vault-password-file",
            "vault-pass.txt",
            "site.yml",
        ],
        &project(),
    )?;
    let theirs = end_state(lab)?;
    ensure(
        theirs.contains("api_key = s3cr3t-from-vault") && theirs.contains("key from-a-template"),
        format!("ansible wrote the plaintext: {theirs}\n{ansible:?}"),
    )?;
    reset(lab)?;
    let ours = rplay(lab, &[]);
    project::same_output("site.yml", &ansible, &ours, project::without_config_line)?;
    ensure(end_state(lab)? == theirs, "same files and modes as ansible")?;
    let again = rplay(lab, &[]);
    for h in &lab.hosts {
        ensure(
            recap(&again.stdout, h).contains("changed=0 "),
            format!("second run changed {h}:\n{}", again.stdout),
        )?;
    }
    let drifted = &lab.hosts[0];
    lab.check(drifted, "echo changed by hand > /tmp/rplay-vaulted.conf")?;
    let check = rplay(lab, &["--check", "--diff"]);
    ensure(
        recap(&check.stdout, drifted).contains("changed=1 ")
            && recap(&check.stdout, &lab.hosts[1]).contains("changed=0 ")
            && check.stdout.contains("-changed by hand")
            && check.stdout.contains("+api_key = s3cr3t-from-vault"),
        format!("check --diff shows exactly the drift:\n{}", check.stdout),
    )?;
    ensure(
        lab.check(drifted, "cat /tmp/rplay-vaulted.conf")? == "changed by hand\n",
        "check mode left the drift alone",
    )?;
    let fix = rplay(lab, &[]);
    ensure(
        recap(&fix.stdout, drifted).contains("changed=1 "),
        format!("the real run fixes the drift:\n{}", fix.stdout),
    )?;
    ensure(end_state(lab)? == theirs, "the drift is fixed")?;
    Ok(())
}
