//! YAML 1.1 implicit typing of plain scalars, as PyYAML's resolver and `SafeConstructor` do it
//! (Ansible loads YAML with PyYAML, so `yes` is a boolean, `0644` is octal 420, `1e3` stays a
//! string and `12:30` is the base-60 integer 750).
//!
//! Only *plain* (unquoted, untagged) scalars are typed here; quoted and block scalars are always
//! strings. Timestamps (`2001-12-14`, `2001-12-14 21:59:43`) become dates and datetimes.

use super::timestamp::Timestamp;

/// What a plain scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
    /// `<<`: a merge key (only meaningful as a mapping key).
    Merge,
    /// `=`: PyYAML's `value` tag, which has no constructor (an error in Ansible).
    ValueTag,
    /// Matched an integer pattern but does not fit in 64 bits (PyYAML has big integers);
    /// carried as a float, the closest rplay can come.
    BigInt(f64),
    /// A date or datetime (YAML 1.1 timestamp).
    Timestamp(Timestamp),
}

/// Resolves a plain scalar by PyYAML's YAML 1.1 implicit resolvers, tried in PyYAML's order
/// (bool, float, int, merge, null, timestamp, value).
pub(crate) fn resolve_plain(text: &str) -> Resolved {
    if is_bool_true(text) {
        return Resolved::Bool(true);
    }
    if is_bool_false(text) {
        return Resolved::Bool(false);
    }
    if is_float(text) {
        if let Some(value) = construct_float(text) {
            return Resolved::Float(value);
        }
    }
    if is_int(text) {
        return construct_int(text);
    }
    match text {
        "<<" => Resolved::Merge,
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        "=" => Resolved::ValueTag,
        _ => match Timestamp::parse(text) {
            Some(ts) => Resolved::Timestamp(ts),
            None => Resolved::Str,
        },
    }
}

fn is_bool_true(text: &str) -> bool {
    matches!(
        text,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON"
    )
}

fn is_bool_false(text: &str) -> bool {
    matches!(
        text,
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF"
    )
}

/// Splits an optional leading `+`/`-`; returns (negative, rest).
fn split_sign(text: &str) -> (bool, &str) {
    if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = text.strip_prefix('+') {
        (false, rest)
    } else {
        (false, text)
    }
}

fn all(text: &str, pred: impl Fn(char) -> bool) -> bool {
    text.chars().all(pred)
}

fn is_digit_or_underscore(c: char) -> bool {
    c.is_ascii_digit() || c == '_'
}

/// `[0-9][0-9_]*`
fn is_decimal_run(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_digit()) && all(text, is_digit_or_underscore)
}

/// `(?:[eE][-+][0-9]+)?` at the end of a float; returns the mantissa part before it.
fn strip_exponent(text: &str) -> Option<&str> {
    match text.find(['e', 'E']) {
        None => Some(text),
        Some(at) => {
            let exponent = &text[at + 1..];
            let digits = exponent
                .strip_prefix('-')
                .or_else(|| exponent.strip_prefix('+'))?;
            if !digits.is_empty() && all(digits, |c| c.is_ascii_digit()) {
                Some(&text[..at])
            } else {
                None
            }
        }
    }
}

/// `(?::[0-5]?[0-9])+` after the first part: every later part is one or two digits, the first
/// of two being 0-5.
fn are_sexagesimal_parts<'a>(mut parts: impl Iterator<Item = &'a str>) -> bool {
    let mut any = false;
    for part in parts.by_ref() {
        any = true;
        let ok = match part.as_bytes() {
            [d] => d.is_ascii_digit(),
            [a, b] => (b'0'..=b'5').contains(a) && b.is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    any
}

/// PyYAML's float pattern.
fn is_float(text: &str) -> bool {
    // `\.(?:nan|NaN|NAN)` (no sign) and `[-+]?\.(?:inf|Inf|INF)`.
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (_, unsigned) = split_sign(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    // `\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?` (no sign allowed).
    if let Some(fraction) = text.strip_prefix('.') {
        return strip_exponent(fraction).is_some_and(is_decimal_run);
    }
    // `[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*`
    if unsigned.contains(':') {
        let Some((whole, fraction)) = unsigned.rsplit_once('.') else {
            return false;
        };
        if !all(fraction, is_digit_or_underscore) {
            return false;
        }
        let mut parts = whole.split(':');
        let first = parts.next().unwrap_or("");
        return is_decimal_run(first) && are_sexagesimal_parts(parts);
    }
    // `[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?`
    let Some(mantissa) = strip_exponent(unsigned) else {
        return false;
    };
    let Some((whole, fraction)) = mantissa.split_once('.') else {
        return false;
    };
    is_decimal_run(whole) && all(fraction, is_digit_or_underscore)
}

/// PyYAML's `construct_yaml_float`: drop `_`, sign, `.inf`/`.nan`, base 60, else decimal.
fn construct_float(text: &str) -> Option<f64> {
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    let (negative, unsigned) = split_sign(&lower);
    let sign = if negative { -1.0 } else { 1.0 };
    let magnitude = match unsigned {
        ".inf" => f64::INFINITY,
        ".nan" => f64::NAN,
        _ if unsigned.contains(':') => {
            let mut total = 0.0;
            for part in unsigned.split(':') {
                total = total * 60.0 + part.parse::<f64>().ok()?;
            }
            total
        }
        _ => unsigned.parse::<f64>().ok()?,
    };
    Some(sign * magnitude)
}

/// PyYAML's int pattern.
fn is_int(text: &str) -> bool {
    let (_, unsigned) = split_sign(text);
    if let Some(bits) = unsigned.strip_prefix("0b") {
        return !bits.is_empty() && all(bits, |c| c == '0' || c == '1' || c == '_');
    }
    if let Some(hex) = unsigned.strip_prefix("0x") {
        return !hex.is_empty() && all(hex, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if let Some(octal) = unsigned.strip_prefix('0') {
        // `0` alone, or `0[0-7_]+`.
        return all(octal, |c| ('0'..='7').contains(&c) || c == '_');
    }
    if unsigned.contains(':') {
        let mut parts = unsigned.split(':');
        let first = parts.next().unwrap_or("");
        return first.starts_with(|c: char| ('1'..='9').contains(&c))
            && is_decimal_run(first)
            && are_sexagesimal_parts(parts);
    }
    unsigned.starts_with(|c: char| ('1'..='9').contains(&c))
        && all(unsigned, is_digit_or_underscore)
}

/// PyYAML's `construct_yaml_int` on text already matched by [`is_int`].
fn construct_int(text: &str) -> Resolved {
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let (negative, unsigned) = split_sign(&cleaned);
    let magnitude: Option<i128> = if unsigned == "0" {
        Some(0)
    } else if let Some(bits) = unsigned.strip_prefix("0b") {
        i128::from_str_radix(bits, 2).ok()
    } else if let Some(hex) = unsigned.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()
    } else if unsigned.starts_with('0') {
        i128::from_str_radix(unsigned, 8).ok()
    } else if unsigned.contains(':') {
        let mut total: Option<i128> = Some(0);
        for part in unsigned.split(':') {
            total = total.and_then(|t| {
                let digit = part.parse::<i128>().ok()?;
                t.checked_mul(60)?.checked_add(digit)
            });
        }
        total
    } else {
        unsigned.parse::<i128>().ok()
    };
    match magnitude {
        // `0b_` and `0x_` match PyYAML's pattern but have no digits: PyYAML fails on them too;
        // keeping the text is the kinder reading.
        None if !unsigned.chars().any(|c| c.is_ascii_digit() && c != '0')
            && (unsigned.starts_with("0b") || unsigned.starts_with("0x")) =>
        {
            Resolved::Str
        }
        None => Resolved::BigInt(construct_float(&cleaned).unwrap_or(f64::NAN)),
        Some(m) => {
            let value = if negative { -m } else { m };
            match i64::try_from(value) {
                Ok(v) => Resolved::Int(v),
                Err(_) => Resolved::BigInt(value as f64),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values checked with PyYAML 6.0.3 through Ansible 2.19's loader:
    /// `/tmp/ansvenv/bin/python -c 'import yaml; from ansible.parsing.yaml.loader import
    /// AnsibleLoader; print(repr(yaml.load("v: " + TEXT, Loader=AnsibleLoader)["v"]))'`.
    #[test]
    fn booleans_follow_yaml_1_1_exact_spellings() {
        for t in [
            "yes", "Yes", "YES", "on", "ON", "On", "true", "True", "TRUE",
        ] {
            assert_eq!(resolve_plain(t), Resolved::Bool(true), "{t}");
        }
        for t in [
            "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        ] {
            assert_eq!(resolve_plain(t), Resolved::Bool(false), "{t}");
        }
        for t in ["y", "Y", "n", "N", "yEs", "oN", "tRue"] {
            assert_eq!(resolve_plain(t), Resolved::Str, "{t}");
        }
    }

    #[test]
    fn nulls() {
        for t in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(resolve_plain(t), Resolved::Null, "{t:?}");
        }
        assert_eq!(resolve_plain("nUll"), Resolved::Str);
    }

    #[test]
    fn integers_match_pyyaml() {
        let cases = [
            ("010", 8),
            ("0644", 420),
            ("0x1F", 31),
            ("0x_1f", 31),
            ("-0x1F", -31),
            ("+12", 12),
            ("1_000", 1000),
            ("0b101", 5),
            ("-0b11", -3),
            ("12:30", 750),
            ("1:20:30", 4830),
            ("190:20:30", 685_230),
            ("1:5", 65),
            ("0", 0),
            ("-0", 0),
            ("00", 0),
            ("0_", 0),
            ("+0", 0),
            ("1__2", 12),
        ];
        for (t, v) in cases {
            assert_eq!(resolve_plain(t), Resolved::Int(v), "{t}");
        }
    }

    #[test]
    fn strings_that_look_numeric() {
        for t in [
            "08", "0o17", "1e3", "1.0e3", "-.5", "1.2.3", "0x", "0b", "._5", "+", "1:60",
        ] {
            assert_eq!(resolve_plain(t), Resolved::Str, "{t}");
        }
    }

    #[test]
    fn floats_match_pyyaml() {
        let cases = [
            ("1.0e+3", 1000.0),
            ("1.5E-2", 0.015),
            ("3.", 3.0),
            ("-3.", -3.0),
            (".5", 0.5),
            ("1_0.5", 10.5),
            ("12:30.5", 750.5),
            ("0.1", 0.1),
            (".5e+3", 500.0),
            ("0.", 0.0),
        ];
        for (t, v) in cases {
            assert_eq!(resolve_plain(t), Resolved::Float(v), "{t}");
        }
        assert_eq!(resolve_plain(".inf"), Resolved::Float(f64::INFINITY));
        assert_eq!(resolve_plain("-.Inf"), Resolved::Float(f64::NEG_INFINITY));
        assert_eq!(resolve_plain("+.INF"), Resolved::Float(f64::INFINITY));
        for t in [".nan", ".NaN", ".NAN"] {
            assert!(
                matches!(resolve_plain(t), Resolved::Float(f) if f.is_nan()),
                "{t}"
            );
        }
    }

    #[test]
    fn timestamps_and_special_keys() {
        assert!(matches!(
            resolve_plain("2001-12-14"),
            Resolved::Timestamp(Timestamp { time: None, .. })
        ));
        assert!(matches!(
            resolve_plain("2001-12-14 10:00:00"),
            Resolved::Timestamp(Timestamp { time: Some(_), .. })
        ));
        assert_eq!(resolve_plain("2001-1-14"), Resolved::Str);
        assert_eq!(resolve_plain("<<"), Resolved::Merge);
        assert_eq!(resolve_plain("="), Resolved::ValueTag);
    }

    #[test]
    fn huge_integers_do_not_fail() {
        assert!(matches!(
            resolve_plain("123456789012345678901234567890"),
            Resolved::BigInt(_)
        ));
    }
}
