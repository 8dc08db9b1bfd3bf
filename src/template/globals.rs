//! Global functions Ansible adds to Jinja (TPL-01): `now(utc=False, fmt=None)`, `undef(hint)`,
//! `cycler(*items)`, `joiner(sep=', ')`, Python's `range` (`py_range.rs`); `namespace` and
//! `lookup`/`query` come from minijinja and `lookups.rs`, `dict` from the filters.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use minijinja::value::{Object, Rest, Value, ValueOrKwargs};
use minijinja::{Environment, Error, State};

use super::filters::{arg, fail, split_kwargs};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("now", now);
    env.add_function("range", super::py_range::range);
    env.add_function("undef", |_hint: Option<String>| Value::UNDEFINED);
    env.add_function("cycler", |items: Rest<Value>| {
        Value::from_object(Cycler {
            items: items.0,
            pos: AtomicUsize::new(0),
        })
    });
    env.add_function("joiner", |sep: Option<String>| {
        Value::from_object(Joiner {
            sep: sep.unwrap_or_else(|| ", ".to_string()),
            used: AtomicUsize::new(0),
        })
    });
}

/// `now(utc=False, fmt=None)`: the current time (a `datetime`-like object), or formatted text.
fn now(args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let utc = arg(&args, &kwargs, 0, "utc").is_some_and(|v| v.is_true());
    let fmt = arg(&args, &kwargs, 1, "fmt").map(|v| super::filters::py_str(&v));
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| fail(format!("clock error: {e}")))?;
    let mut secs = since.as_secs() as i64;
    if !utc {
        secs += local_offset_seconds(secs);
    }
    let micros = since.subsec_micros();
    match fmt {
        Some(f) => Ok(Value::from(super::filters::strftime_at(&f, secs))),
        None => Ok(Value::from_object(super::datetime::DateTime {
            secs,
            micros,
        })),
    }
}

/// The local time zone's offset from UTC at `secs`, in seconds.
fn local_offset_seconds(secs: i64) -> i64 {
    let t = secs as libc::time_t;
    // SAFETY: `tm` is plain old data and `localtime_r` only writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if ok {
        tm.tm_gmtoff
    } else {
        0
    }
}

/// Jinja's `cycler`: `next()` walks the items round-robin, `current` is the next one.
#[derive(Debug)]
struct Cycler {
    items: Vec<Value>,
    pos: AtomicUsize,
}

impl Object for Cycler {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "current" => self
                .items
                .get(self.pos.load(Ordering::Relaxed) % self.items.len().max(1))
                .cloned(),
            _ => None,
        }
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "next" => {
                if self.items.is_empty() {
                    return Ok(Value::from(()));
                }
                let i = self.pos.fetch_add(1, Ordering::Relaxed) % self.items.len();
                Ok(self.items[i].clone())
            }
            "reset" => {
                self.pos.store(0, Ordering::Relaxed);
                Ok(Value::from(()))
            }
            _ => Err(Error::from(minijinja::ErrorKind::UnknownMethod)),
        }
    }
}

/// Jinja's `joiner`: returns `''` on the first call, the separator afterwards.
#[derive(Debug)]
struct Joiner {
    sep: String,
    used: AtomicUsize,
}

impl Object for Joiner {
    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, _args: &[Value]) -> Result<Value, Error> {
        if self.used.fetch_add(1, Ordering::Relaxed) == 0 {
            Ok(Value::from(""))
        } else {
            Ok(Value::from(self.sep.as_str()))
        }
    }
}
