//! `service_facts`: every service the host knows, as `ansible_facts.services`, from one script:
//! `systemctl list-units` and `list-unit-files` on systemd hosts, `service --status-all` else.

use async_trait::async_trait;

use crate::shell::ProbeScript;
use crate::spec::{ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Map, Module, ModuleError, Plan, Value};

/// The `service_facts` module.
pub struct ServiceFactsModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "service_facts",
    fqcn: &["ansible.builtin.service_facts", "ansible.legacy.service_facts"],
    synopsis: "Return service state information as fact data.",
    description: "Lists services with their state (running, stopped, inactive, unknown), boot status \
        (enabled, disabled, static...) and source (systemd, sysv).",
    args: &[],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[ReturnSpec { name: "ansible_facts.services", returned: "always", doc: "Services by name: {name, state, status, source}." }],
    examples: "- ansible.builtin.service_facts:\n- ansible.builtin.debug:\n    var: ansible_facts.services['sshd.service']\n",
};

fn entry(name: &str, state: &str, status: &str, source: &str) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), Value::from(name));
    m.insert("state".into(), Value::from(state));
    m.insert("status".into(), Value::from(status));
    m.insert("source".into(), Value::from(source));
    Value::Object(m)
}

/// Builds the services dict from `list-units` and `list-unit-files` output and SysV status lines.
pub(crate) fn parse(units: &str, files: &str, sysv: &str) -> Map {
    let mut services = Map::new();
    for line in units.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let Some(name) = f
            .first()
            .map(|n| n.trim_start_matches('●'))
            .filter(|n| n.ends_with(".service"))
        else {
            continue;
        };
        let state = match f.get(3) {
            Some(&"running") => "running",
            Some(&"failed") => "failed",
            _ => "stopped",
        };
        services.insert(name.to_string(), entry(name, state, "unknown", "systemd"));
    }
    for line in files.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(name), Some(status)) = (f.first(), f.get(1)) else {
            continue;
        };
        if !name.ends_with(".service") {
            continue;
        }
        match services.get_mut(*name) {
            Some(Value::Object(m)) => {
                m.insert("status".into(), Value::from(*status));
            }
            _ => {
                services.insert(name.to_string(), entry(name, "inactive", status, "systemd"));
            }
        }
    }
    for line in sysv.lines() {
        // ` [ + ]  ssh` from `service --status-all`.
        let t = line.trim();
        let Some(rest) = t.strip_prefix('[') else {
            continue;
        };
        let Some((flag, name)) = rest.split_once(']') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty()
            || services.contains_key(&format!("{name}.service"))
            || services.contains_key(name)
        {
            continue;
        }
        let state = match flag.trim() {
            "+" => "running",
            "-" => "stopped",
            _ => "unknown",
        };
        services.insert(name.to_string(), entry(name, state, "unknown", "sysv"));
    }
    services
}

#[async_trait]
impl Module for ServiceFactsModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, _args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let mut p = ProbeScript::new();
        p.prelude("export LANG=C LC_ALL=C SYSTEMD_PAGER=");
        p.section("units", "[ -d /run/systemd/system ] && systemctl list-units --no-pager --type service --all --plain --no-legend; :");
        p.section("files", "[ -d /run/systemd/system ] && systemctl list-unit-files --no-pager --type service --no-legend; :");
        p.section(
            "sysv",
            "[ -d /run/systemd/system ] || service --status-all 2>&1; :",
        );
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let text = |n: &str| s.opt(n).map(|x| x.text()).unwrap_or_default();
        let services = parse(&text("units"), &text("files"), &text("sysv"));
        let mut facts = Map::new();
        facts.insert("services".into(), Value::Object(services));
        let mut values = Map::new();
        values.insert("ansible_facts".into(), Value::Object(facts));
        Ok(Plan::unchanged(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_units_and_files() {
        let m = parse(
            "ssh.service loaded active running OpenBSD Secure Shell server\ncron.service loaded inactive dead Regular background\n",
            "ssh.service enabled enabled\ncron.service disabled enabled\nnginx.service enabled enabled\nfoo.socket enabled enabled\n",
            "",
        );
        assert_eq!(m["ssh.service"]["state"], "running");
        assert_eq!(m["ssh.service"]["status"], "enabled");
        assert_eq!(m["cron.service"]["state"], "stopped");
        assert_eq!(m["nginx.service"]["state"], "inactive");
        assert!(m.get("foo.socket").is_none());
        let m = parse("", "", " [ + ]  ssh\n [ - ]  cron\n");
        assert_eq!(m["ssh"]["source"], "sysv");
        assert_eq!(m["cron"]["state"], "stopped");
    }
}
