//! `d.items` without a call: Jinja looks attributes up before keys, so on a dict `d.items`,
//! `d.keys`, `d.values`, `d.get`... name the dict's method even when the dict has such a key
//! (`d['items']` is the key). In 2.19 printing the method gives `<bound method
//! _AnsibleLazyTemplateDict.items of {...}>`, and using it as a value fails with "Type 'method' is
//! unsupported for variable storage."
//!
//! minijinja looks both forms up the same way, so before compiling, [`mark_method_attributes`]
//! rewrites such an attribute (not followed by a call) into a lookup of a marked key,
//! `d["\u{2}items"]`, which the variables' dicts answer with a [`BoundMethod`].

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use minijinja::value::{Object, ObjectRepr, Value};

/// Python's dict methods.
const DICT_METHODS: &[&str] = &[
    "clear",
    "copy",
    "fromkeys",
    "get",
    "items",
    "keys",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "values",
];

/// Starts a key that stands for a method looked up as an attribute.
pub(crate) const METHOD_MARK: char = '\u{2}';

/// The method name a marked key stands for.
pub(crate) fn marked_method(key: &str) -> Option<&str> {
    key.strip_prefix(METHOD_MARK)
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Rewrites `x.items` (a dict method name as an attribute, not called) into `x["\u{2}items"]`
/// in the code of `text`: inside `{{ }}` and `{% %}`, or everywhere when `expression` (a bare
/// expression). String literals are left alone.
pub(crate) fn mark_method_attributes(text: &str, expression: bool) -> Cow<'_, str> {
    if !DICT_METHODS.iter().any(|m| text.contains(&format!(".{m}"))) {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_code = expression;
    let mut quote: Option<char> = None;
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if !in_code {
            out.push(c);
            if c == '{' && matches!(next, Some('{') | Some('%')) {
                out.push(chars[i + 1]);
                i += 2;
                in_code = true;
                continue;
            }
            i += 1;
            continue;
        }
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                if let Some(n) = next {
                    out.push(n);
                    i += 1;
                }
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '}' | '%' if !expression && next == Some('}') => {
                out.push(c);
                out.push('}');
                i += 2;
                in_code = false;
                continue;
            }
            '.' => {
                let after_value = out
                    .chars()
                    .last()
                    .is_some_and(|p| is_ident_char(p) || matches!(p, ')' | ']' | '}'));
                let name: String = chars[i + 1..]
                    .iter()
                    .take_while(|c| is_ident_char(**c))
                    .collect();
                let rest = chars[i + 1 + name.chars().count()..]
                    .iter()
                    .find(|c| !c.is_whitespace());
                let is_number = out.chars().last().is_some_and(|p| p.is_ascii_digit())
                    && out
                        .chars()
                        .rev()
                        .take_while(|p| is_ident_char(*p))
                        .all(|p| p.is_ascii_digit());
                if after_value
                    && !is_number
                    && DICT_METHODS.contains(&name.as_str())
                    && rest != Some(&'(')
                {
                    out.push_str(&format!("[\"{METHOD_MARK}{name}\"]"));
                    i += 1 + name.chars().count();
                    changed = true;
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// A dict's method taken as a value (`d.items`).
#[derive(Debug)]
pub(crate) struct BoundMethod {
    /// The method's name.
    pub(crate) name: String,
    /// The dict it belongs to.
    pub(crate) owner: Value,
}

impl BoundMethod {
    /// Python's text of the method: `<bound method _AnsibleLazyTemplateDict.items of {...}>`.
    pub(crate) fn text(&self) -> String {
        format!(
            "<bound method _AnsibleLazyTemplateDict.{} of {}>",
            self.name,
            super::filters::py_repr(&self.owner)
        )
    }
}

impl Object for BoundMethod {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_uncalled_dict_methods_in_code_only() {
        assert_eq!(
            mark_method_attributes("{{ d.items }}", false),
            "{{ d[\"\u{2}items\"] }}"
        );
        assert_eq!(
            mark_method_attributes("x{{ a.b.keys|length }} d.items", false),
            "x{{ a.b[\"\u{2}keys\"]|length }} d.items"
        );
        for same in [
            "{{ d.items() }}",
            "{{ d.items () }}",
            "{{ d.itemsx }}",
            "{{ 'd.items' }}",
            "{{ d['items'] }}",
            "{% for k, v in d.items() %}{% endfor %}",
            "{{ d.name }}",
        ] {
            assert_eq!(mark_method_attributes(same, false), same);
        }
        assert_eq!(
            mark_method_attributes("d.values is defined", true),
            "d[\"\u{2}values\"] is defined"
        );
    }
}
