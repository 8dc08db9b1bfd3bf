//! The resolved settings rplay uses, and how each one is read: `[section] key` in ansible.cfg,
//! its `ANSIBLE_*` environment variables (first set wins), its type and default.
//!
//! Precedence: environment > config file > default. Relative paths in path settings are
//! resolved against the config file's directory (Ansible does the same). Unknown keys in the
//! file are ignored, as Ansible ignores them; a known key with a bad value is an error naming
//! `file:line:col` (or the environment variable).

use std::path::{Path, PathBuf};

use super::file::{expand_home, find_config_file, ConfigFile};
use crate::diag::{Diagnostic, Span};

/// `hash_behaviour`: how dictionaries from different variable layers combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashBehaviour {
    /// A dictionary at a higher layer replaces the lower one (Ansible's default).
    #[default]
    Replace,
    /// Dictionaries are merged recursively; lists and scalars are replaced.
    Merge,
}

/// `gathering`: when facts are gathered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gathering {
    /// Gather unless the play says `gather_facts: false`.
    #[default]
    Implicit,
    /// Gather only when the play says `gather_facts: true`.
    Explicit,
    /// Gather once per host per run (or when the cache has none).
    Smart,
}

/// `host_pattern_mismatch`: what to do when a pattern matches nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PatternMismatch {
    /// Print a warning (default).
    #[default]
    Warning,
    /// Fail.
    Error,
    /// Say nothing.
    Ignore,
}

/// Every setting rplay reads from ansible.cfg and the environment, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The config file used, if any.
    pub config_file: Option<PathBuf>,
    /// `[defaults] inventory` / `ANSIBLE_INVENTORY`: inventory sources (paths or host lists).
    pub inventory: Vec<String>,
    /// `[defaults] remote_user` / `ANSIBLE_REMOTE_USER`.
    pub remote_user: Option<String>,
    /// `[defaults] remote_port` / `ANSIBLE_REMOTE_PORT`.
    pub remote_port: Option<u16>,
    /// `[defaults] host_key_checking` / `ANSIBLE_HOST_KEY_CHECKING`.
    pub host_key_checking: bool,
    /// `[defaults] forks` / `ANSIBLE_FORKS` (rplay's default is 50: its connections are cheap).
    pub forks: usize,
    /// `[defaults] roles_path` / `ANSIBLE_ROLES_PATH`.
    pub roles_path: Vec<PathBuf>,
    /// `[defaults] library` / `ANSIBLE_LIBRARY`: directories of the project's own modules; `None`
    /// for Ansible's defaults (see [`Settings::library_dirs`]).
    pub library: Option<Vec<PathBuf>>,
    /// `[privilege_escalation] become` / `ANSIBLE_BECOME`.
    pub become_: bool,
    /// `[privilege_escalation] become_method` / `ANSIBLE_BECOME_METHOD`.
    pub become_method: String,
    /// `[privilege_escalation] become_user` / `ANSIBLE_BECOME_USER`.
    pub become_user: String,
    /// `[privilege_escalation] become_ask_pass` / `ANSIBLE_BECOME_ASK_PASS`.
    pub become_ask_pass: bool,
    /// `[defaults] become_password_file` / `ANSIBLE_BECOME_PASSWORD_FILE`.
    pub become_password_file: Option<PathBuf>,
    /// `[defaults] ask_pass` / `ANSIBLE_ASK_PASS`.
    pub ask_pass: bool,
    /// `[defaults] connection_password_file` / `ANSIBLE_CONNECTION_PASSWORD_FILE`.
    pub connection_password_file: Option<PathBuf>,
    /// `[defaults] timeout` / `ANSIBLE_TIMEOUT`: connection timeout in seconds.
    pub timeout: u64,
    /// `[defaults] gathering` / `ANSIBLE_GATHERING`.
    pub gathering: Gathering,
    /// `[defaults] fact_caching` / `ANSIBLE_CACHE_PLUGIN`.
    pub fact_caching: String,
    /// `[defaults] fact_caching_connection` / `ANSIBLE_CACHE_PLUGIN_CONNECTION`.
    pub fact_caching_connection: Option<String>,
    /// `[defaults] fact_caching_timeout` / `ANSIBLE_CACHE_PLUGIN_TIMEOUT`.
    pub fact_caching_timeout: u64,
    /// `[defaults] fact_caching_prefix` / `ANSIBLE_CACHE_PLUGIN_PREFIX`.
    pub fact_caching_prefix: String,
    /// `[defaults] stdout_callback` / `ANSIBLE_STDOUT_CALLBACK`.
    pub stdout_callback: String,
    /// `[defaults] callbacks_enabled` (`callback_whitelist`) / `ANSIBLE_CALLBACKS_ENABLED`.
    pub callbacks_enabled: Vec<String>,
    /// `[defaults] log_path` / `ANSIBLE_LOG_PATH`.
    pub log_path: Option<PathBuf>,
    /// `[defaults] private_key_file` / `ANSIBLE_PRIVATE_KEY_FILE`.
    pub private_key_file: Option<PathBuf>,
    /// `[defaults] hash_behaviour` / `ANSIBLE_HASH_BEHAVIOUR`.
    pub hash_behaviour: HashBehaviour,
    /// `[ssh_connection] retries` / `ANSIBLE_SSH_RETRIES`.
    pub retries: u32,
    /// `[defaults] vault_password_file` / `ANSIBLE_VAULT_PASSWORD_FILE`.
    pub vault_password_file: Option<PathBuf>,
    /// `[defaults] vault_identity_list` / `ANSIBLE_VAULT_IDENTITY_LIST`.
    pub vault_identity_list: Vec<String>,
    /// `[defaults] any_errors_fatal` / `ANSIBLE_ANY_ERRORS_FATAL`.
    pub any_errors_fatal: bool,
    /// `[defaults] force_handlers` / `ANSIBLE_FORCE_HANDLERS`.
    pub force_handlers: bool,
    /// `[defaults] display_skipped_hosts` / `ANSIBLE_DISPLAY_SKIPPED_HOSTS`.
    pub display_skipped_hosts: bool,
    /// `[defaults] display_ok_hosts` / `ANSIBLE_DISPLAY_OK_HOSTS`.
    pub display_ok_hosts: bool,
    /// `[ssh_connection] pipelining` / `ANSIBLE_PIPELINING`.
    pub pipelining: bool,
    /// `[ssh_connection] ssh_args` / `ANSIBLE_SSH_ARGS`.
    pub ssh_args: Option<String>,
    /// `[defaults] remote_tmp` / `ANSIBLE_REMOTE_TEMP`.
    pub remote_tmp: String,
    /// `[defaults] async_dir` / `ANSIBLE_ASYNC_DIR`: where background jobs keep their results
    /// files on hosts (the `ansible_async_dir` variable wins).
    pub async_dir: String,
    /// `[defaults] poll_interval` / `ANSIBLE_POLL_INTERVAL`: `poll` of async tasks without one.
    pub poll_interval: u64,
    /// `[defaults] retry_files_enabled` / `ANSIBLE_RETRY_FILES_ENABLED`.
    pub retry_files_enabled: bool,
    /// `[defaults] strategy` / `ANSIBLE_STRATEGY`.
    pub strategy: String,
    /// `[defaults] transport` / `ANSIBLE_TRANSPORT`.
    pub transport: String,
    /// `[diff] always` / `ANSIBLE_DIFF_ALWAYS`.
    pub diff_always: bool,
    /// `[diff] context` / `ANSIBLE_DIFF_CONTEXT`.
    pub diff_context: usize,
    /// `[defaults] host_pattern_mismatch` / `ANSIBLE_HOST_PATTERN_MISMATCH`.
    pub host_pattern_mismatch: PatternMismatch,
    /// `[inventory] unparsed_is_failed` / `ANSIBLE_INVENTORY_UNPARSED_FAILED`.
    pub inventory_unparsed_is_failed: bool,
    /// `[inventory] ignore_extensions` / `ANSIBLE_INVENTORY_IGNORE`.
    pub inventory_ignore_extensions: Vec<String>,
    /// `[inventory] ignore_patterns` / `ANSIBLE_INVENTORY_IGNORE_REGEX`.
    pub inventory_ignore_patterns: Vec<String>,
    /// rplay: seconds a dynamic inventory script may run (`[inventory] script_timeout` /
    /// `RPLAY_INVENTORY_SCRIPT_TIMEOUT`).
    pub inventory_script_timeout: u64,
    /// `[defaults] precedence` / `ANSIBLE_PRECEDENCE`: order of the inventory group-vars steps.
    pub precedence: Vec<String>,
    /// `[defaults] private_role_vars` / `ANSIBLE_PRIVATE_ROLE_VARS`.
    pub private_role_vars: bool,
    /// `[defaults] inject_facts_as_vars` / `ANSIBLE_INJECT_FACT_VARS`.
    pub inject_facts_as_vars: bool,
    /// `[defaults] error_on_undefined_vars` / `ANSIBLE_ERROR_ON_UNDEFINED_VARS`.
    pub error_on_undefined_vars: bool,
    /// `[defaults] duplicate_dict_key` / `ANSIBLE_DUPLICATE_YAML_DICT_KEY`: warn, error, ignore.
    pub duplicate_yaml_dict_key: String,
    /// `[defaults] deprecation_warnings` / `ANSIBLE_DEPRECATION_WARNINGS`.
    pub deprecation_warnings: bool,
    /// `[defaults] interpreter_python` / `ANSIBLE_PYTHON_INTERPRETER`.
    pub interpreter_python: String,
    /// `[defaults] nocolor` / `ANSIBLE_NOCOLOR` (or `NO_COLOR`).
    pub nocolor: bool,
    /// `[defaults] force_color` / `ANSIBLE_FORCE_COLOR`.
    pub force_color: bool,
    /// `[defaults] ansible_managed`.
    pub ansible_managed: String,
    /// Warnings found while resolving (world-writable cwd, deprecated spellings).
    pub warnings: Vec<Diagnostic>,
}

/// Ansible's default `INVENTORY_IGNORE_EXTS`.
const DEFAULT_IGNORE_EXTS: &[&str] = &[
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
];

/// Ansible's default `VARIABLE_PRECEDENCE`.
pub(crate) const DEFAULT_PRECEDENCE: &[&str] = &[
    "all_inventory",
    "groups_inventory",
    "all_plugins_inventory",
    "all_plugins_play",
    "groups_plugins_inventory",
    "groups_plugins_play",
];

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            config_file: None,
            inventory: vec!["/etc/ansible/hosts".to_string()],
            remote_user: None,
            remote_port: None,
            host_key_checking: true,
            forks: 50,
            roles_path: Vec::new(),
            library: None,
            become_: false,
            become_method: "sudo".to_string(),
            become_user: "root".to_string(),
            become_ask_pass: false,
            become_password_file: None,
            ask_pass: false,
            connection_password_file: None,
            timeout: 10,
            gathering: Gathering::Implicit,
            fact_caching: "memory".to_string(),
            fact_caching_connection: None,
            fact_caching_timeout: 86_400,
            fact_caching_prefix: "ansible_facts".to_string(),
            stdout_callback: "default".to_string(),
            callbacks_enabled: Vec::new(),
            log_path: None,
            private_key_file: None,
            hash_behaviour: HashBehaviour::Replace,
            retries: 0,
            vault_password_file: None,
            vault_identity_list: Vec::new(),
            any_errors_fatal: false,
            force_handlers: false,
            display_skipped_hosts: true,
            display_ok_hosts: true,
            pipelining: false,
            ssh_args: None,
            remote_tmp: "~/.ansible/tmp".to_string(),
            async_dir: "~/.ansible_async".to_string(),
            poll_interval: 15,
            retry_files_enabled: false,
            strategy: "linear".to_string(),
            transport: "smart".to_string(),
            diff_always: false,
            diff_context: 3,
            host_pattern_mismatch: PatternMismatch::Warning,
            inventory_unparsed_is_failed: false,
            inventory_ignore_extensions: DEFAULT_IGNORE_EXTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            inventory_ignore_patterns: Vec::new(),
            inventory_script_timeout: 60,
            precedence: DEFAULT_PRECEDENCE.iter().map(|s| s.to_string()).collect(),
            private_role_vars: false,
            inject_facts_as_vars: true,
            error_on_undefined_vars: true,
            duplicate_yaml_dict_key: "warn".to_string(),
            deprecation_warnings: true,
            interpreter_python: "auto".to_string(),
            nocolor: false,
            force_color: false,
            ansible_managed: "Ansible managed".to_string(),
            warnings: Vec::new(),
        }
    }
}

/// Where a raw setting value came from, for error messages and relative paths.
enum Origin<'a> {
    Env(&'a str),
    File(&'a Span),
}

/// One setting: the `(section, key)` pairs that set it (first found wins), its environment
/// variables, and the field it fills.
struct Descriptor {
    ini: &'static [(&'static str, &'static str)],
    env: &'static [&'static str],
    apply: fn(&mut Settings, &str, &Resolver) -> Result<(), String>,
}

/// Helpers the `apply` functions use to interpret values.
struct Resolver<'a> {
    base_dir: Option<&'a Path>,
    home: Option<&'a Path>,
}

impl Settings {
    /// The module library directories: the `library` setting, else Ansible's defaults
    /// (`~/.ansible/plugins/modules`, `/usr/share/ansible/plugins/modules`).
    pub fn library_dirs(&self) -> Vec<PathBuf> {
        if let Some(dirs) = &self.library {
            return dirs.clone();
        }
        let mut out = Vec::new();
        if let Some(home) = std::env::var_os("HOME") {
            out.push(PathBuf::from(home).join(".ansible/plugins/modules"));
        }
        out.push(PathBuf::from("/usr/share/ansible/plugins/modules"));
        out
    }
}

impl Resolver<'_> {
    fn path(&self, value: &str) -> PathBuf {
        let path = expand_home(value, self.home);
        match self.base_dir {
            Some(base) if path.is_relative() => base.join(path),
            _ => path,
        }
    }
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "on" | "1" | "true" | "t" | "1.0" => Ok(true),
        "n" | "no" | "off" | "0" | "false" | "f" | "0.0" | "" => Ok(false),
        other => Err(format!(
            "'{other}' is not a valid boolean (use yes/no, true/false, on/off, 1/0)"
        )),
    }
}

fn parse_number<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value
        .trim()
        .parse::<T>()
        .map_err(|_| format!("'{}' is not a valid number", value.trim()))
}

/// Ansible's `list` type: comma-separated, items trimmed and unquoted, empty items dropped.
fn parse_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|item| {
            item.trim()
                .trim_matches(|c| c == '"' || c == '\'')
                .to_string()
        })
        .filter(|item| !item.is_empty())
        .collect()
}

fn non_empty(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

macro_rules! setting {
    ([$(($section:literal, $key:literal)),*], [$($env:literal),*], |$s:ident, $v:ident, $r:ident| $body:expr) => {
        Descriptor {
            ini: &[$(($section, $key)),*],
            env: &[$($env),*],
            apply: |$s: &mut Settings, $v: &str, $r: &Resolver| -> Result<(), String> {
                #[allow(unused_variables)]
                let _ = &$r;
                $body;
                Ok(())
            },
        }
    };
}

fn descriptors() -> Vec<Descriptor> {
    vec![
        setting!(
            [("defaults", "inventory"), ("defaults", "hostfile")],
            ["ANSIBLE_INVENTORY"],
            |s, v, r| {
                // A `pathlist`: comma-separated, each resolved like a path.
                s.inventory = parse_list(v)
                    .into_iter()
                    .map(|item| r.path(&item).to_string_lossy().to_string())
                    .collect()
            }
        ),
        setting!(
            [("defaults", "remote_user")],
            ["ANSIBLE_REMOTE_USER"],
            |s, v, r| s.remote_user = non_empty(v)
        ),
        setting!(
            [("defaults", "remote_port")],
            ["ANSIBLE_REMOTE_PORT"],
            |s, v, r| s.remote_port = Some(parse_number(v)?)
        ),
        setting!(
            [("defaults", "host_key_checking")],
            ["ANSIBLE_HOST_KEY_CHECKING"],
            |s, v, r| s.host_key_checking = parse_bool(v)?
        ),
        setting!([("defaults", "forks")], ["ANSIBLE_FORKS"], |s, v, r| {
            let forks: usize = parse_number(v)?;
            if forks == 0 {
                return Err("forks must be at least 1".to_string());
            }
            s.forks = forks
        }),
        setting!(
            [("defaults", "roles_path")],
            ["ANSIBLE_ROLES_PATH"],
            |s, v, r| {
                s.roles_path = v
                    .split([':', '\n'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| r.path(p))
                    .collect()
            }
        ),
        setting!([("defaults", "library")], ["ANSIBLE_LIBRARY"], |s, v, r| {
            s.library = Some(
                v.split([':', '\n'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| r.path(p))
                    .collect(),
            )
        }),
        setting!(
            [("privilege_escalation", "become")],
            ["ANSIBLE_BECOME"],
            |s, v, r| s.become_ = parse_bool(v)?
        ),
        setting!(
            [("privilege_escalation", "become_method")],
            ["ANSIBLE_BECOME_METHOD"],
            |s, v, r| s.become_method = v.trim().to_string()
        ),
        setting!(
            [("privilege_escalation", "become_user")],
            ["ANSIBLE_BECOME_USER"],
            |s, v, r| s.become_user = v.trim().to_string()
        ),
        setting!(
            [("privilege_escalation", "become_ask_pass")],
            ["ANSIBLE_BECOME_ASK_PASS"],
            |s, v, r| s.become_ask_pass = parse_bool(v)?
        ),
        setting!(
            [("defaults", "become_password_file")],
            ["ANSIBLE_BECOME_PASSWORD_FILE"],
            |s, v, r| s.become_password_file = non_empty(v).map(|p| r.path(&p))
        ),
        setting!(
            [("defaults", "ask_pass")],
            ["ANSIBLE_ASK_PASS"],
            |s, v, r| s.ask_pass = parse_bool(v)?
        ),
        setting!(
            [("defaults", "connection_password_file")],
            ["ANSIBLE_CONNECTION_PASSWORD_FILE"],
            |s, v, r| s.connection_password_file = non_empty(v).map(|p| r.path(&p))
        ),
        setting!(
            [
                ("defaults", "timeout"),
                ("persistent_connection", "connect_timeout")
            ],
            ["ANSIBLE_TIMEOUT"],
            |s, v, r| s.timeout = parse_number(v)?
        ),
        setting!(
            [("defaults", "gathering")],
            ["ANSIBLE_GATHERING"],
            |s, v, r| {
                s.gathering = match v.trim() {
                    "implicit" => Gathering::Implicit,
                    "explicit" => Gathering::Explicit,
                    "smart" => Gathering::Smart,
                    other => {
                        return Err(format!(
                            "'{other}' is not a valid gathering value (implicit, explicit, smart)"
                        ))
                    }
                }
            }
        ),
        setting!(
            [("defaults", "fact_caching")],
            ["ANSIBLE_CACHE_PLUGIN"],
            |s, v, r| s.fact_caching = v.trim().to_string()
        ),
        setting!(
            [("defaults", "fact_caching_connection")],
            ["ANSIBLE_CACHE_PLUGIN_CONNECTION"],
            |s, v, r| {
                s.fact_caching_connection =
                    non_empty(v).map(|p| r.path(&p).to_string_lossy().to_string())
            }
        ),
        setting!(
            [("defaults", "fact_caching_timeout")],
            ["ANSIBLE_CACHE_PLUGIN_TIMEOUT"],
            |s, v, r| s.fact_caching_timeout = parse_number(v)?
        ),
        setting!(
            [("defaults", "fact_caching_prefix")],
            ["ANSIBLE_CACHE_PLUGIN_PREFIX"],
            |s, v, r| s.fact_caching_prefix = v.trim().to_string()
        ),
        setting!(
            [("defaults", "stdout_callback")],
            ["ANSIBLE_STDOUT_CALLBACK"],
            |s, v, r| s.stdout_callback = v.trim().to_string()
        ),
        setting!(
            [
                ("defaults", "callbacks_enabled"),
                ("defaults", "callback_whitelist")
            ],
            ["ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_CALLBACK_WHITELIST"],
            |s, v, r| s.callbacks_enabled = parse_list(v)
        ),
        setting!(
            [("defaults", "log_path")],
            ["ANSIBLE_LOG_PATH"],
            |s, v, r| s.log_path = non_empty(v).map(|p| r.path(&p))
        ),
        setting!(
            [("defaults", "private_key_file")],
            ["ANSIBLE_PRIVATE_KEY_FILE"],
            |s, v, r| s.private_key_file = non_empty(v).map(|p| r.path(&p))
        ),
        setting!(
            [("defaults", "hash_behaviour")],
            ["ANSIBLE_HASH_BEHAVIOUR"],
            |s, v, r| {
                s.hash_behaviour = match v.trim() {
                    "replace" => HashBehaviour::Replace,
                    "merge" => HashBehaviour::Merge,
                    other => {
                        return Err(format!(
                            "'{other}' is not a valid hash_behaviour (replace, merge)"
                        ))
                    }
                }
            }
        ),
        setting!(
            [("ssh_connection", "retries"), ("connection", "retries")],
            ["ANSIBLE_SSH_RETRIES"],
            |s, v, r| s.retries = parse_number(v)?
        ),
        setting!(
            [("defaults", "vault_password_file")],
            ["ANSIBLE_VAULT_PASSWORD_FILE"],
            |s, v, r| s.vault_password_file = non_empty(v).map(|p| r.path(&p))
        ),
        setting!(
            [("defaults", "vault_identity_list")],
            ["ANSIBLE_VAULT_IDENTITY_LIST"],
            |s, v, r| s.vault_identity_list = parse_list(v)
        ),
        setting!(
            [("defaults", "any_errors_fatal")],
            ["ANSIBLE_ANY_ERRORS_FATAL"],
            |s, v, r| s.any_errors_fatal = parse_bool(v)?
        ),
        setting!(
            [("defaults", "force_handlers")],
            ["ANSIBLE_FORCE_HANDLERS"],
            |s, v, r| s.force_handlers = parse_bool(v)?
        ),
        setting!(
            [("defaults", "display_skipped_hosts")],
            ["ANSIBLE_DISPLAY_SKIPPED_HOSTS"],
            |s, v, r| s.display_skipped_hosts = parse_bool(v)?
        ),
        setting!(
            [("defaults", "display_ok_hosts")],
            ["ANSIBLE_DISPLAY_OK_HOSTS"],
            |s, v, r| s.display_ok_hosts = parse_bool(v)?
        ),
        setting!(
            [
                ("ssh_connection", "pipelining"),
                ("connection", "pipelining"),
                ("defaults", "pipelining")
            ],
            ["ANSIBLE_PIPELINING", "ANSIBLE_SSH_PIPELINING"],
            |s, v, r| s.pipelining = parse_bool(v)?
        ),
        setting!(
            [("ssh_connection", "ssh_args")],
            ["ANSIBLE_SSH_ARGS"],
            |s, v, r| s.ssh_args = Some(v.trim().to_string())
        ),
        setting!(
            [("defaults", "remote_tmp")],
            ["ANSIBLE_REMOTE_TEMP", "ANSIBLE_REMOTE_TMP"],
            |s, v, r| s.remote_tmp = v.trim().to_string()
        ),
        setting!(
            [("defaults", "async_dir")],
            ["ANSIBLE_ASYNC_DIR"],
            |s, v, r| s.async_dir = v.trim().to_string()
        ),
        setting!(
            [("defaults", "poll_interval")],
            ["ANSIBLE_POLL_INTERVAL"],
            |s, v, r| s.poll_interval = parse_number(v)?
        ),
        setting!(
            [("defaults", "retry_files_enabled")],
            ["ANSIBLE_RETRY_FILES_ENABLED"],
            |s, v, r| s.retry_files_enabled = parse_bool(v)?
        ),
        setting!(
            [("defaults", "strategy")],
            ["ANSIBLE_STRATEGY"],
            |s, v, r| s.strategy = v.trim().to_string()
        ),
        setting!(
            [("defaults", "transport")],
            ["ANSIBLE_TRANSPORT"],
            |s, v, r| s.transport = v.trim().to_string()
        ),
        setting!([("diff", "always")], ["ANSIBLE_DIFF_ALWAYS"], |s, v, r| s
            .diff_always =
            parse_bool(v)?),
        setting!(
            [("diff", "context")],
            ["ANSIBLE_DIFF_CONTEXT"],
            |s, v, r| s.diff_context = parse_number(v)?
        ),
        setting!(
            [
                ("defaults", "host_pattern_mismatch"),
                ("inventory", "host_pattern_mismatch")
            ],
            ["ANSIBLE_HOST_PATTERN_MISMATCH"],
            |s, v, r| {
                s.host_pattern_mismatch = match v.trim() {
                    "warning" => PatternMismatch::Warning,
                    "error" => PatternMismatch::Error,
                    "ignore" => PatternMismatch::Ignore,
                    other => {
                        return Err(format!(
                        "'{other}' is not a valid host_pattern_mismatch (warning, error, ignore)"
                    ))
                    }
                }
            }
        ),
        setting!(
            [("inventory", "unparsed_is_failed")],
            ["ANSIBLE_INVENTORY_UNPARSED_FAILED"],
            |s, v, r| s.inventory_unparsed_is_failed = parse_bool(v)?
        ),
        setting!(
            [
                ("inventory", "ignore_extensions"),
                ("defaults", "inventory_ignore_extensions")
            ],
            ["ANSIBLE_INVENTORY_IGNORE"],
            |s, v, r| s.inventory_ignore_extensions = parse_list(v)
        ),
        setting!(
            [("inventory", "ignore_patterns")],
            ["ANSIBLE_INVENTORY_IGNORE_REGEX"],
            |s, v, r| s.inventory_ignore_patterns = parse_list(v)
        ),
        setting!(
            [("inventory", "script_timeout")],
            ["RPLAY_INVENTORY_SCRIPT_TIMEOUT"],
            |s, v, r| s.inventory_script_timeout = parse_number(v)?
        ),
        setting!(
            [("defaults", "precedence")],
            ["ANSIBLE_PRECEDENCE"],
            |s, v, r| {
                let list = parse_list(v);
                if let Some(bad) = list
                    .iter()
                    .find(|p| !DEFAULT_PRECEDENCE.contains(&p.as_str()))
                {
                    return Err(format!(
                        "'{bad}' is not a valid precedence entry (one of {})",
                        DEFAULT_PRECEDENCE.join(", ")
                    ));
                }
                s.precedence = list
            }
        ),
        setting!(
            [("defaults", "private_role_vars")],
            ["ANSIBLE_PRIVATE_ROLE_VARS"],
            |s, v, r| s.private_role_vars = parse_bool(v)?
        ),
        setting!(
            [("defaults", "inject_facts_as_vars")],
            ["ANSIBLE_INJECT_FACT_VARS"],
            |s, v, r| s.inject_facts_as_vars = parse_bool(v)?
        ),
        setting!(
            [("defaults", "error_on_undefined_vars")],
            ["ANSIBLE_ERROR_ON_UNDEFINED_VARS"],
            |s, v, r| s.error_on_undefined_vars = parse_bool(v)?
        ),
        setting!(
            [("defaults", "duplicate_dict_key")],
            ["ANSIBLE_DUPLICATE_YAML_DICT_KEY"],
            |s, v, r| {
                let value = v.trim();
                if !matches!(value, "warn" | "error" | "ignore") {
                    return Err(format!(
                        "'{value}' is not a valid duplicate_dict_key (warn, error, ignore)"
                    ));
                }
                s.duplicate_yaml_dict_key = value.to_string()
            }
        ),
        setting!(
            [("defaults", "deprecation_warnings")],
            ["ANSIBLE_DEPRECATION_WARNINGS"],
            |s, v, r| s.deprecation_warnings = parse_bool(v)?
        ),
        setting!(
            [("defaults", "interpreter_python")],
            ["ANSIBLE_PYTHON_INTERPRETER"],
            |s, v, r| s.interpreter_python = v.trim().to_string()
        ),
        setting!(
            [("defaults", "nocolor")],
            ["ANSIBLE_NOCOLOR", "NO_COLOR"],
            |s, v, r| s.nocolor = parse_bool(v)?
        ),
        setting!(
            [("defaults", "force_color")],
            ["ANSIBLE_FORCE_COLOR"],
            |s, v, r| s.force_color = parse_bool(v)?
        ),
        setting!([("defaults", "ansible_managed")], [], |s, v, r| s
            .ansible_managed =
            v.to_string()),
    ]
}

impl Settings {
    /// Resolves settings from the real environment, current directory and home directory.
    pub fn load() -> Result<Settings, Diagnostic> {
        let cwd = std::env::current_dir()
            .map_err(|e| Diagnostic::error(format!("cannot read the current directory: {e}")))?;
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let env = |name: &str| std::env::var(name).ok();
        Settings::load_from(&env, &cwd, home.as_deref())
    }

    /// Resolves settings with an explicit environment (for tests and embedding).
    pub fn load_from(
        env: &dyn Fn(&str) -> Option<String>,
        cwd: &Path,
        home: Option<&Path>,
    ) -> Result<Settings, Diagnostic> {
        let (path, warnings) = find_config_file(env, cwd, home);
        let file = match &path {
            Some(path) => Some(ConfigFile::read(path)?),
            None => None,
        };
        let mut settings = Settings::from_sources(file.as_ref(), env, home)?;
        settings.warnings.extend(warnings);
        Ok(settings)
    }

    /// Resolves settings from an already-read config file (or none) and an environment.
    pub fn from_sources(
        file: Option<&ConfigFile>,
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
    ) -> Result<Settings, Diagnostic> {
        let mut settings = Settings {
            config_file: file.map(|f| f.path.clone()),
            ..Settings::default()
        };
        let file_dir = file.and_then(|f| f.path.parent());
        for descriptor in descriptors() {
            let from_env = descriptor
                .env
                .iter()
                .find_map(|name| env(name).map(|value| (*name, value)));
            let from_file = file.and_then(|f| {
                descriptor
                    .ini
                    .iter()
                    .find_map(|(section, key)| f.get(section, key))
            });
            let (value, origin) = match (&from_env, from_file) {
                (Some((name, value)), _) => (value.as_str(), Origin::Env(name)),
                (None, Some(entry)) => (entry.value.as_str(), Origin::File(&entry.span)),
                (None, None) => continue,
            };
            // Paths from the environment are relative to the current directory; from the
            // file, to the file's directory.
            let resolver = Resolver {
                base_dir: match origin {
                    Origin::Env(_) => None,
                    Origin::File(_) => file_dir,
                },
                home,
            };
            if let Err(problem) = (descriptor.apply)(&mut settings, value, &resolver) {
                return Err(match origin {
                    Origin::Env(name) => Diagnostic::error(format!(
                        "invalid value in environment variable {name}: {problem}"
                    )),
                    Origin::File(span) => {
                        Diagnostic::at(span.clone(), format!("invalid setting: {problem}"))
                    }
                });
            }
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(cfg: &str, env: &[(&str, &str)]) -> Result<Settings, Diagnostic> {
        let file = ConfigFile::parse(cfg, Path::new("/proj/ansible.cfg")).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        Settings::from_sources(Some(&file), &lookup, Some(Path::new("/home/u")))
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let s = settings("", &[]).unwrap();
        assert_eq!(s.forks, 50);
        assert!(s.host_key_checking);
        assert_eq!(s.become_method, "sudo");
        assert_eq!(s.become_user, "root");
        assert_eq!(s.timeout, 10);
        assert_eq!(s.gathering, Gathering::Implicit);
        assert_eq!(s.fact_caching_timeout, 86_400);
        assert_eq!(s.hash_behaviour, HashBehaviour::Replace);
        assert_eq!(s.inventory, vec!["/etc/ansible/hosts"]);
    }

    #[test]
    fn file_values_with_paths_relative_to_the_file() {
        let s = settings(
            "[defaults]\ninventory = ./hosts, other\nroles_path = roles:~/r\nforks = 20\nhost_key_checking = False\nunknown_thing = 1\n[privilege_escalation]\nbecome = yes\n",
            &[],
        )
        .unwrap();
        assert_eq!(s.inventory, vec!["/proj/./hosts", "/proj/other"]);
        assert_eq!(
            s.roles_path,
            vec![PathBuf::from("/proj/roles"), PathBuf::from("/home/u/r")]
        );
        assert_eq!(s.forks, 20);
        assert!(!s.host_key_checking);
        assert!(s.become_);
    }

    #[test]
    fn library_dirs_from_the_setting_else_ansible_defaults() {
        let s = settings("[defaults]\nlibrary = ./library:~/mods\n", &[]).unwrap();
        assert_eq!(
            s.library_dirs(),
            vec![
                PathBuf::from("/proj/./library"),
                PathBuf::from("/home/u/mods")
            ]
        );
        let s = settings("[defaults]\n", &[]).unwrap();
        assert!(s
            .library_dirs()
            .contains(&PathBuf::from("/usr/share/ansible/plugins/modules")));
    }

    #[test]
    fn environment_beats_file() {
        let s = settings(
            "[defaults]\nforks = 20\n",
            &[("ANSIBLE_FORKS", "7"), ("ANSIBLE_HASH_BEHAVIOUR", "merge")],
        )
        .unwrap();
        assert_eq!(s.forks, 7);
        assert_eq!(s.hash_behaviour, HashBehaviour::Merge);
    }

    #[test]
    fn invalid_value_names_file_and_line() {
        let e = settings("[defaults]\n\nforks = many\n", &[]).unwrap_err();
        assert_eq!(e.span.unwrap().to_string(), "/proj/ansible.cfg:3:1");
        assert!(e.message.contains("'many'"));
        let e = settings("", &[("ANSIBLE_GATHERING", "sometimes")]).unwrap_err();
        assert!(e.message.contains("ANSIBLE_GATHERING"));
    }
}
