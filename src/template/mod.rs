//! Jinja2 templating with Ansible's behaviour (ansible-core 2.19), built on minijinja.
//!
//! # API for the engine
//!
//! - [`Templar::new`] builds the minijinja environments once per run; a `Templar` is `Clone` (an `Arc`
//!   inside), `Send + Sync`, and cheap to share between host tasks.
//! - Variables: [`Templar::context_from`] wraps a `serde_json::Map` into a lazy context value;
//!   [`VarsContext`] is the general form: `VarsContext::new(&templar, Arc<Map>)` then
//!   `.with_value(name, minijinja::Value)` for engine-made values (lazy `hostvars`, `groups`),
//!   `.with_lookup_paths(LookupPaths { search })` for controller file lookups,
//!   `.with_first_found_subdir("templates")` for `with_first_found` loops, `.into_value()`.
//!   Strings containing `{{`/`{%`/`{#` are templated on access, recursively, in that context
//!   (VAR-04), natively typed, with recursion detection ("Recursive loop detected in template");
//!   a variable whose template uses an undefined name is itself undefined (so `default` and
//!   `is defined` work, and printing it names the inner variable). `{"__ansible_unsafe": s}` is
//!   never templated; `{"__ansible_vault": envelope}` is decrypted on use through the engine's
//!   [`VaultReveal`] hook (also for vault-encrypted files read by `lookup('file')`). `vars` (all
//!   variables) and `omit` are always available.
//! - [`Templar::render_str`] renders one string with 2.19 typing (TPL-03): a lone `{{ expr }}`, or a
//!   template whose only output is one `{{ }}` value among statements, gives the native value; a
//!   template that outputs nothing gives `None`; anything else gives text (with `None` as `''`);
//!   plain strings come back untouched at no cost. Inline templates follow Ansible's quirks:
//!   backslashes in `{{ }}` string literals are literal, trailing newlines are kept,
//!   `ansible.builtin.`/`community.general.`... prefixes of filters and tests are accepted.
//! - [`Templar::render_value`] renders lists and dicts recursively (dict keys stay literal) and drops `omit`
//!   elements (TPL-04); [`Templar::render_args`] does the same for a task's arguments with
//!   literal keys (except for `set_fact`) and errors naming the argument
//!   (`Error while resolving value for 'msg': 'x' is undefined`).
//! - [`Templar::eval_condition`] for `when`/`changed_when`/`failed_when`/`until` (PB-12: the
//!   result must be a bool; `{{ }}`-wrapped strings are rendered first and a string result is
//!   evaluated again); a [`ConditionError`] says whether a non-boolean (or empty) value is a
//!   variable's own value ([`Derivation`]), so the engine can name where it was written.
//!   [`Templar::eval_bool`] gives the same as a plain [`TemplateError`] (for `assert`).
//! - [`as_data`] marks what tasks produced (registered results, set_fact values) as never to be
//!   templated again.
//!   [`Templar::eval`] evaluates a bare expression (`debug: var=`, `loop`).
//! - [`Templar::render_file`] for the `template` module and lookup (TPL-08): `#jinja2:` header,
//!   module `trim_blocks`/`lstrip_blocks`, `ansible_managed` and the `template_*` vars,
//!   `{% include %}`/`{% import %}` from the template's directory then
//!   [`TemplateFileInfo::search_paths`].
//! - [`Templar::omit`] is the run's unique `omit` placeholder; [`Templar::is_omit`] detects it.
//! - Errors are [`TemplateError`]s (kind + message worded like Ansible's: `'foo' is undefined`,
//!   `object of type 'dict' has no attribute 'x'`, `Syntax error in template: No filter named
//!   'x'.`, `Error rendering template: ...`, `The filter plugin '...' failed: ...`, `The lookup
//!   plugin 'file' failed: ...`).
//!
//! Undefined values chain like Ansible's (`a.b | default(1)` works when `a` is undefined);
//! printing one, returning one as a result, or testing one in a conditional fails naming it.
//! Known difference: inside filters, comparisons, `{% if %}` and `{% for %}` an undefined value is
//! lenient (`foo | upper` gives `''`) where Ansible fails. Not supported: Python's `%` string
//! operator, `{{ range(3) }}` and list-method storage errors, arithmetic, ordering and most
//! filters on dates, `json_query`/`ipaddr` (they fail like the reference venv, which lacks
//! jmespath/netaddr).
//!
//! YAML dates and datetimes (`{"__rplay_timestamp": isoformat}` in the variables) are date
//! objects in templates: `type_debug` gives `date`/`datetime`, text is Python's `str()`, `to_json`
//! and stored results give `isoformat()`, a list printed as text shows their `repr()`, and
//! `year`/`month`/`day`/`hour`..., `isoformat()`, `strftime()`, `weekday()` work.
//!
//! `d.items` (a dict method name as an attribute, not called) is the variables' dict method as
//! in Jinja, not the `items` key: it prints as `<bound method ...>` and cannot be a task's value.

mod condition;
mod convert;
mod datetime;
mod error;
mod file;
mod filters;
mod globals;
mod jinja_tests;
mod lazy;
mod lookups;
mod methods;
mod py_range;
mod templar;
mod trust;
mod yaml_codec;

pub use condition::{ConditionError, Derivation};
pub use error::{TemplateError, TemplateErrorKind};
pub use file::TemplateFileInfo;
pub use lazy::VarsContext;
pub use lookups::LookupPaths;
pub use templar::{Templar, TemplarOptions, VaultReveal};
pub use trust::as_data;
