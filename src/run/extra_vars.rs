//! `-e` / `--extra-vars` values: `k=v` pairs (all strings), inline YAML/JSON, or `@file`
//! (YAML or JSON), applied left to right.

use std::path::Path;

use serde_json::{Map, Value};

use crate::playbook::{kv, yaml_source};

/// Merges every `-e` value, later ones winning.
pub fn parse_extra_vars(values: &[String]) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for raw in values {
        let raw = raw.trim();
        if let Some(file) = raw.strip_prefix('@') {
            let path = Path::new(file);
            if !path.is_file() {
                return Err(format!("Unable to retrieve file contents\nCould not find or access '{file}' on the Ansible Controller."));
            }
            let node = yaml_source::read_yaml(path).map_err(|e| e.to_string())?;
            match node.to_value() {
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
}
