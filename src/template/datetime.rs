//! Date values in templates.
//!
//! - [`DateTime`]: `now()`'s result: like Python's `datetime`, an object with `year`, `month`,
//!   `day`, `hour`, `minute`, `second`, `microsecond`, `strftime(fmt)` and `isoformat()`, printed
//!   (and stored) as `YYYY-MM-DD HH:MM:SS.ffffff`. Playbooks use `now().year` and
//!   `now().strftime('%Y')`.
//! - [`YamlTimestamp`]: a date or datetime loaded from YAML (`2024-01-02`), which keeps its
//!   Python type through templating (`type_debug` is `date`/`datetime`, text is `str()`, JSON is
//!   `isoformat()`), and is stored back as `{"__rplay_timestamp": isoformat}`.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use minijinja::value::{DynObject, Object, ObjectRepr, Value};
use minijinja::{Error, State};

use super::filters::{civil_from_unix, format_utc_datetime, py_str, strftime_at};
use crate::yaml::Timestamp;

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

/// A YAML date or datetime as a template value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct YamlTimestamp(pub(crate) Timestamp);

impl YamlTimestamp {
    /// The template value of `ts`.
    pub(crate) fn value(ts: Timestamp) -> Value {
        Value::from_object(YamlTimestamp(ts))
    }

    /// The timestamp a template value holds, if it is one.
    pub(crate) fn of(value: &Value) -> Option<Timestamp> {
        value.downcast_object_ref::<YamlTimestamp>().map(|t| t.0)
    }
}

impl Object for YamlTimestamp {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let ts = &self.0;
        let time = ts.time;
        Some(match (key.as_str()?, time) {
            ("year", _) => Value::from(ts.year),
            ("month", _) => Value::from(ts.month),
            ("day", _) => Value::from(ts.day),
            ("hour", Some(t)) => Value::from(t.hour),
            ("minute", Some(t)) => Value::from(t.minute),
            ("second", Some(t)) => Value::from(t.second),
            ("microsecond", Some(t)) => Value::from(t.micros),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let ts = self.0;
        match method {
            "isoformat" => Ok(Value::from(ts.isoformat())),
            "strftime" => {
                let fmt = args.first().map(py_str).unwrap_or_default();
                Ok(Value::from(strftime_at(&fmt, ts.local_seconds())))
            }
            "weekday" => Ok(Value::from(ts.weekday())),
            "isoweekday" => Ok(Value::from(ts.weekday() + 1)),
            "date" if ts.time.is_some() => Ok(YamlTimestamp::value(Timestamp { time: None, ..ts })),
            _ => Err(Error::from(minijinja::ErrorKind::UnknownMethod)),
        }
    }

    /// Python compares a date with a datetime by their dates; two datetimes (or two dates) by
    /// the moment they name.
    fn custom_cmp(self: &Arc<Self>, other: &DynObject) -> Option<Ordering> {
        let other = other.downcast_ref::<Self>()?.0;
        let this = self.0;
        if this.time.is_some() != other.time.is_some() {
            let day = |t: Timestamp| (t.year, t.month, t.day);
            return Some(day(this).cmp(&day(other)));
        }
        Some(this.utc_micros().cmp(&other.utc_micros()))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.python_str())
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

    #[test]
    fn yaml_dates_compare_and_show_like_python() {
        let ts = |s: &str| YamlTimestamp::value(Timestamp::parse(s).unwrap());
        let d = ts("2024-01-02");
        assert_eq!(d.to_string(), "2024-01-02");
        assert_eq!(d, ts("2024-01-02"));
        assert_eq!(d, ts("2024-01-02 10:00:00"));
        assert_ne!(d, Value::from("2024-01-02"));
        assert_ne!(ts("2024-01-02 10:00:00"), ts("2024-01-02 10:00:01"));
        assert_eq!(ts("2024-01-02 12:00:00+02:00"), ts("2024-01-02 10:00:00Z"));
        assert_eq!(d.get_attr("month").ok(), Some(Value::from(1)));
    }
}
