//! Ansible's filters (TPL-05) on top of minijinja's builtins, one file per family.
//!
//! Builtins kept as they are: join, length/count, lower/upper/capitalize/title, list, map, select/
//! reject/selectattr/rejectattr, first/last, replace, trim, sort, dictsort, min/max/sum, format,
//! default/d, round, abs, unique, batch, slice, items, attr, split, lines. Overridden where Ansible
//! differs: `bool`, `int`, `float`, `string`, `indent`, `unique`, `flatten`.

mod core;
mod data;
mod encode;
mod math;
mod password_hash;
mod paths;
mod py_random;
mod regex;
mod sets;

use minijinja::Environment;

pub(crate) use self::core::{
    arg, civil_from_unix, format_utc_datetime, py_float as py_float_text, py_repr, py_str,
    split_kwargs, strftime_at, Rng,
};
pub(crate) use self::data::{flatten, subelements};
pub(crate) use self::regex::compile as compile_regex;
pub(crate) use self::sets::items;

/// Registers every Ansible filter on `env`.
pub(crate) fn register(env: &mut Environment<'static>) {
    core::register(env);
    regex::register(env);
    data::register(env);
    sets::register(env);
    encode::register(env);
    paths::register(env);
    math::register(env);
}

/// An "invalid operation" error with `msg`.
pub(crate) fn fail(msg: impl Into<String>) -> minijinja::Error {
    minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, msg.into())
}
