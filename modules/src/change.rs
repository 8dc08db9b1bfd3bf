//! What a module found ([`Plan`], a list of [`Change`]s) and what it reports ([`Outcome`]).
//! `--check` prints a plan, `--diff` renders it, a real run applies exactly it; a task is
//! *changed* exactly when its plan is not empty.

use crate::{Map, Value};

/// A before/after pair of texts, rendered as a unified diff by `--diff`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextDiff {
    /// Label of the old side (usually the path on the host).
    pub before_header: String,
    /// Label of the new side (the path, or the source file/template).
    pub after_header: String,
    /// Old contents.
    pub before: String,
    /// New contents.
    pub after: String,
}

/// One difference between the host and the wanted state.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// What differs, e.g. `content`, `mode`, `state`, `package:nginx`, `port:80/tcp`.
    pub field: String,
    /// The value on the host now (`null` when absent).
    pub before: Value,
    /// The wanted value.
    pub after: Value,
    /// Text contents, for file-like changes.
    pub text: Option<TextDiff>,
    /// A ready-made `--diff` text (Ansible's `prepared` diff, e.g. git's): shown as it is in place
    /// of before/after. An empty text hides the change from `--diff`.
    pub prepared: Option<String>,
}

impl Change {
    /// A change of a simple value.
    pub fn new(
        field: impl Into<String>,
        before: impl Into<Value>,
        after: impl Into<Value>,
    ) -> Self {
        Change {
            field: field.into(),
            before: before.into(),
            after: after.into(),
            text: None,
            prepared: None,
        }
    }

    /// Attaches text contents for `--diff`.
    pub fn with_text(mut self, text: TextDiff) -> Self {
        self.text = Some(text);
        self
    }

    /// Sets the ready-made `--diff` text (empty: the change is not shown by `--diff`).
    pub fn with_prepared(mut self, text: impl Into<String>) -> Self {
        self.prepared = Some(text.into());
        self
    }
}

/// The result of querying a host: what must change, plus values known from the query
/// (returned as they are when nothing changes or in check mode).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The differences, in the order `apply` will fix them. Empty means "ok, nothing to do".
    pub changes: Vec<Change>,
    /// Return values known after the query (e.g. `checksum`, `path`, `state`).
    pub values: Map,
    /// Set by modules that always act (command, shell, raw...): the plan is "run it" and is not a
    /// comparison of states. Such a plan is skipped in check mode, as Ansible does.
    pub always_acts: bool,
    /// A message for an `ok` result, e.g. why nothing was done (`creates` exists).
    pub msg: Option<String>,
    /// Set by modules that decide and act in one call and handle check mode themselves (the
    /// project's own modules from `library/`): their result, reported as it is in every mode,
    /// without `apply` or the engine's `invocation`.
    pub finished: Option<Outcome>,
}

impl Plan {
    /// A plan with nothing to do.
    pub fn unchanged(values: Map) -> Self {
        Plan {
            values,
            ..Default::default()
        }
    }

    /// A plan saying the task cannot be done, with the values Ansible reports alongside the
    /// failure (`path`, `rc`...): `failed: true` and `msg` join `values`, and nothing is applied.
    pub fn failed(msg: impl Into<String>, mut values: Map) -> Self {
        let msg = msg.into();
        values.insert("failed".into(), Value::Bool(true));
        values.insert("msg".into(), Value::String(msg.clone()));
        Plan {
            values,
            msg: Some(msg),
            ..Default::default()
        }
    }

    /// True when the host already matches.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && !self.always_acts
    }
}

/// What a task reports for one host, before the engine adds its own keys.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Whether the host was (or in check mode would be) changed.
    pub changed: bool,
    /// Whether the module failed.
    pub failed: bool,
    /// Whether the module skipped itself (e.g. command in check mode).
    pub skipped: bool,
    /// Human-readable message (`msg`).
    pub msg: Option<String>,
    /// Module return values with Ansible's keys (`rc`, `stdout`, `dest`, `checksum`...).
    pub values: Map,
    /// Before/after pairs for `--diff`.
    pub diffs: Vec<Change>,
}

impl Outcome {
    /// A successful result with values.
    pub fn ok(values: Map) -> Self {
        Outcome {
            values,
            ..Default::default()
        }
    }

    /// A failed result with a message.
    pub fn failed(msg: impl Into<String>) -> Self {
        Outcome {
            failed: true,
            msg: Some(msg.into()),
            ..Default::default()
        }
    }

    /// The result of a plan that was carried out: changed, with the plan's values and changes.
    pub fn applied(plan: Plan) -> Self {
        Outcome {
            changed: true,
            values: plan.values,
            diffs: plan.changes,
            ..Default::default()
        }
    }

    /// The result as Ansible reports it: `changed` first, then the module's own keys, then
    /// `failed`, `skipped` and `msg` when set (`--diff` texts are the engine's to add).
    pub fn into_result(self) -> Map {
        let mut r = Map::new();
        r.insert("changed".into(), Value::Bool(self.changed));
        r.extend(self.values);
        if self.failed {
            r.insert("failed".into(), Value::Bool(true));
        }
        if self.skipped {
            r.insert("skipped".into(), Value::Bool(true));
        }
        if let Some(m) = self.msg {
            r.insert("msg".into(), Value::String(m));
        }
        r
    }
}
