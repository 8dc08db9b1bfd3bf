//! ansible-vault compatibility: read and write vault data exactly as ansible-core 2.19 does.
//!
//! - `envelope`: the `$ANSIBLE_VAULT;1.x;AES256[;id]` header and 80-column hex body.
//! - `aes256`: the one cipher (PBKDF2-SHA256 → AES-256-CTR + HMAC-SHA256), from RustCrypto crates.
//! - `secrets`: passwords under vault ids, the order they are tried, which one encrypts.
//! - `password_source`: `--vault-id`, `--vault-password-file`, prompts, scripts, ansible.cfg lists.
//! - `crypt`: [`Vault`], the run's secrets with encrypt/decrypt and a plaintext cache.
//! - `filters`: the `vault`/`unvault` Jinja filters' logic.
//! - `reveal`: decrypting `{"__ansible_vault": ...}` values carried by the YAML loader.
//! - `engine_hooks`: [`Vault`] as the templar's `VaultReveal` (lazy `!vault` decryption).
//! - `edit_session`: a private scratch file for `rvault edit`/`create`, wiped afterwards.
//!
//! How the engine uses it:
//!
//! ```
//! use rplay::vault::{TerminalPrompter, Vault, VaultOptions};
//! # fn main() -> Result<(), rplay::vault::Error> {
//! // From --vault-id / --vault-password-file / -J and ansible.cfg (no prompt unless asked for).
//! let opts = VaultOptions::default();
//! let (vault, warnings) = Vault::for_run(&opts, &TerminalPrompter)?;
//! assert!(warnings.is_empty());
//! // A vars file, a group_vars file, a copy/template source: decrypted only if vaulted.
//! let plain = vault.decrypt_file_bytes(b"a: 1\n".to_vec(), "group_vars/all.yml".as_ref())?;
//! assert_eq!(&plain[..], b"a: 1\n");
//! // Values from the YAML loader: `{"__ansible_vault": ...}` objects become their plaintext.
//! let value = vault.reveal_value(&serde_json::json!({"port": 80}))?;
//! assert_eq!(value, serde_json::json!({"port": 80}));
//! # Ok(())
//! # }
//! ```
//!
//! Plaintext leaves this module only as [`crate::secret::Secret`], zeroed buffers, or (from
//! [`Vault::reveal_value`]) as plain JSON the caller asked for explicitly.

mod aes256;
mod crypt;
pub mod edit_session;
mod engine_hooks;
mod envelope;
mod error;
mod filters;
mod password_source;
mod reveal;
mod secrets;

pub use crypt::{Decrypted, Vault};
pub use engine_hooks::inventory_decrypt;
pub use envelope::{is_vault_text, looks_like_vault_text, CIPHER_AES256, DEFAULT_VAULT_ID, HEADER};
pub use error::{Error, FormatProblem};
pub use filters::{unvault_filter, vault_filter, FILTER_DEFAULT_VAULT_ID};
pub use password_source::{
    load_secrets, split_vault_id, LoadedSecrets, Prompter, Purpose, TerminalPrompter, VaultOptions,
};
pub use reveal::{contains_vaulted, vaulted_envelope, VAULT_VALUE_KEY};
pub use secrets::{Password, VaultSecret, VaultSecrets};

/// Decrypts `bytes` read from `path` when they are vault text; returns them unchanged otherwise.
pub fn decrypt_file_bytes(
    vault: &Vault,
    bytes: Vec<u8>,
    path: &std::path::Path,
) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
    vault.decrypt_file_bytes(bytes, path)
}

/// The vault id named in an envelope's header (`None` for version 1.1 or for non-vault data).
pub fn envelope_vault_id(text: &[u8]) -> Option<String> {
    envelope::Envelope::parse(text)
        .ok()
        .and_then(|e| e.vault_id)
}
