//! `now()`'s result: like Python's `datetime`, an object with `year`, `month`, `day`, `hour`,
//! `minute`, `second`, `microsecond`, `strftime(fmt)` and `isoformat()`, printed (and stored) as
//! `YYYY-MM-DD HH:MM:SS.ffffff`. Playbooks use `now().year` and `now().strftime('%Y')`.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Object, ObjectRepr, Value};
use minijinja::{Error, State};

use super::filters::{civil_from_unix, format_utc_datetime, py_str, strftime_at};

/// A point in time, already shifted to the wanted time zone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DateTime {
    /// Seconds since the epoch, in the wanted zone.
    pub(crate) secs: i64,
    /// Microseconds.
    pub(crate) micros: u32,
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_utc_datetime(self.secs))?;
        if self.micros != 0 {
            write!(f, ".{:06}", self.micros)?;
        }
        Ok(())
    }
}

impl Object for DateTime {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (y, mo, d, h, mi, s) = civil_from_unix(self.secs);
        Some(match key.as_str()? {
            "year" => Value::from(y),
            "month" => Value::from(mo),
            "day" => Value::from(d),
            "hour" => Value::from(h),
            "minute" => Value::from(mi),
            "second" => Value::from(s),
            "microsecond" => Value::from(self.micros),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "strftime" => {
                let fmt = args.first().map(py_str).unwrap_or_default();
                Ok(Value::from(strftime_at(&fmt, self.secs)))
            }
            "isoformat" => Ok(Value::from(self.to_string().replacen(' ', "T", 1))),
            _ => Err(Error::from(minijinja::ErrorKind::UnknownMethod)),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_ref(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_like_python() {
        let t = DateTime {
            secs: 1_700_000_000,
            micros: 5,
        };
        assert_eq!(t.to_string(), "2023-11-14 22:13:20.000005");
        let v = Value::from_object(t);
        assert_eq!(v.get_attr("year").ok(), Some(Value::from(2023)));
    }
}
