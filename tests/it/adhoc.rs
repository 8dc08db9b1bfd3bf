//! radhoc lab tests: each ad-hoc output form (`CHANGED | rc=0 >>`, `SUCCESS => {...}`, `FAILED!`,
//! `UNREACHABLE!`, `-o`, `-t DIR`, `--list-hosts`) and exit code is compared with the pinned
//! `ansible` on the python lab; `-C`, `-b` and `-a` parsing are checked on the shared lab by
//! looking at the hosts afterwards.

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Failed, Trial};
use serde_json::Value;

use super::fixture::{self, Lab, Output};

/// Cases compared with `ansible`: name and arguments after `-i INVENTORY`; `{tree}` becomes a
/// per-program tree directory.
const DIFFERENTIAL: &[(&str, &[&str])] = &[
    ("command_changed", &["h1", "-a", "echo hi"]),
    ("command_failed", &["h1", "-a", "false"]),
    (
        "command_failed_stderr",
        &["h1", "-m", "command", "-a", "ls /nonexistent-rplay"],
    ),
    (
        "shell_free_form",
        &["h1", "-m", "shell", "-a", "echo a; echo b >&2"],
    ),
    (
        "shell_free_form_with_kv",
        &["h1", "-m", "shell", "-a", "chdir=/tmp pwd"],
    ),
    ("module_success_json", &["h1", "-m", "ping"]),
    (
        "module_failed_json",
        &["h1", "-m", "fail", "-a", "msg=boom"],
    ),
    (
        "module_changed_kv",
        &[
            "h1",
            "-m",
            "file",
            "-a",
            "path=/tmp/rplay-adhoc-touched state=directory mode=0700",
        ],
    ),
    ("one_line_command", &["all", "-o", "-a", "echo hi"]),
    ("one_line_json", &["all", "-o", "-m", "ping"]),
    (
        "setup_filter",
        &["h1", "-m", "setup", "-a", "filter=ansible_distribution*"],
    ),
    ("list_hosts", &["all", "--list-hosts"]),
    ("list_hosts_limit", &["all", "-l", "h2", "--list-hosts"]),
    (
        "become_user",
        &["h1", "-b", "--become-user", "nobody", "-a", "whoami"],
    ),
    ("tree", &["h1", "-m", "ping", "-t", "{tree}"]),
    (
        "background_times_out",
        &["h1", "-B", "1", "-P", "1", "-a", "sleep 5"],
    ),
];

/// Every radhoc trial.
pub fn trials() -> Vec<Trial> {
    let mut out = Vec::new();
    for (name, args) in DIFFERENTIAL {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        out.push(Trial::test(
            format!("adhoc::differential::{name}"),
            move || differential(name, &args),
        ));
    }
    out.push(Trial::test("adhoc::unreachable", unreachable));
    out.push(Trial::test(
        "adhoc::exit_code_failed_and_unreachable",
        failed_and_unreachable,
    ));
    out.push(Trial::test("adhoc::check_mode_changes_nothing", check_mode));
    out.push(Trial::test("adhoc::become_runs_as_root", become_root));
    out.push(Trial::test("adhoc::tree_one_file_per_host", tree_files));
    out.push(Trial::test("adhoc::kv_args_reach_the_module", kv_args));
    out.push(Trial::test(
        "adhoc::passwords_from_prompt_and_file",
        passwords_from_prompt_and_file,
    ));
    out.push(Trial::test(
        "adhoc::background_job_and_async_status",
        background_job,
    ));
    out.push(Trial::test(
        "adhoc::facts::smart_gathering_reads_jsonfile_cache",
        smart_jsonfile_cache,
    ));
    out
}

/// An empty ansible.cfg so no user or project configuration changes either program.
fn empty_cfg() -> Result<PathBuf, Failed> {
    let cfg = std::env::temp_dir().join("rplay-adhoc-empty-ansible.cfg");
    if !cfg.is_file() {
        std::fs::write(&cfg, "").map_err(|e| format!("{}: {e}", cfg.display()))?;
    }
    Ok(cfg)
}

/// Runs radhoc with `-i inventory` and `args` in a predictable environment.
fn radhoc(inventories: &[&Path], args: &[String]) -> Result<Output, Failed> {
    radhoc_fed(inventories, args, None)
}

/// [`radhoc`] with `stdin` as its input and no controlling terminal (in its own session), so
/// password prompts read stdin as they do under cron.
fn radhoc_fed(
    inventories: &[&Path],
    args: &[String],
    stdin: Option<&str>,
) -> Result<Output, Failed> {
    use std::os::unix::process::CommandExt;
    let cfg = empty_cfg()?;
    let mut cmd = Command::new(fixture::bin("radhoc"));
    for inv in inventories {
        cmd.arg("-i").arg(inv);
    }
    cmd.args(args)
        .current_dir(std::env::temp_dir())
        .env("ANSIBLE_CONFIG", &cfg)
        .env("NO_COLOR", "1")
        .env("ANSIBLE_NOCOLOR", "1");
    // SAFETY: setsid is async-signal-safe and touches nothing of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    Ok(fixture::run_with_input(&mut cmd, stdin))
}

/// Runs the pinned `ansible` with `-i inventory` and `args`.
fn ansible(inventories: &[&Path], args: &[String]) -> Result<Output, Failed> {
    let cfg = empty_cfg()?;
    let mut cmd = Command::new(fixture::oracle_bin("ansible")?);
    for inv in inventories {
        cmd.arg("-i").arg(inv);
    }
    cmd.args(args)
        .current_dir(std::env::temp_dir())
        .env("ANSIBLE_CONFIG", &cfg)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
        .env("ANSIBLE_LOCALHOST_WARNING", "0");
    Ok(fixture::run_with_input(&mut cmd, None))
}

/// stdout without the `[ERROR]: Task failed` blocks (2.19 adds the task's origin and arguments,
/// which radhoc leaves out) and without blank lines.
fn host_lines(stdout: &str) -> String {
    stdout
        .lines()
        .filter(|l| {
            !(l.trim().is_empty()
                || l.starts_with("[ERROR]")
                || l.starts_with("[WARNING]")
                || l.starts_with("Origin: ")
                || l.starts_with("{'action'"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn show(o: &Output) -> String {
    format!(
        "rc={}\n--- stdout\n{}\n--- stderr\n{}",
        o.rc, o.stdout, o.stderr
    )
}

fn differential(name: &str, args: &[String]) -> Result<(), Failed> {
    let lab = fixture::pylab()?;
    let tree_root = std::env::temp_dir().join(format!("rplay-adhoc-tree-{}-{name}", lab.name));
    let _ = std::fs::remove_dir_all(&tree_root);
    let with_tree = |who: &str| -> Vec<String> {
        args.iter()
            .map(|a| a.replace("{tree}", &tree_root.join(who).to_string_lossy()))
            .collect()
    };
    // Both programs start from the same host state.
    let reset = || -> Result<(), String> {
        if name == "module_changed_kv" {
            lab.check("h1", "rm -rf /tmp/rplay-adhoc-touched")?;
        }
        Ok(())
    };
    reset()?;
    let ours = radhoc(&[&lab.inventory], &with_tree("radhoc"))?;
    reset()?;
    let theirs = ansible(&[&lab.inventory], &with_tree("ansible"))?;
    let (a, b) = (host_lines(&ours.stdout), host_lines(&theirs.stdout));
    let mut problems = Vec::new();
    if ours.rc != theirs.rc {
        problems.push(format!("exit code {} (ansible: {})", ours.rc, theirs.rc));
    }
    // Hosts run in parallel, so multi-host output is compared as a set of lines.
    let same = if args.first().map(String::as_str) == Some("all")
        && !args.contains(&"--list-hosts".to_string())
    {
        let mut la: Vec<&str> = a.lines().collect();
        let mut lb: Vec<&str> = b.lines().collect();
        la.sort_unstable();
        lb.sort_unstable();
        la == lb
    } else {
        a == b
    };
    if !same {
        problems.push("host output differs".into());
    }
    if args.iter().any(|a| a == "{tree}") {
        let read = |who: &str| -> Result<Value, String> {
            let p = tree_root.join(who).join("h1");
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
        };
        let (ta, tb) = (read("radhoc")?, read("ansible")?);
        if ta != tb {
            problems.push(format!("tree file differs: radhoc {ta} / ansible {tb}"));
        }
    }
    let _ = std::fs::remove_dir_all(&tree_root);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n===== radhoc\n{}\n===== ansible\n{}",
            problems.join("; "),
            show(&ours),
            show(&theirs)
        )
        .into())
    }
}

/// An inventory with one host behind a closed port (port 1 on the loopback refuses connections).
fn dead_inventory(tag: &str) -> Result<PathBuf, Failed> {
    let path = std::env::temp_dir().join(format!("rplay-adhoc-dead-{tag}.yml"));
    std::fs::write(
        &path,
        "all:\n  hosts:\n    dead:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n      ansible_user: root\n",
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn unreachable() -> Result<(), Failed> {
    let inv = dead_inventory("unreachable")?;
    let args: Vec<String> = ["dead", "-m", "ping"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let ours = radhoc(&[&inv], &args)?;
    let theirs = ansible(&[&inv], &args)?;
    if ours.rc != 4 {
        return Err(format!("unreachable host must exit 4\n{}", show(&ours)).into());
    }
    let a = host_lines(&ours.stdout);
    let first_line = |o: &Output| o.stdout.lines().next().unwrap_or("").to_string();
    if !a.starts_with("dead | UNREACHABLE! => {")
        || a != host_lines(&theirs.stdout)
        || first_line(&ours) != first_line(&theirs)
    {
        return Err(format!(
            "UNREACHABLE! output differs\n===== radhoc\n{}\n===== ansible\n{}",
            show(&ours),
            show(&theirs)
        )
        .into());
    }
    Ok(())
}

fn failed_and_unreachable() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let inv = dead_inventory("mixed")?;
    let args: Vec<String> = ["all", "-a", "false"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let ours = radhoc(&[&lab.inventory, &inv], &args)?;
    // ansible-core 2.19: unreachable hosts take precedence over failed ones (4, not 2).
    if ours.rc != 4 {
        return Err(format!("failed + unreachable must exit 4\n{}", show(&ours)).into());
    }
    let failed = ours.stdout.matches(" | FAILED | rc=1 >>").count();
    if failed != lab.hosts.len() || !ours.stdout.contains("dead | UNREACHABLE! =>") {
        return Err(format!(
            "expected every lab host FAILED and dead UNREACHABLE!\n{}",
            show(&ours)
        )
        .into());
    }
    let ok: Vec<String> = ["all", "-a", "true"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let ours = radhoc(&[&lab.inventory], &ok)?;
    if ours.rc != 0 {
        return Err(format!("a successful run must exit 0\n{}", show(&ours)).into());
    }
    Ok(())
}

fn host(lab: &Lab) -> Result<String, Failed> {
    lab.hosts
        .first()
        .cloned()
        .ok_or_else(|| Failed::from("the lab has no hosts"))
}

fn check_mode() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let h = host(lab)?;
    let path = "/tmp/rplay-adhoc-check-mode";
    lab.check(&h, &format!("rm -f {path}"))?;
    let args: Vec<String> = [h.as_str(), "-C", "-m", "file", "-a"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("path={path} state=touch")])
        .collect();
    let out = radhoc(&[&lab.inventory], &args)?;
    if out.rc != 0 || !out.stdout.starts_with(&format!("{h} | CHANGED => {{")) {
        return Err(format!("-C must report CHANGED\n{}", show(&out)).into());
    }
    let (rc, _, _) = lab.ssh(&h, &format!("test -e {path}"));
    if rc == 0 {
        return Err(format!("-C created {path} on {h}").into());
    }
    Ok(())
}

fn become_root() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let h = host(lab)?;
    let user = "deploy";
    let args = |become_: bool| -> Vec<String> {
        // Extra vars, since the lab inventory's `ansible_user` outranks `-u`.
        let mut v: Vec<String> = vec![h.clone(), "-e".into(), format!("ansible_user={user}")];
        if become_ {
            v.push("-b".into());
        }
        v.extend(["-a".into(), "id -un".into()]);
        v
    };
    let plain = radhoc(&[&lab.inventory], &args(false))?;
    if plain.rc != 0 || !plain.stdout.contains(&format!("rc=0 >>\n{user}\n")) {
        return Err(format!("without -b the command runs as {user}\n{}", show(&plain)).into());
    }
    let become_ = radhoc(&[&lab.inventory], &args(true))?;
    if become_.rc != 0 || !become_.stdout.contains("rc=0 >>\nroot\n") {
        return Err(format!("with -b the command runs as root\n{}", show(&become_)).into());
    }
    Ok(())
}

fn tree_files() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let dir = std::env::temp_dir().join(format!("rplay-adhoc-tree-{}", lab.name));
    let _ = std::fs::remove_dir_all(&dir);
    let args: Vec<String> = vec![
        "all".into(),
        "-a".into(),
        "echo tree".into(),
        "-t".into(),
        dir.to_string_lossy().into_owned(),
    ];
    let out = radhoc(&[&lab.inventory], &args)?;
    if out.rc != 0 {
        return Err(format!("radhoc -t failed\n{}", show(&out)).into());
    }
    for h in &lab.hosts {
        let p = dir.join(h);
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        if v.get("stdout").and_then(Value::as_str) != Some("tree")
            || v.get("rc").and_then(Value::as_i64) != Some(0)
            || v.get("changed") != Some(&Value::Bool(true))
        {
            return Err(format!("{}: unexpected result {v}", p.display()).into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn kv_args() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let h = host(lab)?;
    let path = "/tmp/rplay-adhoc-kv";
    lab.check(&h, &format!("rm -rf {path}"))?;
    let args: Vec<String> = vec![
        h.clone(),
        "-m".into(),
        "copy".into(),
        "-a".into(),
        format!("content='two words' dest={path} mode=0640"),
    ];
    let out = radhoc(&[&lab.inventory], &args)?;
    if out.rc != 0 || !out.stdout.starts_with(&format!("{h} | CHANGED => {{")) {
        return Err(format!("copy with k=v arguments\n{}", show(&out)).into());
    }
    let got = lab.check(&h, &format!("stat -c %a {path}; cat {path}"))?;
    if got != "640\ntwo words" && got.trim_end() != "640\ntwo words" {
        return Err(format!("{path} on {h}: {got:?}").into());
    }
    let again = radhoc(&[&lab.inventory], &args)?;
    if again.rc != 0 || !again.stdout.starts_with(&format!("{h} | SUCCESS => {{")) {
        return Err(format!("a second copy must change nothing\n{}", show(&again)).into());
    }
    Ok(())
}

/// `-K` (answered on stdin, as without a terminal), `--become-password-file` (a file and a
/// script) and `-k` (SSH password authentication, no key) let the `ops` user, whose sudo asks
/// for a password, log in and become root; a wrong password fails the host.
fn passwords_from_prompt_and_file() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let h = host(lab)?;
    let dir = std::env::temp_dir().join(format!("rplay-adhoc-passwords-{}", lab.name));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let write = |name: &str, text: &str, mode: u32| -> Result<String, String> {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("{}: {e}", p.display()))?;
        Ok(p.to_string_lossy().into_owned())
    };
    let file = write("become-pw", &format!("{}\n", fixture::OPS_PASSWORD), 0o600)?;
    let script = write(
        "become-pw.sh",
        &format!("#!/bin/sh\necho '{}'\n", fixture::OPS_PASSWORD),
        0o700,
    )?;
    let wrong = write("wrong-pw", "not-the-password\n", 0o600)?;
    let as_ops = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec![
            h.clone(),
            "-b".into(),
            "-e".into(),
            "ansible_user=ops".into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v.extend(["-a".into(), "id -un".into()]);
        v
    };
    let root = |o: &Output| o.rc == 0 && o.stdout.contains("rc=0 >>\nroot\n");
    let runs = [
        (
            "-K on stdin",
            as_ops(&["-K"]),
            Some(format!("{}\n", fixture::OPS_PASSWORD)),
        ),
        (
            "--become-password-file",
            as_ops(&["--become-password-file", &file]),
            None,
        ),
        (
            "a password script",
            as_ops(&["--become-pass-file", &script]),
            None,
        ),
        (
            "-k and -K on stdin, without a key",
            as_ops(&[
                "-k",
                "-K",
                "-e",
                "ansible_ssh_private_key_file=/nonexistent/key",
            ]),
            // The become password defaults to the SSH password when left empty.
            Some(format!("{}\n\n", fixture::OPS_PASSWORD)),
        ),
    ];
    for (what, args, input) in &runs {
        let out = radhoc_fed(&[&lab.inventory], args, input.as_deref())?;
        if !root(&out) {
            return Err(format!("{what}: ops must become root\n{}", show(&out)).into());
        }
        if out.stdout.contains(fixture::OPS_PASSWORD) || out.stderr.contains(fixture::OPS_PASSWORD)
        {
            return Err(format!("{what}: the password shows in the output\n{}", show(&out)).into());
        }
    }
    let out = radhoc_fed(
        &[&lab.inventory],
        &as_ops(&["--become-password-file", &wrong]),
        None,
    )?;
    if out.rc == 0 || root(&out) {
        return Err(format!("a wrong become password must fail\n{}", show(&out)).into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `-B 30 -P 0` starts a job and returns at once with its id; `async_status` follows it to the
/// end, and the command really ran. `-B 30 -P 1` waits and shows the job's result as JSON.
fn background_job() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let h = host(lab)?;
    let path = "/tmp/rplay-adhoc-background";
    lab.check(&h, &format!("rm -f {path}"))?;
    let strings = |v: &[&str]| -> Vec<String> { v.iter().map(|s| s.to_string()).collect() };
    let cmd = format!("sh -c 'sleep 1; echo done > {path}'");
    let started = radhoc(
        &[&lab.inventory],
        &strings(&[&h, "-B", "30", "-P", "0", "-a", &cmd]),
    )?;
    let head = format!("{h} | CHANGED => ");
    let job: Value = started
        .stdout
        .strip_prefix(&head)
        .and_then(|json| serde_json::from_str(json).ok())
        .ok_or_else(|| format!("-P 0 must print the started job\n{}", show(&started)))?;
    let jid = job["ansible_job_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if started.rc != 0 || jid.is_empty() || job["finished"] != Value::Bool(false) {
        return Err(format!("-P 0 must return an unfinished job\n{}", show(&started)).into());
    }
    let status_args = strings(&[&h, "-m", "async_status", "-a", &format!("jid={jid}")]);
    let mut last = None;
    for _ in 0..60 {
        let status = radhoc(&[&lab.inventory], &status_args)?;
        if status.stdout.contains("\"finished\": true") {
            last = Some(status);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let status = last.ok_or_else(|| format!("job {jid} never finished on {h}"))?;
    if status.rc != 0 || !status.stdout.contains("\"rc\": 0") {
        return Err(format!("async_status of the finished job\n{}", show(&status)).into());
    }
    let written = lab.check(&h, &format!("cat {path}"))?;
    if written.trim() != "done" {
        return Err(format!("the background command did not run: {path} = {written:?}").into());
    }
    let polled = radhoc(
        &[&lab.inventory],
        &strings(&[&h, "-B", "30", "-P", "1", "-a", "echo polled"]),
    )?;
    let result: Value = polled
        .stdout
        .strip_prefix(&head)
        .and_then(|json| serde_json::from_str(json).ok())
        .ok_or_else(|| {
            format!(
                "-P 1 must print the job's result as JSON\n{}",
                show(&polled)
            )
        })?;
    if polled.rc != 0 || result["stdout"] != "polled" || result["finished"] != Value::Bool(true) {
        return Err(format!("-P 1 result\n{}", show(&polled)).into());
    }
    Ok(())
}

/// `gathering = smart` with the jsonfile cache: the first `rplay` run gathers and writes
/// `<dir>/s1_<host>`; the second has no `Gathering Facts` task and takes its facts from the cache
/// (an edited cached value shows up in the play).
fn smart_jsonfile_cache() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let h = host(lab)?;
    let work = std::env::temp_dir().join(format!("rplay-adhoc-factcache-{}", lab.name));
    let _ = std::fs::remove_dir_all(&work);
    let cache = work.join("cache");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let cfg = work.join("ansible.cfg");
    std::fs::write(
        &cfg,
        format!(
            "[defaults]\ngathering = smart\nfact_caching = jsonfile\nfact_caching_connection = {}\nfact_caching_timeout = 3600\n",
            cache.display()
        ),
    )
    .map_err(|e| format!("{}: {e}", cfg.display()))?;
    let book = work.join("facts.yml");
    std::fs::write(
        &book,
        "- hosts: all\n  tasks:\n    - debug:\n        msg: \"os={{ ansible_distribution }}\"\n",
    )
    .map_err(|e| format!("{}: {e}", book.display()))?;
    let rplay = || {
        let mut cmd = Command::new(fixture::bin("rplay"));
        cmd.arg("-i")
            .arg(&lab.inventory)
            .args(["-l", h.as_str()])
            .arg(&book)
            .current_dir(&work)
            .env("ANSIBLE_CONFIG", &cfg)
            .env("NO_COLOR", "1")
            .env("ANSIBLE_NOCOLOR", "1");
        fixture::run_with_input(&mut cmd, None)
    };
    let first = rplay();
    if first.rc != 0 || !first.stdout.contains("TASK [Gathering Facts]") {
        return Err(format!("first run must gather facts\n{}", show(&first)).into());
    }
    let entry = cache.join(format!("s1_{h}"));
    let text = std::fs::read_to_string(&entry).map_err(|e| format!("{}: {e}", entry.display()))?;
    let doc: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", entry.display()))?;
    let payload = doc
        .get("__payload__")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{}: no __payload__: {text}", entry.display()))?;
    let mut facts: serde_json::Map<String, Value> =
        serde_json::from_str(payload).map_err(|e| format!("{}: {e}", entry.display()))?;
    if facts
        .get("ansible_distribution")
        .and_then(Value::as_str)
        .is_none()
        || facts.get("module_setup") != Some(&Value::Bool(true))
    {
        return Err(format!("{}: unexpected cached facts {payload}", entry.display()).into());
    }
    facts.insert("ansible_distribution".into(), Value::from("FromCache"));
    let mut edited = serde_json::Map::new();
    edited.insert(
        "__payload__".into(),
        Value::String(Value::Object(facts).to_string()),
    );
    std::fs::write(&entry, Value::Object(edited).to_string())
        .map_err(|e| format!("{}: {e}", entry.display()))?;
    let second = rplay();
    if second.rc != 0
        || second.stdout.contains("Gathering Facts")
        || !second.stdout.contains("os=FromCache")
    {
        return Err(format!(
            "second run must use the cache, not gather\n{}",
            show(&second)
        )
        .into());
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
