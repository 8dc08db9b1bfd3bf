//! `wait_for_connection`: waits until the host answers again, for hosts that are still booting
//! or were rebooted by other means. Each try renews the connection and runs a trivial command on
//! the host (Ansible runs its `ping` module; rplay needs no Python, so a shell `echo` proves the
//! same round trip), every `sleep` seconds, until `timeout`. Skipped in check mode, as Ansible's.

use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::reboot::seconds;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `wait_for_connection` module.
pub struct WaitForConnectionModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "wait_for_connection",
    fqcn: &[
        "ansible.builtin.wait_for_connection",
        "ansible.legacy.wait_for_connection",
    ],
    synopsis: "Wait until a remote host is reachable and usable.",
    description: "Renews the connection and runs a command on the host until it succeeds or \
        `timeout` seconds have passed. Does nothing in check mode.",
    args: &[
        ArgSpec::new("connect_timeout", ArgKind::Int, "Seconds one connection attempt may take.")
            .default("5"),
        ArgSpec::new("delay", ArgKind::Int, "Seconds to wait before the first try.").default("0"),
        ArgSpec::new("sleep", ArgKind::Int, "Seconds between tries.").default("1"),
        ArgSpec::new("timeout", ArgKind::Int, "Seconds to wait in all.").default("600"),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[ReturnSpec {
        name: "elapsed",
        returned: "always",
        doc: "Whole seconds spent waiting.",
    }],
    examples: "- name: Wait for the hosts to come up\n  ansible.builtin.wait_for_connection:\n    delay: 5\n    timeout: 300\n",
};

/// One try: a renewed connection that runs `echo pong`.
async fn try_once(ctx: &Context<'_>, connect_timeout: Duration) -> Result<(), String> {
    ctx.host
        .reconnect(Some(connect_timeout))
        .await
        .map_err(|e| e.to_string())?;
    let out = ctx
        .host
        .run(Command::new("echo pong"))
        .await
        .map_err(|e| e.to_string())?;
    if out.rc == 0 && out.stdout_str().trim() == "pong" {
        Ok(())
    } else {
        Err("ping test failed".into())
    }
}

#[async_trait]
impl Module for WaitForConnectionModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn supports_async(&self) -> bool {
        false
    }

    fn reaches_host_itself(&self) -> bool {
        true
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        if ctx.check_mode {
            return Ok(Plan {
                finished: Some(Outcome {
                    skipped: true,
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        let start = Instant::now();
        let delay = seconds(args, "delay");
        if delay > 0 {
            tokio::time::sleep(Duration::from_secs(delay)).await;
        }
        let deadline = start + Duration::from_secs(delay + seconds(args, "timeout"));
        let connect_timeout = Duration::from_secs(seconds(args, "connect_timeout").max(1));
        let pause = Duration::from_secs(seconds(args, "sleep"));
        let failure = loop {
            match try_once(ctx, connect_timeout).await {
                Ok(()) => break None,
                Err(e) => {
                    tokio::time::sleep(pause).await;
                    if Instant::now() >= deadline {
                        break Some(e);
                    }
                }
            }
        };
        let mut values = Map::new();
        values.insert("elapsed".into(), Value::from(start.elapsed().as_secs()));
        let mut outcome = Outcome {
            values,
            ..Default::default()
        };
        if let Some(e) = failure {
            outcome.failed = true;
            outcome.msg = Some(format!("timed out waiting for ping module test: {e}"));
        }
        Ok(Plan {
            finished: Some(outcome),
            ..Default::default()
        })
    }
}
