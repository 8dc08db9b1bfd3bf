//! The scratch file `rvault edit` and `create` hand to `$EDITOR`. It lives in a fresh directory
//! only the user can enter (0700), the file itself is 0600, and when the session ends (also on
//! error or panic) the file is overwritten with zeros, synced, and removed with its directory, so
//! no plaintext is left on disk.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::error::Error;

/// A private plaintext file for one edit.
#[derive(Debug)]
pub struct EditSession {
    dir: Option<tempfile::TempDir>,
    file: PathBuf,
}

impl EditSession {
    /// Creates the private directory and the file (named after `original`'s extension, so the
    /// editor picks the right syntax), holding `plaintext`.
    pub fn start(original: &Path, plaintext: &[u8]) -> Result<EditSession, Error> {
        let dir = tempfile::Builder::new()
            .prefix("rvault-edit-")
            .tempdir()
            .map_err(|source| Error::Io {
                action: "Unable to create a private temporary directory",
                path: std::env::temp_dir(),
                source,
            })?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).map_err(
            |source| Error::Io {
                action: "Unable to restrict",
                path: dir.path().to_path_buf(),
                source,
            },
        )?;
        let name = match original.extension() {
            Some(ext) => format!("plaintext.{}", ext.to_string_lossy()),
            None => "plaintext".to_string(),
        };
        let file = dir.path().join(name);
        let session = EditSession {
            dir: Some(dir),
            file,
        };
        let mut handle = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&session.file)
            .map_err(|source| Error::Io {
                action: "Unable to create",
                path: session.file.clone(),
                source,
            })?;
        handle
            .write_all(plaintext)
            .and_then(|()| handle.sync_all())
            .map_err(|source| Error::Io {
                action: "Unable to write",
                path: session.file.clone(),
                source,
            })?;
        Ok(session)
    }

    /// The file to give the editor.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// The file's content after editing.
    pub fn read(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        std::fs::read(&self.file)
            .map(Zeroizing::new)
            .map_err(|source| Error::Io {
                action: "Unable to read",
                path: self.file.clone(),
                source,
            })
    }

    /// Overwrites every file in the directory with zeros and removes the directory. Called on drop;
    /// call it directly to learn about failures.
    pub fn wipe(mut self) -> Result<(), Error> {
        self.wipe_now()
    }

    fn wipe_now(&mut self) -> Result<(), Error> {
        let Some(dir) = self.dir.take() else {
            return Ok(());
        };
        // Editors may leave swap or backup files beside the file: wipe everything in the directory.
        if let Ok(entries) = std::fs::read_dir(dir.path()) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file() {
                    overwrite_with_zeros(&path);
                }
            }
        }
        let path = dir.path().to_path_buf();
        dir.close().map_err(|source| Error::Io {
            action: "Unable to remove",
            path,
            source,
        })
    }
}

impl Drop for EditSession {
    fn drop(&mut self) {
        let _ = self.wipe_now();
    }
}

fn overwrite_with_zeros(path: &Path) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(path) else {
        return;
    };
    let zeros = [0u8; 8192];
    let mut left = meta.len();
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        if f.write_all(&zeros[..n]).is_err() {
            return;
        }
        left -= n as u64;
    }
    let _ = f.sync_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_left_after_the_session() {
        let session =
            EditSession::start(Path::new("group_vars/all.yml"), b"pw: hunter2\n").expect("starts");
        let file = session.path().to_path_buf();
        let dir = file.parent().expect("has a dir").to_path_buf();
        assert!(file.to_string_lossy().ends_with(".yml"));
        assert_eq!(
            std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            std::fs::metadata(&file).expect("file").permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(&session.read().expect("reads")[..], b"pw: hunter2\n");
        std::fs::write(dir.join(".plaintext.yml.swp"), "hunter2").expect("swap file");
        session.wipe().expect("wipes");
        assert!(!dir.exists());
    }
}
