//! Conditionals (`when`, `changed_when`, `failed_when`, `until`, `assert`) with 2.19's rules
//! (PB-12): `{{ }}`-wrapped strings are rendered first and a string result is evaluated again as the
//! expression; the result must be a boolean. When it is not, 2.19 names where the value came from
//! (`derived from value of type 'str' at 'vars.yml:4:14'`): the failure says whether the value is
//! a variable's own value (so the engine, which knows where variables were written, can name that
//! place), a new value made by the expression, or a value Python cannot tag (`None`, booleans).

use minijinja::value::{Value, ValueKind};

use super::convert;
use super::error::TemplateError;
use super::templar::{python_type_name, Templar};

/// Where a conditional's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derivation {
    /// `None` (and booleans): Ansible cannot say (`'<unknown>'`).
    Unknown,
    /// The value of the variable of that name, unchanged.
    Variable(String),
    /// A value the expression made (a literal, a filter's result...).
    Expression,
}

/// Why a conditional gave no boolean.
#[derive(Debug, Clone)]
pub enum ConditionError {
    /// The expression (or the empty template) is empty.
    Empty {
        /// Where the empty text came from.
        derived: Derivation,
    },
    /// The result is not a boolean.
    NotBoolean {
        /// Python's truth value of the result.
        truthy: bool,
        /// Python's type name of the result.
        type_name: &'static str,
        /// Where the result came from.
        derived: Derivation,
    },
    /// Templating failed (an undefined variable...).
    Failed(TemplateError),
}

impl From<TemplateError> for ConditionError {
    fn from(e: TemplateError) -> Self {
        ConditionError::Failed(e)
    }
}

impl ConditionError {
    /// Ansible's message, with `origin` standing for the place the value came from.
    pub fn message(&self, origin: Option<&str>) -> String {
        match self {
            ConditionError::Empty { .. } => "Empty conditional expressions are not allowed.".into(),
            ConditionError::NotBoolean {
                truthy, type_name, ..
            } => format!(
                "Conditional result ({}) was derived from value of type '{type_name}' at '{}'. \
                 Conditionals must have a boolean result.",
                if *truthy { "True" } else { "False" },
                origin.unwrap_or("<unknown>")
            ),
            ConditionError::Failed(e) => e.message.clone(),
        }
    }
}

impl Templar {
    /// Evaluates a conditional; see the module documentation.
    pub fn eval_condition(&self, expr: &str, ctx: &Value) -> Result<bool, ConditionError> {
        let trimmed = expr.trim();
        if trimmed.is_empty() {
            return Err(ConditionError::Empty {
                derived: Derivation::Expression,
            });
        }
        let (value, source) = if Self::is_template(trimmed) {
            let rendered = self.render_native(trimmed, ctx)?;
            match rendered.as_str() {
                Some(s) if s.trim().is_empty() => {
                    return Err(ConditionError::Empty {
                        derived: self.derivation(&rendered, trimmed, true, ctx),
                    })
                }
                Some(s) => (self.eval_native(s.trim(), ctx)?, s.trim().to_string()),
                None => (rendered, trimmed.to_string()),
            }
        } else {
            (self.eval_native(trimmed, ctx)?, trimmed.to_string())
        };
        if value.kind() == ValueKind::Bool || self.options().allow_broken_conditionals {
            return Ok(value.is_true());
        }
        Err(ConditionError::NotBoolean {
            truthy: value.is_true(),
            type_name: python_type_name(&value),
            derived: self.derivation(&value, &source, Self::is_template(&source), ctx),
        })
    }

    /// Which referenced variable (first by position in `source`) `value` is the value of.
    fn derivation(&self, value: &Value, source: &str, template: bool, ctx: &Value) -> Derivation {
        if matches!(value.kind(), ValueKind::None | ValueKind::Bool) {
            return Derivation::Unknown;
        }
        let names = if template {
            self.env()
                .template_from_str(source)
                .map(|t| t.undeclared_variables(false))
        } else {
            self.env()
                .compile_expression(source)
                .map(|e| e.undeclared_variables(false))
        };
        let Ok(names) = names else {
            return Derivation::Expression;
        };
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort_by_key(|n| source.find(n.as_str()).unwrap_or(usize::MAX));
        let Ok(wanted) = convert::to_json(value, self.omit()) else {
            return Derivation::Expression;
        };
        for name in names {
            let Ok(v) = ctx.get_attr(&name) else { continue };
            if convert::to_json(&v, self.omit()).is_ok_and(|j| j == wanted) {
                return Derivation::Variable(name);
            }
        }
        Derivation::Expression
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(t: &Templar) -> Value {
        let vars = json!({"s": "false", "e": "", "n": 5, "none_v": null, "l": [1]});
        t.context_from(vars.as_object().expect("object"))
    }

    #[test]
    fn non_booleans_say_where_they_came_from() {
        let t = Templar::new(Default::default());
        let c = ctx(&t);
        let derived = |expr: &str| match t.eval_condition(expr, &c) {
            Err(ConditionError::NotBoolean { derived, .. }) => Some(derived),
            _ => None,
        };
        assert_eq!(derived("s"), Some(Derivation::Variable("s".into())));
        assert_eq!(derived("n and s"), Some(Derivation::Variable("s".into())));
        assert_eq!(derived("l | length"), Some(Derivation::Expression));
        assert_eq!(derived("none_v"), Some(Derivation::Unknown));
        assert!(matches!(
            t.eval_condition("{{ e }}", &c),
            Err(ConditionError::Empty { derived: Derivation::Variable(v) }) if v == "e"
        ));
        assert_eq!(t.eval_condition("n == 5", &c).ok(), Some(true));
    }
}
