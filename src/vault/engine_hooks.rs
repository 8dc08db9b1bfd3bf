//! Glue between [`Vault`] and the areas that meet vault data while loading or templating: the
//! templar's lazy decryption of `!vault` values ([`VaultReveal`]), whole vaulted files read as
//! text (inventory group_vars/host_vars via [`inventory_decrypt`], vars_files), and vault errors
//! as [`Diagnostic`]s.
//! Errors carry ansible-core 2.19's wording, since they end up in task results.

use std::path::Path;

use crate::diag::Diagnostic;
use crate::template::VaultReveal;

use super::crypt::Vault;
use super::error::Error;

impl Vault {
    /// The text of a file that may be vault-encrypted (`text` as read from `path`): its plaintext
    /// when it is vault data, itself otherwise. Fits the inventory's vars-directory hook:
    /// `Arc::new(move |t, p| vault.decrypt_text(t, p).map_err(Diagnostic::from))`.
    pub fn decrypt_text(&self, text: &str, path: &Path) -> Result<String, Error> {
        if !super::envelope::looks_like_vault_text(text.as_bytes()) {
            return Ok(text.to_string());
        }
        let origin = path.display().to_string();
        let found = self.decrypt(text.as_bytes(), Some(&origin))?;
        String::from_utf8(found.plaintext.to_vec()).map_err(|_| Error::NotText {
            origin: Some(origin),
        })
    }
}

/// The inventory's hook for vault-encrypted group_vars/host_vars files, over `vault`.
pub fn inventory_decrypt(
    vault: std::sync::Arc<Vault>,
) -> std::sync::Arc<crate::inventory::VaultDecrypt> {
    std::sync::Arc::new(move |text: &str, path: &Path| {
        vault.decrypt_text(text, path).map_err(Diagnostic::from)
    })
}

impl From<Error> for Diagnostic {
    fn from(e: Error) -> Diagnostic {
        Diagnostic::error(e.to_string())
    }
}

impl VaultReveal for Vault {
    fn reveal(&self, envelope: &str) -> Result<String, String> {
        self.reveal_envelope(envelope)
            .map(|secret| secret.expose().to_string())
            .map_err(|e| format!("Attempt to use undecryptable variable: {e}."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Password, VaultSecret, VaultSecrets};

    #[test]
    fn reveal_hook_messages() {
        let secret = VaultSecret {
            label: "default".into(),
            password: Password::new(b"pw".to_vec()),
        };
        let env = Vault::encrypt(b"hidden", &secret).expect("encrypts");
        let vault = Vault::new(VaultSecrets::single(
            "default",
            Password::new(b"pw".to_vec()),
        ));
        assert_eq!(VaultReveal::reveal(&vault, &env).as_deref(), Ok("hidden"));
        let plain = vault.decrypt_text(&env, Path::new("host_vars/web1.yml"));
        assert_eq!(plain.ok().as_deref(), Some("hidden"));
        let as_is = vault.decrypt_text("a: 1\n", Path::new("x.yml"));
        assert_eq!(as_is.ok().as_deref(), Some("a: 1\n"));
        let none = Vault::new(VaultSecrets::new());
        let d = Diagnostic::from(
            none.decrypt_text(&env, Path::new("v.yml"))
                .expect_err("no secrets"),
        );
        assert!(
            d.to_string().contains("no vault secrets found on v.yml"),
            "{d}"
        );
        assert_eq!(
            VaultReveal::reveal(&none, &env).err().as_deref(),
            Some("Attempt to use undecryptable variable: Attempting to decrypt but no vault secrets found.")
        );
    }
}
