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
            // A name selects one handler (the last loaded with that name).
            if let Some(idx) = handlers.iter().rposition(|h| {
                h.name.as_deref() == Some(name.as_str())
                    || h.role
                        .as_ref()
                        .zip(h.name.as_ref())
                        .is_some_and(|(r, n)| format!("{} : {}", r.name, n) == name)
            }) {
                matched.push(idx);
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

    /// `meta:` actions.
    pub(crate) async fn run_meta(
        &self,
        pc: &PlayCtx,
        task: &Arc<Task>,
        hosts: &[String],
        display: &str,
    ) {
        let action = task
            .args
            .get("_raw_params")
            .and_then(Value::as_str)
            .unwrap_or("noop")
            .trim()
            .to_string();
        // `when` on a meta task is evaluated for the first host.
        if !task.when.is_empty() {
            let vars = self.task_vars(pc, &hosts[0], Some(task));
            let ctx = self.ctx_for(&vars, task, pc);
            if let Ok((false, _)) = self.eval_conds(&task.when, &ctx, pc) {
                self.report(Event::TaskStart(TaskStart {
                    name: display.to_string(),
                    kind: TaskKind::Task,
                    action: task.action_written.clone(),
                    origin: Some(task.origin.clone()),
                }));
                for h in hosts {
                    self.report(Event::HostResult(Box::new(super::event::HostResult {
                        host: h.clone(),
                        delegated_to: None,
                        status: super::event::Status::Skipped,
                        result: Default::default(),
                        item_label: None,
                        ignored: false,
                        verbose_always: false,
                        debug_result: false,
                        error: None,
                        origin: None,
                    })));
                }
                return;
            }
        }
        // ansible-core 2.19 shows a meta task's banner once per host it runs for.
        for _ in hosts {
            self.report(Event::TaskStart(TaskStart {
                name: display.to_string(),
                kind: TaskKind::Task,
                action: task.action_written.clone(),
                origin: Some(task.origin.clone()),
            }));
        }
        match action.as_str() {
            "flush_handlers" => {
                let targets = self.flush_targets(pc);
                self.flush_handlers(pc, targets).await;
            }
            "end_play" | "end_batch" => {
                pc.end_play.store(true, Ordering::SeqCst);
            }
            "end_host" => {
                for h in hosts {
                    self.with_host(h, |s| s.ended = true);
                }
            }
            "clear_facts" => {
                for h in hosts {
                    self.with_host(h, |s| s.facts.clear());
                }
            }
            "clear_host_errors" => {
                for h in &pc.play_hosts_all {
                    self.with_host(h, |s| s.failed = false);
                }
            }
            _ => {}
        }
    }
}
