//! What the run remembers about each host across tasks and plays: facts, `set_fact`/`register`
//! results, `include_vars` results, and whether it failed or was unreachable.

use serde_json::{Map, Value};

/// Per-host memory of a run.
#[derive(Debug, Clone, Default)]
pub struct HostState {
    /// Gathered facts, without the `ansible_` prefix (precedence 11).
    pub facts: Map<String, Value>,
    /// `include_vars` results (precedence 16).
    pub include_vars: Map<String, Value>,
    /// `set_fact` and `register` results (precedence 17).
    pub set_facts: Map<String, Value>,
    /// The host failed in this run (dropped from later plays).
    pub failed: bool,
    /// The host failed inside a block whose `rescue` will take the failure over (so it does not
    /// count towards `max_fail_percentage`).
    pub rescue_pending: bool,
    /// The host was unreachable.
    pub unreachable: bool,
    /// `meta: end_host` / `end_play` ended the host for the current play.
    pub ended: bool,
}

impl HostState {
    /// Still taking part in the play.
    pub fn active(&self) -> bool {
        !self.failed && !self.unreachable && !self.ended
    }
}
