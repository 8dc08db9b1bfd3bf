//! Host key verification against OpenSSH known_hosts files: plain and hashed (`|1|salt|hash`)
//! host fields, `[host]:port` for non-standard ports, wildcard and negated patterns, `@revoked`
//! markers (`@cert-authority` lines are skipped). Also records keys accepted under
//! `StrictHostKeyChecking=accept-new`.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use russh::keys::{Algorithm, HashAlg, PublicKey};
use sha1::{Digest, Sha1};

use super::pattern::match_list;

/// What known_hosts says about the key a server presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// The key is recorded for this host.
    Known,
    /// No key is recorded for this host.
    Unknown,
    /// Other keys are recorded for this host: possible man-in-the-middle.
    Changed {
        /// `file:line` and SHA256 fingerprint of each recorded key.
        recorded: Vec<(String, String)>,
    },
    /// The key is marked `@revoked`.
    Revoked {
        /// `file:line` of the marker.
        location: String,
    },
}

/// The host field OpenSSH looks up: `host` on port 22, `[host]:port` otherwise.
pub fn lookup_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// `SHA256:...` fingerprint, as `ssh-keygen -l` prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// One usable known_hosts line.
struct Entry {
    location: String,
    revoked: bool,
    key: PublicKey,
}

/// Entries of `files` whose host field matches `name`.
fn entries_for(files: &[PathBuf], name: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for (idx, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let mut first = fields.next().unwrap_or_default();
            let mut revoked = false;
            if let Some(marker) = first.strip_prefix('@') {
                if marker != "revoked" {
                    continue; // @cert-authority: rplay does not do host certificates.
                }
                revoked = true;
                first = fields.next().unwrap_or_default();
            }
            let (Some(_kind), Some(blob)) = (fields.next(), fields.next()) else {
                continue;
            };
            if !host_field_matches(first, name) {
                continue;
            }
            let Ok(key) = russh::keys::parse_public_key_base64(blob) else {
                continue;
            };
            out.push(Entry {
                location: format!("{}:{}", file.display(), idx + 1),
                revoked,
                key,
            });
        }
    }
    out
}

/// True when a known_hosts host field (comma list, hashed or patterns) names `name`.
fn host_field_matches(field: &str, name: &str) -> bool {
    if field.starts_with("|1|") {
        return field.split(',').any(|h| hashed_matches(h, name));
    }
    match_list(field.split(','), name)
}

/// Checks a `|1|base64(salt)|base64(hmac_sha1(salt, name))` entry.
fn hashed_matches(entry: &str, name: &str) -> bool {
    let mut parts = entry.strip_prefix("|1|").unwrap_or_default().split('|');
    let b64 = base64::engine::general_purpose::STANDARD;
    let (Some(Ok(salt)), Some(Ok(hash))) = (
        parts.next().map(|s| b64.decode(s)),
        parts.next().map(|s| b64.decode(s)),
    ) else {
        return false;
    };
    hmac_sha1(&salt, name.as_bytes()) == hash.as_slice()
}

/// HMAC-SHA1 (RFC 2104), used by hashed known_hosts entries.
fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha1::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(msg);
    let inner = inner.finalize();
    let mut outer = Sha1::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    let mut out = [0u8; 20];
    out.copy_from_slice(&outer.finalize());
    out
}

/// Looks `key` up for `host`:`port` in `files`.
pub fn check(files: &[PathBuf], host: &str, port: u16, key: &PublicKey) -> HostKeyStatus {
    let entries = entries_for(files, &lookup_name(host, port));
    if let Some(r) = entries
        .iter()
        .find(|e| e.revoked && e.key.key_data() == key.key_data())
    {
        return HostKeyStatus::Revoked {
            location: r.location.clone(),
        };
    }
    let recorded: Vec<&Entry> = entries.iter().filter(|e| !e.revoked).collect();
    if recorded.is_empty() {
        return HostKeyStatus::Unknown;
    }
    if recorded.iter().any(|e| e.key.key_data() == key.key_data()) {
        return HostKeyStatus::Known;
    }
    HostKeyStatus::Changed {
        recorded: recorded
            .iter()
            .map(|e| (e.location.clone(), fingerprint(&e.key)))
            .collect(),
    }
}

/// Algorithms of the keys recorded for `host`:`port`, so the handshake can ask for those first
/// (as OpenSSH does) instead of tripping over another key type the server also has.
pub fn recorded_algorithms(files: &[PathBuf], host: &str, port: u16) -> Vec<Algorithm> {
    let mut algs: Vec<Algorithm> = Vec::new();
    for e in entries_for(files, &lookup_name(host, port)) {
        if !e.revoked && !algs.contains(&e.key.algorithm()) {
            algs.push(e.key.algorithm());
        }
    }
    algs
}

/// Appends `host`:`port` → `key` to `file` (creating it and its directory, mode 0600).
pub fn record(file: &Path, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let line = format!(
        "{} {}\n",
        lookup_name(host, port),
        key.to_openssh()
            .map_err(|e| std::io::Error::other(e.to_string()))?
    );
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(file)?;
    f.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED1: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIEq9eK1qmflDgM86CS6x0xU4V50YIHOtKU8jMC8GzzDK";
    const ED2: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIGvCV7BBNjMue4IxeAyJzHJ5Voj6r5ppuqD53rz2vwJJ";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).unwrap()
    }

    fn file_with(text: &str) -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("known_hosts");
        std::fs::write(&p, text).unwrap();
        (dir, vec![p])
    }

    #[test]
    fn hmac_matches_rfc2202_vector() {
        // RFC 2202 test case 2.
        let mac = hmac_sha1(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }

    #[test]
    fn plain_port_and_changed() {
        let (_d, files) = file_with(&format!(
            "# comment\n[127.0.0.1]:2201 ssh-ed25519 {ED1}\nother,web ssh-ed25519 {ED2}\n"
        ));
        assert_eq!(
            check(&files, "127.0.0.1", 2201, &key(ED1)),
            HostKeyStatus::Known
        );
        assert_eq!(
            check(&files, "127.0.0.1", 22, &key(ED1)),
            HostKeyStatus::Unknown
        );
        assert_eq!(check(&files, "web", 22, &key(ED2)), HostKeyStatus::Known);
        match check(&files, "127.0.0.1", 2201, &key(ED2)) {
            HostKeyStatus::Changed { recorded } => {
                assert!(recorded[0].0.ends_with("known_hosts:2"));
                assert_eq!(recorded[0].1, fingerprint(&key(ED1)));
                assert!(recorded[0].1.starts_with("SHA256:"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hashed_entries_and_revoked() {
        let salt = b"0123456789abcdefghij";
        let b64 = base64::engine::general_purpose::STANDARD;
        let hash = hmac_sha1(salt, b"[10.1.2.3]:2222");
        let line = format!(
            "|1|{}|{} ssh-ed25519 {ED1}\n@revoked * ssh-ed25519 {ED2}\n",
            b64.encode(salt),
            b64.encode(hash)
        );
        let (_d, files) = file_with(&line);
        assert_eq!(
            check(&files, "10.1.2.3", 2222, &key(ED1)),
            HostKeyStatus::Known
        );
        assert_eq!(
            check(&files, "10.1.2.4", 2222, &key(ED1)),
            HostKeyStatus::Unknown
        );
        assert!(matches!(
            check(&files, "any", 22, &key(ED2)),
            HostKeyStatus::Revoked { .. }
        ));
    }

    #[test]
    fn record_then_known() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/known_hosts");
        record(&p, "h", 2200, &key(ED1)).unwrap();
        assert_eq!(
            check(std::slice::from_ref(&p), "h", 2200, &key(ED1)),
            HostKeyStatus::Known
        );
        assert_eq!(
            recorded_algorithms(&[p], "h", 2200),
            vec![Algorithm::Ed25519]
        );
    }
}
