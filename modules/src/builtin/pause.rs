//! `pause`: waits a number of seconds or minutes on the controller. A `prompt` without a duration
//! does not wait for input (rplay runs non-interactively, as Ansible does when stdin is not a
//! terminal) and reports an empty `user_input`.

use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::timestamp::format_time;
use crate::{Args, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `pause` module.
pub struct PauseModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "pause",
    fqcn: &["ansible.builtin.pause", "ansible.legacy.pause"],
    synopsis: "Wait for a while.",
    description:
        "Sleeps `seconds` or `minutes` on the controller. A prompt without a duration does not \
        wait: stdin is not interactive.",
    args: &[
        ArgSpec::new("seconds", ArgKind::Float, "Seconds to wait."),
        ArgSpec::new("minutes", ArgKind::Float, "Minutes to wait."),
        ArgSpec::new("prompt", ArgKind::Str, "Text shown while waiting."),
        ArgSpec::new("echo", ArgKind::Bool, "Echo typed input.").default("true"),
    ],
    free_form: None,
    mutually_exclusive: &[&["minutes", "seconds"]],
    required_one_of: &[],
    controller_only: true,
    returns: &[
        ReturnSpec {
            name: "start",
            returned: "always",
            doc: "When the pause started.",
        },
        ReturnSpec {
            name: "stop",
            returned: "always",
            doc: "When it ended.",
        },
        ReturnSpec {
            name: "delta",
            returned: "always",
            doc: "Seconds paused.",
        },
        ReturnSpec {
            name: "user_input",
            returned: "always",
            doc: "Typed input (empty).",
        },
        ReturnSpec {
            name: "stdout",
            returned: "always",
            doc: "`Paused for N seconds`.",
        },
        ReturnSpec {
            name: "echo",
            returned: "always",
            doc: "The echo setting.",
        },
    ],
    examples: "- name: Let the service settle\n  ansible.builtin.pause:\n    seconds: 5\n",
};

fn seconds_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

async fn run(args: &Args) -> Map {
    let (duration, stdout) = match (args.get("seconds"), args.get("minutes")) {
        (Some(s), _) => {
            let secs = seconds_of(s);
            (secs, format!("Paused for {} seconds", trim_float(secs)))
        }
        (None, Some(m)) => {
            let mins = seconds_of(m);
            (
                mins * 60.0,
                format!("Paused for {} minutes", trim_float(mins)),
            )
        }
        (None, None) => (0.0, "Paused for 0.0 seconds".to_string()),
    };
    let start_wall = SystemTime::now();
    let start = Instant::now();
    if duration > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(duration)).await;
    }
    let elapsed = start.elapsed();
    let mut m = Map::new();
    m.insert("start".into(), Value::String(format_time(start_wall)));
    m.insert("stop".into(), Value::String(format_time(SystemTime::now())));
    m.insert("delta".into(), Value::from(elapsed.as_secs()));
    m.insert("user_input".into(), Value::String(String::new()));
    m.insert("stdout".into(), Value::String(stdout));
    m.insert(
        "echo".into(),
        Value::Bool(args.get("echo").and_then(Value::as_bool).unwrap_or(true)),
    );
    m
}

fn trim_float(f: f64) -> String {
    if f.fract() == 0.0 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[async_trait]
impl Module for PauseModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, _ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        Ok(Plan::unchanged(run(args).await))
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        _ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        Ok(Outcome::ok(run(args).await))
    }
}
