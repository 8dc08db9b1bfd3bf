//! The live progress line: on a terminal, while a task runs on many hosts, one line at the
//! bottom says how many hosts of the batch are done with it. Ansible prints nothing until a
//! host answers, so a task on 500 hosts looks stuck; this line shows it is not. It wraps the
//! reporter that prints the ordinary lines and steps aside (clears itself) whenever that
//! reporter writes, so the lines Ansible users know stay exactly as they are.

use std::collections::HashSet;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::run::event::{Event, Reporter};

/// Batches smaller than this get no progress line: their results fit on the screen anyway.
pub const MIN_HOSTS: usize = 5;

/// A reporter that draws the progress line on standard error around an inner reporter.
pub struct LiveProgress {
    inner: Box<dyn Reporter>,
    bar: ProgressBar,
    /// Where the line goes while it is shown (standard error, or hidden in tests).
    target: fn() -> ProgressDrawTarget,
    /// Whether the line is drawn now (a task runs on a large enough batch).
    visible: bool,
    /// Hosts of the current batch.
    hosts: usize,
    /// Hosts that reported a result for the current task.
    done: HashSet<String>,
}

impl LiveProgress {
    /// Wraps `inner`; the line is drawn on standard error, and only when it is a terminal.
    pub fn new(inner: Box<dyn Reporter>) -> LiveProgress {
        LiveProgress::with_target(inner, ProgressDrawTarget::stderr)
    }

    /// Wraps `inner`, drawing on what `target` makes (hidden targets draw nothing).
    pub fn with_target(
        inner: Box<dyn Reporter>,
        target: fn() -> ProgressDrawTarget,
    ) -> LiveProgress {
        let bar = hidden_bar();
        LiveProgress {
            inner,
            bar,
            target,
            visible: false,
            hosts: 0,
            done: HashSet::new(),
        }
    }

    /// Shows or hides (clears) the line, keeping its counts.
    fn set_visible(&mut self, visible: bool) {
        if visible == self.visible {
            return;
        }
        self.visible = visible;
        if visible {
            self.bar.set_draw_target((self.target)());
        } else {
            let next = hidden_bar();
            next.set_length(self.bar.length().unwrap_or(0));
            next.set_position(self.bar.position());
            next.set_message(self.bar.message());
            self.bar.finish_and_clear();
            self.bar = next;
        }
    }
}

/// A bar that draws nothing until it gets a target, in rplay's style.
fn hidden_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {pos}/{len} hosts done with {msg} [{bar:20}] {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

impl Reporter for LiveProgress {
    fn report(&mut self, event: &Event) {
        match event {
            Event::PlayStart { hosts, .. } => {
                self.set_visible(false);
                self.hosts = hosts.len();
                self.bar.set_length(hosts.len() as u64);
            }
            Event::TaskStart(t) => {
                self.done.clear();
                self.bar.set_position(0);
                self.bar.set_message(t.name.clone());
                self.bar.reset_elapsed();
            }
            Event::Recap { .. } | Event::NoMoreHosts | Event::NoHostsMatched => {
                self.set_visible(false);
            }
            _ => {}
        }
        // The ordinary lines are printed with the progress line out of the way.
        let inner = &mut self.inner;
        self.bar.suspend(|| inner.report(event));
        match event {
            Event::TaskStart(_) => {
                self.set_visible(self.hosts >= MIN_HOSTS);
                self.bar.tick();
            }
            Event::HostResult(r) => {
                if self.done.insert(r.host.clone()) {
                    self.bar.set_position(self.done.len() as u64);
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        self.set_visible(false);
        self.inner.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::event::{HostResult, Status, TaskKind, TaskStart};
    use std::sync::{Arc, Mutex};

    struct Count(Arc<Mutex<usize>>);
    impl Reporter for Count {
        fn report(&mut self, _: &Event) {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        }
    }

    #[test]
    fn passes_every_event_through_and_counts_hosts_once_per_task() {
        let seen = Arc::new(Mutex::new(0));
        let mut p =
            LiveProgress::with_target(Box::new(Count(seen.clone())), ProgressDrawTarget::hidden);
        let hosts: Vec<String> = (1..=6).map(|i| format!("h{i}")).collect();
        p.report(&Event::PlayStart {
            name: "p".into(),
            hosts: hosts.clone(),
        });
        p.report(&Event::TaskStart(TaskStart {
            name: "t".into(),
            kind: TaskKind::Task,
            action: "ping".into(),
            origin: None,
        }));
        for h in hosts.iter().chain(hosts.iter().take(2)) {
            p.report(&Event::HostResult(Box::new(HostResult::new(
                h.clone(),
                Status::Ok,
                Default::default(),
            ))));
        }
        assert_eq!(p.bar.position(), 6);
        assert_eq!(*seen.lock().unwrap_or_else(|e| e.into_inner()), 10);
    }
}
