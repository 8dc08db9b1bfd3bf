//! The guide's semantics-lab playbooks that need their own directory, inventory or arguments
//! (vault password files, `-e @file`, a bad inventory, `-i localhost,`): one row per run, each a
//! differential trial `engine::semantics_lab::<dir>_<name>` comparing rplay with ansible-playbook.
//! Some playbooks change files beside them (and not idempotently), so each tool runs in a fresh
//! copy of the lab at the same temporary path. The plain `h/` cases with `h/inv.ini` are listed
//! in `engine.rs`.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use super::engine::differential_run;

/// One lab run: directory under `semantics-lab/`, playbook, inventory (as given to `-i`, relative
/// to the directory), extra arguments, and why it still differs (`Some` = run only with
/// `--ignored`).
struct LabRun {
    trial: &'static str,
    dir: &'static str,
    playbook: &'static str,
    inventory: &'static str,
    args: &'static [&'static str],
    known_diff: Option<&'static str>,
}

/// `-i localhost,` makes localhost an inventory host, so it needs the controller's Python as the
/// guide's inventories give it.
const LOCAL: &[&str] = &[
    "-c",
    "local",
    "-e",
    "ansible_python_interpreter={{ ansible_playbook_python }}",
];

const fn run(
    trial: &'static str,
    dir: &'static str,
    playbook: &'static str,
    inventory: &'static str,
    args: &'static [&'static str],
) -> LabRun {
    LabRun {
        trial,
        dir,
        playbook,
        inventory,
        args,
        known_diff: None,
    }
}

const fn known(r: LabRun, why: &'static str) -> LabRun {
    LabRun {
        known_diff: Some(why),
        ..r
    }
}

static RUNS: &[LabRun] = &[
    run("h_filters", "h", "filters.yml", "inv.ini", &[]),
    run("h_yaml219", "h", "yaml219.yml", "inv.ini", &[]),
    run("h_misc", "h", "misc.yml", "inv.ini", &[]),
    run("h_mods", "h", "mods.yml", "inv.ini", &[]),
    run("h_check_mode", "h", "check.yml", "inv.ini", &["--check"]),
    run("h_ev_pb", "h", "ev_pb.yml", "inv.ini", &[]),
    run(
        "h_ev_pb_extra_vars",
        "h",
        "ev_pb.yml",
        "inv.ini",
        &[
            "-e", "@ev.yml", "-e", "@ev.json", "-e", "n=5", "-e", "b=true",
        ],
    ),
    run("h_vinline", "h", "vinline.yml", "inv.ini", &[]),
    run(
        "h_vinline_password",
        "h",
        "vinline.yml",
        "inv.ini",
        &["--vault-password-file", "../vpass"],
    ),
    run(
        "h_vt",
        "h",
        "vt.yml",
        "inv.ini",
        &["--vault-password-file", "../vpass"],
    ),
    run(
        "h_vt_wrong_password",
        "h",
        "vt.yml",
        "inv.ini",
        &["--vault-password-file", "../wrongpass"],
    ),
    run("h_vt_no_password", "h", "vt.yml", "inv.ini", &[]),
    run("h_badmod", "h", "badmod.yml", "inv.ini", &[]),
    run("h_fc", "h", "fc.yml", "inv.ini", &[]),
    run("h_inc", "h", "inc.yml", "inv.ini", &[]),
    run("h_incvars", "h", "incvars.yml", "inv.ini", &[]),
    run("h_iv", "h", "iv.yml", "inv.ini", &[]),
    run("h_inib", "h", "inib.yml", "inib.ini", &[]),
    run("h_setx", "h", "setx.yml", "inv.ini", &[]),
    run("h_sub", "h", "sub.yml", "inv.ini", &[]),
    run("h_syn", "h", "syn.yml", "inv.ini", &[]),
    run("h_unreach", "h", "unreach.yml", "bad.ini", &[]),
    run("h_unr_rescue", "h", "unr_rescue.yml", "bad.ini", &[]),
    run("roles_alt", "roles", "alt.yml", "localhost,", LOCAL),
    run("roles_pb", "roles", "pb.yml", "localhost,", LOCAL),
    run("roles_pub", "roles", "pub.yml", "localhost,", LOCAL),
    run("roles_rv", "roles", "rv.yml", "localhost,", LOCAL),
    run("roles_s", "roles", "s.yml", "localhost,", LOCAL),
    run("gv_pb", "gv", "pb.yml", "inventory", &[]),
];

/// Every row as a trial.
pub fn trials(lab: PathBuf) -> Vec<Trial> {
    RUNS.iter()
        .map(|r| {
            let lab = lab.clone();
            Trial::test(format!("engine::semantics_lab::{}", r.trial), move || {
                run_in_copy(&lab, r)
            })
            .with_ignored_flag(r.known_diff.is_some())
        })
        .collect()
}

fn run_in_copy(lab: &Path, r: &LabRun) -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let copy = tmp.path().join("semantics-lab");
    let fresh_copy = || -> Result<(), Failed> {
        if copy.exists() {
            std::fs::remove_dir_all(&copy)
                .map_err(|e| format!("cannot remove {}: {e}", copy.display()))?;
        }
        copy_tree(lab, &copy).map_err(|e| format!("cannot copy {}: {e}", lab.display()).into())
    };
    let dir = copy.join(r.dir);
    let args: Vec<String> = r.args.iter().map(|a| a.to_string()).collect();
    differential_run(
        &dir,
        &dir.join(r.playbook),
        std::ffi::OsStr::new(r.inventory),
        &args,
        None,
        &fresh_copy,
    )
}

/// Copies a directory tree (files and directories; the lab has no links).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
