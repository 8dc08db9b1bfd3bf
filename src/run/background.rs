//! `async` tasks. The module's work starts as a background job on the host (see
//! `rplay_modules::job`) and the task returns at once with the job's id (`poll: 0`), or the engine
//! checks the job every `poll` seconds until it finishes or its time is up, then removes its
//! results file, as Ansible's task executor does with `async_status`. Modules without a
//! background script (file, apt...) run before the task returns; their result becomes the job's.

use std::time::Duration;

use rplay_modules::job::{self, StatusMode};
use rplay_modules::{Args, Context, Module, ModuleError};
use serde_json::{json, Map, Value};

use super::event::Event;
use super::machine::{is_true, module_error, settle};
use super::runner::Runner;
use super::templating::Ctx;
use crate::playbook::Task;

/// A task's `async` and `poll`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AsyncSpec {
    /// Seconds the job may run (`async`).
    pub(crate) limit: u64,
    /// Seconds between checks (`poll`); 0 leaves the job running.
    pub(crate) poll: u64,
}

/// What an async task gives: its result and whether a failure is the action's (the wait ran out)
/// rather than the module's.
pub(crate) struct AsyncResult {
    pub(crate) result: Map<String, Value>,
    pub(crate) action_failure: bool,
}

impl Runner {
    /// The task's `async`/`poll` (templated); `None` for a task that runs in the foreground.
    pub(crate) fn async_spec(&self, task: &Task, ctx: &Ctx) -> Option<AsyncSpec> {
        let number = |name: &str| -> Option<i64> {
            let v = task.keyword(name)?;
            match self.templating.render_value(v, ctx).ok()? {
                Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
                Value::String(s) => s.trim().parse().ok(),
                Value::Bool(b) => Some(i64::from(b)),
                _ => None,
            }
        };
        let limit = number("async").filter(|n| *n > 0)?;
        let poll = number("poll")
            .unwrap_or(self.opts.poll_interval as i64)
            .max(0);
        Some(AsyncSpec {
            limit: limit as u64,
            poll: poll as u64,
        })
    }

    /// Runs `module` under `async`: starts the job (or records the result of a module that works
    /// from the controller), then returns its start (`poll: 0`) or polls it to its end.
    pub(crate) async fn run_async(
        &self,
        module: &dyn Module,
        args: &Args,
        mctx: &Context<'_>,
        spec: AsyncSpec,
    ) -> AsyncResult {
        let dir = mctx.controller.async_dir();
        let started = match start_job(module, args, mctx, spec, &dir).await {
            Ok(job) => job,
            Err(e) => {
                return AsyncResult {
                    result: module_error(e),
                    action_failure: false,
                }
            }
        };
        if spec.poll == 0 {
            return AsyncResult {
                result: started.started_result(),
                action_failure: false,
            };
        }
        self.poll_job(mctx, spec, &dir, &started).await
    }

    /// Checks the job every `poll` seconds while its time lasts, as Ansible does: each check
    /// that finds it running is reported; a finished job's results file is removed and its
    /// result is the task's.
    async fn poll_job(
        &self,
        mctx: &Context<'_>,
        spec: AsyncSpec,
        dir: &str,
        started: &job::Job,
    ) -> AsyncResult {
        let host = mctx.host;
        let mut time_left = spec.limit as i64;
        let mut last: Option<Map<String, Value>> = None;
        while time_left > 0 {
            tokio::time::sleep(Duration::from_secs(spec.poll)).await;
            match job::status(host, dir, &started.jid, StatusMode::Status).await {
                Ok(r) => {
                    let done =
                        is_true(&r, "finished") || is_true(&r, "failed") || is_true(&r, "skipped");
                    last = Some(r);
                    if done {
                        break;
                    }
                    time_left -= spec.poll as i64;
                    if let Some(r) = &last {
                        self.report(Event::AsyncPoll {
                            host: host.name().to_string(),
                            jid: started.jid.clone(),
                            started: is_true(r, "started"),
                            finished: is_true(r, "finished"),
                        });
                    }
                }
                Err(e) => {
                    // A check that cannot reach the host is tried again while time is left.
                    time_left -= spec.poll as i64;
                    if time_left <= 0 {
                        return AsyncResult {
                            result: module_error(e),
                            action_failure: false,
                        };
                    }
                }
            }
        }
        let last = last.unwrap_or_default();
        let jid = last
            .get("ansible_job_id")
            .and_then(Value::as_str)
            .unwrap_or(&started.jid)
            .to_string();
        if !is_true(&last, "finished") {
            let mut r = Map::new();
            r.insert("changed".into(), Value::Bool(false));
            r.insert("failed".into(), Value::Bool(true));
            r.insert(
                "msg".into(),
                json!(format!(
                    "async task did not complete within the requested time - {}s",
                    spec.limit
                )),
            );
            r.insert("async_result".into(), Value::Object(last));
            self.report(Event::AsyncDone {
                host: host.name().to_string(),
                jid,
                failed: true,
            });
            return AsyncResult {
                result: r,
                action_failure: true,
            };
        }
        // Like Ansible, a finished job's results file is removed; a failure to do so is ignored.
        let _ = job::status(host, dir, &started.jid, StatusMode::Cleanup).await;
        let mut result = Map::new();
        result.insert(
            "changed".into(),
            Value::Bool(last.get("changed").is_some_and(is_truthy)),
        );
        result.extend(last);
        self.report(Event::AsyncDone {
            host: host.name().to_string(),
            jid,
            failed: is_true(&result, "failed"),
        });
        AsyncResult {
            result,
            action_failure: false,
        }
    }
}

fn is_truthy(v: &Value) -> bool {
    rplay_modules::spec::parse_bool(v).unwrap_or(false)
}

/// Starts the job: the module's plan, then its background script when it has one and there is
/// something to do; otherwise the foreground result (check mode, nothing to change, a module
/// that works from the controller, a failure) is recorded as the finished job's.
async fn start_job(
    module: &dyn Module,
    args: &Args,
    mctx: &Context<'_>,
    spec: AsyncSpec,
    dir: &str,
) -> Result<job::Job, ModuleError> {
    let result = match module.plan(args, mctx).await {
        Err(e) => module_error(e),
        Ok(plan) => {
            if !mctx.check_mode && plan.finished.is_none() && !plan.is_empty() {
                match module.background(args, &plan) {
                    Ok(Some(work)) => {
                        return job::launch(mctx.host, dir, module.spec().name, work, spec.limit)
                            .await
                    }
                    Ok(None) => settle(module, args, plan, mctx).await.0,
                    Err(e) => module_error(e),
                }
            } else {
                settle(module, args, plan, mctx).await.0
            }
        }
    };
    // An unreachable host has no job to record.
    if is_true(&result, "unreachable") {
        let msg = result
            .get("msg")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let msg = msg.strip_prefix("Task failed: ").unwrap_or(msg);
        return Err(ModuleError::Host(rplay_modules::HostError::Unreachable(
            msg.to_string(),
        )));
    }
    job::record(mctx.host, dir, &result).await
}
