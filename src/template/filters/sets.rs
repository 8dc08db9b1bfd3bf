//! List/set filters from Ansible's `mathstuff`: `unique` (case-insensitive by default, order
//! kept), `union`, `intersect`, `difference`, `symmetric_difference`, plus `zip`, `zip_longest`,
//! `product`, `permutations`, `combinations`.

use minijinja::value::{Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error};

use super::core::split_kwargs;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("unique", unique_filter);
    env.add_filter("union", |a: &Value, b: &Value| -> Result<Value, Error> {
        let mut all = items(a)?;
        all.extend(items(b)?);
        Ok(Value::from(unique(all, true)))
    });
    env.add_filter(
        "intersect",
        |a: &Value, b: &Value| -> Result<Value, Error> { Ok(Value::from(intersect(a, b)?)) },
    );
    env.add_filter(
        "difference",
        |a: &Value, b: &Value| -> Result<Value, Error> {
            let bs = items(b)?;
            let kept = items(a)?.into_iter().filter(|x| !bs.contains(x)).collect();
            Ok(Value::from(unique(kept, true)))
        },
    );
    env.add_filter(
        "symmetric_difference",
        |a: &Value, b: &Value| -> Result<Value, Error> {
            let isect = intersect(a, b)?;
            let mut all = items(a)?;
            all.extend(items(b)?);
            let kept = unique(all, true)
                .into_iter()
                .filter(|x| !isect.contains(x))
                .collect();
            Ok(Value::from(unique(kept, true)))
        },
    );
    env.add_filter("zip", |a: &Value, rest: Rest<ValueOrKwargs>| {
        zip(a, &rest, false)
    });
    env.add_filter("zip_longest", |a: &Value, rest: Rest<ValueOrKwargs>| {
        zip(a, &rest, true)
    });
    env.add_filter("product", product);
    env.add_filter("permutations", permutations);
    env.add_filter("combinations", combinations);
}

/// The elements of a list-like value (a string is not split).
pub(crate) fn items(v: &Value) -> Result<Vec<Value>, Error> {
    if v.is_none() || v.is_undefined() {
        return Ok(Vec::new());
    }
    if v.kind() == ValueKind::String {
        return Ok(v
            .as_str()
            .unwrap_or_default()
            .chars()
            .map(|c| Value::from(c.to_string()))
            .collect());
    }
    Ok(v.try_iter()?.collect())
}

fn intersect(a: &Value, b: &Value) -> Result<Vec<Value>, Error> {
    let bs = items(b)?;
    Ok(unique(
        items(a)?.into_iter().filter(|x| bs.contains(x)).collect(),
        true,
    ))
}

/// Order-preserving de-duplication; strings compare case-insensitively unless `case_sensitive`.
pub(crate) fn unique(values: Vec<Value>, case_sensitive: bool) -> Vec<Value> {
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for v in values {
        let key = if !case_sensitive {
            match v.as_str() {
                Some(s) => Value::from(s.to_lowercase()),
                None => v.clone(),
            }
        } else {
            v.clone()
        };
        if !seen.contains(&key) {
            seen.push(key);
            out.push(v);
        }
    }
    out
}

/// `unique(case_sensitive=None, attribute=None)`.
fn unique_filter(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let case_sensitive = args
        .first()
        .cloned()
        .or_else(|| {
            kwargs
                .as_ref()
                .and_then(|k| k.get::<Value>("case_sensitive").ok())
        })
        .map(|v| v.is_true())
        .unwrap_or(false);
    let attribute = kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<String>>("attribute").ok().flatten());
    let values = items(value)?;
    match attribute {
        None => Ok(Value::from(unique(values, case_sensitive))),
        Some(attr) => {
            let mut seen: Vec<Value> = Vec::new();
            let mut out = Vec::new();
            for v in values {
                let mut key = v.get_attr(&attr).unwrap_or(Value::UNDEFINED);
                if !case_sensitive {
                    if let Some(s) = key.as_str() {
                        key = Value::from(s.to_lowercase());
                    }
                }
                if !seen.contains(&key) {
                    seen.push(key);
                    out.push(v);
                }
            }
            Ok(Value::from(out))
        }
    }
}

fn zip(first: &Value, rest: &[ValueOrKwargs], longest: bool) -> Result<Value, Error> {
    let (rest, kwargs) = split_kwargs(rest);
    let fill = kwargs
        .as_ref()
        .and_then(|k| k.get::<Value>("fillvalue").ok())
        .unwrap_or(Value::from(()));
    let mut lists = vec![items(first)?];
    for r in &rest {
        lists.push(items(r)?);
    }
    let len = if longest {
        lists.iter().map(Vec::len).max().unwrap_or(0)
    } else {
        lists.iter().map(Vec::len).min().unwrap_or(0)
    };
    let out: Vec<Value> = (0..len)
        .map(|i| {
            Value::from(
                lists
                    .iter()
                    .map(|l| l.get(i).cloned().unwrap_or_else(|| fill.clone()))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    Ok(Value::from(out))
}

/// `itertools.product(list, *others, repeat=1)`.
fn product(first: &Value, rest: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (rest, kwargs) = split_kwargs(&rest);
    let repeat = kwargs
        .as_ref()
        .and_then(|k| k.get::<i64>("repeat").ok())
        .unwrap_or(1)
        .max(0) as usize;
    let mut pools = vec![items(first)?];
    for r in &rest {
        pools.push(items(r)?);
    }
    let pools: Vec<Vec<Value>> = (0..repeat).flat_map(|_| pools.clone()).collect();
    let mut result: Vec<Vec<Value>> = vec![Vec::new()];
    for pool in &pools {
        let mut next = Vec::with_capacity(result.len() * pool.len());
        for prefix in &result {
            for item in pool {
                let mut p = prefix.clone();
                p.push(item.clone());
                next.push(p);
            }
        }
        result = next;
    }
    Ok(Value::from(
        result.into_iter().map(Value::from).collect::<Vec<_>>(),
    ))
}

fn permutations(value: &Value, r: Option<usize>) -> Result<Value, Error> {
    let pool = items(value)?;
    let r = r.unwrap_or(pool.len());
    let mut out = Vec::new();
    fn go(
        pool: &[Value],
        used: &mut Vec<bool>,
        cur: &mut Vec<Value>,
        r: usize,
        out: &mut Vec<Value>,
    ) {
        if cur.len() == r {
            out.push(Value::from(cur.clone()));
            return;
        }
        for i in 0..pool.len() {
            if !used[i] {
                used[i] = true;
                cur.push(pool[i].clone());
                go(pool, used, cur, r, out);
                cur.pop();
                used[i] = false;
            }
        }
    }
    if r <= pool.len() {
        go(
            &pool,
            &mut vec![false; pool.len()],
            &mut Vec::new(),
            r,
            &mut out,
        );
    }
    Ok(Value::from(out))
}

fn combinations(value: &Value, r: usize) -> Result<Value, Error> {
    let pool = items(value)?;
    let mut out = Vec::new();
    fn go(pool: &[Value], start: usize, cur: &mut Vec<Value>, r: usize, out: &mut Vec<Value>) {
        if cur.len() == r {
            out.push(Value::from(cur.clone()));
            return;
        }
        for i in start..pool.len() {
            cur.push(pool[i].clone());
            go(pool, i + 1, cur, r, out);
            cur.pop();
        }
    }
    go(&pool, 0, &mut Vec::new(), r, &mut out);
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_keeps_first_and_ignores_case_by_default() {
        let v = vec![Value::from("a"), Value::from("A"), Value::from("b")];
        assert_eq!(unique(v.clone(), false).len(), 2);
        assert_eq!(unique(v, true).len(), 3);
    }
}
