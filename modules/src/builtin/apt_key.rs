//! `apt_key`: trusted APT signing keys. Instead of the deprecated shared `trusted.gpg` keyring,
//! rplay keeps each key in its own file (the `keyring` given, else
//! `/etc/apt/trusted.gpg.d/rplay-<id>.asc|.gpg`), which apt reads directly and which needs no gpg on
//! the host. One probe fetches the key (`data`, `file`, or `url` through curl/wget on the host)
//! and reads the current file; idempotence compares the bytes. Removal by `id` alone falls back to
//! `apt-key del`.

use async_trait::async_trait;
use base64::Engine;
use sha1::{Digest, Sha1};

use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{
    Args, Change, Command, Content, Context, FileAttrs, Module, ModuleError, Outcome, Plan, Value,
};

/// The `apt_key` module.
pub struct AptKeyModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "apt_key",
    fqcn: &["ansible.builtin.apt_key", "ansible.legacy.apt_key"],
    synopsis: "Add or remove an apt key.",
    description: "Installs a repository signing key (from `data`, a host `file` or a `url`) as its own \
        keyring file, or removes it.",
    args: &[
        ArgSpec::new("id", ArgKind::Str, "Key id (used for the file name and for removal)."),
        ArgSpec::new("data", ArgKind::Str, "The key itself (ASCII-armored)."),
        ArgSpec::new("file", ArgKind::Path, "A key file on the host."),
        ArgSpec::new("keyring", ArgKind::Path, "Keyring file to write (e.g. /etc/apt/keyrings/x.asc)."),
        ArgSpec::new("url", ArgKind::Str, "URL to download the key from (on the host)."),
        ArgSpec::new("keyserver", ArgKind::Str, "Not supported (needs gpg)."),
        ArgSpec::new("state", ArgKind::Str, "present or absent.").default("\"present\"").choices(&["absent", "present"]),
        ArgSpec::new("validate_certs", ArgKind::Bool, "Verify TLS certificates of `url`.").default("true"),
    ],
    free_form: None,
    mutually_exclusive: &[&["data", "file", "keyserver", "url"]],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "key_id", returned: "success", doc: "The key id given (or derived)." },
        ReturnSpec { name: "fp", returned: "success", doc: "Same as key_id." },
    ],
    examples: "- ansible.builtin.apt_key:\n    url: https://download.docker.com/linux/debian/gpg\n    keyring: /etc/apt/keyrings/docker.asc\n",
};

fn key_file(args: &Args, content: &[u8]) -> String {
    if let Some(k) = args.str("keyring") {
        return k.to_string();
    }
    let armored = content.starts_with(b"-----BEGIN PGP");
    let id = args
        .str("id")
        .map(|i| i.trim_start_matches("0x").to_string())
        .unwrap_or_else(|| {
            let mut h = Sha1::new();
            h.update(content);
            hex::encode(h.finalize())[..16].to_string()
        });
    format!(
        "/etc/apt/trusted.gpg.d/rplay-{id}.{}",
        if armored { "asc" } else { "gpg" }
    )
}

#[async_trait]
impl Module for AptKeyModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        if args.str("keyserver").is_some() {
            return Err(ModuleError::Args("keyserver is not supported by rplay's apt_key (it needs gpg on the host); use url or data".into()));
        }
        let present = args.str("state") != Some("absent");
        let mut p = ProbeScript::new();
        let k = if args.bool("validate_certs") { "" } else { "k" };
        if let Some(url) = args.str("url") {
            p.section(
                "key",
                &format!(
                    "u={}; if command -v curl >/dev/null 2>&1; then curl -fsSL{k} \"$u\" | base64 -w0; elif command -v wget >/dev/null 2>&1; then wget -qO- \"$u\" | base64 -w0; else echo 'neither curl nor wget' >&2; exit 127; fi",
                    quote(url)
                ),
            );
        } else if let Some(f) = args.str("file") {
            p.section("key", &format!("base64 -w0 < {}", quote(f)));
        }
        if let Some(kr) = args.str("keyring") {
            p.section(
                "current",
                &format!("[ -f {f} ] && base64 -w0 < {f}; :", f = quote(kr)),
            );
        } else {
            p.section("current", "for f in /etc/apt/trusted.gpg.d/rplay-*; do [ -f \"$f\" ] && printf '%s ' \"$f\" && base64 -w0 < \"$f\" && echo; done; :");
        }
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let content: Option<Vec<u8>> = match (args.str("data"), s.opt("key")) {
            (Some(d), _) => Some(d.as_bytes().to_vec()),
            (None, Some(sec)) => {
                if sec.rc != 0 {
                    return Err(ModuleError::Protocol(format!(
                        "Failed to download key at {}: {}",
                        args.str("url").or(args.str("file")).unwrap_or_default(),
                        sec.text().trim()
                    )));
                }
                Some(
                    b64.decode(sec.text().trim())
                        .map_err(|e| ModuleError::Protocol(format!("bad key data: {e}")))?,
                )
            }
            (None, None) => None,
        };
        let current = s.get("current").map_err(ModuleError::Protocol)?.text();
        let mut plan = Plan::default();
        let id = args.str("id").unwrap_or_default().to_string();
        plan.values.insert("key_id".into(), Value::from(id.clone()));
        plan.values.insert("fp".into(), Value::from(id.clone()));
        match (present, content) {
            (true, None) => {
                return Err(ModuleError::Args(
                    "one of data, file or url is required with state=present".into(),
                ))
            }
            (true, Some(c)) => {
                let path = key_file(args, &c);
                let now = if args.str("keyring").is_some() {
                    b64.decode(current.trim()).ok()
                } else {
                    current.lines().find_map(|l| {
                        l.strip_prefix(&format!("{path} "))
                            .and_then(|d| b64.decode(d.trim()).ok())
                    })
                };
                if now.as_deref() != Some(c.as_slice()) {
                    plan.changes
                        .push(Change::new(format!("key:{path}"), now.is_some(), true));
                    plan.values
                        .insert("rplay_key".into(), Value::from(b64.encode(&c)));
                }
            }
            (false, c) => {
                let path = match (&c, args.str("keyring")) {
                    (_, Some(k)) => Some(k.to_string()),
                    (Some(c), None) => Some(key_file(args, c)),
                    (None, None) if !id.is_empty() => {
                        let prefix = format!(
                            "/etc/apt/trusted.gpg.d/rplay-{}.",
                            id.trim_start_matches("0x")
                        );
                        current.lines().find_map(|l| {
                            l.split_whitespace()
                                .next()
                                .filter(|p| p.starts_with(&prefix))
                                .map(str::to_string)
                        })
                    }
                    _ => None,
                };
                let exists = match &path {
                    Some(p) if args.str("keyring").is_some() => {
                        !current.trim().is_empty() && p.as_str() != ""
                    }
                    Some(p) => current.lines().any(|l| l.starts_with(&format!("{p} "))),
                    None => false,
                };
                if exists {
                    plan.changes.push(Change::new(
                        format!("key:{}", path.unwrap_or_default()),
                        true,
                        false,
                    ));
                } else if path.is_none() && !id.is_empty() {
                    // A key in the shared keyring: apt-key decides.
                    plan.changes
                        .push(Change::new(format!("apt-key:{id}"), Value::Null, false));
                }
            }
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        _args: &Args,
        mut plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let key = plan
            .values
            .remove("rplay_key")
            .and_then(|v| v.as_str().map(str::to_string));
        for c in &plan.changes {
            if let Some(path) = c.field.strip_prefix("key:") {
                if c.after == Value::Bool(true) {
                    let data = base64::engine::general_purpose::STANDARD
                        .decode(key.clone().unwrap_or_default())
                        .map_err(|e| ModuleError::Protocol(e.to_string()))?;
                    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("/");
                    ctx.host
                        .run(Command::new(format!("mkdir -p -- {}", quote(dir))))
                        .await?;
                    let attrs = FileAttrs {
                        mode: Some("0644".into()),
                        ..Default::default()
                    };
                    ctx.host
                        .put_file(path, Content::Bytes(data), &attrs)
                        .await?;
                } else {
                    ctx.host
                        .run(Command::new(format!("rm -f -- {}", quote(path))))
                        .await?;
                }
            } else if let Some(id) = c.field.strip_prefix("apt-key:") {
                let out = ctx
                    .host
                    .run(Command::new(format!("apt-key del {} 2>&1", quote(id))))
                    .await?;
                if out.rc != 0 {
                    return Ok(Outcome::failed(format!(
                        "error removing key_id {id}: {}",
                        out.stdout_str().trim()
                    )));
                }
            }
        }
        Ok(Outcome::applied(plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_file_names() {
        let a = SPEC
            .validate(json!({"id": "0xABCD", "data": "x"}).as_object().unwrap())
            .unwrap();
        assert_eq!(
            key_file(&a, b"-----BEGIN PGP PUBLIC KEY BLOCK-----"),
            "/etc/apt/trusted.gpg.d/rplay-ABCD.asc"
        );
        assert_eq!(
            key_file(&a, b"\x99\x01"),
            "/etc/apt/trusted.gpg.d/rplay-ABCD.gpg"
        );
        let a = SPEC
            .validate(
                json!({"data": "x", "keyring": "/etc/apt/keyrings/d.asc"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(key_file(&a, b"x"), "/etc/apt/keyrings/d.asc");
    }
}
