//! The PLAY RECAP lines: `%-26s : ok=%-4s changed=%-4s ...` per host, sorted by name, coloured
//! like Ansible's when colour is on.

use colored::Colorize;

use crate::run::event::HostStats;

/// One recap line for `host`.
pub fn recap_line(host: &str, s: &HostStats, color: bool) -> String {
    let field = |lead: &str, n: u32, paint: fn(String) -> String| {
        let text = format!("{lead}={n:<4}");
        if color && n != 0 {
            paint(text)
        } else {
            text
        }
    };
    let host_field = if color {
        let painted = if s.failed > 0 || s.unreachable > 0 {
            host.red().to_string()
        } else if s.changed > 0 {
            host.yellow().to_string()
        } else {
            host.green().to_string()
        };
        format!("{painted:<37}")
    } else {
        format!("{host:<26}")
    };
    format!(
        "{} : {} {} {} {} {} {} {}",
        host_field,
        field("ok", s.ok, |t| t.green().to_string()),
        field("changed", s.changed, |t| t.yellow().to_string()),
        field("unreachable", s.unreachable, |t| t.bright_red().to_string()),
        field("failed", s.failed, |t| t.red().to_string()),
        field("skipped", s.skipped, |t| t.cyan().to_string()),
        field("rescued", s.rescued, |t| t.green().to_string()),
        field("ignored", s.ignored, |t| t.magenta().to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_recap_line_matches_ansible() {
        let s = HostStats {
            ok: 12,
            changed: 5,
            skipped: 1,
            ..Default::default()
        };
        assert_eq!(
            recap_line("w1", &s, false),
            "w1                         : ok=12   changed=5    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   "
        );
    }
}
