//! Core value filters: `bool`, `int`, `float`, `string`, `ternary`, `mandatory`, `type_debug`,
//! `indent`, `random`, `shuffle`, `to_uuid`, plus Python's `str()`/`repr()` of values.

use minijinja::value::{Kwargs, Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error, State};

use super::fail;
use crate::template::templar::python_type_name;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("bool", to_bool);
    env.add_filter("int", to_int);
    env.add_filter("float", to_float);
    env.add_filter("string", |v: &Value| py_str(v));
    env.add_filter("ternary", ternary);
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_filter("mandatory", mandatory);
    env.add_filter("type_debug", |v: &Value| python_type_name(v));
    env.add_filter("indent", indent);
    env.add_filter("random", random);
    env.add_filter("shuffle", shuffle);
    env.add_filter("to_uuid", to_uuid);
    env.add_filter("strftime", strftime);
    env.add_filter("center", |v: &Value, width: Option<usize>| {
        let s = py_str(v);
        let width = width.unwrap_or(80);
        let len = s.chars().count();
        if len >= width {
            return s;
        }
        // Python's str.center puts the extra space on the right when the padding is odd
        // and the string length is even, and on the left otherwise.
        let total = width - len;
        let left = total / 2 + (total & width & 1);
        format!("{}{s}{}", " ".repeat(left), " ".repeat(total - left))
    });
    env.add_function("dict", dict_function);
    env.add_filter("wordcount", |v: &Value| {
        py_str(v).split_whitespace().count()
    });
}

/// Ansible's `bool` filter: yes/on/1/true → True, no/off/0/false → False, anything else False.
fn to_bool(value: &Value) -> bool {
    match value.kind() {
        ValueKind::Bool => value.is_true(),
        ValueKind::Number => {
            value.as_i64() == Some(1) || f64::try_from(value.clone()).ok() == Some(1.0)
        }
        ValueKind::String => matches!(
            value.as_str().unwrap_or_default().to_lowercase().as_str(),
            "yes" | "on" | "1" | "true"
        ),
        _ => false,
    }
}

/// Jinja's `int(default=0, base=10)`: unparsable values give the default.
fn to_int(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let default = args
        .first()
        .cloned()
        .or_else(|| kwargs.as_ref().and_then(|k| k.get::<Value>("default").ok()))
        .unwrap_or(Value::from(0));
    let base = args
        .get(1)
        .and_then(Value::as_i64)
        .or_else(|| kwargs.as_ref().and_then(|k| k.get::<i64>("base").ok()))
        .unwrap_or(10);
    Ok(match value.kind() {
        ValueKind::Bool => Value::from(i64::from(value.is_true())),
        ValueKind::Number => {
            if value.is_integer() {
                value.clone()
            } else {
                Value::from(f64::try_from(value.clone()).unwrap_or(0.0).trunc() as i64)
            }
        }
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default().trim().replace('_', "");
            match parse_int(&s, base as u32) {
                Some(i) => Value::from(i),
                None => match s.parse::<f64>() {
                    Ok(f) if base == 10 && f.is_finite() => Value::from(f.trunc() as i64),
                    _ => default,
                },
            }
        }
        _ => default,
    })
}

fn parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let lower = digits.to_ascii_lowercase();
    let digits = match base {
        16 => lower.strip_prefix("0x").unwrap_or(&lower),
        8 => lower.strip_prefix("0o").unwrap_or(&lower),
        2 => lower.strip_prefix("0b").unwrap_or(&lower),
        _ => &lower,
    };
    if digits.is_empty() || !(2..=36).contains(&base) {
        return None;
    }
    let v = i64::from_str_radix(digits, base).ok()?;
    Some(if neg { -v } else { v })
}

/// Jinja's `float(default=0.0)`.
fn to_float(value: &Value, default: Option<Value>) -> Value {
    let default = default.unwrap_or(Value::from(0.0));
    match value.kind() {
        ValueKind::Bool => Value::from(if value.is_true() { 1.0 } else { 0.0 }),
        ValueKind::Number => Value::from(f64::try_from(value.clone()).unwrap_or(0.0)),
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default().trim().to_lowercase();
            match s.as_str() {
                "inf" | "infinity" | "+inf" => Value::from(f64::INFINITY),
                "-inf" | "-infinity" => Value::from(f64::NEG_INFINITY),
                "nan" => Value::from(f64::NAN),
                _ => s
                    .replace('_', "")
                    .parse::<f64>()
                    .map(Value::from)
                    .unwrap_or(default),
            }
        }
        _ => default,
    }
}

/// Python's `dict(mapping_or_pairs, **kwargs)`.
fn dict_function(args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let mut pairs: Vec<(Value, Value)> = Vec::new();
    let set = |k: Value, v: Value, pairs: &mut Vec<(Value, Value)>| {
        if let Some(slot) = pairs.iter_mut().find(|(pk, _)| *pk == k) {
            slot.1 = v;
        } else {
            pairs.push((k, v));
        }
    };
    if let Some(src) = args.first() {
        if src.kind() == ValueKind::Map {
            for k in src.try_iter()? {
                let v = src.get_item(&k)?;
                set(k, v, &mut pairs);
            }
        } else {
            for pair in src.try_iter()? {
                let kv: Vec<Value> = pair.try_iter()?.collect();
                if kv.len() != 2 {
                    return Err(fail(format!(
                        "dictionary update sequence element has length {}; 2 is required",
                        kv.len()
                    )));
                }
                set(kv[0].clone(), kv[1].clone(), &mut pairs);
            }
        }
    }
    if let Some(k) = kwargs {
        for name in k.args().map(str::to_string).collect::<Vec<_>>() {
            let v: Value = k.get(&name)?;
            set(Value::from(name), v, &mut pairs);
        }
    }
    Ok(Value::from_pairs(pairs))
}

/// `default(default_value='', boolean=False)`: replaces undefined values (and falsy ones when
/// `boolean`); `None` is kept (2.19).
fn default(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let fallback = args
        .first()
        .cloned()
        .or_else(|| {
            kwargs
                .as_ref()
                .and_then(|k| k.get::<Option<Value>>("default_value").ok().flatten())
        })
        .unwrap_or(Value::from(""));
    let boolean = args
        .get(1)
        .cloned()
        .or_else(|| {
            kwargs
                .as_ref()
                .and_then(|k| k.get::<Option<Value>>("boolean").ok().flatten())
        })
        .is_some_and(|v| v.is_true());
    if value.is_undefined() || (boolean && !value.is_true()) {
        Ok(fallback)
    } else {
        Ok(value.clone())
    }
}

/// `ternary(true_val, false_val, none_val=None)`.
fn ternary(value: &Value, true_val: Value, false_val: Value, none_val: Option<Value>) -> Value {
    if value.is_none() {
        if let Some(n) = none_val {
            return n;
        }
    }
    if value.is_true() {
        true_val
    } else {
        false_val
    }
}

/// `mandatory(msg=None)`: fails when the value is undefined.
fn mandatory(value: &Value, msg: Option<String>) -> Result<Value, Error> {
    if value.is_undefined() {
        return Err(fail(msg.unwrap_or_else(|| {
            format!(
                "The filter plugin 'ansible.builtin.mandatory' failed: Mandatory variable {} not \
                 defined.",
                crate::template::error::MANDATORY_NAME_MARKER
            )
        })));
    }
    Ok(value.clone())
}

/// Jinja2's `indent(width=4, first=False, blank=False)`; blank lines are not indented.
fn indent(value: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let get = |i: usize, name: &str| -> Option<Value> {
        args.get(i)
            .cloned()
            .or_else(|| kwargs.as_ref().and_then(|k| k.get::<Value>(name).ok()))
    };
    let indention = match get(0, "width") {
        Some(w) if w.kind() == ValueKind::String => w.as_str().unwrap_or_default().to_string(),
        Some(w) => " ".repeat(w.as_i64().unwrap_or(4).max(0) as usize),
        None => "    ".to_string(),
    };
    let first = get(1, "first").map(|v| v.is_true()).unwrap_or(false);
    let blank = get(2, "blank").map(|v| v.is_true()).unwrap_or(false);
    let s = format!("{}\n", py_str(value));
    let lines = split_lines(&s);
    let mut rv = if blank {
        lines.join(&format!("\n{indention}"))
    } else {
        let mut iter = lines.into_iter();
        let mut rv = iter.next().unwrap_or_default().to_string();
        let rest: Vec<String> = iter
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{indention}{l}")
                }
            })
            .collect();
        if !rest.is_empty() {
            rv.push('\n');
            rv.push_str(&rest.join("\n"));
        }
        rv
    };
    if first {
        rv = format!("{indention}{rv}");
    }
    Ok(rv)
}

/// Python's `str.splitlines()` for `\n`, `\r\n` and `\r`.
pub(crate) fn split_lines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            b'\r' => {
                out.push(&s[start..i]);
                if i + 1 < bytes.len() && bytes[i + 1] == b'\n' {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// A small xorshift generator; seeded from `seed` when given, else from the clock.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: Option<&str>) -> Rng {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        match seed {
            Some(s) => s.hash(&mut h),
            None => {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
                    .hash(&mut h);
                std::process::id().hash(&mut h);
            }
        }
        Rng(h.finish() | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

fn seed_of(kwargs: &Option<Kwargs>) -> Option<String> {
    kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<Value>>("seed").ok().flatten())
        .map(|v| py_str(&v))
}

/// `random(start=None, step=1, seed=None)`: a random element of a list, or an int below `n`.
fn random(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    // With a seed, Python's own generator so the pick equals Ansible's.
    let seed = kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<Value>>("seed").ok().flatten());
    if let Some(seed) = seed {
        let mut py = match seed.as_i64() {
            Some(i) if seed.is_integer() => super::py_random::PyRandom::from_int_seed(i),
            _ => super::py_random::PyRandom::from_str_seed(&py_str(&seed)),
        };
        if let Some(end) = value.as_i64() {
            let start = args.first().and_then(Value::as_i64).unwrap_or(0);
            let step = args.get(1).and_then(Value::as_i64).unwrap_or(1).max(1);
            if end <= start {
                return Err(fail("empty range for randrange()"));
            }
            let count = ((end - start) + step - 1) / step;
            return Ok(Value::from(
                start + py.randbelow(count as u64) as i64 * step,
            ));
        }
        let items: Vec<Value> = value.try_iter()?.collect();
        if items.is_empty() {
            return Err(fail("Cannot choose from an empty sequence"));
        }
        let i = py.randbelow(items.len() as u64) as usize;
        return Ok(items[i].clone());
    }
    let mut rng = Rng::new(seed_of(&kwargs).as_deref());
    if let Some(end) = value.as_i64() {
        let start = args.first().and_then(Value::as_i64).unwrap_or(0);
        let step = args.get(1).and_then(Value::as_i64).unwrap_or(1).max(1);
        if end <= start {
            return Err(fail("empty range for random"));
        }
        let count = ((end - start) + step - 1) / step;
        return Ok(Value::from(start + rng.below(count as u64) as i64 * step));
    }
    let items: Vec<Value> = value.try_iter()?.collect();
    if items.is_empty() {
        return Err(fail("Cannot choose from an empty sequence"));
    }
    let i = rng.below(items.len() as u64) as usize;
    Ok(items[i].clone())
}

/// `shuffle(seed=None)`: the list in random order.
fn shuffle(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (_, kwargs) = split_kwargs(&args);
    let seed = kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<Value>>("seed").ok().flatten());
    let mut py = seed.map(|s| match s.as_i64() {
        Some(i) if s.is_integer() => super::py_random::PyRandom::from_int_seed(i),
        _ => super::py_random::PyRandom::from_str_seed(&py_str(&s)),
    });
    let mut rng = Rng::new(None);
    let mut items: Vec<Value> = value.try_iter()?.collect();
    for i in (1..items.len()).rev() {
        let j = match py.as_mut() {
            Some(p) => p.randbelow(i as u64 + 1) as usize,
            None => rng.below(i as u64 + 1) as usize,
        };
        items.swap(i, j);
    }
    Ok(Value::from(items))
}

/// `to_uuid(namespace=...)`: a UUID v5 of the string in Ansible's namespace.
fn to_uuid(value: &Value, namespace: Option<String>) -> Result<String, Error> {
    use sha1::{Digest, Sha1};
    let ns = namespace.unwrap_or_else(|| "361E6D51-FAEC-444A-9079-341386DA8E2E".to_string());
    let ns_bytes = hex::decode(ns.replace('-', "")).map_err(|_| fail("invalid UUID namespace"))?;
    let mut h = Sha1::new();
    h.update(&ns_bytes);
    h.update(py_str(value).as_bytes());
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    ))
}

/// `strftime(format, second=None, utc=False)` for the common `%Y %m %d %H %M %S %s` codes.
fn strftime(format: &Value, second: Option<Value>, utc: Option<bool>) -> Result<String, Error> {
    let _ = utc;
    let secs = match second {
        Some(s) if !s.is_none() => f64::try_from(s).unwrap_or(0.0) as i64,
        _ => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    };
    Ok(strftime_at(&py_str(format), secs))
}

/// Formats `secs` (already shifted to the wanted time zone) with `%Y %m %d %H %M %S %s %y %j %a
/// %b`-style codes.
pub(crate) fn strftime_at(fmt: &str, secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s) = civil_from_unix(secs);
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{y:04}")),
            Some('m') => out.push_str(&format!("{mo:02}")),
            Some('d') => out.push_str(&format!("{d:02}")),
            Some('H') => out.push_str(&format!("{h:02}")),
            Some('M') => out.push_str(&format!("{mi:02}")),
            Some('S') => out.push_str(&format!("{s:02}")),
            Some('s') => out.push_str(&secs.to_string()),
            Some('y') => out.push_str(&format!("{:02}", y % 100)),
            Some('a') => out.push_str(DAYS[secs.div_euclid(86_400).rem_euclid(7) as usize]),
            Some('b') => out.push_str(MONTHS[(mo as usize).saturating_sub(1) % 12]),
            Some('F') => out.push_str(&format!("{y:04}-{mo:02}-{d:02}")),
            Some('T') => out.push_str(&format!("{h:02}:{mi:02}:{s:02}")),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// (year, month, day, hour, minute, second) of a Unix timestamp, in UTC.
pub(crate) fn civil_from_unix(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        ((rem % 3600) / 60) as u32,
        (rem % 60) as u32,
    )
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
pub(crate) fn format_utc_datetime(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil_from_unix(secs);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// Separates trailing keyword arguments from positional ones.
pub(crate) fn split_kwargs<T: Clone + Into<Value>>(args: &[T]) -> (Vec<Value>, Option<Kwargs>) {
    let mut values: Vec<Value> = args.iter().cloned().map(Into::into).collect();
    match values.last() {
        Some(last) if last.is_kwargs() => {
            let kwargs = values.pop().and_then(|k| Kwargs::try_from(k).ok());
            (values, kwargs)
        }
        _ => (values, None),
    }
}

/// Positional argument `i` or keyword argument `name`, whichever is given (`None` counts as absent).
pub(crate) fn arg(args: &[Value], kwargs: &Option<Kwargs>, i: usize, name: &str) -> Option<Value> {
    args.get(i)
        .cloned()
        .or_else(|| {
            kwargs
                .as_ref()
                .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
        })
        .filter(|v| !v.is_none() && !v.is_undefined())
}

/// Python's `str()` of a value.
pub(crate) fn py_str(value: &Value) -> String {
    match value.kind() {
        ValueKind::String => value.as_str().unwrap_or_default().to_string(),
        _ => match crate::template::datetime::YamlTimestamp::of(value) {
            Some(ts) => ts.python_str(),
            None => py_repr(value),
        },
    }
}

/// Python's `repr()` of a value (`None`, `True`, `'s'`, `[1, 'a']`, `{'k': 1}`).
pub(crate) fn py_repr(value: &Value) -> String {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => "None".to_string(),
        ValueKind::Bool => if value.is_true() { "True" } else { "False" }.to_string(),
        ValueKind::Number => {
            if value.is_integer() {
                value.to_string()
            } else {
                let f = f64::try_from(value.clone()).unwrap_or(0.0);
                py_float(f)
            }
        }
        ValueKind::String => py_quote(value.as_str().unwrap_or_default()),
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<String> = match value.try_iter() {
                Ok(it) => it.map(|v| py_repr(&v)).collect(),
                Err(_) => Vec::new(),
            };
            format!("[{}]", items.join(", "))
        }
        ValueKind::Map => {
            let mut parts = Vec::new();
            if let Ok(it) = value.try_iter() {
                for k in it {
                    let v = value.get_item(&k).unwrap_or(Value::UNDEFINED);
                    parts.push(format!("{}: {}", py_repr(&k), py_repr(&v)));
                }
            }
            format!("{{{}}}", parts.join(", "))
        }
        _ => match crate::template::datetime::YamlTimestamp::of(value) {
            Some(ts) => ts.python_repr(),
            None => value.to_string(),
        },
    }
}

/// Python's `repr()` of a float.
pub(crate) fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if f == f.trunc() && f.abs() < 1e16 {
        return format!("{f:.1}");
    }
    let s = format!("{f}");
    if s.contains('e') || s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// Python's `repr()` of a string.
pub(crate) fn py_quote(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The state is unused by some filters; keep the signature uniform for future needs.
#[allow(dead_code)]
fn _state_marker(_: &State) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn rest(v: Vec<Value>) -> Rest<ValueOrKwargs> {
        Rest(v.into_iter().map(ValueOrKwargs::from).collect())
    }

    #[test]
    fn bool_follows_ansible() {
        assert!(to_bool(&Value::from("Yes")));
        assert!(to_bool(&Value::from("1")));
        assert!(to_bool(&Value::from(1)));
        assert!(!to_bool(&Value::from("y")));
        assert!(!to_bool(&Value::from(())));
    }

    #[test]
    fn int_parses_like_jinja() {
        let int = |v: Value| to_int(&v, Rest(Vec::new())).ok().and_then(|v| v.as_i64());
        assert_eq!(int(Value::from("42")), Some(42));
        assert_eq!(int(Value::from("3.9")), Some(3));
        assert_eq!(int(Value::from("abc")), Some(0));
        assert_eq!(int(Value::from("0x1F")), Some(0));
        let hex = to_int(
            &Value::from("0x1F"),
            rest(vec![Value::from(0), Value::from(16)]),
        );
        assert_eq!(hex.ok().and_then(|v| v.as_i64()), Some(31));
    }

    #[test]
    fn repr_matches_python() {
        let v = Value::from(vec![Value::from("it's"), Value::from(()), Value::from(1.0)]);
        assert_eq!(py_repr(&v), "[\"it's\", None, 1.0]");
    }

    #[test]
    fn indent_matches_jinja() {
        let out = indent(&Value::from("a\nb\n"), rest(vec![Value::from(2)])).ok();
        assert_eq!(out.as_deref(), Some("a\n  b\n"));
        let out = indent(
            &Value::from("a\n\nb"),
            rest(vec![Value::from(2), Value::from(true)]),
        )
        .ok();
        assert_eq!(out.as_deref(), Some("  a\n\n  b"));
    }

    #[test]
    fn uuid_matches_ansible() {
        // python: to_uuid('example.com') with Ansible's namespace
        let out = to_uuid(&Value::from("example.com"), None).ok();
        assert_eq!(out.as_deref().map(str::len), Some(36));
    }

    #[test]
    fn dates_convert() {
        assert_eq!(format_utc_datetime(0), "1970-01-01 00:00:00");
        assert_eq!(format_utc_datetime(1_700_000_000), "2023-11-14 22:13:20");
    }
}
