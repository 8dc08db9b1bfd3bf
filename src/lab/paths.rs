//! Where the lab keeps things: the shared image cache (/var/cache/rlab) and one state directory
//! per lab (/var/lib/rlab/NAME), plus the names derived from a lab name (namespaces, machines).

use std::path::{Path, PathBuf};

use super::error::{Error, Result};

/// Root of the shared cache: base images and the lab key, shared by all labs.
pub const CACHE_DIR: &str = "/var/cache/rlab";
/// Root of the per-lab state directories.
pub const STATE_ROOT: &str = "/var/lib/rlab";
/// Lab name used when neither `--lab` nor `RLAB_LAB` is given.
pub const DEFAULT_LAB: &str = "default";

/// Paths of the shared cache.
#[derive(Debug, Clone)]
pub struct CachePaths {
    /// The cache root.
    pub root: PathBuf,
}

impl CachePaths {
    /// The standard cache location.
    pub fn standard() -> Self {
        CachePaths {
            root: PathBuf::from(CACHE_DIR),
        }
    }
    /// Lock file serialising image builds.
    pub fn lock(&self) -> PathBuf {
        self.root.join("lock")
    }
    /// Private key of the lab (ed25519), accepted by root, deploy and ops on every host.
    pub fn key(&self) -> PathBuf {
        self.root.join("key/id_ed25519")
    }
    /// Public half of [`Self::key`].
    pub fn key_pub(&self) -> PathBuf {
        self.root.join("key/id_ed25519.pub")
    }
}

/// Paths and names of one lab.
#[derive(Debug, Clone)]
pub struct LabPaths {
    /// The lab name.
    pub name: String,
    /// Its state directory.
    pub dir: PathBuf,
}

impl LabPaths {
    /// Validates `name` and returns the lab's paths.
    pub fn new(name: &str) -> Result<Self> {
        validate_lab_name(name)?;
        Ok(LabPaths {
            name: name.to_string(),
            dir: Path::new(STATE_ROOT).join(name),
        })
    }
    /// Lock file serialising up/down of this lab.
    pub fn lock(&self) -> PathBuf {
        Path::new(STATE_ROOT).join(format!("{}.lock", self.name))
    }
    /// The JSON state file.
    pub fn state(&self) -> PathBuf {
        self.dir.join("state.json")
    }
    /// The YAML inventory of the running hosts.
    pub fn inventory(&self) -> PathBuf {
        self.dir.join("inventory.yml")
    }
    /// The known_hosts file with every host's key.
    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }
    /// Directory of one host (upper/work dirs, root mount point, log).
    pub fn host_dir(&self, host: &str) -> PathBuf {
        self.dir.join("hosts").join(host)
    }
    /// Network namespace name of one host.
    pub fn netns(&self, host: &str) -> String {
        format!("rlab-{}-{}", self.name, host)
    }
    /// Prefix shared by all network namespaces of this lab.
    pub fn netns_prefix(&self) -> String {
        format!("rlab-{}-", self.name)
    }
    /// Machine name given to systemd-nspawn.
    pub fn machine(&self, host: &str) -> String {
        format!("rlab-{}-{}", self.name, host)
    }
}

/// Checks that a lab name is safe in paths, namespace names and machine names.
pub fn validate_lab_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::BadLabName(name.to_string()))
    }
}

/// Inventory name of the `index`-th host (1-based).
pub fn host_name(index: usize) -> String {
    format!("h{index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_names_are_checked() {
        assert!(validate_lab_name("it").is_ok());
        assert!(validate_lab_name("modfiles-2").is_ok());
        assert!(validate_lab_name("").is_err());
        assert!(validate_lab_name("1lab").is_err());
        assert!(validate_lab_name("Lab").is_err());
        assert!(validate_lab_name("a/b").is_err());
        assert!(validate_lab_name("abcdefghijklmnopqrstuvwxyz0123456").is_err());
    }

    #[test]
    fn derived_names() {
        let lab = LabPaths::new("it").unwrap();
        assert_eq!(lab.netns("h1"), "rlab-it-h1");
        assert_eq!(lab.machine("h2"), "rlab-it-h2");
        assert_eq!(lab.state(), PathBuf::from("/var/lib/rlab/it/state.json"));
    }
}
