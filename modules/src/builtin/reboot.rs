//! `reboot`: reboots the host and waits until it is back. The host's boot id (the
//! `boot_time_command`) is read, the reboot command started, then the connection is renewed and
//! the boot id read again until it changes, and the `test_command` run until it succeeds, all
//! within `reboot_timeout`. It decides and acts in one call; check mode only says it would
//! reboot, as Ansible's does.

use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Host, HostError, Map, Module, ModuleError, Outcome, Plan};
use crate::{Output, Value};

/// The `reboot` module.
pub struct RebootModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "reboot",
    fqcn: &["ansible.builtin.reboot", "ansible.legacy.reboot"],
    synopsis: "Reboot a machine.",
    description: "Reboots the host, waits for it to come back with a new boot id and checks it \
        answers `test_command`. Refused on the controller itself (`connection: local`).",
    args: &[
        ArgSpec::new(
            "reboot_timeout",
            ArgKind::Int,
            "Seconds to wait for the host to come back and pass the test command.",
        )
        .default("600")
        .aliases(&["reboot_timeout_sec"]),
        ArgSpec::new(
            "connect_timeout",
            ArgKind::Int,
            "Seconds each connection attempt may take while waiting.",
        )
        .aliases(&["connect_timeout_sec"]),
        ArgSpec::new(
            "pre_reboot_delay",
            ArgKind::Int,
            "Seconds before rebooting (given to `shutdown` in whole minutes).",
        )
        .default("0")
        .aliases(&["pre_reboot_delay_sec"]),
        ArgSpec::new(
            "post_reboot_delay",
            ArgKind::Int,
            "Seconds to wait after the reboot command before checking the host.",
        )
        .default("0")
        .aliases(&["post_reboot_delay_sec"]),
        ArgSpec::new(
            "test_command",
            ArgKind::Str,
            "Command that must succeed after the reboot.",
        )
        .default("\"whoami\""),
        ArgSpec::new("msg", ArgKind::Str, "Message shown to logged-in users.")
            .default("\"Reboot initiated by Ansible\""),
        ArgSpec::new(
            "reboot_command",
            ArgKind::Str,
            "Command that reboots (default: `shutdown -r` found in `search_paths`).",
        ),
        ArgSpec::new(
            "boot_time_command",
            ArgKind::Str,
            "Command whose output changes with every boot.",
        )
        .default("\"cat /proc/sys/kernel/random/boot_id\""),
        ArgSpec::new(
            "search_paths",
            ArgKind::List,
            "Directories searched for `shutdown`.",
        )
        .elements(ArgKind::Str)
        .default("[\"/sbin\", \"/bin\", \"/usr/sbin\", \"/usr/bin\", \"/usr/local/sbin\"]"),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec {
            name: "rebooted",
            returned: "always",
            doc: "Whether the host was rebooted.",
        },
        ReturnSpec {
            name: "elapsed",
            returned: "always",
            doc: "Seconds the reboot took.",
        },
    ],
    examples: "- name: Reboot and wait\n  ansible.builtin.reboot:\n    reboot_timeout: 300\n",
};

/// A whole-seconds argument (negative counts as 0); shared with `wait_for_connection`.
pub(crate) fn seconds(args: &Args, name: &str) -> u64 {
    args.int(name).unwrap_or(0).max(0) as u64
}

/// The finished result: `changed`, `failed`, `msg` as given, then `rebooted` and `elapsed`.
fn result(changed: bool, rebooted: bool, elapsed: u64, failure: Option<String>) -> Plan {
    let mut values = Map::new();
    values.insert("rebooted".into(), Value::Bool(rebooted));
    values.insert("elapsed".into(), Value::from(elapsed));
    let mut outcome = Outcome {
        changed,
        values,
        ..Default::default()
    };
    if let Some(msg) = failure {
        outcome.failed = true;
        outcome.msg = Some(msg);
    }
    Plan {
        finished: Some(outcome),
        ..Default::default()
    }
}

/// Runs `cmd` once on a renewed connection.
async fn try_after_reconnect(
    host: &dyn Host,
    cmd: &str,
    connect_timeout: Option<Duration>,
) -> Result<Output, HostError> {
    host.reconnect(connect_timeout).await?;
    host.run(Command::new(cmd)).await
}

#[async_trait]
impl Module for RebootModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    /// Like Ansible's `reboot` action, which does not support async.
    fn supports_async(&self) -> bool {
        false
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        if ctx.host.is_controller() {
            return Ok(result(
                false,
                false,
                0,
                Some("Running reboot with local connection would reboot the control node.".into()),
            ));
        }
        if ctx.check_mode {
            return Ok(result(true, true, 0, None));
        }
        let start = Instant::now();
        let elapsed = || start.elapsed().as_secs();
        let boot_cmd = args
            .str("boot_time_command")
            .unwrap_or("cat /proc/sys/kernel/random/boot_id");
        let before = ctx.host.run(Command::new(boot_cmd)).await?;
        if before.rc != 0 {
            return Ok(result(
                false,
                false,
                elapsed(),
                Some(format!(
                    "failed to get host boot time info, rc: {}, stdout: {}, stderr: {}",
                    before.rc,
                    before.stdout_str(),
                    before.stderr_str()
                )),
            ));
        }
        let boot_before = before.stdout_str().trim().to_string();
        let reboot_cmd = match args.str("reboot_command") {
            Some(c) => c.to_string(),
            None => {
                let paths = args.str_list("search_paths");
                let words: Vec<String> = paths.iter().map(|p| quote(p)).collect();
                let find = format!(
                    "for d in {}; do if [ -x \"$d/shutdown\" ]; then echo \"$d/shutdown\"; exit 0; fi; done; exit 1",
                    words.join(" ")
                );
                let found = ctx.host.run(Command::new(find)).await?;
                if found.rc != 0 {
                    let listed: Vec<String> = paths.iter().map(|p| format!("'{p}'")).collect();
                    return Ok(result(
                        false,
                        false,
                        elapsed(),
                        Some(format!(
                            "Unable to find command \"shutdown\" in search paths: [{}]",
                            listed.join(", ")
                        )),
                    ));
                }
                format!(
                    "{} -r {} {}",
                    quote(found.stdout_str().trim()),
                    seconds(args, "pre_reboot_delay") / 60,
                    quote(args.str("msg").unwrap_or("Reboot initiated by Ansible"))
                )
            }
        };
        match ctx.host.run(Command::new(reboot_cmd)).await {
            Ok(out) if out.rc != 0 => {
                return Ok(result(
                    false,
                    false,
                    elapsed(),
                    Some(format!(
                        "Reboot command failed. Error was: '{}, {}'",
                        out.stdout_str().trim(),
                        out.stderr_str().trim()
                    )),
                ));
            }
            // The connection dropping under the reboot command is the reboot under way.
            Ok(_) | Err(HostError::Unreachable(_)) | Err(HostError::Io(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let post = seconds(args, "post_reboot_delay");
        if post > 0 {
            tokio::time::sleep(Duration::from_secs(post)).await;
        }
        let deadline = start + Duration::from_secs(seconds(args, "reboot_timeout"));
        let connect_timeout = args
            .int("connect_timeout")
            .map(|s| Duration::from_secs(s.max(1) as u64));
        let test_cmd = args.str("test_command").unwrap_or("whoami");
        for (what, cmd) in [
            ("last boot time check", boot_cmd),
            ("post-reboot test command", test_cmd),
        ] {
            let mut pause = Duration::from_secs(1);
            loop {
                let done = match try_after_reconnect(ctx.host, cmd, connect_timeout).await {
                    Ok(out) if out.rc == 0 => {
                        what != "last boot time check" || out.stdout_str().trim() != boot_before
                    }
                    _ => false,
                };
                if done {
                    break;
                }
                if Instant::now() + pause > deadline {
                    return Ok(result(
                        false,
                        true,
                        elapsed(),
                        Some(format!(
                            "Timed out waiting for {what} (timeout={})",
                            seconds(args, "reboot_timeout")
                        )),
                    ));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(12));
            }
        }
        Ok(result(true, true, elapsed(), None))
    }
}
