//! `group`: local groups. The probe is one `getent group`; apply runs `groupadd`, `groupmod` or
//! `groupdel`.

use async_trait::async_trait;

use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `group` module.
pub struct GroupModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "group",
    fqcn: &["ansible.builtin.group", "ansible.legacy.group"],
    synopsis: "Add or remove groups.",
    description: "Creates, changes (gid) and removes local groups with groupadd/groupmod/groupdel.",
    args: &[
        ArgSpec::new("name", ArgKind::Str, "Group name.").required(),
        ArgSpec::new("gid", ArgKind::Int, "Group id."),
        ArgSpec::new("state", ArgKind::Str, "Present or absent.").default("\"present\"").choices(&["absent", "present"]),
        ArgSpec::new("force", ArgKind::Bool, "Remove even when it is a user's primary group.").default("false"),
        ArgSpec::new("system", ArgKind::Bool, "Create a system group.").default("false"),
        ArgSpec::new("local", ArgKind::Bool, "Use the local tools (lgroupadd...).").default("false"),
        ArgSpec::new("non_unique", ArgKind::Bool, "Allow a non-unique gid.").default("false"),
        ArgSpec::new("gid_min", ArgKind::Int, "Lowest gid for new groups."),
        ArgSpec::new("gid_max", ArgKind::Int, "Highest gid for new groups."),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "name", returned: "always", doc: "Group name." },
        ReturnSpec { name: "gid", returned: "when present", doc: "Group id." },
        ReturnSpec { name: "state", returned: "always", doc: "present or absent." },
        ReturnSpec { name: "system", returned: "when present", doc: "Whether it is a system group." },
    ],
    examples: "- name: Ensure group somegroup exists\n  ansible.builtin.group:\n    name: somegroup\n    state: present\n    gid: 1750\n",
};

/// Parses one `getent group` line: (gid, members).
pub(crate) fn parse_group_line(line: &str) -> Option<(i64, Vec<String>)> {
    let f: Vec<&str> = line.trim_end().split(':').collect();
    let gid = f.get(2)?.parse().ok()?;
    let members = f
        .get(3)
        .map(|m| {
            m.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Some((gid, members))
}

fn plan_from(args: &Args, getent: &str) -> Plan {
    let name = args.str("name").unwrap_or_default();
    let present = parse_group_line(getent);
    let mut plan = Plan::default();
    plan.values.insert("name".into(), Value::from(name));
    match (args.str("state").unwrap_or("present"), present) {
        ("absent", Some((gid, _))) => {
            plan.changes.push(Change::new("state", "present", "absent"));
            plan.values.insert("gid".into(), Value::from(gid));
            plan.values.insert("state".into(), Value::from("absent"));
        }
        ("absent", None) => {
            plan.values.insert("state".into(), Value::from("absent"));
        }
        (_, None) => {
            plan.changes.push(Change::new("state", "absent", "present"));
            if let Some(g) = args.int("gid") {
                plan.values.insert("gid".into(), Value::from(g));
            }
            plan.values.insert("state".into(), Value::from("present"));
            plan.values
                .insert("system".into(), Value::Bool(args.bool("system")));
        }
        (_, Some((gid, _))) => {
            if let Some(want) = args.int("gid").filter(|g| *g != gid) {
                plan.changes.push(Change::new("gid", gid, want));
                plan.values.insert("gid".into(), Value::from(want));
            } else {
                plan.values.insert("gid".into(), Value::from(gid));
            }
            plan.values.insert("state".into(), Value::from("present"));
            plan.values
                .insert("system".into(), Value::Bool(args.bool("system")));
        }
    }
    plan
}

#[async_trait]
impl Module for GroupModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let name = args.str("name").unwrap_or_default();
        let out = ctx
            .host
            .run(Command::new(format!(
                "getent group -- {} || true",
                quote(name)
            )))
            .await?;
        Ok(plan_from(args, &out.stdout_str()))
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let name = quote(args.str("name").unwrap_or_default());
        let local = args.bool("local");
        let mut script = String::new();
        for c in &plan.changes {
            match (c.field.as_str(), c.after.as_str()) {
                ("state", Some("present")) => {
                    let mut cmd = String::from(if local { "lgroupadd" } else { "groupadd" });
                    if let Some(g) = args.int("gid") {
                        cmd.push_str(&format!(" -g {g}"));
                        if args.bool("non_unique") {
                            cmd.push_str(" -o");
                        }
                    }
                    if args.bool("system") {
                        cmd.push_str(" -r");
                    }
                    if let Some(m) = args.int("gid_min") {
                        cmd.push_str(&format!(" -K GID_MIN={m}"));
                    }
                    if let Some(m) = args.int("gid_max") {
                        cmd.push_str(&format!(" -K GID_MAX={m}"));
                    }
                    script.push_str(&format!("{cmd} {name} || exit $?\n"));
                }
                ("state", Some("absent")) => {
                    let force = if args.bool("force") { " -f" } else { "" };
                    script.push_str(&format!(
                        "{}{force} {name} || exit $?\n",
                        if local { "lgroupdel" } else { "groupdel" }
                    ));
                }
                ("gid", _) => {
                    let o = if args.bool("non_unique") { " -o" } else { "" };
                    script.push_str(&format!(
                        "{} -g {}{o} {name} || exit $?\n",
                        if local { "lgroupmod" } else { "groupmod" },
                        c.after
                    ));
                }
                _ => {}
            }
        }
        script.push_str(&format!("getent group -- {name} | cut -d: -f3; true\n"));
        let out = ctx.host.run(Command::new(script)).await?;
        let mut values: Map = plan.values.clone();
        if out.rc != 0 {
            let mut o = Outcome::failed(out.stderr_str().trim().to_string());
            o.values = values;
            return Ok(o);
        }
        if let Ok(g) = out.stdout_str().trim().parse::<i64>() {
            values.insert("gid".into(), Value::from(g));
        }
        Ok(Outcome {
            changed: true,
            values,
            diffs: plan.changes,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plans_create_change_remove() {
        let a = SPEC
            .validate(json!({"name": "web", "gid": 1750}).as_object().unwrap())
            .unwrap();
        assert_eq!(plan_from(&a, "").changes[0].after, json!("present"));
        assert_eq!(plan_from(&a, "web:x:1700:\n").changes[0].field, "gid");
        assert!(plan_from(&a, "web:x:1750:alice,bob\n").changes.is_empty());
        let a = SPEC
            .validate(
                json!({"name": "web", "state": "absent"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        assert!(plan_from(&a, "").changes.is_empty());
        assert_eq!(plan_from(&a, "web:x:1750:\n").changes.len(), 1);
        assert_eq!(
            parse_group_line("web:x:1750:alice,bob"),
            Some((1750, vec!["alice".into(), "bob".into()]))
        );
    }
}
