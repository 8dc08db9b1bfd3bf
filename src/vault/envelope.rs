//! The vault envelope: the `$ANSIBLE_VAULT;1.1;AES256` (or `1.2;AES256;<vault-id>`) header line
//! followed by the hexlified body wrapped at 80 columns. Parsing is as lenient as ansible-core's
//! (whitespace around header fields and lines is ignored); writing is byte-identical to it.

use super::error::FormatProblem;

/// The first bytes of every vault text.
pub const HEADER: &str = "$ANSIBLE_VAULT";
/// The only cipher ansible-core reads and writes.
pub const CIPHER_AES256: &str = "AES256";
/// The vault id of secrets without a label; envelopes for it are written as version 1.1.
pub const DEFAULT_VAULT_ID: &str = "default";
const LINE_WIDTH: usize = 80;

/// A parsed envelope: header fields and the body with line breaks removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub(crate) version: String,
    pub(crate) cipher: String,
    /// The vault id from a 1.2 header; `None` for 1.1 (which means the default id).
    pub(crate) vault_id: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// True when `data` is vault text: it starts with `$ANSIBLE_VAULT` (ansible-core's `is_encrypted`).
pub fn is_vault_text(data: &[u8]) -> bool {
    data.starts_with(HEADER.as_bytes())
}

/// True for inline `!vault` values and other text that may carry leading whitespace.
pub fn looks_like_vault_text(data: &[u8]) -> bool {
    is_vault_text(data.trim_ascii_start())
}

impl Envelope {
    /// Parses vault text. Leading whitespace (as left by an indented YAML block) is skipped.
    pub(crate) fn parse(text: &[u8]) -> Result<Envelope, FormatProblem> {
        let text = text.trim_ascii_start();
        if !is_vault_text(text) {
            return Err(FormatProblem::NotVault);
        }
        let mut lines = text.split(|b| *b == b'\n' || *b == b'\r');
        let header = lines.next().unwrap_or_default();
        let header = std::str::from_utf8(header).map_err(|_| FormatProblem::Envelope)?;
        let fields: Vec<&str> = header.trim().split(';').map(str::trim).collect();
        if fields.len() < 3 {
            return Err(FormatProblem::Envelope);
        }
        let vault_id = fields.get(3).map(|id| (*id).to_string());
        let mut body = Vec::with_capacity(text.len());
        for line in lines {
            body.extend_from_slice(line.trim_ascii());
        }
        Ok(Envelope {
            version: fields[1].to_string(),
            cipher: fields[2].to_string(),
            vault_id,
            body,
        })
    }

    /// The vault id this envelope names, `default` when its header has none.
    pub(crate) fn vault_id_or_default(&self) -> &str {
        self.vault_id.as_deref().unwrap_or(DEFAULT_VAULT_ID)
    }
}

/// Formats `body` into vault text: header line (version 1.2 with the id when `vault_id` is set
/// and not `default`, else 1.1), body lines of 80 characters, final newline.
pub(crate) fn format(body: &[u8], vault_id: Option<&str>) -> String {
    let vault_id = vault_id.filter(|id| !id.is_empty() && *id != DEFAULT_VAULT_ID);
    let mut out = String::with_capacity(body.len() + body.len() / LINE_WIDTH + 64);
    out.push_str(HEADER);
    match vault_id {
        Some(id) => {
            out.push_str(";1.2;");
            out.push_str(CIPHER_AES256);
            out.push(';');
            out.push_str(id);
        }
        None => {
            out.push_str(";1.1;");
            out.push_str(CIPHER_AES256);
        }
    }
    out.push('\n');
    for chunk in body.chunks(LINE_WIDTH) {
        // The body is hex text, hence ASCII.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_versions() {
        let body = vec![b'a'; 170];
        let v11 = format(&body, None);
        assert!(v11.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
        assert_eq!(format(&body, Some("default")), v11);
        let lines: Vec<&str> = v11.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1].len(), 80);
        assert_eq!(lines[3].len(), 10);
        assert!(v11.ends_with('\n'));
        let v12 = format(&body, Some("prod"));
        assert!(v12.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
    }

    #[test]
    fn parse_is_lenient_with_whitespace() {
        let text = "  $ANSIBLE_VAULT;1.2;AES256; prod \n  6162\n  6364  \n";
        let env = Envelope::parse(text.as_bytes()).expect("parses");
        assert_eq!(env.version, "1.2");
        assert_eq!(env.cipher, "AES256");
        assert_eq!(env.vault_id.as_deref(), Some("prod"));
        assert_eq!(env.body, b"61626364");
        let env = Envelope::parse(b"$ANSIBLE_VAULT;1.1;AES256\r\nabcd\r\n").expect("crlf");
        assert_eq!(env.vault_id_or_default(), "default");
        assert_eq!(env.body, b"abcd");
    }

    #[test]
    fn rejects_non_vault_and_short_headers() {
        assert_eq!(
            Envelope::parse(b"hello").err(),
            Some(FormatProblem::NotVault)
        );
        assert_eq!(
            Envelope::parse(b"$ANSIBLE_VAULT;1.1\nab").err(),
            Some(FormatProblem::Envelope)
        );
        assert!(is_vault_text(b"$ANSIBLE_VAULT;1.1;AES256"));
        assert!(!is_vault_text(b" $ANSIBLE_VAULT"));
        assert!(looks_like_vault_text(b"\n  $ANSIBLE_VAULT"));
    }
}
