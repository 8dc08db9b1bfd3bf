//! Diagnostics: where something is in a source file ([`Span`]) and a user-facing error that
//! names that place and shows the offending line ([`Diagnostic`]).
//!
//! Every loader (YAML, INI inventory, ansible.cfg, playbooks) reports bad input through
//! [`Diagnostic`], so all errors read the same: message, `file:line:col`, the source line and
//! a caret under the column.

mod diagnostic;
mod span;

pub use diagnostic::{Diagnostic, Excerpt, Severity};
pub use span::Span;
