//! The runner's one door to templating: build a host×task context, render arguments and names,
//! evaluate conditions and expressions, render template files. Everything else in `run/` goes
//! through here, so the template engine can evolve without touching the runner.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value as Json};

/// A template context for one host and task.
pub type Ctx = minijinja::Value;

/// Controller directories searched by lookups and template includes, in order.
#[derive(Debug, Clone, Default)]
pub struct SearchPaths {
    /// Base directories (role dir, role parents, playbook dir...).
    pub dirs: Vec<PathBuf>,
}

/// The run's template engine.
pub struct Templating {
    env: Environment<'static>,
    omit: String,
}

impl Default for Templating {
    fn default() -> Self {
        Self::new()
    }
}

impl Templating {
    /// Builds the engine.
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        Templating {
            env,
            omit: "__omit_place_holder__rplay".to_string(),
        }
    }

    /// The `omit` placeholder.
    pub fn omit(&self) -> &str {
        &self.omit
    }

    /// Does `s` contain template syntax?
    pub fn is_template(s: &str) -> bool {
        s.contains("{{") || s.contains("{%") || s.contains("{#")
    }

    /// A context over `vars` plus engine-provided values.
    pub fn context(
        &self,
        vars: Arc<Map<String, Json>>,
        extras: Vec<(String, minijinja::Value)>,
        _paths: SearchPaths,
    ) -> Ctx {
        let mut m: BTreeMap<String, minijinja::Value> = BTreeMap::new();
        for (k, v) in vars.iter() {
            m.insert(k.clone(), to_jinja(v));
        }
        for (k, v) in extras {
            m.insert(k, v);
        }
        m.insert("omit".into(), minijinja::Value::from(self.omit.clone()));
        minijinja::Value::from(m)
    }

    /// A plain value for `extras`.
    pub fn value(v: &Json) -> minijinja::Value {
        to_jinja(v)
    }

    /// Renders a string with native typing for a lone `{{ expr }}`.
    pub fn render_str(&self, text: &str, ctx: &Ctx) -> Result<Json, String> {
        if !Self::is_template(text) {
            return Ok(Json::String(text.to_string()));
        }
        let t = text.trim();
        if t.starts_with("{{") && t.ends_with("}}") && t[2..].find("{{").is_none() {
            let inner = &t[2..t.len() - 2];
            if !inner.contains("}}") {
                return self.eval(inner.trim(), ctx);
            }
        }
        self.env
            .render_str(text, ctx)
            .map_err(|e| describe(&e))
            .map(Json::String)
    }

    /// Renders a value recursively (strings, list items, dict keys and values), dropping `omit`.
    pub fn render_value(&self, value: &Json, ctx: &Ctx) -> Result<Json, String> {
        Ok(match value {
            Json::String(s) => self.render_str(s, ctx)?,
            Json::Array(items) => {
                let mut out = Vec::new();
                for i in items {
                    let v = self.render_value(i, ctx)?;
                    if v.as_str() != Some(self.omit.as_str()) {
                        out.push(v);
                    }
                }
                Json::Array(out)
            }
            Json::Object(m) if m.contains_key("__ansible_vault") => value.clone(),
            Json::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let v = self.render_value(v, ctx)?;
                    if v.as_str() == Some(self.omit.as_str()) {
                        continue;
                    }
                    let key = match self.render_str(k, ctx)? {
                        Json::String(s) => s,
                        other => rplay_modules::spec::value_to_string(&other),
                    };
                    out.insert(key, v);
                }
                Json::Object(out)
            }
            other => other.clone(),
        })
    }

    /// Evaluates a bare expression.
    pub fn eval(&self, expr: &str, ctx: &Ctx) -> Result<Json, String> {
        let e = self
            .env
            .compile_expression(expr)
            .map_err(|e| describe(&e))?;
        let v = e.eval(ctx).map_err(|e| describe(&e))?;
        if v.is_undefined() {
            return Err(format!("'{}' is undefined", expr.trim()));
        }
        from_jinja(&v)
    }

    /// Evaluates a condition; the result must be a bool.
    pub fn eval_bool(&self, expr: &str, ctx: &Ctx) -> Result<bool, String> {
        match self.eval(expr, ctx)? {
            Json::Bool(b) => Ok(b),
            other => Err(format!(
                "Conditional result ({}) was derived from value of type '{}'. Conditionals must have a boolean result.",
                if truthy(&other) { "True" } else { "False" },
                type_name(&other)
            )),
        }
    }

    /// Renders a template file.
    pub fn render_file(&self, path: &Path, ctx: &Ctx) -> Result<String, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("Could not read template '{}': {e}", path.display()))?;
        self.env.render_str(&text, ctx).map_err(|e| describe(&e))
    }
}

/// Converts a JSON value into a template value.
pub fn to_jinja(v: &Json) -> minijinja::Value {
    match v {
        Json::Null => minijinja::Value::from(()),
        Json::Bool(b) => minijinja::Value::from(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => minijinja::Value::from(i),
            None => minijinja::Value::from(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => minijinja::Value::from(s.as_str()),
        Json::Array(a) => minijinja::Value::from(a.iter().map(to_jinja).collect::<Vec<_>>()),
        Json::Object(m) => {
            let map: indexmap::IndexMap<minijinja::Value, minijinja::Value> = m
                .iter()
                .map(|(k, v)| (minijinja::Value::from(k.as_str()), to_jinja(v)))
                .collect();
            minijinja::Value::from(map)
        }
    }
}

/// Converts a template value back to JSON.
pub fn from_jinja(v: &minijinja::Value) -> Result<Json, String> {
    use minijinja::value::ValueKind;
    Ok(match v.kind() {
        ValueKind::Undefined => return Err("undefined value".into()),
        ValueKind::None => Json::Null,
        ValueKind::Bool => Json::Bool(v.is_true()),
        ValueKind::Number => {
            if let Ok(i) = i64::try_from(v.clone()) {
                Json::from(i)
            } else {
                let f = f64::try_from(v.clone()).unwrap_or(0.0);
                serde_json::Number::from_f64(f)
                    .map(Json::Number)
                    .unwrap_or(Json::Null)
            }
        }
        ValueKind::String => Json::String(v.as_str().unwrap_or_default().to_string()),
        ValueKind::Seq | ValueKind::Iterable => {
            let mut out = Vec::new();
            for item in v.try_iter().map_err(|e| e.to_string())? {
                out.push(from_jinja(&item)?);
            }
            Json::Array(out)
        }
        ValueKind::Map => {
            let mut out = Map::new();
            for key in v.try_iter().map_err(|e| e.to_string())? {
                let item = v.get_item(&key).map_err(|e| e.to_string())?;
                let k = key
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| key.to_string());
                out.insert(k, from_jinja(&item)?);
            }
            Json::Object(out)
        }
        _ => Json::String(v.to_string()),
    })
}

fn truthy(v: &Json) -> bool {
    match v {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64() != Some(0.0),
        Json::String(s) => !s.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Object(m) => !m.is_empty(),
    }
}

fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "NoneType",
        Json::Bool(_) => "bool",
        Json::Number(n) if n.is_f64() => "float",
        Json::Number(_) => "int",
        Json::String(_) => "str",
        Json::Array(_) => "list",
        Json::Object(_) => "dict",
    }
}

fn describe(e: &minijinja::Error) -> String {
    match e.detail() {
        Some(d) => d.to_string(),
        None => e.to_string(),
    }
}
