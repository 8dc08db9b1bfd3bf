//! `assert`: evaluates conditions on the controller and fails on the first one that is false.

use async_trait::async_trait;

use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `assert` module.
pub struct AssertModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "assert",
    fqcn: &["ansible.builtin.assert", "ansible.legacy.assert"],
    synopsis: "Check that expressions are true.",
    description: "Each item of `that` is a Jinja2 expression (without braces) that must be true; the first \
        false one fails the task with `fail_msg`.",
    args: &[
        ArgSpec::new("that", ArgKind::Raw, "An expression or a list of them.").required(),
        ArgSpec::new("fail_msg", ArgKind::Raw, "Message when an assertion fails.").aliases(&["msg"]),
        ArgSpec::new("success_msg", ArgKind::Raw, "Message when all pass."),
        ArgSpec::new("quiet", ArgKind::Bool, "Show less output.").default("false"),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: true,
    returns: &[
        ReturnSpec { name: "msg", returned: "always", doc: "`All assertions passed`, or the failure message." },
        ReturnSpec { name: "assertion", returned: "failure", doc: "The expression that was false." },
        ReturnSpec { name: "evaluated_to", returned: "failure", doc: "What it evaluated to." },
    ],
    examples: "- ansible.builtin.assert:\n    that:\n      - app_port | int > 1024\n      - app_user != 'root'\n    fail_msg: \"bad settings\"\n",
};

fn conditions(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().map(crate::spec::value_to_string).collect(),
        other => vec![crate::spec::value_to_string(other)],
    }
}

/// Evaluates the conditions: the result map (with `failed: true` on a false one).
fn result(args: &Args, ctx: &Context<'_>) -> Result<Map, ModuleError> {
    let mut m = Map::new();
    for cond in conditions(args.get("that").unwrap_or(&Value::Null)) {
        let value = ctx.controller.eval(&cond).map_err(|e| {
            ModuleError::Failed(format!(
                "The conditional check '{cond}' failed. The error was: {e}"
            ))
        })?;
        let truth = match value {
            Value::Bool(b) => b,
            other => {
                return Err(ModuleError::Failed(format!(
                    "Conditional result ({}) was derived from value of type '{}' at '{cond}'. Conditionals must have a boolean result.",
                    crate::spec::value_to_string(&other),
                    match other {
                        Value::Null => "NoneType",
                        Value::Number(_) => "int",
                        Value::String(_) => "str",
                        Value::Array(_) => "list",
                        Value::Object(_) => "dict",
                        Value::Bool(_) => "bool",
                    }
                )))
            }
        };
        if !truth {
            // Ansible's key order: failed, evaluated_to, assertion, msg.
            m.insert("failed".into(), Value::Bool(true));
            m.insert("evaluated_to".into(), Value::Bool(false));
            m.insert("assertion".into(), Value::String(cond));
            m.insert(
                "msg".into(),
                args.get("fail_msg")
                    .cloned()
                    .unwrap_or(Value::String("Assertion failed".into())),
            );
            return Ok(m);
        }
    }
    m.insert("changed".into(), Value::Bool(false));
    m.insert(
        "msg".into(),
        args.get("success_msg")
            .cloned()
            .unwrap_or(Value::String("All assertions passed".into())),
    );
    Ok(m)
}

#[async_trait]
impl Module for AssertModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        Ok(Plan::unchanged(result(args, ctx)?))
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let mut values = result(args, ctx)?;
        let failed = values.shift_remove("failed").is_some();
        let msg = values.get("msg").map(crate::spec::value_to_string);
        Ok(Outcome {
            failed,
            msg,
            values,
            ..Default::default()
        })
    }
}
