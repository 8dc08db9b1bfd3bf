//! `script`: sends a controller script to the host and runs it with its arguments (by its shebang,
//! or with `executable`), then removes it. Always changed when it runs; skipped in check mode
//! unless creates/removes decide.

use async_trait::async_trait;

use super::command::{
    chdir_code, creates_removes_plan, path_word, run_and_report, run_plan, ARG_CHDIR, ARG_CREATES,
    ARG_REMOVES, RUN_RETURNS,
};
use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec};
use crate::{Args, Content, Context, FileAttrs, Module, ModuleError, Outcome, Plan, Value};

/// The `script` module.
pub struct ScriptModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "script",
    fqcn: &["ansible.builtin.script", "ansible.legacy.script"],
    synopsis: "Run a controller script on the host.",
    description:
        "The free-form text is `<script> [arguments]`; the script is looked up in `files/` and \
        run on the host, then removed.",
    args: &[
        ArgSpec::new(
            "cmd",
            ArgKind::Str,
            "Script path and arguments (the free-form text).",
        )
        .aliases(&["_raw_params"])
        .required(),
        ArgSpec::new(
            "executable",
            ArgKind::Str,
            "Program to run the script with.",
        ),
        ArgSpec::new("decrypt", ArgKind::Bool, "Decrypt vaulted scripts.").default("true"),
        ARG_CHDIR,
        ARG_CREATES,
        ARG_REMOVES,
    ],
    free_form: Some("cmd"),
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: RUN_RETURNS,
    examples:
        "- ansible.builtin.script: setup.sh --fast\n  args:\n    creates: /etc/app/.setup-done\n",
};

#[async_trait]
impl Module for ScriptModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    /// Like Ansible's `script` action, which does not support async.
    fn supports_async(&self) -> bool {
        false
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let cmd = Value::String(args.str("cmd").unwrap_or_default().to_string());
        let words = shell_words::split(args.str("cmd").unwrap_or_default())
            .map_err(|e| ModuleError::Args(format!("cannot split the command line: {e}")))?;
        let first = words
            .first()
            .ok_or_else(|| ModuleError::Args("no script given".into()))?;
        ctx.controller
            .find_file("files", first)
            .map_err(ModuleError::Raised)?;
        if let Some(plan) = creates_removes_plan(args, cmd.clone(), ctx).await? {
            return Ok(plan);
        }
        Ok(run_plan(cmd))
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let line = args.str("cmd").unwrap_or_default();
        let words = shell_words::split(line)
            .map_err(|e| ModuleError::Args(format!("cannot split the command line: {e}")))?;
        let Some((first, rest)) = words.split_first() else {
            return Err(ModuleError::Args("no script given".into()));
        };
        let local = ctx
            .controller
            .find_file("files", first)
            .map_err(ModuleError::Raised)?;
        let remote = format!(
            "/tmp/.rplay-script-{}-{}",
            std::process::id(),
            &crate::builtin::copy::sha1_hex(
                format!("{line}{:?}", std::time::SystemTime::now()).as_bytes()
            )[..12]
        );
        ctx.host
            .put_file(
                &remote,
                Content::LocalFile(local),
                &FileAttrs {
                    mode: Some("0700".into()),
                    ..Default::default()
                },
            )
            .await?;
        let runner = match args.str("executable") {
            Some(e) => format!("{} ", path_word(e)),
            None => String::new(),
        };
        let argv: Vec<String> = rest.iter().map(|a| quote(a)).collect();
        let script = format!(
            "trap 'rm -f -- {q}' EXIT\n{}{runner}{q} {}\n",
            chdir_code(args.str("chdir")),
            argv.join(" "),
            q = quote(&remote)
        );
        let mut outcome =
            run_and_report(ctx, script, None, Value::String(line.to_string()), false).await?;
        for k in ["cmd", "start", "end", "delta"] {
            outcome.values.shift_remove(k);
        }
        if !outcome.failed {
            outcome.values.shift_remove("msg");
        }
        Ok(outcome)
    }
}
