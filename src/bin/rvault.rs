//! `rvault`: ansible-vault's command line on rplay's vault library. Same subcommands, options,
//! prompts, output format and exit codes (1 for errors, 5 for bad options), so scripts written for
//! `ansible-vault` work unchanged. Plaintext never lands on disk except where the user asks for it
//! (`decrypt`, `--output`); `edit`/`create` use a private scratch file wiped afterwards.

use std::io::{IsTerminal, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use zeroize::Zeroizing;

use rplay::vault::edit_session::EditSession;
use rplay::vault::{
    load_secrets, Error, LoadedSecrets, Purpose, TerminalPrompter, Vault, VaultOptions,
    VaultSecret, VaultSecrets, CIPHER_AES256,
};

/// Encryption/decryption utility for Ansible data files.
#[derive(Parser, Debug)]
#[command(
    name = "rvault",
    version,
    about = "encryption/decryption utility for Ansible data files"
)]
struct Cli {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Create new vault encrypted file
    Create {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        encrypt_id: EncryptId,
        /// Allows the editor to be opened when no tty is attached
        #[arg(long)]
        skip_tty_check: bool,
        /// Filename
        #[arg(value_name = "file_name")]
        files: Vec<PathBuf>,
    },
    /// Decrypt vault encrypted file or string
    Decrypt {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        output: Output,
        /// Filename
        #[arg(value_name = "file_name")]
        files: Vec<PathBuf>,
    },
    /// Edit vault encrypted file
    Edit {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        encrypt_id: EncryptId,
        /// Filename
        #[arg(value_name = "file_name")]
        files: Vec<PathBuf>,
    },
    /// View vault encrypted file
    View {
        #[command(flatten)]
        common: Common,
        /// Filename
        #[arg(value_name = "file_name")]
        files: Vec<PathBuf>,
    },
    /// Encrypt YAML file
    Encrypt {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        encrypt_id: EncryptId,
        /// Filename
        #[arg(value_name = "file_name")]
        files: Vec<PathBuf>,
    },
    /// Encrypt a string
    #[command(name = "encrypt_string")]
    EncryptString {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        encrypt_id: EncryptId,
        /// Prompt for the string to encrypt
        #[arg(short = 'p', long = "prompt")]
        prompt: bool,
        /// Do not hide input when prompted for the string to encrypt
        #[arg(long)]
        show_input: bool,
        /// Specify the variable name
        #[arg(short = 'n', long = "name", action = clap::ArgAction::Append)]
        names: Vec<String>,
        /// Specify the variable name for stdin
        #[arg(long)]
        stdin_name: Option<String>,
        /// String to encrypt
        #[arg(value_name = "string_to_encrypt")]
        strings: Vec<String>,
    },
    /// Re-key a vault encrypted file
    Rekey {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        encrypt_id: EncryptId,
        /// New vault password file for rekey
        #[arg(long, conflicts_with = "new_vault_id")]
        new_vault_password_file: Option<PathBuf>,
        /// The new vault identity to use for rekey
        #[arg(long)]
        new_vault_id: Option<String>,
        /// Filename
        #[arg(value_name = "file_name")]
        files: Vec<PathBuf>,
    },
}

/// Options every subcommand takes.
#[derive(Args, Debug)]
struct Common {
    /// The vault identity to use ([label@]source; source is a file, a script or `prompt`)
    #[arg(long = "vault-id", action = clap::ArgAction::Append)]
    vault_ids: Vec<String>,
    /// Ask for vault password
    #[arg(
        short = 'J',
        long = "ask-vault-password",
        visible_alias = "ask-vault-pass",
        conflicts_with = "vault_password_files"
    )]
    ask_vault_pass: bool,
    /// Vault password file (or executable printing the password)
    #[arg(long = "vault-password-file", visible_alias = "vault-pass-file", action = clap::ArgAction::Append)]
    vault_password_files: Vec<PathBuf>,
    /// Causes output to be more verbose (accepted for compatibility)
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    verbosity: u8,
}

#[derive(Args, Debug)]
struct Output {
    /// Output file name for encrypt or decrypt; use - for stdout
    #[arg(long = "output")]
    output_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct EncryptId {
    /// The vault id used to encrypt (required if more than one vault-id is provided)
    #[arg(long = "encrypt-vault-id")]
    encrypt_vault_id: Option<String>,
}

/// A failure and the exit code it maps to (ansible-core: 5 for option errors, 1 otherwise).
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn options(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 5,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e {
            Error::InvalidVaultId(_)
            | Error::AmbiguousEncryptId(_)
            | Error::PasswordRequired
            | Error::EmptyPassword { .. } => 5,
            _ => 1,
        };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

type Result<T> = std::result::Result<T, Failure>;

/// Settings that ansible-vault takes from ansible.cfg / the environment.
struct Config {
    identity_list: Vec<String>,
    password_file: Option<PathBuf>,
    default_identity: String,
    encrypt_identity: Option<String>,
    id_match: bool,
    editor: String,
}

impl Config {
    /// ansible.cfg (found as Ansible finds it) and `ANSIBLE_*` variables, environment first.
    fn load() -> Result<Self> {
        let settings = rplay::config::Settings::load().map_err(|d| Failure {
            message: d.to_string(),
            code: 1,
        })?;
        for warning in &settings.warnings {
            eprintln!("[WARNING]: {warning}");
        }
        // Vault settings the shared `Settings` does not carry: read beside it, same precedence.
        let file = match &settings.config_file {
            Some(path) => Some(rplay::config::ConfigFile::read(path).map_err(|d| Failure {
                message: d.to_string(),
                code: 1,
            })?),
            None => None,
        };
        let setting = |env: &str, key: &str| {
            std::env::var(env)
                .ok()
                .or_else(|| {
                    file.as_ref()
                        .and_then(|f| f.get("defaults", key))
                        .map(|v| v.value.clone())
                })
                .filter(|v| !v.trim().is_empty())
        };
        Ok(Config {
            identity_list: settings.vault_identity_list.clone(),
            password_file: settings.vault_password_file.clone(),
            default_identity: setting("ANSIBLE_VAULT_IDENTITY", "vault_identity")
                .unwrap_or_else(|| rplay::vault::DEFAULT_VAULT_ID.into()),
            encrypt_identity: setting("ANSIBLE_VAULT_ENCRYPT_IDENTITY", "vault_encrypt_identity"),
            id_match: setting("ANSIBLE_VAULT_ID_MATCH", "vault_id_match").is_some_and(|v| {
                matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "1" | "true" | "yes" | "on" | "y" | "t"
                )
            }),
            editor: std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| "vi".into()),
        })
    }

    fn options(&self, common: &Common) -> VaultOptions {
        VaultOptions {
            vault_ids: common.vault_ids.clone(),
            password_files: common
                .vault_password_files
                .iter()
                .map(|p| expand_path(p))
                .collect(),
            ask_vault_pass: common.ask_vault_pass,
            identity_list: self.identity_list.clone(),
            config_password_file: self.password_file.clone(),
            default_identity: self.default_identity.clone(),
            id_match: self.id_match,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // As ansible-vault: everything this process creates is private to the user.
    // SAFETY: umask only changes this process's file-creation mask; no threads exist yet.
    unsafe {
        libc::umask(0o077);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("[ERROR]: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let config = Config::load()?;
    match cli.action {
        Action::Create {
            common,
            encrypt_id,
            skip_tty_check,
            files,
        } => {
            check_ids(&common)?;
            let (secret, id) = encrypt_secret(&config, &common, &encrypt_id)?;
            let [file] = files.as_slice() else {
                return Err(Failure::options(
                    "ansible-vault create can take only one filename argument",
                ));
            };
            if !(std::io::stdout().is_terminal() || skip_tty_check) {
                return Err(Failure::options("not a tty, editor cannot be opened"));
            }
            create(&config, file, &secret, id.as_deref())
        }
        Action::Decrypt {
            common,
            output,
            files,
        } => {
            check_ids(&common)?;
            check_output(&output, files.len())?;
            let vault = Vault::new(decrypt_secrets(&config, &common)?);
            if files.is_empty() && std::io::stdin().is_terminal() {
                eprintln!("Reading ciphertext input from stdin");
            }
            // Decrypt everything first: a wrong password for one file changes no file.
            let mut results = Vec::new();
            for file in inputs(&files) {
                let data = read_input(&file)?;
                let name = display_name(&file, true);
                let found = vault.decrypt(&data, None).map_err(|e| for_file(e, &name))?;
                let target = output.output_file.clone().unwrap_or_else(|| file.clone());
                results.push((target, found.plaintext));
            }
            for (target, plaintext) in results {
                write_output(&target, &plaintext, Mode::Private)?;
            }
            if std::io::stdout().is_terminal() {
                eprintln!("Decryption successful");
            }
            Ok(())
        }
        Action::View { common, files } => {
            check_ids(&common)?;
            let vault = Vault::new(decrypt_secrets(&config, &common)?);
            for file in &files {
                let data = read_input(file)?;
                let found = vault
                    .decrypt(&data, None)
                    .map_err(|e| for_file(e, &display_name(file, false)))?;
                page(&found.plaintext)?;
            }
            Ok(())
        }
        Action::Edit {
            common,
            encrypt_id: _,
            files,
        } => {
            check_ids(&common)?;
            let vault = Vault::new(decrypt_secrets(&config, &common)?);
            for file in &files {
                edit(&config, &vault, file)?;
            }
            Ok(())
        }
        Action::Encrypt {
            common,
            output,
            encrypt_id,
            files,
        } => {
            check_ids(&common)?;
            check_output(&output, files.len())?;
            let (secret, id) = encrypt_secret(&config, &common, &encrypt_id)?;
            if files.is_empty() && std::io::stdin().is_terminal() {
                eprintln!("Reading plaintext input from stdin");
            }
            // Encrypt everything first: a file that is already vaulted changes no file.
            let mut results = Vec::new();
            for file in inputs(&files) {
                let data = read_input(&file)?;
                let text = Vault::encrypt_as(&data, &secret, id.as_deref())
                    .map_err(|e| for_file(e, &display_name(&file, true)))?;
                let target = output.output_file.clone().unwrap_or_else(|| file.clone());
                results.push((target, text));
            }
            for (target, text) in results {
                write_output(&target, text.as_bytes(), Mode::PrivateShredOld)?;
            }
            if std::io::stdout().is_terminal() {
                eprintln!("Encryption successful");
            }
            Ok(())
        }
        Action::EncryptString {
            common,
            output,
            encrypt_id,
            prompt,
            show_input,
            names,
            stdin_name,
            strings,
        } => {
            check_ids(&common)?;
            let read_stdin = strings.iter().any(|s| s == "-")
                || stdin_name.is_some()
                || (strings.is_empty() && !prompt);
            if prompt && read_stdin {
                return Err(Failure::options(
                    "The --prompt option is not supported if also reading input from stdin",
                ));
            }
            let (secret, id) = encrypt_secret(&config, &common, &encrypt_id)?;
            let request = StringRequest {
                prompt,
                show_input,
                read_stdin,
                names,
                stdin_name,
                strings,
            };
            encrypt_strings(
                request,
                &secret,
                id.as_deref(),
                output.output_file.as_deref(),
            )
        }
        Action::Rekey {
            common,
            encrypt_id,
            new_vault_password_file,
            new_vault_id,
            files,
        } => {
            check_ids(&common)?;
            let vault = Vault::new(decrypt_secrets(&config, &common)?);
            let encrypt_vault_id = encrypt_id
                .encrypt_vault_id
                .clone()
                .or_else(|| config.encrypt_identity.clone());
            let mut new_ids = Vec::new();
            if encrypt_vault_id.is_some() {
                new_ids.extend(config.identity_list.iter().cloned());
            }
            new_ids.extend(new_vault_id);
            let new_opts = VaultOptions {
                vault_ids: new_ids,
                password_files: new_vault_password_file
                    .iter()
                    .map(|p| expand_path(p))
                    .collect(),
                ask_vault_pass: common.ask_vault_pass,
                identity_list: Vec::new(),
                config_password_file: config.password_file.clone(),
                default_identity: config.default_identity.clone(),
                id_match: config.id_match,
            };
            let new = loaded(load_secrets(
                &new_opts,
                Purpose::NewPassword,
                true,
                &TerminalPrompter,
            )?);
            if new.is_empty() {
                return Err(Failure::options(
                    "A new vault password is required to use Ansible's Vault rekey",
                ));
            }
            let new_secret = match encrypt_vault_id.as_deref() {
                Some(id) => new.encrypt_secret(Some(id))?.clone(),
                None => new.first().cloned().ok_or(Error::PasswordRequired)?,
            };
            // Re-encrypt everything first: a file the old password cannot open changes no file.
            let mut results = Vec::new();
            for file in &files {
                let data = read_input(file)?;
                let found = vault
                    .decrypt(&data, None)
                    .map_err(|e| for_file(e, &display_name(file, true)))?;
                results.push((file, Vault::encrypt(&found.plaintext, &new_secret)?));
            }
            for (file, text) in results {
                let before = std::fs::metadata(file).ok();
                write_output(file, text.as_bytes(), Mode::Keep(before))?;
            }
            eprintln!("Rekey successful");
            Ok(())
        }
    }
}

/// Rejects vault ids with `;` (they would break the envelope header).
fn check_ids(common: &Common) -> Result<()> {
    match common.vault_ids.iter().find(|id| id.contains(';')) {
        Some(id) => Err(Error::InvalidVaultId(id.clone()).into()),
        None => Ok(()),
    }
}

fn check_output(output: &Output, inputs: usize) -> Result<()> {
    if output.output_file.is_some() && inputs > 1 {
        return Err(Failure::options(
            "At most one input file may be used with the --output option",
        ));
    }
    Ok(())
}

/// Prints warnings of a secrets load and returns the secrets.
fn loaded(l: LoadedSecrets) -> VaultSecrets {
    for w in &l.warnings {
        eprintln!("[WARNING]: {w}");
    }
    l.secrets
}

/// Secrets for reading (decrypt, view, edit, rekey); prompts when none were named.
fn decrypt_secrets(config: &Config, common: &Common) -> Result<VaultSecrets> {
    let secrets = loaded(load_secrets(
        &config.options(common),
        Purpose::Decrypt,
        true,
        &TerminalPrompter,
    )?);
    if secrets.is_empty() {
        return Err(Error::PasswordRequired.into());
    }
    Ok(secrets)
}

/// The secret to encrypt with, and the vault id to write (its label).
fn encrypt_secret(
    config: &Config,
    common: &Common,
    encrypt_id: &EncryptId,
) -> Result<(VaultSecret, Option<String>)> {
    let secrets = loaded(load_secrets(
        &config.options(common),
        Purpose::NewPassword,
        true,
        &TerminalPrompter,
    )?);
    let wanted = encrypt_id
        .encrypt_vault_id
        .clone()
        .or_else(|| config.encrypt_identity.clone());
    let secret = secrets.encrypt_secret(wanted.as_deref())?.clone();
    let id = Some(secret.label.clone());
    Ok((secret, id))
}

/// The files to work on; none means stdin (`-`).
fn inputs(files: &[PathBuf]) -> Vec<PathBuf> {
    if files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        files.to_vec()
    }
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How a file names itself in errors: real path for in-place actions, as given for `view`.
fn display_name(path: &Path, real: bool) -> String {
    if is_stdio(path) {
        return "<stdin>".into();
    }
    if real {
        if let Ok(p) = std::fs::canonicalize(path).or_else(|_| std::path::absolute(path)) {
            return p.display().to_string();
        }
    }
    path.display().to_string()
}

fn for_file(e: Error, name: &str) -> Failure {
    e.with_origin(name).into()
}

/// `~` expansion and absolute paths, as ansible-core's `unfrack_path` does for path options.
fn expand_path(path: &Path) -> PathBuf {
    let text = path.to_string_lossy();
    let expanded = match (text.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    };
    std::path::absolute(&expanded).unwrap_or(expanded)
}

fn read_input(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let mut data = Zeroizing::new(Vec::new());
    let res = if is_stdio(path) {
        std::io::stdin().read_to_end(&mut data).map(|_| ())
    } else {
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut data))
            .map(|_| ())
    };
    res.map_err(|e| Failure {
        message: format!(
            "Unable to read source file ({}): {e}",
            display_name(path, true)
        ),
        code: 1,
    })?;
    Ok(data)
}

/// The permissions of a rewritten file.
enum Mode {
    /// 0600 (encrypted or decrypted output, as ansible-vault writes it).
    Private,
    /// 0600, and the replaced file (plaintext) is overwritten with zeros first.
    PrivateShredOld,
    /// The mode and owner of the file before (edit, rekey).
    Keep(Option<std::fs::Metadata>),
}

/// Writes `data` to `target` (`-` = stdout): a temporary file beside it, synced, then renamed
/// over it, so a crash never leaves a half-written vault file.
fn write_output(target: &Path, data: &[u8], mode: Mode) -> Result<()> {
    if is_stdio(target) {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(data)
            .and_then(|()| out.flush())
            .map_err(|e| Failure {
                message: format!("Unable to write to stdout: {e}"),
                code: 1,
            });
    }
    // Like ansible-vault (which works on the real path), write through symlinks, keeping them.
    let resolved;
    let target = match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => {
            resolved = std::fs::canonicalize(target).map_err(|e| Failure {
                message: format!("Unable to resolve {}: {e}", target.display()),
                code: 1,
            })?;
            resolved.as_path()
        }
        _ => target,
    };
    let io_err = |what: &str, e: std::io::Error| Failure {
        message: format!("{what} {}: {e}", target.display()),
        code: 1,
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".rvault-")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(&dir)
        .map_err(|e| Failure {
            message: format!("Destination '{}' not writable: {e}", dir.display()),
            code: 1,
        })?;
    tmp.write_all(data)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| io_err("Unable to write", e))?;
    match &mode {
        Mode::Keep(Some(before)) => {
            let perms = std::fs::Permissions::from_mode(before.mode() & 0o7777);
            std::fs::set_permissions(tmp.path(), perms)
                .map_err(|e| io_err("Unable to set the mode of", e))?;
            // Keeping the owner needs privileges; without them the file stays the user's, as in ansible-vault.
            let _ = std::os::unix::fs::chown(tmp.path(), Some(before.uid()), Some(before.gid()));
        }
        Mode::PrivateShredOld => {
            if target.is_file() {
                overwrite_with_zeros(target);
            }
        }
        Mode::Private | Mode::Keep(None) => {}
    }
    tmp.persist(target)
        .map_err(|e| io_err("Unable to replace", e.error))?;
    Ok(())
}

fn overwrite_with_zeros(path: &Path) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(path) else {
        return;
    };
    let zeros = vec![0u8; meta.len().min(1 << 20) as usize];
    let mut left = meta.len();
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        if f.write_all(&zeros[..n]).is_err() {
            return;
        }
        left -= n as u64;
    }
    let _ = f.sync_all();
}

/// Shows plaintext: to stdout when it is not a terminal, else through `$PAGER` or `less`.
fn page(plaintext: &[u8]) -> Result<()> {
    let mut text = Zeroizing::new(plaintext.to_vec());
    if !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    if std::io::stdout().is_terminal() {
        let pager = std::env::var("PAGER")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "less".into());
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(&pager)
            .stdin(std::process::Stdio::piped());
        if pager.contains("less") {
            cmd.env("LESS", "FRSX");
        }
        if let Ok(mut child) = cmd.spawn() {
            if let Some(mut stdin) = child.stdin.take() {
                // A pager quit early (q) closes its input: not an error.
                let _ = stdin.write_all(&text);
            }
            let _ = child.wait();
            return Ok(());
        }
    }
    write_output(Path::new("-"), &text, Mode::Private)
}

/// `create`: an empty scratch file in the editor, encrypted into `file` afterwards.
fn create(config: &Config, file: &Path, secret: &VaultSecret, id: Option<&str>) -> Result<()> {
    if let Some(dir) = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        eprintln!("[WARNING]: {} does not exist, creating...", dir.display());
        std::fs::create_dir_all(dir).map_err(|e| Failure {
            message: format!("Unable to create {}: {e}", dir.display()),
            code: 1,
        })?;
    }
    if file.is_file() {
        return Err(Failure {
            message: format!("{} exists, please use 'edit' instead", file.display()),
            code: 1,
        });
    }
    let session = EditSession::start(file, b"")?;
    run_editor(config, session.path())?;
    let plaintext = session.read()?;
    session.wipe()?;
    let text = Vault::encrypt_as(&plaintext, secret, id)?;
    write_output(file, text.as_bytes(), Mode::Private)
}

/// `edit`: decrypt into a scratch file, run the editor, re-encrypt with the same secret and vault
/// id when the content changed.
fn edit(config: &Config, vault: &Vault, file: &Path) -> Result<()> {
    let name = display_name(file, true);
    let data = read_input(file)?;
    let found = vault.decrypt(&data, None).map_err(|e| for_file(e, &name))?;
    let envelope_id = rplay::vault::envelope_vault_id(&data);
    let old_cipher =
        String::from_utf8_lossy(data.split(|b| *b == b'\n').next().unwrap_or_default())
            .split(';')
            .nth(2)
            .map(|c| c.trim().to_string());
    let session = EditSession::start(file, &found.plaintext)?;
    run_editor(config, session.path())?;
    let edited = session.read()?;
    session.wipe()?;
    let force = old_cipher.as_deref() != Some(CIPHER_AES256);
    if !force && edited[..] == found.plaintext[..] {
        return Ok(());
    }
    let text = Vault::encrypt_as(&edited, &found.secret, envelope_id.as_deref())?;
    let before = std::fs::metadata(file).ok();
    write_output(file, text.as_bytes(), Mode::Keep(before))
}

/// Runs `$EDITOR` (split like a shell would) on `path` and waits for it.
fn run_editor(config: &Config, path: &Path) -> Result<()> {
    let words = shell_words::split(&config.editor).map_err(|e| Failure {
        message: format!("Cannot parse EDITOR '{}': {e}", config.editor),
        code: 1,
    })?;
    let Some((program, args)) = words.split_first() else {
        return Err(Failure {
            message: "EDITOR is empty".into(),
            code: 1,
        });
    };
    // While the editor runs, rvault must survive ^C, a closed terminal or a kill, so that the
    // scratch file is always wiped; the editor itself gets the default handlers back.
    let guard = SignalsIgnored::new();
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).arg(path);
    // SAFETY: only async-signal-safe calls (signal) between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            for sig in HANDLED_SIGNALS {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    let status = cmd.status();
    drop(guard);
    let status = status.map_err(|e| Failure {
        message: format!(
            "Unable to execute the command \"{} {}\": {e}",
            config.editor,
            path.display()
        ),
        code: 1,
    })?;
    use std::os::unix::process::ExitStatusExt;
    if let Some(signal) = status.signal() {
        return Err(Failure {
            message: format!("the editor was killed by signal {signal}; nothing was saved"),
            code: 1,
        });
    }
    if !status.success() {
        // ansible-vault ignores the editor's exit status (vim's :cq); so do we, but say so.
        eprintln!("[WARNING]: the editor exited with {status}");
    }
    Ok(())
}

/// Signals that would end rvault while the editor holds plaintext.
const HANDLED_SIGNALS: [libc::c_int; 4] =
    [libc::SIGINT, libc::SIGQUIT, libc::SIGHUP, libc::SIGTERM];

/// Ignores [`HANDLED_SIGNALS`] until dropped, then restores the previous handlers.
struct SignalsIgnored {
    previous: Vec<(libc::c_int, libc::sighandler_t)>,
}

impl SignalsIgnored {
    fn new() -> Self {
        let previous = HANDLED_SIGNALS
            .iter()
            // SAFETY: installing SIG_IGN is always valid; the old handler is kept to restore.
            .map(|&sig| (sig, unsafe { libc::signal(sig, libc::SIG_IGN) }))
            .collect();
        SignalsIgnored { previous }
    }
}

impl Drop for SignalsIgnored {
    fn drop(&mut self) {
        for &(sig, handler) in &self.previous {
            if handler != libc::SIG_ERR {
                // SAFETY: restores the handler that was installed before.
                unsafe {
                    libc::signal(sig, handler);
                }
            }
        }
    }
}

/// What `encrypt_string` was asked to encrypt.
struct StringRequest {
    prompt: bool,
    show_input: bool,
    read_stdin: bool,
    names: Vec<String>,
    stdin_name: Option<String>,
    strings: Vec<String>,
}

const FROM_STDIN: &str = "stdin";
const FROM_ARGS: &str = "the command line args";
const FROM_PROMPT: &str = "the interactive prompt";

/// `encrypt_string`: each plaintext as a `!vault |` YAML block (with `name: ` when named), in
/// ansible-vault's exact layout.
fn encrypt_strings(
    req: StringRequest,
    secret: &VaultSecret,
    id: Option<&str>,
    output: Option<&Path>,
) -> Result<()> {
    // (plaintext, where it came from, variable name)
    type Item<'a> = (Zeroizing<Vec<u8>>, &'a str, Option<String>);
    let mut items: Vec<Item> = Vec::new();
    if req.prompt {
        let name = prompt_visible("Variable name (enter for no name): ")?;
        let name = Some(name).filter(|n| !n.is_empty());
        let answer = if req.show_input {
            Zeroizing::new(prompt_visible("String to encrypt:")?)
        } else {
            use rplay::vault::Prompter;
            TerminalPrompter
                .ask_hidden("String to encrypt (hidden): ")
                .map_err(|e| Failure {
                    message: format!("prompt failed: {e}"),
                    code: 1,
                })?
                .unwrap_or_default()
        };
        if answer.is_empty() {
            return Err(Failure::options(
                "The plaintext provided from the prompt was empty, not encrypting",
            ));
        }
        items.push((
            Zeroizing::new(answer.as_bytes().to_vec()),
            FROM_PROMPT,
            name,
        ));
    }
    if req.read_stdin {
        if std::io::stdout().is_terminal() {
            eprintln!(
                "Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does not already have a newline)"
            );
        }
        let data = read_input(Path::new("-"))?;
        if data.is_empty() {
            return Err(Failure::options("stdin was empty, not encrypting"));
        }
        items.push((data, FROM_STDIN, req.stdin_name.clone()));
    }
    let args: Vec<&String> = req.strings.iter().filter(|s| *s != "-").collect();
    if !req.names.is_empty() && args.len() > req.names.len() {
        eprintln!("The number of --name options do not match the number of args.");
        eprintln!(
            "The last named variable will be \"{}\". The rest will not have names.",
            req.names.last().map(String::as_str).unwrap_or_default()
        );
    }
    for (i, text) in args.iter().enumerate() {
        if text.is_empty() {
            return Err(Failure::options(
                "The plaintext provided from the command line args was empty, not encrypting",
            ));
        }
        items.push((
            Zeroizing::new(text.as_bytes().to_vec()),
            FROM_ARGS,
            req.names.get(i).cloned(),
        ));
    }
    let several = items.len() > 1;
    let mut out = String::new();
    for (index, (plaintext, source, name)) in items.iter().enumerate() {
        let text = Vault::encrypt_as(plaintext, secret, id)?;
        if several {
            let n = index + 1;
            match name {
                Some(name) => eprintln!("# The encrypted version of variable (\"{name}\", the string #{n} from {source})."),
                None => eprintln!("# The encrypted version of the string #{n} from {source}.)"),
            }
        }
        if let Some(name) = name {
            out.push_str(name);
            out.push_str(": ");
        }
        out.push_str("!vault |");
        for line in text.lines() {
            out.push('\n');
            out.push_str("          ");
            out.push_str(line);
        }
        out.push('\n');
    }
    write_output(
        output.unwrap_or(Path::new("-")),
        out.as_bytes(),
        Mode::Private,
    )?;
    if std::io::stdout().is_terminal() {
        eprintln!("Encryption successful");
    }
    Ok(())
}

/// Reads one visible line from the terminal (a name, or a string with `--show-input`).
fn prompt_visible(prompt: &str) -> Result<String> {
    eprint!("{prompt}");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| Failure {
        message: format!("prompt failed: {e}"),
        code: 1,
    })?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
