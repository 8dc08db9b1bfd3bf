//! [`ShellHost`]: the modules' `Host` over persistent shells. A `HostConnection` holds one
//! transport per host (an SSH connection, or the controller itself) and opens one shell per
//! become setting on first use; a `ShellHost` is a cheap handle binding a host name and a become
//! setting to it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rplay_modules::{Command, Content, FileAttrs, Host, HostError, Output};

use super::error::{ConnectError, VIA_SSH};
use super::escalation::{await_ready, become_command};
use super::protocol::Marker;
use super::shell::{RemoteShell, ShellError, ShellIo};
use super::spec::{BecomeMethod, BecomeSpec};
use super::ssh::SshConnection;

/// How the shells of a host are started.
pub(crate) enum Link {
    /// In session channels of this SSH connection.
    Ssh(Arc<SshConnection>),
    /// As child processes on the controller.
    Local,
}

/// Which shell a request goes to: `None` = the login user, else (method, user, exe, flags).
type ShellKey = Option<(BecomeMethod, String, Option<String>, Option<String>)>;

fn shell_key(b: Option<&BecomeSpec>) -> ShellKey {
    b.map(|b| (b.method, b.user.clone(), b.exe.clone(), b.flags.clone()))
}

/// One host's transport and its shells.
pub(crate) struct HostConnection {
    link: Link,
    shells: tokio::sync::Mutex<HashMap<ShellKey, Arc<RemoteShell>>>,
    /// Bounds the wait for a become prompt.
    become_timeout: Duration,
}

impl HostConnection {
    pub(crate) fn new(link: Link, become_timeout: Duration) -> HostConnection {
        HostConnection {
            link,
            shells: tokio::sync::Mutex::new(HashMap::new()),
            become_timeout,
        }
    }

    /// Whether the transport is gone.
    pub(crate) fn is_closed(&self) -> bool {
        match &self.link {
            Link::Ssh(c) => c.is_closed(),
            Link::Local => false,
        }
    }

    /// The message for a host whose connection dropped.
    fn dropped(&self) -> HostError {
        match &self.link {
            Link::Ssh(c) => HostError::Unreachable(format!(
                "{VIA_SSH}Shared connection to {} closed (port {}).",
                c.address, c.port
            )),
            Link::Local => HostError::Io("the local shell exited unexpectedly".into()),
        }
    }

    /// The ready shell for `b`, started on first use.
    async fn shell(&self, b: Option<&BecomeSpec>) -> Result<Arc<RemoteShell>, HostError> {
        let key = shell_key(b);
        let mut shells = self.shells.lock().await;
        if let Some(s) = shells.get(&key) {
            if !s.is_dead() {
                return Ok(s.clone());
            }
            // End the retired shell (it may still run an abandoned script) in the background.
            let old = s.clone();
            tokio::spawn(async move { old.close().await });
        }
        let marker = Marker::new();
        let command = match b {
            Some(b) => become_command(b, &marker),
            None => "exec /bin/sh".to_string(),
        };
        let mut io = match &self.link {
            Link::Ssh(conn) => {
                let ch = conn.handle.channel_open_session().await.map_err(|e| {
                    if conn.is_closed() {
                        self.dropped()
                    } else {
                        HostError::Unreachable(format!(
                            "{VIA_SSH}cannot open a session channel: {e}"
                        ))
                    }
                })?;
                ch.exec(false, command.as_bytes())
                    .await
                    .map_err(|_| self.dropped())?;
                let (read, write) = ch.split();
                ShellIo::Ssh { read, write }
            }
            Link::Local => ShellIo::spawn_local(&command)
                .map_err(|e| HostError::Io(format!("cannot start /bin/sh: {e}")))?,
        };
        if let Some(b) = b {
            if let Err(e) = await_ready(&mut io, b, &marker, self.become_timeout).await {
                if self.is_closed() {
                    return Err(self.dropped());
                }
                return Err(match e {
                    ConnectError::Become(m) => HostError::Become(m),
                    other => other.into_host_error(),
                });
            }
        }
        let shell = Arc::new(RemoteShell::new(io));
        shells.insert(key, shell.clone());
        Ok(shell)
    }

    fn shell_error(&self, e: ShellError) -> HostError {
        match e {
            ShellError::Local(m) => HostError::Io(m),
            ShellError::Closed(stderr) => {
                if self.is_closed() {
                    self.dropped()
                } else {
                    let stderr = stderr.trim();
                    HostError::Io(if stderr.is_empty() {
                        "the remote shell exited unexpectedly".to_string()
                    } else {
                        format!("the remote shell exited unexpectedly: {stderr}")
                    })
                }
            }
        }
    }

    /// Times one SSH-level round trip (a keepalive request the server answers at once); `None`
    /// for local hosts.
    pub(crate) async fn ping(&self) -> Option<Result<Duration, HostError>> {
        match &self.link {
            Link::Ssh(c) => {
                let start = std::time::Instant::now();
                Some(
                    c.handle
                        .send_ping()
                        .await
                        .map(|_| start.elapsed())
                        .map_err(|_| self.dropped()),
                )
            }
            Link::Local => None,
        }
    }

    /// Ends every shell and the transport.
    pub(crate) async fn close(&self) {
        let shells: Vec<Arc<RemoteShell>> =
            self.shells.lock().await.drain().map(|(_, s)| s).collect();
        for s in shells {
            s.close().await;
        }
        if let Link::Ssh(c) = &self.link {
            c.close().await;
        }
    }
}

/// A host as modules see it, with a become setting bound in.
pub struct ShellHost {
    name: String,
    conn: std::sync::Mutex<Arc<HostConnection>>,
    become_: Option<BecomeSpec>,
    reopen: Option<Reopener>,
}

/// Opens a host's connection again (after a reboot) and puts it in the pool's slot.
pub(crate) trait Reopen: Send + Sync {
    /// A fresh connection, one attempt within `timeout` when given.
    fn reopen(
        &self,
        timeout: Option<Duration>,
    ) -> futures::future::BoxFuture<'_, Result<Arc<HostConnection>, HostError>>;
}

type Reopener = Arc<dyn Reopen>;

impl ShellHost {
    pub(crate) fn new(
        name: String,
        conn: Arc<HostConnection>,
        become_: Option<BecomeSpec>,
        reopen: Option<Reopener>,
    ) -> ShellHost {
        ShellHost {
            name,
            conn: std::sync::Mutex::new(conn),
            become_,
            reopen,
        }
    }

    fn conn(&self) -> Arc<HostConnection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl Host for ShellHost {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self, cmd: Command) -> Result<Output, HostError> {
        let conn = self.conn();
        let shell = conn.shell(self.become_.as_ref()).await?;
        shell.run(&cmd).await.map_err(|e| conn.shell_error(e))
    }

    async fn put_file(
        &self,
        dest: &str,
        content: Content,
        attrs: &FileAttrs,
    ) -> Result<(), HostError> {
        let conn = self.conn();
        let shell = conn.shell(self.become_.as_ref()).await?;
        let out = shell
            .put(dest, content, attrs)
            .await
            .map_err(|e| conn.shell_error(e))?;
        if out.rc != 0 {
            return Err(HostError::Io(format!(
                "{dest}: {}",
                out.stderr_str().trim()
            )));
        }
        Ok(())
    }

    async fn get_file(&self, path: &str) -> Result<Vec<u8>, HostError> {
        let conn = self.conn();
        let shell = conn.shell(self.become_.as_ref()).await?;
        let out = shell.get(path).await.map_err(|e| conn.shell_error(e))?;
        if out.rc != 0 {
            return Err(HostError::Io(format!(
                "{path}: {}",
                out.stderr_str().trim()
            )));
        }
        Ok(out.stdout)
    }

    async fn reconnect(&self, timeout: Option<Duration>) -> Result<(), HostError> {
        let Some(reopen) = &self.reopen else {
            return Ok(());
        };
        let fresh = reopen.reopen(timeout).await?;
        *self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    fn is_controller(&self) -> bool {
        matches!(self.conn().link, Link::Local)
    }
}
