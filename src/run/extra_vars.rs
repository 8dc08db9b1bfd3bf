//! `-e` / `--extra-vars` values: `k=v` pairs (all strings), inline YAML/JSON, or `@file`
//! (YAML or JSON), applied left to right.

use std::path::Path;

use serde_json::{Map, Value};

use crate::inventory::VaultDecrypt;
use crate::playbook::{kv, yaml_source};

/// Merges every `-e` value, later ones winning (no vault secrets: a vaulted `@file` is an error).
pub fn parse_extra_vars(values: &[String]) -> Result<Map<String, Value>, String> {
    parse_extra_vars_with(values, None)
}

/// Merges every `-e` value, later ones winning; a whole-file vaulted `@file` is decrypted with
/// `decrypt`, as ansible-playbook does.
pub fn parse_extra_vars_with(
    values: &[String],
    decrypt: Option<&VaultDecrypt>,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for raw in values {
        let raw = raw.trim();
        if let Some(file) = raw.strip_prefix('@') {
            let path = Path::new(file);
            if !path.is_file() {
                return Err(format!("Unable to retrieve file contents\nCould not find or access '{file}' on the Ansible Controller."));
            }
            match read_extra_vars_file(path, decrypt)? {
                Value::Object(m) => out.extend(m),
                Value::Null => {}
                _ => {
                    return Err(format!(
                        "Invalid extra vars data in {file}: expected a dictionary"
                    ))
                }
            }
        } else if raw.starts_with('{') || raw.starts_with('[') || raw.starts_with("---") {
            let node = yaml_source::parse_yaml(raw, Path::new("<extra vars>"))
                .map_err(|e| e.to_string())?;
            match node.to_value() {
                Value::Object(m) => out.extend(m),
                _ => {
                    return Err(format!(
                        "Invalid extra vars data supplied: '{raw}' is not a dictionary"
                    ))
                }
            }
        } else if !raw.is_empty() {
            out.extend(kv::parse_kv(raw, false)?);
        }
    }
    Ok(out)
}

/// Reads an `@file` of extra vars, decrypting it first when it is vault text.
fn read_extra_vars_file(path: &Path, decrypt: Option<&VaultDecrypt>) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !text.trim_start().starts_with("$ANSIBLE_VAULT;") {
        return yaml_source::parse_yaml(&text, path)
            .map(|n| n.to_value())
            .map_err(|e| e.to_string());
    }
    let Some(decrypt) = decrypt else {
        return Err(format!(
            "Attempting to decrypt but no vault secrets found (in {})",
            path.display()
        ));
    };
    let plain = zeroize::Zeroizing::new(decrypt(&text, path).map_err(|d| d.message.clone())?);
    yaml_source::parse_yaml(&plain, path)
        .map(|n| n.to_value())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kv_strings_and_typed_json() {
        let m = parse_extra_vars(&["n=5 b=true".into(), r#"{"t": 5}"#.into()]).unwrap();
        assert_eq!(m["n"], "5");
        assert_eq!(m["b"], "true");
        assert_eq!(m["t"], json!(5));
        assert!(parse_extra_vars(&["@/nonexistent.yml".into()]).is_err());
    }

    #[test]
    fn vaulted_file_is_decrypted_or_refused() {
        let dir = std::env::temp_dir().join(format!("rplay-extra-vars-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("vaulted.yml");
        std::fs::write(&file, "$ANSIBLE_VAULT;1.1;AES256\n6162\n").unwrap();
        let arg = format!("@{}", file.display());
        let decrypt = |text: &str, _: &Path| -> Result<String, crate::diag::Diagnostic> {
            assert!(text.starts_with("$ANSIBLE_VAULT;"));
            Ok("k: v\n".to_string())
        };
        let m = parse_extra_vars_with(std::slice::from_ref(&arg), Some(&decrypt)).unwrap();
        assert_eq!(m["k"], "v");
        let err = parse_extra_vars(&[arg]).unwrap_err();
        assert!(err.contains("no vault secrets"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
