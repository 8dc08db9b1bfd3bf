//! Load-time and run-level error messages as ansible-core 2.19 prints them:
//! `[ERROR]: <message>`, then `Origin: file:line:col` and a numbered source excerpt with a
//! `^ column N` marker.

use crate::run::event::Origin;

/// The numbered excerpt for `origin` (up to two lines before it), or empty when unreadable.
pub fn excerpt(origin: &Origin) -> String {
    let Ok(text) = std::fs::read_to_string(&origin.file) else {
        return String::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    if origin.line == 0 || origin.line > lines.len() {
        return String::new();
    }
    let first = origin.line.saturating_sub(2).max(1);
    let width = origin.line.to_string().len();
    let mut out = String::new();
    for n in first..=origin.line {
        out.push_str(&format!("{:>width$} {}\n", n, lines[n - 1]));
    }
    out.push_str(&format!(
        "{}^ column {}\n",
        " ".repeat(width + 1 + origin.column.saturating_sub(1)),
        origin.column
    ));
    out
}

/// The full error text.
pub fn error_text(message: &str, origin: Option<&Origin>) -> String {
    let mut out = format!("[ERROR]: {message}");
    if let Some(o) = origin {
        out.push_str(&format!("\nOrigin: {o}\n\n"));
        out.push_str(&excerpt(o));
    }
    out
}
