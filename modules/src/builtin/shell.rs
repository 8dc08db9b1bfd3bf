//! `shell`: runs a command line through a shell (`/bin/sh -c`, or `executable`), so pipes,
//! redirections, `$VAR` and `&&` work. Shares its running and reporting with `command`.

use async_trait::async_trait;

use super::command::{
    background_report, background_work, chdir_code, command_run_plan, creates_removes_plan,
    path_word, run_and_report, stdin_bytes, ARG_CHDIR, ARG_CREATES, ARG_REMOVES, ARG_STDIN,
    ARG_STDIN_NL, ARG_STRIP, RUN_RETURNS,
};
use crate::job::{JobRun, JobWork};
use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec};
use crate::{Args, Context, Module, ModuleError, Outcome, Plan, Value};

/// The `shell` module.
pub struct ShellModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "shell",
    fqcn: &["ansible.builtin.shell", "ansible.legacy.shell"],
    synopsis: "Run a command line through a shell on the host.",
    description: "The free-form text (or `cmd`) is given to `/bin/sh -c` (or to `executable -c`). \
        Always reports changed when it runs; skipped in check mode unless creates/removes decide.",
    args: &[
        ArgSpec::new("cmd", ArgKind::Str, "The command line (the free-form text).")
            .aliases(&["_raw_params"])
            .required(),
        ArgSpec::new("executable", ArgKind::Path, "The shell to use instead of /bin/sh."),
        ARG_CHDIR,
        ARG_CREATES,
        ARG_REMOVES,
        ARG_STDIN,
        ARG_STDIN_NL,
        ARG_STRIP,
        ArgSpec::new("expand_argument_vars", ArgKind::Bool, "Accepted for compatibility; the shell expands.")
            .default("true"),
    ],
    free_form: Some("cmd"),
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: RUN_RETURNS,
    examples: "- name: Count sessions\n  ansible.builtin.shell: who | wc -l\n  register: sessions\n  changed_when: false\n\n\
        - name: Use bash\n  ansible.builtin.shell:\n    cmd: set -o pipefail && ls /etc | head -3\n    executable: /bin/bash\n",
};

/// The script running `cmd` with `executable -c`.
pub(crate) fn shell_script(cmd: &str, executable: Option<&str>, chdir: Option<&str>) -> String {
    let exe = executable
        .map(path_word)
        .unwrap_or_else(|| "/bin/sh".to_string());
    format!("{}exec {exe} -c {}\n", chdir_code(chdir), quote(cmd))
}

#[async_trait]
impl Module for ShellModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let cmd = Value::String(args.str("cmd").unwrap_or_default().to_string());
        if let Some(plan) = creates_removes_plan(args, cmd.clone(), ctx).await? {
            return Ok(plan);
        }
        Ok(command_run_plan(cmd))
    }

    fn background(&self, args: &Args, plan: &Plan) -> Result<Option<JobWork>, ModuleError> {
        if !plan.always_acts {
            return Ok(None);
        }
        let cmd = args.str("cmd").unwrap_or_default();
        let script = shell_script(cmd, args.str("executable"), args.str("chdir"));
        Ok(Some(background_work(
            script,
            stdin_bytes(args),
            Value::String(cmd.to_string()),
            args.bool("strip_empty_ends"),
        )))
    }

    fn background_outcome(&self, recipe: &Value, run: &JobRun) -> Outcome {
        background_report(recipe, run)
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let cmd = args.str("cmd").unwrap_or_default();
        let script = shell_script(cmd, args.str("executable"), args.str("chdir"));
        run_and_report(
            ctx,
            script,
            stdin_bytes(args),
            Value::String(cmd.to_string()),
            args.bool("strip_empty_ends"),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_through_the_shell() {
        let script = shell_script("echo \"$0\" 'it''s' | tr a-z A-Z", None, Some("/"));
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "/BIN/SH ITS\n");
    }
}
