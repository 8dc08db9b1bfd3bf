//! Why a task failed, as ansible-core 2.19 models it: a chain of causes, each with its message and,
//! when known, where in the sources it happened (`when: x` at 21:11, the value of `x` at 4:14) and a
//! help line. The chain gives both of Ansible's texts: the one-line brief message of the result's
//! `msg`, and (in `output/error_text.rs`) the `[ERROR]:` block with one `Origin:` excerpt per
//! distinct place, joined by `<<< caused by >>>`.

use serde::Serialize;

use super::event::Origin;

/// One link of an error chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// The message of this link alone (`Error while resolving value for 'msg'`).
    pub message: String,
    /// Where it happened, when known.
    pub origin: Option<Origin>,
    /// Python's text of an offending value without a known origin, shown under `Origin: <unknown>`.
    pub value_text: Option<String>,
    /// A hint printed after the excerpt.
    pub help: Option<String>,
    /// A Python exception rather than an Ansible error (`maximum recursion depth exceeded`):
    /// it keeps a section of its own even without a place.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub foreign: bool,
}

impl Cause {
    /// A cause with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Cause {
            message: message.into(),
            origin: None,
            value_text: None,
            help: None,
            foreign: false,
        }
    }

    /// A Python exception's message as a cause of its own.
    pub fn foreign(message: impl Into<String>) -> Self {
        Cause {
            foreign: true,
            ..Cause::new(message)
        }
    }

    /// A cause at `origin`.
    pub fn at(message: impl Into<String>, origin: Option<Origin>) -> Self {
        Cause {
            origin,
            ..Cause::new(message)
        }
    }

    /// The same cause with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this cause adds nothing to `head`'s section of the `[ERROR]` block (no place,
    /// value or help of its own, or the same ones, and not a Python exception), so its message
    /// joins `head`'s.
    pub(crate) fn folds_into(&self, head: &Cause) -> bool {
        let has_details = self.origin.is_some()
            || self.value_text.is_some()
            || self.help.is_some()
            || self.foreign;
        let same = self.origin == head.origin
            && self.value_text == head.value_text
            && self.help == head.help
            && !self.foreign;
        !has_details || same
    }
}

/// A failure: the outermost cause first. Unless `outside_task`, the chain is reported under
/// Ansible's `Task failed.` link at the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorChain {
    /// The causes, outermost first.
    pub causes: Vec<Cause>,
    /// Raised outside the task's own execution (a `loop` value of the wrong type): no
    /// `Task failed` link, and the result's `msg` has no `Task failed: ` prefix.
    pub outside_task: bool,
}

impl ErrorChain {
    /// A chain of one cause with only a message (`Module failed: ...`).
    pub fn message(message: impl Into<String>) -> Self {
        ErrorChain::of(Cause::new(message))
    }

    /// A chain of one cause.
    pub fn of(cause: Cause) -> Self {
        ErrorChain {
            causes: vec![cause],
            outside_task: false,
        }
    }

    /// This chain with `cause` as its new outermost link.
    pub fn wrapped_in(mut self, cause: Cause) -> Self {
        self.causes.insert(0, cause);
        self
    }

    /// The result's `msg`: `Task failed: ` and the brief message.
    pub fn result_message(&self) -> String {
        if self.outside_task {
            self.brief()
        } else {
            format!("Task failed: {}", self.brief())
        }
    }

    /// Ansible's brief message: every link's message joined by `: `, a link already ending with
    /// the rest of the chain's text standing for both.
    pub fn brief(&self) -> String {
        brief_of(self.causes.iter().map(|c| c.message.as_str()))
    }
}

impl std::fmt::Display for ErrorChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.brief())
    }
}

/// Joins messages, outermost first, the way Ansible deduplicates them: from the innermost out,
/// a message that already ends with the text so far replaces it; any other is joined with `: `
/// after its trailing dots and spaces are dropped.
pub(crate) fn brief_of<'a>(messages: impl DoubleEndedIterator<Item = &'a str>) -> String {
    let mut parts = messages.rev();
    let mut out = parts.next().unwrap_or_default().to_string();
    for part in parts {
        if part.ends_with(&out) {
            out = part.to_string();
        } else {
            out = format!("{}: {out}", part.trim_end_matches(['.', ' ']));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brief_joins_and_deduplicates() {
        let chain = ErrorChain::message("'x' is undefined")
            .wrapped_in(Cause::new("Error while resolving value for 'msg'"))
            .wrapped_in(Cause::new("Finalization of task args failed."));
        assert_eq!(
            chain.brief(),
            "Finalization of task args failed: Error while resolving value for 'msg': 'x' is undefined"
        );
        let dup = ErrorChain::message("boom").wrapped_in(Cause::new("it went boom"));
        assert_eq!(dup.brief(), "it went boom");
    }
}
