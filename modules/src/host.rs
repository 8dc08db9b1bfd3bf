//! The narrow interfaces a module may use: [`Host`] for the managed host, [`Controller`] for the
//! machine rplay runs on. The connection layer implements `Host` (SSH, local); the engine
//! implements `Controller`. Privilege escalation (become) is already bound into the `Host` handle a
//! module receives, so modules never deal with sudo/su.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::Value;

/// A POSIX shell script to run on the host with `/bin/sh`.
#[derive(Debug, Clone, Default)]
pub struct Command {
    /// The script text, interpreted by `/bin/sh`. Never contains secrets: pass those on `stdin`.
    pub script: String,
    /// Bytes fed to the script's standard input.
    pub stdin: Option<Vec<u8>>,
    /// Extra environment variables for the script.
    pub env: Vec<(String, String)>,
    /// Working directory; the login user's home when `None`.
    pub cwd: Option<String>,
}

impl Command {
    /// A command that runs `script` with no stdin, env or cwd.
    pub fn new(script: impl Into<String>) -> Self {
        Command {
            script: script.into(),
            ..Default::default()
        }
    }
}

/// What a finished script left behind.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Exit status (128+N when killed by signal N).
    pub rc: i32,
    /// Captured standard output.
    pub stdout: Vec<u8>,
    /// Captured standard error.
    pub stderr: Vec<u8>,
}

impl Output {
    /// Standard output as (lossy) UTF-8.
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    /// Standard error as (lossy) UTF-8.
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// File contents to send to a host.
#[derive(Debug, Clone)]
pub enum Content {
    /// Contents held in memory (small files, rendered templates).
    Bytes(Vec<u8>),
    /// A controller-side file, streamed with bounded memory.
    LocalFile(PathBuf),
}

/// Attributes applied to a file before it is renamed into place.
#[derive(Debug, Clone, Default)]
pub struct FileAttrs {
    /// Octal mode such as `0644` (already resolved from symbolic forms).
    pub mode: Option<String>,
    /// Owner name or uid.
    pub owner: Option<String>,
    /// Group name or gid.
    pub group: Option<String>,
}

/// Why talking to a host failed. `Unreachable` marks the host UNREACHABLE; the rest fail the task.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The host cannot be reached (connect, auth, host key, dropped connection).
    #[error("{0}")]
    Unreachable(String),
    /// Privilege escalation failed (wrong password, no sudo...).
    #[error("{0}")]
    Become(String),
    /// A transfer or remote I/O failed.
    #[error("{0}")]
    Io(String),
}

/// A managed host, as a module sees it. Every call costs at least one round trip: modules batch
/// their queries into one script.
#[async_trait]
pub trait Host: Send + Sync {
    /// The inventory name of the host.
    fn name(&self) -> &str;
    /// Runs a POSIX shell script and waits for it.
    async fn run(&self, cmd: Command) -> Result<Output, HostError>;
    /// Writes a file atomically: temp file in the destination directory, attributes applied, rename.
    async fn put_file(
        &self,
        dest: &str,
        content: Content,
        attrs: &FileAttrs,
    ) -> Result<(), HostError>;
    /// Reads a whole file.
    async fn get_file(&self, path: &str) -> Result<Vec<u8>, HostError>;
    /// Drops the connection to the host with its shells and opens a new one (one attempt, within
    /// `timeout` when given), e.g. after the host rebooted; later calls and later tasks use the
    /// new connection. Hosts without a connection to renew (local) keep this default.
    async fn reconnect(&self, _timeout: Option<std::time::Duration>) -> Result<(), HostError> {
        Ok(())
    }
    /// Whether this is the controller itself (`connection: local`), which e.g. `reboot` refuses.
    fn is_controller(&self) -> bool {
        false
    }
}

/// The controller side of a task: files shipped with the playbook and the task's variables.
/// The engine builds one per host and task.
pub trait Controller: Send + Sync {
    /// Finds a controller-side file the way Ansible does for `kind` (`files`, `templates`, `vars`,
    /// `tasks`): role directory first, then the playbook directory; absolute paths as they are.
    fn find_file(&self, kind: &str, name: &str) -> Result<PathBuf, String>;
    /// Renders a Jinja2 template file with the task's variables.
    fn render_template(&self, path: &std::path::Path) -> Result<String, String>;
    /// Evaluates a Jinja2 expression (e.g. `debug: var=...`) with the task's variables.
    fn eval(&self, expr: &str) -> Result<Value, String>;
    /// Decrypts the text of a vault-encrypted file (`$ANSIBLE_VAULT;...`) with the run's vault
    /// secrets. Controllers without secrets keep this default.
    fn decrypt_vault(&self, _text: &str) -> Result<String, String> {
        Err("Attempting to decrypt but no vault secrets found".to_string())
    }
    /// Where background jobs (`async`) keep their results files on the host: the
    /// `ansible_async_dir` variable, `ANSIBLE_ASYNC_DIR` or `[defaults] async_dir`.
    fn async_dir(&self) -> String {
        crate::job::DEFAULT_ASYNC_DIR.to_string()
    }
    /// Loads a YAML or JSON variables file (vaulted values decrypted) as a mapping, for
    /// `include_vars`. Controllers that cannot parse YAML keep this default.
    fn load_vars(&self, path: &std::path::Path) -> Result<Value, String> {
        Err(format!(
            "cannot load variables from {}: this controller does not read variable files",
            path.display()
        ))
    }
}
