//! Differential tests of vault compatibility: data encrypted by ansible-vault (the pinned
//! ansible-core) opens with rvault and rplay's library, and data rvault writes opens with
//! ansible-vault; vault ids, wrong passwords, rekey, password scripts, encrypt_string layout, and
//! `edit` leaving no plaintext behind. These run on the controller only: no lab hosts needed.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Failed, Trial};

type TestResult = Result<(), Failed>;
type TestFn = fn() -> TestResult;

pub fn trials() -> Vec<Trial> {
    let tests: Vec<(&str, TestFn)> = vec![
        (
            "vault::ansible_file_opens_with_rvault_and_library",
            ansible_file_opens_with_rvault_and_library,
        ),
        (
            "vault::rvault_file_opens_with_ansible",
            rvault_file_opens_with_ansible,
        ),
        ("vault::vault_ids_both_ways", vault_ids_both_ways),
        (
            "vault::wrong_or_missing_password_is_a_clear_error",
            wrong_or_missing_password_is_a_clear_error,
        ),
        (
            "vault::rekey_changes_password_and_keeps_mode",
            rekey_changes_password_and_keeps_mode,
        ),
        (
            "vault::encrypt_string_layout_matches_ansible",
            encrypt_string_layout_matches_ansible,
        ),
        ("vault::inline_values_both_ways", inline_values_both_ways),
        (
            "vault::password_scripts_like_ansible",
            password_scripts_like_ansible,
        ),
        (
            "vault::edit_leaves_no_plaintext_on_disk",
            edit_leaves_no_plaintext_on_disk,
        ),
        (
            "vault::create_with_scripted_editor",
            create_with_scripted_editor,
        ),
        (
            "vault::env_password_file_and_output",
            env_password_file_and_output,
        ),
        (
            "vault::ask_vault_pass_without_terminal",
            ask_vault_pass_without_terminal,
        ),
        (
            "vault::playbook_with_rvault_data_runs_under_ansible",
            playbook_with_rvault_data_runs_under_ansible,
        ),
        (
            "vault::library_reads_project_vars_like_ansible",
            library_reads_project_vars_like_ansible,
        ),
        ("vault::rvault_never_leaks", rvault_never_leaks),
        ("vault::pipes_like_ansible_vault", pipes_like_ansible_vault),
    ];
    tests
        .into_iter()
        .map(|(name, f)| Trial::test(name, f))
        .collect()
}

/// The pinned ansible-vault (the oracle), from the shared fixture.
fn oracle() -> Result<PathBuf, Failed> {
    super::fixture::oracle_bin("ansible-vault").map_err(Failed::from)
}

fn rvault_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rvault"))
}

/// A scratch directory with two password files, `p1` and `p2`.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Result<Scratch, Failed> {
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let s = Scratch { dir };
        s.write("p1", "first-password\n")?;
        s.write("p2", "second-password\n")?;
        Ok(s)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn write(&self, name: &str, content: &str) -> Result<PathBuf, Failed> {
        let p = self.path(name);
        std::fs::write(&p, content).map_err(|e| format!("write {}: {e}", p.display()))?;
        Ok(p)
    }
    fn read(&self, name: &str) -> Result<String, Failed> {
        let p = self.path(name);
        std::fs::read_to_string(&p).map_err(|e| format!("read {}: {e}", p.display()).into())
    }
    /// Runs `program args` in the scratch dir with a controlled environment.
    fn run(
        &self,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&str>,
    ) -> Result<Output, Failed> {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(self.dir.path());
        for var in [
            "ANSIBLE_VAULT_PASSWORD_FILE",
            "ANSIBLE_VAULT_IDENTITY_LIST",
            "ANSIBLE_VAULT_ENCRYPT_IDENTITY",
            "EDITOR",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("ANSIBLE_CONFIG", self.path("no-ansible.cfg"))
            .env("ANSIBLE_LOCAL_TEMP", self.path("ansible-tmp"));
        cmd.envs(env.iter().copied());
        cmd.stdin(if stdin.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        });
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            pipe.write_all(text.as_bytes())
                .map_err(|e| format!("stdin: {e}"))?;
        }
        child
            .wait_with_output()
            .map_err(|e| format!("wait {}: {e}", program.display()).into())
    }
    fn ok(
        &self,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&str>,
    ) -> Result<String, Failed> {
        let out = self.run(program, args, env, stdin)?;
        if !out.status.success() {
            return Err(format!(
                "{} {args:?} failed ({}):\nstdout: {}\nstderr: {}",
                program.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

fn check(cond: bool, what: impl FnOnce() -> String) -> TestResult {
    if cond {
        Ok(())
    } else {
        Err(what().into())
    }
}

fn check_eq(actual: &str, expected: &str, what: &str) -> TestResult {
    check(actual == expected, || {
        format!("{what}:\n--- expected\n{expected}\n--- actual\n{actual}")
    })
}

const PLAIN: &str = "db_password: s3cr3t-Plaintext\nusers:\n  - alice\n  - bob\n";

fn ansible_file_opens_with_rvault_and_library() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    s.write("f.yml", PLAIN)?;
    s.ok(
        &av,
        &["encrypt", "--vault-password-file", "p1", "f.yml"],
        &[],
        None,
    )?;
    let text = s.read("f.yml")?;
    check(text.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"), || {
        format!("oracle header: {text}")
    })?;
    check_eq(
        &s.ok(
            &rv,
            &["view", "--vault-password-file", "p1", "f.yml"],
            &[],
            None,
        )?,
        PLAIN,
        "rvault view",
    )?;

    // The library, as the engine uses it for vars files.
    let mut secrets = rplay::vault::VaultSecrets::new();
    secrets.push(
        "default",
        rplay::vault::Password::new(b"first-password".to_vec()),
    );
    let vault = rplay::vault::Vault::new(secrets);
    let bytes = std::fs::read(s.path("f.yml")).map_err(|e| e.to_string())?;
    check(rplay::vault::is_vault_text(&bytes), || {
        "is_vault_text".into()
    })?;
    let plain = vault
        .decrypt_file_bytes(bytes, &s.path("f.yml"))
        .map_err(|e| e.to_string())?;
    check_eq(&String::from_utf8_lossy(&plain), PLAIN, "library decrypt")?;

    s.ok(
        &rv,
        &["decrypt", "--vault-password-file", "p1", "f.yml"],
        &[],
        None,
    )?;
    check_eq(&s.read("f.yml")?, PLAIN, "rvault decrypt in place")
}

fn rvault_file_opens_with_ansible() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    // Lengths around the 16-byte padding boundary and the 80-column wrap.
    for (i, plain) in [
        "",
        "x",
        "0123456789abcde\n",
        "0123456789abcdef",
        PLAIN,
        &"long line ".repeat(40),
    ]
    .iter()
    .enumerate()
    {
        let name = format!("f{i}.yml");
        s.write(&name, plain)?;
        s.ok(
            &rv,
            &["encrypt", "--vault-password-file", "p1", &name],
            &[],
            None,
        )?;
        let text = s.read(&name)?;
        check(
            text.starts_with("$ANSIBLE_VAULT;1.1;AES256\n") && text.ends_with('\n'),
            || format!("header: {text}"),
        )?;
        check(
            text.lines()
                .skip(1)
                .all(|l| l.len() <= 80 && l.bytes().all(|b| b.is_ascii_hexdigit())),
            || format!("body lines: {text}"),
        )?;
        check(
            {
                let body: Vec<&str> = text.lines().skip(1).collect();
                body.iter()
                    .take(body.len().saturating_sub(1))
                    .all(|l| l.len() == 80)
            },
            || format!("wrap at 80: {text}"),
        )?;
        let mode = std::fs::metadata(s.path(&name))
            .map_err(|e| e.to_string())?
            .permissions()
            .mode()
            & 0o777;
        check(mode == 0o600, || {
            format!("encrypted file mode {mode:o}, ansible-vault writes 600")
        })?;
        let shown = s.ok(
            &av,
            &[
                "decrypt",
                "--vault-password-file",
                "p1",
                "--output",
                "-",
                &name,
            ],
            &[],
            None,
        )?;
        check_eq(&shown, plain, "ansible-vault decrypt of rvault output")?;
    }
    Ok(())
}

fn vault_ids_both_ways() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    s.write("dev.yml", "env: dev\n")?;
    s.write("prod.yml", "env: prod\n")?;
    s.ok(
        &av,
        &["encrypt", "--vault-id", "dev@p1", "dev.yml"],
        &[],
        None,
    )?;
    s.ok(
        &rv,
        &["encrypt", "--vault-id", "prod@p2", "prod.yml"],
        &[],
        None,
    )?;
    check(
        s.read("dev.yml")?
            .starts_with("$ANSIBLE_VAULT;1.2;AES256;dev\n"),
        || "oracle 1.2 header".into(),
    )?;
    check(
        s.read("prod.yml")?
            .starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"),
        || "rvault 1.2 header".into(),
    )?;
    let both = ["view", "--vault-id", "dev@p1", "--vault-id", "prod@p2"];
    for (bin, label) in [(&av, "ansible-vault"), (&rv, "rvault")] {
        for (file, want) in [("dev.yml", "env: dev\n"), ("prod.yml", "env: prod\n")] {
            let mut args = both.to_vec();
            args.push(file);
            check_eq(
                &s.ok(bin, &args, &[], None)?,
                want,
                &format!("{label} view {file}"),
            )?;
        }
        // A secret under another label is still tried (vault_id_match is off by default).
        check_eq(
            &s.ok(
                bin,
                &["view", "--vault-id", "other@p2", "prod.yml"],
                &[],
                None,
            )?,
            "env: prod\n",
            label,
        )?;
    }
    // Several secrets and no --encrypt-vault-id: same refusal, same exit code.
    s.write("x.yml", "x\n")?;
    let args = [
        "encrypt",
        "--vault-id",
        "a@p1",
        "--vault-id",
        "b@p2",
        "x.yml",
    ];
    let (a, r) = (s.run(&av, &args, &[], None)?, s.run(&rv, &args, &[], None)?);
    check(a.status.code() == r.status.code(), || {
        format!("exit codes: ansible {:?}, rvault {:?}", a.status, r.status)
    })?;
    check(
        String::from_utf8_lossy(&r.stderr).contains("The vault-ids a,b are available to encrypt"),
        || format!("stderr: {}", String::from_utf8_lossy(&r.stderr)),
    )?;
    s.ok(
        &rv,
        &[
            "encrypt",
            "--vault-id",
            "a@p1",
            "--vault-id",
            "b@p2",
            "--encrypt-vault-id",
            "b",
            "x.yml",
        ],
        &[],
        None,
    )?;
    check(
        s.read("x.yml")?
            .starts_with("$ANSIBLE_VAULT;1.2;AES256;b\n"),
        || "encrypt-vault-id header".into(),
    )?;
    check_eq(
        &s.ok(&av, &["view", "--vault-id", "b@p2", "x.yml"], &[], None)?,
        "x\n",
        "ansible-vault view b",
    )
}

fn wrong_or_missing_password_is_a_clear_error() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    s.write("f.yml", PLAIN)?;
    s.ok(
        &av,
        &["encrypt", "--vault-password-file", "p1", "f.yml"],
        &[],
        None,
    )?;
    let before = s.read("f.yml")?;
    for action in ["view", "decrypt"] {
        let out = s.run(
            &rv,
            &[action, "--vault-password-file", "p2", "f.yml"],
            &[],
            None,
        )?;
        let err = String::from_utf8_lossy(&out.stderr);
        check(out.status.code() == Some(1), || {
            format!("{action}: exit {:?}", out.status)
        })?;
        check(
            err.contains("Decryption failed (no vault secrets were found that could decrypt)")
                && err.contains("f.yml"),
            || format!("{action} stderr: {err}"),
        )?;
        check(!err.contains("s3cr3t") && out.stdout.is_empty(), || {
            format!("{action} leaked output")
        })?;
    }
    check_eq(
        &s.read("f.yml")?,
        &before,
        "file untouched after failed decrypt",
    )?;
    let out = s.run(
        &rv,
        &["view", "--vault-password-file", "nope", "f.yml"],
        &[],
        None,
    )?;
    let err = String::from_utf8_lossy(&out.stderr);
    check(
        out.status.code() == Some(1)
            && err.contains("The vault password file")
            && err.contains("was not found"),
        || format!("missing file: {:?} {err}", out.status),
    )?;
    // No password and no terminal: the prompt cannot be answered.
    let out = s.run(&rv, &["view", "f.yml"], &[], None)?;
    check(!out.status.success() && out.stdout.is_empty(), || {
        format!("no password: {:?}", out.status)
    })
}

fn rekey_changes_password_and_keeps_mode() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    s.write("f.yml", PLAIN)?;
    s.ok(
        &av,
        &["encrypt", "--vault-password-file", "p1", "f.yml"],
        &[],
        None,
    )?;
    std::fs::set_permissions(s.path("f.yml"), std::fs::Permissions::from_mode(0o640))
        .map_err(|e| e.to_string())?;
    s.ok(
        &rv,
        &[
            "rekey",
            "--vault-password-file",
            "p1",
            "--new-vault-password-file",
            "p2",
            "f.yml",
        ],
        &[],
        None,
    )?;
    let mode = std::fs::metadata(s.path("f.yml"))
        .map_err(|e| e.to_string())?
        .permissions()
        .mode()
        & 0o777;
    check(mode == 0o640, || format!("rekey changed mode to {mode:o}"))?;
    check_eq(
        &s.ok(
            &av,
            &["view", "--vault-password-file", "p2", "f.yml"],
            &[],
            None,
        )?,
        PLAIN,
        "new password",
    )?;
    let old = s.run(
        &av,
        &["view", "--vault-password-file", "p1", "f.yml"],
        &[],
        None,
    )?;
    check(!old.status.success(), || {
        "old password still opens the file".into()
    })?;
    // One file the old password cannot open: no file is rekeyed.
    s.write("g.yml", "g\n")?;
    s.ok(
        &av,
        &["encrypt", "--vault-password-file", "p1", "g.yml"],
        &[],
        None,
    )?;
    let (f_before, g_before) = (s.read("f.yml")?, s.read("g.yml")?);
    let args = [
        "rekey",
        "--vault-password-file",
        "p2",
        "--new-vault-password-file",
        "p1",
        "f.yml",
        "g.yml",
    ];
    let out = s.run(&rv, &args, &[], None)?;
    check(out.status.code() == Some(1), || {
        format!("partial rekey: {:?}", out.status)
    })?;
    check(
        s.read("f.yml")? == f_before && s.read("g.yml")? == g_before,
        || "half-applied rekey".into(),
    )?;
    // Rekey to a labelled id: header becomes 1.2.
    s.ok(
        &rv,
        &[
            "rekey",
            "--vault-password-file",
            "p2",
            "--new-vault-id",
            "prod@p1",
            "f.yml",
        ],
        &[],
        None,
    )?;
    check(
        s.read("f.yml")?
            .starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"),
        || "rekey to id header".into(),
    )?;
    check_eq(
        &s.ok(&av, &["view", "--vault-id", "prod@p1", "f.yml"], &[], None)?,
        PLAIN,
        "rekeyed to prod",
    )
}

/// Replaces every hex body line with `HEX` so layouts can be compared despite random salts.
fn layout(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit()) {
                format!("{}HEX({})", &l[..l.len() - t.len()], t.len())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if text.ends_with('\n') { "\n" } else { "" }
}

fn encrypt_string_layout_matches_ansible() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    let cases: Vec<(Vec<&str>, Option<&str>)> = vec![
        (
            vec![
                "encrypt_string",
                "--vault-password-file",
                "p1",
                "--name",
                "db_pass",
                "hunter2",
            ],
            None,
        ),
        (
            vec!["encrypt_string", "--vault-password-file", "p1", "hunter2"],
            None,
        ),
        (
            vec![
                "encrypt_string",
                "--vault-id",
                "prod@p1",
                "--name",
                "a",
                "one",
                "two",
                "three",
            ],
            None,
        ),
        (
            vec![
                "encrypt_string",
                "--vault-password-file",
                "p1",
                "--stdin-name",
                "from_stdin",
            ],
            Some("piped secret\n"),
        ),
        (
            vec![
                "encrypt_string",
                "--vault-password-file",
                "p1",
                "-n",
                "x",
                "arg",
                "-",
            ],
            Some("both"),
        ),
    ];
    for (args, stdin) in cases {
        let a = s.run(&av, &args, &[], stdin)?;
        let r = s.run(&rv, &args, &[], stdin)?;
        check(a.status.code() == r.status.code(), || {
            format!(
                "{args:?}: exit ansible {:?} rvault {:?}",
                a.status, r.status
            )
        })?;
        check_eq(
            &layout(&String::from_utf8_lossy(&r.stdout)),
            &layout(&String::from_utf8_lossy(&a.stdout)),
            &format!("stdout {args:?}"),
        )?;
        check_eq(
            &String::from_utf8_lossy(&r.stderr),
            &String::from_utf8_lossy(&a.stderr),
            &format!("stderr {args:?}"),
        )?;
    }
    // Empty plaintext is refused the same way.
    let args = ["encrypt_string", "--vault-password-file", "p1", ""];
    let (a, r) = (s.run(&av, &args, &[], None)?, s.run(&rv, &args, &[], None)?);
    check(
        a.status.code() == r.status.code() && r.stdout.is_empty(),
        || format!("empty: ansible {:?} rvault {:?}", a.status, r.status),
    )
}

/// The `!vault |` block of an encrypt_string output, dedented to a plain envelope.
fn envelope_of(block: &str) -> String {
    block
        .lines()
        .skip(1)
        .map(|l| format!("{}\n", l.trim()))
        .collect()
}

fn inline_values_both_ways() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    let secret = "inline Secret with spaces & ünïcode";
    // ansible-vault made → rvault (stdin) and the library's reveal_envelope/reveal_value.
    let block = s.ok(
        &av,
        &["encrypt_string", "--vault-id", "prod@p2", secret],
        &[],
        None,
    )?;
    let env = envelope_of(&block);
    check_eq(
        &s.ok(&rv, &["decrypt", "--vault-id", "prod@p2"], &[], Some(&env))?,
        secret,
        "rvault decrypt of inline",
    )?;
    let vault = rplay::vault::Vault::new(rplay::vault::VaultSecrets::single(
        "prod",
        rplay::vault::Password::new(b"second-password".to_vec()),
    ));
    let revealed = vault.reveal_envelope(&env).map_err(|e| e.to_string())?;
    check_eq(revealed.expose(), secret, "reveal_envelope")?;
    check(format!("{revealed}") == "********", || {
        "Secret must mask Display".into()
    })?;
    let carried = serde_json::json!({"db": {"password": {"__ansible_vault": env}}, "port": 5432});
    let shown = vault.reveal_value(&carried).map_err(|e| e.to_string())?;
    check(
        shown == serde_json::json!({"db": {"password": secret}, "port": 5432}),
        || format!("reveal_value: {shown}"),
    )?;

    // rvault made → ansible-vault decrypt of the dedented envelope.
    let block = s.ok(
        &rv,
        &[
            "encrypt_string",
            "--vault-password-file",
            "p1",
            "--name",
            "v",
            secret,
        ],
        &[],
        None,
    )?;
    check(
        block.starts_with("v: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n"),
        || format!("block: {block}"),
    )?;
    let env = envelope_of(&block);
    check_eq(
        &s.ok(
            &av,
            &["decrypt", "--vault-password-file", "p1"],
            &[],
            Some(&env),
        )?,
        secret,
        "ansible-vault decrypt of rvault inline",
    )
}

fn password_scripts_like_ansible() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    let script = s.write("pass.sh", "#!/bin/sh\necho first-password\n")?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    let client = s.write(
        "keys-client.sh",
        "#!/bin/sh\n[ \"$1\" = --vault-id ] || exit 1\ncase \"$2\" in dev) echo first-password;; prod) echo second-password;; *) echo \"no $2\" >&2; exit 2;; esac\n",
    )?;
    std::fs::set_permissions(&client, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    s.write("d.yml", "d\n")?;
    s.write("p.yml", "p\n")?;
    s.ok(
        &av,
        &["encrypt", "--vault-password-file", "pass.sh", "d.yml"],
        &[],
        None,
    )?;
    s.ok(
        &av,
        &["encrypt", "--vault-id", "prod@keys-client.sh", "p.yml"],
        &[],
        None,
    )?;
    check_eq(
        &s.ok(
            &rv,
            &["view", "--vault-password-file", "pass.sh", "d.yml"],
            &[],
            None,
        )?,
        "d\n",
        "script",
    )?;
    check_eq(
        &s.ok(
            &rv,
            &["view", "--vault-id", "prod@keys-client.sh", "p.yml"],
            &[],
            None,
        )?,
        "p\n",
        "client script",
    )?;
    let args = ["view", "--vault-id", "qa@keys-client.sh", "p.yml"];
    let (a, r) = (s.run(&av, &args, &[], None)?, s.run(&rv, &args, &[], None)?);
    check(a.status.code() == r.status.code(), || {
        format!("unknown id: ansible {:?} rvault {:?}", a.status, r.status)
    })?;
    check(
        String::from_utf8_lossy(&r.stderr).contains("did not find a secret for vault-id=qa"),
        || format!("stderr: {}", String::from_utf8_lossy(&r.stderr)),
    )
}

/// An editor script: records the file it was given, appends a line to it.
fn scripted_editor(s: &Scratch, line: &str) -> Result<PathBuf, Failed> {
    let log = s.path("editor.log");
    let script = s.write(
        "editor.sh",
        &format!(
            "#!/bin/sh\necho \"$1\" >> '{}'\nprintf '%s\\n' '{line}' >> \"$1\"\n",
            log.display()
        ),
    )?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    Ok(script)
}

/// Every file under `dir` whose content contains `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "editor.sh") {
                // The scripted editor holds the line it adds.
            } else if std::fs::read(&p).is_ok_and(|c| c.windows(needle.len()).any(|w| w == needle))
            {
                found.push(p);
            }
        }
    }
    found
}

fn edit_leaves_no_plaintext_on_disk() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    let tmp = s.path("tmp");
    std::fs::create_dir(&tmp).map_err(|e| e.to_string())?;
    s.write("f.yml", PLAIN)?;
    s.ok(
        &av,
        &["encrypt", "--vault-id", "prod@p1", "f.yml"],
        &[],
        None,
    )?;
    std::fs::set_permissions(s.path("f.yml"), std::fs::Permissions::from_mode(0o644))
        .map_err(|e| e.to_string())?;
    let editor = scripted_editor(&s, "added: Another-Secret")?;
    let env = [
        ("EDITOR", editor.to_str().unwrap_or_default()),
        ("TMPDIR", tmp.to_str().unwrap_or_default()),
    ];
    s.ok(&rv, &["edit", "--vault-id", "prod@p1", "f.yml"], &env, None)?;

    let edited = format!("{PLAIN}added: Another-Secret\n");
    check_eq(
        &s.ok(&av, &["view", "--vault-id", "prod@p1", "f.yml"], &[], None)?,
        &edited,
        "edited content",
    )?;
    check(
        s.read("f.yml")?
            .starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"),
        || "edit kept the vault id".into(),
    )?;
    let mode = std::fs::metadata(s.path("f.yml"))
        .map_err(|e| e.to_string())?
        .permissions()
        .mode()
        & 0o777;
    check(mode == 0o644, || format!("edit changed mode to {mode:o}"))?;
    let given = s.read("editor.log")?;
    let given = PathBuf::from(given.trim());
    check(
        given.starts_with(&tmp) && given.extension().is_some_and(|e| e == "yml"),
        || format!("editor got {}", given.display()),
    )?;
    check(
        !given.exists() && given.parent().is_some_and(|d| !d.exists()),
        || format!("{} left behind", given.display()),
    )?;
    let leftovers: Vec<_> = std::fs::read_dir(&tmp)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .collect();
    check(leftovers.is_empty(), || {
        format!("temp dir not empty: {leftovers:?}")
    })?;
    for needle in ["s3cr3t-Plaintext", "Another-Secret"] {
        let hits = files_containing(s.dir.path(), needle.as_bytes());
        check(hits.is_empty(), || {
            format!("plaintext {needle:?} found in {hits:?}")
        })?;
    }

    // An edit that changes nothing leaves the file byte for byte as it was.
    let before = s.read("f.yml")?;
    s.write("noop.sh", "#!/bin/sh\nexit 0\n")?;
    std::fs::set_permissions(s.path("noop.sh"), std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    let noop = s.path("noop.sh");
    s.ok(
        &rv,
        &["edit", "--vault-id", "prod@p1", "f.yml"],
        &[("EDITOR", noop.to_str().unwrap_or_default())],
        None,
    )?;
    check_eq(&s.read("f.yml")?, &before, "unchanged edit")?;

    // rvault is sent SIGTERM while the editor runs: it survives, saves the edit, wipes the file.
    let term = s.write(
        "term-parent.sh",
        "#!/bin/sh\nkill -TERM $PPID\nprintf 'after: term\\n' >> \"$1\"\n",
    )?;
    std::fs::set_permissions(&term, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    let term_env = [
        ("EDITOR", term.to_str().unwrap_or_default()),
        ("TMPDIR", tmp.to_str().unwrap_or_default()),
    ];
    s.ok(
        &rv,
        &["edit", "--vault-id", "prod@p1", "f.yml"],
        &term_env,
        None,
    )?;
    let shown = s.ok(&av, &["view", "--vault-id", "prod@p1", "f.yml"], &[], None)?;
    check_eq(
        &shown,
        &format!("{edited}after: term\n"),
        "edit after SIGTERM to rvault",
    )?;
    // The editor is killed: nothing is saved, nothing is left.
    let before = s.read("f.yml")?;
    let killed = s.write(
        "killed.sh",
        "#!/bin/sh\nprintf 'lost\\n' >> \"$1\"\nkill -KILL $$\n",
    )?;
    std::fs::set_permissions(&killed, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    let killed_env = [
        ("EDITOR", killed.to_str().unwrap_or_default()),
        ("TMPDIR", tmp.to_str().unwrap_or_default()),
    ];
    let out = s.run(
        &rv,
        &["edit", "--vault-id", "prod@p1", "f.yml"],
        &killed_env,
        None,
    )?;
    check(out.status.code() == Some(1), || {
        format!("killed editor: {:?}", out.status)
    })?;
    check_eq(&s.read("f.yml")?, &before, "file after a killed editor")?;
    let leftovers: Vec<_> = std::fs::read_dir(&tmp)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .collect();
    check(leftovers.is_empty(), || {
        format!("temp dir not empty after signals: {leftovers:?}")
    })?;

    // A wrong password: the editor never runs.
    std::fs::remove_file(s.path("editor.log")).map_err(|e| e.to_string())?;
    let out = s.run(
        &rv,
        &["edit", "--vault-password-file", "p2", "f.yml"],
        &env,
        None,
    )?;
    check(
        out.status.code() == Some(1) && !s.path("editor.log").exists(),
        || format!("wrong password edit: {:?}", out.status),
    )
}

fn create_with_scripted_editor() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    let editor = scripted_editor(&s, "created: yes")?;
    let tmp = s.path("tmp");
    std::fs::create_dir(&tmp).map_err(|e| e.to_string())?;
    let env = [
        ("EDITOR", editor.to_str().unwrap_or_default()),
        ("TMPDIR", tmp.to_str().unwrap_or_default()),
    ];
    // Without a terminal, create refuses unless told to skip the check (as ansible-vault, exit 5).
    let out = s.run(
        &rv,
        &["create", "--vault-password-file", "p1", "sub/new.yml"],
        &env,
        None,
    )?;
    check(out.status.code() == Some(5), || {
        format!("create without tty: {:?}", out.status)
    })?;
    s.ok(
        &rv,
        &[
            "create",
            "--skip-tty-check",
            "--vault-password-file",
            "p1",
            "sub/new.yml",
        ],
        &env,
        None,
    )?;
    check_eq(
        &s.ok(
            &av,
            &["view", "--vault-password-file", "p1", "sub/new.yml"],
            &[],
            None,
        )?,
        "created: yes\n",
        "created",
    )?;
    let out = s.run(
        &rv,
        &[
            "create",
            "--skip-tty-check",
            "--vault-password-file",
            "p1",
            "sub/new.yml",
        ],
        &env,
        None,
    )?;
    let err = String::from_utf8_lossy(&out.stderr);
    check(
        out.status.code() == Some(1) && err.contains("exists, please use 'edit' instead"),
        || format!("create existing: {err}"),
    )?;
    let leftovers: Vec<_> = std::fs::read_dir(&tmp)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .collect();
    check(leftovers.is_empty(), || {
        format!("temp dir not empty: {leftovers:?}")
    })
}

fn env_password_file_and_output() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    let p1 = s.path("p1");
    let env = [(
        "ANSIBLE_VAULT_PASSWORD_FILE",
        p1.to_str().unwrap_or_default(),
    )];
    s.write("f.yml", PLAIN)?;
    s.ok(
        &rv,
        &["encrypt", "--output", "enc.yml", "f.yml"],
        &env,
        None,
    )?;
    check_eq(&s.read("f.yml")?, PLAIN, "--output leaves the input alone")?;
    check_eq(
        &s.ok(&av, &["view", "enc.yml"], &env, None)?,
        PLAIN,
        "ansible-vault with env password file",
    )?;
    check_eq(
        &s.ok(&rv, &["decrypt", "--output", "-", "enc.yml"], &env, None)?,
        PLAIN,
        "rvault decrypt to stdout",
    )?;
    let ids = format!("dev@{}", p1.display());
    let out = s.ok(
        &rv,
        &["view", "enc.yml"],
        &[("ANSIBLE_VAULT_IDENTITY_LIST", &ids)],
        None,
    )?;
    check_eq(&out, PLAIN, "ANSIBLE_VAULT_IDENTITY_LIST")?;
    // ansible.cfg in the current directory: password file relative to it, identity list.
    s.write("ansible.cfg", "[defaults]\nvault_password_file = p1\n")?;
    for bin in [&av, &rv] {
        let out = s.ok(bin, &["view", "enc.yml"], &[], None)?;
        check_eq(&out, PLAIN, &format!("{} with ansible.cfg", bin.display()))?;
    }
    s.write(
        "ansible.cfg",
        "[defaults]\nvault_identity_list = dev@p2, ops@p1\n",
    )?;
    for bin in [&av, &rv] {
        let out = s.ok(bin, &["view", "enc.yml"], &[], None)?;
        check_eq(
            &out,
            PLAIN,
            &format!("{} with vault_identity_list", bin.display()),
        )?;
    }
    std::fs::remove_file(s.path("ansible.cfg")).map_err(|e| e.to_string())?;
    let out = s.run(&rv, &["encrypt", "--output", "x", "a", "b"], &env, None)?;
    check(out.status.code() == Some(5), || {
        format!("--output with two inputs: {:?}", out.status)
    })
}

fn ask_vault_pass_without_terminal() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    s.write("a.yml", PLAIN)?;
    s.write("r.yml", PLAIN)?;
    s.ok(
        &av,
        &["encrypt", "--ask-vault-pass", "a.yml"],
        &[],
        Some("typed-pw\ntyped-pw\n"),
    )?;
    s.ok(
        &rv,
        &["encrypt", "-J", "r.yml"],
        &[],
        Some("typed-pw\ntyped-pw\n"),
    )?;
    for (bin, file) in [(&rv, "a.yml"), (&av, "r.yml")] {
        let out = s.ok(
            bin,
            &["view", "--ask-vault-pass", file],
            &[],
            Some("typed-pw\n"),
        )?;
        check_eq(&out, PLAIN, &format!("{} view {file}", bin.display()))?;
    }
    // Confirmation mismatch and end of input fail alike in both tools.
    for (args, input) in [
        (vec!["encrypt", "-J", "a.yml"], "one\ntwo\n"),
        (vec!["view", "-J", "r.yml"], ""),
    ] {
        let (a, r) = (
            s.run(&av, &args, &[], Some(input))?,
            s.run(&rv, &args, &[], Some(input))?,
        );
        check(
            !r.status.success() && a.status.code() == r.status.code(),
            || {
                format!(
                    "{args:?}: ansible {:?} rvault {:?} ({})",
                    a.status,
                    r.status,
                    String::from_utf8_lossy(&r.stderr)
                )
            },
        )?;
    }
    check_eq(
        &s.ok(&rv, &["view", "-J", "r.yml"], &[], Some("typed-pw\n"))?,
        PLAIN,
        "file unchanged",
    )
}

/// Secrets of the vault test project; none may ever appear in any output of a run.
const PROJECT_SECRETS: [&str; 3] = [
    "Whole-File-Db-Pw-81x",
    "Inline-Api-Token-93k",
    "Prod-Id-Key-27q",
];

/// Writes an Ansible project whose vault data is all made by rvault: a whole-file vaulted
/// `group_vars/all/vault.yml`, an inline `!vault` value in `group_vars/all/main.yml` and one under
/// vault id `prod`, and a playbook that checks them (without printing them). Returns the
/// arguments to add to `ansible-playbook` / `rplay`.
fn vault_project(s: &Scratch) -> Result<Vec<String>, Failed> {
    let rv = rvault_bin();
    for dir in ["group_vars/all", "host_vars"] {
        std::fs::create_dir_all(s.path(dir)).map_err(|e| e.to_string())?;
    }
    s.write(
        "inventory.ini",
        "[local]\nlocalhost ansible_connection=local\n",
    )?;
    s.write(
        "group_vars/all/vault.yml",
        &format!("vault_db_password: {}\n", PROJECT_SECRETS[0]),
    )?;
    s.ok(
        &rv,
        &[
            "encrypt",
            "--vault-password-file",
            "p1",
            "group_vars/all/vault.yml",
        ],
        &[],
        None,
    )?;
    let token = s.ok(
        &rv,
        &[
            "encrypt_string",
            "--vault-password-file",
            "p1",
            "--name",
            "api_token",
            PROJECT_SECRETS[1],
        ],
        &[],
        None,
    )?;
    let key = s.ok(
        &rv,
        &[
            "encrypt_string",
            "--vault-id",
            "prod@p2",
            "--name",
            "prod_key",
            PROJECT_SECRETS[2],
        ],
        &[],
        None,
    )?;
    s.write(
        "group_vars/all/main.yml",
        &format!(
            "db_password: \"{{{{ vault_db_password }}}}\"\n{token}{key}plain_setting: visible\n"
        ),
    )?;
    s.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: check secrets without showing them\n      assert:\n        that:\n          - db_password | length == 20\n          - api_token.startswith('Inline-')\n          - prod_key.endswith('27q')\n        quiet: true\n    - name: show the plain setting\n      debug:\n        var: plain_setting\n",
    )?;
    Ok([
        "-i",
        "inventory.ini",
        "--vault-id",
        "default@p1",
        "--vault-id",
        "prod@p2",
        "site.yml",
    ]
    .map(String::from)
    .to_vec())
}

fn playbook_with_rvault_data_runs_under_ansible() -> TestResult {
    let s = Scratch::new()?;
    let args = vault_project(&s)?;
    let playbook = oracle()?.with_file_name("ansible-playbook");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = s.run(&playbook, &args, &[("ANSIBLE_NOCOLOR", "1")], None)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    check(
        out.status.success() && stdout.contains("\"plain_setting\": \"visible\""),
        || {
            format!(
                "ansible-playbook on rvault data: {:?}\n{stdout}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        },
    )?;
    check(
        stdout.contains("ok=2") && stdout.contains("failed=0"),
        || format!("recap: {stdout}"),
    )?;
    for secret in PROJECT_SECRETS {
        check(
            !stdout.contains(secret) && !String::from_utf8_lossy(&out.stderr).contains(secret),
            || format!("{secret} appeared in ansible-playbook output"),
        )?;
    }
    // Wrong password for the whole-file vault: ansible-core 2.19 fails when it first computes the
    // host's vars (after the PLAY banner), with exit code 4, and runs no task.
    let mut wrong: Vec<&str> = args.clone();
    if let Some(pos) = wrong.iter().position(|a| *a == "default@p1") {
        wrong[pos] = "default@p2";
    }
    let out = s.run(&playbook, &wrong, &[("ANSIBLE_NOCOLOR", "1")], None)?;
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    check(
        out.status.code() == Some(4)
            && err.contains("Decryption failed")
            && !stdout.contains("TASK"),
        || format!("wrong password: {:?} {stdout} {err}", out.status),
    )
}

/// The group_vars of the vault project, read as the engine will read them (vault-aware file read,
/// YAML loader, reveal of inline values), equal the values ansible-core computes.
fn library_reads_project_vars_like_ansible() -> TestResult {
    let s = Scratch::new()?;
    let args = vault_project(&s)?;
    let mut secrets = rplay::vault::VaultSecrets::new();
    secrets.push(
        "default",
        rplay::vault::Password::new(b"first-password".to_vec()),
    );
    secrets.push(
        "prod",
        rplay::vault::Password::new(b"second-password".to_vec()),
    );
    let vault = rplay::vault::Vault::new(secrets);
    let mut vars = serde_json::Map::new();
    for file in ["group_vars/all/main.yml", "group_vars/all/vault.yml"] {
        let path = s.path(file);
        let text = vault.read_file(&path).map_err(|e| e.to_string())?;
        let text = std::str::from_utf8(&text).map_err(|e| format!("{file}: {e}"))?;
        let docs = rplay::yaml::load_str(text, file).map_err(|e| e.to_string())?;
        let value = docs.first().map(|d| d.to_json()).unwrap_or_default();
        let revealed = vault.reveal_value(&value).map_err(|e| e.to_string())?;
        if let serde_json::Value::Object(map) = revealed {
            vars.extend(map);
        }
    }
    // The inventory area's loader with the vault hook sees the same values.
    let vault = std::sync::Arc::new(vault);
    let settings = rplay::config::Settings::default();
    let inventory_path = s.path("inventory.ini").display().to_string();
    let inventory = rplay::inventory::Inventory::load_with_vault(
        &[inventory_path],
        &settings,
        Some(rplay::vault::inventory_decrypt(vault.clone())),
    )
    .map_err(|e| e.to_string())?;
    let host_vars = inventory
        .host_vars("localhost", None)
        .map_err(|e| e.to_string())?;
    let from_inventory = vault
        .reveal_value(&serde_json::Value::Object(host_vars))
        .map_err(|e| e.to_string())?;
    for key in [
        "vault_db_password",
        "api_token",
        "prod_key",
        "plain_setting",
    ] {
        check(from_inventory.get(key) == vars.get(key), || {
            format!(
                "inventory {key}: {:?} vs {:?}",
                from_inventory.get(key),
                vars.get(key)
            )
        })?;
    }
    let ours = serde_json::json!([
        vars.get("vault_db_password"),
        vars.get("api_token"),
        vars.get("prod_key"),
        vars.get("plain_setting")
    ]);

    let adhoc = oracle()?.with_file_name("ansible");
    let mut cmd: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "site.yml")
        .collect();
    cmd.extend([
        "localhost",
        "-m",
        "debug",
        "-a",
        "msg={{ [vault_db_password, api_token, prod_key, plain_setting] }}",
    ]);
    let out = s.ok(&adhoc, &cmd, &[("ANSIBLE_NOCOLOR", "1")], None)?;
    let json = out
        .split_once("=>")
        .map(|(_, j)| j.trim())
        .unwrap_or_default();
    let theirs: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("oracle output {out}: {e}"))?;
    check(theirs.get("msg") == Some(&ours), || {
        format!("ansible: {theirs}\nrplay library: {ours}")
    })?;
    check(ours[1] == PROJECT_SECRETS[1], || {
        format!("inline value: {ours}")
    })
}

/// Every rvault action, verbose, over secret data: neither the plaintext nor any password shows
/// up in stdout/stderr (except `view`/`decrypt --output -`, whose job it is), in any file left in
/// the working or temporary directory, or in the arguments of the processes rvault starts.
fn rvault_never_leaks() -> TestResult {
    let s = Scratch::new()?;
    let rv = rvault_bin();
    let tmp = s.path("tmp");
    std::fs::create_dir(&tmp).map_err(|e| e.to_string())?;
    let secret = "Leak-Canary-7f3e9a";
    let passwords = ["first-password", "second-password"];
    // A client script that records its arguments: they must hold no secret.
    let argv_log = s.path("argv.log");
    let client = s.write(
        "ids-client",
        &format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\necho second-password\n",
            argv_log.display()
        ),
    )?;
    std::fs::set_permissions(&client, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    let editor = scripted_editor(&s, "edited: Leak-Canary-edit")?;
    let env = [
        ("TMPDIR", tmp.to_str().unwrap_or_default()),
        ("EDITOR", editor.to_str().unwrap_or_default()),
    ];
    s.write("f.yml", &format!("token: {secret}\n"))?;
    let quiet_runs: Vec<(Vec<&str>, Option<String>)> = vec![
        (
            vec!["encrypt", "-vvv", "--vault-password-file", "p1", "f.yml"],
            None,
        ),
        (
            vec![
                "rekey",
                "-vvv",
                "--vault-password-file",
                "p1",
                "--new-vault-id",
                "ops@ids-client",
                "f.yml",
            ],
            None,
        ),
        (
            vec!["edit", "-vvv", "--vault-id", "ops@ids-client", "f.yml"],
            None,
        ),
        (
            vec![
                "encrypt_string",
                "-vvv",
                "--vault-password-file",
                "p1",
                "--stdin-name",
                "t",
            ],
            Some(secret.to_string()),
        ),
        (
            vec!["view", "-vvv", "--vault-password-file", "p1", "f.yml"],
            None,
        ),
    ];
    for (args, stdin) in &quiet_runs {
        let out = s.run(&rv, args, &env, stdin.as_deref())?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let wrong_pw_view = args[0] == "view";
        if wrong_pw_view {
            // f.yml is now under ops@ids-client's password: p1 cannot open it.
            check(out.status.code() == Some(1), || {
                format!("view with p1: {:?}", out.status)
            })?;
        } else {
            check(out.status.success(), || {
                format!("{args:?}: {:?} {stderr}", out.status)
            })?;
        }
        for needle in [secret, "Leak-Canary-edit"].iter().chain(passwords.iter()) {
            check(!stdout.contains(needle) && !stderr.contains(needle), || {
                format!("{args:?} printed {needle:?}:\n{stdout}\n{stderr}")
            })?;
        }
    }
    let argv = s.read("argv.log")?;
    check(argv.lines().all(|l| l == "--vault-id ops"), || {
        format!("client script argv: {argv}")
    })?;
    for needle in [secret, "Leak-Canary-edit"] {
        let hits: Vec<_> = files_containing(s.dir.path(), needle.as_bytes());
        check(hits.is_empty(), || format!("{needle:?} left in {hits:?}"))?;
    }
    let leftovers: Vec<_> = std::fs::read_dir(&tmp)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .collect();
    check(leftovers.is_empty(), || {
        format!("temp files left: {leftovers:?}")
    })?;
    // The file still opens, with the edit in it.
    let shown = s.ok(
        &rv,
        &["view", "--vault-id", "ops@ids-client", "f.yml"],
        &[],
        None,
    )?;
    check_eq(
        &shown,
        &format!("token: {secret}\nedited: Leak-Canary-edit\n"),
        "final content",
    )
}

/// stdin → stdout use (`cat f | ansible-vault encrypt | ...`), several files at once, and the
/// modes of written files, compared with ansible-vault.
fn pipes_like_ansible_vault() -> TestResult {
    let s = Scratch::new()?;
    let (av, rv) = (oracle()?, rvault_bin());
    // rvault encrypts stdin to stdout; ansible-vault decrypts it from stdin; and back.
    let enc = s.ok(
        &rv,
        &["encrypt", "--vault-password-file", "p1"],
        &[],
        Some(PLAIN),
    )?;
    check(enc.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"), || {
        format!("stdout: {enc}")
    })?;
    check_eq(
        &s.ok(
            &av,
            &["decrypt", "--vault-password-file", "p1"],
            &[],
            Some(&enc),
        )?,
        PLAIN,
        "oracle from stdin",
    )?;
    let enc = s.ok(
        &av,
        &["encrypt", "--vault-password-file", "p2"],
        &[],
        Some(PLAIN),
    )?;
    check_eq(
        &s.ok(
            &rv,
            &["decrypt", "--vault-password-file", "p2"],
            &[],
            Some(&enc),
        )?,
        PLAIN,
        "rvault from stdin",
    )?;
    check_eq(
        &s.ok(
            &rv,
            &[
                "decrypt",
                "--vault-password-file",
                "p2",
                "--output",
                "-",
                "-",
            ],
            &[],
            Some(&enc),
        )?,
        PLAIN,
        "'-' is stdin",
    )?;

    // Several files, then view of several files, both tools.
    s.write("a.yml", "a: 1\n")?;
    s.write("b.yml", "b: 2\n")?;
    s.ok(
        &rv,
        &["encrypt", "--vault-password-file", "p1", "a.yml", "b.yml"],
        &[],
        None,
    )?;
    for bin in [&av, &rv] {
        let out = s.ok(
            bin,
            &["view", "--vault-password-file", "p1", "a.yml", "b.yml"],
            &[],
            None,
        )?;
        check_eq(
            &out,
            "a: 1\nb: 2\n",
            &format!("{} view two files", bin.display()),
        )?;
    }
    // decrypt --output to a file: 0600 like ansible-vault's, input left encrypted.
    s.ok(
        &rv,
        &[
            "decrypt",
            "--vault-password-file",
            "p1",
            "--output",
            "plain.yml",
            "a.yml",
        ],
        &[],
        None,
    )?;
    check_eq(&s.read("plain.yml")?, "a: 1\n", "--output file")?;
    let mode = std::fs::metadata(s.path("plain.yml"))
        .map_err(|e| e.to_string())?
        .permissions()
        .mode()
        & 0o777;
    check(mode == 0o600, || format!("--output mode {mode:o}"))?;
    check(s.read("a.yml")?.starts_with("$ANSIBLE_VAULT"), || {
        "input changed by --output".into()
    })?;
    // view adds the final newline ansible-vault's display adds.
    s.write("nonl.yml", "no newline")?;
    s.ok(
        &av,
        &["encrypt", "--vault-password-file", "p1", "nonl.yml"],
        &[],
        None,
    )?;
    for bin in [&av, &rv] {
        let out = s.ok(
            bin,
            &["view", "--vault-password-file", "p1", "nonl.yml"],
            &[],
            None,
        )?;
        check_eq(
            &out,
            "no newline\n",
            &format!("{} view without final newline", bin.display()),
        )?;
    }
    Ok(())
}
