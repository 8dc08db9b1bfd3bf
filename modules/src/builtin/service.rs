//! `service`: the generic service module. On systemd hosts (the probe checks
//! `/run/systemd/system`) it plans and applies exactly like `systemd`; otherwise it falls back to
//! SysV init scripts (`service NAME status|start|stop...`, `update-rc.d`/`chkconfig`).

use async_trait::async_trait;

use crate::builtin::systemd;
use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Module, ModuleError, Outcome, Plan, Value};

/// The `service` module.
pub struct ServiceModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "service",
    fqcn: &["ansible.builtin.service", "ansible.legacy.service"],
    synopsis: "Manage services.",
    description: "Controls services through systemd when the host runs it, else through SysV init scripts.",
    args: &[
        ArgSpec::new("name", ArgKind::Str, "Service name.").required(),
        ArgSpec::new("state", ArgKind::Str, "Wanted run state.")
            .choices(&["reloaded", "restarted", "started", "stopped"]),
        ArgSpec::new("enabled", ArgKind::Bool, "Start at boot."),
        ArgSpec::new("sleep", ArgKind::Int, "Seconds between stop and start when restarting (SysV)."),
        ArgSpec::new("pattern", ArgKind::Str, "Process pattern when status is unreliable (SysV)."),
        ArgSpec::new("runlevel", ArgKind::Str, "Runlevel for enabling (OpenRC).").default("\"default\""),
        ArgSpec::new("arguments", ArgKind::Str, "Extra arguments to the init script.").default("\"\"").aliases(&["args"]),
        ArgSpec::new("use", ArgKind::Str, "Service manager; `auto` asks the host.").default("\"auto\""),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[&["state", "enabled"]],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "name", returned: "success", doc: "Service name." },
        ReturnSpec { name: "state", returned: "when state is given", doc: "started or stopped." },
        ReturnSpec { name: "enabled", returned: "when enabled is given", doc: "Whether it starts at boot." },
        ReturnSpec { name: "status", returned: "on systemd hosts", doc: "`systemctl show` properties." },
    ],
    examples: "- name: Start nginx\n  ansible.builtin.service:\n    name: nginx\n    state: started\n    enabled: true\n",
};

/// The systemd module's arguments for this task.
fn systemd_args(args: &Args) -> Args {
    let mut m = crate::Map::new();
    for k in ["name", "state", "enabled"] {
        if let Some(v) = args.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    m.insert("scope".into(), Value::from("system"));
    Args(m)
}

fn uses_systemd(args: &Args, marker: &str) -> bool {
    match args.str("use").unwrap_or("auto") {
        "systemd" => true,
        "auto" => marker.trim() == "yes",
        _ => false,
    }
}

#[async_trait]
impl Module for ServiceModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let name = args.str("name").unwrap_or_default();
        let sargs = systemd_args(args);
        let mut p = systemd::probe(&sargs, name, ctx.check_mode);
        let q = quote(name);
        p.section(
            "sysv",
            &format!("if [ ! -d /run/systemd/system ]; then service {q} status >/dev/null 2>&1; echo $?; ls /etc/rc[2-5].d/S??{q} /etc/rc.d/rc[2-5].d/S??{q} 2>/dev/null | head -n1; fi; :"),
        );
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let marker = s.opt("systemd").map(|x| x.text()).unwrap_or_default();
        if uses_systemd(args, &marker) {
            let mut plan = systemd::plan_from(&sargs, name, &s, ctx.host.name())?;
            plan.values
                .insert("service_mgr".into(), Value::from("systemd"));
            return Ok(plan);
        }
        let lines = s.opt("sysv").map(|x| x.lines()).unwrap_or_default();
        let running = lines.first().map(|l| l.trim() == "0").unwrap_or(false);
        let enabled = lines.get(1).is_some_and(|l| !l.trim().is_empty());
        let mut plan = Plan::default();
        plan.values.insert("name".into(), Value::from(name));
        if let Some(want) = args.get("enabled").and_then(Value::as_bool) {
            plan.values.insert("enabled".into(), Value::Bool(want));
            if want != enabled {
                plan.changes.push(Change::new("enabled", enabled, want));
            }
        }
        if let Some(state) = args.str("state") {
            let action = match state {
                "started" => (!running).then_some("start"),
                "stopped" => running.then_some("stop"),
                "restarted" => Some("restart"),
                _ => Some(if running { "reload" } else { "start" }),
            };
            plan.values.insert(
                "state".into(),
                Value::from(if state == "stopped" {
                    "stopped"
                } else {
                    "started"
                }),
            );
            if let Some(a) = action {
                plan.changes.push(Change::new(
                    "state",
                    if running { "running" } else { "stopped" },
                    a,
                ));
            }
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let name = args.str("name").unwrap_or_default();
        if plan.values.get("service_mgr").and_then(Value::as_str) == Some("systemd") {
            let mut plan = plan;
            plan.values.remove("service_mgr");
            return systemd::apply_plan(&systemd_args(args), name, plan, ctx).await;
        }
        let q = quote(name);
        let extra = args.str("arguments").unwrap_or_default();
        let mut script = String::new();
        for c in &plan.changes {
            match c.field.as_str() {
                "enabled" => {
                    let on = c.after == Value::Bool(true);
                    script.push_str(&format!(
                        "if command -v update-rc.d >/dev/null 2>&1; then update-rc.d {q} {} || exit $?; elif command -v chkconfig >/dev/null 2>&1; then chkconfig {q} {} || exit $?; elif command -v rc-update >/dev/null 2>&1; then rc-update {} {q} {} || exit $?; fi\n",
                        if on { "defaults" } else { "disable" },
                        if on { "on" } else { "off" },
                        if on { "add" } else { "del" },
                        quote(args.str("runlevel").unwrap_or("default")),
                    ));
                }
                "state" => {
                    let verb = c.after.as_str().unwrap_or("start");
                    if verb == "restart" && args.int("sleep").is_some() {
                        script.push_str(&format!(
                            "service {q} stop {extra}; sleep {}; service {q} start {extra} || exit $?\n",
                            args.int("sleep").unwrap_or(1)
                        ));
                    } else {
                        script.push_str(&format!("service {q} {verb} {extra} || exit $?\n"));
                    }
                }
                _ => {}
            }
        }
        let out = ctx.host.run(Command::new(script)).await?;
        if out.rc != 0 {
            let mut o = Outcome::failed(format!(
                "Unable to change service {name}: {}{}",
                out.stdout_str().trim(),
                out.stderr_str().trim()
            ));
            o.values = plan.values;
            return Ok(o);
        }
        Ok(Outcome::applied(plan))
    }
}
