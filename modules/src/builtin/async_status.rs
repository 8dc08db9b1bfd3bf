//! `async_status`: the state of a background job started with `async` (and `poll: 0`), read
//! from its results file in one round trip; once the job has finished, the module's own result
//! merged in. `mode: cleanup` removes the results file.

use async_trait::async_trait;

use crate::job::{self, StatusMode};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Context, Module, ModuleError, Outcome, Plan};

/// The `async_status` module.
pub struct AsyncStatusModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "async_status",
    fqcn: &["ansible.builtin.async_status", "ansible.legacy.async_status"],
    synopsis: "Obtain status of asynchronous task.",
    description: "Reads the results file of a background job (a task with `async` and `poll: 0`) \
        under `async_dir` (`~/.ansible_async` by default; `ansible_async_dir`, `ANSIBLE_ASYNC_DIR`). \
        While the job runs, `finished` is false; once it has ended, the result of the job's module \
        (`rc`, `stdout`...) is merged in. Wait for a job with `until: job is finished` (or \
        `until: job.finished`) and `retries`/`delay`. A job that overran its `async` limit was \
        killed and reports `Timeout exceeded`. `mode: cleanup` removes the results file without \
        waiting for the job. An unknown job id fails with `could not find job`. Works the same \
        in check mode.",
    args: &[
        ArgSpec::new("jid", ArgKind::Str, "Job or task identifier (`ansible_job_id` of the task that started it).")
            .required(),
        ArgSpec::new(
            "mode",
            ArgKind::Str,
            "`status` obtains the status; `cleanup` removes the job's results file.",
        )
        .choices(&["cleanup", "status"])
        .default("\"status\""),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec {
            name: "ansible_job_id",
            returned: "success",
            doc: "The asynchronous job id.",
        },
        ReturnSpec {
            name: "finished",
            returned: "always",
            doc: "Whether the asynchronous job has finished.",
        },
        ReturnSpec {
            name: "started",
            returned: "always",
            doc: "Whether the asynchronous job has started.",
        },
        ReturnSpec {
            name: "results_file",
            returned: "mode is status",
            doc: "Path of the job's results file on the host.",
        },
        ReturnSpec {
            name: "stdout",
            returned: "always",
            doc: "Standard output of the job's module (empty while it runs).",
        },
        ReturnSpec {
            name: "stderr",
            returned: "always",
            doc: "Standard error of the job's module (empty while it runs).",
        },
        ReturnSpec {
            name: "erased",
            returned: "when file is erased",
            doc: "Path to the erased results file.",
        },
    ],
    examples: "- name: Start a long job in the background\n  ansible.builtin.command: /opt/app/bin/rebuild-index\n  async: 1000\n  poll: 0\n  register: rebuild\n\n\
        - name: Wait for it\n  ansible.builtin.async_status:\n    jid: \"{{ rebuild.ansible_job_id }}\"\n  register: job\n  until: job is finished\n  retries: 100\n  delay: 10\n\n\
        - name: Remove its results file\n  ansible.builtin.async_status:\n    jid: \"{{ rebuild.ansible_job_id }}\"\n    mode: cleanup\n",
};

#[async_trait]
impl Module for AsyncStatusModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn supports_async(&self) -> bool {
        false
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let jid = args.str("jid").unwrap_or_default();
        let mode = match args.str("mode") {
            Some("cleanup") => StatusMode::Cleanup,
            _ => StatusMode::Status,
        };
        let mut values = job::status(ctx.host, &ctx.controller.async_dir(), jid, mode).await?;
        let changed = values
            .shift_remove("changed")
            .and_then(|v| crate::spec::parse_bool(&v))
            .unwrap_or(false);
        Ok(Plan {
            finished: Some(Outcome {
                changed,
                values,
                ..Default::default()
            }),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn jid_is_required_and_mode_has_choices() {
        let mut raw = crate::Map::new();
        assert!(SPEC.validate(&raw).is_err());
        raw.insert("jid".into(), Value::from("j1.2"));
        let args = SPEC.validate(&raw).unwrap();
        assert_eq!(args.str("mode"), Some("status"));
        raw.insert("mode".into(), Value::from("kill"));
        assert!(SPEC.validate(&raw).is_err());
    }
}
