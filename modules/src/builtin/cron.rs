//! `cron`: named cron jobs (marked by a `#Ansible: NAME` line) and environment variables in a
//! user's crontab or in a file under /etc/cron.d. One probe reads the crontab; the plan carries
//! the whole new text (for `--diff`); apply installs it with `crontab -` or writes the file.

use async_trait::async_trait;

use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{
    Args, Change, Command, Content, Context, FileAttrs, Module, ModuleError, Outcome, Plan,
    TextDiff, Value,
};

/// The `cron` module.
pub struct CronModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "cron",
    fqcn: &["ansible.builtin.cron", "ansible.legacy.cron"],
    synopsis: "Manage cron.d and crontab entries.",
    description: "Creates, changes, disables and removes named cron jobs and environment variables.",
    args: &[
        ArgSpec::new("name", ArgKind::Str, "Job (or variable) name; the `#Ansible:` marker.").required(),
        ArgSpec::new("user", ArgKind::Str, "Whose crontab (also the user column in cron_file)."),
        ArgSpec::new("job", ArgKind::Str, "The command (or the variable's value with env).").aliases(&["value"]),
        ArgSpec::new("state", ArgKind::Str, "present or absent.").default("\"present\"").choices(&["absent", "present"]),
        ArgSpec::new("cron_file", ArgKind::Path, "A file in /etc/cron.d instead of a crontab."),
        ArgSpec::new("backup", ArgKind::Bool, "Keep a backup of the crontab.").default("false"),
        ArgSpec::new("minute", ArgKind::Str, "Minute.").default("\"*\""),
        ArgSpec::new("hour", ArgKind::Str, "Hour.").default("\"*\""),
        ArgSpec::new("day", ArgKind::Str, "Day of month.").default("\"*\"").aliases(&["dom"]),
        ArgSpec::new("month", ArgKind::Str, "Month.").default("\"*\""),
        ArgSpec::new("weekday", ArgKind::Str, "Day of week.").default("\"*\"").aliases(&["dow"]),
        ArgSpec::new("special_time", ArgKind::Str, "Instead of the time fields.")
            .choices(&["annually", "daily", "hourly", "monthly", "reboot", "weekly", "yearly"]),
        ArgSpec::new("disabled", ArgKind::Bool, "Comment the job out.").default("false"),
        ArgSpec::new("env", ArgKind::Bool, "Manage an environment variable instead of a job.").default("false"),
        ArgSpec::new("insertafter", ArgKind::Str, "With env: insert after this variable."),
        ArgSpec::new("insertbefore", ArgKind::Str, "With env: insert before this variable."),
    ],
    free_form: None,
    mutually_exclusive: &[&["insertafter", "insertbefore"], &["special_time", "minute"]],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "jobs", returned: "success", doc: "Names of the managed jobs in the crontab." },
        ReturnSpec { name: "envs", returned: "success", doc: "Names of the environment variables in the crontab." },
    ],
    examples: "- ansible.builtin.cron:\n    name: check dirs\n    minute: \"0\"\n    hour: \"5,2\"\n    job: ls -alh > /dev/null\n",
};

const MARK: &str = "#Ansible: ";

/// The job line the task wants.
fn job_line(args: &Args) -> String {
    let job = args.str("job").unwrap_or_default();
    let user = args
        .str("cron_file")
        .and(args.str("user"))
        .map(|u| format!("{u} "))
        .unwrap_or_default();
    let time = match args.str("special_time") {
        Some(s) => format!("@{s}"),
        None => ["minute", "hour", "day", "month", "weekday"]
            .iter()
            .map(|f| args.str(f).unwrap_or("*").to_string())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let line = format!("{time} {user}{job}");
    if args.bool("disabled") {
        format!("#{line}")
    } else {
        line
    }
}

/// The crontab text after the task (pure).
pub(crate) fn rewrite(text: &str, args: &Args) -> String {
    let name = args.str("name").unwrap_or_default();
    let present = args.str("state") != Some("absent");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if args.bool("env") {
        let want = format!("{name}={}", args.str("job").unwrap_or_default());
        let pos = lines
            .iter()
            .position(|l| l.split_once('=').is_some_and(|(k, _)| k.trim() == name));
        match (pos, present) {
            (Some(i), true) => lines[i] = want,
            (Some(i), false) => {
                lines.remove(i);
            }
            (None, true) => {
                let at = if let Some(a) = args.str("insertafter") {
                    lines
                        .iter()
                        .position(|l| l.split_once('=').is_some_and(|(k, _)| k.trim() == a))
                        .map(|i| i + 1)
                        .unwrap_or(0)
                } else if let Some(b) = args.str("insertbefore") {
                    lines
                        .iter()
                        .position(|l| l.split_once('=').is_some_and(|(k, _)| k.trim() == b))
                        .unwrap_or(0)
                } else {
                    0
                };
                lines.insert(at, want);
            }
            (None, false) => {}
        }
    } else {
        let marker = format!("{MARK}{name}");
        let pos = lines.iter().position(|l| l.trim_end() == marker);
        match (pos, present) {
            (Some(i), true) => {
                if i + 1 < lines.len() {
                    lines[i + 1] = job_line(args);
                } else {
                    lines.push(job_line(args));
                }
            }
            (Some(i), false) => {
                lines.remove(i);
                if i < lines.len() {
                    lines.remove(i);
                }
            }
            (None, true) => {
                lines.push(marker);
                lines.push(job_line(args));
            }
            (None, false) => {}
        }
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn names(text: &str) -> (Vec<Value>, Vec<Value>) {
    let jobs = text
        .lines()
        .filter_map(|l| l.strip_prefix(MARK))
        .map(|n| Value::from(n.trim_end()))
        .collect();
    let envs = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (k, _) = l.split_once('=')?;
            let k = k.trim();
            (!k.contains(' ') && !k.is_empty()).then(|| Value::from(k))
        })
        .collect();
    (jobs, envs)
}

fn cron_path(file: &str) -> String {
    if file.starts_with('/') {
        file.to_string()
    } else {
        format!("/etc/cron.d/{file}")
    }
}

#[async_trait]
impl Module for CronModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let present = args.str("state") != Some("absent");
        if present && args.get("job").is_none() {
            return Err(ModuleError::Args(
                "You must specify 'job' to install a new cron job or variable".into(),
            ));
        }
        if args.str("cron_file").is_some()
            && args.str("user").is_none()
            && present
            && !args.bool("env")
        {
            return Err(ModuleError::Args(
                "To use cron_file=... parameter you must specify user=... as well".into(),
            ));
        }
        let script = match args.str("cron_file") {
            Some(f) => format!("cat -- {} 2>/dev/null; :", quote(&cron_path(f))),
            None => match args.str("user") {
                Some(u) => format!("command -v crontab >/dev/null 2>&1 || exit 127; crontab -l -u {} 2>/dev/null; :", quote(u)),
                None => "command -v crontab >/dev/null 2>&1 || exit 127; crontab -l 2>/dev/null; :".to_string(),
            },
        };
        let out = ctx.host.run(Command::new(script)).await?;
        if out.rc == 127 {
            return Err(ModuleError::Protocol(format!(
                "crontab was not found on {}: install cron, or use cron_file",
                ctx.host.name()
            )));
        }
        let before = out.stdout_str();
        let after = rewrite(&before, args);
        let mut plan = Plan::default();
        let header = args.str("cron_file").map(cron_path).unwrap_or_else(|| {
            format!(
                "crontab of {}",
                args.str("user").unwrap_or("the login user")
            )
        });
        if before != after {
            plan.changes
                .push(
                    Change::new("crontab", Value::Null, Value::Null).with_text(TextDiff {
                        before_header: header.clone(),
                        after_header: header,
                        before,
                        after: after.clone(),
                    }),
                );
        }
        let (jobs, envs) = names(&after);
        plan.values.insert("jobs".into(), Value::Array(jobs));
        plan.values.insert("envs".into(), Value::Array(envs));
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
        if let Some(f) = args.str("cron_file") {
            let path = cron_path(f);
            if text.after.trim().is_empty() {
                ctx.host
                    .run(Command::new(format!("rm -f -- {}", quote(&path))))
                    .await?;
            } else {
                let attrs = FileAttrs {
                    mode: Some("0644".into()),
                    ..Default::default()
                };
                ctx.host
                    .put_file(&path, Content::Bytes(text.after.into_bytes()), &attrs)
                    .await?;
            }
        } else {
            let u = args
                .str("user")
                .map(|u| format!(" -u {}", quote(u)))
                .unwrap_or_default();
            let mut cmd = Command::new(format!("crontab{u} -"));
            cmd.stdin = Some(text.after.into_bytes());
            let out = ctx.host.run(cmd).await?;
            if out.rc != 0 {
                return Ok(Outcome::failed(format!(
                    "crontab failed: {}",
                    out.stderr_str().trim()
                )));
            }
        }
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
    fn jobs_and_envs() {
        let a = args(
            json!({"name": "backup", "minute": "0", "hour": "5", "job": "/usr/local/bin/backup"}),
        );
        let t = rewrite("", &a);
        assert_eq!(t, "#Ansible: backup\n0 5 * * * /usr/local/bin/backup\n");
        assert_eq!(rewrite(&t, &a), t);
        let b = args(
            json!({"name": "backup", "special_time": "daily", "job": "/usr/local/bin/backup", "disabled": true}),
        );
        assert_eq!(
            rewrite(&t, &b),
            "#Ansible: backup\n#@daily /usr/local/bin/backup\n"
        );
        let c = args(json!({"name": "backup", "state": "absent"}));
        assert_eq!(rewrite(&t, &c), "");
        let e = args(json!({"name": "MAILTO", "job": "ops@example.com", "env": true}));
        assert_eq!(
            rewrite(&t, &e),
            "MAILTO=ops@example.com\n#Ansible: backup\n0 5 * * * /usr/local/bin/backup\n"
        );
        let f = args(json!({"name": "x", "job": "true", "user": "root", "cron_file": "rplay"}));
        assert_eq!(rewrite("", &f), "#Ansible: x\n* * * * * root true\n");
        assert_eq!(
            names("MAILTO=a\n#Ansible: x\n* * * * * true\n").0,
            vec![json!("x")]
        );
    }
}
