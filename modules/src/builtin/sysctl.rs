//! `ansible.posix.sysctl`: kernel parameters in a sysctl file (default /etc/sysctl.conf) and,
//! with `sysctl_set`, in the running kernel. One probe reads the file and the current value.

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec};
use crate::{
    Args, Change, Command, Content, Context, FileAttrs, Module, ModuleError, Outcome, Plan,
    TextDiff, Value,
};

/// The `sysctl` module.
pub struct SysctlModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "sysctl",
    fqcn: &["ansible.posix.sysctl", "ansible.builtin.sysctl"],
    synopsis: "Manage entries in sysctl.conf.",
    description: "Adds, changes or removes a `name=value` line in a sysctl file, optionally sets the \
        value in the running kernel (`sysctl_set`) and reloads the file (`reload`).",
    args: &[
        ArgSpec::new("name", ArgKind::Str, "The dot-separated key.").required().aliases(&["key"]),
        ArgSpec::new("value", ArgKind::Str, "The value (required with state=present).").aliases(&["val"]),
        ArgSpec::new("state", ArgKind::Str, "present or absent.").default("\"present\"").choices(&["present", "absent"]),
        ArgSpec::new("ignoreerrors", ArgKind::Bool, "Ignore errors about unknown keys.").default("false"),
        ArgSpec::new("reload", ArgKind::Bool, "Run `sysctl -p FILE` after a change.").default("true"),
        ArgSpec::new("sysctl_file", ArgKind::Path, "The file to edit.").default("\"/etc/sysctl.conf\""),
        ArgSpec::new("sysctl_set", ArgKind::Bool, "Also compare and set the running value.").default("false"),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[],
    examples: "- ansible.posix.sysctl:\n    name: vm.swappiness\n    value: '5'\n    state: present\n    sysctl_set: true\n",
};

/// Normalises a value as the kernel prints it (whitespace collapsed).
fn norm(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Same key, with `/` and `.` treated alike.
fn same_key(a: &str, b: &str) -> bool {
    a.replace('/', ".") == b.replace('/', ".")
}

/// The file with the key set (`Some(value)`) or removed (`None`), as Ansible rewrites it:
/// the first matching line is replaced, later duplicates dropped, missing keys appended.
pub(crate) fn rewrite(text: &str, name: &str, value: Option<&str>) -> String {
    let mut out = String::new();
    let mut done = false;
    for line in text.lines() {
        let t = line.trim();
        let key = (!t.starts_with('#') && !t.starts_with(';'))
            .then(|| t.split_once('=').map(|(k, _)| k.trim()))
            .flatten();
        if key.is_some_and(|k| same_key(k, name)) {
            if let (Some(v), false) = (value, done) {
                out.push_str(&format!("{name}={v}\n"));
            }
            done = true;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if let (Some(v), false) = (value, done) {
        out.push_str(&format!("{name}={v}\n"));
    }
    out
}

#[async_trait]
impl Module for SysctlModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let name = args.str("name").unwrap_or_default().trim().to_string();
        let file = args.str("sysctl_file").unwrap_or("/etc/sysctl.conf");
        let present = args.str("state") != Some("absent");
        let value = args.str("value").map(norm);
        if present && value.is_none() {
            return Err(ModuleError::Args("value cannot be None".into()));
        }
        let mut p = ProbeScript::new();
        p.section("file", &format!("cat -- {} 2>/dev/null; :", quote(file)));
        p.section(
            "mode",
            &format!("stat -c %a -- {} 2>/dev/null; :", quote(file)),
        );
        p.section("runtime", &format!("sysctl -n -- {} 2>&1", quote(&name)));
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let before = s.get("file").map_err(ModuleError::Protocol)?.text();
        let after = rewrite(
            &before,
            &name,
            if present { value.as_deref() } else { None },
        );
        let mut plan = Plan::default();
        if before != after {
            plan.changes.push(
                Change::new("file", Value::Null, Value::Null).with_text(TextDiff {
                    before_header: file.to_string(),
                    after_header: file.to_string(),
                    before: before.clone(),
                    after: after.clone(),
                }),
            );
        }
        let runtime = s.get("runtime").map_err(ModuleError::Protocol)?;
        if present && args.bool("sysctl_set") {
            if runtime.rc != 0 && !args.bool("ignoreerrors") {
                return Err(ModuleError::Protocol(format!(
                    "Failed to get sysctl value: {}",
                    runtime.text().trim()
                )));
            }
            let now = norm(&runtime.text());
            if Some(&now) != value.as_ref() {
                plan.changes.push(Change::new(
                    "runtime",
                    now,
                    value.clone().unwrap_or_default(),
                ));
            }
        }
        plan.values.insert(
            "rplay_mode".into(),
            Value::from(
                s.get("mode")
                    .map(|m| m.text().trim().to_string())
                    .unwrap_or_default(),
            ),
        );
        if plan.changes.is_empty() {
            plan.values.clear();
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        mut plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let name = args.str("name").unwrap_or_default().trim().to_string();
        let file = args.str("sysctl_file").unwrap_or("/etc/sysctl.conf");
        let mode = plan
            .values
            .remove("rplay_mode")
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|m| !m.is_empty());
        let mut file_changed = false;
        for c in &plan.changes {
            if let Some(t) = &c.text {
                let attrs = FileAttrs {
                    mode: Some(
                        mode.clone()
                            .map(|m| format!("0{m}"))
                            .unwrap_or_else(|| "0644".into()),
                    ),
                    ..Default::default()
                };
                ctx.host
                    .put_file(file, Content::Bytes(t.after.clone().into_bytes()), &attrs)
                    .await?;
                file_changed = true;
            }
        }
        let mut script = String::new();
        if let Some(c) = plan.changes.iter().find(|c| c.field == "runtime") {
            script.push_str(&format!(
                "sysctl -w {}={} || exit $?\n",
                quote(&name),
                quote(c.after.as_str().unwrap_or_default())
            ));
        }
        if file_changed && args.get("reload").and_then(Value::as_bool).unwrap_or(true) {
            let e = if args.bool("ignoreerrors") { " -e" } else { "" };
            script.push_str(&format!(
                "sysctl{e} -p {} >/dev/null || exit $?\n",
                quote(file)
            ));
        }
        if !script.is_empty() {
            let out = ctx.host.run(Command::new(script)).await?;
            if out.rc != 0 {
                return Ok(Outcome::failed(format!(
                    "Failed to reload sysctl: {}{}",
                    out.stdout_str(),
                    out.stderr_str()
                )));
            }
        }
        Ok(Outcome::applied(plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_like_ansible() {
        let t = "# c\nvm.swappiness = 60\nnet.ipv4.ip_forward=0\nvm.swappiness=1\n";
        assert_eq!(
            rewrite(t, "vm.swappiness", Some("5")),
            "# c\nvm.swappiness=5\nnet.ipv4.ip_forward=0\n"
        );
        assert_eq!(
            rewrite(t, "vm/swappiness", None),
            "# c\nnet.ipv4.ip_forward=0\n"
        );
        assert_eq!(rewrite("", "a.b", Some("1")), "a.b=1\n");
        assert_eq!(rewrite("a.b=1\n", "a.b", Some("1")), "a.b=1\n");
    }
}
