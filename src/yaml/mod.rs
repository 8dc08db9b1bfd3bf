//! Spanned YAML loading with Ansible's dialect: PyYAML's YAML 1.1 scalar rules, merge keys,
//! anchors, duplicate keys (last wins, with a warning), and Ansible's `!vault` / `!unsafe` tags.
//!
//! - [`load_str`] / [`load_file`]: text → all documents as [`Node`]s, or a [`Diagnostic`]
//!   naming `file:line:col`. [`load_str_with_warnings`] also returns the warnings (duplicate
//!   keys) that Ansible prints while loading.
//! - [`Node`]: a value ([`Yaml`]) with the [`Span`] where it starts; `Node::to_json` gives the
//!   `serde_json::Value` the rest of rplay works with.
//! - [`Timestamp`]: a YAML date or datetime, carried in JSON as `{"__rplay_timestamp": iso}`.
//!
//! [`Diagnostic`]: crate::diag::Diagnostic
//! [`Span`]: crate::diag::Span

mod emit;
mod loader;
mod node;
mod scalar;
mod timestamp;

pub use emit::to_yaml_string;
pub use loader::{load_file, load_file_with_warnings, load_str, load_str_with_warnings, Loaded};
pub use node::{Mapping, Node, Yaml, UNSAFE_KEY, VAULT_KEY};
pub use timestamp::{timestamps_to_text, TimeOfDay, Timestamp, TIMESTAMP_KEY};
