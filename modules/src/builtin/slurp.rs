//! `slurp`: reads a file from the host and returns it base64-encoded. Never changes anything.

use async_trait::async_trait;
use base64::Engine;

use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Context, HostError, Map, Module, ModuleError, Plan, Value};

/// The `slurp` module.
pub struct SlurpModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "slurp",
    fqcn: &["ansible.builtin.slurp", "ansible.legacy.slurp"],
    synopsis: "Read a file from the host (base64).",
    description: "Returns `content` (base64), `encoding` and `source`; decode with `b64decode`.",
    args: &[ArgSpec::new("src", ArgKind::Path, "The file to read.").required().aliases(&["path"])],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "content", returned: "success", doc: "The contents, base64-encoded." },
        ReturnSpec { name: "encoding", returned: "success", doc: "`base64`." },
        ReturnSpec { name: "source", returned: "success", doc: "The file read." },
    ],
    examples: "- ansible.builtin.slurp:\n    src: /etc/machine-id\n  register: mid\n\n- ansible.builtin.debug:\n    msg: \"{{ mid.content | b64decode }}\"\n",
};

#[async_trait]
impl Module for SlurpModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let src = args.str("src").unwrap_or_default();
        let bytes = match ctx.host.get_file(src).await {
            Ok(b) => b,
            Err(HostError::Io(e)) => {
                let msg = if e.contains("No such file")
                    || e.contains("not found")
                    || e.contains("does not exist")
                {
                    format!("file not found: {src}")
                } else if e.contains("Is a directory") {
                    format!("source is a directory and must be a file: {src}")
                } else {
                    format!("unable to slurp file: {e}")
                };
                return Err(ModuleError::Failed(msg));
            }
            Err(e) => return Err(e.into()),
        };
        let mut m = Map::new();
        m.insert(
            "content".into(),
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        );
        m.insert("encoding".into(), Value::String("base64".into()));
        m.insert("source".into(), Value::String(src.to_string()));
        Ok(Plan::unchanged(m))
    }
}
