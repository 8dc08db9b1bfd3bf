//! A user-facing error or warning about some input: the message, where it is, and the source
//! line with a caret under the column.
//!
//! Rendering (`Display`):
//!
//! ```text
//! mapping values are not allowed in this context
//!   --> site.yml:4:12
//!    |
//!  4 |     msg: a: b
//!    |            ^
//! ```
//!
//! Notes (hints such as "Using last defined value only.") follow as `  = note: ...` lines.

use std::fmt;

use super::Span;

/// How serious a diagnostic is. Errors stop loading; warnings are reported and loading goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The input cannot be used.
    Error,
    /// The input is used, but something about it is suspicious (for example a duplicate key).
    Warning,
}

/// The source line a diagnostic points into, kept so the diagnostic can be shown after the
/// source text is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// The full text of the line (without its line ending).
    pub line_text: String,
}

/// A message about input, with an optional location and source excerpt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where the problem is, when known.
    pub span: Option<Span>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The offending source line, when known.
    pub excerpt: Option<Excerpt>,
    /// Extra hints, printed after the excerpt.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error without a location (for example about a command-line value).
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            span: None,
            message: message.into(),
            excerpt: None,
            notes: Vec::new(),
        }
    }

    /// An error at `span`. The excerpt is read from the span's file when that file exists and
    /// is readable (errors are rare, so the read costs nothing that matters); otherwise there is
    /// no excerpt.
    pub fn at(span: Span, message: impl Into<String>) -> Diagnostic {
        let excerpt = std::fs::read_to_string(&*span.file)
            .ok()
            .and_then(|text| excerpt_of(&text, span.line));
        Diagnostic {
            severity: Severity::Error,
            span: Some(span),
            message: message.into(),
            excerpt,
            notes: Vec::new(),
        }
    }

    /// An error at `span` inside `source`, the full text of the span's file (already in memory).
    pub fn in_source(span: Span, message: impl Into<String>, source: &str) -> Diagnostic {
        let excerpt = excerpt_of(source, span.line);
        Diagnostic {
            severity: Severity::Error,
            span: Some(span),
            message: message.into(),
            excerpt,
            notes: Vec::new(),
        }
    }

    /// The same diagnostic as a warning.
    pub fn into_warning(mut self) -> Diagnostic {
        self.severity = Severity::Warning;
        self
    }

    /// Adds a hint printed after the excerpt.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// True for [`Severity::Warning`].
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }
}

/// The text of 1-based line `line` in `source`, if it exists.
fn excerpt_of(source: &str, line: usize) -> Option<Excerpt> {
    let index = line.checked_sub(1)?;
    let text = source.lines().nth(index)?;
    Some(Excerpt {
        line_text: text.trim_end_matches('\r').to_string(),
    })
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(span) = &self.span {
            let number = span.line.to_string();
            let gutter = " ".repeat(number.len());
            write!(f, "\n{gutter}--> {span}")?;
            if let Some(excerpt) = &self.excerpt {
                // The caret goes under the column: count characters, and keep tabs so the
                // caret lines up with the source line as a terminal shows it.
                let lead: String = excerpt
                    .line_text
                    .chars()
                    .take(span.col.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(f, "\n{gutter} |")?;
                write!(f, "\n{number} | {}", excerpt.line_text)?;
                write!(f, "\n{gutter} | {lead}^")?;
            }
        }
        for note in &self.notes {
            write!(f, "\n  = note: {note}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_message_location_line_and_caret() {
        let source = "a: 1\nb: [1, 2\n";
        let d = Diagnostic::in_source(Span::new("f.yml", 2, 4), "unclosed sequence", source);
        assert_eq!(
            d.to_string(),
            "unclosed sequence\n --> f.yml:2:4\n  |\n2 | b: [1, 2\n  |    ^"
        );
    }

    #[test]
    fn renders_without_span() {
        let d = Diagnostic::error("no inventory").with_note("pass -i");
        assert_eq!(d.to_string(), "no inventory\n  = note: pass -i");
    }

    #[test]
    fn line_beyond_the_source_has_no_excerpt() {
        let d = Diagnostic::in_source(Span::new("f", 9, 1), "eof", "one line");
        assert!(d.excerpt.is_none());
        assert_eq!(d.to_string(), "eof\n --> f:9:1");
    }

    #[test]
    fn at_reads_the_line_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts");
        std::fs::write(&path, "[web]\nweb1 ansible_port=x\n").unwrap();
        let label = path.to_string_lossy().to_string();
        let d = Diagnostic::at(Span::new(label, 2, 6), "bad port");
        assert_eq!(
            d.excerpt.map(|e| e.line_text).as_deref(),
            Some("web1 ansible_port=x")
        );
    }
}
