//! Options shared by `rplay` and `radhoc`, with ansible-playbook's and ansible's names: inventory,
//! limit, extra vars, forks, check/diff, connection and become options, verbosity.

use clap::{ArgAction, Args};

/// Inventory, variables and execution options common to both programs.
#[derive(Debug, Clone, Args, Default)]
pub struct RunArgs {
    /// Inventory source: file, directory or comma-separated host list (repeatable).
    #[arg(short = 'i', long = "inventory", value_name = "INVENTORY", action = ArgAction::Append)]
    pub inventory: Vec<String>,
    /// Directories of the project's own modules, searched before the `library` setting's
    /// (colon-separated, repeatable).
    #[arg(short = 'M', long = "module-path", value_name = "MODULE_PATH", action = ArgAction::Append)]
    pub module_path: Vec<String>,
    /// Further limit selected hosts to an additional pattern.
    #[arg(short = 'l', long = "limit", value_name = "SUBSET")]
    pub limit: Option<String>,
    /// Extra variables: key=value pairs, YAML/JSON, or @file (repeatable).
    #[arg(short = 'e', long = "extra-vars", value_name = "EXTRA_VARS", action = ArgAction::Append)]
    pub extra_vars: Vec<String>,
    /// Number of hosts worked on in parallel.
    #[arg(short = 'f', long = "forks", value_name = "FORKS")]
    pub forks: Option<usize>,
    /// Do not change anything; report what would change.
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Show the differences made to files and templates.
    #[arg(short = 'D', long = "diff")]
    pub diff: bool,
    /// More output (-v to -vvvv).
    #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
    pub verbose: u8,
    /// Vault password file (repeatable).
    #[arg(long = "vault-password-file", alias = "vault-pass-file", action = ArgAction::Append)]
    pub vault_password_file: Vec<String>,
    /// Vault identity, `label@source` (repeatable).
    #[arg(long = "vault-id", action = ArgAction::Append)]
    pub vault_id: Vec<String>,
    /// Ask for the vault password.
    #[arg(short = 'J', long = "ask-vault-password", alias = "ask-vault-pass")]
    pub ask_vault_pass: bool,
    /// List the hosts that would be targeted and exit.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
    /// Output format: `default` (Ansible's lines) or `json` (one document at the end).
    #[arg(long = "output", value_name = "FORMAT", default_value = "default")]
    pub output: String,
    /// Also write a JSON Lines event stream to this file.
    #[arg(long = "events", value_name = "FILE")]
    pub events: Option<String>,
}

/// How to connect to hosts.
#[derive(Debug, Clone, Args, Default)]
pub struct ConnectionArgs {
    /// Connect as this user.
    #[arg(short = 'u', long = "user", value_name = "REMOTE_USER")]
    pub user: Option<String>,
    /// Ask for the connection password.
    #[arg(short = 'k', long = "ask-pass")]
    pub ask_pass: bool,
    /// Read the connection password from this file (run it if executable; `-` is stdin).
    #[arg(
        long = "connection-password-file",
        alias = "conn-pass-file",
        value_name = "CONNECTION_PASSWORD_FILE"
    )]
    pub connection_password_file: Option<String>,
    /// Connection type (ssh, local).
    #[arg(short = 'c', long = "connection", value_name = "CONNECTION")]
    pub connection: Option<String>,
    /// Connection timeout in seconds.
    #[arg(short = 'T', long = "timeout", value_name = "TIMEOUT")]
    pub timeout: Option<u64>,
    /// Private key file for SSH.
    #[arg(
        long = "private-key",
        alias = "key-file",
        value_name = "PRIVATE_KEY_FILE"
    )]
    pub private_key: Option<String>,
    /// Extra arguments for every SSH connection (accepted for compatibility).
    #[arg(long = "ssh-common-args", value_name = "SSH_COMMON_ARGS")]
    pub ssh_common_args: Option<String>,
    /// Extra arguments for ssh (accepted for compatibility).
    #[arg(long = "ssh-extra-args", value_name = "SSH_EXTRA_ARGS")]
    pub ssh_extra_args: Option<String>,
}

/// Privilege escalation options.
#[derive(Debug, Clone, Args, Default)]
pub struct PrivilegeArgs {
    /// Run operations with become.
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// Privilege escalation method.
    #[arg(long = "become-method", value_name = "BECOME_METHOD")]
    pub become_method: Option<String>,
    /// Run operations as this user.
    #[arg(long = "become-user", value_name = "BECOME_USER")]
    pub become_user: Option<String>,
    /// Ask for the privilege escalation password.
    #[arg(short = 'K', long = "ask-become-pass")]
    pub ask_become_pass: bool,
    /// Read the privilege escalation password from this file (run it if executable; `-` is
    /// stdin).
    #[arg(
        long = "become-password-file",
        alias = "become-pass-file",
        value_name = "BECOME_PASSWORD_FILE"
    )]
    pub become_password_file: Option<String>,
}
