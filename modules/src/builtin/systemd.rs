//! `systemd` / `systemd_service`: units' run state, enablement and masking. The probe is one
//! script: an optional `daemon-reload` (Ansible runs it first and it is not a change), then one
//! `systemctl show` (every property, returned as `status`) and `systemctl is-enabled`. Apply runs
//! the planned `mask`/`unmask`, `enable`/`disable` and `start`/`stop`/`restart`/`reload` in
//! Ansible's order. `service` reuses this file on systemd hosts.

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript, Sections};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `systemd` module (also `systemd_service`).
pub struct SystemdModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "systemd",
    fqcn: &[
        "ansible.builtin.systemd",
        "ansible.legacy.systemd",
        "systemd_service",
        "ansible.builtin.systemd_service",
        "ansible.legacy.systemd_service",
    ],
    synopsis: "Manage systemd units.",
    description: "Starts, stops, restarts and reloads units, enables/disables and masks them, reloads \
        the systemd manager. `restarted` and `reloaded` always report changed.",
    args: &[
        ArgSpec::new("name", ArgKind::Str, "Unit name (`.service` is implied).").aliases(&["service", "unit"]),
        ArgSpec::new("state", ArgKind::Str, "Wanted run state.")
            .choices(&["reloaded", "restarted", "started", "stopped"]),
        ArgSpec::new("enabled", ArgKind::Bool, "Start at boot."),
        ArgSpec::new("force", ArgKind::Bool, "Override existing symlinks."),
        ArgSpec::new("masked", ArgKind::Bool, "Mask the unit."),
        ArgSpec::new("daemon_reload", ArgKind::Bool, "Run daemon-reload before anything else.")
            .default("false")
            .aliases(&["daemon-reload"]),
        ArgSpec::new("daemon_reexec", ArgKind::Bool, "Run daemon-reexec before anything else.")
            .default("false")
            .aliases(&["daemon-reexec"]),
        ArgSpec::new("scope", ArgKind::Str, "systemd manager to talk to.")
            .default("\"system\"")
            .choices(&["system", "user", "global"]),
        ArgSpec::new("no_block", ArgKind::Bool, "Do not wait for jobs to finish.").default("false"),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[&["state", "enabled", "masked", "daemon_reload", "daemon_reexec"]],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "name", returned: "success", doc: "Unit name." },
        ReturnSpec { name: "state", returned: "when state is given", doc: "started or stopped after the task." },
        ReturnSpec { name: "enabled", returned: "when enabled is given", doc: "Whether the unit starts at boot." },
        ReturnSpec { name: "status", returned: "success", doc: "`systemctl show` properties (ActiveState, SubState, LoadState, UnitFileState, MainPID...)." },
    ],
    examples: "- name: Restart nginx\n  ansible.builtin.systemd:\n    name: nginx\n    state: restarted\n    daemon_reload: true\n\n\
        - name: Enable and start chrony\n  ansible.builtin.systemd_service:\n    name: chrony\n    state: started\n    enabled: true\n",
};

/// `systemctl` with the scope's option.
pub(crate) fn systemctl(args: &Args) -> String {
    match args.str("scope").unwrap_or("system") {
        "user" => "systemctl --user".into(),
        "global" => "systemctl --global".into(),
        _ => "systemctl".into(),
    }
}

/// The probe script: reload/reexec when asked (not in check mode), then show + is-enabled.
pub(crate) fn probe(args: &Args, name: &str, check_mode: bool) -> ProbeScript {
    let sc = systemctl(args);
    let mut p = ProbeScript::new();
    p.prelude("export LANG=C LC_ALL=C SYSTEMD_PAGER=");
    if !check_mode && args.bool("daemon_reexec") {
        p.section("reexec", &format!("{sc} daemon-reexec 2>&1"));
    }
    if !check_mode && args.bool("daemon_reload") {
        p.section("reload", &format!("{sc} daemon-reload 2>&1"));
    }
    if !name.is_empty() {
        let u = quote(name);
        if args.str("scope") != Some("global") {
            p.section("show", &format!("{sc} show -- {u}"));
        }
        p.section("enabled", &format!("{sc} is-enabled -- {u} 2>&1"));
        p.section("systemd", "[ -d /run/systemd/system ] && echo yes; :");
    }
    p
}

/// Parses `systemctl show` output (`Key=value` lines) into a map of strings.
pub(crate) fn parse_show(text: &str) -> Map {
    let mut m = Map::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            if !k.is_empty() && !k.contains(' ') {
                m.insert(k.to_string(), Value::from(v));
            }
        }
    }
    m
}

/// Whether `is-enabled` (exit status and output) means enabled, as Ansible reads it.
pub(crate) fn is_enabled(rc: i32, out: &str) -> bool {
    let lines: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    rc == 0 && lines != ["indirect"] && lines != ["alias"]
}

fn running(status: &Map) -> bool {
    matches!(
        status.get("ActiveState").and_then(Value::as_str),
        Some("active") | Some("activating")
    )
}

/// The plan for a unit whose probe answered `s` (pure).
pub(crate) fn plan_from(
    args: &Args,
    name: &str,
    s: &Sections,
    host: &str,
) -> Result<Plan, ModuleError> {
    let mut plan = Plan::default();
    for step in ["reexec", "reload"] {
        if let Some(sec) = s.opt(step) {
            if sec.rc != 0 {
                return Err(ModuleError::Protocol(format!(
                    "failure {} running systemctl daemon-{step}: {}",
                    sec.rc,
                    sec.text().trim()
                )));
            }
        }
    }
    if name.is_empty() {
        return Ok(plan);
    }
    plan.values.insert("name".into(), Value::from(name));
    let status = s
        .opt("show")
        .map(|x| parse_show(&x.text()))
        .unwrap_or_default();
    let found = status.get("LoadState").and_then(Value::as_str) != Some("not-found");
    let enabled_sec = s.get("enabled").map_err(ModuleError::Protocol)?;
    let enabled_out = enabled_sec.text();
    let wants_action = args.get("state").is_some() || args.get("enabled").is_some();
    if !found && wants_action && args.str("scope") != Some("global") {
        // A unit systemd does not know: Ansible's wording (it ends with the word "host").
        let _ = host;
        return Err(ModuleError::Protocol(format!(
            "Could not find the requested service {name}: host"
        )));
    }
    let masked_now = status.get("UnitFileState").and_then(Value::as_str) == Some("masked")
        || enabled_out.trim() == "masked";
    if let Some(want) = args.get("masked").and_then(Value::as_bool) {
        if want != masked_now {
            plan.changes.push(Change::new("masked", masked_now, want));
        }
    }
    if let Some(want) = args.get("enabled").and_then(Value::as_bool) {
        let now = is_enabled(enabled_sec.rc, &enabled_out);
        plan.values.insert("enabled".into(), Value::Bool(want));
        if want != now {
            plan.changes.push(Change::new("enabled", now, want));
        }
    }
    if let Some(state) = args.str("state") {
        let run = running(&status);
        let deactivating =
            status.get("ActiveState").and_then(Value::as_str) == Some("deactivating");
        let action = match state {
            "started" => (!run).then_some("start"),
            "stopped" => (run || deactivating).then_some("stop"),
            "restarted" => Some(if run { "restart" } else { "start" }),
            _ => Some(if run { "reload" } else { "start" }),
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
            let before = status.get("ActiveState").cloned().unwrap_or(Value::Null);
            plan.changes.push(Change::new("state", before, a));
        }
    }
    plan.values.insert("status".into(), Value::Object(status));
    Ok(plan)
}

/// The unit name with Ansible's normalisation (none: systemctl adds `.service` itself).
fn unit(args: &Args) -> String {
    args.str("name").unwrap_or_default().to_string()
}

/// Commands that apply `plan` to `name`.
pub(crate) fn apply_script(args: &Args, name: &str, plan: &Plan) -> String {
    let sc = systemctl(args);
    let u = quote(name);
    let force = if args.bool("force") { " --force" } else { "" };
    let no_block = if args.bool("no_block") {
        " --no-block"
    } else {
        ""
    };
    let mut script = String::from("export LANG=C LC_ALL=C SYSTEMD_PAGER=\n");
    for c in &plan.changes {
        let cmd = match c.field.as_str() {
            "masked" => format!(
                "{sc}{force} {} -- {u}",
                if c.after == Value::Bool(true) {
                    "mask"
                } else {
                    "unmask"
                }
            ),
            "enabled" => format!(
                "{sc}{force} {} -- {u}",
                if c.after == Value::Bool(true) {
                    "enable"
                } else {
                    "disable"
                }
            ),
            "state" => format!(
                "{sc}{no_block} {} -- {u}",
                c.after.as_str().unwrap_or("start")
            ),
            _ => continue,
        };
        script.push_str(&format!(
            "{cmd} || {{ rc=$?; echo \"{}\" >&2; exit $rc; }}\n",
            c.field
        ));
    }
    script
}

#[async_trait]
impl Module for SystemdModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let name = unit(args);
        let p = probe(args, &name, ctx.check_mode);
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        plan_from(args, &name, &s, ctx.host.name())
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        apply_plan(args, &unit(args), plan, ctx).await
    }
}

/// Runs the planned systemctl commands; shared with `service`.
pub(crate) async fn apply_plan(
    args: &Args,
    name: &str,
    plan: Plan,
    ctx: &Context<'_>,
) -> Result<Outcome, ModuleError> {
    let out = ctx
        .host
        .run(Command::new(apply_script(args, name, &plan)))
        .await?;
    if out.rc != 0 {
        let err = out.stderr_str();
        let mut lines: Vec<&str> = err.lines().collect();
        let field = lines.pop().unwrap_or_default().to_string();
        let detail = lines.join("\n");
        let verb = plan
            .changes
            .iter()
            .find(|c| c.field == field)
            .map(|c| match (&c.after, c.field.as_str()) {
                (Value::String(s), _) => s.clone(),
                (Value::Bool(true), "masked") => "mask".into(),
                (Value::Bool(false), "masked") => "unmask".into(),
                (Value::Bool(true), _) => "enable".into(),
                _ => "disable".into(),
            })
            .unwrap_or_default();
        let mut o = Outcome::failed(format!(
            "Unable to {verb} service {name}: {}",
            detail.trim()
        ));
        o.values = plan.values;
        return Ok(o);
    }
    Ok(Outcome::applied(plan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::Section;
    use serde_json::json;

    fn sections(show: &str, enabled: &str, enabled_rc: i32) -> Sections {
        let mut m = indexmap::IndexMap::new();
        m.insert(
            "show".to_string(),
            Section {
                out: show.as_bytes().to_vec(),
                rc: 0,
            },
        );
        m.insert(
            "enabled".to_string(),
            Section {
                out: enabled.as_bytes().to_vec(),
                rc: enabled_rc,
            },
        );
        Sections(m)
    }

    fn args(v: Value) -> Args {
        SPEC.validate(v.as_object().unwrap()).unwrap()
    }

    const ACTIVE: &str = "Id=chrony.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nExecStart={ path=/usr/sbin/chronyd ; argv[]=/usr/sbin/chronyd $DAEMON_OPTS }\n";

    #[test]
    fn started_enabled_is_ok_restarted_changes() {
        let s = sections(ACTIVE, "enabled\n", 0);
        let p = plan_from(
            &args(json!({"name": "chrony", "state": "started", "enabled": true})),
            "chrony",
            &s,
            "h",
        )
        .unwrap();
        assert!(p.changes.is_empty());
        assert_eq!(p.values["status"]["SubState"], "running");
        assert!(p.values["status"]["ExecStart"]
            .as_str()
            .unwrap()
            .contains("argv[]"));
        let p = plan_from(
            &args(json!({"name": "chrony", "state": "restarted"})),
            "chrony",
            &s,
            "h",
        )
        .unwrap();
        assert_eq!(p.changes[0].after, json!("restart"));
        let p = plan_from(
            &args(json!({"name": "chrony", "state": "stopped", "enabled": "no"})),
            "chrony",
            &s,
            "h",
        )
        .unwrap();
        assert_eq!(
            p.changes
                .iter()
                .map(|c| c.field.as_str())
                .collect::<Vec<_>>(),
            vec!["enabled", "state"]
        );
        assert_eq!(p.values["state"], "stopped");
    }

    #[test]
    fn masked_missing_and_indirect() {
        let s = sections(
            "LoadState=masked\nActiveState=inactive\nUnitFileState=masked\n",
            "masked\n",
            1,
        );
        let p = plan_from(
            &args(json!({"name": "x", "masked": false, "state": "started"})),
            "x",
            &s,
            "h",
        )
        .unwrap();
        assert_eq!(p.changes[0].field, "masked");
        assert_eq!(p.changes[1].after, json!("start"));
        let s = sections(
            "LoadState=not-found\nActiveState=inactive\n",
            "Failed to get unit file state\n",
            1,
        );
        let e = plan_from(
            &args(json!({"name": "nosuch", "state": "started"})),
            "nosuch",
            &s,
            "h1",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .ends_with("Could not find the requested service nosuch: host"),
            "{e}"
        );
        assert!(!is_enabled(0, "indirect\n"));
        assert!(is_enabled(0, "static\n"));
        assert!(!is_enabled(1, "disabled\n"));
    }
}
