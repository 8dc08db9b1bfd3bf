//! POSIX shell-like splitting of INI inventory host lines, as Python's
//! `shlex.split(line, comments=True)` does it: quotes group words, backslash escapes, and a
//! `#` at the start of a word or inside an unquoted word starts a comment.

/// Splits `line` into words; `Err` names the problem ("No closing quotation").
pub(crate) fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' => break,
            '\\' => {
                let Some(next) = chars.next() else {
                    return Err("No escaped character".to_string());
                };
                word.push(next);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => word.push(ch),
                        None => return Err("No closing quotation".to_string()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(esc @ ('"' | '\\')) => word.push(esc),
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err("No closing quotation".to_string()),
                        },
                        Some(ch) => word.push(ch),
                        None => return Err("No closing quotation".to_string()),
                    }
                }
            }
            other => {
                word.push(other);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from `shlex.split(line, comments=True)` in Python 3.11.
    #[test]
    fn matches_python_shlex() {
        let cases: [(&str, &[&str]); 7] = [
            ("h a=1 #c", &["h", "a=1"]),
            ("h a=b#c", &["h", "a=b"]),
            ("h a=\"x # y\"", &["h", "a=x # y"]),
            ("h a=1 b='q r'", &["h", "a=1", "b=q r"]),
            ("h a=x\\ y", &["h", "a=x y"]),
            ("h#x a=1", &["h"]),
            ("h bar=\"'03#pa'\"", &["h", "bar='03#pa'"]),
        ];
        for (line, expected) in cases {
            assert_eq!(split(line).unwrap(), expected, "{line:?}");
        }
        assert!(split("h a='open").is_err());
        assert_eq!(split("h a=''").unwrap(), vec!["h", "a="]);
    }
}
