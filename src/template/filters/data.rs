//! Dict and list reshaping filters: `combine`, `dict2items`, `items2dict`, `flatten`,
//! `subelements`, `extract`, `dict` helpers.

use indexmap::IndexMap;
use minijinja::value::{Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error};

use super::core::{arg, py_str, split_kwargs};
use super::fail;
use super::sets::items;
use crate::template::templar::python_type_name;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("combine", combine);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("flatten", flatten_filter);
    env.add_filter("subelements", subelements);
    env.add_filter("extract", extract);
}

type Map = IndexMap<Value, Value>;

/// A mapping value as an ordered map (`None` when not a mapping).
pub(crate) fn as_map(v: &Value) -> Option<Map> {
    if v.kind() != ValueKind::Map {
        return None;
    }
    let mut out = Map::new();
    for k in v.try_iter().ok()? {
        let item = v.get_item(&k).unwrap_or(Value::UNDEFINED);
        out.insert(k, item);
    }
    Some(out)
}

fn map_value(m: Map) -> Value {
    Value::from_pairs(m)
}

/// Ansible's `merge_hash`.
fn merge_hash(x: Map, y: Map, recursive: bool, list_merge: &str) -> Result<Map, Error> {
    if x.is_empty() {
        return Ok(y);
    }
    let mut x = x;
    for (key, y_value) in y {
        let Some(x_value) = x.get(&key).cloned() else {
            x.insert(key, y_value);
            continue;
        };
        if x_value.kind() == ValueKind::Map && y_value.kind() == ValueKind::Map {
            let merged = if recursive {
                map_value(merge_hash(
                    as_map(&x_value).unwrap_or_default(),
                    as_map(&y_value).unwrap_or_default(),
                    recursive,
                    list_merge,
                )?)
            } else {
                y_value
            };
            x.insert(key, merged);
            continue;
        }
        if x_value.kind() == ValueKind::Seq && y_value.kind() == ValueKind::Seq {
            let xs = items(&x_value)?;
            let ys = items(&y_value)?;
            let merged: Vec<Value> = match list_merge {
                "replace" => ys,
                "keep" => xs,
                "append" => xs.into_iter().chain(ys).collect(),
                "prepend" => ys.into_iter().chain(xs).collect(),
                "append_rp" => xs
                    .into_iter()
                    .filter(|z| !ys.contains(z))
                    .chain(ys.clone())
                    .collect(),
                "prepend_rp" => {
                    let rest: Vec<Value> = xs.into_iter().filter(|z| !ys.contains(z)).collect();
                    ys.into_iter().chain(rest).collect()
                }
                other => {
                    return Err(fail(format!(
                        "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', \
                         'append', 'prepend', 'append_rp' or 'prepend_rp', got '{other}'"
                    )))
                }
            };
            x.insert(key, Value::from(merged));
            continue;
        }
        x.insert(key, y_value);
    }
    Ok(x)
}

/// `combine(*dicts, recursive=False, list_merge='replace')`; list arguments are flattened.
fn combine(first: &Value, rest: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (rest, kwargs) = split_kwargs(&rest);
    let recursive = kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<bool>>("recursive").ok().flatten())
        .unwrap_or(false);
    let list_merge = kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<String>>("list_merge").ok().flatten())
        .unwrap_or_else(|| "replace".to_string());
    let mut dicts = Vec::new();
    for v in std::iter::once(first).chain(rest.iter()) {
        if v.kind() == ValueKind::Seq {
            dicts.extend(items(v)?);
        } else {
            dicts.push(v.clone());
        }
    }
    let mut acc = Map::new();
    for d in dicts {
        let m = as_map(&d).ok_or_else(|| {
            fail(format!(
                "failed to combine variables, expected dicts but got a '{}' and a 'dict'",
                python_type_name(&d)
            ))
        })?;
        acc = merge_hash(acc, m, recursive, &list_merge)?;
    }
    Ok(map_value(acc))
}

/// `dict2items(key_name='key', value_name='value')`.
fn dict2items(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let key_name = arg(&args, &kwargs, 0, "key_name").map(|v| py_str(&v));
    let value_name = arg(&args, &kwargs, 1, "value_name").map(|v| py_str(&v));
    let m = as_map(value).ok_or_else(|| {
        fail(format!(
            "dict2items requires a dictionary, got <class '{}'> instead.",
            python_type_name(value)
        ))
    })?;
    let k = key_name.unwrap_or_else(|| "key".to_string());
    let v = value_name.unwrap_or_else(|| "value".to_string());
    Ok(Value::from(
        m.into_iter()
            .map(|(key, val)| Value::from_pairs([(k.clone(), key), (v.clone(), val)]))
            .collect::<Vec<_>>(),
    ))
}

/// `items2dict(key_name='key', value_name='value')`.
fn items2dict(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let key_name = arg(&args, &kwargs, 0, "key_name").map(|v| py_str(&v));
    let value_name = arg(&args, &kwargs, 1, "value_name").map(|v| py_str(&v));
    let k = key_name.unwrap_or_else(|| "key".to_string());
    let v = value_name.unwrap_or_else(|| "value".to_string());
    if value.kind() != ValueKind::Seq {
        return Err(fail(format!(
            "items2dict requires a list, got <class '{}'> instead.",
            python_type_name(value)
        )));
    }
    let mut out = Map::new();
    for item in items(value)? {
        let key = item.get_attr(&k).unwrap_or(Value::UNDEFINED);
        let val = item.get_attr(&v).unwrap_or(Value::UNDEFINED);
        if key.is_undefined() || val.is_undefined() {
            return Err(fail(format!(
                "items2dict requires each dictionary to have keys '{k}' and '{v}'"
            )));
        }
        out.insert(key, val);
    }
    Ok(map_value(out))
}

/// Ansible's `flatten(levels=None, skip_nulls=True)`.
pub(crate) fn flatten(list: &[Value], levels: Option<i64>, skip_nulls: bool) -> Vec<Value> {
    let mut out = Vec::new();
    for el in list {
        if skip_nulls && (el.is_none() || matches!(el.as_str(), Some("None") | Some("null"))) {
            continue;
        }
        if matches!(el.kind(), ValueKind::Seq | ValueKind::Iterable) {
            let inner: Vec<Value> = el.try_iter().map(|i| i.collect()).unwrap_or_default();
            match levels {
                None => out.extend(flatten(&inner, None, skip_nulls)),
                Some(l) if l >= 1 => out.extend(flatten(&inner, Some(l - 1), skip_nulls)),
                Some(_) => out.push(el.clone()),
            }
        } else {
            out.push(el.clone());
        }
    }
    out
}

fn flatten_filter(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let levels = args
        .first()
        .cloned()
        .or_else(|| kwargs.as_ref().and_then(|k| k.get::<Value>("levels").ok()))
        .and_then(|v| v.as_i64());
    let skip_nulls = args
        .get(1)
        .cloned()
        .or_else(|| {
            kwargs
                .as_ref()
                .and_then(|k| k.get::<Value>("skip_nulls").ok())
        })
        .map(|v| v.is_true())
        .unwrap_or(true);
    Ok(Value::from(flatten(&items(value)?, levels, skip_nulls)))
}

/// `subelements(path, skip_missing=False)`: pairs `[item, sub]` for each element of the
/// list found under `path` (dotted) in each item.
pub(crate) fn subelements(
    value: &Value,
    path: String,
    args: Rest<ValueOrKwargs>,
) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let skip_missing = args
        .first()
        .cloned()
        .or_else(|| {
            kwargs
                .as_ref()
                .and_then(|k| k.get::<Value>("skip_missing").ok())
        })
        .map(|v| v.is_true())
        .unwrap_or(false);
    let elements = match value.kind() {
        ValueKind::Map => as_map(value).unwrap_or_default().into_values().collect(),
        _ => items(value)?,
    };
    let mut out = Vec::new();
    for el in elements {
        let mut cur = el.clone();
        let mut missing = false;
        for part in path.split('.') {
            let next = cur.get_attr(part).unwrap_or(Value::UNDEFINED);
            if next.is_undefined() {
                missing = true;
                break;
            }
            cur = next;
        }
        if missing {
            if skip_missing {
                continue;
            }
            return Err(fail(format!(
                "The filter plugin 'ansible.builtin.subelements' failed: could not find '{path}' \
                 key in iterated item {}",
                super::core::py_repr(&el)
            )));
        }
        if cur.kind() != ValueKind::Seq {
            return Err(fail(
                "the key '".to_string() + &path + "' should point to a list",
            ));
        }
        for sub in items(&cur)? {
            out.push(Value::from(vec![el.clone(), sub]));
        }
    }
    Ok(Value::from(out))
}

/// `extract(container, morekeys=None)`: `container[item]`, then each of `morekeys`.
fn extract(item: &Value, container: &Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut value = container.get_item(item)?;
    if let Some(keys) = morekeys {
        let keys = if keys.kind() == ValueKind::Seq {
            items(&keys)?
        } else {
            vec![keys]
        };
        for k in keys {
            value = value.get_item(&k)?;
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_drops_nulls() {
        let v = vec![
            Value::from(1),
            Value::from(vec![Value::from(2), Value::from(vec![Value::from(3)])]),
            Value::from(()),
        ];
        assert_eq!(flatten(&v, None, true).len(), 3);
        assert_eq!(flatten(&v, Some(1), true).len(), 3);
    }
}
