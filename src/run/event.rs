//! What the runner tells the outside world while it works: one [`Event`] per thing that happened
//! (a play started, a host finished a task, the recap...). The runner never formats text; the
//! reporters in `output/` turn events into Ansible-style lines, JSON or JSON Lines.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Map, Value};

/// Where a task or play was written: file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The YAML file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl std::fmt::Display for Origin {
    /// `file:line:column`; without a column (INI files) `file:line`; without a line (an ad-hoc
    /// task) the name alone.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}", self.file.display()),
            (line, 0) => write!(f, "{}:{line}", self.file.display()),
            (line, column) => write!(f, "{}:{line}:{column}", self.file.display()),
        }
    }
}

impl Origin {
    /// Parses `file:line` or `file:line:column` (the inventory's record of a value's place).
    pub fn parse(text: &str) -> Option<Origin> {
        let mut parts = text.rsplitn(3, ':');
        let last: usize = parts.next()?.parse().ok()?;
        let middle = parts.next()?;
        match (middle.parse::<usize>(), parts.next()) {
            (Ok(line), Some(file)) => Some(Origin {
                file: file.into(),
                line,
                column: last,
            }),
            _ => {
                let file = text.rsplit_once(':')?.0;
                Some(Origin {
                    file: file.into(),
                    line: last,
                    column: 0,
                })
            }
        }
    }
}

/// The kind of banner a task gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// A task of pre_tasks/roles/tasks/post_tasks (also `Gathering Facts`).
    Task,
    /// A handler run at a flush point.
    Handler,
}

/// A task about to run on the hosts of the batch.
#[derive(Debug, Clone, Serialize)]
pub struct TaskStart {
    /// Display name: `role : name`, the name, or the action as written.
    pub name: String,
    /// Task or handler.
    pub kind: TaskKind,
    /// The action (module or engine keyword) as written.
    pub action: String,
    /// Where the task was written.
    pub origin: Option<Origin>,
}

/// How a host's task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing changed.
    Ok,
    /// The host was (or in check mode would be) changed.
    Changed,
    /// The task did not run (condition false, check mode, no items...).
    Skipped,
    /// The task failed.
    Failed,
    /// The host could not be reached.
    Unreachable,
}

/// The result of one task (or one loop item) on one host.
#[derive(Debug, Clone, Serialize)]
pub struct HostResult {
    /// Inventory name.
    pub host: String,
    /// `delegate_to` target, shown as `[host -> delegate]`.
    pub delegated_to: Option<String>,
    /// How it ended.
    pub status: Status,
    /// The result dictionary, with Ansible's keys (already censored for `no_log`).
    pub result: Map<String, Value>,
    /// Label of the loop item when this is a per-item result.
    pub item_label: Option<String>,
    /// The failure was ignored (`ignore_errors`): `...ignoring` follows.
    pub ignored: bool,
    /// Always print the result (debug, assert), indented.
    pub verbose_always: bool,
    /// A `debug` result: only `msg` (or the variable) is shown.
    pub debug_result: bool,
    /// Why the task failed, for the `[ERROR]: Task failed: ...` block.
    pub error: Option<super::error_chain::ErrorChain>,
    /// Where the failing task was written.
    pub origin: Option<Origin>,
}

impl HostResult {
    /// A plain result of `host`: no loop item, delegation, error or display hints.
    pub fn new(host: impl Into<String>, status: Status, result: Map<String, Value>) -> Self {
        HostResult {
            host: host.into(),
            delegated_to: None,
            status,
            result,
            item_label: None,
            ignored: false,
            verbose_always: false,
            debug_result: false,
            error: None,
            origin: None,
        }
    }
}

/// Per-host counters of the PLAY RECAP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HostStats {
    /// Tasks that ran and did not fail (including changed and ignored failures).
    pub ok: u32,
    /// Tasks that changed the host.
    pub changed: u32,
    /// Tasks for which the host was unreachable.
    pub unreachable: u32,
    /// Tasks that failed the host.
    pub failed: u32,
    /// Skipped tasks.
    pub skipped: u32,
    /// Failures cleared by a rescue section.
    pub rescued: u32,
    /// Failures ignored by `ignore_errors`.
    pub ignored: u32,
}

/// Everything the runner reports.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A playbook file starts.
    PlaybookStart {
        /// The playbook file.
        path: PathBuf,
        /// Number of plays.
        plays: usize,
    },
    /// A play (or a serial batch of it) starts.
    PlayStart {
        /// Display name.
        name: String,
        /// Hosts of this batch.
        hosts: Vec<String>,
    },
    /// The play's pattern matched no host.
    NoHostsMatched,
    /// The run stops early: no host is left to work on.
    NoMoreHosts,
    /// A task starts.
    TaskStart(TaskStart),
    /// A host finished a task or a loop item.
    HostResult(Box<HostResult>),
    /// `include_tasks` / `include_role` brought in a file or role for some hosts.
    Included {
        /// Included file (absolute) or role name.
        what: String,
        /// Hosts that included it.
        hosts: Vec<String>,
        /// Loop item label, when the include was looped.
        item_label: Option<String>,
    },
    /// A looped task failed but `ignore_errors` keeps the host going (`...ignoring`).
    Ignoring {
        /// The host.
        host: String,
    },
    /// An `until` condition was not met; the task is tried again.
    Retrying {
        /// The host.
        host: String,
        /// Task display name.
        task: String,
        /// Attempts left.
        left: u32,
    },
    /// A polled background job (`async` with `poll` > 0) has not finished yet.
    AsyncPoll {
        /// The host.
        host: String,
        /// The job id.
        jid: String,
        /// Whether the job has started.
        started: bool,
        /// Whether it has finished.
        finished: bool,
    },
    /// Polling a background job ended: it finished, or its time ran out (`failed`).
    AsyncDone {
        /// The host.
        host: String,
        /// The job id.
        jid: String,
        /// Whether the job's result (or the wait for it) failed.
        failed: bool,
    },
    /// A handler was notified (shown with -vv).
    HandlerNotified {
        /// The host.
        host: String,
        /// Handler name.
        handler: String,
    },
    /// A warning (`[WARNING]: ...` on stderr).
    Warning {
        /// The text.
        message: String,
    },
    /// A deprecation warning.
    Deprecation {
        /// The text.
        message: String,
    },
    /// The PLAY RECAP.
    Recap {
        /// Counters per host, sorted by host name.
        stats: BTreeMap<String, HostStats>,
    },
}

/// Receives the runner's events. Implemented by the reporters in `output/`.
pub trait Reporter: Send {
    /// Handles one event.
    fn report(&mut self, event: &Event);
    /// Called once when the run is over (flush files, print a JSON document...).
    fn finish(&mut self) {}
}

/// Sends every event to several reporters (the terminal lines plus a JSON Lines file, say).
pub struct Fanout(pub Vec<Box<dyn Reporter>>);

impl Reporter for Fanout {
    fn report(&mut self, event: &Event) {
        for r in &mut self.0 {
            r.report(event);
        }
    }
    fn finish(&mut self) {
        for r in &mut self.0 {
            r.finish();
        }
    }
}
