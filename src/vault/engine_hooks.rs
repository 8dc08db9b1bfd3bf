//! Glue between [`Vault`] and the areas that meet vault data while loading or templating: the
//! templar's lazy decryption of `!vault` values ([`VaultReveal`]). Errors carry ansible-core
//! 2.19's wording, since they end up in task results.

use crate::template::VaultReveal;

use super::crypt::Vault;

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
        let none = Vault::new(VaultSecrets::new());
        assert_eq!(
            VaultReveal::reveal(&none, &env).err().as_deref(),
            Some("Attempt to use undecryptable variable: Attempting to decrypt but no vault secrets found.")
        );
    }
}
