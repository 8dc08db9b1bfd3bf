//! Handlers: recording notifications (by name, `role : name` or `listen` topic; only for changed
//! results), and flushing them in definition order at the end of each section and at
//! `meta: flush_handlers`. Also the other `meta` actions.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::Value;

use super::event::{Event, TaskKind, TaskStart};
use super::runner::{PlayCtx, Runner};
use super::templating::Ctx;
use crate::playbook::Task;

impl Runner {
    /// Records the notifications of a changed task for `host`.
    pub(crate) fn notify(&self, pc: &PlayCtx, task: &Task, host: &str, ctx: &Ctx) {
        if task.notify.is_empty() {
            return;
        }
        let handlers = pc.handlers.lock().map(|h| h.clone()).unwrap_or_default();
        for n in &task.notify {
            let name = match self.templating.render_value(n, ctx) {
                Ok(v) => rplay_modules::spec::value_to_string(&v),
                Err(_) => rplay_modules::spec::value_to_string(n),
            };
            let mut matched: Vec<usize> = Vec::new();
            // A name selects one handler: Ansible searches the handler blocks last to first (the
            // play's own after its roles') and each block's handlers in order, so the last role
            // (or the play) wins and within it the first handler of that name.
            let named = |h: &Task| {
                h.name.as_deref() == Some(name.as_str())
                    || h.role
                        .as_ref()
                        .zip(h.name.as_ref())
                        .is_some_and(|(r, n)| format!("{} : {}", r.name, n) == name)
            };
            if let Some(last) = handlers.iter().rposition(|h| named(h)) {
                let block = handler_block(&handlers[last]);
                if let Some(idx) = handlers
                    .iter()
                    .position(|h| named(h) && handler_block(h) == block)
                {
                    matched.push(idx);
                }
            }
            for (i, h) in handlers.iter().enumerate() {
                if h.listen.contains(&name) && !matched.contains(&i) {
                    matched.push(i);
                }
            }
            if matched.is_empty() {
                self.set_fatal(format!(
                    "The requested handler '{name}' was not found in either the main handlers list nor in the listening handlers list"
                ));
                return;
            }
            if let Ok(mut notified) = pc.notified.lock() {
                for i in matched {
                    let hosts = notified.entry(i).or_default();
                    if !hosts.iter().any(|h| h == host) {
                        hosts.push(host.to_string());
                    }
                }
            }
            self.report(Event::HandlerNotified {
                host: host.to_string(),
                handler: name,
            });
        }
    }

    /// Runs notified handlers for `hosts` in definition order, in one pass: a handler notified by
    /// a later one waits for the next flush, one notified by an earlier one runs in this pass.
    pub(crate) fn flush_handlers<'a>(
        &'a self,
        pc: &'a PlayCtx,
        hosts: Vec<String>,
    ) -> super::runner::Walk<'a> {
        Box::pin(async move {
            {
                let count = pc.handlers.lock().map(|h| h.len()).unwrap_or(0);
                for idx in 0..count {
                    if self.stop.load(Ordering::SeqCst) && self.fatal_error().is_some() {
                        return;
                    }
                    let targets: Vec<String> = match pc.notified.lock() {
                        Ok(mut n) => match n.get_mut(&idx) {
                            Some(list) => {
                                let (run, keep): (Vec<String>, Vec<String>) =
                                    list.drain(..).partition(|h| hosts.contains(h));
                                *list = keep;
                                run
                            }
                            None => Vec::new(),
                        },
                        Err(_) => Vec::new(),
                    };
                    // Keep the batch's order.
                    let targets: Vec<String> = hosts
                        .iter()
                        .filter(|h| targets.contains(h))
                        .cloned()
                        .collect();
                    if targets.is_empty() {
                        continue;
                    }
                    let handler: Option<Arc<Task>> =
                        pc.handlers.lock().ok().and_then(|h| h.get(idx).cloned());
                    if let Some(handler) = handler {
                        self.run_task(pc, &handler, &targets, false, true).await;
                    }
                }
            }
        })
    }

    /// `meta:` actions, as the linear strategy runs them: each host in turn gets the banner, its
    /// own `when` and the action, except for the play-wide actions (`end_batch`, `end_play`,
    /// `clear_facts`, `clear_host_errors`, `refresh_inventory`), which run for the first host only.
    pub(crate) async fn run_meta(
        &self,
        pc: &PlayCtx,
        task: &Arc<Task>,
        hosts: &[String],
        display: &str,
    ) {
        let action = self.meta_action(task);
        let per_host = matches!(
            action.as_str(),
            "noop"
                | "reset_connection"
                | "end_host"
                | "role_complete"
                | "flush_handlers"
                | "end_role"
        );
        let targets = if per_host {
            hosts
        } else {
            &hosts[..1.min(hosts.len())]
        };
        let mut not_flushing: Vec<String> = Vec::new();
        for h in targets {
            self.report(Event::TaskStart(TaskStart {
                name: display.to_string(),
                kind: TaskKind::Task,
                action: task.action_written.clone(),
                origin: Some(task.origin.clone()),
            }));
            if !self.meta_on_host(pc, task, &action, h) {
                not_flushing.push(h.clone());
            }
        }
        if action == "flush_handlers" {
            let targets: Vec<String> = self
                .flush_targets(pc)
                .into_iter()
                .filter(|h| !not_flushing.contains(h))
                .collect();
            self.flush_handlers(pc, targets).await;
        }
    }

    /// The action of a `meta` task (`noop` when none is written), warning once if it ignores
    /// the `when` it has.
    pub(crate) fn meta_action(&self, task: &Task) -> String {
        let action = task
            .args
            .get("_raw_params")
            .and_then(Value::as_str)
            .unwrap_or("noop")
            .trim()
            .to_string();
        if !meta_takes_when(&action) && !task.when.is_empty() {
            self.report(Event::Warning {
                message: format!("{action} task does not support when conditional"),
            });
        }
        action
    }

    /// Runs a `meta` action for `host` after its `when` (a false one shows `skipping:`).
    /// Returns whether the action ran; `flush_handlers` is left to the caller.
    pub(crate) fn meta_on_host(&self, pc: &PlayCtx, task: &Task, action: &str, h: &str) -> bool {
        if meta_takes_when(action) && !task.when.is_empty() {
            let vars = self.task_vars(pc, h, Some(task));
            let ctx = self.ctx_for(&vars, task, pc);
            if let Ok((false, _)) = self.eval_conds(&task.when, &ctx, pc, task) {
                self.report_meta_skipped(h, action);
                return false;
            }
        }
        match action {
            "end_play" | "end_batch" => {
                // Every host of the batch ends: no handlers, no further tasks.
                for b in &pc.batch {
                    self.with_host(b, |s| {
                        if !s.unreachable {
                            s.ended = true;
                        }
                    });
                }
                pc.end_play.store(true, Ordering::SeqCst);
                if action == "end_play" {
                    pc.end_later_batches.store(true, Ordering::SeqCst);
                }
            }
            "end_host" => self.with_host(h, |s| s.ended = true),
            "clear_facts" => {
                for p in &pc.play_hosts_all {
                    self.with_host(p, |s| s.facts.clear());
                }
            }
            "clear_host_errors" => {
                for p in &pc.play_hosts_all {
                    self.with_host(p, |s| s.failed = false);
                }
            }
            _ => {}
        }
        true
    }

    /// The `skipping: [host]` line of a meta task whose `when` is false (not counted in the recap).
    fn report_meta_skipped(&self, host: &str, action: &str) {
        let mut result = serde_json::Map::new();
        result.insert("changed".into(), Value::Bool(false));
        result.insert(
            "skip_reason".into(),
            Value::String(format!("{action} conditional evaluated to False")),
        );
        result.insert("skipped".into(), Value::Bool(true));
        self.report(Event::HostResult(Box::new(super::event::HostResult::new(
            host,
            super::event::Status::Skipped,
            result,
        ))));
    }
}

/// Whether a `meta` action honours `when`.
fn meta_takes_when(action: &str) -> bool {
    !matches!(action, "noop" | "refresh_inventory" | "reset_connection")
}

/// Which handler block a handler came from: its role (by identity), or the play.
fn handler_block(h: &Task) -> Option<*const crate::playbook::RoleScope> {
    h.role.as_ref().map(Arc::as_ptr)
}
