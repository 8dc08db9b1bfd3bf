//! A position in a source file: file label, 1-based line and 1-based column.
//!
//! Spans are cheap to clone (the file label is shared) so every loaded value can carry one.

use std::fmt;
use std::sync::Arc;

/// A place in a source file. `line` and `col` are 1-based; `col` counts characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The file path or label (for example `<extra vars>`), shared between spans of one file.
    pub file: Arc<str>,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column number, in characters.
    pub col: usize,
}

impl Span {
    /// A span in `file` at `line`:`col` (both 1-based).
    pub fn new(file: impl Into<Arc<str>>, line: usize, col: usize) -> Span {
        Span {
            file: file.into(),
            line,
            col,
        }
    }

    /// A span pointing at the start of `file`, for errors about a whole file.
    pub fn file_start(file: impl Into<Arc<str>>) -> Span {
        Span::new(file, 1, 1)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_file_line_col() {
        let span = Span::new("inventory/hosts.yml", 3, 7);
        assert_eq!(span.to_string(), "inventory/hosts.yml:3:7");
    }

    #[test]
    fn file_start_is_line_one_column_one() {
        let span = Span::file_start("x.ini");
        assert_eq!((span.line, span.col), (1, 1));
    }
}
