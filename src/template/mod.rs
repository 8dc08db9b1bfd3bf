//! Jinja2 templating with Ansible's behaviour (ansible-core 2.19), built on minijinja.
//!
//! # API for the engine
//!
//! - [`Templar::new`] builds the minijinja environments once per run; a `Templar` is `Clone` (an `Arc`
//!   inside), `Send + Sync`, and cheap to share between host tasks.
//! - Variables: [`Templar::context_from`] wraps a `serde_json::Map` into a lazy context value;
//!   [`VarsContext`] adds engine-provided values (`hostvars`, `groups` as lazy objects) and the
//!   task's [`LookupPaths`]. Strings containing `{{`/`{%`/`{#` are templated on access, recursively
//!   (VAR-04), with recursion detection; `{"__ansible_unsafe": s}` is never templated;
//!   `{"__ansible_vault": envelope}` is decrypted through the engine's [`VaultReveal`] hook.
//! - [`Templar::render_str`] renders one string with 2.19 typing (TPL-03): a lone `{{ expr }}` gives
//!   the native value, anything else gives text, plain strings come back untouched.
//!   [`Templar::render_value`] does the same recursively for lists and dicts (keys too) and drops
//!   `omit` elements (TPL-04).
//! - [`Templar::eval_bool`] for `when`/`changed_when`/`failed_when`/`until` (PB-12: the result must
//!   be a bool); [`Templar::eval`] for a bare expression (`debug: var=`).
//! - [`Templar::render_file`] for the `template` module and lookup (TPL-08): `#jinja2:` header,
//!   `ansible_managed`, `template_*` vars, `{% include %}`/`{% import %}` from the search path.
//! - [`Templar::omit`] is the unique `omit` placeholder; [`Templar::is_omit`] detects it.
//!
//! Undefined variables fail with Ansible's wording (`'foo' is undefined`, `object of type 'dict'
//! has no attribute 'x'`). Attribute access on undefined values chains (so `a.b | default(1)` works
//! when `a` is undefined, as in Ansible); printing, iterating or testing an undefined value fails.

mod convert;
mod error;
mod file;
mod filters;
mod globals;
mod jinja_tests;
mod lazy;
mod lookups;
mod templar;
mod yaml_codec;

pub use error::{TemplateError, TemplateErrorKind};
pub use file::TemplateFileInfo;
pub use lazy::VarsContext;
pub use lookups::LookupPaths;
pub use templar::{Templar, TemplarOptions, VaultReveal};
