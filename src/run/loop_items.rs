//! The items of `with_<lookup>` loops that need no controller access (`items`, `list`, `dict`,
//! `indexed_items`, `together`, `nested`, `sequence`), computed from the rendered terms. Other
//! lookups (`subelements`, `fileglob`, `first_found`, `file`, `lines`...) go through the template
//! engine's lookups.

use serde_json::{json, Map, Value};

/// Items for `with_<lookup>` over rendered `terms`, or `None` when the lookup is not built in here.
pub fn builtin_items(lookup: &str, terms: &Value) -> Option<Result<Vec<Value>, String>> {
    let list = |v: &Value| match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    Some(match lookup {
        "items" => Ok(list(terms)
            .into_iter()
            .flat_map(|i| match i {
                Value::Array(inner) => inner,
                other => vec![other],
            })
            .collect()),
        "list" => Ok(list(terms)),
        "dict" => match terms {
            Value::Object(m) => Ok(m
                .iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect()),
            _ => Err("with_dict expects a dict".to_string()),
        },
        "indexed_items" => Ok(list(terms)
            .into_iter()
            .flat_map(|i| match i {
                Value::Array(inner) => inner,
                other => vec![other],
            })
            .enumerate()
            .map(|(i, v)| json!([i, v]))
            .collect()),
        "together" => {
            let lists: Vec<Vec<Value>> = list(terms).iter().map(list).collect();
            let n = lists.iter().map(Vec::len).max().unwrap_or(0);
            Ok((0..n)
                .map(|i| {
                    Value::Array(
                        lists
                            .iter()
                            .map(|l| l.get(i).cloned().unwrap_or(Value::Null))
                            .collect(),
                    )
                })
                .collect())
        }
        "nested" | "cartesian" => {
            let lists: Vec<Vec<Value>> = list(terms).iter().map(list).collect();
            let mut acc: Vec<Vec<Value>> = vec![Vec::new()];
            for l in &lists {
                let mut next = Vec::new();
                for prefix in &acc {
                    for v in l {
                        let mut p = prefix.clone();
                        p.push(v.clone());
                        next.push(p);
                    }
                }
                acc = next;
            }
            if lists.is_empty() {
                acc.clear();
            }
            Ok(acc.into_iter().map(Value::Array).collect())
        }
        "sequence" => sequence(terms),
        _ => return None,
    })
}

fn sequence(terms: &Value) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    let specs = match terms {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    for spec in specs {
        let mut start = 1i64;
        let mut end: Option<i64> = None;
        let mut count: Option<i64> = None;
        let mut stride = 1i64;
        let mut format = "%d".to_string();
        let args: Map<String, Value> = match &spec {
            Value::String(s) => crate::playbook::kv::parse_kv(s, false)?,
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        let int = |v: &Value| -> Result<i64, String> {
            let s = rplay_modules::spec::value_to_string(v);
            let s = s.trim();
            if let Some(h) = s.strip_prefix("0x") {
                i64::from_str_radix(h, 16).map_err(|e| e.to_string())
            } else {
                s.parse::<i64>()
                    .map_err(|_| format!("can't parse arg {s} as integer"))
            }
        };
        for (k, v) in &args {
            match k.as_str() {
                "start" => start = int(v)?,
                "end" => end = Some(int(v)?),
                "count" => count = Some(int(v)?),
                "stride" => stride = int(v)?,
                "format" => format = rplay_modules::spec::value_to_string(v),
                "_raw_params" => {
                    // Shortcut form: `start-end/stride:format` is rare; accept `N` as end.
                    end = Some(int(v)?);
                }
                _ => {}
            }
        }
        if let Some(c) = count {
            end = Some(start + (c - 1) * stride);
        }
        let Some(end) = end else {
            return Err("must specify count or end in with_sequence".into());
        };
        if stride == 0 {
            continue;
        }
        let mut i = start;
        while (stride > 0 && i <= end) || (stride < 0 && i >= end) {
            out.push(Value::String(printf_int(&format, i)));
            i += stride;
        }
    }
    Ok(out)
}

fn printf_int(format: &str, n: i64) -> String {
    let Some(pos) = format.find('%') else {
        return format.to_string();
    };
    let rest = &format[pos + 1..];
    let spec_end = rest
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let flags = &rest[..spec_end];
    let conv = rest[spec_end..].chars().next().unwrap_or('d');
    let tail = rest.get(spec_end + 1..).unwrap_or("");
    let width: usize = flags.trim_start_matches('0').parse().unwrap_or(0);
    let zero = flags.starts_with('0');
    let body = match conv {
        'x' => format!("{n:x}"),
        'X' => format!("{n:X}"),
        'o' => format!("{n:o}"),
        _ => n.to_string(),
    };
    let padded = if body.len() < width {
        let pad = if zero { '0' } else { ' ' };
        format!("{}{}", pad.to_string().repeat(width - body.len()), body)
    } else {
        body
    };
    format!("{}{}{}", &format[..pos], padded, tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_flatten_one_level_list_does_not() {
        let t = json!([[1, 2], 3]);
        assert_eq!(
            builtin_items("items", &t).unwrap().unwrap(),
            vec![json!(1), json!(2), json!(3)]
        );
        assert_eq!(
            builtin_items("list", &t).unwrap().unwrap(),
            vec![json!([1, 2]), json!(3)]
        );
    }

    #[test]
    fn dict_nested_together_sequence() {
        assert_eq!(
            builtin_items("dict", &json!({"a": 1})).unwrap().unwrap(),
            vec![json!({"key": "a", "value": 1})]
        );
        assert_eq!(
            builtin_items("nested", &json!([["a", "b"], [1]]))
                .unwrap()
                .unwrap(),
            vec![json!(["a", 1]), json!(["b", 1])]
        );
        assert_eq!(
            builtin_items("together", &json!([["a", "b"], [1]]))
                .unwrap()
                .unwrap(),
            vec![json!(["a", 1]), json!(["b", null])]
        );
        assert_eq!(
            builtin_items("sequence", &json!("start=1 end=3 format=web%02d"))
                .unwrap()
                .unwrap(),
            vec![json!("web01"), json!("web02"), json!("web03")]
        );
        assert!(builtin_items("fileglob", &json!("*")).is_none());
    }
}
