//! Time formats that module results share with Ansible: `start`/`end` as
//! `2026-11-22 18:05:30.281921` and `delta` as Python's `timedelta` text `0:00:00.003046`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `t` as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC).
pub fn format_time(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, day) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{day:02} {:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// `d` as Python prints a `timedelta`: `H:MM:SS.ffffff`.
pub fn format_delta(d: Duration) -> String {
    let s = d.as_secs();
    let days = s / 86_400;
    let rest = s % 86_400;
    let body = format!(
        "{}:{:02}:{:02}.{:06}",
        rest / 3600,
        (rest / 60) % 60,
        rest % 60,
        d.subsec_micros()
    );
    match days {
        0 => body,
        1 => format!("1 day, {body}"),
        n => format!("{n} days, {body}"),
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_508_918_168_056);
        assert_eq!(format_time(t), "2026-11-24 08:28:38.168056");
        assert_eq!(format_time(UNIX_EPOCH), "1970-01-01 00:00:00.000000");
        assert_eq!(format_delta(Duration::from_micros(3046)), "0:00:00.003046");
        assert_eq!(format_delta(Duration::from_secs(3723)), "1:02:03.000000");
        assert_eq!(
            format_delta(Duration::from_secs(90_000)),
            "1 day, 1:00:00.000000"
        );
    }
}
