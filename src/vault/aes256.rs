//! The `AES256` vault cipher, byte for byte as ansible-core's `VaultAES256`: PBKDF2-HMAC-SHA256
//! (10000 rounds, 80 bytes: AES key, HMAC key, initial counter), PKCS7 padding, AES-256-CTR,
//! HMAC-SHA256 over the ciphertext, and the doubly hexlified `salt\nhmac\nciphertext` body.
//! All primitives come from RustCrypto crates; nothing here is hand-written crypto.

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::error::FormatProblem;

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;
type HmacSha256 = hmac::Hmac<Sha256>;

/// PBKDF2 rounds ansible-vault uses.
const PBKDF2_ROUNDS: u32 = 10_000;
const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;
const BLOCK_LEN: usize = 16;
/// Length of a freshly generated salt, as ansible-vault makes it.
pub(crate) const SALT_LEN: usize = 32;

/// The three values PBKDF2 derives from a password and a salt.
struct DerivedKeys(Zeroizing<[u8; 2 * KEY_LEN + IV_LEN]>);

impl DerivedKeys {
    fn derive(password: &[u8], salt: &[u8]) -> Self {
        let mut out = Zeroizing::new([0u8; 2 * KEY_LEN + IV_LEN]);
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, PBKDF2_ROUNDS, out.as_mut());
        DerivedKeys(out)
    }
    fn cipher_key(&self) -> &[u8] {
        &self.0[..KEY_LEN]
    }
    fn hmac_key(&self) -> &[u8] {
        &self.0[KEY_LEN..2 * KEY_LEN]
    }
    fn counter(&self) -> &[u8] {
        &self.0[2 * KEY_LEN..]
    }
    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        <HmacSha256 as KeyInit>::new_from_slice(self.hmac_key())
            .expect("HMAC-SHA256 takes a key of any length")
    }
    fn keystream(&self) -> Aes256Ctr {
        Aes256Ctr::new_from_slices(self.cipher_key(), self.counter())
            .expect("key and counter slices have the fixed AES-256/CTR lengths")
    }
}

/// Encrypts `plaintext` with `password` and `salt`; returns the hexlified vault body (before the
/// envelope's header and line wrapping).
pub(crate) fn encrypt(plaintext: &[u8], password: &[u8], salt: &[u8]) -> Vec<u8> {
    let keys = DerivedKeys::derive(password, salt);
    let pad = BLOCK_LEN - plaintext.len() % BLOCK_LEN;
    let mut data = Vec::with_capacity(plaintext.len() + pad);
    data.extend_from_slice(plaintext);
    data.resize(plaintext.len() + pad, pad as u8);
    keys.keystream().apply_keystream(&mut data);
    let mut mac = keys.mac();
    mac.update(&data);
    let tag = mac.finalize().into_bytes();

    let inner = [hex::encode(salt), hex::encode(tag), hex::encode(&data)].join("\n");
    hex::encode(inner).into_bytes()
}

/// The parts of a vault body after the outer hex layer is removed.
pub(crate) struct Body {
    salt: Vec<u8>,
    /// The HMAC as hex text, exactly as stored.
    hmac_hex: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl Body {
    /// Parses the hexlified body (header and newlines already removed).
    pub(crate) fn parse(hexlified: &[u8]) -> Result<Body, FormatProblem> {
        let inner = hex::decode(hexlified).map_err(|_| FormatProblem::Unhexlify)?;
        let mut parts = inner.splitn(3, |b| *b == b'\n');
        let (Some(salt), Some(hmac_hex), Some(ciphertext)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(FormatProblem::Vaulttext);
        };
        Ok(Body {
            salt: hex::decode(salt).map_err(|_| FormatProblem::Unhexlify)?,
            hmac_hex: hmac_hex.to_vec(),
            ciphertext: hex::decode(ciphertext).map_err(|_| FormatProblem::Unhexlify)?,
        })
    }

    /// Decrypts with `password`; `None` when the password is wrong (the HMAC does not match,
    /// checked in constant time) or the padding is damaged.
    pub(crate) fn decrypt(
        &self,
        password: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, FormatProblem> {
        let tag = hex::decode(&self.hmac_hex).map_err(|_| FormatProblem::Unhexlify)?;
        let keys = DerivedKeys::derive(password, &self.salt);
        let mut mac = keys.mac();
        mac.update(&self.ciphertext);
        if mac.verify_slice(&tag).is_err() {
            return Ok(None);
        }
        let mut data = Zeroizing::new(self.ciphertext.clone());
        keys.keystream().apply_keystream(&mut data);
        let Some(&pad) = data.last() else {
            return Ok(None);
        };
        let pad = usize::from(pad);
        if pad == 0
            || pad > BLOCK_LEN
            || pad > data.len()
            || data[data.len() - pad..]
                .iter()
                .any(|b| usize::from(*b) != pad)
        {
            return Ok(None);
        }
        let len = data.len() - pad;
        data.truncate(len);
        Ok(Some(data))
    }
}

/// A fresh random salt.
pub(crate) fn random_salt() -> Result<[u8; SALT_LEN], getrandom::Error> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt)?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_password() {
        let salt = [7u8; SALT_LEN];
        for plain in [
            &b""[..],
            b"x",
            b"0123456789abcdef",
            b"a longer secret value\nwith lines\n",
        ] {
            let body = encrypt(plain, b"pw", &salt);
            let parsed = Body::parse(&body).expect("own output parses");
            let back = parsed
                .decrypt(b"pw")
                .expect("well-formed")
                .expect("right password");
            assert_eq!(&back[..], plain);
            assert!(parsed.decrypt(b"other").expect("well-formed").is_none());
        }
    }

    #[test]
    fn damaged_bodies_are_format_errors() {
        assert_eq!(Body::parse(b"zz").err(), Some(FormatProblem::Unhexlify));
        assert_eq!(
            Body::parse(hex::encode("abcd").as_bytes()).err(),
            Some(FormatProblem::Vaulttext)
        );
    }
}
