//! `fail`: fails the task with a message. Runs on the controller.

use async_trait::async_trait;

use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `fail` module.
pub struct FailModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "fail",
    fqcn: &["ansible.builtin.fail", "ansible.legacy.fail"],
    synopsis: "Fail with a message.",
    description: "Always fails; usually guarded by `when`.",
    args: &[ArgSpec::new("msg", ArgKind::Raw, "The message.").default("\"Failed as requested from task\"")],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: true,
    returns: &[ReturnSpec { name: "msg", returned: "always", doc: "The message." }],
    examples: "- ansible.builtin.fail:\n    msg: \"app_port must be set\"\n  when: app_port is not defined\n",
};

fn result(args: &Args) -> Map {
    let mut m = Map::new();
    m.insert("failed".into(), Value::Bool(true));
    m.insert(
        "msg".into(),
        args.get("msg")
            .cloned()
            .unwrap_or(Value::String("Failed as requested from task".into())),
    );
    m
}

#[async_trait]
impl Module for FailModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    /// The result carries `failed: true`; the task fails with `msg`.
    async fn plan(&self, args: &Args, _ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        Ok(Plan::unchanged(result(args)))
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        _ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let mut values = result(args);
        values.shift_remove("failed");
        let msg = values.get("msg").map(crate::spec::value_to_string);
        Ok(Outcome {
            failed: true,
            msg,
            values,
            ..Default::default()
        })
    }
}
