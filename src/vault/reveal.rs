//! Revealing vaulted YAML values. The YAML loader carries each inline `!vault` value as a JSON
//! object `{"__ansible_vault": "<envelope>"}` so it stays encrypted (and lazily decrypted) until
//! used; where the engine needs plaintext it calls [`Vault::reveal_value`] on the value.

use serde_json::Value;

use super::crypt::Vault;
use super::error::Error;

/// The key of the one-entry object that carries an inline vault value.
pub const VAULT_VALUE_KEY: &str = "__ansible_vault";

/// The envelope text when `value` is a carried inline vault value.
pub fn vaulted_envelope(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(VAULT_VALUE_KEY).and_then(Value::as_str),
        _ => None,
    }
}

/// True when `value` holds a carried vault value anywhere inside it.
pub fn contains_vaulted(value: &Value) -> bool {
    if vaulted_envelope(value).is_some() {
        return true;
    }
    match value {
        Value::Array(items) => items.iter().any(contains_vaulted),
        Value::Object(map) => map.values().any(contains_vaulted),
        _ => false,
    }
}

impl Vault {
    /// Returns `value` with every carried vault value replaced by its plaintext string. Values
    /// without any are returned unchanged (cloned). The first value that cannot be decrypted is
    /// the error.
    pub fn reveal_value(&self, value: &Value) -> Result<Value, Error> {
        if let Some(envelope) = vaulted_envelope(value) {
            let plaintext = self.reveal_envelope(envelope)?;
            return Ok(Value::String(plaintext.expose().to_string()));
        }
        match value {
            Value::Array(items) => items
                .iter()
                .map(|v| self.reveal_value(v))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Value::Object(map) => {
                let mut out = serde_json::Map::with_capacity(map.len());
                for (k, v) in map {
                    out.insert(k.clone(), self.reveal_value(v)?);
                }
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::secrets::{Password, VaultSecret, VaultSecrets};
    use serde_json::json;

    #[test]
    fn reveals_nested_values() {
        let secret = VaultSecret {
            label: "default".into(),
            password: Password::new(b"pw".to_vec()),
        };
        let env = Vault::encrypt(b"s3cret", &secret).expect("encrypts");
        let value = json!({"a": [1, {"b": {VAULT_VALUE_KEY: env}}], "c": "plain"});
        assert!(contains_vaulted(&value));
        let vault = Vault::new(VaultSecrets::single(
            "default",
            Password::new(b"pw".to_vec()),
        ));
        let shown = vault.reveal_value(&value).expect("decrypts");
        assert_eq!(shown, json!({"a": [1, {"b": "s3cret"}], "c": "plain"}));
        assert!(!contains_vaulted(&shown));
        // A two-key object is ordinary data.
        let other = json!({VAULT_VALUE_KEY: "x", "y": 1});
        assert_eq!(vault.reveal_value(&other).expect("unchanged"), other);
        let none = Vault::new(VaultSecrets::new());
        assert!(matches!(
            none.reveal_value(&value),
            Err(Error::NoSecrets { .. })
        ));
    }
}
