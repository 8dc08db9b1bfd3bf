//! Templating errors with Ansible's wording, converted from minijinja's errors.

use minijinja::ErrorKind;

/// What went wrong while templating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// A variable, key or attribute is undefined (`'foo' is undefined`).
    Undefined,
    /// The template text does not parse.
    Syntax,
    /// A variable refers to itself through templating.
    Recursion,
    /// A conditional did not produce a boolean, or is empty.
    Conditional,
    /// A filter, test, lookup or operation failed.
    Render,
}

/// A templating failure. `Display` gives the message as Ansible words it (without the task prefix).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// The class of failure.
    pub kind: TemplateErrorKind,
    /// The message, e.g. `'foo' is undefined`.
    pub message: String,
    /// Python's text of the offending value when it has no origin (a dict method used as a
    /// value: `<bound method ...>`), shown under `Origin: <unknown>`.
    pub value_text: Option<String>,
    /// The variable the error is about: for a recursion error, the one whose template came
    /// back to itself; for a render error, the one whose value could not be used (an
    /// undecryptable vaulted value), so the engine can name where it was written.
    pub variable: Option<String>,
    /// Where in the template text minijinja raised it (byte range), when it says: the
    /// expression that was undefined among several in one template.
    pub range: Option<std::ops::Range<usize>>,
}

impl TemplateError {
    /// An error of `kind` with `message`.
    pub fn new(kind: TemplateErrorKind, message: impl Into<String>) -> Self {
        TemplateError {
            kind,
            message: message.into(),
            value_text: None,
            variable: None,
            range: None,
        }
    }

    /// The same error naming the offending value's text.
    pub fn with_value_text(mut self, text: impl Into<String>) -> Self {
        self.value_text = Some(text.into());
        self
    }

    /// The message without the `Error rendering template: ` that 2.19 shows as a link of its own.
    pub fn render_detail(&self) -> Option<&str> {
        self.message.strip_prefix(RENDER_PREFIX)
    }

    /// An undefined-variable error for `name`.
    pub fn undefined(name: &str) -> Self {
        TemplateError::new(
            TemplateErrorKind::Undefined,
            format!("'{name}' is undefined"),
        )
    }

    /// Converts a minijinja error raised while templating `source`.
    pub(crate) fn from_minijinja(err: &minijinja::Error, source: &str) -> Self {
        let detail = err.detail().map(str::to_string);
        match err.kind() {
            ErrorKind::UndefinedError => {
                let message = match detail {
                    Some(d) => undefined_message(&d).unwrap_or(d),
                    None => "undefined variable".to_string(),
                };
                let mut e = TemplateError::new(TemplateErrorKind::Undefined, message);
                e.range = err.range();
                e
            }
            ErrorKind::SyntaxError => {
                let _ = source;
                TemplateError::new(
                    TemplateErrorKind::Syntax,
                    format!(
                        "{SYNTAX_PREFIX}{}",
                        detail.unwrap_or_else(|| "syntax error".to_string())
                    ),
                )
            }
            ErrorKind::UnknownFilter | ErrorKind::UnknownTest => {
                let what = if err.kind() == ErrorKind::UnknownFilter {
                    "filter"
                } else {
                    "test"
                };
                let name = unknown_name(detail.as_deref());
                TemplateError::new(
                    TemplateErrorKind::Syntax,
                    format!("{SYNTAX_PREFIX}No {what} named '{name}'."),
                )
            }
            ErrorKind::UnknownFunction => {
                let name = unknown_name(detail.as_deref());
                TemplateError::undefined(&name)
            }
            _ => {
                let message = detail.unwrap_or_else(|| err.kind().to_string());
                if let Some(rest) = message.strip_prefix(RECURSION_PREFIX) {
                    // `<prefix>\u{1}name\u{1}: detail` names the variable that looped.
                    let named = rest
                        .strip_prefix(VARIABLE_MARK)
                        .and_then(|r| r.split_once(VARIABLE_MARK));
                    return match named {
                        Some((name, detail)) => {
                            let mut e = TemplateError::new(
                                TemplateErrorKind::Recursion,
                                format!("{RECURSION_PREFIX}{detail}"),
                            );
                            e.variable = Some(name.to_string());
                            e
                        }
                        None => TemplateError::new(TemplateErrorKind::Recursion, message),
                    };
                }
                if let Some((name, detail)) = message
                    .strip_prefix(VALUE_PREFIX)
                    .and_then(|r| r.split_once(VARIABLE_MARK))
                {
                    let mut e = TemplateError::new(
                        TemplateErrorKind::Render,
                        format!("{RENDER_PREFIX}{detail}"),
                    );
                    e.variable = Some(name.to_string());
                    return e;
                }
                if let Some(inner) = message.strip_prefix(UNDEFINED_PREFIX) {
                    return TemplateError::new(TemplateErrorKind::Undefined, inner.to_string());
                }
                // Operations on undefined values carry the name in parentheses at the end.
                if let Some(start) = message.rfind("(`") {
                    if let Some(m) = undefined_message(message[start + 1..].trim_end_matches(')')) {
                        return TemplateError::new(TemplateErrorKind::Undefined, m);
                    }
                }
                if message.starts_with(SYNTAX_PREFIX) {
                    return TemplateError::new(TemplateErrorKind::Syntax, message);
                }
                let plugin_message = ["The filter plugin", "The lookup plugin", RENDER_PREFIX]
                    .iter()
                    .any(|p| message.starts_with(p));
                if plugin_message {
                    return TemplateError::new(TemplateErrorKind::Render, message);
                }
                TemplateError::new(
                    TemplateErrorKind::Render,
                    format!("{RENDER_PREFIX}{message}"),
                )
            }
        }
    }

    /// Converts this error back into a minijinja error (for errors raised inside lazy variables).
    pub(crate) fn into_minijinja(self) -> minijinja::Error {
        let message = match (self.kind, &self.variable) {
            (TemplateErrorKind::Undefined, _) => format!("{UNDEFINED_PREFIX}{}", self.message),
            (TemplateErrorKind::Recursion, Some(name)) => recursion_message(
                name,
                self.message
                    .strip_prefix(RECURSION_PREFIX)
                    .unwrap_or(&self.message),
            ),
            (TemplateErrorKind::Render, Some(name)) => value_message(
                name,
                self.message
                    .strip_prefix(RENDER_PREFIX)
                    .unwrap_or(&self.message),
            ),
            _ => self.message,
        };
        minijinja::Error::new(ErrorKind::InvalidOperation, message)
    }
}

/// Stands for the variable name in `mandatory`'s message until the templar fills it in.
pub(crate) const MANDATORY_NAME_MARKER: &str = "\u{1}name\u{1}";

/// Prefix of Ansible's template syntax errors.
const SYNTAX_PREFIX: &str = "Syntax error in template: ";
/// Prefix of Ansible's errors raised while rendering (outside filter and lookup plugins).
const RENDER_PREFIX: &str = "Error rendering template: ";

/// Message prefix marking a recursion error raised inside a lazy variable.
pub(crate) const RECURSION_PREFIX: &str = "Recursive loop detected in template";
/// Encloses the looping variable's name in a recursion error's minijinja message.
const VARIABLE_MARK: char = '\u{1}';

/// The minijinja message of a recursion error found at variable `name`; `detail` is what
/// follows the prefix (`: maximum recursion depth exceeded`).
pub(crate) fn recursion_message(name: &str, detail: &str) -> String {
    format!("{RECURSION_PREFIX}{VARIABLE_MARK}{name}{VARIABLE_MARK}{detail}")
}

/// Starts the minijinja message of an error about the value of a variable (see
/// [`value_message`]).
const VALUE_PREFIX: &str = "\u{1}value:";

/// The minijinja message of an error `detail` about the value of variable `name` (an
/// undecryptable vaulted value): [`TemplateError::from_minijinja`] gives it back with the name.
pub(crate) fn value_message(name: &str, detail: &str) -> String {
    format!("{VALUE_PREFIX}{name}{VARIABLE_MARK}{detail}")
}

/// Marker carried by undefined errors that cross a lazy variable boundary.
const UNDEFINED_PREFIX: &str = "\u{1}undefined:";

/// The name in minijinja's "filter x is unknown" / "x is unknown".
fn unknown_name(detail: Option<&str>) -> String {
    detail
        .and_then(|d| d.split(" is unknown").next())
        .and_then(|d| d.split_whitespace().last())
        .unwrap_or("?")
        .to_string()
}

/// Turns minijinja's "`a.b` is undefined" into Ansible's wording.
fn undefined_message(detail: &str) -> Option<String> {
    let rest = detail.strip_prefix('`')?;
    let end = rest.find("` is undefined")?;
    let path = rest[..end].replace(super::methods::METHOD_MARK, "");
    let path = path.as_str();
    Some(match path.rsplit_once('.') {
        Some((_, attr)) => format!("object of type 'dict' has no attribute '{attr}'"),
        None => {
            // `d['k']` lookups are rendered by minijinja as `d["k"]`.
            if let Some(open) = path.find('[') {
                let key = path[open + 1..]
                    .trim_end_matches(']')
                    .trim_matches(|c| c == '"' || c == '\'');
                format!("object of type 'dict' has no attribute '{key}'")
            } else {
                format!("'{path}' is undefined")
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recursion_errors_name_their_variable() {
        let err = minijinja::Error::new(
            ErrorKind::InvalidOperation,
            recursion_message("ra", ": maximum recursion depth exceeded"),
        );
        let e = TemplateError::from_minijinja(&err, "");
        assert_eq!(e.kind, TemplateErrorKind::Recursion);
        assert_eq!(e.variable.as_deref(), Some("ra"));
        assert_eq!(
            e.message,
            "Recursive loop detected in template: maximum recursion depth exceeded"
        );
        let again = TemplateError::from_minijinja(&e.into_minijinja(), "");
        assert_eq!(again.variable.as_deref(), Some("ra"));
    }

    #[test]
    fn undefined_names_follow_ansible_wording() {
        assert_eq!(
            undefined_message("`foo` is undefined").as_deref(),
            Some("'foo' is undefined")
        );
        assert_eq!(
            undefined_message("`d.missing` is undefined").as_deref(),
            Some("object of type 'dict' has no attribute 'missing'")
        );
        assert_eq!(undefined_message("something else"), None);
    }
}
