//! Lazy variables (VAR-04): the template context over the engine's raw variables.
//!
//! Variables are stored raw; a string holding `{{`, `{%` or `{#` is rendered each time it is read,
//! in the reading context, recursively, with native typing. Nested dicts and lists are views that
//! template their members on access, so nothing is converted or rendered unless a template uses
//! it (an unused broken variable never errors). Self-references are detected and reported as
//! Ansible does ("Recursive loop detected in template").

use std::cell::RefCell;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use serde_json::{Map, Value as Json};

use super::lookups::LookupPaths;
use super::templar::Templar;

/// Name under which the lookup search paths travel in the context (read by `lookup()`).
pub(crate) const LOOKUP_PATHS_KEY: &str = "__rplay_lookup_paths";

/// Name under which the `with_first_found` subdirectory travels in the context.
pub(crate) const FIRST_FOUND_SUBDIR_KEY: &str = "__rplay_first_found_subdir";

/// Maximum nesting of lazily templated variables before giving up (catches indirect loops).
const MAX_DEPTH: usize = 64;

/// The root of a template context: a host's raw variables plus values the engine computes
/// (`hostvars`, `groups`...), rendered lazily. Build one per host and task with [`VarsContext::new`]
/// and turn it into a context value with [`VarsContext::into_value`].
#[derive(Debug)]
pub struct VarsContext {
    templar: Templar,
    vars: Arc<Map<String, Json>>,
    extra: Vec<(String, Value)>,
    lookup_paths: Option<Value>,
    /// Python's type name of the mapping when it is not a plain dict (`HostVarsVars`).
    type_name: Option<&'static str>,
}

impl VarsContext {
    /// A context over `vars` (shared, not copied).
    pub fn new(templar: &Templar, vars: Arc<Map<String, Json>>) -> Self {
        VarsContext {
            templar: templar.clone(),
            vars,
            extra: Vec::new(),
            lookup_paths: None,
            type_name: None,
        }
    }

    /// Names the mapping's Python type in error messages (`HostVarsVars` for one host of
    /// `hostvars`).
    pub fn with_type_name(mut self, name: &'static str) -> Self {
        self.type_name = Some(name);
        self
    }

    /// Python's type name given by [`with_type_name`](Self::with_type_name).
    pub(crate) fn type_name(&self) -> Option<&'static str> {
        self.type_name
    }

    /// Adds (or overrides) a variable with a ready-made value, e.g. a lazy `hostvars` object.
    pub fn with_value(mut self, name: impl Into<String>, value: Value) -> Self {
        let name = name.into();
        self.extra.retain(|(n, _)| *n != name);
        self.extra.push((name, value));
        self
    }

    /// Sets the controller search paths used by lookups (`file`, `template`, `first_found`...).
    pub fn with_lookup_paths(mut self, paths: LookupPaths) -> Self {
        self.lookup_paths = Some(Value::from_object(paths));
        self
    }

    /// For `with_first_found` loops: the subdirectory `first_found` searches besides the base
    /// directories (`templates` for the template action, `vars` for include_vars, else `files`).
    /// `lookup('first_found', ...)` inside templates searches the base directories only.
    pub fn with_first_found_subdir(self, subdir: &str) -> Self {
        self.with_value(FIRST_FOUND_SUBDIR_KEY, Value::from(subdir))
    }

    /// The context value to pass to `render_str`, `eval` and friends.
    pub fn into_value(self) -> Value {
        Value::from_object(self)
    }

    /// The engine this context renders with.
    pub(crate) fn templar(&self) -> &Templar {
        &self.templar
    }

    /// Names of every variable in the context.
    pub(crate) fn var_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.extra.iter().map(|(n, _)| n.clone()).collect();
        names.extend(
            self.vars
                .keys()
                .filter(|k| !names.contains(k))
                .cloned()
                .collect::<Vec<_>>(),
        );
        names
    }

    fn lookup(self: &Arc<Self>, key: &str) -> Option<Value> {
        if let Some((_, v)) = self.extra.iter().find(|(n, _)| n == key) {
            return Some(v.clone());
        }
        if let Some(json) = self.vars.get(key) {
            return Some(lazy_value(self, &[Seg::Key(key.to_string())], json));
        }
        match key {
            LOOKUP_PATHS_KEY => self.lookup_paths.clone(),
            // `vars` is the dict of all variables of the host (lazily templated too).
            "vars" => Some(Value::from_dyn_object(self.clone())),
            "omit" => Some(Value::from(self.templar.omit())),
            _ => None,
        }
    }

    /// Resolves a path of keys/indexes from the root variables.
    fn resolve(&self, path: &[Seg]) -> Option<&Json> {
        let (first, rest) = path.split_first()?;
        let mut node = match first {
            Seg::Key(k) => self.vars.get(k)?,
            Seg::Index(_) => return None,
        };
        for seg in rest {
            node = match (seg, node) {
                (Seg::Key(k), Json::Object(m)) => m.get(k)?,
                (Seg::Index(i), Json::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

impl Object for VarsContext {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.lookup(key.as_str()?)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut keys: Vec<Value> = self
            .extra
            .iter()
            .map(|(n, _)| Value::from(n.as_str()))
            .collect();
        keys.extend(
            self.vars
                .keys()
                .filter(|k| !self.extra.iter().any(|(n, _)| n == *k))
                .map(|k| Value::from(k.as_str())),
        );
        Enumerator::Values(keys)
    }
}

/// One step of a path from the root variables to a nested value.
#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// A nested dict or list inside the variables, templating its members on access.
#[derive(Debug)]
struct LazyNode {
    root: Arc<VarsContext>,
    path: Vec<Seg>,
    is_map: bool,
}

impl LazyNode {
    fn node(&self) -> Option<&Json> {
        self.root.resolve(&self.path)
    }

    fn child(&self, seg: Seg) -> Option<Value> {
        let json = match (&seg, self.node()?) {
            (Seg::Key(k), Json::Object(m)) => m.get(k)?,
            (Seg::Index(i), Json::Array(a)) => a.get(*i)?,
            _ => return None,
        };
        let mut path = self.path.clone();
        path.push(seg);
        Some(lazy_value(&self.root, &path, json))
    }
}

impl Object for LazyNode {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        if self.is_map {
            ObjectRepr::Map
        } else {
            ObjectRepr::Seq
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Some(method) = key.as_str().and_then(super::methods::marked_method) {
            // `d.items`: the dict's method, not its `items` key.
            return self.is_map.then(|| {
                Value::from_object(super::methods::BoundMethod {
                    name: method.to_string(),
                    owner: Value::from_dyn_object(self.clone()),
                })
            });
        }
        if self.is_map {
            // Dict keys are strings in the variables; integer keys from YAML were stringified.
            let k = match key.as_str() {
                Some(s) => s.to_string(),
                None => key.to_string(),
            };
            self.child(Seg::Key(k))
        } else {
            let len = match self.node()? {
                Json::Array(a) => a.len() as i64,
                _ => return None,
            };
            let mut idx = key.as_i64()?;
            if idx < 0 {
                idx += len;
            }
            if idx < 0 {
                return None;
            }
            self.child(Seg::Index(idx as usize))
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.node() {
            Some(Json::Object(m)) => {
                Enumerator::Values(m.keys().map(|k| Value::from(k.as_str())).collect())
            }
            Some(Json::Array(a)) => Enumerator::Seq(a.len()),
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.node() {
            Some(Json::Object(m)) => Some(m.len()),
            Some(Json::Array(a)) => Some(a.len()),
            _ => Some(0),
        }
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.enumerator_len().unwrap_or(0) > 0
    }
}

thread_local! {
    /// Variables being templated on this thread, as (root address, path), for loop detection.
    static IN_PROGRESS: RefCell<Vec<(usize, String)>> = const { RefCell::new(Vec::new()) };
}

/// Turns a raw JSON variable into a template value: scalars directly, containers as lazy views,
/// template strings rendered (natively typed) in the root context.
fn lazy_value(root: &Arc<VarsContext>, path: &[Seg], json: &Json) -> Value {
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(_) => super::convert::from_json(json),
        Json::String(s) => {
            if Templar::is_template(s) {
                render_lazy(root, path, s)
            } else {
                Value::from(s.as_str())
            }
        }
        Json::Array(_) => Value::from_object(LazyNode {
            root: root.clone(),
            path: path.to_vec(),
            is_map: false,
        }),
        Json::Object(m) => {
            if m.len() == 1 {
                if let Some(Json::String(s)) = m.get("__ansible_unsafe") {
                    return Value::from(s.as_str());
                }
                if let Some(ts) = crate::yaml::Timestamp::from_json(json) {
                    return super::datetime::YamlTimestamp::value(ts);
                }
                if let Some(Json::String(envelope)) = m.get("__ansible_vault") {
                    return match root.templar.reveal_vault(envelope) {
                        Ok(plain) => Value::from(plain),
                        Err(e) => {
                            // A variable's own value is named, so its place can be shown.
                            let message = match path {
                                [Seg::Key(name)] => super::error::value_message(name, &e),
                                _ => e,
                            };
                            Value::from(minijinja::Error::new(
                                minijinja::ErrorKind::InvalidOperation,
                                message,
                            ))
                        }
                    };
                }
            }
            Value::from_object(LazyNode {
                root: root.clone(),
                path: path.to_vec(),
                is_map: true,
            })
        }
    }
}

/// Renders a template-valued variable, guarding against self-reference.
fn render_lazy(root: &Arc<VarsContext>, path: &[Seg], text: &str) -> Value {
    let key = (Arc::as_ptr(root) as usize, path_string(path));
    let loop_found = IN_PROGRESS.with(|stack| {
        let stack = stack.borrow();
        stack.len() >= MAX_DEPTH || stack.contains(&key)
    });
    if loop_found {
        let name = match path.first() {
            Some(Seg::Key(k)) => k.as_str(),
            _ => "",
        };
        return Value::from(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            super::error::recursion_message(name, ": maximum recursion depth exceeded"),
        ));
    }
    IN_PROGRESS.with(|stack| stack.borrow_mut().push(key));
    let ctx = Value::from_dyn_object(root.clone());
    let result = root.templar.render_native(text, &ctx);
    IN_PROGRESS.with(|stack| {
        stack.borrow_mut().pop();
    });
    match result {
        Ok(v) => v,
        // A variable whose template uses an undefined name is itself undefined (so `default`
        // and `is defined` see it as such); the inner message is kept to explain it later.
        Err(e) if e.kind == super::error::TemplateErrorKind::Undefined && path.len() == 1 => {
            LAZY_UNDEFINED.with(|m| {
                let mut m = m.borrow_mut();
                if m.len() > 256 {
                    m.clear();
                }
                m.insert(path_string(path), e.message);
            });
            Value::UNDEFINED
        }
        Err(e) => Value::from(e.into_minijinja()),
    }
}

thread_local! {
    /// Why top-level lazy variables turned out undefined (`.name` → "'x' is undefined").
    static LAZY_UNDEFINED: RefCell<std::collections::HashMap<String, String>> =
        RefCell::new(std::collections::HashMap::new());
}

/// The undefined-variable message behind a lazy variable that rendered as undefined.
pub(crate) fn lazy_undefined_reason(name: &str) -> Option<String> {
    LAZY_UNDEFINED.with(|m| m.borrow().get(&format!(".{name}")).cloned())
}

fn path_string(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// Reads the lookup search paths from a context, when the engine set them.
pub(crate) fn lookup_paths_of(state: &minijinja::State) -> Option<Arc<LookupPaths>> {
    state
        .lookup(LOOKUP_PATHS_KEY)
        .and_then(|v| v.downcast_object::<LookupPaths>())
}
