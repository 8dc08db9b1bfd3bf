//! Secrets end to end on lab hosts: a playbook with vaulted group_vars (a whole vaulted file and
//! an inline `!vault` value) gives the same results under ansible-playbook and rplay, and a
//! playbook full of secrets (vaulted vars, `no_log` tasks, a become password from a vaulted
//! `-e @file`, failing `no_log` tasks) run with `-vvvv`, `--output json`, `--events` and `--check --diff` leaves no
//! plaintext in any output stream, event file, controller or host temp directory, home directory,
//! or in the arguments and environment of any process seen on the host or controller during the run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use libtest_mimic::{Failed, Trial};

use crate::fixture::{self, Lab};

type TestResult = Result<(), Failed>;

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "secrets::vaulted_playbook_matches_ansible",
            vaulted_playbook_matches_ansible,
        ),
        Trial::test(
            "secrets::no_secret_leaks_anywhere",
            no_secret_leaks_anywhere,
        ),
    ]
}

/// The secrets of one test project (each trial has its own, so trials running at the same time
/// cannot see each other's).
struct Secrets {
    /// Vault password (the file `vpw` in the project).
    vault: &'static str,
    /// Secret in the whole-file vaulted group_vars.
    db: &'static str,
    /// Secret in an inline `!vault` value.
    token: &'static str,
    /// Become password kept in the vaulted group_vars.
    become_password: &'static str,
}

const DIFF_SECRETS: Secrets = Secrets {
    vault: "secrets-it-diff-vault-pw",
    db: "Diff-It-Db-Pw-17q",
    token: "Diff-It-Api-Token-66w",
    become_password: "Diff-It-Become-Pw-03t",
};

const LEAK_SECRETS: Secrets = Secrets {
    vault: "secrets-it-leak-vault-pw",
    db: "Leak-It-Db-Pw-41z",
    token: "Leak-It-Api-Token-58m",
    become_password: fixture::OPS_PASSWORD,
};

/// A scratch project directory on the controller, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Result<Scratch, Failed> {
        let dir =
            std::env::temp_dir().join(format!("rplay-it-secrets-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("group_vars/lab"))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    fn write(&self, rel: &str, text: &str) -> Result<(), Failed> {
        let p = self.path(rel);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()).into())
    }

    /// Runs rvault in the project directory; fails unless it exits 0; returns stdout.
    fn rvault(&self, args: &[&str]) -> Result<String, Failed> {
        let out = fixture::run_with_input(
            Command::new(fixture::bin("rvault"))
                .args(args)
                .current_dir(&self.0),
            None,
        );
        if out.rc != 0 {
            return Err(format!("rvault {args:?} exited {}: {}", out.rc, out.stderr).into());
        }
        Ok(out.stdout)
    }

    /// Runs rplay against `lab` in the project directory.
    fn rplay(&self, lab: &Lab, args: &[&str]) -> fixture::Output {
        fixture::run_with_input(
            Command::new(fixture::bin("rplay"))
                .arg("-i")
                .arg(&lab.inventory)
                .args(args)
                .current_dir(&self.0)
                .env("ANSIBLE_NOCOLOR", "1"),
            None,
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the vault project: `group_vars/lab/vault.yml` encrypted whole (db password and the
/// `ops` become password), `group_vars/lab/main.yml` with an inline `!vault` token and values
/// derived from both, and the password file `vpw`.
fn vault_project(s: &Scratch, k: &Secrets) -> Result<(), Failed> {
    s.write("vpw", &format!("{}\n", k.vault))?;
    s.write(
        "group_vars/lab/vault.yml",
        &format!(
            "vault_db_password: {}\nvault_become_password: {}\n",
            k.db, k.become_password
        ),
    )?;
    s.rvault(&[
        "encrypt",
        "--vault-password-file",
        "vpw",
        "group_vars/lab/vault.yml",
    ])?;
    let token = s.rvault(&[
        "encrypt_string",
        "--vault-password-file",
        "vpw",
        "--name",
        "api_token",
        k.token,
    ])?;
    s.write(
        "group_vars/lab/main.yml",
        &format!("db_password: \"{{{{ vault_db_password }}}}\"\n{token}\nplain_setting: visible\n"),
    )?;
    let vault_text = std::fs::read_to_string(s.path("group_vars/lab/vault.yml"))
        .map_err(|e| format!("vault.yml: {e}"))?;
    check(
        vault_text.starts_with("$ANSIBLE_VAULT;1.1;AES256") && !vault_text.contains(k.db),
        || format!("rvault left vault.yml unencrypted: {vault_text}"),
    )
}

fn check(ok: bool, why: impl FnOnce() -> String) -> TestResult {
    if ok {
        Ok(())
    } else {
        Err(why().into())
    }
}

/// Files the differential playbook writes on each host.
const DIFF_FILES: [&str; 3] = [
    "/opt/secrets-it/derived.txt",
    "/opt/secrets-it/hash.txt",
    "/opt/secrets-it/facts.txt",
];

const DIFF_PLAYBOOK: &str = r#"- hosts: lab
  gather_facts: false
  tasks:
    - name: derived values
      debug:
        msg: "len={{ db_password | length }} head={{ api_token[:6] }} tail={{ db_password[-3:] }} plain={{ plain_setting }}"
    - name: a hash of both secrets
      debug:
        msg: "{{ (db_password ~ api_token) | hash('sha1') }}"
    - name: directory for the written values
      file:
        path: /opt/secrets-it
        state: directory
        mode: "0700"
    - name: write the secrets themselves
      copy:
        dest: /opt/secrets-it/derived.txt
        content: "db={{ db_password }}\ntoken={{ api_token }}\n"
        mode: "0600"
      no_log: true
    - name: write a value derived from them
      copy:
        dest: /opt/secrets-it/hash.txt
        content: "{{ (db_password ~ api_token) | hash('sha1') }}\n"
        mode: "0644"
    - name: facts from secrets
      set_fact:
        joined: "{{ [db_password[:3], api_token[-3:]] | join('+') }}"
        token_upper: "{{ api_token | upper }}"
      no_log: true
    - name: write the facts
      copy:
        dest: /opt/secrets-it/facts.txt
        content: "{{ joined }} {{ token_upper | length }}\n"
    - name: show a fact
      debug:
        var: joined
"#;

/// Lines of a run's output that carry results: debug values, per-host status lines and the
/// recap, sorted within each task (hosts finish in any order).
fn result_lines(stdout: &str) -> Vec<String> {
    let mut sections: Vec<Vec<String>> = vec![Vec::new()];
    for line in raw_result_lines(stdout) {
        if line.starts_with("TASK [") || line.starts_with("PLAY RECAP") {
            sections.push(Vec::new());
        }
        if let Some(last) = sections.last_mut() {
            last.push(line);
        }
    }
    sections
        .into_iter()
        .flat_map(|mut s| {
            s.sort();
            s
        })
        .collect()
}

fn raw_result_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            t.starts_with("\"msg\"")
                || t.starts_with("\"joined\"")
                || t.starts_with("ok:")
                || t.starts_with("changed:")
                || t.starts_with("fatal:")
                || t.starts_with("TASK [")
                || t.starts_with("PLAY RECAP")
                || t.contains(" : ok=")
        })
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The written files on every host, as one text, then removes them.
fn collect_and_clean(lab: &Lab) -> Result<String, Failed> {
    let mut all = String::new();
    for host in &lab.hosts {
        let text = lab.check(
            host,
            &format!(
                "for f in {}; do echo \"== $f $(stat -c %a $f)\"; cat $f; done",
                DIFF_FILES.join(" ")
            ),
        )?;
        all.push_str(&format!("## {host}\n{text}"));
        lab.check(host, "rm -rf /opt/secrets-it")?;
    }
    Ok(all)
}

fn vaulted_playbook_matches_ansible() -> TestResult {
    let lab = fixture::pylab()?;
    let s = Scratch::new("diff")?;
    let k = DIFF_SECRETS;
    vault_project(&s, &k)?;
    s.write("site.yml", DIFF_PLAYBOOK)?;
    for host in &lab.hosts {
        lab.check(host, "rm -rf /opt/secrets-it")?;
    }
    let args = ["--vault-password-file", "vpw", "site.yml"];
    let theirs = fixture::oracle(lab, "ansible-playbook", &args, &s.0)?;
    let their_files = collect_and_clean(lab)?;
    let ours = s.rplay(lab, &args);
    let our_files = collect_and_clean(lab)?;
    check(theirs.rc == 0, || {
        format!(
            "ansible-playbook failed: {}\n{}",
            theirs.stdout, theirs.stderr
        )
    })?;
    check(ours.rc == theirs.rc, || {
        format!(
            "exit codes: ansible {} rplay {}\n{}\n{}",
            theirs.rc, ours.rc, ours.stdout, ours.stderr
        )
    })?;
    let (a, b) = (result_lines(&theirs.stdout), result_lines(&ours.stdout));
    check(a == b, || {
        format!(
            "results differ\n--- ansible\n{}\n--- rplay\n{}",
            a.join("\n"),
            b.join("\n")
        )
    })?;
    check(
        their_files == our_files && our_files.contains(&format!("db={}", k.db)),
        || format!("files differ\n--- ansible\n{their_files}\n--- rplay\n{our_files}"),
    )?;
    for secret in [k.db, k.token] {
        for (who, out) in [("ansible", &theirs), ("rplay", &ours)] {
            check(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                || format!("{secret} in {who}'s output:\n{}{}", out.stdout, out.stderr),
            )?;
        }
    }
    Ok(())
}

/// The leak playbook: every kind of secret handling Ansible users rely on `no_log` and vault for.
const LEAK_PLAYBOOK: &str = r#"- hosts: lab
  gather_facts: false
  tasks:
    - name: directory for deliberately written secrets
      file:
        path: /opt/secrets-it
        state: directory
        mode: "0700"
    - name: copy a secret, hidden
      copy:
        dest: /opt/secrets-it/db.txt
        content: "{{ db_password }}"
        mode: "0600"
      no_log: true
    - name: command whose argument and result hold a secret, hidden
      command: echo {{ api_token }}
      register: echoed
      no_log: true
    - name: secret through the environment and stdin, hidden
      shell: test "$S" = "$(cat)"
      args:
        stdin: "{{ db_password }}"
      environment:
        S: "{{ db_password }}"
      no_log: true
    - name: become as ops with the vaulted become password
      command: id -un
      become: true
      become_user: root
      vars:
        ansible_user: ops
      register: who
    - name: show who
      debug:
        var: who.stdout
    - name: set a fact from a secret, hidden
      set_fact:
        hidden_fact: "{{ api_token }}-x"
      no_log: true
    - name: templated file with a secret, hidden
      copy:
        dest: /opt/secrets-it/conf.ini
        content: "[db]\npassword = {{ db_password }}\ntoken = {{ hidden_fact }}\nrun = {{ run }}\n"
        mode: "0600"
      no_log: true
    - name: failing task with a secret, hidden
      command: /bin/false {{ db_password }}
      no_log: true
      ignore_errors: true
    - name: failing assert on a secret, hidden
      assert:
        that: db_password == 'not-it'
        fail_msg: "wrong password {{ db_password }}"
      no_log: true
      ignore_errors: true
    - name: hidden debug of a secret
      debug:
        msg: "{{ api_token }}"
      no_log: true
"#;

const HIDDEN: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// Host paths where nothing may hold a plaintext after a run.
const HOST_SCAN: &str = "/tmp /var/tmp /root /home /var/log";

/// Samples the argument lists and environments of all processes on one host until told to
/// stop; returns the unique lines seen.
fn sample_host_processes(lab: &Lab, host: &str, stop_file: &str) -> fixture::Output {
    let script = format!(
        "i=0; while [ ! -e {stop_file} ] && [ $i -lt 3000 ]; do i=$((i+1)); \
         for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; \
         tr '\\0' '\\n' < $p/environ 2>/dev/null; done; done | sort -u"
    );
    lab.ssh_as("root", host, &script, None)
}

/// Reads the arguments and environments of the controller's processes working in `cwd` (rplay
/// and its children), once.
fn controller_processes(cwd: &Path) -> String {
    let mut seen = String::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return seen;
    };
    for entry in dir.flatten() {
        let p = entry.path();
        match std::fs::read_link(p.join("cwd")) {
            Ok(dir) if dir.starts_with(cwd) => {}
            _ => continue,
        }
        for f in ["cmdline", "environ"] {
            if let Ok(bytes) = std::fs::read(p.join(f)) {
                seen.push_str(&String::from_utf8_lossy(&bytes).replace('\0', " "));
                seen.push('\n');
            }
        }
    }
    seen
}

/// Files on the controller under `roots` changed since `since`, outside `skip`, holding `needle`.
fn controller_files_with(
    roots: &[PathBuf],
    skip: &Path,
    since: std::time::SystemTime,
    needle: &str,
) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack: Vec<(PathBuf, usize)> = roots.iter().map(|r| (r.clone(), 0)).collect();
    while let Some((dir, depth)) = stack.pop() {
        if dir.starts_with(skip) || depth > 6 {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push((path, depth + 1));
            } else if meta.is_file()
                && meta.len() < 8 << 20
                && meta.modified().map(|m| m >= since).unwrap_or(false)
            {
                if let Ok(bytes) = std::fs::read(&path) {
                    if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                        found.push(path);
                    }
                }
            }
        }
    }
    found
}

fn no_secret_leaks_anywhere() -> TestResult {
    // A lab of its own: no other trial's processes or files on its host.
    let lab = &fixture::start_lab(&format!("sec-{}", fixture::lab_tag()), 1, &[])?;
    let s = Scratch::new("leak")?;
    let k = LEAK_SECRETS;
    vault_project(&s, &k)?;
    s.write("site.yml", LEAK_PLAYBOOK)?;
    // The become password reaches rplay as a whole-file vaulted `-e @file`.
    s.write(
        "become.yml",
        &format!("ansible_become_password: {}\n", fixture::OPS_PASSWORD),
    )?;
    s.rvault(&["encrypt", "--vault-password-file", "vpw", "become.yml"])?;
    s.write("ansible.cfg", "[defaults]\nlog_path = ./run.log\n")?;
    let secrets = [k.db, k.token, fixture::OPS_PASSWORD, k.vault];
    let since = std::time::SystemTime::now() - std::time::Duration::from_secs(2);
    let stop_file = "/run/secrets-it-stop";
    for host in &lab.hosts {
        lab.check(host, &format!("rm -rf /opt/secrets-it {stop_file}"))?;
    }
    // Process samplers: one per host, and one on the controller, for the whole set of runs.
    let samplers: Vec<_> = lab
        .hosts
        .iter()
        .map(|h| {
            let (lab, h, stop) = (lab.clone(), h.clone(), stop_file.to_string());
            std::thread::spawn(move || sample_host_processes(&lab, &h, &stop))
        })
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let local_sampler = {
        let done = done.clone();
        let cwd = s.0.clone();
        std::thread::spawn(move || {
            let mut seen = String::new();
            while !done.load(Ordering::Relaxed) {
                let snap = controller_processes(&cwd);
                for line in snap.lines() {
                    if secrets.iter().any(|s| line.contains(s)) {
                        seen.push_str(line);
                        seen.push('\n');
                    }
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            seen
        })
    };
    let modes: [&[&str]; 4] = [
        &["-vvvv"],
        &["--output", "json", "-vvvv"],
        &["--check", "--diff", "-vvvv"],
        &["--diff"],
    ];
    let mut outputs = Vec::new();
    for (i, mode) in modes.iter().enumerate() {
        let events = format!("events-{i}.jsonl");
        // A new `run` each time, so `--diff` has a change (with secrets around it) to hide.
        let run = format!("run={i}");
        let mut args: Vec<&str> = vec![
            "--vault-password-file",
            "vpw",
            "--events",
            &events,
            "-e",
            &run,
            "-e",
            "@become.yml",
        ];
        args.extend_from_slice(mode);
        args.push("site.yml");
        let out = s.rplay(lab, &args);
        let events_text = std::fs::read_to_string(s.path(&events)).unwrap_or_default();
        outputs.push((format!("{mode:?}"), out, events_text));
    }
    for host in &lab.hosts {
        lab.check(host, &format!("touch {stop_file}"))?;
    }
    done.store(true, Ordering::Relaxed);
    let host_procs: Vec<fixture::Output> = samplers
        .into_iter()
        .map(|t| {
            t.join().unwrap_or_else(|_| fixture::Output {
                rc: -1,
                stdout: String::new(),
                stderr: "sampler thread panicked".into(),
            })
        })
        .collect();
    let local_procs = local_sampler.join().unwrap_or_default();

    // The runs did what they should: every hidden result reads like Ansible's.
    for (mode, out, events) in &outputs {
        check(out.rc == 0, || {
            format!(
                "rplay {mode} exited {}\n{}\n{}",
                out.rc, out.stdout, out.stderr
            )
        })?;
        check(
            out.stdout.contains(HIDDEN) && events.contains(HIDDEN),
            || format!("rplay {mode}: no no_log notice\n{}", out.stdout),
        )?;
        check(events.lines().count() > 5, || {
            format!("rplay {mode}: event file nearly empty: {events}")
        })?;
    }
    check(
        outputs[0].1.stdout.contains("\"who.stdout\": \"root\""),
        || format!("become as ops did not reach root:\n{}", outputs[0].1.stdout),
    )?;
    check(outputs[0].1.stdout.contains("...ignoring"), || {
        format!(
            "the failing no_log task did not fail:\n{}",
            outputs[0].1.stdout
        )
    })?;
    // The deliberately written files hold the secret, so the search below can find one.
    let written = lab.check(&lab.hosts[0], "cat /opt/secrets-it/db.txt")?;
    check(written == k.db, || format!("db.txt holds {written:?}"))?;

    let log = std::fs::read_to_string(s.path("run.log")).unwrap_or_default();
    check(log.contains(HIDDEN) && log.contains("PLAY RECAP"), || {
        format!("the log_path file does not record the runs:\n{log}")
    })?;
    let controller_roots = [
        std::env::temp_dir(),
        PathBuf::from("/var/tmp"),
        PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".ansible"),
    ];
    for secret in secrets {
        for (mode, out, events) in &outputs {
            check(!out.stdout.contains(secret), || {
                format!("{secret} in stdout of rplay {mode}:\n{}", out.stdout)
            })?;
            check(!out.stderr.contains(secret), || {
                format!("{secret} in stderr of rplay {mode}:\n{}", out.stderr)
            })?;
            check(!events.contains(secret), || {
                format!("{secret} in the event file of rplay {mode}:\n{events}")
            })?;
        }
        check(!log.contains(secret), || {
            format!("{secret} in log_path file:\n{log}")
        })?;
        check(!local_procs.contains(secret), || {
            format!("{secret} in a controller process's arguments or environment:\n{local_procs}")
        })?;
        // The scratch project holds the vault password file by design: skip it.
        let files = controller_files_with(&controller_roots, &s.0, since, secret);
        check(files.is_empty(), || {
            format!("{secret} left in controller files: {files:?}")
        })?;
        for (host, procs) in lab.hosts.iter().zip(&host_procs) {
            check(procs.rc == 0 && !procs.stdout.is_empty(), || {
                format!("process sampler on {host} failed: {}", procs.stderr)
            })?;
            // The task's `environment: S: <secret>` puts exactly `S=<secret>` in the environment
            // of the task's own command (as under Ansible); anywhere else (an argument list,
            // another variable, a wrapper's command line) it is a leak.
            let wanted = format!("S={secret}");
            let lines: Vec<&str> = procs
                .stdout
                .lines()
                .filter(|l| l.contains(secret) && *l != wanted)
                .collect();
            check(lines.is_empty(), || {
                format!("{secret} in a process on {host}: {lines:?}")
            })?;
        }
    }
    for host in &lab.hosts {
        // Secrets go to grep on stdin, one per line, so they never show in its arguments.
        let found = lab.ssh_as(
            "root",
            host,
            &format!("grep -rlsF -f /dev/stdin {HOST_SCAN}; true"),
            Some(&format!("{}\n", secrets.join("\n"))),
        );
        check(found.rc == 0 && found.stdout.trim().is_empty(), || {
            format!("plaintext left on {host}: {}{}", found.stdout, found.stderr)
        })?;
        lab.check(host, &format!("rm -rf /opt/secrets-it {stop_file}"))?;
    }
    Ok(())
}
