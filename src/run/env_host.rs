//! A [`Host`] wrapper that adds a task's `environment:` to every script it runs, so modules get
//! the environment without knowing about it.

use std::sync::Arc;

use async_trait::async_trait;
use rplay_modules::{Command, Content, FileAttrs, Host, HostError, Output};

/// A host handle with extra environment variables.
pub struct EnvHost {
    /// The real handle.
    pub inner: Arc<dyn Host>,
    /// Variables added to each command (the command's own win).
    pub env: Vec<(String, String)>,
}

#[async_trait]
impl Host for EnvHost {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn run(&self, mut cmd: Command) -> Result<Output, HostError> {
        let mut env = self.env.clone();
        env.retain(|(k, _)| !cmd.env.iter().any(|(ck, _)| ck == k));
        env.append(&mut cmd.env);
        cmd.env = env;
        self.inner.run(cmd).await
    }

    async fn put_file(
        &self,
        dest: &str,
        content: Content,
        attrs: &FileAttrs,
    ) -> Result<(), HostError> {
        self.inner.put_file(dest, content, attrs).await
    }

    async fn get_file(&self, path: &str) -> Result<Vec<u8>, HostError> {
        self.inner.get_file(path).await
    }

    async fn reconnect(&self, timeout: Option<std::time::Duration>) -> Result<(), HostError> {
        self.inner.reconnect(timeout).await
    }

    fn is_controller(&self) -> bool {
        self.inner.is_controller()
    }
}
