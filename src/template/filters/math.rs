//! Math and size filters from Ansible's `mathstuff`: `human_readable`, `human_to_bytes`, `log`,
//! `pow`, `root`, `rekey_on_member`; plus the collection filters whose Python libraries the
//! reference venv lacks (`json_query`, `ipaddr`...), which fail with the same message.

use minijinja::value::{Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error};

use super::core::{arg, py_str, split_kwargs};
use super::fail;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("human_readable", human_readable);
    env.add_filter("human_to_bytes", human_to_bytes);
    env.add_filter("log", |x: f64, base: Option<f64>| match base {
        Some(b) => x.ln() / b.ln(),
        None => x.ln(),
    });
    env.add_filter("pow", |x: f64, y: f64| x.powf(y));
    env.add_filter("root", |x: f64, base: Option<f64>| match base {
        None | Some(2.0) => x.sqrt(),
        Some(b) => x.powf(1.0 / b),
    });
    env.add_filter("rekey_on_member", rekey_on_member);
    env.add_filter(
        "json_query",
        |_: &Value, _: Rest<ValueOrKwargs>| -> Result<Value, Error> {
            Err(fail(
                "The filter plugin 'community.general.json_query' failed: You need to install \
             \"jmespath\" prior to running json_query filter",
            ))
        },
    );
    for name in [
        "ipaddr",
        "ipv4",
        "ipv6",
        "ipwrap",
        "ipmath",
        "ipsubnet",
        "nthhost",
        "network_in_usable",
        "network_in_network",
        "cidr_merge",
        "hwaddr",
        "macaddr",
    ] {
        env.add_filter(
            name,
            move |_: &Value, _: Rest<ValueOrKwargs>| -> Result<Value, Error> {
                Err(fail(format!(
                "The filter plugin 'ansible.utils.{name}' failed: Failed to import the required \
                 Python library (netaddr) on the controller's Python."
            )))
            },
        );
    }
}

/// Size units, largest first (binary multiples), as in Ansible's `SIZE_RANGES`.
const SIZE_RANGES: [(char, u128); 9] = [
    ('Y', 1 << 80),
    ('Z', 1 << 70),
    ('E', 1 << 60),
    ('P', 1 << 50),
    ('T', 1 << 40),
    ('G', 1 << 30),
    ('M', 1 << 20),
    ('K', 1 << 10),
    ('B', 1),
];

/// `human_readable(isbits=False, unit=None)`: `1.46 KB`.
fn human_readable(value: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let isbits = arg(&args, &kwargs, 0, "isbits").is_some_and(|v| v.is_true());
    let unit = arg(&args, &kwargs, 1, "unit").map(|v| py_str(&v).to_uppercase());
    let size = match value.kind() {
        ValueKind::Number => f64::try_from(value.clone()).unwrap_or(0.0),
        _ => py_str(value).trim().parse::<f64>().map_err(|_| {
            fail(format!(
                "The filter plugin 'ansible.builtin.human_readable' failed: human_readable() \
                 can't interpret following string: {}",
                py_str(value)
            ))
        })?,
    };
    let base = if isbits { "bits" } else { "Bytes" };
    let mut chosen = ('B', 1u128);
    for (suffix, limit) in SIZE_RANGES {
        chosen = (suffix, limit);
        let hit = match &unit {
            None => size >= limit as f64,
            Some(u) => u.starts_with(suffix),
        };
        if hit {
            break;
        }
    }
    let (suffix, limit) = chosen;
    let suffix = if limit != 1 {
        format!("{suffix}{}", &base[..1])
    } else {
        base.to_string()
    };
    Ok(format!("{:.2} {suffix}", size / limit as f64))
}

/// `human_to_bytes(default_unit=None, isbits=False)`: `'1.5 MB'` → 1572864.
fn human_to_bytes(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let default_unit = arg(&args, &kwargs, 0, "default_unit").map(|v| py_str(&v));
    let isbits = arg(&args, &kwargs, 1, "isbits").is_some_and(|v| v.is_true());
    let text = py_str(value);
    let err = || {
        fail(format!(
            "The filter plugin 'ansible.builtin.human_to_bytes' failed: human_to_bytes() can't \
             interpret the input: human_to_bytes() failed to convert {text}. Value is not a valid \
             string (expect {} or {})",
            if isbits { "Kb" } else { "KB" },
            "K"
        ))
    };
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = (t[..split].trim(), t[split..].trim());
    let number: f64 = num.parse().map_err(|_| err())?;
    let unit = if unit.is_empty() {
        default_unit.unwrap_or_default()
    } else {
        unit.to_string()
    };
    let limit = if unit.is_empty() {
        1u128
    } else {
        let first = unit
            .chars()
            .next()
            .map(|c| c.to_ascii_uppercase())
            .unwrap_or('B');
        let range = SIZE_RANGES
            .iter()
            .find(|(s, _)| *s == first)
            .map(|(_, l)| *l)
            .ok_or_else(err)?;
        let rest = &unit[1..];
        let expected = if isbits { "b" } else { "B" };
        let ok = if first == 'B' {
            rest.is_empty() || (isbits && unit == "bits") || (!isbits && unit == "Bytes")
        } else {
            rest.is_empty() || rest == expected
        };
        if !ok {
            return Err(err());
        }
        range
    };
    Ok(Value::from((number * limit as f64).round() as i64))
}

/// `rekey_on_member(key, duplicates='error')`: a list of dicts → dict keyed by a member.
fn rekey_on_member(data: &Value, key: String, duplicates: Option<String>) -> Result<Value, Error> {
    let duplicates = duplicates.unwrap_or_else(|| "error".to_string());
    let items: Vec<Value> = if data.kind() == ValueKind::Map {
        let mut v = Vec::new();
        for k in data.try_iter()? {
            v.push(data.get_item(&k)?);
        }
        v
    } else {
        data.try_iter()?.collect()
    };
    let mut out: Vec<(Value, Value)> = Vec::new();
    for item in items {
        let k = item.get_attr(&key).unwrap_or(Value::UNDEFINED);
        if k.is_undefined() {
            return Err(fail(format!("Key {key} was not found")));
        }
        if let Some(slot) = out.iter_mut().find(|(ek, _)| *ek == k) {
            if duplicates == "error" {
                return Err(fail(format!(
                    "Key {} is not unique, cannot correctly turn into dict",
                    py_str(&k)
                )));
            }
            slot.1 = item;
        } else {
            out.push((k, item));
        }
    }
    Ok(Value::from_pairs(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rest(v: Vec<Value>) -> Rest<ValueOrKwargs> {
        Rest(v.into_iter().map(ValueOrKwargs::from).collect())
    }

    #[test]
    fn human_sizes_match_ansible() {
        let hr = |n: i64| human_readable(&Value::from(n), rest(vec![])).unwrap_or_default();
        assert_eq!(hr(1500), "1.46 KB");
        assert_eq!(hr(0), "0.00 Bytes");
        assert_eq!(hr(10_000_000_000_000), "9.09 TB");
        let hb = |s: &str| {
            human_to_bytes(&Value::from(s), rest(vec![]))
                .ok()
                .and_then(|v| v.as_i64())
        };
        assert_eq!(hb("1.5 MB"), Some(1_572_864));
        assert_eq!(hb("2G"), Some(2_147_483_648));
        assert_eq!(hb("10"), Some(10));
        assert_eq!(hb("1 KiB"), None);
    }
}
