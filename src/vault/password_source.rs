//! Where vault passwords come from: `--vault-id [label@]source` (source = `prompt`, a file, or an
//! executable), `--vault-password-file`, `--ask-vault-pass`, and ansible.cfg's
//! `vault_identity_list` / `vault_password_file` (passed in by the config area). The order and
//! the rules (strip the file, run executables, `*-client` scripts get `--vault-id`, a file that is
//! itself vaulted is opened with the secrets read before it) are ansible-core's `setup_vault_secrets`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::crypt::Vault;
use super::envelope::DEFAULT_VAULT_ID;
use super::error::Error;
use super::secrets::{Password, VaultSecrets};

/// The vault settings of a run, from the command line and the resolved configuration.
#[derive(Debug, Clone)]
pub struct VaultOptions {
    /// `--vault-id`, in command-line order.
    pub vault_ids: Vec<String>,
    /// `--vault-password-file`, in command-line order.
    pub password_files: Vec<PathBuf>,
    /// `--ask-vault-pass` / `-J`.
    pub ask_vault_pass: bool,
    /// ansible.cfg `vault_identity_list` / `ANSIBLE_VAULT_IDENTITY_LIST`: tried before the command line's.
    pub identity_list: Vec<String>,
    /// ansible.cfg `vault_password_file` / `ANSIBLE_VAULT_PASSWORD_FILE`.
    pub config_password_file: Option<PathBuf>,
    /// ansible.cfg `vault_identity` (the label of unlabelled secrets), `default` by default.
    pub default_identity: String,
    /// ansible.cfg `vault_id_match`.
    pub id_match: bool,
}

impl Default for VaultOptions {
    fn default() -> Self {
        VaultOptions {
            vault_ids: Vec::new(),
            password_files: Vec::new(),
            ask_vault_pass: false,
            identity_list: Vec::new(),
            config_password_file: None,
            default_identity: DEFAULT_VAULT_ID.to_string(),
            id_match: false,
        }
    }
}

/// What the passwords are for; it picks the prompt wording and whether to confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Opening existing vault data.
    Decrypt,
    /// Choosing a password for new vault data (asked twice).
    NewPassword,
}

/// Asks the user for a hidden answer. `Ok(None)` means end of input.
pub trait Prompter {
    /// Shows `prompt` and reads a line without echo.
    fn ask_hidden(&self, prompt: &str) -> std::io::Result<Option<Zeroizing<String>>>;
}

/// Prompts on the controlling terminal without echo. Without a terminal (CI, pipes) it reads a
/// line from stdin after a warning on stderr, as Python's `getpass` (and so ansible-core) does.
#[derive(Debug, Default, Clone, Copy)]
pub struct TerminalPrompter;

impl Prompter for TerminalPrompter {
    fn ask_hidden(&self, prompt: &str) -> std::io::Result<Option<Zeroizing<String>>> {
        let has_tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .is_ok();
        if has_tty {
            return match rpassword::prompt_password(prompt) {
                Ok(answer) => Ok(Some(Zeroizing::new(answer))),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
                Err(e) => Err(e),
            };
        }
        use std::io::{BufRead, Write};
        let mut err = std::io::stderr().lock();
        err.write_all(b"Warning: Password input may be echoed.\n")?;
        err.write_all(prompt.as_bytes())?;
        err.flush()?;
        let mut line = Zeroizing::new(String::new());
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let len = line.trim_end_matches(['\r', '\n']).len();
        line.truncate(len);
        Ok(Some(line))
    }
}

/// Secrets loaded for a run, with the warnings ansible-core would print for sources that failed
/// while another source succeeded.
#[derive(Debug)]
pub struct LoadedSecrets {
    /// The secrets, in the order they are tried.
    pub secrets: VaultSecrets,
    /// Warnings to show the user (no secrets in them).
    pub warnings: Vec<String>,
}

/// The marker source `--ask-vault-pass` turns into (ansible-core's old prompt format).
const ASK_VAULT_PASS: &str = "prompt_ask_vault_pass";

/// Splits `label@source`; no `@` means no label.
pub fn split_vault_id(spec: &str) -> (Option<&str>, &str) {
    match spec.split_once('@') {
        Some((label, source)) => (Some(label), source),
        None => (None, spec),
    }
}

/// The `label@source` list ansible-core builds: configured identities, `--vault-id`s, password
/// files (as `default@file`), then a prompt when asked for, or when nothing else was given and
/// `auto_prompt` is set (ansible-vault does, ansible-playbook does not).
fn vault_id_specs(opts: &VaultOptions, auto_prompt: bool) -> Vec<String> {
    let mut specs: Vec<String> = opts
        .identity_list
        .iter()
        .chain(&opts.vault_ids)
        .cloned()
        .collect();
    for file in opts.password_files.iter().chain(&opts.config_password_file) {
        specs.push(format!("{}@{}", opts.default_identity, file.display()));
    }
    if opts.ask_vault_pass || (specs.is_empty() && auto_prompt) {
        specs.push(format!("{}@{ASK_VAULT_PASS}", opts.default_identity));
    }
    specs
}

/// Loads every secret `opts` names. A failing password file is a warning while some other
/// source works, and the error when none does; a failing prompt is always an error.
pub fn load_secrets(
    opts: &VaultOptions,
    purpose: Purpose,
    auto_prompt: bool,
    prompter: &dyn Prompter,
) -> Result<LoadedSecrets, Error> {
    let mut secrets = VaultSecrets::new();
    secrets.set_id_match(opts.id_match);
    let mut warnings = Vec::new();
    let mut last_error = None;
    for spec in vault_id_specs(opts, auto_prompt) {
        let (label, source) = split_vault_id(&spec);
        if label.is_some_and(|l| l.contains(';')) {
            return Err(Error::InvalidVaultId(spec.clone()));
        }
        let label = label
            .filter(|l| !l.is_empty())
            .unwrap_or(&opts.default_identity)
            .to_string();
        if source == "prompt" || source == ASK_VAULT_PASS {
            let password = prompt_password(&label, source == ASK_VAULT_PASS, purpose, prompter)?;
            secrets.push(&label, password);
            continue;
        }
        let known = Vault::new(secrets.clone());
        match read_password_source(Path::new(source), &label, &known) {
            Ok(password) => secrets.push(&label, password),
            Err(e) => {
                warnings.push(format!("Error getting vault password file ({label}): {e}"));
                last_error = Some(e);
            }
        }
    }
    match last_error {
        Some(e) if secrets.is_empty() => Err(e),
        _ => Ok(LoadedSecrets { secrets, warnings }),
    }
}

impl Vault {
    /// The vault of an `rplay`/`radhoc` run: loads the secrets `opts` names (prompting only for
    /// `--ask-vault-pass` or `@prompt`, as ansible-playbook does). Returns the warnings to show.
    /// An empty vault is fine: the run fails only if it meets vault data.
    pub fn for_run(
        opts: &VaultOptions,
        prompter: &dyn Prompter,
    ) -> Result<(Vault, Vec<String>), Error> {
        let loaded = load_secrets(opts, Purpose::Decrypt, false, prompter)?;
        Ok((Vault::new(loaded.secrets), loaded.warnings))
    }
}

/// Asks for a password (twice for a new one); the answer is stripped of surrounding whitespace.
fn prompt_password(
    label: &str,
    old_format: bool,
    purpose: Purpose,
    prompter: &dyn Prompter,
) -> Result<Password, Error> {
    let prompts: Vec<String> = match (purpose, old_format) {
        (Purpose::Decrypt, true) => vec!["Vault password: ".into()],
        (Purpose::Decrypt, false) => vec![format!("Vault password ({label}): ")],
        (Purpose::NewPassword, true) => vec![
            "New Vault password: ".into(),
            "Confirm New Vault password: ".into(),
        ],
        (Purpose::NewPassword, false) => vec![
            format!("New vault password ({label}): "),
            format!("Confirm new vault password ({label}): "),
        ],
    };
    let mut first: Option<Zeroizing<Vec<u8>>> = None;
    for prompt in prompts {
        let answer = prompter
            .ask_hidden(&prompt)
            .map_err(|e| Error::Prompt(format!("Error in vault password prompt ({label}): {e}")))?
            .ok_or_else(|| Error::Prompt(format!("EOFError (ctrl-d) on prompt for ({label})")))?;
        let answer = Zeroizing::new(answer.trim().as_bytes().to_vec());
        if answer.is_empty() {
            return Err(Error::EmptyPassword { source_desc: None });
        }
        match &first {
            None => first = Some(answer),
            Some(f) if *f != answer => return Err(Error::PasswordsDoNotMatch),
            Some(_) => {}
        }
    }
    first
        .map(|p| Password::new(p.to_vec()))
        .ok_or(Error::EmptyPassword { source_desc: None })
}

/// Reads a password file, or runs it when it is executable.
fn read_password_source(path: &Path, label: &str, known: &Vault) -> Result<Password, Error> {
    let path = &absolute(path);
    let meta = std::fs::metadata(path).map_err(|_| {
        Error::PasswordSource(format!(
            "The vault password file {} was not found",
            absolute(path).display()
        ))
    })?;
    if meta.is_dir() {
        return Err(Error::PasswordSource(format!(
            "The vault password file provided '{}' can not be a directory",
            absolute(path).display()
        )));
    }
    if meta.permissions().mode() & 0o111 != 0 {
        return run_password_script(path, label);
    }
    let raw = Zeroizing::new(std::fs::read(path).map_err(|e| {
        Error::PasswordSource(format!(
            "Could not read vault password file '{}': {e}",
            path.display()
        ))
    })?);
    let stripped = raw.trim_ascii();
    let opened;
    let content: &[u8] = if super::envelope::is_vault_text(stripped) {
        opened = known.decrypt(stripped, Some(&path.display().to_string()))?;
        &opened.plaintext
    } else {
        stripped
    };
    let password = trim_crlf(content);
    if password.is_empty() {
        return Err(Error::EmptyPassword {
            source_desc: Some(format!("file ({})", path.display())),
        });
    }
    Ok(Password::new(password.to_vec()))
}

/// Runs a password script; its stdout, less surrounding CR/LF, is the password. Scripts named
/// `*-client` (before any extension) are asked for the vault id with `--vault-id LABEL`.
fn run_password_script(path: &Path, label: &str) -> Result<Password, Error> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let client = stem.ends_with("-client");
    let mut cmd = Command::new(path);
    cmd.stdin(Stdio::inherit()).stdout(Stdio::piped());
    if client {
        cmd.arg("--vault-id").arg(label).stderr(Stdio::piped());
    } else {
        cmd.stderr(Stdio::inherit());
    }
    let kind = if client { "client script" } else { "script" };
    let out = cmd.output().map_err(|e| {
        Error::PasswordSource(format!(
            "Problem running vault password {kind} {} ({e}). If this is not a script, remove the executable bit from the file.",
            path.display()
        ))
    })?;
    let stdout = Zeroizing::new(out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).trim_end().to_string();
    match out.status.code() {
        Some(0) => {}
        Some(2) if client => {
            return Err(Error::PasswordSource(format!(
            "Vault password client script {} did not find a secret for vault-id={label}: {stderr}",
            path.display()
        )))
        }
        rc => {
            let rc = rc.map_or_else(|| "signal".to_string(), |c| c.to_string());
            return Err(Error::PasswordSource(if client {
                format!(
                    "Vault password client script {} returned non-zero ({rc}) when getting secret for vault-id={label}: {stderr}",
                    path.display()
                )
            } else {
                format!(
                    "Vault password script {} returned non-zero ({rc})",
                    path.display()
                )
            }));
        }
    }
    let password = trim_crlf(&stdout);
    if password.is_empty() {
        return Err(Error::EmptyPassword {
            source_desc: Some(format!("script ({})", path.display())),
        });
    }
    Ok(Password::new(password.to_vec()))
}

fn trim_crlf(mut bytes: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b'\r' | b'\n'] = bytes {
        bytes = rest;
    }
    bytes
}

/// `~` expanded and made absolute, as ansible-core's `unfrackpath` does for password sources.
fn absolute(path: &Path) -> PathBuf {
    let text = path.to_string_lossy();
    let expanded = match (text.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ if text == "~" => {
            std::env::var_os("HOME").map_or_else(|| path.to_path_buf(), PathBuf::from)
        }
        _ => path.to_path_buf(),
    };
    std::path::absolute(&expanded).unwrap_or(expanded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Answers prompts from a list and records what was asked.
    struct Scripted {
        answers: RefCell<Vec<&'static str>>,
        asked: RefCell<Vec<String>>,
    }

    impl Scripted {
        fn new(answers: &[&'static str]) -> Self {
            Scripted {
                answers: RefCell::new(answers.iter().rev().copied().collect()),
                asked: RefCell::new(vec![]),
            }
        }
    }

    impl Prompter for Scripted {
        fn ask_hidden(&self, prompt: &str) -> std::io::Result<Option<Zeroizing<String>>> {
            self.asked.borrow_mut().push(prompt.to_string());
            Ok(self
                .answers
                .borrow_mut()
                .pop()
                .map(|a| Zeroizing::new(a.to_string())))
        }
    }

    #[test]
    fn spec_order_follows_ansible() {
        let opts = VaultOptions {
            vault_ids: vec!["prod@/p".into()],
            password_files: vec!["/f".into()],
            identity_list: vec!["dev@/d".into()],
            config_password_file: Some("/c".into()),
            ask_vault_pass: true,
            ..Default::default()
        };
        assert_eq!(
            vault_id_specs(&opts, false),
            [
                "dev@/d",
                "prod@/p",
                "default@/f",
                "default@/c",
                "default@prompt_ask_vault_pass"
            ]
        );
        assert_eq!(
            vault_id_specs(&VaultOptions::default(), false),
            Vec::<String>::new()
        );
        assert_eq!(
            vault_id_specs(&VaultOptions::default(), true),
            ["default@prompt_ask_vault_pass"]
        );
        assert_eq!(split_vault_id("a@b@c"), (Some("a"), "b@c"));
        assert_eq!(split_vault_id("file"), (None, "file"));
    }

    #[test]
    fn prompts_use_ansible_wording_and_confirm() {
        let p = Scripted::new(&["  pw \n", "pw"]);
        let opts = VaultOptions {
            vault_ids: vec!["prod@prompt".into()],
            ..Default::default()
        };
        let loaded = load_secrets(&opts, Purpose::NewPassword, true, &p).expect("loads");
        assert_eq!(loaded.secrets.labels(), ["prod"]);
        assert_eq!(
            *p.asked.borrow(),
            [
                "New vault password (prod): ",
                "Confirm new vault password (prod): "
            ]
        );

        let p = Scripted::new(&["a", "b"]);
        let opts = VaultOptions {
            ask_vault_pass: true,
            ..Default::default()
        };
        let err = load_secrets(&opts, Purpose::NewPassword, true, &p).err();
        assert!(matches!(err, Some(Error::PasswordsDoNotMatch)));
        assert_eq!(
            *p.asked.borrow(),
            ["New Vault password: ", "Confirm New Vault password: "]
        );

        let p = Scripted::new(&[]);
        let err = load_secrets(&opts, Purpose::Decrypt, true, &p)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("EOFError (ctrl-d) on prompt for (default)")
        );
        assert_eq!(*p.asked.borrow(), ["Vault password: "]);
    }

    #[test]
    fn files_scripts_and_failures() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("pass");
        std::fs::write(&file, "  secret \r\n").expect("write");
        let script = dir.path().join("get-pass.sh");
        std::fs::write(&script, "#!/bin/sh\nprintf 'from-script\\n'\n").expect("write");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let client = dir.path().join("keyring-client.py");
        std::fs::write(&client, "#!/bin/sh\n[ \"$1\" = --vault-id ] && [ \"$2\" = prod ] && echo client-pw && exit 0\necho unknown >&2; exit 2\n").expect("write");
        std::fs::set_permissions(&client, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let missing = dir.path().join("missing");
        let opts = VaultOptions {
            vault_ids: vec![
                format!("prod@{}", client.display()),
                format!("s@{}", script.display()),
                format!("m@{}", missing.display()),
            ],
            password_files: vec![file.clone()],
            ..Default::default()
        };
        let loaded =
            load_secrets(&opts, Purpose::Decrypt, false, &Scripted::new(&[])).expect("loads");
        assert_eq!(loaded.secrets.labels(), ["prod", "s", "default"]);
        assert_eq!(loaded.warnings.len(), 1);
        assert!(
            loaded.warnings[0].contains("was not found"),
            "{:?}",
            loaded.warnings
        );
        let pw: Vec<Vec<u8>> = loaded
            .secrets
            .candidates(Some("prod"))
            .map(|s| s.password.bytes().to_vec())
            .collect();
        assert_eq!(
            pw,
            [
                b"client-pw".to_vec(),
                b"from-script".to_vec(),
                b"secret".to_vec()
            ]
        );

        let only_missing = VaultOptions {
            password_files: vec![missing],
            ..Default::default()
        };
        let err = load_secrets(&only_missing, Purpose::Decrypt, false, &Scripted::new(&[])).err();
        assert!(err.is_some_and(|e| e.to_string().contains("was not found")));

        let wrong_id = VaultOptions {
            vault_ids: vec![format!("dev@{}", client.display())],
            ..Default::default()
        };
        let err = load_secrets(&wrong_id, Purpose::Decrypt, false, &Scripted::new(&[])).err();
        assert!(err.is_some_and(|e| e
            .to_string()
            .contains("did not find a secret for vault-id=dev")));

        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n\n").expect("write");
        let opts = VaultOptions {
            password_files: vec![empty],
            ..Default::default()
        };
        let err = load_secrets(&opts, Purpose::Decrypt, false, &Scripted::new(&[])).err();
        assert!(err.is_some_and(|e| e
            .to_string()
            .starts_with("Invalid vault password was provided from file")));
    }

    #[test]
    fn a_vaulted_password_file_opens_with_earlier_secrets() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = dir.path().join("first");
        std::fs::write(&first, "outer\n").expect("write");
        let secret = super::super::secrets::VaultSecret {
            label: "default".into(),
            password: Password::new(b"outer".to_vec()),
        };
        let inner = dir.path().join("inner");
        std::fs::write(
            &inner,
            Vault::encrypt(b"inner-pw\n", &secret).expect("encrypts"),
        )
        .expect("write");
        let opts = VaultOptions {
            vault_ids: vec![
                format!("a@{}", first.display()),
                format!("b@{}", inner.display()),
            ],
            ..Default::default()
        };
        let loaded =
            load_secrets(&opts, Purpose::Decrypt, false, &Scripted::new(&[])).expect("loads");
        let pw: Vec<Vec<u8>> = loaded
            .secrets
            .candidates(Some("b"))
            .map(|s| s.password.bytes().to_vec())
            .collect();
        assert_eq!(pw[0], b"inner-pw".to_vec());
    }
}
