//! `Vault`: the run's secrets plus the operations on vault text, encrypt and decrypt. Decrypted
//! plaintexts are cached by ciphertext, so a vaulted value read for a hundred hosts costs one
//! key derivation (PBKDF2 is deliberately slow). Decryption is CPU-bound: async callers should
//! run it in `spawn_blocking`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use super::aes256::{self, Body};
use super::envelope::{self, Envelope, CIPHER_AES256};
use super::error::Error;
use super::secrets::{VaultSecret, VaultSecrets};

/// A successful decryption.
#[derive(Debug, Clone)]
pub struct Decrypted {
    /// The plaintext bytes, zeroed on drop.
    pub plaintext: Arc<Zeroizing<Vec<u8>>>,
    /// The secret that opened the data (edit re-encrypts with it).
    pub secret: VaultSecret,
}

/// The secrets of a run and the operations that use them. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct Vault {
    secrets: VaultSecrets,
    cache: Mutex<HashMap<Vec<u8>, Decrypted>>,
}

impl Vault {
    /// A vault that can open data encrypted with any of `secrets`.
    pub fn new(secrets: VaultSecrets) -> Self {
        Vault {
            secrets,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The secrets this vault holds.
    pub fn secrets(&self) -> &VaultSecrets {
        &self.secrets
    }

    /// Decrypts vault text. `origin` names where it came from (a path, or `path:line:col` for an
    /// inline value) and appears in errors.
    pub fn decrypt(&self, text: &[u8], origin: Option<&str>) -> Result<Decrypted, Error> {
        let env = Envelope::parse(text).map_err(|p| Error::format(p, origin))?;
        if env.cipher != CIPHER_AES256 {
            return Err(Error::UnknownCipher {
                cipher: env.cipher,
                origin: origin.map(str::to_string),
            });
        }
        if self.secrets.is_empty() {
            return Err(Error::NoSecrets {
                origin: origin.map(str::to_string),
            });
        }
        if let Some(hit) = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.get(&env.body).cloned())
        {
            return Ok(hit);
        }
        let body = Body::parse(&env.body).map_err(|p| Error::format(p, origin))?;
        let vault_id = env.vault_id_or_default().to_string();
        for secret in self.secrets.candidates(Some(&vault_id)) {
            let opened = body
                .decrypt(secret.password.bytes())
                .map_err(|p| Error::format(p, origin))?;
            if let Some(plaintext) = opened {
                let found = Decrypted {
                    plaintext: Arc::new(plaintext),
                    secret: secret.clone(),
                };
                if let Ok(mut cache) = self.cache.lock() {
                    cache.insert(env.body, found.clone());
                }
                return Ok(found);
            }
        }
        Err(Error::DecryptionFailed {
            origin: origin.map(str::to_string),
        })
    }

    /// Decrypts an envelope whose plaintext must be text (an inline `!vault` value).
    pub fn reveal_envelope(&self, text: &str) -> Result<crate::secret::Secret, Error> {
        self.reveal_envelope_at(text, None)
    }

    /// As [`Vault::reveal_envelope`], naming `origin` in errors.
    pub fn reveal_envelope_at(
        &self,
        text: &str,
        origin: Option<&str>,
    ) -> Result<crate::secret::Secret, Error> {
        let found = self.decrypt(text.as_bytes(), origin)?;
        let text = std::str::from_utf8(&found.plaintext).map_err(|_| Error::NotText {
            origin: origin.map(str::to_string),
        })?;
        Ok(crate::secret::Secret::new(text.to_string()))
    }

    /// The content of a file Ansible may have vault-encrypted (vars files, group_vars/host_vars,
    /// include_vars, `copy`/`template` sources): decrypted when it is vault text, as is otherwise.
    /// `path` names the file in errors.
    pub fn decrypt_file_bytes(
        &self,
        bytes: Vec<u8>,
        path: &std::path::Path,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        if !envelope::is_vault_text(&bytes) {
            return Ok(Zeroizing::new(bytes));
        }
        let origin = path.display().to_string();
        let found = self.decrypt(&bytes, Some(&origin))?;
        Ok(Zeroizing::new(found.plaintext.to_vec()))
    }

    /// Reads a controller file that may be vault-encrypted, returning its plaintext. Errors name
    /// the file.
    pub fn read_file(&self, path: &std::path::Path) -> Result<Zeroizing<Vec<u8>>, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            action: "Unable to read",
            path: path.to_path_buf(),
            source,
        })?;
        self.decrypt_file_bytes(bytes, path)
    }

    /// Every plaintext this vault has revealed so far that is text (at least 4 characters long),
    /// so reporters can redact them wherever they would otherwise appear.
    pub fn revealed_texts(&self) -> Vec<crate::secret::Secret> {
        let Ok(cache) = self.cache.lock() else {
            return Vec::new();
        };
        cache
            .values()
            .filter_map(|d| std::str::from_utf8(&d.plaintext).ok())
            .map(str::trim)
            .filter(|t| t.chars().count() >= 4)
            .map(|t| crate::secret::Secret::new(t.to_string()))
            .collect()
    }

    /// Encrypts `plaintext` with `secret`, writing the secret's label as the envelope's vault id
    /// (version 1.1 for `default`, 1.2 otherwise). Refuses data that is already vault text.
    pub fn encrypt(plaintext: &[u8], secret: &VaultSecret) -> Result<String, Error> {
        Self::encrypt_as(plaintext, secret, Some(&secret.label))
    }

    /// As [`Vault::encrypt`] with an explicit envelope vault id.
    pub fn encrypt_as(
        plaintext: &[u8],
        secret: &VaultSecret,
        vault_id: Option<&str>,
    ) -> Result<String, Error> {
        if envelope::is_vault_text(plaintext) {
            return Err(Error::AlreadyEncrypted { origin: None });
        }
        let salt = aes256::random_salt().map_err(Error::Random)?;
        let body = aes256::encrypt(plaintext, secret.password.bytes(), &salt);
        Ok(envelope::format(&body, vault_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::secrets::Password;

    fn secrets(pairs: &[(&str, &str)]) -> VaultSecrets {
        let mut s = VaultSecrets::new();
        for (label, pw) in pairs {
            s.push(label, Password::new(pw.as_bytes().to_vec()));
        }
        s
    }

    /// Made by `ansible-vault encrypt --vault-password-file p` (ansible-core 2.19.4), password `pw1`.
    const ANSIBLE_MADE: &str = "$ANSIBLE_VAULT;1.1;AES256
37373330613932386436613563613166386164356434656161643664303437366435636461383265
6262636438343965656335653634636365626230346434370a356630613437623330633266633666
30616466323135353363346230316135316634636363323534643934613733326261386237643936
6639383438346263620a653939343535613736643061663539393530373235386533323832326565
3239
";

    #[test]
    fn decrypts_what_ansible_vault_made() {
        let vault = Vault::new(secrets(&[("default", "pw1")]));
        let found = vault
            .decrypt(ANSIBLE_MADE.as_bytes(), None)
            .expect("decrypts");
        assert_eq!(&found.plaintext[..], b"a: 1\n");
        let wrong = Vault::new(secrets(&[("default", "pw2")]));
        assert!(wrong.decrypt(ANSIBLE_MADE.as_bytes(), None).is_err());
    }

    #[test]
    fn encrypt_then_decrypt_with_ids() {
        let vault = Vault::new(secrets(&[("dev", "d"), ("prod", "p")]));
        let prod = VaultSecret {
            label: "prod".into(),
            password: Password::new(b"p".to_vec()),
        };
        let text = Vault::encrypt(b"top secret\n", &prod).expect("encrypts");
        assert!(text.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
        let found = vault
            .decrypt(text.as_bytes(), Some("f.yml"))
            .expect("decrypts");
        assert_eq!(&found.plaintext[..], b"top secret\n");
        assert_eq!(found.secret.label, "prod");
        // Cached: same answer without secrets being tried again.
        assert_eq!(
            vault.reveal_envelope(&text).expect("text").expose(),
            "top secret\n"
        );
        assert!(matches!(
            Vault::encrypt(text.as_bytes(), &prod),
            Err(Error::AlreadyEncrypted { .. })
        ));
    }

    #[test]
    fn a_label_mismatch_still_decrypts_unless_id_match() {
        let dflt = VaultSecret {
            label: "default".into(),
            password: Password::new(b"p".to_vec()),
        };
        let text = Vault::encrypt_as(b"x", &dflt, Some("other")).expect("encrypts");
        let vault = Vault::new(secrets(&[("default", "p")]));
        assert!(vault.decrypt(text.as_bytes(), None).is_ok());
        let mut strict = secrets(&[("default", "p")]);
        strict.set_id_match(true);
        let err = Vault::new(strict)
            .decrypt(text.as_bytes(), Some("f.yml"))
            .err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("Decryption failed (no vault secrets were found that could decrypt) on f.yml")
        );
    }

    /// Damaged or hostile vault text gives errors, never a panic: truncations and byte flips of
    /// a real envelope, and a deterministic stream of junk.
    #[test]
    fn damaged_input_never_panics() {
        let vault = Vault::new(secrets(&[("default", "pw1")]));
        let good = ANSIBLE_MADE.as_bytes();
        for cut in (0..good.len()).step_by(7) {
            let _ = vault.decrypt(&good[..cut], None);
        }
        let mut state: u32 = 0x9e37_79b9;
        for round in 0..120 {
            let mut damaged = good.to_vec();
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let at = (state as usize) % damaged.len();
            damaged[at] = (state >> 24) as u8;
            // A flip that keeps the meaning (hex case, header version, whitespace) may still
            // open; it must never open to anything else.
            if let Ok(found) = vault.decrypt(&damaged, None) {
                assert_eq!(&found.plaintext[..], b"a: 1\n", "round {round}");
            }
            let junk: Vec<u8> = (0..(round % 97))
                .map(|i| {
                    state = state
                        .wrapping_mul(1_664_525)
                        .wrapping_add(1_013_904_223 + i);
                    b"$ANSIBLE_VAULT;1.1;AES2560123456789abcdef\n;"[(state >> 27) as usize % 43]
                })
                .collect();
            let _ = vault.decrypt(&junk, None);
        }
    }

    #[test]
    fn errors_without_or_with_wrong_secrets() {
        let dflt = VaultSecret {
            label: "default".into(),
            password: Password::new(b"p".to_vec()),
        };
        let text = Vault::encrypt(b"x", &dflt).expect("encrypts");
        assert!(text.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
        let none = Vault::new(VaultSecrets::new())
            .decrypt(text.as_bytes(), Some("a.yml"))
            .err();
        assert_eq!(
            none.map(|e| e.to_string()).as_deref(),
            Some("Attempting to decrypt but no vault secrets found on a.yml")
        );
        let wrong = Vault::new(secrets(&[("default", "nope")]));
        assert!(matches!(
            wrong.decrypt(text.as_bytes(), None),
            Err(Error::DecryptionFailed { .. })
        ));
        let plain = wrong
            .decrypt_file_bytes(b"a: 1\n".to_vec(), std::path::Path::new("v.yml"))
            .expect("plain");
        assert_eq!(&plain[..], b"a: 1\n");
        let aes = text.replace("AES256", "AES");
        assert!(matches!(
            wrong.decrypt(aes.as_bytes(), None),
            Err(Error::UnknownCipher { .. })
        ));
    }
}
