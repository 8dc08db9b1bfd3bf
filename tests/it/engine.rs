//! Engine integration tests. Differential cases: every playbook in `tests/engine-cases/` (and the
//! listed semantics-lab files) is run by the pinned `ansible-playbook` and by `rplay` on the same
//! local-connection inventory with `-f 1`; stdout (timings masked) and the exit code must be equal.
//! A case's first lines may hold `# args: ...` (extra command-line arguments, split on spaces) and
//! `# stdin: ...` (lines piped to both tools' standard input; otherwise it is empty).
//! Lab cases run the example project on real hosts and check that a second run changes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Failed, Trial};

use super::fixture;

/// Every engine trial.
pub fn trials() -> Vec<Trial> {
    let mut out = Vec::new();
    let dir = cases_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yml"));
    files.sort();
    for path in files {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let inv = dir.join("inv.ini");
        out.push(Trial::test(
            format!("engine::differential::{stem}"),
            move || differential(&path, &inv),
        ));
    }
    // The guide's semantics lab sits in `shared/` beside the repository (as in CI's clone);
    // `RPLAY_SEMANTICS_LAB` names it elsewhere (a worktree outside that layout).
    let lab_dir = match std::env::var_os("RPLAY_SEMANTICS_LAB") {
        Some(lab) => PathBuf::from(lab).join("h"),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/guide/semantics-lab/h"
        )),
    };
    // Ansible prints the playbook's path normalized (`..` folded away).
    let lab_dir = std::fs::canonicalize(&lab_dir).unwrap_or(lab_dir);
    if let Some(lab) = lab_dir.parent() {
        out.extend(super::semantics_lab::trials(lab.to_path_buf()));
    }
    for name in SEMANTICS_LAB.iter().chain(SEMANTICS_LAB_KNOWN_DIFF) {
        let path = lab_dir.join(name);
        let inv = lab_dir.join("inv.ini");
        let known = SEMANTICS_LAB_KNOWN_DIFF.contains(name);
        out.push(
            Trial::test(
                format!("engine::semantics_lab::{}", name.trim_end_matches(".yml")),
                move || differential(&path, &inv),
            )
            .with_ignored_flag(known),
        );
    }
    out.push(Trial::test("engine::log_path", log_path_matches));
    out.push(Trial::test(
        "engine::vars_prompt_encrypt",
        vars_prompt_encrypt,
    ));
    out.push(Trial::test("engine::lab::site_converges", site_converges));
    out.push(Trial::test(
        "engine::lab::async_job_outlives_its_task",
        async_job_outlives_its_task,
    ));
    out.push(Trial::test(
        "engine::lab::strategy_free_fast_host_runs_ahead",
        strategy_free_fast_host_runs_ahead,
    ));
    out
}

/// semantics-lab playbooks that still differ (run them with `--ignored`): none at present.
const SEMANTICS_LAB_KNOWN_DIFF: &[&str] = &[];

/// semantics-lab playbooks compared as they are.
const SEMANTICS_LAB: &[&str] = &[
    "handlers.yml",
    "block.yml",
    "tags.yml",
    "serial.yml",
    "mfp.yml",
    "aef.yml",
    "persist.yml",
    "regloop.yml",
    "incwhen.yml",
    "h2.yml",
    "h3.yml",
    "nomatch.yml",
    "loopout.yml",
    "types219.yml",
    "dv.yml",
    "when219.yml",
    "lazy.yml",
    "undef.yml",
    "misc219.yml",
    "types.yml",
    "types2.yml",
    "tpl.yml",
    "names.yml",
];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/engine-cases")
}

/// Extra arguments from `# args:` header lines.
fn case_args(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# args:"))
        .flat_map(|a| a.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// Standard input from `# stdin:` header lines (one line each), if any.
fn case_stdin(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<String> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# stdin:"))
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    (!lines.is_empty()).then(|| lines.concat())
}

/// Masks what legitimately differs between two runs (timestamps, durations, background job ids
/// and the process ids of killed jobs).
pub fn normalize(text: &str) -> String {
    let re = regex::Regex::new(r#""(delta|start|end)": "[^"]*""#).expect("static regex");
    let jid = regex::Regex::new(r"\bj[0-9]{1,12}\.[0-9]+\b").expect("static regex");
    let pid = regex::Regex::new(r#""child_pid": [0-9]+"#).expect("static regex");
    let mut out = String::new();
    for line in text.lines() {
        let line = re.replace_all(line, "\"$1\": \"X\"");
        let line = jid.replace_all(&line, "jJOB");
        out.push_str(&pid.replace_all(&line, "\"child_pid\": PID"));
        out.push('\n');
    }
    out
}

fn run(cmd: &mut Command) -> Result<(i32, String, String), Failed> {
    run_with_stdin(cmd, None)
}

fn run_with_stdin(cmd: &mut Command, stdin: Option<&str>) -> Result<(i32, String, String), Failed> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
        .env("ANSIBLE_HOST_KEY_CHECKING", "0")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failed::from(format!("cannot run {cmd:?}: {e}")))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // The tool may exit without reading: a broken pipe is not an error of the test.
        let _ = pipe.write_all(text.as_bytes());
    }
    let o = child
        .wait_with_output()
        .map_err(|e| Failed::from(format!("cannot wait for {cmd:?}: {e}")))?;
    Ok((
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    ))
}

fn unified(a: &str, b: &str) -> String {
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(3)
        .header("ansible-playbook", "rplay")
        .to_string()
}

fn differential(path: &Path, inv: &Path) -> Result<(), Failed> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let stdin = case_stdin(path);
    differential_run(
        dir,
        path,
        inv.as_os_str(),
        &case_args(path),
        stdin.as_deref(),
        &|| Ok(()),
    )
}

/// Runs `playbook` from `dir` with `-i inv -f 1 args` under both tools (feeding `stdin` when
/// given), calling `before_each` before each run; stdout (timings masked) and exit codes must
/// be equal.
pub fn differential_run(
    dir: &Path,
    path: &Path,
    inv: &std::ffi::OsStr,
    args: &[String],
    stdin: Option<&str>,
    before_each: &dyn Fn() -> Result<(), Failed>,
) -> Result<(), Failed> {
    let invoke = |program: &Path| {
        before_each()?;
        run_with_stdin(
            Command::new(program)
                .current_dir(dir)
                .arg("-i")
                .arg(inv)
                .arg("-f")
                .arg("1")
                .args(args)
                .arg(path),
            stdin,
        )
    };
    let (arc, aout, aerr) = invoke(&fixture::oracle_bin("ansible-playbook")?)?;
    let (rrc, rout, rerr) = invoke(&fixture::bin("rplay"))?;
    let (a, r) = (normalize(&aout), normalize(&rout));
    // Ansible's free strategy interleaves hosts as its workers happen to finish.
    let free = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("strategy_free"));
    let same = a == r || (free && same_free_output(&a, &r));
    if !same || arc != rrc {
        return Err(format!(
            "{}: exit codes ansible={arc} rplay={rrc}\n{}\n--- ansible stderr:\n{aerr}\n--- rplay stderr:\n{rerr}",
            path.display(),
            unified(&a, &r)
        )
        .into());
    }
    Ok(())
}

/// Output of a `strategy: free` play, in the parts that do not depend on timing: each host's
/// results in order, the set of task banners, every other block (warnings, errors) as a
/// multiset, and the recap. Where the hosts' lines interleave, and so how often a banner
/// repeats, is Ansible's worker timing.
fn same_free_output(a: &str, b: &str) -> bool {
    #[derive(Default, PartialEq, Debug)]
    struct Shape {
        hosts: std::collections::BTreeMap<String, Vec<String>>,
        banners: std::collections::BTreeSet<String>,
        others: Vec<String>,
        recap: String,
    }
    let host_re = regex::Regex::new(r"^[a-z]+: \[([^\]]+)\]").expect("static regex");
    let shape = |text: &str| {
        let (body, recap) = text.split_once("PLAY RECAP").unwrap_or((text, ""));
        let mut out = Shape {
            recap: recap.to_string(),
            ..Shape::default()
        };
        // Blocks: a line that is not indented, a brace or `...ignoring` starts one.
        let mut blocks: Vec<String> = Vec::new();
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            let continues = line.starts_with(' ')
                || line.starts_with('}')
                || line.starts_with(']')
                || line.starts_with("...ignoring");
            match blocks.last_mut() {
                Some(b) if continues => {
                    b.push('\n');
                    b.push_str(line);
                }
                _ => blocks.push(line.to_string()),
            }
        }
        for b in blocks {
            if b.starts_with("TASK [")
                || b.starts_with("RUNNING HANDLER [")
                || b.starts_with("PLAY [")
            {
                out.banners.insert(b);
            } else if let Some(c) = host_re.captures(&b) {
                let host = c[1].split(" -> ").next().unwrap_or_default().to_string();
                out.hosts.entry(host).or_default().push(b);
            } else {
                out.others.push(b);
            }
        }
        out.others.sort();
        out
    };
    shape(a) == shape(b)
}

/// `ANSIBLE_LOG_PATH`: both tools write the same records to their log files (time stamps and
/// process ids masked), and no `no_log` value reaches the file.
fn log_path_matches() -> Result<(), Failed> {
    let oracle = fixture::oracle_bin("ansible-playbook")?;
    let dir = cases_dir();
    let scratch = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let mut logs = Vec::new();
    let stamp = regex::Regex::new(r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} p=\d+ ")
        .expect("static regex");
    for (tool, bin) in [("ansible", oracle), ("rplay", fixture::bin("rplay"))] {
        let log = scratch.path().join(format!("{tool}.log"));
        let (rc, out, err) = run(Command::new(&bin)
            .current_dir(&dir)
            .env("ANSIBLE_LOG_PATH", &log)
            .args(["-i", "inv.ini", "-f", "1", "log_path.yml"]))?;
        if rc != 2 {
            return Err(format!("{tool} exited {rc}:\n{out}\n{err}").into());
        }
        let text = std::fs::read_to_string(&log)
            .map_err(|e| Failed::from(format!("{tool} wrote no log file: {e}")))?;
        logs.push(normalize(&stamp.replace_all(&text, "TIME p=PID ")));
    }
    if logs[0] != logs[1] {
        return Err(unified(&logs[0], &logs[1]).into());
    }
    if logs[1].contains("a-hidden-value") || !logs[1].contains("PLAY RECAP") {
        return Err(format!("unexpected log:\n{}", logs[1]).into());
    }
    Ok(())
}

/// `vars_prompt` with `encrypt`: the answer is stored hashed as passlib's sha512_crypt writes it.
/// Not differential: the pinned ansible-core has no passlib and fails with "passlib must be
/// installed"; the expected hash is crypt(3)'s for the same password, salt and rounds.
fn vars_prompt_encrypt() -> Result<(), Failed> {
    let scratch = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let book = scratch.path().join("enc.yml");
    std::fs::write(
        &book,
        "- hosts: w1\n  gather_facts: false\n  vars_prompt:\n    - name: a\n      default: pw\n      encrypt: sha512_crypt\n      salt: abcdefgh\n  tasks:\n    - debug: var=a\n",
    )
    .map_err(|e| Failed::from(e.to_string()))?;
    let (rc, out, err) = run(Command::new(fixture::bin("rplay"))
        .arg("-i")
        .arg(cases_dir().join("inv.ini"))
        .arg(&book))?;
    let want = "$6$rounds=656000$abcdefgh$pLncf7ljI4rnlGRtlaRLIaBXT8hoDhe5j.p3YfqrEPrlrDTn7qRk9ssGh4MFgYzW30TNcYrpyeSWhww63/Kel0";
    if rc != 0 || !out.contains(want) {
        return Err(format!("rc {rc}, want {want}:\n{out}\n{err}").into());
    }
    Ok(())
}

/// The example project converges on lab hosts: the first run succeeds and a second run reports
/// changed=0 on every host.
fn site_converges() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let site = root.join("playbooks/site.yml");
    let mut first = Command::new(fixture::bin("rplay"));
    first.arg("-i").arg(&lab.inventory).arg(&site);
    let (rc, out, err) = run(&mut first)?;
    if rc != 0 {
        return Err(format!("first run failed (rc {rc}):\n{out}\n{err}").into());
    }
    let mut second = Command::new(fixture::bin("rplay"));
    second.arg("-i").arg(&lab.inventory).arg(&site);
    let (rc, out, err) = run(&mut second)?;
    if rc != 0 {
        return Err(format!("second run failed (rc {rc}):\n{out}\n{err}").into());
    }
    let recap: Vec<&str> = out.lines().filter(|l| l.contains(" : ok=")).collect();
    if recap.len() != lab.hosts.len() || recap.iter().any(|l| !l.contains("changed=0 ")) {
        return Err(format!("second run changed something:\n{out}").into());
    }
    for h in &lab.hosts {
        let page = lab.check(
            h,
            "bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080; printf \"GET / HTTP/1.0\\r\\n\\r\\n\" >&3; cat <&3'",
        )?;
        if !page.contains("rplay example") {
            return Err(format!("{h}: nginx does not serve the site: {page}").into());
        }
    }
    Ok(())
}

/// `async` + `poll: 0` on a real host (no python), with become: the job keeps running after the
/// task and the whole rplay run have ended (the connection is gone), and a later run collects its
/// result with `async_status`, then cleans it up.
fn async_job_outlives_its_task() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    let host = lab.hosts[0].clone();
    let scratch = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let start = scratch.path().join("start.yml");
    let collect = scratch.path().join("collect.yml");
    let write = |p: &Path, text: &str| {
        std::fs::write(p, text).map_err(|e| Failed::from(format!("{}: {e}", p.display())))
    };
    write(
        &start,
        &format!(
            "- hosts: {host}\n  gather_facts: false\n  tasks:\n\
             \x20   - file: path=/tmp/rplay_async_proof state=absent\n\
             \x20   - shell: sleep 6; id -un > /tmp/rplay_async_proof; echo \"ran as $(id -un)\"\n\
             \x20     become: true\n\
             \x20     become_user: deploy\n\
             \x20     async: 60\n\
             \x20     poll: 0\n\
             \x20     register: job\n\
             \x20   - debug: msg=\"JID={{{{ job.ansible_job_id }}}} FILE={{{{ job.results_file }}}}\"\n"
        ),
    )?;
    write(
        &collect,
        &format!(
            "- hosts: {host}\n  gather_facts: false\n  become: true\n  become_user: deploy\n  tasks:\n\
             \x20   - async_status: jid={{{{ jid }}}}\n\
             \x20     register: st\n\
             \x20   - debug: msg=\"OUT={{{{ st.stdout }}}} RC={{{{ st.rc }}}} FINISHED={{{{ st.finished }}}}\"\n\
             \x20   - async_status: jid={{{{ jid }}}} mode=cleanup\n"
        ),
    )?;
    let began = std::time::Instant::now();
    let (rc, out, err) = run(Command::new(fixture::bin("rplay"))
        .arg("-i")
        .arg(&lab.inventory)
        .arg(&start))?;
    if rc != 0 || began.elapsed() > std::time::Duration::from_secs(5) {
        return Err(format!(
            "starting the job failed or waited for it (rc {rc}, {:?}):\n{out}\n{err}",
            began.elapsed()
        )
        .into());
    }
    let grab = |key: &str| {
        out.split_whitespace()
            .find_map(|w| w.trim_matches('"').strip_prefix(key).map(str::to_string))
            .ok_or_else(|| Failed::from(format!("no {key} in the output:\n{out}")))
    };
    let (jid, file) = (grab("JID=")?, grab("FILE=")?);
    if file != format!("/home/deploy/.ansible_async/{jid}") {
        return Err(format!("results file {file} is not in deploy's home").into());
    }
    // rplay has exited: the job runs on, detached, as deploy.
    let running = lab.check(
        &host,
        &format!("cat {file}; echo; ps -o user= -o args= -u deploy"),
    )?;
    if !running.contains("\"finished\": false") || !running.contains("sleep 6") {
        return Err(format!("the job is not running after rplay ended:\n{running}").into());
    }
    if lab.ssh(&host, "test -e /tmp/rplay_async_proof").0 == 0 {
        return Err("the job's work was done before the task returned".into());
    }
    std::thread::sleep(std::time::Duration::from_secs(8));
    let proof = lab.check(&host, "cat /tmp/rplay_async_proof")?;
    if proof.trim() != "deploy" {
        return Err(format!("the job did not run as deploy: {proof:?}").into());
    }
    let (rc, out, err) = run(Command::new(fixture::bin("rplay"))
        .arg("-i")
        .arg(&lab.inventory)
        .arg("-e")
        .arg(format!("jid={jid}"))
        .arg(&collect))?;
    if rc != 0 || !out.contains("OUT=ran as deploy RC=0 FINISHED=True") {
        return Err(format!("collecting the result failed (rc {rc}):\n{out}\n{err}").into());
    }
    if lab.ssh(&host, &format!("test -e {file}")).0 == 0 {
        return Err(format!("cleanup left {file}").into());
    }
    lab.check(&host, "rm -f /tmp/rplay_async_proof")?;
    Ok(())
}

/// `strategy: free` on real hosts: while the slow host is busy with its first task (a sleep), the
/// fast host works through all of its tasks, so its last marker file is written before the slow
/// host's first task ends. The same play with `strategy: linear` is the control: there the fast
/// host waits at every task, so its marker comes after.
fn strategy_free_fast_host_runs_ahead() -> Result<(), Failed> {
    let lab = fixture::lab()?;
    if lab.hosts.len() < 2 {
        return Err(format!("the lab has {} host(s), this needs 2", lab.hosts.len()).into());
    }
    let (slow, fast) = (lab.hosts[0].clone(), lab.hosts[1].clone());
    let scratch = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    // Marker files hold nanosecond clock readings; the lab's hosts share the machine's clock.
    let order = |strategy: &str| -> Result<(u128, u128), Failed> {
        let book = scratch.path().join(format!("{strategy}.yml"));
        std::fs::write(
            &book,
            format!(
                "- hosts: {slow},{fast}\n  gather_facts: false\n  strategy: {strategy}\n  tasks:\n\
                 \x20   - shell: rm -f /tmp/rplay_free_*\n\
                 \x20   - shell: sleep 4; date +%s%N > /tmp/rplay_free_slow\n\
                 \x20     when: inventory_hostname == '{slow}'\n\
                 \x20   - shell: date +%s%N > /tmp/rplay_free_fast1\n\
                 \x20     when: inventory_hostname == '{fast}'\n\
                 \x20   - shell: date +%s%N > /tmp/rplay_free_fast2\n\
                 \x20     when: inventory_hostname == '{fast}'\n"
            ),
        )
        .map_err(|e| Failed::from(e.to_string()))?;
        let (rc, out, err) = run(Command::new(fixture::bin("rplay"))
            .arg("-i")
            .arg(&lab.inventory)
            .args(["-f", "5"])
            .arg(&book))?;
        if rc != 0 {
            return Err(format!("{strategy}: rc {rc}:\n{out}\n{err}").into());
        }
        let read = |host: &str, file: &str| -> Result<u128, Failed> {
            let text = lab.check(host, &format!("cat /tmp/{file}"))?;
            text.trim()
                .parse()
                .map_err(|e| Failed::from(format!("{host}:/tmp/{file}: {text:?}: {e}")))
        };
        Ok((
            read(&slow, "rplay_free_slow")?,
            read(&fast, "rplay_free_fast2")?,
        ))
    };
    let (slow_done, fast_done) = order("free")?;
    if fast_done >= slow_done {
        return Err(format!(
            "free: the fast host's last task ended ({fast_done}) after the slow host's first \
             ({slow_done})"
        )
        .into());
    }
    let (slow_done, fast_done) = order("linear")?;
    if fast_done <= slow_done {
        return Err(format!(
            "linear (control): the fast host did not wait for the slow one ({fast_done} <= \
             {slow_done})"
        )
        .into());
    }
    Ok(())
}
