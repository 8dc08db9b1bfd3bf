//! `ansible.posix.authorized_key`: SSH public keys in a user's authorized_keys. One probe finds
//! the user's home and reads the file; the plan carries the new text; apply writes it owned by
//! the user (mode 0600, directory 0700 when `manage_dir`).

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{
    Args, Change, Command, Content, Context, FileAttrs, Module, ModuleError, Outcome, Plan,
    TextDiff, Value,
};

/// The `authorized_key` module.
pub struct AuthorizedKeyModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "authorized_key",
    fqcn: &["ansible.posix.authorized_key", "ansible.builtin.authorized_key"],
    synopsis: "Adds or removes an SSH authorized key.",
    description: "Adds or removes public keys (one or several lines) in a user's authorized_keys, with \
        options; `exclusive` removes every other key.",
    args: &[
        ArgSpec::new("user", ArgKind::Str, "The user whose file is managed.").required(),
        ArgSpec::new("key", ArgKind::Str, "Public key line(s).").required(),
        ArgSpec::new("path", ArgKind::Path, "Another authorized_keys path."),
        ArgSpec::new("manage_dir", ArgKind::Bool, "Create ~/.ssh with mode 0700.").default("true"),
        ArgSpec::new("state", ArgKind::Str, "present or absent.").default("\"present\"").choices(&["absent", "present"]),
        ArgSpec::new("key_options", ArgKind::Str, "Options prepended to the key."),
        ArgSpec::new("exclusive", ArgKind::Bool, "Remove every other key.").default("false"),
        ArgSpec::new("validate_certs", ArgKind::Bool, "Accepted for compatibility.").default("true"),
        ArgSpec::new("comment", ArgKind::Str, "Replace the key's comment."),
        ArgSpec::new("follow", ArgKind::Bool, "Follow a symlinked path.").default("false"),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "key", returned: "success", doc: "The key given." },
        ReturnSpec { name: "keyfile", returned: "success", doc: "The authorized_keys path." },
        ReturnSpec { name: "user", returned: "success", doc: "The user." },
    ],
    examples: "- ansible.posix.authorized_key:\n    user: deploy\n    state: present\n    key: \"{{ lookup('file', 'files/deploy.pub') }}\"\n",
};

/// One key: options, type, blob, comment.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    options: Option<String>,
    kind: String,
    blob: String,
    comment: Option<String>,
}

const TYPES: &[&str] = &[
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa-cert-v01@openssh.com",
    "ssh-ed25519-cert-v01@openssh.com",
];

/// Parses a key line (options may hold quoted spaces).
fn parse_key(line: &str) -> Option<Key> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| TYPES.contains(w) || w.starts_with("ecdsa-") || w.starts_with("ssh-"))?;
    let options = if i > 0 {
        let pos = t.find(words[i]).unwrap_or(0);
        Some(t[..pos].trim().to_string())
    } else {
        None
    };
    Some(Key {
        options,
        kind: words[i].to_string(),
        blob: words.get(i + 1)?.to_string(),
        comment: (words.len() > i + 2).then(|| words[i + 2..].join(" ")),
    })
}

fn render(k: &Key) -> String {
    let mut s = String::new();
    if let Some(o) = &k.options {
        s.push_str(o);
        s.push(' ');
    }
    s.push_str(&k.kind);
    s.push(' ');
    s.push_str(&k.blob);
    if let Some(c) = &k.comment {
        s.push(' ');
        s.push_str(c);
    }
    s
}

/// The file after the task (pure).
pub(crate) fn rewrite(text: &str, args: &Args) -> Result<String, String> {
    let present = args.str("state") != Some("absent");
    let mut wanted = Vec::new();
    for line in args.str("key").unwrap_or_default().lines() {
        if line.trim().is_empty() || line.trim().starts_with('#') {
            continue;
        }
        let mut k = parse_key(line).ok_or_else(|| format!("invalid key specified: {line}"))?;
        if let Some(o) = args.str("key_options") {
            k.options = Some(o.to_string());
        }
        if let Some(c) = args.str("comment") {
            k.comment = Some(c.to_string());
        }
        wanted.push(k);
    }
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if present && args.bool("exclusive") {
        lines.retain(|l| parse_key(l).is_none_or(|k| wanted.iter().any(|w| w.blob == k.blob)));
    }
    for w in &wanted {
        let pos = lines
            .iter()
            .position(|l| parse_key(l).is_some_and(|k| k.blob == w.blob && k.kind == w.kind));
        match (pos, present) {
            (Some(i), true) => {
                let have = parse_key(&lines[i]);
                let mut merged = w.clone();
                if args.str("key_options").is_none() && w.options.is_none() {
                    merged.options = have.as_ref().and_then(|h| h.options.clone());
                }
                if w.comment.is_none() {
                    merged.comment = have.and_then(|h| h.comment);
                }
                lines[i] = render(&merged);
            }
            (None, true) => lines.push(render(w)),
            (Some(_), false) => lines.retain(|l| parse_key(l).is_none_or(|k| k.blob != w.blob)),
            (None, false) => {}
        }
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    Ok(out)
}

#[async_trait]
impl Module for AuthorizedKeyModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let user = args.str("user").unwrap_or_default();
        let mut p = ProbeScript::new();
        p.section(
            "home",
            &format!("getent passwd -- {} | cut -d: -f6", quote(user)),
        );
        let path_expr = match args.str("path") {
            Some(path) => quote(path),
            None => format!(
                "\"$(getent passwd -- {} | cut -d: -f6)/.ssh/authorized_keys\"",
                quote(user)
            ),
        };
        p.section(
            "file",
            &format!("f={path_expr}; printf '%s\\n' \"$f\"; cat -- \"$f\" 2>/dev/null; :"),
        );
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let home = s
            .get("home")
            .map_err(ModuleError::Protocol)?
            .text()
            .trim()
            .to_string();
        if home.is_empty() {
            return Err(ModuleError::Protocol(format!(
                "Failed to lookup user {user}: user not found"
            )));
        }
        let file = s.get("file").map_err(ModuleError::Protocol)?.text();
        let (path, before) = file.split_once('\n').unwrap_or((&file, ""));
        let after = rewrite(before, args).map_err(ModuleError::Args)?;
        let mut plan = Plan::default();
        if before != after {
            plan.changes.push(
                Change::new("authorized_keys", Value::Null, Value::Null).with_text(TextDiff {
                    before_header: path.to_string(),
                    after_header: path.to_string(),
                    before: before.to_string(),
                    after,
                }),
            );
        }
        plan.values.insert(
            "key".into(),
            Value::from(args.str("key").unwrap_or_default()),
        );
        plan.values.insert(
            "key_options".into(),
            args.str("key_options")
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        plan.values.insert("keyfile".into(), Value::from(path));
        plan.values.insert(
            "manage_dir".into(),
            Value::Bool(
                args.get("manage_dir")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
            ),
        );
        plan.values.insert(
            "path".into(),
            args.str("path").map(Value::from).unwrap_or(Value::Null),
        );
        plan.values.insert(
            "state".into(),
            Value::from(args.str("state").unwrap_or("present")),
        );
        plan.values.insert("user".into(), Value::from(user));
        plan.values
            .insert("exclusive".into(), Value::Bool(args.bool("exclusive")));
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let Some(text) = plan.changes.first().and_then(|c| c.text.clone()) else {
            return Ok(Outcome::ok(plan.values));
        };
        let user = args.str("user").unwrap_or_default();
        let path = text.after_header.clone();
        let dir = path
            .rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_else(|| ".".into());
        if args
            .get("manage_dir")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            let out = ctx
                .host
                .run(Command::new(format!(
                    "[ -d {d} ] || {{ mkdir -p {d} && chown {u}: {d} && chmod 0700 {d}; }}",
                    d = quote(&dir),
                    u = quote(user)
                )))
                .await?;
            if out.rc != 0 {
                return Ok(Outcome::failed(format!(
                    "cannot create {dir}: {}",
                    out.stderr_str().trim()
                )));
            }
        }
        let attrs = FileAttrs {
            mode: Some("0600".into()),
            owner: Some(user.to_string()),
            group: None,
        };
        ctx.host
            .put_file(&path, Content::Bytes(text.after.into_bytes()), &attrs)
            .await?;
        Ok(Outcome::applied(plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Args {
        SPEC.validate(v.as_object().unwrap()).unwrap()
    }

    #[test]
    fn add_update_remove_exclusive() {
        let k1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA1 alice@x";
        let k2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2 bob@y";
        let a = args(json!({"user": "u", "key": k1}));
        let t = rewrite("", &a).unwrap();
        assert_eq!(t, format!("{k1}\n"));
        assert_eq!(rewrite(&t, &a).unwrap(), t);
        let o = args(json!({"user": "u", "key": k1, "key_options": "no-pty,from=\"10.0.0.1\""}));
        assert_eq!(
            rewrite(&t, &o).unwrap(),
            format!("no-pty,from=\"10.0.0.1\" {k1}\n")
        );
        let both = format!("{k1}\n{k2}\n");
        let x = args(json!({"user": "u", "key": k2, "exclusive": true}));
        assert_eq!(rewrite(&both, &x).unwrap(), format!("{k2}\n"));
        let r = args(json!({"user": "u", "key": k1, "state": "absent"}));
        assert_eq!(rewrite(&both, &r).unwrap(), format!("{k2}\n"));
        assert!(rewrite("", &args(json!({"user": "u", "key": "garbage"}))).is_err());
    }
}
