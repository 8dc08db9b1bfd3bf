//! `raw`: sends a command line to the host as it is, without any wrapper (used to bootstrap hosts).
//! Always changed when it runs; not run in check mode.

use async_trait::async_trait;

use super::command::{run_and_report, run_plan, RUN_RETURNS};
use super::shell::shell_script;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec};
use crate::{Args, Context, Module, ModuleError, Outcome, Plan, Value};

/// The `raw` module.
pub struct RawModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "raw",
    fqcn: &["ansible.builtin.raw", "ansible.legacy.raw"],
    synopsis: "Run a command line on the host without a module wrapper.",
    description: "The free-form text runs with the login shell's `/bin/sh` (or `executable`). Output is \
        returned as it is (no trailing-newline stripping). Always changed; skipped in check mode.",
    args: &[
        ArgSpec::new("_raw_params", ArgKind::Str, "The command line (the free-form text).").required(),
        ArgSpec::new("executable", ArgKind::Path, "The shell to run the command with."),
    ],
    free_form: Some("_raw_params"),
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: RUN_RETURNS,
    examples: "- name: Bootstrap a host\n  ansible.builtin.raw: test -e /usr/bin/python3 || (apt-get -y update && apt-get install -y python3)\n",
};

#[async_trait]
impl Module for RawModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    /// Like Ansible's `raw` action, which does not support async.
    fn supports_async(&self) -> bool {
        false
    }

    async fn plan(&self, args: &Args, _ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        Ok(run_plan(Value::String(
            args.str("_raw_params").unwrap_or_default().to_string(),
        )))
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let cmd = args.str("_raw_params").unwrap_or_default();
        let script = match args.str("executable") {
            Some(exe) => shell_script(cmd, Some(exe), None),
            None => cmd.to_string(),
        };
        let mut outcome =
            run_and_report(ctx, script, None, Value::String(cmd.to_string()), false).await?;
        // raw reports only rc and output.
        for k in ["cmd", "start", "end", "delta", "msg"] {
            outcome.values.shift_remove(k);
        }
        Ok(outcome)
    }
}
