//! Everything that can go wrong reading, writing or unlocking vault data. Messages follow
//! ansible-core's wording and name the file (or other origin) involved; none contains a secret.

use std::path::PathBuf;

/// Why vault text could not even be parsed (no password is involved yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatProblem {
    /// The data does not start with `$ANSIBLE_VAULT`.
    #[error("Input is not vault encrypted data")]
    NotVault,
    /// The header line lacks version or cipher.
    #[error("Vault envelope format error")]
    Envelope,
    /// A hex layer of the body is not valid hex.
    #[error("Vault format unhexlify error")]
    Unhexlify,
    /// The body does not hold salt, HMAC and ciphertext.
    #[error("Vault vaulttext format error")]
    Vaulttext,
}

/// A vault error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed vault text.
    #[error("{problem}{}", on(.origin))]
    Format {
        /// What is malformed.
        problem: FormatProblem,
        /// Where the text came from.
        origin: Option<String>,
    },
    /// A cipher other than `AES256`.
    #[error("Cipher '{cipher}' could not be found{}", on(.origin))]
    UnknownCipher {
        /// The cipher named in the header.
        cipher: String,
        /// Where the text came from.
        origin: Option<String>,
    },
    /// Vault data met, but no password was given at all.
    #[error("Attempting to decrypt but no vault secrets found{}", on(.origin))]
    NoSecrets {
        /// Where the text came from.
        origin: Option<String>,
    },
    /// No given password opens the data.
    #[error("Decryption failed (no vault secrets were found that could decrypt){}", on(.origin))]
    DecryptionFailed {
        /// Where the text came from.
        origin: Option<String>,
    },
    /// The plaintext of a value that must be text is not UTF-8.
    #[error("The decrypted value{} is not UTF-8 text", on(.origin))]
    NotText {
        /// Where the text came from.
        origin: Option<String>,
    },
    /// Encrypting data that is already vault text.
    #[error("input is already encrypted{}", on(.origin))]
    AlreadyEncrypted {
        /// Where the data came from.
        origin: Option<String>,
    },
    /// The system random source failed.
    #[error("cannot get random bytes for a vault salt: {0}")]
    Random(getrandom::Error),
    /// A file could not be read or written.
    #[error("{action} {}: {source}", .path.display())]
    Io {
        /// What was being done ("Unable to read source file", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A vault password file or script could not give a password.
    #[error("{0}")]
    PasswordSource(String),
    /// The terminal prompt failed or was ended.
    #[error("{0}")]
    Prompt(String),
    /// Two prompted passwords differ.
    #[error("Passwords do not match")]
    PasswordsDoNotMatch,
    /// An empty password.
    #[error("Invalid vault password was provided{}", from(.source_desc))]
    EmptyPassword {
        /// "file (path)", "script (path)" or none for a prompt.
        source_desc: Option<String>,
    },
    /// A vault id that ansible-core would reject.
    #[error("'{0}' is not a valid vault id. The character ';' is not allowed in vault ids")]
    InvalidVaultId(String),
    /// Several secrets could encrypt and none was chosen.
    #[error("The vault-ids {0} are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id")]
    AmbiguousEncryptId(String),
    /// `--encrypt-vault-id` names no known secret.
    #[error("Did not find a match for --encrypt-vault-id={id} in the known vault-ids [{known}]")]
    UnknownEncryptId {
        /// The id asked for.
        id: String,
        /// The ids known, quoted and comma separated.
        known: String,
    },
    /// An operation needs a password and none was given.
    #[error("A vault password is required to use Ansible's Vault")]
    PasswordRequired,
}

impl Error {
    /// Sets the origin (file, or `file:line:col` of an inline value) on errors about vault text that
    /// do not name one yet.
    pub fn with_origin(mut self, name: &str) -> Self {
        match &mut self {
            Error::Format { origin, .. }
            | Error::UnknownCipher { origin, .. }
            | Error::NoSecrets { origin }
            | Error::DecryptionFailed { origin }
            | Error::NotText { origin }
            | Error::AlreadyEncrypted { origin } => {
                origin.get_or_insert_with(|| name.to_string());
            }
            _ => {}
        }
        self
    }

    pub(crate) fn format(problem: FormatProblem, origin: Option<&str>) -> Self {
        Error::Format {
            problem,
            origin: origin.map(str::to_string),
        }
    }
}

fn on(origin: &Option<String>) -> String {
    match origin {
        Some(o) => format!(" on {o}"),
        None => String::new(),
    }
}

fn from(source_desc: &Option<String>) -> String {
    match source_desc {
        Some(s) => format!(" from {s}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_origin() {
        let e = Error::DecryptionFailed { origin: None }.with_origin("group_vars/all/vault.yml");
        assert_eq!(
            e.to_string(),
            "Decryption failed (no vault secrets were found that could decrypt) on group_vars/all/vault.yml"
        );
        let e = Error::EmptyPassword {
            source_desc: Some("file (/tmp/p)".into()),
        };
        assert_eq!(
            e.to_string(),
            "Invalid vault password was provided from file (/tmp/p)"
        );
    }
}
