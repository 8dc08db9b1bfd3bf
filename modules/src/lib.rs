//! rplay's module library.
//!
//! A module is what a task asks for (`copy`, `apt`, `systemd`...). Every module works the same way,
//! borrowed from pyinfra's facts/operations split and jetporch's query-then-act machine:
//!
//! 1. [`Module::plan`] queries the host (one round trip whenever possible) and returns a [`Plan`]:
//!    the list of [`Change`]s between the host's state and the wanted state.
//! 2. The engine decides: no change means `ok`; `--check` reports the plan as it is; a real run calls
//!    [`Module::apply`], which applies exactly that plan and nothing else.
//!
//! Modules reach the host only through the [`Host`] trait (run a script, put a file, get a file), and
//! the controller only through the [`Controller`] trait (find and render controller-side files,
//! evaluate expressions). They know nothing of the engine, so each can be tested alone.
//!
//! Map of this crate:
//! - `host`: the [`Host`] and [`Controller`] traits modules talk through.
//! - `change`: [`Change`], [`Plan`], [`Outcome`]: what a module found and what it did.
//! - `spec`: [`ModuleSpec`], argument specs, validation and coercion; docs for `rdoc` derive from it.
//! - `module`: the [`Module`] trait and its [`Context`].
//! - `registry`: the one place where names (short and FQCN) map to modules, built-in or custom.
//! - `custom`: the project's own modules from `library/` directories (WANT_JSON, key=value).
//! - `shell`: POSIX quoting and framed multi-section probe scripts (one round trip, many answers).
//! - `job`: background jobs (`async`): starting a module's script detached, reading results files.
//! - `fileattr`: `mode` forms, `stat` probes, owner/group lookups and attribute changes.
//! - one file per module under `builtin/`.

pub mod builtin;
pub mod change;
pub mod custom;
pub mod doc;
pub mod facts;
pub mod fileattr;
pub mod host;
pub mod job;
pub mod module;
pub mod registry;
pub mod shell;
pub mod spec;
pub mod textedit;
pub mod timestamp;

pub use change::{Change, Outcome, Plan, TextDiff};
pub use host::{Command, Content, Controller, FileAttrs, Host, HostError, Output};
pub use module::{Context, Module, ModuleError};
pub use spec::{ArgKind, ArgSpec, Args, ModuleSpec, ReturnSpec};

/// Values passed to and returned by modules: JSON-like, insertion-ordered.
pub type Value = serde_json::Value;
/// An insertion-ordered map of values.
pub type Map = serde_json::Map<String, Value>;
