//! One task (or handler) as loaded: its action and raw arguments, and every keyword with the values
//! inherited from its play, role, blocks and static imports already folded in (`when` ANDed, `tags`
//! unioned, `vars` and `environment` merged, the rest overridden by the closest level).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::error::Error;
use super::keywords;
use super::kv;
use super::node::{Node, Origin};
use super::role::RoleScope;

/// Actions the engine itself carries out (they change the task list, the inventory or the run).
pub const ENGINE_ACTIONS: &[&str] = &[
    "include_tasks",
    "import_tasks",
    "include_role",
    "import_role",
    "include",
    "meta",
    "add_host",
    "group_by",
    "import_playbook",
];

/// One condition of `when`, `changed_when`, `failed_when` or `until`: an expression string or a
/// literal bool, with its position.
#[derive(Debug, Clone)]
pub struct Cond {
    /// The raw value.
    pub expr: Value,
    /// Where it was written.
    pub origin: Origin,
}

/// Where an argument's value was written.
#[derive(Debug, Clone)]
pub struct ArgOrigin {
    /// The value (the whole `k=v` string for free-form arguments).
    pub at: Origin,
    /// For a list or mapping value, the strings inside it (mapping values, not keys) in document
    /// order, each with its position.
    pub strings: Vec<(String, Origin)>,
}

/// How a task loops.
#[derive(Debug, Clone)]
pub enum LoopSpec {
    /// `loop: <list or template>`.
    Loop(Value),
    /// `with_<lookup>: <terms>`.
    With {
        /// The lookup name (`items`, `dict`, `fileglob`...).
        lookup: String,
        /// The lookup terms.
        terms: Value,
    },
}

/// The keyword context passed from a play, role, block or import to the tasks inside it.
#[derive(Debug, Clone, Default)]
pub struct Inherit {
    /// Conditions of enclosing levels (evaluated per task).
    pub when: Vec<Cond>,
    /// Tags of enclosing levels.
    pub tags: Vec<String>,
    /// Block vars (task vars override them).
    pub vars: Map<String, Value>,
    /// Where each block or task var's value was written (2.19 names it in template errors).
    pub var_origins: BTreeMap<String, Origin>,
    /// Environment of enclosing levels, outermost first.
    pub environment: Vec<Value>,
    /// Other inherited keywords (become, ignore_errors, delegate_to...).
    pub keywords: Map<String, Value>,
    /// The role the tasks belong to.
    pub role: Option<Arc<RoleScope>>,
    /// Parameters of the include that brought the tasks in (precedence 19).
    pub include_params: Map<String, Value>,
    /// Directory of the file being read (relative includes and lookups start there).
    pub dir: PathBuf,
    /// `module_defaults` of enclosing levels, merged (canonical action or `group/...` keys).
    pub module_defaults: Map<String, Value>,
}

/// A loaded task.
#[derive(Debug, Clone)]
pub struct Task {
    /// `name:` as written (templated when shown).
    pub name: Option<String>,
    /// The action: a module's short name or an engine action.
    pub action: String,
    /// The action as written (`ansible.builtin.copy`), shown when the task has no name.
    pub action_written: String,
    /// Raw arguments (templated per host at run time).
    pub args: Map<String, Value>,
    /// Where each argument's value was written (the whole `k=v` string for free-form arguments).
    pub arg_origins: BTreeMap<String, ArgOrigin>,
    /// Where the task starts.
    pub origin: Origin,
    /// All `when` conditions (inherited first).
    pub when: Vec<Cond>,
    /// Tags (inherited and own).
    pub tags: Vec<String>,
    /// Block and task vars.
    pub vars: Map<String, Value>,
    /// Where each block or task var's value was written.
    pub var_origins: BTreeMap<String, Origin>,
    /// Environment dicts, outermost first.
    pub environment: Vec<Value>,
    /// Other keywords (inherited, overridden by the task's own).
    pub keywords: Map<String, Value>,
    /// Loop definition.
    pub loop_spec: Option<LoopSpec>,
    /// Where the `loop`/`with_<lookup>` value was written.
    pub loop_origin: Option<Origin>,
    /// `loop_control`.
    pub loop_control: Option<Value>,
    /// `register`.
    pub register: Option<String>,
    /// `notify` (raw: string or list).
    pub notify: Vec<Value>,
    /// `changed_when`.
    pub changed_when: Vec<Cond>,
    /// `failed_when`.
    pub failed_when: Vec<Cond>,
    /// `until`.
    pub until: Vec<Cond>,
    /// `listen` topics (handlers).
    pub listen: Vec<String>,
    /// The role the task belongs to.
    pub role: Option<Arc<RoleScope>>,
    /// Include params in force (precedence 19).
    pub include_params: Map<String, Value>,
    /// Directory of the file the task was read from.
    pub dir: PathBuf,
    /// `module_defaults` in force (inherited and own, merged).
    pub module_defaults: Map<String, Value>,
    /// For a dynamic include (`include_tasks`, `include_role`): the context of its enclosing
    /// levels. The included tasks inherit from there, not from the include's own keywords
    /// (Ansible skips a dynamic parent when it looks keywords up).
    pub include_parent: Option<Arc<Inherit>>,
}

impl Task {
    /// The name shown in banners before templating: `role : name`, or the action as written. An
    /// `include_role` shows its own name or `<action> : <role as written>`, never a role prefix.
    pub fn raw_display_name(&self) -> String {
        if self.action == "include_role" {
            return self.name.clone().unwrap_or_else(|| {
                let role = self
                    .args
                    .get("name")
                    .or_else(|| self.args.get("role"))
                    .map(rplay_modules::spec::value_to_string)
                    .unwrap_or_default();
                format!("{} : {}", self.action_written, role)
            });
        }
        let base = self
            .name
            .clone()
            .unwrap_or_else(|| self.action_written.clone());
        match &self.role {
            Some(r) => format!("{} : {}", r.name, base),
            None => base,
        }
    }

    /// A task made by the engine itself (`Gathering Facts`, an ad-hoc task).
    pub fn synthetic(
        name: Option<String>,
        action: &str,
        args: Map<String, Value>,
        origin: Origin,
        keywords: Map<String, Value>,
    ) -> Task {
        Task {
            name,
            action: action.to_string(),
            action_written: action.to_string(),
            args,
            arg_origins: BTreeMap::new(),
            origin,
            when: Vec::new(),
            tags: Vec::new(),
            vars: Map::new(),
            var_origins: BTreeMap::new(),
            environment: Vec::new(),
            keywords,
            loop_spec: None,
            loop_origin: None,
            loop_control: None,
            register: None,
            notify: Vec::new(),
            changed_when: Vec::new(),
            failed_when: Vec::new(),
            until: Vec::new(),
            listen: Vec::new(),
            role: None,
            include_params: Map::new(),
            dir: PathBuf::new(),
            module_defaults: Map::new(),
            include_parent: None,
        }
    }

    /// A keyword value, if set on the task or inherited.
    pub fn keyword(&self, name: &str) -> Option<&Value> {
        self.keywords.get(name).filter(|v| !v.is_null())
    }

    /// Is this action carried out by the engine itself?
    pub fn is_engine_action(&self) -> bool {
        ENGINE_ACTIONS.contains(&self.action.as_str())
    }
}

/// Strips the `ansible.builtin.` / `ansible.legacy.` prefix of an engine action name.
pub fn engine_action_name(name: &str) -> Option<&'static str> {
    let short = name
        .strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.legacy."))
        .unwrap_or(name);
    ENGINE_ACTIONS.iter().copied().find(|a| *a == short)
}

/// Resolves an action name to (canonical name, takes free-form text), or `None` for an unknown
/// name; a known module that cannot be used (a library file rplay cannot run) is an error at
/// `origin`.
fn resolve_action(name: &str, origin: &Origin) -> Result<Option<(String, bool)>, Error> {
    if let Some(engine) = engine_action_name(name) {
        let free = matches!(
            engine,
            "include_tasks" | "import_tasks" | "include" | "meta"
        );
        return Ok(Some((engine.to_string(), free)));
    }
    let Some(module) = rplay_modules::registry::find_written(name) else {
        return Ok(None);
    };
    if let Some(reason) = module.load_error() {
        return Err(Error::syntax(reason, origin));
    }
    let spec = module.spec();
    Ok(Some((spec.name.to_string(), spec.free_form.is_some())))
}

/// All names an action key may resolve to, for suggestions.
fn known_action_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = ENGINE_ACTIONS.to_vec();
    for m in rplay_modules::registry::all() {
        names.push(m.spec().name);
    }
    names
}

/// Parses an action's arguments written as a string or a mapping.
fn action_args(value: &Node, free_form: bool) -> Result<Map<String, Value>, Error> {
    match value {
        Node::Leaf(Value::Null, _) => Ok(Map::new()),
        Node::Leaf(Value::String(s), origin) => {
            kv::parse_kv(s, free_form).map_err(|e| Error::syntax(e, origin))
        }
        Node::Leaf(v, _) if free_form => {
            let mut m = Map::new();
            m.insert(
                "_raw_params".into(),
                Value::String(rplay_modules::spec::value_to_string(v)),
            );
            Ok(m)
        }
        Node::Map(..) => match value.to_value() {
            Value::Object(m) => Ok(m),
            _ => Ok(Map::new()),
        },
        other => Err(Error::syntax(
            format!(
                "The action's arguments must be a string or a dictionary, not {}",
                other.type_name()
            ),
            other.origin(),
        )),
    }
}

/// Where each of `args` was written in `node`: a mapping's values where they stand, every
/// argument of a `k=v` string at the string.
fn value_origins(node: &Node, args: &Map<String, Value>) -> BTreeMap<String, ArgOrigin> {
    let mut out = BTreeMap::new();
    for name in args.keys() {
        let at = match node {
            Node::Map(entries, _) => {
                entries
                    .iter()
                    .find(|(k, _)| &k.name == name)
                    .map(|(_, v)| ArgOrigin {
                        at: v.origin().clone(),
                        strings: match v {
                            Node::Leaf(..) => Vec::new(),
                            _ => v.strings(),
                        },
                    })
            }
            Node::Leaf(_, o) => Some(ArgOrigin {
                at: o.clone(),
                strings: Vec::new(),
            }),
            Node::Seq(..) => None,
        };
        if let Some(at) = at {
            out.insert(name.clone(), at);
        }
    }
    out
}

/// Reads `when`-like values: a bool, a string, or a list of them.
pub fn conditions(node: &Node) -> Vec<Cond> {
    match node {
        Node::Seq(items, _) => items
            .iter()
            .map(|n| Cond {
                expr: n.to_value(),
                origin: n.origin().clone(),
            })
            .collect(),
        Node::Leaf(Value::Null, _) => Vec::new(),
        other => vec![Cond {
            expr: other.to_value(),
            origin: other.origin().clone(),
        }],
    }
}

/// Reads `tags`: a string (comma-separated), a number, or a list.
pub fn tag_list(node: &Node) -> Vec<String> {
    let v = node.to_value();
    let mut out = Vec::new();
    let mut push = |s: String| {
        for part in s.split(',') {
            let t = part.trim();
            if !t.is_empty() && !out.iter().any(|x| x == t) {
                out.push(t.to_string());
            }
        }
    };
    match v {
        Value::Array(items) => {
            for i in items {
                push(rplay_modules::spec::value_to_string(&i));
            }
        }
        Value::Null => {}
        other => push(rplay_modules::spec::value_to_string(&other)),
    }
    out
}

/// Reads a `vars:` mapping.
pub fn vars_map(node: &Node) -> Result<Map<String, Value>, Error> {
    match node.to_value() {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        Value::Array(items) => {
            // A list of dicts is accepted and merged, as Ansible does.
            let mut m = Map::new();
            for i in items {
                if let Value::Object(part) = i {
                    m.extend(part);
                }
            }
            Ok(m)
        }
        _ => Err(Error::syntax(
            format!(
                "Vars in a Task must be specified as a dictionary, not {}",
                node.type_name()
            ),
            node.origin(),
        )),
    }
}

/// Folds a level's own keywords (from a mapping's entries) into an inherited context.
pub fn fold_keywords(
    parent: &Inherit,
    entries: &[(super::node::Key, Node)],
    skip: &[&str],
) -> Result<Inherit, Error> {
    let mut out = parent.clone();
    for (k, v) in entries {
        let key = k.name.as_str();
        if skip.contains(&key) {
            continue;
        }
        match key {
            "module_defaults" => super::module_defaults::fold(&mut out.module_defaults, v)?,
            "when" => out.when.extend(conditions(v)),
            "tags" => {
                for t in tag_list(v) {
                    if !out.tags.contains(&t) {
                        out.tags.push(t);
                    }
                }
            }
            "vars" => {
                out.vars.extend(vars_map(v)?);
                if let Some(entries) = v.as_map() {
                    for (name, value) in entries {
                        out.var_origins
                            .insert(name.name.clone(), value.origin().clone());
                    }
                }
            }
            "environment" => out.environment.push(v.to_value()),
            "notify" => {
                out.keywords.insert("notify".into(), v.to_value());
            }
            "name" => {}
            _ if keywords::INHERITED.contains(&key) => {
                out.keywords.insert(key.to_string(), v.to_value());
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Parses a task mapping in the context inherited from its enclosing levels.
pub fn parse_task(node: &Node, inherit: &Inherit, is_handler: bool) -> Result<Task, Error> {
    let Some(entries) = node.as_map() else {
        return Err(Error::syntax(
            format!(
                "A malformed task was found: expected a dictionary, got a {}",
                node.type_name()
            ),
            node.origin(),
        ));
    };
    let origin = node.origin().clone();
    let mut action: Option<(String, String, Map<String, Value>)> = None;
    let mut extra_args: Option<Map<String, Value>> = None;
    let mut arg_origins: BTreeMap<String, ArgOrigin> = BTreeMap::new();
    let mut delegate_local = false;
    let mut set_action = |written: &str,
                          canonical: String,
                          args: Map<String, Value>,
                          at: &Origin|
     -> Result<(), Error> {
        if let Some((prev, _, _)) = &action {
            return Err(Error::syntax(
                format!("conflicting action statements: {prev}, {written}"),
                at,
            ));
        }
        action = Some((written.to_string(), canonical, args));
        Ok(())
    };
    for (k, v) in entries {
        let key = k.name.as_str();
        match key {
            "action" | "local_action" => {
                let (written, args) = match v {
                    Node::Leaf(Value::String(s), o) => {
                        let s = s.trim();
                        let (name, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
                        let (_, free) =
                            resolve_action(name, o)?.unwrap_or((name.to_string(), false));
                        let args = kv::parse_kv(rest, free).map_err(|e| Error::syntax(e, o))?;
                        (name.to_string(), args)
                    }
                    Node::Map(..) => {
                        let mut m = match v.to_value() {
                            Value::Object(m) => m,
                            _ => Map::new(),
                        };
                        let name = match m.remove("module") {
                            Some(Value::String(s)) => s,
                            _ => {
                                return Err(Error::syntax(
                                    "no module/action detected in task.",
                                    v.origin(),
                                ))
                            }
                        };
                        if let Some(Value::Object(a)) = m.remove("args") {
                            let mut merged = a;
                            merged.extend(m);
                            m = merged;
                        }
                        (name, m)
                    }
                    other => {
                        return Err(Error::syntax(
                            "no module/action detected in task.",
                            other.origin(),
                        ))
                    }
                };
                let (canonical, _) = resolve_action(&written, v.origin())?
                    .ok_or_else(|| unknown_action(&written, v.origin()))?;
                arg_origins.extend(value_origins(v, &args));
                set_action(&written, canonical, args, &k.origin)?;
                if key == "local_action" {
                    delegate_local = true;
                }
            }
            "args" => {
                extra_args = Some(match v.to_value() {
                    Value::Object(m) => m,
                    Value::String(s) => {
                        kv::parse_kv(&s, false).map_err(|e| Error::syntax(e, v.origin()))?
                    }
                    _ => Map::new(),
                });
                if let Some(extra) = &extra_args {
                    for (name, at) in value_origins(v, extra) {
                        arg_origins.entry(name).or_insert(at);
                    }
                }
            }
            _ if keywords::is_task_keyword(key) || (is_handler && key == "listen") => {}
            _ => match resolve_action(key, &k.origin)? {
                Some((canonical, free)) => {
                    let args = action_args(v, free)?;
                    arg_origins.extend(value_origins(v, &args));
                    set_action(key, canonical, args, &k.origin)?;
                }
                None => {
                    if keywords::BLOCK.contains(&key) || keywords::PLAY.contains(&key) {
                        return Err(Error::syntax(
                            format!("'{key}' is not a valid attribute for a Task"),
                            &k.origin,
                        ));
                    }
                    return Err(unknown_action(key, &k.origin));
                }
            },
        }
    }
    let Some((written, canonical, mut args)) = action else {
        return Err(Error::syntax("no module/action detected in task.", &origin));
    };
    if let Some(extra) = extra_args {
        let mut merged = extra;
        merged.extend(args);
        args = merged;
    }
    let include_parent = matches!(
        canonical.as_str(),
        "include_tasks" | "include_role" | "include"
    )
    .then(|| Arc::new(inherit.clone()));
    let mut ctx = fold_keywords(inherit, entries, &[])?;
    if delegate_local {
        ctx.keywords
            .insert("delegate_to".into(), Value::String("localhost".into()));
    }
    let mut task = Task {
        name: node.get("name").and_then(|n| match n.to_value() {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(rplay_modules::spec::value_to_string(&other)),
        }),
        action: canonical,
        action_written: written,
        args,
        arg_origins,
        origin,
        when: ctx.when,
        tags: ctx.tags,
        vars: ctx.vars,
        var_origins: ctx.var_origins,
        environment: ctx.environment,
        keywords: ctx.keywords,
        loop_spec: None,
        loop_origin: None,
        loop_control: None,
        register: None,
        notify: Vec::new(),
        changed_when: Vec::new(),
        failed_when: Vec::new(),
        until: Vec::new(),
        listen: Vec::new(),
        role: ctx.role,
        include_params: ctx.include_params,
        dir: ctx.dir,
        module_defaults: ctx.module_defaults,
        include_parent,
    };
    for (k, v) in entries {
        let key = k.name.as_str();
        match key {
            "loop" => {
                task.loop_spec = Some(LoopSpec::Loop(v.to_value()));
                task.loop_origin = Some(v.origin().clone());
            }
            _ if key.starts_with("with_") => {
                task.loop_spec = Some(LoopSpec::With {
                    lookup: key["with_".len()..].to_string(),
                    terms: v.to_value(),
                });
                task.loop_origin = Some(v.origin().clone());
            }
            "loop_control" => task.loop_control = Some(v.to_value()),
            "register" => {
                let name = v.as_str().unwrap_or_default().trim().to_string();
                if !is_identifier(&name) {
                    return Err(Error::syntax(
                        format!("Invalid variable name in 'register' specified: '{name}'"),
                        v.origin(),
                    ));
                }
                task.register = Some(name);
            }
            "changed_when" => task.changed_when = conditions(v),
            "failed_when" => task.failed_when = conditions(v),
            "until" => task.until = conditions(v),
            "listen" => {
                task.listen = tag_list(v);
            }
            "retries" | "delay" | "async" | "poll" => {
                task.keywords.insert(key.to_string(), v.to_value());
            }
            _ => {}
        }
    }
    match task.keywords.remove("notify") {
        Some(Value::Array(items)) => task.notify = items,
        Some(Value::Null) | None => {}
        Some(other) => task.notify = vec![other],
    }
    Ok(task)
}

fn unknown_action(name: &str, origin: &Origin) -> Error {
    let names = known_action_names();
    let mut candidates: Vec<&str> = names;
    candidates.extend(keywords::INHERITED.iter().copied());
    candidates.extend(keywords::TASK.iter().copied());
    let hint = keywords::suggest(name, candidates)
        .map(|s| format!(" Did you mean '{s}'?"))
        .unwrap_or_default();
    Error::syntax(
        format!(
            "couldn't resolve module/action '{name}'. This often indicates a misspelling, missing collection, or incorrect module path.{hint}"
        ),
        origin,
    )
}

/// Is `name` a valid Python identifier (variable names)?
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}
