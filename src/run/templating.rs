//! The runner's one door to templating: build a host×task context, render arguments and names,
//! evaluate conditions and expressions, render template files. It wraps the template area's
//! [`Templar`] and turns its errors into the messages the runner reports.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::template::{LookupPaths, Templar, TemplarOptions, TemplateFileInfo, VarsContext};

/// A template context for one host and task.
pub type Ctx = minijinja::Value;

/// Controller directories searched by lookups and template includes, in order.
#[derive(Debug, Clone, Default)]
pub struct SearchPaths {
    /// Base directories (role dir, role parents, task file dir, playbook dir).
    pub dirs: Vec<PathBuf>,
}

/// The run's template engine.
pub struct Templating {
    templar: Templar,
}

impl Default for Templating {
    fn default() -> Self {
        Self::new(TemplarOptions::default())
    }
}

impl Templating {
    /// Builds the engine.
    pub fn new(options: TemplarOptions) -> Self {
        Templating {
            templar: Templar::new(options),
        }
    }

    /// The underlying template engine.
    pub fn templar(&self) -> &Templar {
        &self.templar
    }

    /// The `omit` placeholder.
    pub fn omit(&self) -> &str {
        self.templar.omit()
    }

    /// Does `s` contain template syntax?
    pub fn is_template(s: &str) -> bool {
        Templar::is_template(s)
    }

    /// A lazy context over `vars` plus engine-provided values (`hostvars`, `groups`...).
    pub fn context(
        &self,
        vars: Arc<Map<String, Json>>,
        extras: Vec<(String, minijinja::Value)>,
        paths: SearchPaths,
    ) -> Ctx {
        let mut c = VarsContext::new(&self.templar, vars);
        for (k, v) in extras {
            c = c.with_value(k, v);
        }
        c.with_lookup_paths(LookupPaths { search: paths.dirs })
            .into_value()
    }

    /// A context like [`Templating::context`] for a `with_<lookup>` loop: it also carries the
    /// rendered loop `terms` as `__rplay_terms` and the subdirectory `first_found` searches.
    pub fn lookup_loop_context(
        &self,
        vars: Arc<Map<String, Json>>,
        extras: Vec<(String, minijinja::Value)>,
        paths: SearchPaths,
        terms: &Json,
        first_found_subdir: &str,
    ) -> Ctx {
        let mut c = VarsContext::new(&self.templar, vars);
        for (k, v) in extras {
            c = c.with_value(k, v);
        }
        c.with_value("__rplay_terms", self.value(terms))
            .with_first_found_subdir(first_found_subdir)
            .with_lookup_paths(LookupPaths { search: paths.dirs })
            .into_value()
    }

    /// A lazily templated mapping over `vars` (e.g. one host of `hostvars`).
    pub fn lazy_map(&self, vars: Map<String, Json>) -> minijinja::Value {
        VarsContext::new(&self.templar, Arc::new(vars)).into_value()
    }

    /// A plain value for `extras`.
    pub fn value(&self, v: &Json) -> minijinja::Value {
        match v {
            Json::Object(m) => self.lazy_map(m.clone()),
            other => {
                let mut m = Map::new();
                m.insert("v".into(), other.clone());
                self.lazy_map(m)
                    .get_attr("v")
                    .unwrap_or(minijinja::Value::UNDEFINED)
            }
        }
    }

    /// Renders a string with native typing for a lone `{{ expr }}`.
    pub fn render_str(&self, text: &str, ctx: &Ctx) -> Result<Json, String> {
        self.templar
            .render_str(text, ctx)
            .map_err(|e| e.to_string())
    }

    /// Renders a value recursively (strings, list items, dict values), dropping `omit`.
    pub fn render_value(&self, value: &Json, ctx: &Ctx) -> Result<Json, String> {
        self.templar
            .render_value(value, ctx)
            .map_err(|e| e.to_string())
    }

    /// Evaluates a bare expression.
    pub fn eval(&self, expr: &str, ctx: &Ctx) -> Result<Json, String> {
        self.templar.eval(expr, ctx).map_err(|e| e.to_string())
    }

    /// Evaluates a condition; the result must be a bool.
    pub fn eval_bool(&self, expr: &str, ctx: &Ctx) -> Result<bool, String> {
        self.templar.eval_bool(expr, ctx).map_err(|e| e.to_string())
    }

    /// Renders a template file, searching includes in `search`.
    /// Decrypts a vault-encrypted file's text with the run's secrets.
    pub fn reveal_vault(&self, text: &str) -> Result<String, String> {
        self.templar.reveal_vault(text)
    }

    /// Renders a template file (decrypted first when vault-encrypted).
    pub fn render_file(
        &self,
        path: &Path,
        ctx: &Ctx,
        search: &[PathBuf],
    ) -> Result<String, String> {
        let info = TemplateFileInfo {
            search_paths: search
                .iter()
                .map(|d| d.join("templates"))
                .chain(search.iter().cloned())
                .collect(),
            ..Default::default()
        };
        self.templar
            .render_file(path, ctx, &info)
            .map_err(|e| e.to_string())
    }
}
