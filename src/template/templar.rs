//! [`Templar`]: the shared template engine of a run, and Ansible's typing of template results.
//!
//! One `Templar` is built per run and shared by every host task. It owns minijinja environments
//! configured like Ansible's (trim_blocks on, trailing newlines kept, chained undefined values that
//! fail when printed) with Ansible's filters, tests and lookups registered.

use std::sync::{Arc, OnceLock};

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior};
use serde_json::{Map, Value as Json};

use super::convert;
use super::error::{TemplateError, TemplateErrorKind, MANDATORY_NAME_MARKER};
use super::lazy::VarsContext;

/// Decrypts vaulted values (`{"__ansible_vault": envelope}`) when a template reads them. The
/// engine implements it over its vault secrets.
pub trait VaultReveal: Send + Sync {
    /// Returns the plaintext of `envelope` (the `$ANSIBLE_VAULT;...` text), or a message saying why
    /// it cannot be decrypted.
    fn reveal(&self, envelope: &str) -> Result<String, String>;
}

/// Run-wide templating settings (from ansible.cfg and the command line).
#[derive(Clone)]
pub struct TemplarOptions {
    /// The `ansible_managed` string of template files (`[defaults] ansible_managed`).
    pub ansible_managed: String,
    /// Decrypts vaulted variables; without it, using one is an error.
    pub vault: Option<Arc<dyn VaultReveal>>,
    /// `ALLOW_BROKEN_CONDITIONALS`: non-boolean conditionals use their truthiness instead of failing.
    pub allow_broken_conditionals: bool,
}

impl Default for TemplarOptions {
    fn default() -> Self {
        TemplarOptions {
            ansible_managed: "Ansible managed".to_string(),
            vault: None,
            allow_broken_conditionals: false,
        }
    }
}

impl std::fmt::Debug for TemplarOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplarOptions")
            .field("ansible_managed", &self.ansible_managed)
            .field("vault", &self.vault.is_some())
            .field("allow_broken_conditionals", &self.allow_broken_conditionals)
            .finish()
    }
}

/// The template engine of a run. Cheap to clone; safe to use from many threads at once.
#[derive(Clone)]
pub struct Templar {
    inner: Arc<Inner>,
}

struct Inner {
    options: TemplarOptions,
    omit: String,
    /// Environments by (trim_blocks, lstrip_blocks); index 2 (trim, no lstrip) is Ansible's default.
    envs: [OnceLock<Environment<'static>>; 4],
}

impl std::fmt::Debug for Templar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templar")
            .field("options", &self.inner.options)
            .finish()
    }
}

impl Templar {
    /// Builds the engine for a run.
    pub fn new(options: TemplarOptions) -> Self {
        Templar {
            inner: Arc::new(Inner {
                options,
                omit: make_omit_placeholder(),
                envs: Default::default(),
            }),
        }
    }

    /// The run's options.
    pub fn options(&self) -> &TemplarOptions {
        &self.inner.options
    }

    /// The `omit` placeholder: a template result equal to it means "leave this argument out".
    pub fn omit(&self) -> &str {
        &self.inner.omit
    }

    /// True when `value` is the `omit` placeholder.
    pub fn is_omit(&self, value: &Json) -> bool {
        value.as_str() == Some(self.omit())
    }

    /// True when `s` contains template syntax and must be rendered.
    pub fn is_template(s: &str) -> bool {
        s.contains("{{") || s.contains("{%") || s.contains("{#")
    }

    /// A lazy context over `vars` (copied once into an `Arc`). For engine-provided extras and
    /// lookup paths, build a [`VarsContext`] instead.
    pub fn context_from(&self, vars: &Map<String, Json>) -> Value {
        VarsContext::new(self, Arc::new(vars.clone())).into_value()
    }

    /// The default environment (trim_blocks on, lstrip_blocks off).
    pub(crate) fn env(&self) -> &Environment<'static> {
        self.env_with(true, false)
    }

    /// The environment for the given whitespace settings (`#jinja2:` header, module options).
    pub(crate) fn env_with(&self, trim_blocks: bool, lstrip_blocks: bool) -> &Environment<'static> {
        let idx = usize::from(trim_blocks) * 2 + usize::from(lstrip_blocks);
        self.inner.envs[idx].get_or_init(|| build_env(trim_blocks, lstrip_blocks))
    }

    pub(crate) fn reveal_vault(&self, envelope: &str) -> Result<String, String> {
        match &self.inner.options.vault {
            Some(v) => v.reveal(envelope),
            None => Err(
                "Attempt to use undecryptable variable: Attempting to decrypt but no vault secrets found."
                    .to_string(),
            ),
        }
    }

    /// Renders `text` with Ansible 2.19 typing: a single `{{ expr }}` gives its native value,
    /// other templates give a string, plain strings are returned as they are.
    pub fn render_str(&self, text: &str, ctx: &Value) -> Result<Json, TemplateError> {
        if !Self::is_template(text) {
            return Ok(Json::String(text.to_string()));
        }
        let value = self.render_native(text, ctx)?;
        convert::to_json(&value, self.omit()).map_err(|e| self.explain_template(e, text, ctx))
    }

    /// Renders every string in `value` (list items and dict values; keys stay literal) like
    /// [`render_str`](Self::render_str); list elements and dict entries whose value is `omit` are
    /// removed.
    pub fn render_value(&self, value: &Json, ctx: &Value) -> Result<Json, TemplateError> {
        Ok(match value {
            Json::String(s) => self.render_str(s, ctx)?,
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let rendered = self.render_value(item, ctx)?;
                    if !self.is_omit(&rendered) {
                        out.push(rendered);
                    }
                }
                Json::Array(out)
            }
            Json::Object(map) => {
                if is_tagged_value(map) {
                    return Ok(value.clone());
                }
                let mut out = Map::new();
                for (k, v) in map {
                    let rendered = self.render_value(v, ctx)?;
                    if self.is_omit(&rendered) {
                        continue;
                    }
                    // Like 2.19's lazy dicts: keys are never templated.
                    out.insert(k.clone(), rendered);
                }
                Json::Object(out)
            }
            other => other.clone(),
        })
    }

    /// Renders a task's arguments the way Ansible finalizes them (TPL-02): values are rendered
    /// recursively, `omit` arguments are dropped, keys stay literal unless `template_keys` (only
    /// `set_fact` templates its keys), and a failure names the argument:
    /// `Error while resolving value for 'msg': 'x' is undefined`.
    pub fn render_args(
        &self,
        args: &Map<String, Json>,
        ctx: &Value,
        template_keys: bool,
    ) -> Result<Map<String, Json>, TemplateError> {
        let mut out = Map::new();
        for (k, v) in args {
            let rendered = self.render_value(v, ctx).map_err(|e| TemplateError {
                message: format!("Error while resolving value for '{k}': {}", e.message),
                ..e
            })?;
            if self.is_omit(&rendered) {
                continue;
            }
            let key = if template_keys && Self::is_template(k) {
                match self.render_str(k, ctx)? {
                    Json::String(s) => s,
                    other => other.to_string(),
                }
            } else {
                k.clone()
            };
            out.insert(key, rendered);
        }
        Ok(out)
    }

    /// Evaluates a bare expression (`debug: var=...`, `loop` items...) to its native value.
    pub fn eval(&self, expr: &str, ctx: &Value) -> Result<Json, TemplateError> {
        let value = self.eval_native(expr, ctx)?;
        convert::to_json(&value, self.omit())
    }

    /// Evaluates a conditional (`when`, `changed_when`, `failed_when`, `until`, `assert.that`) with
    /// 2.19 rules (PB-12): `{{ }}`-wrapped strings are rendered first and a string result is
    /// evaluated again as the expression; the result must be a boolean.
    pub fn eval_bool(&self, expr: &str, ctx: &Value) -> Result<bool, TemplateError> {
        self.eval_condition(expr, ctx).map_err(|e| match e {
            super::condition::ConditionError::Failed(e) => e,
            other => TemplateError::new(TemplateErrorKind::Conditional, other.message(None)),
        })
    }

    /// Evaluates a bare expression to a minijinja value (undefined results are errors).
    pub(crate) fn eval_native(&self, expr: &str, ctx: &Value) -> Result<Value, TemplateError> {
        let unqualified = strip_collection_prefixes(expr);
        let marked = super::methods::mark_method_attributes(unqualified.as_ref(), true);
        let expr = marked.as_ref();
        let env = self.env();
        let compiled = env
            .compile_expression(expr)
            .map_err(|e| TemplateError::from_minijinja(&e, expr))?;
        let value = compiled
            .eval(ctx.clone())
            .map_err(|e| self.explain(TemplateError::from_minijinja(&e, expr), expr, ctx))?;
        self.check_result(value, expr, ctx)
    }

    /// Renders `text` to a native value (the core of [`render_str`](Self::render_str), also used
    /// for lazy variables).
    pub(crate) fn render_native(&self, text: &str, ctx: &Value) -> Result<Value, TemplateError> {
        if !Self::is_template(text) {
            return Ok(Value::from(text));
        }
        let escaped = escape_backslashes(text);
        let unqualified = strip_collection_prefixes(escaped.as_ref());
        let marked = super::methods::mark_method_attributes(unqualified.as_ref(), false);
        let text = marked.as_ref();
        if let Some(expr) = single_expression(text) {
            if let Ok(compiled) = self.env().compile_expression(expr) {
                let value = compiled.eval(ctx.clone()).map_err(|e| {
                    self.explain(TemplateError::from_minijinja(&e, text), expr, ctx)
                })?;
                let value = self.check_result(value, expr, ctx)?;
                // Like 2.19: a string result keeps the template's trailing newline
                // (`"{{ x | hash('sha1') }}\n"`); other types drop it.
                if text.ends_with('\n') {
                    if let Some(s) = value.as_str() {
                        return Ok(Value::from(format!("{s}\n")));
                    }
                }
                return Ok(value);
            }
        }
        let (settings, body) = super::file::split_header(text);
        let env = self.env_with(
            settings.trim_blocks.unwrap_or(true),
            settings.lstrip_blocks.unwrap_or(false),
        );
        EMITTED.with(|e| e.borrow_mut().push(Vec::new()));
        let result = env.render_str(body, ctx.clone());
        let emitted = EMITTED.with(|e| e.borrow_mut().pop()).unwrap_or_default();
        let rendered = result.map_err(|e| {
            self.explain_template(TemplateError::from_minijinja(&e, text), body, ctx)
        })?;
        // 2.19 native typing: output made of exactly one emitted value (statements around it
        // produce no text) is that value.
        if emitted.is_empty() && rendered.is_empty() {
            return Ok(Value::from(()));
        }
        if emitted.len() == 1 && rendered == display_text(&emitted[0]) {
            if let Some(v) = emitted.into_iter().next() {
                return Ok(v);
            }
        }
        let rendered = restore_trailing_newlines(body, rendered);
        if rendered.contains(self.omit()) {
            return Ok(Value::from(rendered.replace(self.omit(), "")));
        }
        Ok(Value::from(rendered))
    }

    fn check_result(&self, value: Value, expr: &str, ctx: &Value) -> Result<Value, TemplateError> {
        match value.kind() {
            ValueKind::Undefined => Err(self.explain(
                TemplateError::new(TemplateErrorKind::Undefined, "undefined value"),
                expr,
                ctx,
            )),
            ValueKind::Invalid => Err(convert::invalid_error(&value)),
            _ => Ok(value),
        }
    }

    /// Names the undefined variable of an expression when minijinja could not.
    fn explain(&self, err: TemplateError, expr: &str, ctx: &Value) -> TemplateError {
        if !needs_explaining(&err) {
            return err;
        }
        let names = match self.env().compile_expression(expr) {
            Ok(c) => c.undeclared_variables(false),
            Err(_) => return err,
        };
        fill_in_undefined(err, names, expr, ctx)
    }

    /// Like [`explain`](Self::explain) for a whole template.
    pub(crate) fn explain_template(
        &self,
        err: TemplateError,
        body: &str,
        ctx: &Value,
    ) -> TemplateError {
        if !needs_explaining(&err) {
            return err;
        }
        let names = match self.env().template_from_str(body) {
            Ok(t) => t.undeclared_variables(false),
            Err(_) => return err,
        };
        fill_in_undefined(err, names, body, ctx)
    }
}

fn needs_explaining(err: &TemplateError) -> bool {
    err.message.contains(MANDATORY_NAME_MARKER)
        || (err.kind == TemplateErrorKind::Undefined && !err.message.contains('\''))
}

/// Puts the name of the first undefined variable into `err`.
fn fill_in_undefined(
    err: TemplateError,
    names: std::collections::HashSet<String>,
    source: &str,
    ctx: &Value,
) -> TemplateError {
    if err.message.contains(MANDATORY_NAME_MARKER) {
        let mut roots: Vec<String> = names.into_iter().collect();
        roots.sort_by_key(|n| source.find(n.as_str()).unwrap_or(usize::MAX));
        let name = roots
            .into_iter()
            .find(|n| ctx.get_attr(n).map(|v| v.is_undefined()).unwrap_or(true))
            .unwrap_or_default();
        let message = err
            .message
            .replace(MANDATORY_NAME_MARKER, &format!("'{name}'"));
        return TemplateError::new(err.kind, message);
    }
    // The expression minijinja stopped at comes first: `{{ x | type_debug }} {{ y }}` fails
    // on `y`, although `x` is undefined too.
    let at = err
        .range
        .clone()
        .filter(|r| r.end <= source.len() && source.is_char_boundary(r.start));
    if let Some(range) = at {
        let inside: std::collections::HashSet<String> = names
            .iter()
            .filter(|n| {
                source[range.start..]
                    .find(n.as_str())
                    .is_some_and(|i| i < range.len())
            })
            .cloned()
            .collect();
        if let Some(found) = first_undefined(inside, &source[range.start..], ctx) {
            return found;
        }
    }
    first_undefined(names, source, ctx).unwrap_or(err)
}

/// Finds the first (by position in `source`) referenced variable, or attribute/key chain after
/// it (`a.b`, `a['b']`), that is undefined.
fn first_undefined(
    names: std::collections::HashSet<String>,
    source: &str,
    ctx: &Value,
) -> Option<TemplateError> {
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort_by_key(|n| source.find(n.as_str()).unwrap_or(usize::MAX));
    for root in names {
        let value = ctx.get_attr(&root).ok()?;
        if value.is_undefined() {
            if let Some(reason) = super::lazy::lazy_undefined_reason(&root) {
                return Some(TemplateError::new(TemplateErrorKind::Undefined, reason));
            }
            return Some(TemplateError::undefined(&root));
        }
        let pattern = format!(
            r#"\b{}((?:\s*\.\s*\w+|\[\s*'[^']*'\s*\]|\[\s*"[^"]*"\s*\]|\[\s*\w+\s*\])+)"#,
            regex::escape(&root)
        );
        let Ok(re) = regex::Regex::new(&pattern) else {
            continue;
        };
        let Some(segment_re) = segment_regex() else {
            continue;
        };
        for chain in re.captures_iter(source) {
            let mut cur = value.clone();
            for seg in segment_re.captures_iter(&chain[1]) {
                let (key, key_value) = match seg.get(4) {
                    // `[name]`: an index, or a variable holding the key.
                    Some(m) => match m.as_str().parse::<i64>() {
                        Ok(n) => (m.as_str().to_string(), Value::from(n)),
                        Err(_) => {
                            let v = ctx.get_attr(m.as_str()).unwrap_or(Value::UNDEFINED);
                            if v.is_undefined() {
                                break;
                            }
                            (v.to_string(), v)
                        }
                    },
                    None => {
                        let k = seg
                            .get(1)
                            .or_else(|| seg.get(2))
                            .or_else(|| seg.get(3))
                            .map(|m| m.as_str())
                            .unwrap_or_default();
                        (k.to_string(), Value::from(k))
                    }
                };
                let next = cur.get_item(&key_value).unwrap_or(Value::UNDEFINED);
                if next.is_undefined() {
                    return Some(TemplateError::new(
                        TemplateErrorKind::Undefined,
                        format!(
                            "object of type '{}' has no attribute '{}'",
                            python_type_name(&cur),
                            key.replace(super::methods::METHOD_MARK, "")
                        ),
                    ));
                }
                cur = next;
            }
        }
    }
    None
}

/// Matches one `.attr`, `['key']` or `["key"]` step of an attribute chain.
fn segment_regex() -> Option<&'static regex::Regex> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r#"\.\s*(\w+)|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]|\[\s*(\w+)\s*\]"#)
            .ok()
    })
    .as_ref()
}

/// `{"__ansible_vault": ...}` / `{"__ansible_unsafe": ...}` / `{"__rplay_timestamp": ...}` values
/// are data, not templates.
fn is_tagged_value(map: &Map<String, Json>) -> bool {
    map.len() == 1
        && (map.contains_key("__ansible_vault")
            || map.contains_key("__ansible_unsafe")
            || map.contains_key(crate::yaml::TIMESTAMP_KEY))
}

/// Collections whose filters and tests rplay provides under their short names.
const KNOWN_COLLECTIONS: [&str; 5] = [
    "ansible.builtin.",
    "ansible.utils.",
    "ansible.netcommon.",
    "community.general.",
    "ansible.posix.",
];

/// Drops collection prefixes from filter and test names (`x | ansible.builtin.to_json`,
/// `x is ansible.builtin.match(...)`), so fully qualified names reach the same plugins.
pub(crate) fn strip_collection_prefixes(text: &str) -> std::borrow::Cow<'_, str> {
    if !KNOWN_COLLECTIONS.iter().any(|c| text.contains(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(\|\s*|\bis\s+(?:not\s+)?|\b(?:map|select|reject|selectattr|rejectattr)\(\s*['\x22])(?:ansible\.builtin|ansible\.utils|ansible\.netcommon|community\.general|ansible\.posix)\.",
        )
        .ok()
    });
    match re {
        Some(re) => re.replace_all(text, "$1"),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// Jinja drops one trailing newline of every template (included ones too); Ansible then adds
/// back as many newlines as the source had at its end (TPL-01).
pub(crate) fn restore_trailing_newlines(source: &str, mut rendered: String) -> String {
    let want = source.len() - source.trim_end_matches('\n').len();
    let have = rendered.len() - rendered.trim_end_matches('\n').len();
    if want > have {
        rendered.push_str(&"\n".repeat(want - have));
    }
    rendered
}

/// Doubles backslashes inside string literals of `{{ }}` blocks, as Ansible does for inline
/// templates, so `regex_replace('(\\d)', '\\1')` written once in YAML reaches the filter intact.
pub(crate) fn escape_backslashes(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\\') || !text.contains("{{") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    let mut in_var = false;
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if !in_var {
            out.push(c);
            if c == '{' && chars.peek() == Some(&'{') {
                out.push('{');
                chars.next();
                in_var = true;
            }
            continue;
        }
        match quote {
            Some(q) => {
                if c == '\\' {
                    out.push_str("\\\\");
                    if let Some(n) = chars.next() {
                        if n == '\\' {
                            out.push_str("\\\\");
                        } else {
                            out.push(n);
                        }
                    }
                } else {
                    out.push(c);
                    if c == q {
                        quote = None;
                    }
                }
            }
            None => {
                out.push(c);
                if c == '\'' || c == '"' {
                    quote = Some(c);
                } else if c == '}' && chars.peek() == Some(&'}') {
                    out.push('}');
                    chars.next();
                    in_var = false;
                }
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// If `text` is exactly one `{{ expr }}` (plus at most one trailing newline), returns `expr`.
pub(crate) fn single_expression(text: &str) -> Option<&str> {
    let t = text.strip_suffix('\n').unwrap_or(text);
    let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
    let inner = inner.strip_suffix(['-', '+']).unwrap_or(inner);
    if inner.trim().is_empty() {
        return None;
    }
    Some(inner)
}

/// Python's type name of a value, as `type_debug` and error messages show it.
pub(crate) fn python_type_name(value: &Value) -> &'static str {
    if let Some(name) = value
        .downcast_object_ref::<VarsContext>()
        .and_then(VarsContext::type_name)
    {
        return name;
    }
    if let Some(ts) = super::datetime::YamlTimestamp::of(value) {
        return ts.type_name();
    }
    if value
        .downcast_object_ref::<super::methods::BoundMethod>()
        .is_some()
    {
        return "method";
    }
    if super::py_range::PyRange::of(value).is_some() {
        return "range";
    }
    match value.kind() {
        ValueKind::Undefined => "UndefinedMarker",
        ValueKind::None => "NoneType",
        ValueKind::Bool => "bool",
        ValueKind::Number => {
            if value.is_integer() {
                "int"
            } else {
                "float"
            }
        }
        ValueKind::String => "str",
        ValueKind::Bytes => "bytes",
        ValueKind::Seq | ValueKind::Iterable => "list",
        ValueKind::Map => "dict",
        _ => "object",
    }
}

/// A unique placeholder per run, like Ansible's `__omit_place_holder__<sha1>`.
fn make_omit_placeholder() -> String {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.update(now.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let marker = 0u8;
    h.update((&marker as *const u8 as usize).to_le_bytes());
    format!("__omit_place_holder__{}", hex::encode(h.finalize()))
}

thread_local! {
    /// Values written by `{{ }}` in the templates being rendered on this thread (one frame per
    /// render; at most two kept, enough to tell "exactly one").
    static EMITTED: std::cell::RefCell<Vec<Vec<Value>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The text a value renders as in a template.
fn display_text(value: &Value) -> String {
    if value.is_none() {
        String::new()
    } else {
        value.to_string()
    }
}

/// Writes a value into text the way Ansible does: `None` as nothing, undefined as an error.
fn ansible_formatter(
    out: &mut Output,
    state: &mut State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    EMITTED.with(|e| {
        if let Some(frame) = e.borrow_mut().last_mut() {
            if frame.len() < 2 {
                frame.push(value.clone());
            }
        }
    });
    if value.is_undefined() {
        return Err(minijinja::Error::from(minijinja::ErrorKind::UndefinedError));
    }
    if value.is_none() {
        return Ok(());
    }
    if value.kind() == ValueKind::Invalid {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            convert::invalid_error(value)
                .into_minijinja()
                .detail()
                .unwrap_or("invalid value")
                .to_string(),
        ));
    }
    // A list or dict holding dates shows them as Python's `repr()` does
    // (`[datetime.date(2024, 1, 2)]`); minijinja would write their text.
    if matches!(value.kind(), ValueKind::Seq | ValueKind::Map) && holds_timestamp(value, 0) {
        return out
            .write_str(&super::filters::py_repr(value))
            .map_err(minijinja::Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

/// True when a list or dict holds a YAML date or datetime (looking a few levels deep).
fn holds_timestamp(value: &Value, depth: usize) -> bool {
    if super::datetime::YamlTimestamp::of(value).is_some() {
        return true;
    }
    if depth > 8 || !matches!(value.kind(), ValueKind::Seq | ValueKind::Map) {
        return false;
    }
    let Ok(iter) = value.try_iter() else {
        return false;
    };
    let is_map = value.kind() == ValueKind::Map;
    iter.take(1000).any(|item| {
        let item = if is_map {
            value.get_item(&item).unwrap_or_default()
        } else {
            item
        };
        holds_timestamp(&item, depth + 1)
    })
}

fn build_env(trim_blocks: bool, lstrip_blocks: bool) -> Environment<'static> {
    let mut env = Environment::new();
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(trim_blocks)
        .lstrip_blocks(lstrip_blocks)
        .keep_trailing_newline(false)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_formatter(ansible_formatter);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    super::filters::register(&mut env);
    super::jinja_tests::register(&mut env);
    super::lookups::register(&mut env);
    super::globals::register(&mut env);
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(vars: Json, text: &str) -> Result<Json, TemplateError> {
        let t = Templar::new(TemplarOptions::default());
        let map = vars.as_object().cloned().unwrap_or_default();
        let ctx = t.context_from(&map);
        t.render_str(text, &ctx)
    }

    #[test]
    fn single_expression_keeps_native_type() {
        assert_eq!(render(json!({}), "{{ 1 + 1 }}").ok(), Some(json!(2)));
        assert_eq!(render(json!({}), "{{ [1, 2] }}").ok(), Some(json!([1, 2])));
        assert_eq!(render(json!({}), "{{ None }}").ok(), Some(json!(null)));
        assert_eq!(render(json!({}), "{{ 'True' }}").ok(), Some(json!("True")));
        assert_eq!(render(json!({"n": 5}), "{{ n }}\n").ok(), Some(json!(5)));
    }

    #[test]
    fn mixed_text_is_a_string() {
        assert_eq!(render(json!({"n": 5}), "x{{ n }}").ok(), Some(json!("x5")));
        assert_eq!(
            render(json!({"n": 5}), " {{ n }} ").ok(),
            Some(json!(" 5 "))
        );
        assert_eq!(render(json!({}), "{{ 1 }}{{ 2 }}").ok(), Some(json!("12")));
        assert_eq!(render(json!({}), "a{{ None }}b").ok(), Some(json!("ab")));
    }

    #[test]
    fn backslashes_in_expression_strings_are_literal() {
        assert_eq!(escape_backslashes(r"{{ 'a\1' }} \n"), r"{{ 'a\\1' }} \n");
        assert_eq!(
            escape_backslashes(r"{% set x = '\n' %}"),
            r"{% set x = '\n' %}"
        );
        assert_eq!(
            render(json!({}), r"{{ 'ab' | regex_replace('(b)', '<\1>') }}").ok(),
            Some(json!("a<b>"))
        );
    }

    #[test]
    fn plain_strings_are_untouched() {
        assert_eq!(render(json!({}), "yes").ok(), Some(json!("yes")));
    }

    #[test]
    fn lazy_vars_render_recursively() {
        let vars =
            json!({"a": "one", "b": "{{ a }}-x", "c": "{{ b | upper }}", "l": "{{ [a, 2] }}"});
        assert_eq!(render(vars.clone(), "{{ c }}").ok(), Some(json!("ONE-X")));
        assert_eq!(
            render(vars.clone(), "{{ l }}").ok(),
            Some(json!(["one", 2]))
        );
        assert_eq!(
            render(json!({"d": {"k": "{{ a }}", "a": 1}, "a": 7}), "{{ d }}").ok(),
            Some(json!({"k": 7, "a": 1}))
        );
    }

    #[test]
    fn recursion_is_detected() {
        let err = render(json!({"a": "{{ b }}", "b": "{{ a }}"}), "{{ a }}").err();
        assert_eq!(err.map(|e| e.kind), Some(TemplateErrorKind::Recursion));
    }

    #[test]
    fn unsafe_values_are_not_templated() {
        let vars = json!({"u": {"__ansible_unsafe": "{{ nope }}"}});
        assert_eq!(render(vars, "{{ u }}").ok(), Some(json!("{{ nope }}")));
    }

    #[test]
    fn undefined_names_the_variable() {
        let err = render(json!({}), "{{ foo }}").err().map(|e| e.message);
        assert_eq!(err.as_deref(), Some("'foo' is undefined"));
        let err = render(json!({}), "x {{ foo }}").err().map(|e| e.message);
        assert_eq!(err.as_deref(), Some("'foo' is undefined"));
        let err = render(json!({"d": {"a": 1}}), "{{ d.missing }}")
            .err()
            .map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some("object of type 'dict' has no attribute 'missing'")
        );
        assert_eq!(
            render(json!({}), "{{ foo.bar | default('x') }}").ok(),
            Some(json!("x"))
        );
    }

    #[test]
    fn conditionals_must_be_boolean() {
        let t = Templar::new(TemplarOptions::default());
        let map = json!({"flag": "false", "n": 3, "s": "x == 1", "x": 1});
        let ctx = t.context_from(map.as_object().unwrap_or(&Map::new()));
        assert_eq!(t.eval_bool("n > 2", &ctx).ok(), Some(true));
        assert_eq!(t.eval_bool("flag | bool", &ctx).ok(), Some(false));
        assert!(t.eval_bool("flag", &ctx).is_err());
        assert_eq!(t.eval_bool("{{ s }}", &ctx).ok(), Some(true));
        assert_eq!(t.eval_bool("nope is defined", &ctx).ok(), Some(false));
        assert!(t.eval_bool("nope", &ctx).is_err());
        assert!(t.eval_bool("  ", &ctx).is_err());
    }

    #[test]
    fn args_keep_literal_keys_and_name_the_failing_argument() {
        let t = Templar::new(TemplarOptions::default());
        let ctx = t.context_from(
            json!({"k": "key", "v": 1})
                .as_object()
                .unwrap_or(&Map::new()),
        );
        let args = json!({"{{ k }}": "{{ v }}", "drop": "{{ omit }}"});
        let args = args.as_object().cloned().unwrap_or_default();
        assert_eq!(
            t.render_args(&args, &ctx, false).ok().map(Json::Object),
            Some(json!({"{{ k }}": 1}))
        );
        assert_eq!(
            t.render_args(&args, &ctx, true).ok().map(Json::Object),
            Some(json!({"key": 1}))
        );
        let bad = json!({"msg": "{{ nope }}"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            t.render_args(&bad, &ctx, false)
                .err()
                .map(|e| e.message)
                .as_deref(),
            Some("Error while resolving value for 'msg': 'nope' is undefined")
        );
    }

    struct FakeVault;

    impl VaultReveal for FakeVault {
        fn reveal(&self, envelope: &str) -> Result<String, String> {
            envelope
                .strip_prefix("$ANSIBLE_VAULT;")
                .map(str::to_string)
                .ok_or_else(|| "bad envelope".to_string())
        }
    }

    #[test]
    fn vaulted_values_are_revealed_on_use_only() {
        let t = Templar::new(TemplarOptions {
            vault: Some(Arc::new(FakeVault)),
            ..TemplarOptions::default()
        });
        let vars = json!({
            "secret": {"__ansible_vault": "$ANSIBLE_VAULT;s3cret"},
            "broken": {"__ansible_vault": "garbage"},
        });
        let ctx = t.context_from(vars.as_object().unwrap_or(&Map::new()));
        assert_eq!(
            t.render_str("{{ secret }}", &ctx).ok(),
            Some(json!("s3cret"))
        );
        assert_eq!(
            t.render_str("{{ secret | length }}", &ctx).ok(),
            Some(json!(6))
        );
        assert!(t.render_str("{{ broken }}", &ctx).is_err());
        // Unused broken values never fail.
        assert_eq!(t.render_str("{{ 1 }}", &ctx).ok(), Some(json!(1)));
        // A vaulted value passed through as data stays a vaulted value.
        let raw = json!({"__ansible_vault": "$ANSIBLE_VAULT;x"});
        assert_eq!(t.render_value(&raw, &ctx).ok(), Some(raw));
    }

    #[test]
    fn templar_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Templar>();
        let t = Templar::new(TemplarOptions::default());
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let t = t.clone();
                std::thread::spawn(move || {
                    let vars = json!({"i": i, "s": "{{ i * 2 }}"});
                    let ctx = t.context_from(vars.as_object().unwrap_or(&Map::new()));
                    t.render_str("{{ s + 1 }}", &ctx).ok()
                })
            })
            .collect();
        let got: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect();
        assert_eq!(
            got,
            vec![
                Some(json!(1)),
                Some(json!(3)),
                Some(json!(5)),
                Some(json!(7))
            ]
        );
    }

    #[test]
    fn omit_is_dropped() {
        let t = Templar::new(TemplarOptions::default());
        let ctx = t.context_from(&Map::new());
        let v = json!([1, "{{ omit }}", {"a": "{{ omit }}", "b": 2}]);
        assert_eq!(t.render_value(&v, &ctx).ok(), Some(json!([1, {"b": 2}])));
        assert_eq!(t.render_str("x{{ omit }}", &ctx).ok(), Some(json!("x")));
        let o = t
            .render_str("{{ nope | default(omit) }}", &ctx)
            .unwrap_or_default();
        assert!(t.is_omit(&o));
    }
}
