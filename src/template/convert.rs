//! Conversions between minijinja values and the engine's `serde_json` values.
//!
//! Results leave the template engine as JSON: lazy objects are walked (templating what they hold),
//! `omit` placeholders inside lists and dicts drop their element (TPL-04, 2.19), and undefined or
//! invalid values become errors instead of silently turning into `null`.

use minijinja::value::{Value, ValueKind};
use serde_json::Value as Json;

use super::datetime::YamlTimestamp;
use super::error::{TemplateError, TemplateErrorKind};
use crate::yaml::Timestamp;

/// Converts a native template result into JSON. `omit` is the omit placeholder: list elements and
/// dict values equal to it are removed.
pub(crate) fn to_json(value: &Value, omit: &str) -> Result<Json, TemplateError> {
    to_json_depth(value, omit, 0)
}

fn to_json_depth(value: &Value, omit: &str, depth: usize) -> Result<Json, TemplateError> {
    if depth > 200 {
        return Err(TemplateError::new(
            TemplateErrorKind::Render,
            "value nesting too deep (recursive data structure?)",
        ));
    }
    if let Some(range) = super::py_range::PyRange::of(value) {
        return Err(TemplateError::new(
            TemplateErrorKind::Render,
            "Error rendering template: Type 'range' is unsupported for variable storage.",
        )
        .with_value_text(range.text()));
    }
    Ok(match value.kind() {
        ValueKind::Undefined => {
            return Err(TemplateError::new(
                TemplateErrorKind::Undefined,
                "undefined value in template result",
            ))
        }
        ValueKind::Invalid => return Err(invalid_error(value)),
        ValueKind::None => Json::Null,
        ValueKind::Bool => Json::Bool(value.is_true()),
        ValueKind::Number => number_to_json(value),
        ValueKind::String => Json::String(value.as_str().unwrap_or_default().to_string()),
        ValueKind::Bytes => {
            Json::String(String::from_utf8_lossy(value.as_bytes().unwrap_or_default()).into_owned())
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let iter = value
                .try_iter()
                .map_err(|e| TemplateError::from_minijinja(&e, ""))?;
            let mut out = Vec::new();
            for item in iter {
                if item.as_str() == Some(omit) {
                    continue;
                }
                out.push(to_json_depth(&item, omit, depth + 1)?);
            }
            Json::Array(out)
        }
        ValueKind::Map => {
            let mut out = serde_json::Map::new();
            let iter = value
                .try_iter()
                .map_err(|e| TemplateError::from_minijinja(&e, ""))?;
            for key in iter {
                let item = value
                    .get_item(&key)
                    .map_err(|e| TemplateError::from_minijinja(&e, ""))?;
                if item.as_str() == Some(omit) {
                    continue;
                }
                let key = match key.as_str() {
                    Some(s) => s.to_string(),
                    None => key_to_string(&key),
                };
                out.insert(key, to_json_depth(&item, omit, depth + 1)?);
            }
            Json::Object(out)
        }
        // A YAML date keeps its type: `{"__rplay_timestamp": isoformat}`.
        _ if YamlTimestamp::of(value).is_some() => {
            YamlTimestamp::of(value).map_or(Json::Null, |ts| ts.to_json())
        }
        // A `now()` datetime is stored as its text.
        _ if value
            .downcast_object_ref::<super::datetime::DateTime>()
            .is_some() =>
        {
            Json::String(value.to_string())
        }
        // A dict method taken as a value (`d.items`).
        _ if value
            .downcast_object_ref::<super::methods::BoundMethod>()
            .is_some() =>
        {
            let text = value
                .downcast_object_ref::<super::methods::BoundMethod>()
                .map(|m| m.text())
                .unwrap_or_default();
            return Err(TemplateError::new(
                TemplateErrorKind::Render,
                "Error rendering template: Type 'method' is unsupported for variable storage.",
            )
            .with_value_text(text));
        }
        // Functions, macros and other plain objects cannot be stored (2.19 refuses them too).
        _ => {
            return Err(TemplateError::new(
                TemplateErrorKind::Render,
                format!(
                    "Type '{}' is unsupported for variable storage.",
                    value.kind()
                ),
            ))
        }
    })
}

/// Python's `str()` of a dict key that is not a string.
fn key_to_string(key: &Value) -> String {
    match key.kind() {
        ValueKind::Bool => if key.is_true() { "True" } else { "False" }.to_string(),
        ValueKind::None => "None".to_string(),
        _ => key.to_string(),
    }
}

fn number_to_json(value: &Value) -> Json {
    if value.is_integer() {
        if let Some(i) = value.as_i64() {
            return Json::from(i);
        }
        if let Ok(u) = u64::try_from(value.clone()) {
            return Json::from(u);
        }
    }
    match f64::try_from(value.clone()) {
        Ok(f) => serde_json::Number::from_f64(f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Err(_) => Json::Null,
    }
}

/// Extracts the message of an invalid value (an error carried inside a value).
pub(crate) fn invalid_error(value: &Value) -> TemplateError {
    let text = value.to_string();
    let inner = text
        .strip_prefix("<invalid value: ")
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(&text);
    // The carried error displays as "<kind>: <detail>"; keep the detail.
    let detail = inner.split_once(": ").map(|(_, d)| d).unwrap_or(inner);
    let detail = detail
        .rsplit_once(" (in ")
        .map(|(d, _)| d)
        .unwrap_or(detail);
    let err = minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, detail.to_string());
    TemplateError::from_minijinja(&err, "")
}

/// Converts plain JSON data into a minijinja value (no lazy templating: used for results that
/// are data, such as lookup and filter results).
pub(crate) fn from_json(json: &Json) -> Value {
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::from(items.iter().map(from_json).collect::<Vec<_>>()),
        Json::Object(map) => match Timestamp::from_json(json) {
            Some(ts) => YamlTimestamp::value(ts),
            None => Value::from_pairs(map.iter().map(|(k, v)| (k.as_str(), from_json(v)))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn omit_drops_list_elements_and_dict_keys() {
        let v = from_json(&json!([1, "OMIT", {"a": "OMIT", "b": 2}]));
        assert_eq!(to_json(&v, "OMIT").ok(), Some(json!([1, {"b": 2}])));
    }

    #[test]
    fn numbers_keep_their_type() {
        let v = from_json(&json!({"i": 3, "f": 1.5, "n": null, "t": true}));
        assert_eq!(
            to_json(&v, "x").ok(),
            Some(json!({"i": 3, "f": 1.5, "n": null, "t": true}))
        );
    }

    #[test]
    fn dates_round_trip() {
        let d = json!({"d": {"__rplay_timestamp": "2024-01-02"}});
        let v = from_json(&d);
        assert_eq!(
            v.get_attr("d").ok().map(|d| d.to_string()).as_deref(),
            Some("2024-01-02")
        );
        assert_eq!(to_json(&v, "x").ok(), Some(d));
    }

    #[test]
    fn undefined_is_an_error() {
        assert!(to_json(&Value::UNDEFINED, "x").is_err());
    }
}
