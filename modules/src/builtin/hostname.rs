//! `hostname`: the host's name, in the running kernel and in /etc/hostname (with `hostnamectl`
//! when systemd runs, else directly). One probe reads both.

use async_trait::async_trait;

use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `hostname` module.
pub struct HostnameModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "hostname",
    fqcn: &["ansible.builtin.hostname", "ansible.legacy.hostname"],
    synopsis: "Manage hostname.",
    description: "Sets the running hostname and the permanent one (/etc/hostname).",
    args: &[
        ArgSpec::new("name", ArgKind::Str, "The hostname.").required(),
        ArgSpec::new(
            "use",
            ArgKind::Str,
            "Strategy (systemd, debian, redhat, alpine, generic...); detected when omitted.",
        ),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[ReturnSpec {
        name: "ansible_facts",
        returned: "always",
        doc: "hostname, nodename, fqdn and domain facts after the change.",
    }],
    examples: "- ansible.builtin.hostname:\n    name: web01\n",
};

fn facts(name: &str) -> Value {
    let mut f = Map::new();
    f.insert(
        "ansible_hostname".into(),
        Value::from(name.split('.').next().unwrap_or(name)),
    );
    f.insert("ansible_nodename".into(), Value::from(name));
    f.insert("ansible_fqdn".into(), Value::from(name));
    f.insert(
        "ansible_domain".into(),
        Value::from(name.split_once('.').map(|(_, d)| d).unwrap_or("")),
    );
    Value::Object(f)
}

#[async_trait]
impl Module for HostnameModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let name = args.str("name").unwrap_or_default();
        let out = ctx
            .host
            .run(Command::new(
                "hostname 2>/dev/null || uname -n; echo ::; cat /etc/hostname 2>/dev/null; :",
            ))
            .await?;
        let text = out.stdout_str();
        let (running, permanent) = text.split_once("::").unwrap_or((&text, ""));
        let (running, permanent) = (running.trim(), permanent.trim());
        let mut plan = Plan::default();
        if running != name {
            plan.changes
                .push(Change::new("current_hostname", running, name));
        }
        if permanent != name && args.str("use") != Some("generic") {
            plan.changes
                .push(Change::new("permanent_hostname", permanent, name));
        }
        plan.values.insert("name".into(), Value::from(name));
        plan.values.insert("ansible_facts".into(), facts(name));
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let q = quote(args.str("name").unwrap_or_default());
        let permanent = plan.changes.iter().any(|c| c.field == "permanent_hostname");
        let running = plan.changes.iter().any(|c| c.field == "current_hostname");
        let mut script = String::new();
        let systemd = matches!(args.str("use"), None | Some("systemd"));
        if systemd {
            script.push_str(&format!(
                "if [ -d /run/systemd/system ] && command -v hostnamectl >/dev/null 2>&1 && hostnamectl set-hostname {q} 2>/dev/null; then exit 0; fi\n"
            ));
        }
        if permanent {
            script.push_str(&format!("printf '%s\\n' {q} > /etc/hostname || exit $?\n"));
        }
        if running {
            script.push_str(&format!("hostname {q} || exit $?\n"));
        }
        let out = ctx.host.run(Command::new(script)).await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(format!(
                "Command failed rc={}, out={}, err={}",
                out.rc,
                out.stdout_str(),
                out.stderr_str()
            )));
        }
        Ok(Outcome::applied(plan))
    }
}
