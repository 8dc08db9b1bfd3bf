//! `strategy: free`: each host of a batch works through the play's tasks at its own pace, so a
//! slow host does not hold the others back at every task. It sits beside the lock-step walk of
//! `runner.rs` because the order of work (and so of output) differs: like ansible-core's free
//! strategy it makes passes over the batch's hosts, giving each idle host its next task (at most
//! `forks` at once; `meta` runs on the spot), then reports the results that came in, printing a
//! task banner whenever the reported task is not the one of the last banner.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use futures::FutureExt;

use super::event::{Event, TaskKind, TaskStart};
use super::machine::HostTaskEnd;
use super::runner::{IncludeSource, PlayCtx, Runner};
use crate::playbook::{Block, Item, RoleScope, Task};

tokio::task_local! {
    /// Events of a task in flight on one host, held back until the free loop takes its result.
    static CAPTURE: Arc<Mutex<Vec<Event>>>;
}

/// `event`, unless the running code holds its events back (then it is kept for later).
pub(crate) fn uncaptured(event: Event) -> Option<Event> {
    let mut slot = Some(event);
    let _ = CAPTURE.try_with(|buf| {
        if let Ok(mut b) = buf.lock() {
            b.extend(slot.take());
        }
    });
    slot
}

fn take_events(buf: &Mutex<Vec<Event>>) -> Vec<Event> {
    std::mem::take(&mut *buf.lock().unwrap_or_else(PoisonError::into_inner))
}

/// What a host is inside of, innermost last.
enum FrameKind {
    /// pre_tasks, roles and tasks, or post_tasks: handlers are flushed after it.
    Section,
    /// Tasks an include brought in.
    Include,
    /// A block's body; `outer`: a failure around the block is rescued.
    Body { block: Arc<Block>, outer: bool },
    /// A block's rescue.
    Rescue { block: Arc<Block>, outer: bool },
    /// A block's always; the host failed before it and fails again after it.
    Always { restore_failed: bool },
}

struct Frame {
    items: Vec<Item>,
    pos: usize,
    kind: FrameKind,
    /// A failure here is caught by an enclosing rescue.
    rescuable: bool,
}

/// The next thing a host runs: the task, whether it is rescuable, banner kind.
type Step = (Arc<Task>, bool, TaskKind);

/// ansible-core's implicit `meta` tasks: each takes a host's turn in a pass and shows nothing.
struct Implicit {
    /// `flush_handlers` at the end of each section.
    flush: Arc<Task>,
    /// `role_complete` at the end of each role's tasks.
    role_complete: Arc<Task>,
}

impl Implicit {
    fn new(pc: &PlayCtx) -> Self {
        let meta = |action: &str| {
            let mut args = serde_json::Map::new();
            args.insert("_raw_params".into(), action.into());
            let task = Task::synthetic(
                None,
                "meta",
                args,
                pc.play.origin.clone(),
                serde_json::Map::new(),
            );
            Arc::new(task)
        };
        Implicit {
            flush: meta("flush_handlers"),
            role_complete: meta("role_complete"),
        }
    }
}

/// One host's walk through the play.
struct HostWalk {
    host: String,
    gather: Option<Arc<Task>>,
    sections: VecDeque<Vec<Item>>,
    frames: Vec<Frame>,
    /// Running handlers: the index of the next handler to look at.
    handlers: Option<usize>,
    /// A step taken but held back (a throttled task).
    pending: Option<Step>,
    /// A task held back while the roles it leaves complete first.
    held: Option<Step>,
    /// Roles the host is inside of, innermost last.
    roles: Vec<Arc<RoleScope>>,
    /// The implicit `meta` tasks of the walk.
    implicit: Arc<Implicit>,
    /// A task of this host is in flight or its result has not been taken yet.
    busy: bool,
}

/// A host's finished task, with the events it held back.
struct Done {
    walk: usize,
    task: Arc<Task>,
    kind: TaskKind,
    rescuable: bool,
    display: String,
    end: HostTaskEnd,
    events: Vec<Event>,
}

/// A task in flight on a host.
type Running<'a> = (Arc<Task>, Pin<Box<dyn Future<Output = Done> + Send + 'a>>);

/// Waits for the first (oldest first) of `running` to finish.
async fn next_done(running: &mut Vec<Running<'_>>) -> Done {
    futures::future::poll_fn(|cx| {
        for i in 0..running.len() {
            if let Poll::Ready(done) = running[i].1.as_mut().poll(cx) {
                drop(running.remove(i));
                return Poll::Ready(done);
            }
        }
        Poll::Pending
    })
    .await
}

impl Runner {
    /// Runs one batch of a free play.
    pub(crate) async fn run_batch_free(&self, pc: &PlayCtx, gather: Option<Arc<Task>>) {
        if pc.play.keyword("max_fail_percentage").is_some() {
            self.report(Event::Warning {
                message: "Using max_fail_percentage with the free strategy is not supported, as tasks are executed independently on each host".into(),
            });
        }
        let gather_hosts = match &gather {
            Some(_) => self.hosts_to_gather(&pc.batch),
            None => Vec::new(),
        };
        let sections = [&pc.play.pre_tasks, &pc.play.tasks, &pc.play.post_tasks];
        let implicit = Arc::new(Implicit::new(pc));
        let mut walks: Vec<HostWalk> = pc
            .batch
            .iter()
            .map(|h| HostWalk {
                host: h.clone(),
                gather: gather.clone().filter(|_| gather_hosts.contains(h)),
                sections: sections.iter().map(|s| s.to_vec()).collect(),
                frames: Vec::new(),
                handlers: None,
                pending: None,
                held: None,
                roles: Vec::new(),
                implicit: implicit.clone(),
                busy: false,
            })
            .collect();
        let forks = self.opts.forks.max(1);
        let mut running: Vec<Running<'_>> = Vec::new();
        let mut warned = Vec::new();
        loop {
            let left: Vec<usize> = (0..walks.len())
                .filter(|i| !self.with_host(&walks[*i].host, |s| s.unreachable))
                .collect();
            if left.is_empty() {
                self.report(Event::NoMoreHosts);
                break;
            }
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let mut work = false;
            // A task was queued or a `meta` ran in this pass: results in flight are taken when
            // a fork is needed or in a later pass (they are still running, as with Ansible).
            let mut moved = false;
            let mut done = Vec::new();
            for &i in &left {
                if walks[i].busy {
                    work = true;
                    continue;
                }
                let step = match walks[i].pending.take() {
                    Some(s) => Some(s),
                    None => {
                        let others = walks
                            .iter()
                            .any(|w| w.handlers.is_some() && self.notified_for(pc, &w.host));
                        self.next_step(pc, &mut walks[i], others)
                    }
                };
                let Some((task, rescuable, kind)) = step else {
                    continue;
                };
                work = true;
                if task.action == "meta" {
                    self.free_meta(pc, &mut walks[i], &task, kind);
                    moved = true;
                    continue;
                }
                let throttle = task
                    .keyword("throttle")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0) as usize;
                let same = running
                    .iter()
                    .filter(|(t, _)| Arc::ptr_eq(t, &task))
                    .count();
                if throttle > 0 && same >= throttle {
                    walks[i].pending = Some((task, rescuable, kind));
                    break;
                }
                if !self.free_task_allowed(pc, &task, &mut warned) {
                    break;
                }
                while running.len() >= forks {
                    done.push(next_done(&mut running).await);
                }
                walks[i].busy = true;
                moved = true;
                let host = walks[i].host.clone();
                let job = task.clone();
                running.push((
                    job,
                    Box::pin(async move {
                        let vars = self.task_vars(pc, &host, Some(&task));
                        let display = self.display_name(&task, &vars);
                        let buf = Arc::new(Mutex::new(Vec::new()));
                        let end = CAPTURE
                            .scope(
                                buf.clone(),
                                self.run_host(pc, &task, &host, &display, rescuable),
                            )
                            .await;
                        Done {
                            walk: i,
                            task,
                            kind,
                            rescuable,
                            display,
                            end,
                            events: take_events(&buf),
                        }
                    }),
                ));
            }
            if !moved && done.is_empty() && !running.is_empty() {
                done.push(next_done(&mut running).await);
                while let Some(d) = next_done(&mut running).now_or_never() {
                    done.push(d);
                }
            }
            self.take_results(pc, &mut walks, done, gather.as_ref());
            if !work {
                break;
            }
        }
        while !running.is_empty() {
            let d = next_done(&mut running).await;
            self.take_results(pc, &mut walks, vec![d], gather.as_ref());
        }
    }

    /// Warns about the play keywords the free strategy ignores; false (a fatal error set) for an
    /// action that bypasses the host loop.
    fn free_task_allowed(&self, pc: &PlayCtx, task: &Task, warned: &mut Vec<&'static str>) -> bool {
        let mut warn = |key: &'static str, message: &str| {
            if !warned.contains(&key) {
                warned.push(key);
                self.report(Event::Warning {
                    message: message.to_string(),
                });
            }
        };
        if matches!(task.action.as_str(), "add_host" | "pause") {
            self.set_fatal(format!(
                "The '{}' module bypasses the host loop, which is currently not supported in the free strategy and would instead execute for every host in the inventory list.",
                task.action_written
            ));
            return false;
        }
        let flag = |name: &str| {
            task.keyword(name)
                .or_else(|| pc.play.keyword(name))
                .and_then(rplay_modules::spec::parse_bool)
                .unwrap_or(false)
        };
        if flag("run_once") {
            warn("run_once", "Using run_once with the free strategy is not currently supported. This task will still be executed for every host in the inventory list.");
        }
        if flag("any_errors_fatal") {
            warn("any_errors_fatal", "Using any_errors_fatal with the free strategy is not supported, as tasks are executed independently on each host");
        }
        true
    }

    /// Reports finished tasks in order, then loads what their includes asked for and hands the
    /// included tasks to their hosts.
    fn take_results(
        &self,
        pc: &PlayCtx,
        walks: &mut [HostWalk],
        done: Vec<Done>,
        gather: Option<&Arc<Task>>,
    ) {
        for d in &done {
            let walk = &mut walks[d.walk];
            walk.busy = false;
            let start = TaskStart {
                name: d.display.clone(),
                kind: d.kind,
                action: d.task.action_written.clone(),
                origin: Some(d.task.origin.clone()),
            };
            self.show(&d.task, start, d.events.clone(), !d.end.includes.is_empty());
            if gather.is_some_and(|g| Arc::ptr_eq(g, &d.task)) {
                self.cache_facts(std::slice::from_ref(&walk.host));
            }
        }
        let sources: Vec<IncludeSource<'_>> = done
            .iter()
            .filter(|d| !d.end.includes.is_empty())
            .map(|d| (&d.task, d.rescuable, &d.end))
            .collect();
        if sources.is_empty() {
            return;
        }
        let mut added: Vec<(String, bool, Vec<Item>)> = Vec::new();
        for (_, rescuable, role, hosts) in self.load_includes(pc, &sources) {
            for h in hosts {
                match added.iter_mut().find(|(a, _, _)| *a == h) {
                    Some((_, _, items)) => items.extend(role.items.iter().cloned()),
                    None => added.push((h, rescuable, role.items.clone())),
                }
            }
        }
        for (host, rescuable, items) in added {
            if let Some(w) = walks.iter_mut().find(|w| w.host == host) {
                w.frames.push(Frame {
                    items,
                    pos: 0,
                    kind: FrameKind::Include,
                    rescuable,
                });
            }
        }
    }

    /// Reports a task's held-back events, with its banner before the first result shown (or
    /// for an include's result) unless the last banner was this task's.
    fn show(&self, task: &Arc<Task>, start: TaskStart, events: Vec<Event>, included: bool) {
        let mut start = Some(start);
        for e in events {
            if matches!(e, Event::HostResult(_)) {
                self.free_banner(task, &mut start);
            }
            self.report(e);
        }
        if included {
            self.free_banner(task, &mut start);
        }
    }

    fn free_banner(&self, task: &Arc<Task>, start: &mut Option<TaskStart>) {
        let Some(start) = start.take() else {
            return;
        };
        {
            let mut last = self
                .free_banner
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.as_ref().is_some_and(|l| Arc::ptr_eq(l, task)) {
                return;
            }
            *last = Some(task.clone());
        }
        self.report(Event::TaskStart(start));
    }

    /// A `meta` task for one host, on the spot; `flush_handlers` starts the host's handlers.
    fn free_meta(&self, pc: &PlayCtx, walk: &mut HostWalk, task: &Arc<Task>, kind: TaskKind) {
        let vars = self.task_vars(pc, &walk.host, Some(task));
        let display = self.display_name(task, &vars);
        let buf = Arc::new(Mutex::new(Vec::new()));
        let (action, ran) = CAPTURE.sync_scope(buf.clone(), || {
            let action = self.meta_action(task);
            let ran = self.meta_on_host(pc, task, &action, &walk.host);
            (action, ran)
        });
        let start = TaskStart {
            name: display,
            kind,
            action: task.action_written.clone(),
            origin: Some(task.origin.clone()),
        };
        self.show(task, start, take_events(&buf), false);
        if action == "flush_handlers" && ran && !self.with_host(&walk.host, |s| s.unreachable) {
            walk.handlers = Some(0);
        }
    }

    /// The next step of `walk`, with an implicit `role_complete` for each role its next task
    /// (or the section's end) leaves.
    fn next_step(&self, pc: &PlayCtx, walk: &mut HostWalk, others: bool) -> Option<Step> {
        let step = match walk.held.take() {
            Some(step) => Some(step),
            None => self.find_next(pc, walk, others),
        };
        if !self.host_active(&walk.host) {
            walk.roles.clear();
        }
        let role = match &step {
            Some((_, _, TaskKind::Handler)) => return step,
            Some((t, _, _)) if t.action != "meta" || !Arc::ptr_eq(t, &walk.implicit.flush) => {
                t.role.clone()
            }
            _ => None,
        };
        if let Some(top) = walk.roles.last() {
            let inside = role.as_ref().is_some_and(|r| {
                Arc::ptr_eq(r, top) || r.parent_paths.iter().any(|p| *p == top.path)
            });
            if !inside {
                walk.roles.pop();
                walk.held = step;
                return Some((walk.implicit.role_complete.clone(), false, TaskKind::Task));
            }
        }
        if let Some(r) = role {
            if !walk.roles.last().is_some_and(|top| Arc::ptr_eq(top, &r)) {
                walk.roles.push(r);
            }
        }
        step
    }

    /// Advances `walk` to its next task: handlers being flushed, fact gathering, then the
    /// sections' tasks, entering blocks, rescue and always as the host's state asks. `others`:
    /// another host is running handlers it was notified for.
    fn find_next(&self, pc: &PlayCtx, walk: &mut HostWalk, others: bool) -> Option<Step> {
        loop {
            if let Some(next) = walk.handlers {
                if let Some((idx, handler)) = self.next_handler(pc, &walk.host, next) {
                    walk.handlers = Some(idx + 1);
                    return Some((handler, false, TaskKind::Handler));
                }
                walk.handlers = None;
                continue;
            }
            if let Some(g) = walk.gather.take() {
                return Some((g, false, TaskKind::Task));
            }
            let Some(frame) = walk.frames.last_mut() else {
                let items = walk.sections.pop_front()?;
                walk.frames.push(Frame {
                    items,
                    pos: 0,
                    kind: FrameKind::Section,
                    rescuable: false,
                });
                continue;
            };
            if frame.pos >= frame.items.len() || !self.host_active(&walk.host) {
                if let Some(step) = self.leave_frame(pc, walk, others) {
                    return Some(step);
                }
                continue;
            }
            let item = frame.items[frame.pos].clone();
            frame.pos += 1;
            match item {
                Item::Task(t) => {
                    if self.task_selected(&t) {
                        return Some((t, frame.rescuable, TaskKind::Task));
                    }
                }
                Item::Block(block) => {
                    let outer = frame.rescuable;
                    walk.frames.push(Frame {
                        items: block.body.clone(),
                        pos: 0,
                        rescuable: outer || !block.rescue.is_empty(),
                        kind: FrameKind::Body { block, outer },
                    });
                }
            }
        }
    }

    /// Whether some handler waits for `host`.
    fn notified_for(&self, pc: &PlayCtx, host: &str) -> bool {
        pc.notified
            .lock()
            .is_ok_and(|n| n.values().any(|hosts| hosts.iter().any(|h| h == host)))
    }

    /// The first handler from index `from` on that `host` was notified for (taking the
    /// notification), while the host still runs handlers.
    fn next_handler(&self, pc: &PlayCtx, host: &str, from: usize) -> Option<(usize, Arc<Task>)> {
        let handlers = pc.handlers.lock().map(|h| h.clone()).unwrap_or_default();
        for (idx, handler) in handlers.iter().enumerate().skip(from) {
            if !self.flushes(pc, host) {
                return None;
            }
            let notified = pc.notified.lock().ok().is_some_and(|mut n| {
                n.get_mut(&idx).is_some_and(|list| {
                    let before = list.len();
                    list.retain(|h| h != host);
                    list.len() != before
                })
            });
            if notified {
                return Some((idx, handler.clone()));
            }
        }
        None
    }

    /// Leaves the innermost frame of `walk`: a section ends with the implicit `flush_handlers`
    /// (when a handler waits, for this host or, `others`, for another), a block's body goes to
    /// its rescue (the host failed) or always.
    fn leave_frame(&self, pc: &PlayCtx, walk: &mut HostWalk, others: bool) -> Option<Step> {
        let frame = walk.frames.pop()?;
        let host = walk.host.clone();
        match frame.kind {
            FrameKind::Section => {
                if self.flushes(pc, &host) && (others || self.notified_for(pc, &host)) {
                    return Some((walk.implicit.flush.clone(), false, TaskKind::Task));
                }
            }
            FrameKind::Include => {}
            FrameKind::Body { block, outer } => {
                let failed = self.with_host(&host, |s| s.failed && !s.unreachable);
                if failed && !block.rescue.is_empty() {
                    self.with_host(&host, |s| {
                        s.failed = false;
                        s.rescue_pending = false;
                    });
                    walk.frames.push(Frame {
                        items: block.rescue.clone(),
                        pos: 0,
                        rescuable: outer,
                        kind: FrameKind::Rescue { block, outer },
                    });
                } else {
                    enter_always(self, walk, &block, outer);
                }
            }
            FrameKind::Rescue { block, outer } => enter_always(self, walk, &block, outer),
            FrameKind::Always { restore_failed } => {
                if restore_failed {
                    self.with_host(&host, |s| s.failed = true);
                }
            }
        }
        None
    }
}

/// Starts a block's always section for the host of `walk` (one that failed runs it too, and
/// is failed again after it).
fn enter_always(runner: &Runner, walk: &mut HostWalk, block: &Block, outer: bool) {
    if block.always.is_empty() {
        return;
    }
    let failed = runner.with_host(&walk.host, |s| s.failed && !s.unreachable);
    let goes = runner.with_host(&walk.host, |s| {
        if failed {
            s.failed = false;
        }
        !s.unreachable && !s.ended
    });
    if goes {
        walk.frames.push(Frame {
            items: block.always.clone(),
            pos: 0,
            kind: FrameKind::Always {
                restore_failed: failed,
            },
            rescuable: outer,
        });
    } else if failed {
        runner.with_host(&walk.host, |s| s.failed = true);
    }
}
