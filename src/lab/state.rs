//! The state file of a running lab (/var/lib/rlab/NAME/state.json): what `up` started, so
//! `down`, `status`, `inventory` and `ssh` can find it. Written atomically after every step.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{io_err, Error, Result};
use super::paths::LabPaths;

/// One lab as started by `rlab up`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LabState {
    /// The lab name.
    pub name: String,
    /// Light hosts (sshd only) rather than full systemd hosts.
    pub light: bool,
    /// Hosts have python3 and python3-apt.
    pub python: bool,
    /// Added round-trip delay in milliseconds.
    pub latency_ms: u64,
    /// The image the hosts are overlays of.
    pub image: PathBuf,
    /// Private key accepted by root, deploy and ops.
    pub key: PathBuf,
    /// known_hosts file with every host's key.
    pub known_hosts: PathBuf,
    /// YAML inventory of the hosts.
    pub inventory: PathBuf,
    /// The hosts, in order.
    pub hosts: Vec<HostState>,
}

/// One host of a lab.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostState {
    /// Inventory name (`h1`, `h2`, ...), also the host's own hostname.
    pub name: String,
    /// systemd-nspawn machine name (unique across labs).
    pub machine: String,
    /// Network namespace name.
    pub netns: String,
    /// Port on 127.0.0.1 forwarded to the host's sshd.
    pub port: u16,
    /// Pid of the host's root process (systemd-nspawn or the light host's sshd).
    pub pid: Option<u32>,
    /// Pid of the loopback forwarder.
    pub forwarder_pid: Option<u32>,
    /// The host's ed25519 public host key (`ssh-ed25519 AAAA...`).
    pub host_key: String,
}

impl LabState {
    /// Reads the state of `lab`; [`Error::NotRunning`] when there is none.
    pub fn load(lab: &LabPaths) -> Result<LabState> {
        let path = lab.state();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotRunning {
                    lab: lab.name.clone(),
                    path,
                })
            }
            Err(e) => return Err(Error::Io { path, source: e }),
        };
        serde_json::from_str(&text).map_err(|e| Error::BadState {
            lab: lab.name.clone(),
            path,
            reason: e.to_string(),
        })
    }

    /// Writes the state atomically.
    pub fn save(&self, lab: &LabPaths) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Usage(e.to_string()))?;
        write_atomically(&lab.state(), text.as_bytes())
    }

    /// Looks up a host by inventory name.
    pub fn host(&self, name: &str) -> Result<&HostState> {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .ok_or_else(|| Error::UnknownHost {
                lab: self.name.clone(),
                host: name.to_string(),
                hosts: self
                    .hosts
                    .iter()
                    .map(|h| h.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// known_hosts text: one `[127.0.0.1]:PORT KEY` line per host.
    pub fn known_hosts_text(&self) -> String {
        self.hosts
            .iter()
            .map(|h| format!("[127.0.0.1]:{} {}\n", h.port, h.host_key))
            .collect()
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hosts_lines_use_bracketed_ports() {
        let st = LabState {
            name: "t".into(),
            light: false,
            python: false,
            latency_ms: 0,
            image: PathBuf::new(),
            key: PathBuf::new(),
            known_hosts: PathBuf::new(),
            inventory: PathBuf::new(),
            hosts: vec![HostState {
                name: "h1".into(),
                machine: "rlab-t-h1".into(),
                netns: "rlab-t-h1".into(),
                port: 20022,
                pid: None,
                forwarder_pid: None,
                host_key: "ssh-ed25519 AAAA".into(),
            }],
        };
        assert_eq!(
            st.known_hosts_text(),
            "[127.0.0.1]:20022 ssh-ed25519 AAAA\n"
        );
        assert!(st.host("h2").is_err());
        let back: LabState = serde_json::from_str(&serde_json::to_string(&st).unwrap()).unwrap();
        assert_eq!(back, st);
    }
}
