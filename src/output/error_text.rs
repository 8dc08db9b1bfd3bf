//! Load-time and run-level error messages as ansible-core 2.19 prints them:
//! `[ERROR]: <message>`, then `Origin: file:line:col` and a numbered source excerpt with a
//! `^ column N` marker.

use crate::run::error_chain::{brief_of, Cause, ErrorChain};
use crate::run::event::Origin;

/// Widest excerpt line Ansible prints (number, space and source text).
const MAX_EXCERPT_WIDTH: usize = 120;

/// The numbered excerpt for `origin` (up to two lines before it), or empty when unreadable:
/// like Ansible, tabs show as spaces, lines wider than 120 columns are cut with `...`, and the
/// `^ column N` marker turns around (`column N ^`) when it would not fit.
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
    let max_len = MAX_EXCERPT_WIDTH - width - 1;
    let mut usable = max_len;
    let mut out = String::new();
    for n in first..=origin.line {
        let mut line: String = lines[n - 1].replace('\t', " ");
        if line.chars().count() > max_len {
            line = line.chars().take(max_len - 3).collect::<String>() + "...";
            usable = max_len - 3;
        }
        let sep = if line.is_empty() { "" } else { " " };
        out.push_str(&format!("{n:>width$}{sep}{line}\n"));
    }
    let column = origin.column;
    if column >= 1 && column <= usable {
        let label = format!("column {column}");
        let marker = if column + 1 + label.len() > max_len {
            format!(
                "{}{label} ^",
                " ".repeat(column.saturating_sub(label.len() + 2))
            )
        } else {
            format!("{}^ {label}", " ".repeat(column - 1))
        };
        out.push_str(&format!("{} {marker}\n", " ".repeat(width)));
    }
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

/// The `[ERROR]:` block of a failed task: the chain `Task failed.` (at the task, unless the
/// chain is `outside_task`) → `causes`.
/// Causes without details of their own fold into the link before them; each remaining link shows
/// its message, `Origin:` excerpt and help, joined by `<<< caused by >>>`, after the brief message
/// when there is more than one. Ends with a blank line when it spans several lines.
pub fn task_error_text(task_origin: Option<&Origin>, chain: &ErrorChain) -> String {
    let mut links = Vec::new();
    if !chain.outside_task {
        links.push(Cause::at("Task failed.", task_origin.cloned()));
    }
    links.extend(chain.causes.iter().cloned());
    let mut segments: Vec<String> = Vec::new();
    let mut i = 0;
    while i < links.len() {
        let head = &links[i];
        let mut j = i + 1;
        while j < links.len() && links[j].folds_into(head) {
            j += 1;
        }
        let message = brief_of(links[i..j].iter().map(|c| c.message.as_str()));
        segments.push(segment_text(&message, head) + "\n");
        if j < links.len() {
            segments.push("\n<<< caused by >>>\n\n".to_string());
        }
        i = j;
    }
    if segments.len() > 1 {
        let all = brief_of(links.iter().map(|c| c.message.as_str()));
        segments.insert(0, format!("{all}\n\n"));
    }
    let text = segments.concat();
    let mut text = text.trim().to_string();
    text.push_str(if text.contains('\n') { "\n\n" } else { "\n" });
    format!("[ERROR]: {text}")
}

/// One link's message, source context and help, as Ansible lays them out.
fn segment_text(message: &str, cause: &Cause) -> String {
    let context = match (&cause.origin, &cause.value_text) {
        (Some(o), _) => {
            let lines = excerpt(o);
            Some(if lines.is_empty() {
                format!("Origin: {o}")
            } else {
                format!("Origin: {o}\n\n{}", lines.trim_end_matches('\n'))
            })
        }
        (None, Some(v)) => Some(format!("Origin: <unknown>\n\n{v}")),
        (None, None) => None,
    };
    if let Some(help) = &cause.help {
        if context.is_none() && !message.contains('\n') && !help.contains('\n') {
            return format!("{message} {help}");
        }
    }
    let mut lines = vec![message.to_string()];
    lines.extend(context);
    if let Some(help) = &cause.help {
        lines.push(String::new());
        lines.push(help.clone());
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(file: &std::path::Path, line: usize, column: usize) -> Origin {
        Origin {
            file: file.to_path_buf(),
            line,
            column,
        }
    }

    #[test]
    fn causes_without_places_fold_and_places_get_their_own_section() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pb.yml");
        std::fs::write(&file, "- hosts: all\n  tasks:\n  - debug: msg={{ x }}\n").expect("write");
        let chain = ErrorChain::message("'x' is undefined")
            .wrapped_in(Cause::at(
                "Error while resolving value for 'msg'",
                Some(origin(&file, 3, 12)),
            ))
            .wrapped_in(Cause::new("Finalization of task args failed."));
        let text = task_error_text(Some(&origin(&file, 3, 5)), &chain);
        let want = format!(
            "[ERROR]: Task failed: Finalization of task args failed: Error while resolving value \
             for 'msg': 'x' is undefined\n\n\
             Task failed: Finalization of task args failed.\nOrigin: {f}:3:5\n\n\
             1 - hosts: all\n2   tasks:\n3   - debug: msg={{{{ x }}}}\n      ^ column 5\n\n\
             <<< caused by >>>\n\n\
             Error while resolving value for 'msg': 'x' is undefined\nOrigin: {f}:3:12\n\n\
             1 - hosts: all\n2   tasks:\n3   - debug: msg={{{{ x }}}}\n             ^ column 12\n\n",
            f = file.display()
        );
        assert_eq!(text, want);
        let single = task_error_text(None, &ErrorChain::message("Module failed: boom"));
        assert_eq!(single, "[ERROR]: Task failed: Module failed: boom\n");
    }
}
