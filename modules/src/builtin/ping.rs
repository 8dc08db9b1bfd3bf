//! `ping`: checks that the host answers and can run a shell script (Ansible's ping checks a
//! usable Python; rplay needs none). Returns `ping: pong` or the given `data`; `data: crash` fails.

use async_trait::async_trait;

use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Map, Module, ModuleError, Plan, Value};

/// The `ping` module.
pub struct PingModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "ping",
    fqcn: &["ansible.builtin.ping", "ansible.legacy.ping"],
    synopsis: "Try to connect to host, verify a usable shell and return pong.",
    description:
        "A trivial test module: one round trip running `echo`. `data: crash` makes it fail.",
    args: &[ArgSpec::new("data", ArgKind::Str, "Data to return as `ping`.").default("\"pong\"")],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[ReturnSpec {
        name: "ping",
        returned: "success",
        doc: "The `data` argument (pong).",
    }],
    examples: "- name: Check the hosts answer\n  ansible.builtin.ping:\n",
};

#[async_trait]
impl Module for PingModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let data = args.str("data").unwrap_or("pong");
        if data == "crash" {
            return Err(ModuleError::Protocol("boom".into()));
        }
        let out = ctx.host.run(Command::new("echo pong")).await?;
        if out.rc != 0 || out.stdout_str().trim() != "pong" {
            return Err(ModuleError::Protocol(format!(
                "the host's shell did not answer: {}",
                out.stderr_str().trim()
            )));
        }
        let mut values = Map::new();
        values.insert("ping".into(), Value::from(data));
        Ok(Plan::unchanged(values))
    }
}
