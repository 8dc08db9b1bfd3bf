//! [`Pool`]: the connections of one run. The first `host()` call for a host opens its SSH
//! connection (one per user@address:port and jump chain), later calls reuse it; a connection
//! that dropped is reopened on the next call; `close_all` ends them at the end of the run.

use std::collections::HashMap;
use std::sync::Arc;

use rplay_modules::{Host, HostError};

use super::local::LocalHost;
use super::shell_host::{HostConnection, Link, Reopen, ShellHost};
use super::spec::{BecomeSpec, ConnectionSpec, Transport};
use super::ssh::{JumpCache, SshConnection};

/// A cache slot: connecting happens under its lock, so concurrent tasks of one host wait for the
/// same connection instead of opening several.
type Slot = Arc<tokio::sync::Mutex<Option<Arc<HostConnection>>>>;

/// How many SSH handshakes the pool runs at once by default. Hosts beyond it wait their turn
/// before their connect timeout starts, so a big fan-out is not mistaken for dead hosts.
pub const DEFAULT_CONNECT_LIMIT: usize = 32;

/// The connections of one run.
pub struct Pool {
    slots: std::sync::Mutex<HashMap<String, Slot>>,
    connecting: Arc<tokio::sync::Semaphore>,
    jumps: Arc<JumpCache>,
}

impl Default for Pool {
    fn default() -> Self {
        Pool::with_connect_limit(DEFAULT_CONNECT_LIMIT)
    }
}

fn pool_key(spec: &ConnectionSpec) -> String {
    match spec.transport {
        Transport::Local => "local:".to_string(),
        Transport::Ssh => {
            let jumps: Vec<String> = spec
                .proxy_jump
                .iter()
                .map(|j| {
                    format!(
                        "{}@{}:{}",
                        j.user.as_deref().unwrap_or(""),
                        j.host,
                        j.port.unwrap_or(22)
                    )
                })
                .collect();
            format!(
                "ssh:{}@{}:{} via {}",
                spec.user,
                spec.address,
                spec.port,
                jumps.join(",")
            )
        }
    }
}

/// Opens a host connection.
async fn open_connection(
    spec: &ConnectionSpec,
    connecting: &tokio::sync::Semaphore,
    jumps: &JumpCache,
) -> Result<Arc<HostConnection>, HostError> {
    let link = match spec.transport {
        Transport::Local => Link::Local,
        Transport::Ssh => Link::Ssh(
            SshConnection::open(spec, connecting, jumps)
                .await
                .map_err(|e| e.into_host_error())?,
        ),
    };
    Ok(Arc::new(HostConnection::new(
        link,
        spec.timeout.max(std::time::Duration::from_secs(12)),
    )))
}

/// Renews the connection in a pool slot: closes the old one, opens a new one (one attempt) and
/// leaves it in the slot for later tasks.
struct SlotReopen {
    spec: ConnectionSpec,
    slot: Slot,
    connecting: Arc<tokio::sync::Semaphore>,
    jumps: Arc<JumpCache>,
}

impl Reopen for SlotReopen {
    fn reopen(
        &self,
        timeout: Option<std::time::Duration>,
    ) -> futures::future::BoxFuture<'_, Result<Arc<HostConnection>, HostError>> {
        Box::pin(async move {
            let mut spec = self.spec.clone();
            spec.retries = 0;
            if let Some(t) = timeout {
                spec.timeout = t;
            }
            let mut guard = self.slot.lock().await;
            if let Some(old) = guard.take() {
                // The old connection may be dead without knowing it yet: do not wait for it.
                tokio::spawn(async move { old.close().await });
            }
            let fresh = open_connection(&spec, &self.connecting, &self.jumps).await?;
            *guard = Some(fresh.clone());
            Ok(fresh)
        })
    }
}

impl Pool {
    /// An empty pool.
    pub fn new() -> Pool {
        Pool::default()
    }

    /// An empty pool that runs at most `limit` SSH handshakes at once (at least 1). Also raises
    /// the open-file soft limit (once per process) so thousands of connections fit.
    pub fn with_connect_limit(limit: usize) -> Pool {
        static RAISE: std::sync::Once = std::sync::Once::new();
        RAISE.call_once(|| {
            // Best effort: without it, only very large fan-outs are at risk.
            let _ = super::fd_limit::raise_fd_limit();
        });
        Pool {
            slots: std::sync::Mutex::new(HashMap::new()),
            connecting: Arc::new(tokio::sync::Semaphore::new(limit.max(1))),
            jumps: Arc::new(JumpCache::default()),
        }
    }

    /// A handle on `spec`'s host that runs everything as `become_` (or the login user). Opens the
    /// connection on first use; fails with `HostError::Unreachable` when the host cannot be
    /// reached.
    pub async fn host(
        &self,
        spec: &ConnectionSpec,
        become_: Option<&BecomeSpec>,
    ) -> Result<Arc<dyn Host>, HostError> {
        if spec.transport == Transport::Local && become_.is_none() {
            return Ok(Arc::new(LocalHost::new(spec.inventory_name.clone())));
        }
        let slot = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            slots.entry(pool_key(spec)).or_default().clone()
        };
        let mut guard = slot.lock().await;
        let conn = match guard.as_ref() {
            Some(c) if !c.is_closed() => c.clone(),
            _ => {
                let c = open_connection(spec, &self.connecting, &self.jumps).await?;
                *guard = Some(c.clone());
                c
            }
        };
        let reopen = (spec.transport == Transport::Ssh).then(|| {
            Arc::new(SlotReopen {
                spec: spec.clone(),
                slot: slot.clone(),
                connecting: self.connecting.clone(),
                jumps: self.jumps.clone(),
            }) as Arc<dyn Reopen>
        });
        Ok(Arc::new(ShellHost::new(
            spec.inventory_name.clone(),
            conn,
            become_.cloned(),
            reopen,
        )))
    }

    /// Times one bare SSH round trip on the (already opened) connection of `spec`'s host: the
    /// yardstick for what a task costs. `None` when the host has no open SSH connection.
    pub async fn round_trip(
        &self,
        spec: &ConnectionSpec,
    ) -> Option<Result<std::time::Duration, HostError>> {
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&pool_key(spec))
            .cloned()?;
        let conn = slot.lock().await.clone()?;
        conn.ping().await
    }

    /// Closes the connection of `spec`'s host (`meta: reset_connection`); the next `host()`
    /// call reconnects.
    pub async fn reset(&self, spec: &ConnectionSpec) {
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&pool_key(spec));
        if let Some(slot) = slot {
            if let Some(c) = slot.lock().await.take() {
                c.close().await;
            }
        }
    }

    /// Closes every connection (end of the run).
    pub async fn close_all(&self) {
        let slots: Vec<Slot> = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain()
            .map(|(_, s)| s)
            .collect();
        let closing = slots.into_iter().map(|slot| async move {
            if let Some(c) = slot.lock().await.take() {
                c.close().await;
            }
        });
        futures::future::join_all(closing).await;
        let jumps = self.jumps.clear().into_iter().map(|slot| async move {
            if let Some(c) = slot.lock().await.take() {
                c.close().await;
            }
        });
        futures::future::join_all(jumps).await;
    }

    /// How many host connections are open.
    pub fn len(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// How many connections to jump hosts are open (each shared by all hosts behind it).
    pub fn jump_connections(&self) -> usize {
        self.jumps.open_count()
    }

    /// Whether no connection was opened.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
