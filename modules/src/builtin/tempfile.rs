//! `tempfile`: creates a temporary file or directory on the host (`mktemp`). Always changed;
//! not run in check mode.

use async_trait::async_trait;

use crate::fileattr::{parse_stat, stat_code};
use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `tempfile` module.
pub struct TempfileModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "tempfile",
    fqcn: &["ansible.builtin.tempfile", "ansible.legacy.tempfile"],
    synopsis: "Create a temporary file or directory.",
    description: "Creates `<path>/<prefix>XXXXXXXX<suffix>` with mktemp (path defaults to the host's TMPDIR or /tmp).",
    args: &[
        ArgSpec::new("state", ArgKind::Str, "`file` or `directory`.")
            .default("\"file\"")
            .choices(&["directory", "file"]),
        ArgSpec::new("path", ArgKind::Path, "Where to create it."),
        ArgSpec::new("prefix", ArgKind::Str, "Name prefix.").default("\"ansible.\""),
        ArgSpec::new("suffix", ArgKind::Str, "Name suffix.").default("\"\""),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[ReturnSpec { name: "path", returned: "success", doc: "The created path." }],
    examples: "- ansible.builtin.tempfile:\n    state: directory\n    suffix: build\n  register: build_dir\n",
};

#[async_trait]
impl Module for TempfileModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, _args: &Args, _ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        Ok(Plan {
            always_acts: true,
            ..Default::default()
        })
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let dir = match args.str("path") {
            Some(p) => quote(p),
            None => "\"${TMPDIR:-/tmp}\"".to_string(),
        };
        let template = format!("{}XXXXXXXXXX", args.str("prefix").unwrap_or("ansible."));
        let d = if args.str("state") == Some("directory") {
            "-d "
        } else {
            ""
        };
        let mut script = ProbeScript::new();
        script.prelude(&format!(
            "p=$(mktemp {d}-p {dir} --suffix={} {}) || exit 1",
            quote(args.str("suffix").unwrap_or_default()),
            quote(&template)
        ));
        script.section("path", "printf '%s' \"$p\"");
        script.section("stat", &stat_code("p", false));
        let out = ctx.host.run(Command::new(script.script())).await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(out.stderr_str().trim().to_string()));
        }
        let s = script.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let path = s.get("path").map_err(ModuleError::Protocol)?.text();
        let mut values = Map::new();
        values.insert("path".into(), Value::String(path));
        if let Some(st) = parse_stat(&s.get("stat").map_err(ModuleError::Protocol)?.text())
            .map_err(ModuleError::Protocol)?
        {
            values.extend(st.attr_values());
        }
        Ok(Outcome {
            changed: true,
            values,
            ..Default::default()
        })
    }
}
