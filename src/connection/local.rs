//! The local connection: runs scripts with `/bin/sh` on the controller itself, for `localhost`,
//! `connection: local` and `delegate_to: localhost`.

use async_trait::async_trait;
use rplay_modules::{Command, Content, FileAttrs, Host, HostError, Output};
use tokio::io::AsyncWriteExt;

/// The controller, as a managed host.
pub struct LocalHost {
    name: String,
}

impl LocalHost {
    /// A local host known in the inventory as `name`.
    pub fn new(name: impl Into<String>) -> Self {
        LocalHost { name: name.into() }
    }
}

#[async_trait]
impl Host for LocalHost {
    fn name(&self) -> &str {
        &self.name
    }

    fn is_controller(&self) -> bool {
        true
    }

    async fn run(&self, cmd: Command) -> Result<Output, HostError> {
        let mut child = tokio::process::Command::new("/bin/sh");
        child
            .arg("-c")
            .arg(&cmd.script)
            .envs(cmd.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(cwd) = &cmd.cwd {
            child.current_dir(cwd);
        }
        let mut proc = child
            .spawn()
            .map_err(|e| HostError::Io(format!("cannot start /bin/sh: {e}")))?;
        if let Some(mut stdin) = proc.stdin.take() {
            if let Some(bytes) = cmd.stdin {
                // A script that exits without reading its input is not an error.
                let _ = stdin.write_all(&bytes).await;
            }
        }
        let out = proc
            .wait_with_output()
            .await
            .map_err(|e| HostError::Io(format!("waiting for /bin/sh: {e}")))?;
        let rc = match out.status.code() {
            Some(rc) => rc,
            None => {
                use std::os::unix::process::ExitStatusExt;
                128 + out.status.signal().unwrap_or(0)
            }
        };
        Ok(Output {
            rc,
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }

    async fn put_file(
        &self,
        dest: &str,
        content: Content,
        attrs: &FileAttrs,
    ) -> Result<(), HostError> {
        let dest_path = std::path::Path::new(dest);
        let dir = dest_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".rplay-tmp-")
            .tempfile_in(dir)
            .map_err(|e| HostError::Io(format!("{}: {e}", dir.display())))?;
        match content {
            Content::Bytes(bytes) => std::fs::write(tmp.path(), bytes),
            Content::LocalFile(src) => std::fs::copy(&src, tmp.path()).map(|_| ()),
        }
        .map_err(|e| HostError::Io(format!("{dest}: {e}")))?;
        let tmp_path = tmp.path().to_string_lossy().into_owned();
        let mut script = String::new();
        if let Some(mode) = &attrs.mode {
            script.push_str(&format!("chmod {} \"$1\" && ", shell_words::quote(mode)));
        }
        if let Some(owner) = &attrs.owner {
            script.push_str(&format!("chown {} \"$1\" && ", shell_words::quote(owner)));
        }
        if let Some(group) = &attrs.group {
            script.push_str(&format!("chgrp {} \"$1\" && ", shell_words::quote(group)));
        }
        script.push_str("sync \"$1\" 2>/dev/null; mv -f \"$1\" \"$2\"");
        let out = self
            .run(Command::new(format!(
                "set -- {} {}; {script}",
                shell_words::quote(&tmp_path),
                shell_words::quote(dest)
            )))
            .await?;
        // The temp file was renamed away; do not let its guard try to remove the destination.
        let _ = tmp.into_temp_path().keep();
        if out.rc != 0 {
            let _ = std::fs::remove_file(&tmp_path);
            return Err(HostError::Io(format!(
                "{dest}: {}",
                out.stderr_str().trim()
            )));
        }
        Ok(())
    }

    async fn get_file(&self, path: &str) -> Result<Vec<u8>, HostError> {
        std::fs::read(path).map_err(|e| HostError::Io(format!("{path}: {e}")))
    }
}
