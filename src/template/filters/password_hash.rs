//! The `password_hash(hashtype='sha512', salt=None, salt_size=None, rounds=None, ident=None)`
//! filter, giving what Ansible gets from passlib: sha512_crypt and sha256_crypt (`$6$`, `$5$`;
//! `rounds=N$` unless N is the implicit 5000; Ansible's default rounds 656000 and 535000),
//! md5_crypt (`$1$`) and bcrypt (`$2b$12$`), with passlib's checks of salts, rounds and
//! idents and its error messages. The digests come from the `sha-crypt`, `md5` and `bcrypt`
//! crates; this file does the crypt(3) text encoding around them.

use base64::Engine as _;
use minijinja::value::{Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::Error;

use super::core::{arg, py_str, split_kwargs};
use super::fail;
use crate::template::templar::python_type_name;

/// The alphabet of crypt(3) salts and digests (and, reordered, of bcrypt's).
const CRYPT_ALPHABET: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// One passlib algorithm as Ansible uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Sha512,
    Sha256,
    Md5,
    Bcrypt,
}

impl Scheme {
    /// Ansible's names (`sha512`) and passlib's (`sha512_crypt`).
    fn named(name: &str) -> Option<Scheme> {
        Some(match name {
            "sha512" | "sha512_crypt" => Scheme::Sha512,
            "sha256" | "sha256_crypt" => Scheme::Sha256,
            "md5" | "md5_crypt" => Scheme::Md5,
            "blowfish" | "bcrypt" => Scheme::Bcrypt,
            _ => return None,
        })
    }

    /// passlib's name, as its messages give it.
    fn passlib_name(self) -> &'static str {
        match self {
            Scheme::Sha512 => "sha512_crypt",
            Scheme::Sha256 => "sha256_crypt",
            Scheme::Md5 => "md5_crypt",
            Scheme::Bcrypt => "bcrypt",
        }
    }

    /// The salt's length when none is given, and the longest one allowed.
    fn salt_size(self) -> usize {
        match self {
            Scheme::Sha512 | Scheme::Sha256 => 16,
            Scheme::Md5 => 8,
            Scheme::Bcrypt => 22,
        }
    }

    /// Ansible's rounds when none are given (`None`: the scheme has no rounds), and the
    /// allowed range.
    fn rounds(self) -> Option<(i64, i64, i64)> {
        match self {
            Scheme::Sha512 => Some((656_000, 1000, 999_999_999)),
            Scheme::Sha256 => Some((535_000, 1000, 999_999_999)),
            Scheme::Md5 => None,
            Scheme::Bcrypt => Some((12, 4, 31)),
        }
    }
}

/// The filter: `The filter plugin 'ansible.builtin.password_hash' failed: ...` on errors.
pub(super) fn password_hash(v: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let get = |i: usize, name: &str| arg(&args, &kwargs, i, name);
    let settings = Settings {
        hashtype: get(0, "hashtype")
            .map(|v| py_str(&v))
            .unwrap_or_else(|| "sha512".to_string()),
        salt: get(1, "salt"),
        salt_size: get(2, "salt_size"),
        rounds: get(3, "rounds"),
        ident: get(4, "ident"),
    };
    hash_value(v, &settings).map_err(|e| {
        fail(format!(
            "The filter plugin 'ansible.builtin.password_hash' failed: {e}"
        ))
    })
}

/// The filter's arguments.
struct Settings {
    hashtype: String,
    salt: Option<Value>,
    salt_size: Option<Value>,
    rounds: Option<Value>,
    ident: Option<Value>,
}

/// Hashes `secret`, or says why not in Ansible's (and passlib's) words.
fn hash_value(secret: &Value, s: &Settings) -> Result<String, String> {
    let scheme = Scheme::named(&s.hashtype).ok_or_else(|| {
        format!(
            "{} is not in the list of supported passlib algorithms: md5, blowfish, sha256, sha512",
            s.hashtype
        )
    })?;
    let name = scheme.passlib_name();
    // Ansible: an empty salt, zero rounds or an empty ident count as not given.
    let salt = s
        .salt
        .as_ref()
        .filter(|v| v.is_true())
        .map(py_str)
        .map(|salt| {
            if scheme == Scheme::Bcrypt {
                repair_bcrypt_salt(&salt)
            } else {
                Ok(salt)
            }
        })
        .transpose()?;
    let rounds =
        match s.rounds.as_ref().filter(|v| v.is_true()) {
            None => scheme.rounds().map(|(default, _, _)| default),
            Some(v) => {
                if scheme.rounds().is_none() {
                    return Err(
                        "MinimalHandler.using() got an unexpected keyword argument 'rounds'".into(),
                    );
                }
                Some(as_int(v).ok_or_else(|| {
                    format!("invalid literal for int() with base 10: {}", py_str(v))
                })?)
            }
        };
    let ident = s
        .ident
        .as_ref()
        .filter(|v| v.is_true())
        .map(py_str)
        .filter(|_| scheme == Scheme::Bcrypt);
    let salt_size = match &s.salt_size {
        None => None,
        Some(v) if v.kind() == ValueKind::Number && v.is_integer() => {
            Some(v.as_i64().unwrap_or_default()).filter(|n| *n != 0)
        }
        Some(v) if v.kind() == ValueKind::Bool => Some(i64::from(v.is_true())).filter(|n| *n != 0),
        Some(_) => return Err("salt_size must be an integer".into()),
    };
    let password = match secret.as_str() {
        Some(p) => p.as_bytes().to_vec(),
        None => match secret.as_bytes() {
            Some(b) => b.to_vec(),
            None => {
                return Err(format!(
                    "secret must be unicode or bytes, not {}",
                    python_type_name(secret)
                ))
            }
        },
    };
    let could_not = |e: String| format!("Could not hash the secret: {e}");
    // passlib's order: ident, salt size, salt, rounds.
    let ident = match ident.as_deref() {
        None => "2b",
        Some(i @ ("2" | "2a" | "2y" | "2b")) => i,
        Some(other) => return Err(could_not(format!("invalid ident: '{other}'"))),
    };
    let salt_size = check_salt_size(scheme, salt_size).map_err(could_not)?;
    let salt = match salt {
        Some(salt) => check_salt(scheme, &salt).map_err(could_not)?,
        None => random_salt(scheme, salt_size).map_err(could_not)?,
    };
    if let (Some(r), Some((_, min, max))) = (rounds, scheme.rounds()) {
        if r < min {
            return Err(could_not(format!(
                "{name}: min_desired_rounds ({r}) is too low, must be at least {min}"
            )));
        }
        if r > max {
            return Err(could_not(format!(
                "{name}: min_desired_rounds ({r}) is too large, cannot be more than {max}"
            )));
        }
    }
    let rounds = rounds.unwrap_or_default() as u32;
    Ok(match scheme {
        Scheme::Sha512 | Scheme::Sha256 => sha_crypt(scheme, &password, &salt, rounds)?,
        Scheme::Md5 => format!("$1${salt}${}", md5_crypt(&password, salt.as_bytes())),
        Scheme::Bcrypt => bcrypt_hash(&password, &salt, rounds, ident)?,
    })
}

/// An int, or text of one (passlib takes `rounds='5000'`).
fn as_int(v: &Value) -> Option<i64> {
    match v.kind() {
        ValueKind::Number if v.is_integer() => v.as_i64(),
        ValueKind::Bool => Some(i64::from(v.is_true())),
        ValueKind::String => v.as_str()?.trim().parse().ok(),
        _ => None,
    }
}

/// passlib's checks of a given salt: its characters, then its length.
fn check_salt(scheme: Scheme, salt: &str) -> Result<String, String> {
    let name = scheme.passlib_name();
    if !salt.bytes().all(|b| CRYPT_ALPHABET.contains(&b)) {
        return Err(format!("invalid characters in {name} salt"));
    }
    let max = scheme.salt_size();
    let len = salt.chars().count();
    if scheme == Scheme::Bcrypt && len < max {
        return Err(format!(
            "salt too small ({name} requires exactly {max} chars)"
        ));
    }
    if len > max {
        let how = if scheme == Scheme::Bcrypt {
            "exactly"
        } else {
            "<="
        };
        return Err(format!(
            "salt too large ({name} requires {how} {max} chars)"
        ));
    }
    Ok(salt.to_string())
}

/// passlib's check of `salt_size` (made even when a salt is given): the size to use.
fn check_salt_size(scheme: Scheme, size: Option<i64>) -> Result<usize, String> {
    let name = scheme.passlib_name();
    let max = scheme.salt_size();
    Ok(match size {
        None => max,
        Some(n) if n < 0 => return Err(format!("{name}: salt_size ({n}) below min_salt_size (0)")),
        Some(n) if scheme == Scheme::Bcrypt && n as usize != max => {
            return Err(format!("{name}: salt_size ({n}) must be exactly {max}"))
        }
        Some(n) if n as usize > max => {
            return Err(format!(
                "{name}: salt_size ({n}) above max_salt_size ({max})"
            ))
        }
        Some(n) => n as usize,
    })
}

/// A random salt of `size` characters.
fn random_salt(scheme: Scheme, size: usize) -> Result<String, String> {
    if scheme == Scheme::Bcrypt {
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw).map_err(|e| format!("no random salt: {e}"))?;
        return Ok(bcrypt_base64().encode(raw));
    }
    let mut raw = vec![0u8; size];
    getrandom::fill(&mut raw).map_err(|e| format!("no random salt: {e}"))?;
    Ok(raw
        .iter()
        .map(|b| CRYPT_ALPHABET[usize::from(b & 0x3f)] as char)
        .collect())
}

/// sha512_crypt or sha256_crypt, as passlib writes them.
fn sha_crypt(scheme: Scheme, password: &[u8], salt: &str, rounds: u32) -> Result<String, String> {
    let params = sha_crypt::Params::new(rounds).map_err(|e| format!("{e}"))?;
    let (ident, encoded) = if scheme == Scheme::Sha512 {
        let raw = sha_crypt::sha512_crypt(password, salt.as_bytes(), params);
        ("6", crypt_b64(&raw, &SHA512_ORDER))
    } else {
        let raw = sha_crypt::sha256_crypt(password, salt.as_bytes(), params);
        ("5", crypt_b64(&raw, &SHA256_ORDER))
    };
    Ok(if rounds == 5000 {
        format!("${ident}${salt}${encoded}")
    } else {
        format!("${ident}$rounds={rounds}${salt}${encoded}")
    })
}

/// The digest part of md5_crypt (`$1$salt$digest`), the FreeBSD algorithm of 1000 MD5 rounds.
fn md5_crypt(password: &[u8], salt: &[u8]) -> String {
    const MAGIC: &[u8] = b"$1$";
    let alternate = md5::compute([password, salt, password].concat()).0;
    let mut ctx = [password, MAGIC, salt].concat();
    let mut left = password.len();
    while left > 0 {
        let n = left.min(16);
        ctx.extend_from_slice(&alternate[..n]);
        left -= n;
    }
    let mut i = password.len();
    while i > 0 {
        ctx.push(if i & 1 == 1 {
            0
        } else {
            password.first().copied().unwrap_or(0)
        });
        i >>= 1;
    }
    let mut digest = md5::compute(&ctx).0;
    for round in 0..1000 {
        let mut c = Vec::with_capacity(64);
        if round & 1 == 1 {
            c.extend_from_slice(password);
        } else {
            c.extend_from_slice(&digest);
        }
        if round % 3 != 0 {
            c.extend_from_slice(salt);
        }
        if round % 7 != 0 {
            c.extend_from_slice(password);
        }
        if round & 1 == 1 {
            c.extend_from_slice(&digest);
        } else {
            c.extend_from_slice(password);
        }
        digest = md5::compute(&c).0;
    }
    crypt_b64(&digest, &MD5_ORDER)
}

/// bcrypt's base64 (its own alphabet, no padding), reading salts whose last character has
/// unused bits set.
fn bcrypt_base64() -> base64::engine::GeneralPurpose {
    base64::engine::GeneralPurpose::new(
        &base64::alphabet::BCRYPT,
        base64::engine::general_purpose::NO_PAD.with_decode_allow_trailing_bits(true),
    )
}

/// passlib's `bcrypt64.repair_unused`, as Ansible applies it to a given salt: the unused bits
/// of the last character are cleared (`...2` becomes `...u`).
fn repair_bcrypt_salt(salt: &str) -> Result<String, String> {
    if salt.len() % 4 == 1 {
        return Err("source length must != 1 mod 4".into());
    }
    if !salt.bytes().all(|b| CRYPT_ALPHABET.contains(&b)) {
        // Left for the salt check to report.
        return Ok(salt.to_string());
    }
    let engine = bcrypt_base64();
    match engine.decode(salt) {
        Ok(raw) => Ok(engine.encode(raw)),
        Err(_) => Ok(salt.to_string()),
    }
}

/// bcrypt: `$<ident>$<cost>$<salt><digest>`.
fn bcrypt_hash(password: &[u8], salt: &str, cost: u32, ident: &str) -> Result<String, String> {
    let engine = bcrypt_base64();
    let raw_salt: [u8; 16] = engine
        .decode(salt)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| "invalid characters in bcrypt salt".to_string())?;
    // The key is the password and its terminating NUL (none for the original `$2$`), at most
    // 72 bytes.
    let mut key = password.to_vec();
    if ident != "2" {
        key.push(0);
    }
    key.truncate(72);
    if key.is_empty() {
        key.push(0);
    }
    let digest = bcrypt::bcrypt(cost, raw_salt, &key);
    Ok(format!(
        "${ident}${cost:02}${}{}",
        engine.encode(raw_salt),
        engine.encode(&digest[..23])
    ))
}

/// Byte groups of sha512-crypt's output encoding (three bytes per group, then the last one).
const SHA512_ORDER: [usize; 64] = [
    0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7, 50, 8,
    29, 9, 30, 51, 31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57, 37, 58,
    16, 59, 17, 38, 18, 39, 60, 40, 61, 19, 62, 20, 41, 63,
];
const SHA256_ORDER: [usize; 32] = [
    0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26, 27, 7, 17, 18, 28,
    8, 9, 19, 29, 31, 30,
];
const MD5_ORDER: [usize; 16] = [0, 6, 12, 1, 7, 13, 2, 8, 14, 3, 9, 15, 4, 10, 5, 11];

/// The crypt(3) base64 encoding of a digest, bytes taken in `order` three at a time.
fn crypt_b64(raw: &[u8], order: &[usize]) -> String {
    let mut out = String::new();
    let mut push = |w: u32, n: usize| {
        let mut w = w;
        for _ in 0..n {
            out.push(CRYPT_ALPHABET[(w & 0x3f) as usize] as char);
            w >>= 6;
        }
    };
    let chunks = order.len() / 3;
    for c in 0..chunks {
        let b = &order[c * 3..c * 3 + 3];
        let w = (u32::from(raw[b[0]]) << 16) | (u32::from(raw[b[1]]) << 8) | u32::from(raw[b[2]]);
        push(w, 4);
    }
    match order.len() % 3 {
        1 => push(u32::from(raw[order[order.len() - 1]]), 2),
        2 => {
            let a = order[order.len() - 2];
            let b = order[order.len() - 1];
            push((u32::from(raw[a]) << 8) | u32::from(raw[b]), 3)
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(secret: &str, hashtype: &str, salt: &str, rounds: Option<i64>) -> String {
        let s = Settings {
            hashtype: hashtype.into(),
            salt: Some(Value::from(salt)),
            salt_size: None,
            rounds: rounds.map(Value::from),
            ident: None,
        };
        hash_value(&Value::from(secret), &s).unwrap()
    }

    // Expected values are passlib 1.7.4's through ansible-core 2.19's password_hash.
    #[test]
    fn sha_crypt_matches_passlib() {
        assert_eq!(
            hash("pw", "sha512", "saltsalt", None),
            "$6$rounds=656000$saltsalt$JEklmo18QDRJICgly.JaHaLrPMO2enY/zqc7n8wa/M1Pm/3o//x2DcpQ/Y2KkrrP./b2XHUSe09sxTJiD5VWx1"
        );
        assert_eq!(
            hash("pw", "sha512", "saltsalt", Some(5000)),
            "$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D.PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/"
        );
        assert_eq!(
            hash("pw", "sha256_crypt", "saltsalt", Some(10000)),
            "$5$rounds=10000$saltsalt$bZJBYxXPnBK5OA.8VtShtY3lRJpq4vc/Xno9mP/JuuB"
        );
    }

    #[test]
    fn md5_crypt_matches_passlib() {
        assert_eq!(
            hash("pw", "md5", "saltsalt", None),
            "$1$saltsalt$6SNdNaZLKst2LlSm7oPPL1"
        );
        assert_eq!(
            hash("pw\u{e9}", "md5", "saltsalt", None),
            "$1$saltsalt$101Qk/6N.6NTYxcnkg9zV0"
        );
    }

    #[test]
    fn bcrypt_matches_passlib() {
        assert_eq!(
            hash("pw", "blowfish", "1234567890123456789012", None),
            "$2b$12$123456789012345678901ur8.t6rMyOWgNT79nPonFt8j1PTEo93G"
        );
        assert_eq!(
            hash("pw", "bcrypt", "abcdefghijklmnopqrstuv", Some(4)),
            "$2b$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW"
        );
    }

    #[test]
    fn checks_like_passlib() {
        let err = |hashtype: &str, salt: &str, rounds: Option<i64>| {
            let s = Settings {
                hashtype: hashtype.into(),
                salt: Some(Value::from(salt)),
                salt_size: None,
                rounds: rounds.map(Value::from),
                ident: None,
            };
            hash_value(&Value::from("pw"), &s).unwrap_err()
        };
        assert_eq!(
            err("sha512", "averyveryverylongsalt", None),
            "Could not hash the secret: salt too large (sha512_crypt requires <= 16 chars)"
        );
        assert_eq!(
            err("sha512", "bad$salt", None),
            "Could not hash the secret: invalid characters in sha512_crypt salt"
        );
        assert_eq!(
            err("sha512", "saltsalt", Some(999)),
            "Could not hash the secret: sha512_crypt: min_desired_rounds (999) is too low, must \
             be at least 1000"
        );
        assert_eq!(
            err("blowfish", "12345678901234567890", None),
            "Could not hash the secret: salt too small (bcrypt requires exactly 22 chars)"
        );
        assert_eq!(
            err("des", "x", None),
            "des is not in the list of supported passlib algorithms: md5, blowfish, sha256, sha512"
        );
    }
}
