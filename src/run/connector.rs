//! What the runner needs from the connection layer: a [`Host`] handle for an inventory host
//! (with its connection variables) and the task's privilege escalation.

use std::sync::Arc;

use async_trait::async_trait;
use rplay_modules::{Host, HostError};
use serde_json::{Map, Value};

/// Become settings of a task (already templated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BecomeWanted {
    /// `become:`.
    pub enabled: Option<bool>,
    /// `become_user:`.
    pub user: Option<String>,
    /// `become_method:`.
    pub method: Option<String>,
    /// `become_flags:`.
    pub flags: Option<String>,
    /// `become_exe:`.
    pub exe: Option<String>,
}

/// Gives host handles to the runner, reusing connections.
#[async_trait]
pub trait Connector: Send + Sync {
    /// A handle for `host` reached with its (templated) variables, with `become` bound in.
    async fn host(
        &self,
        host: &str,
        vars: &Map<String, Value>,
        become_: &BecomeWanted,
    ) -> Result<Arc<dyn Host>, HostError>;
    /// Closes every connection (end of run, Ctrl-C).
    async fn close_all(&self) {}
}
