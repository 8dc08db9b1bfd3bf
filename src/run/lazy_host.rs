//! A [`Host`] handle that connects on first use. `wait_for_connection` must start while the host
//! is still unreachable (booting, sshd restarting) and keep trying itself, so for modules that
//! say they reach the host themselves the engine hands out this handle instead of failing the
//! task UNREACHABLE before the module runs.

use std::sync::Arc;

use async_trait::async_trait;
use rplay_modules::{Command, Content, FileAttrs, Host, HostError, Output};
use serde_json::{Map, Value};

use super::connector::{BecomeWanted, Connector};

/// A host handle whose connection is opened by the first call (or `reconnect`).
pub struct LazyHost {
    name: String,
    connector: Arc<dyn Connector>,
    vars: Map<String, Value>,
    become_: BecomeWanted,
    inner: tokio::sync::Mutex<Option<Arc<dyn Host>>>,
}

impl LazyHost {
    /// A handle for `name`, connected later with `vars` and `become_` through `connector`.
    pub fn new(
        name: &str,
        connector: Arc<dyn Connector>,
        vars: Map<String, Value>,
        become_: BecomeWanted,
    ) -> LazyHost {
        LazyHost {
            name: name.to_string(),
            connector,
            vars,
            become_,
            inner: tokio::sync::Mutex::new(None),
        }
    }

    /// The connected handle, connecting now if need be.
    async fn connected(&self) -> Result<Arc<dyn Host>, HostError> {
        let mut inner = self.inner.lock().await;
        if let Some(h) = inner.as_ref() {
            return Ok(h.clone());
        }
        let h = self
            .connector
            .host(&self.name, &self.vars, &self.become_)
            .await?;
        *inner = Some(h.clone());
        Ok(h)
    }
}

#[async_trait]
impl Host for LazyHost {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self, cmd: Command) -> Result<Output, HostError> {
        self.connected().await?.run(cmd).await
    }

    async fn put_file(
        &self,
        dest: &str,
        content: Content,
        attrs: &FileAttrs,
    ) -> Result<(), HostError> {
        self.connected().await?.put_file(dest, content, attrs).await
    }

    async fn get_file(&self, path: &str) -> Result<Vec<u8>, HostError> {
        self.connected().await?.get_file(path).await
    }

    /// Renews the connection as Ansible's connection reset does: a pooled connection that still
    /// looks open (say, to an sshd stopped since) is dropped and opened again.
    async fn reconnect(&self, timeout: Option<std::time::Duration>) -> Result<(), HostError> {
        self.connected().await?.reconnect(timeout).await
    }
}
