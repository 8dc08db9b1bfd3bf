//! `timezone` (community.general): the host's time zone and hardware-clock mode, through
//! `timedatectl` when systemd runs, else the /etc/localtime link and /etc/timezone. One probe
//! reads the current zone, the RTC mode and whether the wanted zone exists.

use async_trait::async_trait;

use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `timezone` module.
pub struct TimezoneModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "timezone",
    fqcn: &["community.general.timezone"],
    synopsis: "Configure timezone setting.",
    description: "Sets the system time zone (e.g. Etc/UTC, Europe/Paris) and whether the hardware \
                  clock keeps local time or UTC.",
    args: &[
        ArgSpec::new(
            "name",
            ArgKind::Str,
            "Time zone name, as under /usr/share/zoneinfo.",
        ),
        ArgSpec::new(
            "hwclock",
            ArgKind::Str,
            "Whether the hardware clock is in UTC or local time (UTC, local).",
        ),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[&["name", "hwclock"]],
    controller_only: false,
    returns: &[ReturnSpec {
        name: "diff",
        returned: "always",
        doc: "The time zone and hwclock before and after.",
    }],
    examples: "- community.general.timezone:\n    name: Europe/Paris\n",
};

/// Probe: `systemd|plain`, current zone, `local|UTC` RTC mode, `yes|no` for the wanted zone file.
const PROBE: &str = r#"if [ -d /run/systemd/system ] && command -v timedatectl >/dev/null 2>&1 && tz=$(timedatectl show -p Timezone --value 2>/dev/null); then
  echo systemd; echo "$tz"
  if [ "$(timedatectl show -p LocalRTC --value 2>/dev/null)" = yes ]; then echo local; else echo UTC; fi
else
  echo plain
  if [ -L /etc/localtime ]; then readlink /etc/localtime | sed 's|.*/zoneinfo/||'; elif [ -f /etc/timezone ]; then cat /etc/timezone; else echo; fi
  if grep -qs '^LOCAL' /etc/adjtime; then echo local; else echo UTC; fi
fi
if [ -n "$1" ] && [ -f "/usr/share/zoneinfo/$1" ]; then echo yes; else echo no; fi
"#;

/// The hwclock argument in Ansible's spelling (`UTC` or `local`), or an error.
fn hwclock_mode(arg: &str) -> Result<&'static str, ModuleError> {
    match arg.to_ascii_lowercase().as_str() {
        "utc" => Ok("UTC"),
        "local" => Ok("local"),
        _ => Err(ModuleError::Args(format!(
            "value of hwclock must be one of: local, UTC, got: {arg}"
        ))),
    }
}

#[async_trait]
impl Module for TimezoneModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let name = args.str("name");
        let hwclock = args.str("hwclock").map(hwclock_mode).transpose()?;
        let script = format!("set -- {}\n{PROBE}", quote(name.unwrap_or_default()));
        let out = ctx.host.run(Command::new(script)).await?;
        let text = out.stdout_str();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        let [how, zone, rtc, exists] = lines[..] else {
            return Err(ModuleError::Protocol(format!(
                "unexpected time zone probe output: {text}"
            )));
        };
        let mut plan = Plan::default();
        plan.values
            .insert("systemd".into(), Value::Bool(how == "systemd"));
        if let Some(name) = name {
            if exists != "yes" {
                return Ok(Plan::failed(
                    format!("given timezone \"{name}\" is not available"),
                    Map::new(),
                ));
            }
            if zone != name {
                plan.changes.push(Change::new("name", zone, name));
            }
        }
        if let Some(mode) = hwclock {
            if rtc != mode {
                plan.changes.push(Change::new("hwclock", rtc, mode));
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
        let systemd = plan.values.get("systemd") == Some(&Value::Bool(true));
        let mut script = String::from("set -e\n");
        for change in &plan.changes {
            match change.field.as_str() {
                "name" => {
                    let q = quote(args.str("name").unwrap_or_default());
                    if systemd {
                        script.push_str(&format!("timedatectl set-timezone {q}\n"));
                    } else {
                        script.push_str(&format!(
                            "ln -sf /usr/share/zoneinfo/{q} /etc/localtime\nprintf '%s\\n' {q} > /etc/timezone\n"
                        ));
                    }
                }
                "hwclock" => {
                    let local = args
                        .str("hwclock")
                        .map(hwclock_mode)
                        .transpose()?
                        .is_some_and(|m| m == "local");
                    if systemd {
                        script.push_str(&format!(
                            "timedatectl set-local-rtc {}\n",
                            if local { 1 } else { 0 }
                        ));
                    } else {
                        script.push_str(&format!(
                            "hwclock --systohc {}\n",
                            if local { "--localtime" } else { "--utc" }
                        ));
                    }
                }
                _ => {}
            }
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
        let mut values = plan.values;
        values.remove("systemd");
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
    use super::hwclock_mode;

    #[test]
    fn hwclock_accepts_ansible_spellings() {
        assert_eq!(hwclock_mode("UTC").ok(), Some("UTC"));
        assert_eq!(hwclock_mode("utc").ok(), Some("UTC"));
        assert_eq!(hwclock_mode("local").ok(), Some("local"));
        assert!(hwclock_mode("gmt").is_err());
    }
}
