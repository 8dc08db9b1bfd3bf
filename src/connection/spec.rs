//! What it takes to reach one host and act on it: [`ConnectOptions`] (run-wide defaults from the
//! command line and ansible.cfg), [`ConnectionSpec`] (one host, resolved from its Ansible
//! connection variables, the ssh arguments and `~/.ssh/config`) and [`BecomeSpec`] (privilege
//! escalation for a task). Resolution is pure apart from reading the ssh config file, so it is
//! done (and its errors reported) before any host is contacted.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::error::ConnectError;
use super::ssh_config::{expand_tilde, home_dir, SshConfig};
use super::ssh_options::SshOptions;
use crate::secret::Secret;

/// Asks the user for the passphrase of an encrypted private key (the CLI implements it; the
/// connection layer never prints). Returns `None` when the user gives none.
pub trait PassphrasePrompt: Send + Sync {
    /// Prompts for the passphrase of `key_file`.
    fn passphrase(&self, key_file: &std::path::Path) -> Option<Secret>;
}

/// Run-wide connection defaults: command line (`-u`, `--private-key`, `-T`, `-k`, `-K`,
/// `--ssh-common-args`, `--ssh-extra-args`), ansible.cfg and `ANSIBLE_*` variables. Play-level
/// `remote_user` also lands in `remote_user`. Host variables override all of these.
#[derive(Clone)]
pub struct ConnectOptions {
    /// `remote_user` / `-u`; the ssh config `User` or the controller user when `None`.
    pub remote_user: Option<String>,
    /// `private_key_file` / `--private-key`.
    pub private_key_file: Option<PathBuf>,
    /// `host_key_checking` (default true). False accepts unknown keys without recording them;
    /// a changed key is refused regardless.
    pub host_key_checking: bool,
    /// Connect timeout (`timeout`, `-T`; Ansible's default 10 s).
    pub timeout: Duration,
    /// How many times a transient connection failure (refused, reset, closed during the
    /// handshake) is retried before the host is UNREACHABLE.
    pub retries: u32,
    /// Pause before the first retry; doubled for each further one.
    pub retry_delay: Duration,
    /// `--ask-pass` answer: SSH password for hosts without `ansible_password`.
    pub password: Option<Secret>,
    /// `--ask-become-pass` answer, for hosts without `ansible_become_password`.
    pub become_password: Option<Secret>,
    /// `[privilege_escalation]` defaults.
    pub become_method: String,
    /// Default `become_user` (`root`).
    pub become_user: String,
    /// Default `become_flags` (`None`: rplay's own, `-H -S`).
    pub become_flags: Option<String>,
    /// `--ssh-common-args` / `ssh_common_args` default, used when a host has no
    /// `ansible_ssh_common_args`.
    pub ssh_common_args: Option<String>,
    /// `--ssh-extra-args` default.
    pub ssh_extra_args: Option<String>,
    /// `ssh_args` from ansible.cfg (`-o` options only matter here).
    pub ssh_args: Option<String>,
    /// The OpenSSH client config; `~/.ssh/config` when `None`.
    pub ssh_config_file: Option<PathBuf>,
    /// Default `UserKnownHostsFile` list (`~/.ssh/known_hosts`, `~/.ssh/known_hosts2`).
    pub known_hosts_files: Vec<PathBuf>,
    /// Keepalive interval when the ssh config sets no `ServerAliveInterval`.
    pub keepalive: Option<Duration>,
    /// Prompt for encrypted key passphrases (ssh-agent is tried first).
    pub passphrase_prompt: Option<Arc<dyn PassphrasePrompt>>,
    /// Default `ansible_connection` (`transport`, `-c`): `smart`/`ssh` or `local`.
    pub transport: String,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        let ssh_dir = home_dir().join(".ssh");
        ConnectOptions {
            remote_user: None,
            private_key_file: None,
            host_key_checking: true,
            timeout: Duration::from_secs(10),
            retries: 3,
            retry_delay: Duration::from_millis(500),
            password: None,
            become_password: None,
            become_method: "sudo".into(),
            become_user: "root".into(),
            become_flags: None,
            ssh_common_args: None,
            ssh_extra_args: None,
            ssh_args: None,
            ssh_config_file: None,
            known_hosts_files: vec![ssh_dir.join("known_hosts"), ssh_dir.join("known_hosts2")],
            keepalive: Some(Duration::from_secs(15)),
            passphrase_prompt: None,
            transport: "smart".into(),
        }
    }
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("remote_user", &self.remote_user)
            .field("private_key_file", &self.private_key_file)
            .field("host_key_checking", &self.host_key_checking)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("password", &self.password)
            .field("become_password", &self.become_password)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// How a host is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Scripts run on the controller (`ansible_connection: local`).
    Local,
    /// SSH (russh): `ssh`, `smart`, `paramiko`.
    Ssh,
}

/// What to do with a host key that is not in known_hosts. A changed key is always refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Refuse unknown keys (default; `StrictHostKeyChecking=yes`/`ask`).
    Strict,
    /// Accept an unknown key and record it in the first known_hosts file
    /// (`StrictHostKeyChecking=accept-new`).
    AcceptNew,
    /// Accept an unknown key without recording it (`host_key_checking = False`,
    /// `StrictHostKeyChecking=no`).
    AcceptUnknown,
}

/// One hop of a `ProxyJump` chain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JumpHost {
    /// User on the jump host (`None`: its ssh config or the target's defaults).
    pub user: Option<String>,
    /// Name or address as written.
    pub host: String,
    /// Port, when given.
    pub port: Option<u16>,
}

/// Everything needed to open the SSH connection of one host.
#[derive(Clone)]
pub struct ConnectionSpec {
    /// The host's inventory name (for messages and results).
    pub inventory_name: String,
    /// SSH or local.
    pub transport: Transport,
    /// The name given to ssh (`ansible_host`, else the inventory name).
    pub host: String,
    /// The address actually dialled (`HostName` from the ssh config, else `host`).
    pub address: String,
    /// TCP port.
    pub port: u16,
    /// Login user.
    pub user: String,
    /// Password for password authentication.
    pub password: Option<Secret>,
    /// Private key files to try, in order (`~` already expanded).
    pub identity_files: Vec<PathBuf>,
    /// `IdentitiesOnly yes`: use only the agent keys that match `identity_files`.
    pub identities_only: bool,
    /// ssh-agent socket (`IdentityAgent`, else `$SSH_AUTH_SOCK`); `None`: no agent.
    pub identity_agent: Option<PathBuf>,
    /// Whether public-key authentication is allowed.
    pub pubkey_auth: bool,
    /// Whether password authentication is allowed.
    pub password_auth: bool,
    /// Jump hosts, outermost first.
    pub proxy_jump: Vec<JumpHost>,
    /// Unknown-key policy.
    pub host_key_policy: HostKeyPolicy,
    /// known_hosts files to consult (the first receives accepted new keys).
    pub known_hosts_files: Vec<PathBuf>,
    /// TCP connect + handshake timeout.
    pub timeout: Duration,
    /// Keepalive probe interval and how many may go unanswered.
    pub keepalive: Option<(Duration, usize)>,
    /// Retries of transient connect failures.
    pub retries: u32,
    /// Pause before the first retry.
    pub retry_delay: Duration,
    /// The ssh config used (jump hosts are resolved through it too).
    pub ssh_config: Arc<SshConfig>,
    /// Encrypted-key passphrase prompt.
    pub passphrase_prompt: Option<Arc<dyn PassphrasePrompt>>,
}

impl std::fmt::Debug for ConnectionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionSpec")
            .field("inventory_name", &self.inventory_name)
            .field("transport", &self.transport)
            .field("address", &self.address)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("identity_files", &self.identity_files)
            .field("proxy_jump", &self.proxy_jump)
            .field("host_key_policy", &self.host_key_policy)
            .finish_non_exhaustive()
    }
}

/// Reads a string-like variable (strings, numbers and booleans as written).
fn var_str(
    host: &str,
    vars: &Map<String, Value>,
    names: &[&str],
) -> Result<Option<String>, ConnectError> {
    for name in names {
        match vars.get(*name) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) => return Ok(Some(s.clone())),
            Some(Value::Number(n)) => return Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => return Ok(Some(b.to_string())),
            Some(Value::Object(o)) if o.contains_key("__ansible_vault") => {
                return Err(ConnectError::InvalidVar {
                    host: host.into(),
                    var: (*name).into(),
                    message: "value is still vault-encrypted (no vault secret could decrypt it)"
                        .into(),
                })
            }
            Some(other) => {
                return Err(ConnectError::InvalidVar {
                    host: host.into(),
                    var: (*name).into(),
                    message: format!("expected a string, got {}", kind_of(other)),
                })
            }
        }
    }
    Ok(None)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Ansible's boolean conversion (`yes`, `on`, `1`, `true`...).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "on" | "1" | "true" | "t" => Some(true),
        "no" | "n" | "off" | "0" | "false" | "f" | "" => Some(false),
        _ => None,
    }
}

fn var_bool(
    host: &str,
    vars: &Map<String, Value>,
    names: &[&str],
) -> Result<Option<bool>, ConnectError> {
    for name in names {
        if let Some(s) = var_str(host, vars, &[name])? {
            return parse_bool(&s)
                .map(Some)
                .ok_or_else(|| ConnectError::InvalidVar {
                    host: host.into(),
                    var: (*name).into(),
                    message: format!("{s:?} is not a boolean"),
                });
        }
    }
    Ok(None)
}

fn parse_port(host: &str, var: &str, s: &str) -> Result<u16, ConnectError> {
    s.trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| ConnectError::InvalidVar {
            host: host.into(),
            var: var.into(),
            message: format!("{s:?} is not a TCP port"),
        })
}

fn parse_secs(host: &str, var: &str, s: &str) -> Result<Duration, ConnectError> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| ConnectError::InvalidVar {
            host: host.into(),
            var: var.into(),
            message: format!("{s:?} is not a number of seconds"),
        })
}

/// Parses a `ProxyJump` value: comma-separated `[user@]host[:port]` or `ssh://[user@]host[:port]`.
pub(crate) fn parse_proxy_jump(value: &str) -> Result<Vec<JumpHost>, String> {
    if value.trim().eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(|hop| {
            let hop = hop.trim();
            let hop = hop.strip_prefix("ssh://").unwrap_or(hop);
            let (user, rest) = match hop.rsplit_once('@') {
                Some((u, r)) => (Some(u.to_string()), r),
                None => (None, hop),
            };
            let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
                let (h, after) = inner
                    .split_once(']')
                    .ok_or_else(|| format!("bad jump host {hop:?}"))?;
                (h.to_string(), after.strip_prefix(':'))
            } else {
                match rest.rsplit_once(':') {
                    Some((h, p)) => (h.to_string(), Some(p)),
                    None => (rest.to_string(), None),
                }
            };
            let port = port
                .map(|p| {
                    p.parse::<u16>()
                        .map_err(|_| format!("bad port in jump host {hop:?}"))
                })
                .transpose()?;
            if host.is_empty() {
                return Err(format!("empty jump host in {value:?}"));
            }
            Ok(JumpHost { user, host, port })
        })
        .collect()
}

/// Turns the common bastion `ProxyCommand ssh [-q] [-l user] [-p port] -W %h:%p [user@]bastion`
/// into a jump host; other proxy commands are not supported.
fn proxy_command_to_jump(cmd: &str) -> Option<JumpHost> {
    let words = shell_words::split(cmd).ok()?;
    let mut it = words.iter();
    let prog = it.next()?;
    if !(prog == "ssh" || prog.ends_with("/ssh")) {
        return None;
    }
    let (mut user, mut port, mut dest, mut forward) = (None, None, None, false);
    while let Some(w) = it.next() {
        match w.as_str() {
            "-W" => {
                let target = it.next()?;
                forward = target == "%h:%p" || target == "[%h]:%p";
            }
            "-l" => user = Some(it.next()?.clone()),
            "-p" => port = Some(it.next()?.parse().ok()?),
            "-o" | "-i" | "-F" | "-J" => {
                it.next()?;
            }
            w if w.starts_with('-') => {}
            w => dest = Some(w.to_string()),
        }
    }
    if !forward {
        return None;
    }
    let dest = dest?;
    let (u, host) = match dest.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_string()), h.to_string()),
        None => (None, dest),
    };
    Some(JumpHost {
        user: user.or(u),
        host,
        port,
    })
}

/// The agent socket: `IdentityAgent none|SSH_AUTH_SOCK|$VAR|path`, default `$SSH_AUTH_SOCK`.
fn identity_agent(option: Option<&str>) -> Option<PathBuf> {
    let from_env = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    match option {
        None => from_env("SSH_AUTH_SOCK"),
        Some(v) if v.eq_ignore_ascii_case("none") => None,
        Some("SSH_AUTH_SOCK") => from_env("SSH_AUTH_SOCK"),
        Some(v) => match v.strip_prefix('$') {
            Some(var) => from_env(var),
            None => Some(PathBuf::from(expand_tilde(v))),
        },
    }
}

/// The controller user's login name.
fn local_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            // SAFETY: getuid has no preconditions.
            let uid = unsafe { libc::getuid() };
            if uid == 0 {
                "root".into()
            } else {
                uid.to_string()
            }
        })
}

/// Expands OpenSSH `%` tokens used in HostName / IdentityFile / UserKnownHostsFile.
fn expand_tokens(s: &str, host: &str, port: u16, user: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') | Some('n') => out.push_str(host),
            Some('p') => out.push_str(&port.to_string()),
            Some('r') => out.push_str(user),
            Some('u') => out.push_str(&local_user()),
            Some('d') => out.push_str(&home_dir().to_string_lossy()),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

impl ConnectionSpec {
    /// Resolves how to reach `inventory_name` from its variables (already templated and
    /// decrypted), `opts`, and the OpenSSH configuration.
    ///
    /// Precedence, highest first: host variables (`ansible_host`, `ansible_port`,
    /// `ansible_user`, `ansible_ssh_private_key_file`...), `opts` (command line, ansible.cfg,
    /// play `remote_user`), `ansible_ssh_common_args`/`ansible_ssh_extra_args` `-o` options,
    /// then `~/.ssh/config` (first value wins). `Host` blocks match the `ansible_host` value.
    pub fn from_vars(
        inventory_name: &str,
        vars: &Map<String, Value>,
        opts: &ConnectOptions,
    ) -> Result<ConnectionSpec, ConnectError> {
        let name = inventory_name;
        let connection =
            var_str(name, vars, &["ansible_connection"])?.unwrap_or_else(|| opts.transport.clone());
        let transport = match connection
            .trim()
            .trim_start_matches("ansible.builtin.")
            .trim_start_matches("ansible.netcommon.")
        {
            "ssh" | "smart" | "paramiko" | "paramiko_ssh" | "" => Transport::Ssh,
            "local" => Transport::Local,
            other => {
                return Err(ConnectError::InvalidVar {
                    host: name.into(),
                    var: "ansible_connection".into(),
                    message: format!(
                        "connection plugin {other:?} is not supported by rplay (use ssh or local)"
                    ),
                })
            }
        };
        let host = var_str(name, vars, &["ansible_host", "ansible_ssh_host"])?
            .unwrap_or_else(|| name.to_string());

        // Options in OpenSSH order: ansible.cfg ssh_args, common args, extra args, then config.
        let mut ssh = SshOptions::default();
        if let Some(a) = &opts.ssh_args {
            ssh.add_args(a).map_err(|message| ConnectError::SshArgs {
                host: name.into(),
                var: "ssh_args".into(),
                message,
            })?;
        }
        for (var, default) in [
            ("ansible_ssh_common_args", &opts.ssh_common_args),
            ("ansible_ssh_extra_args", &opts.ssh_extra_args),
        ] {
            let text = match var_str(name, vars, &[var])? {
                Some(t) => Some(t),
                None => default.clone(),
            };
            if let Some(text) = text {
                ssh.add_args(&text)
                    .map_err(|message| ConnectError::SshArgs {
                        host: name.into(),
                        var: var.into(),
                        message,
                    })?;
            }
        }
        let config_path = ssh
            .config_file
            .as_deref()
            .map(|p| PathBuf::from(expand_tilde(p)))
            .or_else(|| opts.ssh_config_file.clone())
            .unwrap_or_else(|| home_dir().join(".ssh").join("config"));
        let ssh_config = if transport == Transport::Ssh {
            SshConfig::load_cached(&config_path)?
        } else {
            Arc::new(SshConfig::default())
        };
        ssh_config.apply(&host, &mut ssh);

        let port = match var_str(name, vars, &["ansible_port", "ansible_ssh_port"])? {
            Some(p) => parse_port(name, "ansible_port", &p)?,
            None => match ssh.get("port") {
                Some(p) => parse_port(name, "Port (ssh options)", p)?,
                None => 22,
            },
        };
        let user = match var_str(name, vars, &["ansible_user", "ansible_ssh_user"])? {
            Some(u) => u,
            None => opts
                .remote_user
                .clone()
                .or_else(|| ssh.get("user").map(str::to_string))
                .unwrap_or_else(local_user),
        };
        let address = ssh
            .get("hostname")
            .map(|h| expand_tokens(h, &host, port, &user))
            .unwrap_or_else(|| host.clone());
        let password = match var_str(
            name,
            vars,
            &[
                "ansible_password",
                "ansible_ssh_pass",
                "ansible_ssh_password",
            ],
        )? {
            Some(p) => Some(Secret::new(p)),
            None => opts.password.clone(),
        };

        let mut identity_files = Vec::new();
        let key_var = var_str(
            name,
            vars,
            &["ansible_ssh_private_key_file", "ansible_private_key_file"],
        )?;
        let first_key = key_var
            .map(PathBuf::from)
            .or_else(|| opts.private_key_file.clone());
        if let Some(k) = first_key {
            identity_files.push(PathBuf::from(expand_tilde(&k.to_string_lossy())));
        }
        for f in ssh.identity_files() {
            if f.eq_ignore_ascii_case("none") {
                continue;
            }
            let p = PathBuf::from(expand_tilde(&expand_tokens(f, &address, port, &user)));
            if !identity_files.contains(&p) {
                identity_files.push(p);
            }
        }
        if identity_files.is_empty() {
            let dir = home_dir().join(".ssh");
            identity_files = ["id_rsa", "id_ecdsa", "id_ed25519"]
                .iter()
                .map(|f| dir.join(f))
                .collect();
        }

        let mut proxy_jump = match ssh.get("proxyjump") {
            Some(v) => parse_proxy_jump(v).map_err(|message| ConnectError::InvalidVar {
                host: name.into(),
                var: "ProxyJump".into(),
                message,
            })?,
            None => Vec::new(),
        };
        if proxy_jump.is_empty() {
            if let Some(cmd) = ssh.get("proxycommand") {
                if !cmd.eq_ignore_ascii_case("none") {
                    match proxy_command_to_jump(cmd) {
                        Some(j) => proxy_jump.push(j),
                        None => {
                            return Err(ConnectError::InvalidVar {
                                host: name.into(),
                                var: "ProxyCommand".into(),
                                message: format!(
                                    "{cmd:?} is not supported; use ProxyJump (or ProxyCommand ssh -W %h:%p bastion)"
                                ),
                            })
                        }
                    }
                }
            }
        }

        let checking = var_bool(
            name,
            vars,
            &["ansible_host_key_checking", "ansible_ssh_host_key_checking"],
        )?
        .unwrap_or(opts.host_key_checking);
        let host_key_policy = if !checking {
            HostKeyPolicy::AcceptUnknown
        } else {
            match ssh
                .get("stricthostkeychecking")
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("accept-new") => HostKeyPolicy::AcceptNew,
                Some("no") | Some("off") | Some("false") => HostKeyPolicy::AcceptUnknown,
                _ => HostKeyPolicy::Strict,
            }
        };
        let known_hosts_files = match ssh.get("userknownhostsfile") {
            Some(list) => list
                .split_whitespace()
                .map(|f| PathBuf::from(expand_tilde(&expand_tokens(f, &address, port, &user))))
                .collect(),
            None => opts.known_hosts_files.clone(),
        };

        let timeout = match var_str(name, vars, &["ansible_ssh_timeout", "ansible_timeout"])? {
            Some(t) => parse_secs(name, "ansible_ssh_timeout", &t)?,
            None => match ssh.get("connecttimeout") {
                Some(t) => parse_secs(name, "ConnectTimeout", t)?,
                None => opts.timeout,
            },
        };
        let keepalive_count = ssh
            .get("serveralivecountmax")
            .and_then(|c| c.parse::<usize>().ok())
            .unwrap_or(3);
        let keepalive = match ssh.get("serveraliveinterval") {
            Some(t) => {
                let d = parse_secs(name, "ServerAliveInterval", t)?;
                (!d.is_zero()).then_some((d, keepalive_count))
            }
            None => opts.keepalive.map(|d| (d, keepalive_count)),
        };
        let retries = match var_str(name, vars, &["ansible_ssh_retries"])? {
            Some(r) => r
                .trim()
                .parse::<u32>()
                .map_err(|_| ConnectError::InvalidVar {
                    host: name.into(),
                    var: "ansible_ssh_retries".into(),
                    message: format!("{r:?} is not a count"),
                })?,
            None => opts.retries,
        };

        Ok(ConnectionSpec {
            inventory_name: name.to_string(),
            transport,
            host,
            address,
            port,
            user,
            password,
            identity_files,
            identities_only: ssh.get_bool("identitiesonly").unwrap_or(false),
            identity_agent: identity_agent(ssh.get("identityagent")),
            pubkey_auth: ssh.get_bool("pubkeyauthentication").unwrap_or(true),
            password_auth: ssh.get_bool("passwordauthentication").unwrap_or(true),
            proxy_jump,
            host_key_policy,
            known_hosts_files,
            timeout,
            keepalive,
            retries,
            retry_delay: opts.retry_delay,
            ssh_config,
            passphrase_prompt: opts.passphrase_prompt.clone(),
        })
    }

    /// The spec of a jump host: resolved through the same ssh config, inheriting this spec's
    /// keys, policy, known_hosts and timeouts (as OpenSSH does for `-J`).
    pub fn for_jump(&self, jump: &JumpHost) -> ConnectionSpec {
        let mut ssh = SshOptions::default();
        if let Some(u) = &jump.user {
            ssh.add("user", u);
        }
        if let Some(p) = jump.port {
            ssh.add("port", &p.to_string());
        }
        self.ssh_config.apply(&jump.host, &mut ssh);
        let port = ssh.get("port").and_then(|p| p.parse().ok()).unwrap_or(22);
        let user = ssh
            .get("user")
            .map(str::to_string)
            .unwrap_or_else(|| self.user.clone());
        let address = ssh
            .get("hostname")
            .map(|h| expand_tokens(h, &jump.host, port, &user))
            .unwrap_or_else(|| jump.host.clone());
        let mut identity_files: Vec<PathBuf> = ssh
            .identity_files()
            .iter()
            .map(|f| PathBuf::from(expand_tilde(&expand_tokens(f, &address, port, &user))))
            .collect();
        for f in &self.identity_files {
            if !identity_files.contains(f) {
                identity_files.push(f.clone());
            }
        }
        let proxy_jump = ssh
            .get("proxyjump")
            .and_then(|v| parse_proxy_jump(v).ok())
            .unwrap_or_default();
        ConnectionSpec {
            inventory_name: format!("{} (jump host {})", self.inventory_name, jump.host),
            transport: Transport::Ssh,
            host: jump.host.clone(),
            address,
            port,
            user,
            password: None,
            identity_files,
            identities_only: ssh
                .get_bool("identitiesonly")
                .unwrap_or(self.identities_only),
            identity_agent: self.identity_agent.clone(),
            pubkey_auth: true,
            password_auth: false,
            proxy_jump,
            host_key_policy: self.host_key_policy,
            known_hosts_files: self.known_hosts_files.clone(),
            timeout: self.timeout,
            keepalive: self.keepalive,
            retries: self.retries,
            retry_delay: self.retry_delay,
            ssh_config: self.ssh_config.clone(),
            passphrase_prompt: self.passphrase_prompt.clone(),
        }
    }

    /// `user@address:port`, the form used in messages.
    pub fn target(&self) -> String {
        format!("{}@{}:{}", self.user, self.address, self.port)
    }
}

/// Privilege escalation methods rplay implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BecomeMethod {
    /// `sudo` (default).
    Sudo,
    /// `su`.
    Su,
}

/// Privilege escalation bound into a host handle: who to become and how.
#[derive(Clone, PartialEq, Eq)]
pub struct BecomeSpec {
    /// sudo or su.
    pub method: BecomeMethod,
    /// Target user (default `root`).
    pub user: String,
    /// Password for sudo/su, sent on stdin when prompted.
    pub password: Option<Secret>,
    /// `become_exe` (`sudo`/`su` when `None`).
    pub exe: Option<String>,
    /// `become_flags` (sudo: `-H -S` when `None`; `-n` is dropped since rplay answers prompts).
    pub flags: Option<String>,
}

impl std::fmt::Debug for BecomeSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BecomeSpec")
            .field("method", &self.method)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("exe", &self.exe)
            .field("flags", &self.flags)
            .finish()
    }
}

/// The become-related play/block/task keywords in effect for a task (already templated).
#[derive(Debug, Clone, Default)]
pub struct BecomeKeywords {
    /// `become:`.
    pub become_: Option<bool>,
    /// `become_user:`.
    pub become_user: Option<String>,
    /// `become_method:`.
    pub become_method: Option<String>,
    /// `become_flags:`.
    pub become_flags: Option<String>,
    /// `become_exe:`.
    pub become_exe: Option<String>,
}

impl BecomeSpec {
    /// Resolves privilege escalation for one host and task. Like Ansible, host variables
    /// (`ansible_become`, `ansible_become_user`, `ansible_become_method`,
    /// `ansible_become_password`...) beat keywords, which beat `opts`. `None`: no become.
    pub fn resolve(
        inventory_name: &str,
        vars: &Map<String, Value>,
        keywords: &BecomeKeywords,
        opts: &ConnectOptions,
    ) -> Result<Option<BecomeSpec>, ConnectError> {
        let name = inventory_name;
        let enabled = match var_bool(name, vars, &["ansible_become"])? {
            Some(b) => b,
            None => keywords.become_.unwrap_or(false),
        };
        if !enabled {
            return Ok(None);
        }
        let method_name = var_str(name, vars, &["ansible_become_method"])?
            .or_else(|| keywords.become_method.clone())
            .unwrap_or_else(|| opts.become_method.clone());
        let method = match method_name.trim().trim_start_matches("ansible.builtin.") {
            "sudo" => BecomeMethod::Sudo,
            "su" => BecomeMethod::Su,
            other => {
                return Err(ConnectError::InvalidVar {
                    host: name.into(),
                    var: "become_method".into(),
                    message: format!(
                        "become method {other:?} is not supported by rplay (use sudo or su)"
                    ),
                })
            }
        };
        let user = var_str(name, vars, &["ansible_become_user"])?
            .or_else(|| keywords.become_user.clone())
            .unwrap_or_else(|| opts.become_user.clone());
        let password = match var_str(
            name,
            vars,
            &["ansible_become_password", "ansible_become_pass"],
        )? {
            Some(p) => Some(Secret::new(p)),
            None => opts.become_password.clone(),
        };
        let exe =
            var_str(name, vars, &["ansible_become_exe"])?.or_else(|| keywords.become_exe.clone());
        let flags = var_str(name, vars, &["ansible_become_flags"])?
            .or_else(|| keywords.become_flags.clone())
            .or_else(|| opts.become_flags.clone());
        Ok(Some(BecomeSpec {
            method,
            user,
            password,
            exe,
            flags,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn opts_without_config() -> ConnectOptions {
        ConnectOptions {
            ssh_config_file: Some(PathBuf::from("/nonexistent/rplay-test-ssh-config")),
            ..ConnectOptions::default()
        }
    }

    #[test]
    fn host_vars_beat_defaults() {
        let mut o = opts_without_config();
        o.remote_user = Some("cfguser".into());
        let s = ConnectionSpec::from_vars(
            "web1",
            &vars(
                json!({"ansible_host": "127.0.0.1", "ansible_port": "2201", "ansible_user": "ops",
                        "ansible_password": "pw"}),
            ),
            &o,
        )
        .unwrap();
        assert_eq!(s.transport, Transport::Ssh);
        assert_eq!(
            (s.address.as_str(), s.port, s.user.as_str()),
            ("127.0.0.1", 2201, "ops")
        );
        assert_eq!(s.password.as_ref().map(Secret::expose), Some("pw"));
        assert!(!format!("{s:?}").contains("pw\""));
        let s2 = ConnectionSpec::from_vars("web1", &Map::new(), &o).unwrap();
        assert_eq!(
            (s2.address.as_str(), s2.port, s2.user.as_str()),
            ("web1", 22, "cfguser")
        );
    }

    #[test]
    fn common_args_options_and_jump() {
        let s = ConnectionSpec::from_vars(
            "db",
            &vars(json!({"ansible_port": 2202,
                        "ansible_ssh_common_args": "-o StrictHostKeyChecking=accept-new -J jump@bastion:2200 -o UserKnownHostsFile=/tmp/kh",
                        "ansible_ssh_extra_args": "-o Port=9999"})),
            &opts_without_config(),
        )
        .unwrap();
        assert_eq!(s.port, 2202);
        assert_eq!(s.host_key_policy, HostKeyPolicy::AcceptNew);
        assert_eq!(s.known_hosts_files, vec![PathBuf::from("/tmp/kh")]);
        assert_eq!(
            s.proxy_jump,
            vec![JumpHost {
                user: Some("jump".into()),
                host: "bastion".into(),
                port: Some(2200)
            }]
        );
    }

    #[test]
    fn host_key_checking_false_and_local() {
        let mut o = opts_without_config();
        o.host_key_checking = false;
        let s = ConnectionSpec::from_vars("h", &Map::new(), &o).unwrap();
        assert_eq!(s.host_key_policy, HostKeyPolicy::AcceptUnknown);
        let l = ConnectionSpec::from_vars(
            "localhost",
            &vars(json!({"ansible_connection": "local"})),
            &o,
        )
        .unwrap();
        assert_eq!(l.transport, Transport::Local);
        let e = ConnectionSpec::from_vars("w", &vars(json!({"ansible_connection": "winrm"})), &o)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("host w: ansible_connection: connection plugin \"winrm\""),
            "{e}"
        );
    }

    #[test]
    fn bad_port_and_vaulted_password_are_named() {
        let o = opts_without_config();
        let e =
            ConnectionSpec::from_vars("h", &vars(json!({"ansible_port": "ssh"})), &o).unwrap_err();
        assert_eq!(
            e.to_string(),
            "host h: ansible_port: \"ssh\" is not a TCP port"
        );
        let e = ConnectionSpec::from_vars(
            "h",
            &vars(
                json!({"ansible_password": {"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n..."}}),
            ),
            &o,
        )
        .unwrap_err();
        assert!(e.to_string().contains("vault-encrypted"));
    }

    #[test]
    fn proxy_jump_forms() {
        let j = parse_proxy_jump("a@b:1,ssh://c,[::1]:22").unwrap();
        assert_eq!(j.len(), 3);
        assert_eq!(
            j[2],
            JumpHost {
                user: None,
                host: "::1".into(),
                port: Some(22)
            }
        );
        assert!(parse_proxy_jump("none").unwrap().is_empty());
        assert_eq!(
            proxy_command_to_jump("ssh -q -W %h:%p ops@bastion"),
            Some(JumpHost {
                user: Some("ops".into()),
                host: "bastion".into(),
                port: None
            })
        );
        assert_eq!(proxy_command_to_jump("nc %h %p"), None);
    }

    #[test]
    fn become_vars_beat_keywords() {
        let o = opts_without_config();
        let kw = BecomeKeywords {
            become_: Some(true),
            become_user: Some("www-data".into()),
            ..Default::default()
        };
        let b = BecomeSpec::resolve("h", &Map::new(), &kw, &o)
            .unwrap()
            .unwrap();
        assert_eq!(
            (b.method, b.user.as_str()),
            (BecomeMethod::Sudo, "www-data")
        );
        let b = BecomeSpec::resolve(
            "h",
            &vars(json!({"ansible_become_user": "postgres", "ansible_become_pass": "s3cret"})),
            &kw,
            &o,
        )
        .unwrap()
        .unwrap();
        assert_eq!(b.user, "postgres");
        assert!(!format!("{b:?}").contains("s3cret"));
        let none =
            BecomeSpec::resolve("h", &vars(json!({"ansible_become": "no"})), &kw, &o).unwrap();
        assert!(none.is_none());
    }
}
