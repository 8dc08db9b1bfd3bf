//! The runner's [`Connector`] over the connection layer's [`Pool`]: resolves each host's
//! [`ConnectionSpec`] from its (templated) variables and the task's become settings, then reuses
//! one connection per host for the whole run.

use std::sync::Arc;

use async_trait::async_trait;
use rplay_modules::{Host, HostError};
use serde_json::{Map, Value};

use super::connector::{BecomeWanted, Connector};
use crate::connection::spec::{BecomeKeywords, BecomeSpec, ConnectOptions, ConnectionSpec};
use crate::connection::Pool;

/// Connections through the pool.
pub struct PoolConnector {
    /// The pool of the run.
    pub pool: Pool,
    /// Run-wide connection settings.
    pub options: ConnectOptions,
}

impl PoolConnector {
    /// A connector with these settings.
    pub fn new(options: ConnectOptions) -> Self {
        PoolConnector {
            pool: Pool::new(),
            options,
        }
    }
}

#[async_trait]
impl Connector for PoolConnector {
    async fn host(
        &self,
        host: &str,
        vars: &Map<String, Value>,
        become_: &BecomeWanted,
    ) -> Result<Arc<dyn Host>, HostError> {
        let mut vars = vars.clone();
        if (host == "localhost" || host == "127.0.0.1") && !vars.contains_key("ansible_connection")
        {
            vars.insert("ansible_connection".into(), Value::String("local".into()));
        }
        let spec = ConnectionSpec::from_vars(host, &vars, &self.options)
            .map_err(|e| HostError::Io(e.to_string()))?;
        let keywords = BecomeKeywords {
            become_: become_.enabled,
            become_user: become_.user.clone(),
            become_method: become_.method.clone(),
            become_flags: become_.flags.clone(),
            become_exe: become_.exe.clone(),
        };
        let become_spec = BecomeSpec::resolve(host, &vars, &keywords, &self.options)
            .map_err(|e| HostError::Io(e.to_string()))?;
        self.pool.host(&spec, become_spec.as_ref()).await
    }

    async fn close_all(&self) {
        self.pool.close_all().await;
    }
}
