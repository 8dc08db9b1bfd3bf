//! Vault secrets: the passwords given for a run, each under a vault id (label). Decryption tries
//! the secrets labelled with the envelope's vault id first, then (unless `vault_id_match` is set)
//! every other secret, as ansible-core does; encryption picks one secret by `--encrypt-vault-id`.

use std::fmt;

use zeroize::Zeroizing;

use super::envelope::DEFAULT_VAULT_ID;
use super::error::Error;

/// A vault password: bytes (password files need not be UTF-8), zeroed on drop, masked when printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Zeroizing<Vec<u8>>);

impl Password {
    /// Wraps password bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Password(Zeroizing::new(bytes))
    }

    /// The password bytes, for key derivation only.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::secret::MASK)
    }
}

/// One password and the vault id it is registered under.
#[derive(Debug, Clone)]
pub struct VaultSecret {
    /// The vault id (`default` when none was given).
    pub label: String,
    /// The password.
    pub password: Password,
}

/// The ordered set of secrets of one run.
#[derive(Debug, Clone, Default)]
pub struct VaultSecrets {
    secrets: Vec<VaultSecret>,
    /// `vault_id_match`: only try secrets whose label equals the envelope's vault id.
    id_match: bool,
}

impl VaultSecrets {
    /// No secrets: any vault data met is an error ("no vault secrets found").
    pub fn new() -> Self {
        Self::default()
    }

    /// A single secret, e.g. for tests and for `rvault`'s new password.
    pub fn single(label: &str, password: Password) -> Self {
        let mut s = Self::new();
        s.push(label, password);
        s
    }

    /// Adds a secret after the existing ones.
    pub fn push(&mut self, label: &str, password: Password) {
        self.secrets.push(VaultSecret {
            label: label.to_string(),
            password,
        });
    }

    /// Sets ansible.cfg's `vault_id_match`.
    pub fn set_id_match(&mut self, id_match: bool) {
        self.id_match = id_match;
    }

    /// True when no secret was given.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The labels, in order (for messages; never the passwords).
    pub fn labels(&self) -> Vec<&str> {
        self.secrets.iter().map(|s| s.label.as_str()).collect()
    }

    /// The secrets to try, best first, for an envelope naming `vault_id` (`None` = default).
    pub(crate) fn candidates<'a>(
        &'a self,
        vault_id: Option<&'a str>,
    ) -> impl Iterator<Item = &'a VaultSecret> + 'a {
        let wanted = vault_id.unwrap_or(DEFAULT_VAULT_ID);
        let matching = self.secrets.iter().filter(move |s| s.label == wanted);
        let others = self
            .secrets
            .iter()
            .filter(move |s| !self.id_match && s.label != wanted);
        matching.chain(others)
    }

    /// The secret to encrypt with: the one labelled `encrypt_vault_id` when given; otherwise the
    /// only secret (several without a choice is an error, as in `ansible-vault`).
    pub fn encrypt_secret(&self, encrypt_vault_id: Option<&str>) -> Result<&VaultSecret, Error> {
        match encrypt_vault_id.filter(|id| !id.is_empty()) {
            Some(id) => {
                self.secrets
                    .iter()
                    .find(|s| s.label == id)
                    .ok_or_else(|| Error::UnknownEncryptId {
                        id: id.to_string(),
                        known: self
                            .labels()
                            .iter()
                            .map(|l| format!("'{l}'"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            }
            None => match self.secrets.as_slice() {
                [] => Err(Error::PasswordRequired),
                [only] => Ok(only),
                _ => Err(Error::AmbiguousEncryptId(self.labels().join(","))),
            },
        }
    }

    /// The first secret (what `rekey` uses for the new password when no id is chosen).
    pub fn first(&self) -> Option<&VaultSecret> {
        self.secrets.first()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::new(s.as_bytes().to_vec())
    }

    #[test]
    fn matching_label_is_tried_first_then_others() {
        let mut s = VaultSecrets::new();
        s.push("default", pw("a"));
        s.push("prod", pw("b"));
        s.push("dev", pw("c"));
        let order: Vec<&str> = s
            .candidates(Some("prod"))
            .map(|x| x.label.as_str())
            .collect();
        assert_eq!(order, ["prod", "default", "dev"]);
        let order: Vec<&str> = s.candidates(None).map(|x| x.label.as_str()).collect();
        assert_eq!(order, ["default", "prod", "dev"]);
        s.set_id_match(true);
        let order: Vec<&str> = s
            .candidates(Some("dev"))
            .map(|x| x.label.as_str())
            .collect();
        assert_eq!(order, ["dev"]);
    }

    #[test]
    fn encrypt_secret_choice() {
        let mut s = VaultSecrets::new();
        assert!(matches!(
            s.encrypt_secret(None),
            Err(Error::PasswordRequired)
        ));
        s.push("x", pw("a"));
        assert_eq!(
            s.encrypt_secret(None).map(|x| x.label.as_str()).ok(),
            Some("x")
        );
        s.push("default", pw("b"));
        let err = s.encrypt_secret(None).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("The vault-ids x,default are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id")
        );
        assert_eq!(
            s.encrypt_secret(Some("default"))
                .map(|x| x.label.as_str())
                .ok(),
            Some("default")
        );
        let err = s.encrypt_secret(Some("y")).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("Did not find a match for --encrypt-vault-id=y in the known vault-ids ['x', 'default']")
        );
        assert_eq!(format!("{:?}", pw("zzz")), "********");
    }
}
