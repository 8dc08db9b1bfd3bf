//! `dnf` / `yum`: Red Hat-family packages. One probe asks `rpm -q` for the installed versions and,
//! for `latest`, `dnf list --upgrades` for pending updates; apply runs one `dnf -y` command.
//! The lab is Debian-only, so this module is covered by unit tests of its parsing and planning,
//! not by lab runs.

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript, Sections};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `dnf` module (also answers to `yum`).
pub struct DnfModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "dnf",
    fqcn: &[
        "ansible.builtin.dnf",
        "ansible.legacy.dnf",
        "yum",
        "ansible.builtin.yum",
        "ansible.legacy.yum",
        "dnf5",
        "ansible.builtin.dnf5",
    ],
    synopsis: "Manages packages with dnf (and yum).",
    description: "Installs, upgrades and removes rpm packages with dnf (yum when dnf is missing).",
    args: &[
        ArgSpec::new(
            "name",
            ArgKind::List,
            "Package names, `@group`, paths or URLs.",
        )
        .aliases(&["pkg"])
        .elements(ArgKind::Str),
        ArgSpec::new("state", ArgKind::Str, "Wanted state.").choices(&[
            "absent",
            "present",
            "installed",
            "latest",
            "removed",
        ]),
        ArgSpec::new(
            "list",
            ArgKind::Str,
            "Unsupported listing (kept for compatibility).",
        ),
        ArgSpec::new("enablerepo", ArgKind::List, "Repositories to enable.").elements(ArgKind::Str),
        ArgSpec::new("disablerepo", ArgKind::List, "Repositories to disable.")
            .elements(ArgKind::Str),
        ArgSpec::new("conf_file", ArgKind::Str, "Alternative configuration file."),
        ArgSpec::new("disable_gpg_check", ArgKind::Bool, "Skip GPG checks.").default("false"),
        ArgSpec::new("update_cache", ArgKind::Bool, "Refresh metadata first.")
            .default("false")
            .aliases(&["expire-cache"]),
        ArgSpec::new(
            "update_only",
            ArgKind::Bool,
            "With latest: only update installed packages.",
        )
        .default("false"),
        ArgSpec::new("installroot", ArgKind::Str, "Alternative install root.").default("\"/\""),
        ArgSpec::new("exclude", ArgKind::List, "Packages to exclude.").elements(ArgKind::Str),
        ArgSpec::new("autoremove", ArgKind::Bool, "Remove unneeded dependencies.").default("false"),
        ArgSpec::new(
            "allowerasing",
            ArgKind::Bool,
            "Allow erasing conflicting packages.",
        )
        .default("false"),
        ArgSpec::new(
            "security",
            ArgKind::Bool,
            "Only security updates with latest.",
        )
        .default("false"),
        ArgSpec::new("bugfix", ArgKind::Bool, "Only bugfix updates with latest.").default("false"),
        ArgSpec::new("download_only", ArgKind::Bool, "Only download.").default("false"),
        ArgSpec::new(
            "install_weak_deps",
            ArgKind::Bool,
            "Install weak dependencies.",
        )
        .default("true"),
        ArgSpec::new("skip_broken", ArgKind::Bool, "Skip broken packages.").default("false"),
        ArgSpec::new("releasever", ArgKind::Str, "Release version."),
        ArgSpec::new(
            "lock_timeout",
            ArgKind::Int,
            "Seconds to wait for the lock.",
        )
        .default("30"),
        ArgSpec::new(
            "nobest",
            ArgKind::Bool,
            "Do not insist on the best candidate.",
        ),
        ArgSpec::new("cacheonly", ArgKind::Bool, "Use only the cache.").default("false"),
        ArgSpec::new(
            "use_backend",
            ArgKind::Str,
            "Backend (auto, dnf, yum, yum4, dnf4, dnf5).",
        )
        .default("\"auto\""),
    ],
    free_form: None,
    mutually_exclusive: &[&["name", "list"]],
    required_one_of: &[&["name", "list", "update_cache"]],
    controller_only: false,
    returns: &[
        ReturnSpec {
            name: "msg",
            returned: "always",
            doc: "Summary.",
        },
        ReturnSpec {
            name: "results",
            returned: "success",
            doc: "Lines like `Installed: nginx-1.20.1-1.el9.x86_64`.",
        },
        ReturnSpec {
            name: "rc",
            returned: "always",
            doc: "Exit status of dnf.",
        },
    ],
    examples: "- name: Install nginx\n  ansible.builtin.dnf:\n    name: nginx\n    state: latest\n",
};

fn state(args: &Args) -> &str {
    match args.str("state") {
        Some("installed") => "present",
        Some("removed") => "absent",
        Some(s) => s,
        None if args.bool("autoremove") => "absent",
        None => "present",
    }
}

/// Name of a package spec as rpm knows it (`nginx-1.20` keeps the whole spec: rpm -q accepts it).
fn probe(args: &Args, names: &[String]) -> ProbeScript {
    let q: Vec<String> = names.iter().map(|n| quote(n)).collect();
    let mut p = ProbeScript::new();
    p.prelude("export LANG=C LC_ALL=C");
    p.section("tool", "if command -v dnf >/dev/null 2>&1; then echo dnf; elif command -v yum >/dev/null 2>&1; then echo yum; fi; :");
    if !names.is_empty() {
        p.section("rpm", &format!("for n in {}; do rpm -q --qf \"$n\\t%{{NAME}}-%{{VERSION}}-%{{RELEASE}}.%{{ARCH}}\\n\" --whatprovides \"$n\" 2>/dev/null | head -n1 || printf '%s\\t\\n' \"$n\"; done; :", q.join(" ")));
        if state(args) == "latest" {
            p.section("upgrades", &format!("dnf -q list --upgrades -- {} 2>/dev/null || yum -q list updates -- {} 2>/dev/null; :", q.join(" "), q.join(" ")));
        }
    }
    p
}

/// Parses `name<TAB>nevra` lines (empty nevra = not installed).
fn parse_rpm(text: &str) -> Vec<(String, Option<String>)> {
    text.lines()
        .filter_map(|l| {
            let (n, v) = l.split_once('\t')?;
            let v = v.trim();
            Some((
                n.to_string(),
                (!v.is_empty() && !v.contains("is not installed") && !v.starts_with("no package"))
                    .then(|| v.to_string()),
            ))
        })
        .collect()
}

/// Package names with an update available, from `dnf list --upgrades`.
fn parse_upgrades(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with("Available") && !l.starts_with("Last metadata"))
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.rsplit_once('.').map(|(b, _)| b).unwrap_or(n).to_string())
        .collect()
}

fn plan_from(args: &Args, names: &[String], s: &Sections, host: &str) -> Result<Plan, ModuleError> {
    let tool = s.get("tool").map_err(ModuleError::Protocol)?.text();
    if tool.trim().is_empty() {
        return Err(ModuleError::Protocol(format!(
            "neither dnf nor yum was found on {host}"
        )));
    }
    let mut plan = Plan::default();
    let installed = s
        .opt("rpm")
        .map(|x| parse_rpm(&x.text()))
        .unwrap_or_default();
    let upgrades = s
        .opt("upgrades")
        .map(|x| parse_upgrades(&x.text()))
        .unwrap_or_default();
    let st = state(args);
    for n in names {
        let have = installed
            .iter()
            .find(|(k, _)| k == n)
            .and_then(|(_, v)| v.clone());
        let field = format!("package:{n}");
        match st {
            "present" if have.is_none() && !args.bool("update_only") => plan
                .changes
                .push(Change::new(field, Value::Null, "present")),
            "latest" if have.is_none() && !args.bool("update_only") => {
                plan.changes.push(Change::new(field, Value::Null, "latest"))
            }
            "latest" if have.is_some() && upgrades.iter().any(|u| u == n) => {
                plan.changes.push(Change::new(
                    field,
                    have.map(Value::from).unwrap_or(Value::Null),
                    "latest",
                ))
            }
            "absent" if have.is_some() => plan.changes.push(Change::new(
                field,
                have.map(Value::from).unwrap_or(Value::Null),
                Value::Null,
            )),
            _ => {}
        }
    }
    plan.values
        .insert("msg".into(), Value::from("Nothing to do"));
    plan.values.insert("rc".into(), Value::from(0));
    plan.values
        .insert("results".into(), Value::Array(Vec::new()));
    Ok(plan)
}

fn dnf_cmd(args: &Args, tool: &str) -> String {
    let mut s = format!("{tool} -y");
    for r in args.str_list("enablerepo") {
        s.push_str(&format!(" --enablerepo={}", quote(&r)));
    }
    for r in args.str_list("disablerepo") {
        s.push_str(&format!(" --disablerepo={}", quote(&r)));
    }
    for r in args.str_list("exclude") {
        s.push_str(&format!(" --exclude={}", quote(&r)));
    }
    if args.bool("disable_gpg_check") {
        s.push_str(" --nogpgcheck");
    }
    if args.bool("allowerasing") {
        s.push_str(" --allowerasing");
    }
    if args.bool("download_only") {
        s.push_str(" --downloadonly");
    }
    if let Some(c) = args.str("conf_file") {
        s.push_str(&format!(" -c {}", quote(c)));
    }
    if args.str("installroot").is_some_and(|r| r != "/") {
        s.push_str(&format!(
            " --installroot={}",
            quote(args.str("installroot").unwrap_or("/"))
        ));
    }
    s
}

#[async_trait]
impl Module for DnfModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let names = args.str_list("name");
        let p = probe(args, &names);
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let mut plan = plan_from(args, &names, &s, ctx.host.name())?;
        if args.bool("update_cache") && plan.changes.is_empty() && names.is_empty() {
            plan.changes
                .push(Change::new("cache", Value::Null, "refreshed"));
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let pkgs: Vec<String> = plan
            .changes
            .iter()
            .filter_map(|c| c.field.strip_prefix("package:").map(quote))
            .collect();
        let verb = match state(args) {
            "absent" => "remove",
            "latest" => "install --best",
            _ => "install",
        };
        let mut script = String::from(
            "export LANG=C LC_ALL=C\nt=$(command -v dnf >/dev/null 2>&1 && echo dnf || echo yum)\n",
        );
        let base = dnf_cmd(args, "$t");
        if args.bool("update_cache") {
            script.push_str(&format!("{base} makecache || exit $?\n"));
        }
        if !pkgs.is_empty() {
            let verb = if state(args) == "latest" && args.bool("update_only") {
                "upgrade"
            } else {
                verb
            };
            script.push_str(&format!("{base} {verb} -- {} || exit $?\n", pkgs.join(" ")));
        }
        if args.bool("autoremove") {
            script.push_str(&format!("{base} autoremove || exit $?\n"));
        }
        let out = ctx.host.run(Command::new(script)).await?;
        let stdout = out.stdout_str();
        let results: Vec<Value> = plan
            .changes
            .iter()
            .filter_map(|c| c.field.strip_prefix("package:"))
            .map(|n| {
                Value::from(format!(
                    "{}: {n}",
                    if verb == "remove" {
                        "Removed"
                    } else {
                        "Installed"
                    }
                ))
            })
            .collect();
        let mut values = Map::new();
        values.insert("rc".into(), Value::from(out.rc));
        values.insert("results".into(), Value::Array(results));
        if out.rc != 0 {
            values.insert("stdout".into(), Value::from(stdout));
            let mut o = Outcome::failed(out.stderr_str().trim().to_string());
            o.values = values;
            return Ok(o);
        }
        Ok(Outcome {
            changed: true,
            msg: Some(String::new()),
            values,
            diffs: plan.changes,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::Section;
    use serde_json::json;

    #[test]
    fn plans_from_rpm_and_upgrades() {
        let mut m = indexmap::IndexMap::new();
        m.insert(
            "tool".to_string(),
            Section {
                out: b"dnf\n".to_vec(),
                rc: 0,
            },
        );
        m.insert(
            "rpm".to_string(),
            Section {
                out: b"nginx\tnginx-1.20.1-1.el9.x86_64\ntree\t\n".to_vec(),
                rc: 0,
            },
        );
        m.insert(
            "upgrades".to_string(),
            Section {
                out: b"Available Upgrades\nnginx.x86_64  1:1.22.0-1.el9  appstream\n".to_vec(),
                rc: 0,
            },
        );
        let s = Sections(m);
        let names = vec!["nginx".to_string(), "tree".to_string()];
        let a = SPEC
            .validate(
                json!({"name": names, "state": "latest"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        let p = plan_from(&a, &names, &s, "h").unwrap();
        assert_eq!(p.changes.len(), 2);
        let a = SPEC
            .validate(
                json!({"name": names, "state": "installed"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        let p = plan_from(&a, &names, &s, "h").unwrap();
        assert_eq!(p.changes.len(), 1);
        assert_eq!(p.changes[0].field, "package:tree");
        let a = SPEC
            .validate(
                json!({"name": names, "state": "absent"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        let p = plan_from(&a, &names, &s, "h").unwrap();
        assert_eq!(p.changes[0].field, "package:nginx");
    }
}
