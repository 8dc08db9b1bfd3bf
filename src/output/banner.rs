//! Ansible's banner lines: `\nPLAY [web] *****...`, padded with stars to 80 columns when not on a
//! terminal (`max(79, width - 1)` columns on one), at least 3 stars.

/// The banner text for `msg`, with the leading empty line, without the final newline.
pub fn banner(msg: &str, columns: usize) -> String {
    let msg = msg.trim();
    let width = msg.chars().count();
    let stars = if columns > width + 3 {
        columns - width
    } else {
        3
    };
    format!("\n{} {}", msg, "*".repeat(stars))
}

/// Columns used for banners: 79 unless stdout is a wider terminal.
pub fn banner_columns(is_tty: bool) -> usize {
    if !is_tty {
        return 79;
    }
    terminal_width().map_or(79, |w| w.saturating_sub(1).max(79))
}

fn terminal_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills a winsize struct we own; no other memory is touched.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
    if rc == 0 && ws.ws_col > 0 {
        Some(ws.ws_col as usize)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_is_80_wide_off_a_terminal() {
        let b = banner("PLAY [web]", 79);
        assert_eq!(b.len(), 81); // leading newline + 80 columns
        assert!(b.starts_with("\nPLAY [web] ***"));
        let long = banner(&"x".repeat(100), 79);
        assert!(long.ends_with(" ***") && !long.ends_with("****"));
    }
}
