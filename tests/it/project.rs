//! Helpers of the trials that run a project directory of `tests/` (playbooks, `library/`,
//! vaulted files) with rplay and with ansible-playbook on lab hosts, and compare the two.

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::Failed;

use crate::fixture::{self, Lab, Output};

/// The project directory `tests/<name>`.
pub fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

/// Runs rplay with `args` against `lab`, from the project directory `dir`.
pub fn rplay(lab: &Lab, dir: &Path, args: &[&str]) -> Output {
    fixture::run_with_input(
        Command::new(fixture::bin("rplay"))
            .current_dir(dir)
            .env("ANSIBLE_NOCOLOR", "1")
            .env_remove("ANSIBLE_CONFIG")
            .arg("-i")
            .arg(&lab.inventory)
            .args(args),
        None,
    )
}

/// Fails the trial with `what` unless `ok`.
pub fn ensure(ok: bool, what: impl Into<String>) -> Result<(), Failed> {
    if ok {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

/// The recap line of `host` in a run's output.
pub fn recap<'a>(out: &'a str, host: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{host} ")) && l.contains(" : ok="))
        .unwrap_or("")
}

/// Fails unless ansible-playbook's and rplay's outputs, passed through `comparable`, and their
/// exit codes are equal; the failure shows a unified diff and both stderrs.
pub fn same_output(
    what: &str,
    ansible: &Output,
    ours: &Output,
    comparable: impl Fn(&str) -> String,
) -> Result<(), Failed> {
    let (a, r) = (comparable(&ansible.stdout), comparable(&ours.stdout));
    ensure(
        a == r && ansible.rc == ours.rc,
        format!(
            "{what}: exit codes ansible={} rplay={}\n{}\n--- ansible stderr:\n{}\n--- rplay stderr:\n{}",
            ansible.rc,
            ours.rc,
            similar::TextDiff::from_lines(&a, &r)
                .unified_diff()
                .header("ansible-playbook", "rplay"),
            ansible.stderr,
            ours.stderr
        ),
    )
}

/// The output without the config-file line only ansible-playbook prints.
pub fn without_config_line(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("Using ") && !l.starts_with("No config file"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A lab of `count` hosts of its own for an area (`flags` as for `rlab up`), named after the
/// area and this checkout.
pub fn own_lab(
    cell: &'static std::sync::OnceLock<Result<Lab, String>>,
    area: &str,
    count: usize,
    flags: &[&str],
) -> Result<&'static Lab, Failed> {
    cell.get_or_init(|| fixture::start_lab(&format!("{area}-{}", fixture::lab_tag()), count, flags))
        .as_ref()
        .map_err(|e| Failed::from(e.as_str()))
}
