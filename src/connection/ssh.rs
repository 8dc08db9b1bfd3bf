//! Opening the SSH transport of one host with russh: TCP connect (or a `direct-tcpip` channel
//! through the previous jump host), handshake with host key verification against known_hosts,
//! authentication (see `auth`), keepalives, and retries of transient failures. Failures are
//! worded like OpenSSH's, behind Ansible's `Failed to connect to the host via ssh:` prefix.

use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{Algorithm, PublicKey, PublicKeyOrCertificate};
use tokio::io::{AsyncRead, AsyncWrite};

use super::auth::authenticate;
use super::error::{unreachable, ConnectError};
use super::known_hosts::{self, fingerprint, lookup_name, HostKeyStatus};
use super::spec::{ConnectionSpec, HostKeyPolicy};

/// Why the handshake stopped: an SSH error, or a host key rplay refused (with the message).
#[derive(Debug)]
pub(crate) enum HandlerError {
    Ssh(russh::Error),
    HostKey(String),
}

impl From<russh::Error> for HandlerError {
    fn from(e: russh::Error) -> Self {
        HandlerError::Ssh(e)
    }
}

/// Serializes appends to known_hosts files when hundreds of hosts accept new keys at once.
static KNOWN_HOSTS_WRITE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// russh's callbacks for one connection: only host key verification matters to rplay.
pub(crate) struct ClientHandler {
    inventory_name: String,
    address: String,
    port: u16,
    files: Vec<std::path::PathBuf>,
    policy: HostKeyPolicy,
}

impl ClientHandler {
    fn verify(&self, key: &PublicKey) -> Result<(), String> {
        let name = lookup_name(&self.address, self.port);
        let offered = format!("{} key {}", key.algorithm().as_str(), fingerprint(key));
        match known_hosts::check(&self.files, &self.address, self.port, key) {
            HostKeyStatus::Known => Ok(()),
            HostKeyStatus::Revoked { location } => Err(format!(
                "Host key verification failed: the {offered} offered by {name} is marked @revoked ({location})."
            )),
            HostKeyStatus::Changed { recorded } => {
                let was: Vec<String> = recorded
                    .iter()
                    .map(|(loc, fp)| format!("{fp} ({loc})"))
                    .collect();
                Err(format!(
                    "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for {} ({name})! The host now offers {offered}, \
                     but known_hosts records {}. Someone could be eavesdropping on you right now \
                     (man-in-the-middle attack), or the host key was replaced. If the change is expected, remove \
                     the old key with: ssh-keygen -f '{}' -R '{name}'. Host key verification failed.",
                    self.inventory_name,
                    was.join(", "),
                    recorded
                        .first()
                        .and_then(|(loc, _)| loc.rsplit_once(':').map(|(f, _)| f.to_string()))
                        .unwrap_or_default()
                ))
            }
            HostKeyStatus::Unknown => match self.policy {
                HostKeyPolicy::AcceptUnknown => Ok(()),
                HostKeyPolicy::AcceptNew => {
                    if let Some(first) = self.files.first() {
                        let _guard = KNOWN_HOSTS_WRITE.lock();
                        known_hosts::record(first, &self.address, self.port, key).map_err(|e| {
                            format!("cannot record the host key of {name} in {}: {e}", first.display())
                        })?;
                    }
                    Ok(())
                }
                HostKeyPolicy::Strict => Err(format!(
                    "Host key verification failed: no host key is known for {name} (it offers {offered}). \
                     After checking the fingerprint, add it with: ssh-keyscan -p {} {} >> {} \
                     ; or accept new keys with ansible_ssh_common_args='-o StrictHostKeyChecking=accept-new' \
                     or host_key_checking = False.",
                    self.port,
                    self.address,
                    self.files
                        .first()
                        .map(|f| f.display().to_string())
                        .unwrap_or_else(|| "~/.ssh/known_hosts".into())
                )),
            },
        }
    }
}

impl client::Handler for ClientHandler {
    type Error = HandlerError;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        self.verify(&key)
            .map(|_| true)
            .map_err(HandlerError::HostKey)
    }
}

/// Anything russh can run SSH over: a TCP stream or a channel of the previous hop.
trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

/// An authenticated SSH connection, and the jump host connection it runs through.
pub(crate) struct SshConnection {
    pub(crate) handle: Handle<ClientHandler>,
    _via: Option<Arc<SshConnection>>,
    /// `address` and `port`, for messages.
    pub(crate) address: String,
    pub(crate) port: u16,
}

/// Connections to jump hosts, shared by every target behind them (a fleet behind one bastion
/// uses one bastion connection, not one per host). Keyed by the chain up to each hop.
#[derive(Default)]
pub(crate) struct JumpCache {
    slots: std::sync::Mutex<std::collections::HashMap<String, JumpSlot>>,
}

type JumpSlot = Arc<tokio::sync::Mutex<Option<Arc<SshConnection>>>>;

impl JumpCache {
    fn slot(&self, key: &str) -> JumpSlot {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key.to_string())
            .or_default()
            .clone()
    }

    /// How many jump connections are open.
    pub(crate) fn open_count(&self) -> usize {
        let slots: Vec<JumpSlot> = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        slots
            .iter()
            .filter(|s| {
                matches!(
                    s.try_lock().map(|g| g.as_ref().map(|c| !c.is_closed())),
                    Ok(Some(true))
                )
            })
            .count()
    }

    /// Forgets every jump connection (the targets' connections keep theirs alive).
    pub(crate) fn clear(&self) -> Vec<JumpSlot> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain()
            .map(|(_, s)| s)
            .collect()
    }
}

/// A connect failure, and whether trying again may help.
struct Attempt {
    error: ConnectError,
    transient: bool,
}

fn fatal(error: ConnectError) -> Attempt {
    Attempt {
        error,
        transient: false,
    }
}

/// Host key algorithms in russh's order, with those recorded in known_hosts first.
fn preferred_keys(spec: &ConnectionSpec) -> Vec<Algorithm> {
    let default: Vec<Algorithm> = russh::Preferred::default().key.to_vec();
    let known = known_hosts::recorded_algorithms(&spec.known_hosts_files, &spec.address, spec.port);
    if known.is_empty() {
        return default;
    }
    let same_family =
        |a: &Algorithm, b: &Algorithm| a == b || (a.clone().is_rsa() && b.clone().is_rsa());
    let mut first: Vec<Algorithm> = default
        .iter()
        .filter(|a| known.iter().any(|k| same_family(a, k)))
        .cloned()
        .collect();
    first.extend(
        default
            .iter()
            .filter(|a| !known.iter().any(|k| same_family(a, k)))
            .cloned(),
    );
    first
}

fn client_config(spec: &ConnectionSpec) -> Arc<client::Config> {
    let preferred = russh::Preferred {
        key: preferred_keys(spec).into(),
        ..Default::default()
    };
    Arc::new(client::Config {
        inactivity_timeout: None,
        keepalive_interval: spec.keepalive.map(|k| k.0),
        keepalive_max: spec.keepalive.map(|k| k.1).unwrap_or(3),
        nodelay: true,
        window_size: 8 * 1024 * 1024,
        preferred,
        ..Default::default()
    })
}

/// Opens the TCP stream to `spec`'s address, worded like ssh on failure.
async fn dial(spec: &ConnectionSpec) -> Result<tokio::net::TcpStream, Attempt> {
    let (addr, port) = (spec.address.as_str(), spec.port);
    let addrs: Vec<std::net::SocketAddr> = match tokio::net::lookup_host((addr, port)).await {
        Ok(a) => a.collect(),
        Err(e) => {
            let reason = e.to_string();
            let reason = reason
                .rsplit(": ")
                .next()
                .unwrap_or("Name or service not known")
                .to_string();
            return Err(fatal(unreachable(format!(
                "ssh: Could not resolve hostname {addr}: {reason}"
            ))));
        }
    };
    let mut last = None;
    for sa in addrs {
        match tokio::time::timeout(spec.timeout, tokio::net::TcpStream::connect(sa)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Ok(Err(e)) => last = Some(e.kind()),
            Err(_) => last = Some(std::io::ErrorKind::TimedOut),
        }
    }
    let (reason, transient) = match last {
        Some(std::io::ErrorKind::ConnectionRefused) => ("Connection refused".to_string(), true),
        Some(std::io::ErrorKind::TimedOut) => ("Connection timed out".to_string(), false),
        Some(k) => (std::io::Error::from(k).to_string(), true),
        None => ("No address associated with hostname".to_string(), false),
    };
    Err(Attempt {
        error: unreachable(format!("ssh: connect to host {addr} port {port}: {reason}")),
        transient,
    })
}

/// Maps a russh failure during the handshake to ssh-like wording.
fn handshake_failure(spec: &ConnectionSpec, e: HandlerError) -> Attempt {
    match e {
        HandlerError::HostKey(msg) => fatal(unreachable(msg)),
        HandlerError::Ssh(e) => {
            let closed = matches!(&e, russh::Error::Disconnect | russh::Error::HUP)
                || matches!(&e, russh::Error::IO(io) if matches!(io.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionAborted));
            if closed {
                Attempt {
                    error: unreachable(format!(
                        "kex_exchange_identification: Connection closed by remote host {} port {}",
                        spec.address, spec.port
                    )),
                    transient: true,
                }
            } else {
                fatal(unreachable(format!(
                    "ssh: {}: {e}",
                    lookup_name(&spec.address, spec.port)
                )))
            }
        }
    }
}

impl SshConnection {
    /// Connects and authenticates, through the spec's jump hosts, retrying transient failures.
    /// `handshakes` bounds how many SSH handshakes (the CPU-heavy part) run at once; waiting
    /// for a turn does not count against the connect timeout.
    pub(crate) async fn open(
        spec: &ConnectionSpec,
        handshakes: &tokio::sync::Semaphore,
        jumps: &JumpCache,
    ) -> Result<Arc<SshConnection>, ConnectError> {
        let mut delay = spec.retry_delay;
        let mut tries_left = spec.retries;
        loop {
            match Self::open_once(spec, handshakes, jumps).await {
                Ok(c) => return Ok(c),
                Err(a) if a.transient && tries_left > 0 => {
                    tries_left -= 1;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
                Err(a) => return Err(a.error),
            }
        }
    }

    async fn open_once(
        spec: &ConnectionSpec,
        handshakes: &tokio::sync::Semaphore,
        jumps: &JumpCache,
    ) -> Result<Arc<SshConnection>, Attempt> {
        let mut via: Option<Arc<SshConnection>> = None;
        let mut chain = String::new();
        for hop in &spec.proxy_jump {
            let mut hop_spec = spec.for_jump(hop);
            hop_spec.proxy_jump.clear();
            chain.push_str(&format!(
                "{}@{}:{}/",
                hop_spec.user, hop_spec.address, hop_spec.port
            ));
            let slot = jumps.slot(&chain);
            let mut cached = slot.lock().await;
            let conn = match cached.as_ref() {
                Some(c) if !c.is_closed() => c.clone(),
                _ => {
                    let c =
                        Self::hop(&hop_spec, via.take(), handshakes)
                            .await
                            .map_err(|mut a| {
                                a.error = match a.error {
                                    ConnectError::Unreachable(m) => {
                                        ConnectError::Unreachable(format!(
                                            "{m} (jump host {} for {})",
                                            hop.host, spec.inventory_name
                                        ))
                                    }
                                    other => other,
                                };
                                a
                            })?;
                    *cached = Some(c.clone());
                    c
                }
            };
            via = Some(conn);
        }
        Self::hop(spec, via, handshakes).await
    }

    /// One hop: transport, handshake, authentication.
    async fn hop(
        spec: &ConnectionSpec,
        via: Option<Arc<SshConnection>>,
        handshakes: &tokio::sync::Semaphore,
    ) -> Result<Arc<SshConnection>, Attempt> {
        let stream: Box<dyn Transport> = match &via {
            None => Box::new(dial(spec).await?),
            Some(jump) => {
                let ch = tokio::time::timeout(
                    spec.timeout,
                    jump.handle
                        .channel_open_direct_tcpip(spec.address.clone(), spec.port as u32, "127.0.0.1", 0),
                )
                .await
                .map_err(|_| Attempt {
                    error: unreachable(format!(
                        "ssh: connect to host {} port {} through {}: Connection timed out",
                        spec.address, spec.port, jump.address
                    )),
                    transient: false,
                })?
                .map_err(|e| Attempt {
                    error: unreachable(format!(
                        "channel 0: open failed: connect to host {} port {} through jump host {}: {e}",
                        spec.address, spec.port, jump.address
                    )),
                    transient: true,
                })?;
                Box::new(ch.into_stream())
            }
        };
        let _turn = handshakes.acquire().await.map_err(|_| {
            fatal(ConnectError::Unreachable(
                "the connection pool is closed".into(),
            ))
        })?;
        let handler = ClientHandler {
            inventory_name: spec.inventory_name.clone(),
            address: spec.address.clone(),
            port: spec.port,
            files: spec.known_hosts_files.clone(),
            policy: spec.host_key_policy,
        };
        let mut handle = match tokio::time::timeout(
            spec.timeout,
            client::connect_stream(client_config(spec), stream, handler),
        )
        .await
        {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => return Err(handshake_failure(spec, e)),
            Err(_) => {
                return Err(Attempt {
                    error: unreachable(format!(
                        "Connection timed out during banner exchange\nConnection to {} port {} timed out",
                        spec.address, spec.port
                    )),
                    transient: false,
                })
            }
        };
        match tokio::time::timeout(spec.timeout * 3, authenticate(&mut handle, spec)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(fatal(e)),
            Err(_) => {
                return Err(fatal(unreachable(format!(
                    "{}@{}: authentication timed out",
                    spec.user, spec.address
                ))))
            }
        }
        Ok(Arc::new(SshConnection {
            handle,
            _via: via,
            address: spec.address.clone(),
            port: spec.port,
        }))
    }

    /// Whether the transport is gone (the host dropped or we closed it).
    pub(crate) fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Politely ends the connection.
    pub(crate) async fn close(&self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}
