//! YAML 1.1 timestamps as PyYAML types them: `2001-12-14` is a `datetime.date`, and
//! `2001-12-14 21:59:43.10 -5` (or `2001-12-14T21:59:43Z`...) a `datetime.datetime`, aware of its
//! UTC offset when one is written.
//!
//! The rest of rplay carries values as JSON, where a timestamp travels as
//! `{"__rplay_timestamp": "<isoformat>"}` ([`TIMESTAMP_KEY`]); the template layer turns that
//! back into a date object. Python shows these values three ways, all given here:
//! `isoformat()` (JSON output, module arguments: `2001-12-14T21:59:43`), `str()` (text in a
//! template: `2001-12-14 21:59:43`) and `repr()` (inside a list printed as text:
//! `datetime.datetime(2001, 12, 14, 21, 59, 43)`).

use serde_json::Value;

/// JSON object key marking a YAML timestamp: `{"__rplay_timestamp": "2001-12-14"}`.
pub const TIMESTAMP_KEY: &str = "__rplay_timestamp";

/// A `datetime.date`, or a `datetime.datetime` when it has a time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Year (1-9999).
    pub year: i32,
    /// Month (1-12).
    pub month: u32,
    /// Day of the month.
    pub day: u32,
    /// The time of day; `None` for a date.
    pub time: Option<TimeOfDay>,
}

/// The time part of a datetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay {
    /// Hour (0-23).
    pub hour: u32,
    /// Minute (0-59).
    pub minute: u32,
    /// Second (0-59).
    pub second: u32,
    /// Microseconds (the fraction's first six digits).
    pub micros: u32,
    /// Offset east of UTC in minutes, when written (`Z` is 0).
    pub offset: Option<i32>,
}

/// Splits `text` after a run of `min..=max` ASCII digits at its start.
fn digits(text: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let len = text
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if len < min {
        return None;
    }
    Some((text[..len].parse().ok()?, &text[len..]))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl Timestamp {
    /// Types a plain scalar as PyYAML's timestamp resolver and constructor do; `None` when the
    /// text is not a timestamp. A timestamp that names no real day or time (`2001-02-30`) is a
    /// `ValueError` in PyYAML; it is `None` here (the text stays a string).
    pub fn parse(text: &str) -> Option<Timestamp> {
        let (year, rest) = digits(text, 4, 4)?;
        let rest = rest.strip_prefix('-')?;
        let (month, after_month) = digits(rest, 1, 2)?;
        let month_digits = rest.len() - after_month.len();
        let rest = after_month.strip_prefix('-')?;
        let (day, after_day) = digits(rest, 1, 2)?;
        let day_digits = rest.len() - after_day.len();
        let year = i32::try_from(year).ok()?;
        let valid_date =
            year >= 1 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        if after_day.is_empty() {
            // A date alone needs two-digit month and day.
            let two_digits = month_digits == 2 && day_digits == 2;
            return (two_digits && valid_date).then_some(Timestamp {
                year,
                month,
                day,
                time: None,
            });
        }
        let rest = match after_day.strip_prefix(['T', 't']) {
            Some(r) => r,
            None => {
                let trimmed = after_day.trim_start_matches([' ', '\t']);
                if trimmed.len() == after_day.len() {
                    return None;
                }
                trimmed
            }
        };
        let (hour, rest) = digits(rest, 1, 2)?;
        let (minute, rest) = digits(rest.strip_prefix(':')?, 2, 2)?;
        let (second, mut rest) = digits(rest.strip_prefix(':')?, 2, 2)?;
        let mut micros = 0;
        if let Some(fraction) = rest.strip_prefix('.') {
            let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
            let mut six: String = fraction[..len].chars().take(6).collect();
            while !six.is_empty() && six.len() < 6 {
                six.push('0');
            }
            micros = if six.is_empty() { 0 } else { six.parse().ok()? };
            rest = &fraction[len..];
        }
        let rest = rest.trim_start_matches([' ', '\t']);
        let offset = if rest.is_empty() {
            None
        } else if rest == "Z" {
            Some(0)
        } else {
            let (negative, zone) = match rest.as_bytes()[0] {
                b'+' => (false, &rest[1..]),
                b'-' => (true, &rest[1..]),
                _ => return None,
            };
            let (hours, zone) = digits(zone, 1, 2)?;
            let minutes = match zone.strip_prefix(':') {
                Some(m) => {
                    let (m, end) = digits(m, 2, 2)?;
                    if !end.is_empty() {
                        return None;
                    }
                    m
                }
                None if zone.is_empty() => 0,
                None => return None,
            };
            let total = i32::try_from(hours * 60 + minutes).ok()?;
            if total >= 24 * 60 {
                return None;
            }
            Some(if negative { -total } else { total })
        };
        if !valid_date || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(Timestamp {
            year,
            month,
            day,
            time: Some(TimeOfDay {
                hour,
                minute,
                second,
                micros,
                offset,
            }),
        })
    }

    /// Python's type name: `date` or `datetime`.
    pub fn type_name(&self) -> &'static str {
        if self.time.is_some() {
            "datetime"
        } else {
            "date"
        }
    }

    /// `isoformat()`: `2001-12-14`, `2001-12-14T21:59:43.100000-05:00`.
    pub fn isoformat(&self) -> String {
        self.with_separator('T')
    }

    /// `str()`: like `isoformat()` with a space between date and time.
    pub fn python_str(&self) -> String {
        self.with_separator(' ')
    }

    fn with_separator(&self, sep: char) -> String {
        let mut out = format!("{:04}-{:02}-{:02}", self.year, self.month, self.day);
        if let Some(t) = &self.time {
            out.push_str(&format!(
                "{sep}{:02}:{:02}:{:02}",
                t.hour, t.minute, t.second
            ));
            if t.micros != 0 {
                out.push_str(&format!(".{:06}", t.micros));
            }
            if let Some(offset) = t.offset {
                let sign = if offset < 0 { '-' } else { '+' };
                let abs = offset.abs();
                out.push_str(&format!("{sign}{:02}:{:02}", abs / 60, abs % 60));
            }
        }
        out
    }

    /// `repr()`: `datetime.date(2001, 12, 14)`, `datetime.datetime(2001, 12, 14, 21, 59)`, with
    /// `tzinfo=datetime.timezone(...)` when aware.
    pub fn python_repr(&self) -> String {
        let Some(t) = &self.time else {
            return format!("datetime.date({}, {}, {})", self.year, self.month, self.day);
        };
        let mut fields = vec![
            self.year.to_string(),
            self.month.to_string(),
            self.day.to_string(),
            t.hour.to_string(),
            t.minute.to_string(),
            t.second.to_string(),
            t.micros.to_string(),
        ];
        for _ in 0..2 {
            if fields.last().is_some_and(|f| f == "0") {
                fields.pop();
            }
        }
        let mut out = format!("datetime.datetime({}", fields.join(", "));
        match t.offset {
            None => {}
            Some(0) => out.push_str(", tzinfo=datetime.timezone.utc"),
            Some(minutes) => {
                let seconds = i64::from(minutes) * 60;
                let delta = if seconds < 0 {
                    format!("days=-1, seconds={}", seconds.rem_euclid(86_400))
                } else {
                    format!("seconds={seconds}")
                };
                out.push_str(&format!(
                    ", tzinfo=datetime.timezone(datetime.timedelta({delta}))"
                ));
            }
        }
        out.push(')');
        out
    }

    /// Seconds since the epoch of the wall-clock time as written (the offset is not applied).
    pub fn local_seconds(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        let time = self.time.map_or(0, |t| {
            i64::from(t.hour) * 3600 + i64::from(t.minute) * 60 + i64::from(t.second)
        });
        days * 86_400 + time
    }

    /// Microseconds since the epoch in UTC (naive values taken as UTC), for ordering.
    pub fn utc_micros(&self) -> i128 {
        let offset = self.time.and_then(|t| t.offset).unwrap_or(0);
        let micros = self.time.map_or(0, |t| t.micros);
        (i128::from(self.local_seconds()) - i128::from(offset) * 60) * 1_000_000
            + i128::from(micros)
    }

    /// Python's `weekday()`: Monday is 0.
    pub fn weekday(&self) -> i64 {
        (days_from_civil(self.year, self.month, self.day) + 3).rem_euclid(7)
    }

    /// The JSON form the engine carries: `{"__rplay_timestamp": "<isoformat>"}`.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert(TIMESTAMP_KEY.to_string(), Value::String(self.isoformat()));
        Value::Object(m)
    }

    /// The timestamp a JSON value marks, if it is one.
    pub fn from_json(value: &Value) -> Option<Timestamp> {
        match value {
            Value::Object(m) if m.len() == 1 => match m.get(TIMESTAMP_KEY)? {
                Value::String(s) => Timestamp::parse(s),
                _ => None,
            },
            _ => None,
        }
    }
}

/// `value` with every timestamp replaced by its `isoformat()` text (what a JSON encoder writes,
/// and what modules receive).
pub fn timestamps_to_text(value: Value) -> Value {
    match value {
        Value::Object(m) => match Timestamp::from_json(&Value::Object(m.clone())) {
            Some(ts) => Value::String(ts.isoformat()),
            None => Value::Object(
                m.into_iter()
                    .map(|(k, v)| (k, timestamps_to_text(v)))
                    .collect(),
            ),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(timestamps_to_text).collect()),
        other => other,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> Option<String> {
        Timestamp::parse(text).map(|t| t.isoformat())
    }

    /// Expected values from PyYAML 6 through Ansible 2.19 (`debug: var=` prints `isoformat()`).
    #[test]
    fn parses_what_pyyaml_types_as_timestamps() {
        assert_eq!(iso("2024-01-02").as_deref(), Some("2024-01-02"));
        assert_eq!(
            iso("2024-01-02 10:00:00").as_deref(),
            Some("2024-01-02T10:00:00")
        );
        assert_eq!(
            iso("2024-01-02T10:00:00Z").as_deref(),
            Some("2024-01-02T10:00:00+00:00")
        );
        assert_eq!(
            iso("2024-01-02t10:00:00.5+02:00").as_deref(),
            Some("2024-01-02T10:00:00.500000+02:00")
        );
        assert_eq!(
            iso("2001-12-14 21:59:43.10 -5").as_deref(),
            Some("2001-12-14T21:59:43.100000-05:00")
        );
        assert_eq!(
            iso("2024-1-2 1:00:00").as_deref(),
            Some("2024-01-02T01:00:00")
        );
        assert_eq!(
            iso("2024-01-02 10:00:00.1234567").as_deref(),
            Some("2024-01-02T10:00:00.123456")
        );
    }

    #[test]
    fn other_text_is_not_a_timestamp() {
        for t in [
            "2024-1-2",
            "2024-01-02x",
            "24-01-02",
            "2024-01-02 10:00",
            "2024-01-02  ",
            "2024-02-30",
            "2024-13-01",
            "2024-01-02 25:00:00",
            "2024-01-02T10:00:00+",
        ] {
            assert_eq!(Timestamp::parse(t), None, "{t}");
        }
        assert!(Timestamp::parse("2024-02-29").is_some());
    }

    #[test]
    fn python_views() {
        let d = Timestamp::parse("2024-01-02").unwrap();
        assert_eq!(d.type_name(), "date");
        assert_eq!(d.python_repr(), "datetime.date(2024, 1, 2)");
        let dt = Timestamp::parse("2024-01-02 10:00:00").unwrap();
        assert_eq!(dt.python_str(), "2024-01-02 10:00:00");
        assert_eq!(dt.python_repr(), "datetime.datetime(2024, 1, 2, 10, 0)");
        let dz = Timestamp::parse("2024-01-02 10:00:00 -5").unwrap();
        assert_eq!(
            dz.python_repr(),
            "datetime.datetime(2024, 1, 2, 10, 0, tzinfo=datetime.timezone(\
             datetime.timedelta(days=-1, seconds=68400)))"
        );
        let utc = Timestamp::parse("2024-01-02T10:00:05.25Z").unwrap();
        assert_eq!(
            utc.python_repr(),
            "datetime.datetime(2024, 1, 2, 10, 0, 5, 250000, tzinfo=datetime.timezone.utc)"
        );
        assert_eq!(d.weekday(), 1);
    }

    #[test]
    fn json_round_trip_and_text() {
        let dt = Timestamp::parse("2024-01-02 10:00:00").unwrap();
        let json = serde_json::json!({"a": [dt.to_json()], "b": 1});
        assert_eq!(
            json["a"][0],
            serde_json::json!({"__rplay_timestamp": "2024-01-02T10:00:00"})
        );
        assert_eq!(Timestamp::from_json(&json["a"][0]), Some(dt));
        assert_eq!(
            timestamps_to_text(json),
            serde_json::json!({"a": ["2024-01-02T10:00:00"], "b": 1})
        );
    }
}
