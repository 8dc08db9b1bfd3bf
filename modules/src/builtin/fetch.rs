//! `fetch`: copies a file from the host to the controller, into `<dest>/<host>/<src path>` (or
//! exactly `dest` with `flat`). Compared by SHA-1 first, so an identical file is not transferred.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::builtin::copy::sha1_hex;
use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `fetch` module.
pub struct FetchModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "fetch",
    fqcn: &["ansible.builtin.fetch", "ansible.legacy.fetch"],
    synopsis: "Copy a file from the host to the controller.",
    description:
        "Stores the file at `<dest>/<inventory_hostname>/<src>`; with `flat: true` at `dest` \
        (or `dest/<basename>` when dest ends with `/`). Unchanged when the SHA-1 already matches.",
    args: &[
        ArgSpec::new("src", ArgKind::Str, "The file on the host.").required(),
        ArgSpec::new("dest", ArgKind::Str, "Where to store it on the controller.").required(),
        ArgSpec::new("flat", ArgKind::Bool, "Use dest as the file path.").default("false"),
        ArgSpec::new(
            "fail_on_missing",
            ArgKind::Bool,
            "Fail when src does not exist.",
        )
        .default("true"),
        ArgSpec::new(
            "validate_checksum",
            ArgKind::Bool,
            "Check the transfer by SHA-1.",
        )
        .default("true"),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec {
            name: "checksum",
            returned: "success",
            doc: "SHA-1 of the fetched file.",
        },
        ReturnSpec {
            name: "dest",
            returned: "success",
            doc: "Where it was stored.",
        },
        ReturnSpec {
            name: "remote_checksum",
            returned: "success",
            doc: "SHA-1 on the host.",
        },
        ReturnSpec {
            name: "md5sum",
            returned: "changed",
            doc: "MD5 of the file.",
        },
        ReturnSpec {
            name: "file",
            returned: "missing",
            doc: "The missing source.",
        },
    ],
    examples:
        "- ansible.builtin.fetch:\n    src: /etc/ssh/ssh_host_ed25519_key.pub\n    dest: keys/\n",
};

/// Where the file goes on the controller.
fn local_dest(args: &Args, host: &str, src: &str) -> PathBuf {
    let dest = args.str("dest").unwrap_or_default();
    if args.bool("flat") {
        if dest.ends_with('/') {
            let base = src.rsplit('/').next().unwrap_or(src);
            return PathBuf::from(format!("{dest}{base}"));
        }
        return PathBuf::from(dest);
    }
    let rel = src.trim_start_matches('/');
    Path::new(dest).join(host).join(rel)
}

fn local_sha1(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|b| sha1_hex(&b))
}

#[async_trait]
impl Module for FetchModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    /// Like Ansible's `fetch` action, which does not support async.
    fn supports_async(&self) -> bool {
        false
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let src = args.str("src").unwrap_or_default();
        let mut p = ProbeScript::new();
        p.prelude(&format!("s={}", quote(src)));
        p.section(
            "sum",
            "if [ -d \"$s\" ]; then echo DIR; elif [ -f \"$s\" ]; then if [ -r \"$s\" ]; then printf '%s %s' \"$(sha1sum -- \"$s\" | cut -c1-40)\" \"$(md5sum -- \"$s\" 2>/dev/null | cut -c1-32)\"; else echo UNREADABLE; fi; else echo MISSING; fi",
        );
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let answer = s.get("sum").map_err(ModuleError::Protocol)?.text();
        let answer = answer.trim();
        let dest = local_dest(args, ctx.host.name(), src);
        let mut values = Map::new();
        let missing = |msg: &str| -> Result<Plan, ModuleError> {
            if args.bool("fail_on_missing") {
                return Err(ModuleError::Failed(msg.to_string()));
            }
            let mut m = Map::new();
            m.insert("file".into(), Value::String(src.to_string()));
            m.insert("msg".into(), Value::String(msg.to_string()));
            Ok(Plan {
                values: m,
                msg: Some(msg.to_string()),
                ..Default::default()
            })
        };
        match answer {
            "MISSING" => {
                return missing("the remote file does not exist, not transferring, ignored")
            }
            "DIR" => {
                return missing("remote file is a directory, fetch cannot work on directories")
            }
            "UNREADABLE" => return missing("file is not readable, not transferring, ignored"),
            _ => {}
        }
        let mut parts = answer.split(' ');
        let remote_sum = parts.next().unwrap_or_default().to_string();
        let md5 = parts.next().unwrap_or_default().to_string();
        values.insert("checksum".into(), Value::String(remote_sum.clone()));
        values.insert(
            "dest".into(),
            Value::String(dest.to_string_lossy().into_owned()),
        );
        values.insert("file".into(), Value::String(src.to_string()));
        values.insert("remote_checksum".into(), Value::String(remote_sum.clone()));
        values.insert("remote_md5sum".into(), Value::Null);
        let local = local_sha1(&dest);
        let mut changes = Vec::new();
        if local.as_deref() != Some(remote_sum.as_str()) {
            changes.push(Change::new(
                "content",
                local.map(Value::String).unwrap_or(Value::Null),
                remote_sum,
            ));
            if !md5.is_empty() {
                values.insert("md5sum".into(), Value::String(md5));
            }
        }
        Ok(Plan {
            changes,
            values,
            ..Default::default()
        })
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let src = args.str("src").unwrap_or_default();
        let dest = local_dest(args, ctx.host.name(), src);
        let bytes = ctx.host.get_file(src).await?;
        let got = sha1_hex(&bytes);
        let wanted = plan
            .values
            .get("remote_checksum")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if args.bool("validate_checksum") && got != wanted {
            return Ok(Outcome::failed(format!(
                "checksum mismatch: remote {wanted}, fetched {got}"
            )));
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| ModuleError::Failed(format!("{}: {e}", parent.display())))?;
        }
        let tmp = dest.with_extension("rplay-fetch-tmp");
        std::fs::write(&tmp, &bytes)
            .map_err(|e| ModuleError::Failed(format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &dest)
            .map_err(|e| ModuleError::Failed(format!("{}: {e}", dest.display())))?;
        let mut values = plan.values.clone();
        values.insert("checksum".into(), Value::String(got));
        Ok(Outcome {
            changed: true,
            values,
            diffs: plan.changes,
            ..Default::default()
        })
    }
}
