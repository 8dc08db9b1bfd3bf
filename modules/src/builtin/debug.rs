//! `debug`: prints a message or the value of a variable/expression. Runs on the controller and
//! never changes anything.

use async_trait::async_trait;

use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `debug` module.
pub struct DebugModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "debug",
    fqcn: &["ansible.builtin.debug", "ansible.legacy.debug"],
    synopsis: "Print a message or a variable's value.",
    description: "`msg` is shown as it is (any type); `var` is a variable name or expression, evaluated \
        and returned under its own text as key (`<< error 1 - <why> >>` when it cannot be evaluated).",
    args: &[
        // No declared default: an explicit `msg: null` is shown as null, only an absent msg is
        // replaced by "Hello world!".
        ArgSpec::new("msg", ArgKind::Raw, "The message (any type); \"Hello world!\" when absent."),
        ArgSpec::new("var", ArgKind::Str, "A variable name or expression to show."),
        ArgSpec::new("verbosity", ArgKind::Int, "Only show at this -v level or above.").default("0"),
    ],
    free_form: None,
    mutually_exclusive: &[&["msg", "var"]],
    required_one_of: &[],
    controller_only: true,
    returns: &[
        ReturnSpec { name: "msg", returned: "with msg", doc: "The message." },
        ReturnSpec { name: "<var>", returned: "with var", doc: "The value, keyed by the var text." },
    ],
    examples: "- ansible.builtin.debug:\n    msg: \"Host {{ inventory_hostname }} runs {{ ansible_facts.distribution }}\"\n\n\
        - ansible.builtin.debug:\n    var: result.stdout_lines\n",
};

/// The result of a debug task.
fn result(args: &Args, ctx: &Context<'_>) -> Map {
    let mut m = Map::new();
    if let Some(var) = args.str("var") {
        let value = match ctx.controller.eval(var) {
            Ok(v) => v,
            // ansible-core 2.19 shows the failure in place of the value.
            Err(e) => Value::String(format!("<< error 1 - {e} >>")),
        };
        m.insert(var.to_string(), value);
    } else {
        m.insert(
            "msg".into(),
            args.0
                .get("msg")
                .cloned()
                .unwrap_or(Value::String("Hello world!".into())),
        );
    }
    m
}

#[async_trait]
impl Module for DebugModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        Ok(Plan::unchanged(result(args, ctx)))
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        Ok(Outcome::ok(result(args, ctx)))
    }
}
