//! `Secret`: a string that must never be shown. Vault plaintext, vault passwords, become and SSH
//! passwords travel in it; its `Debug` and `Display` print `********`, and its memory is zeroed on drop.

use std::fmt;

use zeroize::Zeroizing;

/// What a [`Secret`] prints in place of its value.
pub const MASK: &str = "********";

/// A secret string. Read it only through [`Secret::expose`], at the point where it is really needed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps `value`; from here on it is masked in every formatted output.
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }

    /// The plaintext. Keep the borrow short and never format it into messages or logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_masks_the_value() {
        let s = Secret::new("hunter2".to_string());
        assert_eq!(format!("{s}"), MASK);
        assert_eq!(format!("{s:?}"), MASK);
        assert_eq!(format!("{:?}", Some(s.clone())), format!("Some({MASK})"));
        assert_eq!(s.expose(), "hunter2");
    }
}
