//! Module definitions as data: arguments (type, default, choices, aliases), return values and
//! docs. Argument validation, error messages and `rdoc` all derive from this one definition.

use crate::{Map, Value};

/// The type of a module argument, with Ansible's coercions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A string; numbers and booleans are turned into their text.
    Str,
    /// A boolean: yes/no, true/false, on/off, 1/0 in any case.
    Bool,
    /// An integer (strings of digits accepted).
    Int,
    /// A float.
    Float,
    /// A list; a comma-separated string is split.
    List,
    /// A dict; `k=v` strings are accepted.
    Dict,
    /// A path (string, `~` kept for the host to expand).
    Path,
    /// A file mode: octal string or number, or symbolic (`u=rw,g=r`); kept as given.
    Mode,
    /// Any value, untouched.
    Raw,
}

/// One argument of a module.
#[derive(Debug, Clone)]
pub struct ArgSpec {
    /// Canonical name.
    pub name: &'static str,
    /// Type and coercion.
    pub kind: ArgKind,
    /// Whether the task must give it.
    pub required: bool,
    /// Default as a JSON literal (`"present"`, `true`, `0`), applied when absent.
    pub default: Option<&'static str>,
    /// Allowed values (compared as strings), empty for any.
    pub choices: &'static [&'static str],
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// Element type for lists.
    pub elements: Option<ArgKind>,
    /// The value is a secret: never shown in output.
    pub no_log: bool,
    /// One line of documentation.
    pub doc: &'static str,
}

impl ArgSpec {
    /// An optional argument of `kind` with no default, choices or aliases.
    pub const fn new(name: &'static str, kind: ArgKind, doc: &'static str) -> Self {
        ArgSpec {
            name,
            kind,
            required: false,
            default: None,
            choices: &[],
            aliases: &[],
            elements: None,
            no_log: false,
            doc,
        }
    }
    /// Marks the argument required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// Sets the default (a JSON literal).
    pub const fn default(mut self, json: &'static str) -> Self {
        self.default = Some(json);
        self
    }
    /// Sets the allowed values.
    pub const fn choices(mut self, choices: &'static [&'static str]) -> Self {
        self.choices = choices;
        self
    }
    /// Sets the aliases.
    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
    /// Sets the list element type.
    pub const fn elements(mut self, kind: ArgKind) -> Self {
        self.elements = Some(kind);
        self
    }
    /// Marks the value secret.
    pub const fn no_log(mut self) -> Self {
        self.no_log = true;
        self
    }
}

/// One documented return value.
#[derive(Debug, Clone)]
pub struct ReturnSpec {
    /// Key in the result.
    pub name: &'static str,
    /// When it is returned (`always`, `changed`, `success`...).
    pub returned: &'static str,
    /// What it holds.
    pub doc: &'static str,
}

/// A module's whole definition.
#[derive(Debug, Clone)]
pub struct ModuleSpec {
    /// Short name (`copy`).
    pub name: &'static str,
    /// Fully qualified names it also answers to (`ansible.builtin.copy`, `ansible.legacy.copy`).
    pub fqcn: &'static [&'static str],
    /// One line saying what it does.
    pub synopsis: &'static str,
    /// Longer description.
    pub description: &'static str,
    /// The arguments.
    pub args: &'static [ArgSpec],
    /// Argument that takes the free-form text of `module: some text` (e.g. `cmd` for `command`).
    pub free_form: Option<&'static str>,
    /// Groups of arguments that cannot be given together.
    pub mutually_exclusive: &'static [&'static [&'static str]],
    /// Groups of arguments of which one is required.
    pub required_one_of: &'static [&'static [&'static str]],
    /// Whether the module runs on the controller only (debug, set_fact, assert...).
    pub controller_only: bool,
    /// Documented return values.
    pub returns: &'static [ReturnSpec],
    /// YAML examples.
    pub examples: &'static str,
}

/// The name of a catch-all argument: a module listing it accepts any other argument name, with
/// its value kept as given (set_fact's variable names).
pub const ANY_ARG: &str = "*";

/// Validated, coerced arguments of one task.
#[derive(Debug, Clone, Default)]
pub struct Args(pub Map);

impl Args {
    /// The raw value of an argument.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }
    /// A string argument.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }
    /// A boolean argument (false when absent).
    pub fn bool(&self, name: &str) -> bool {
        self.get(name).and_then(Value::as_bool).unwrap_or(false)
    }
    /// An integer argument.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }
    /// A list of strings (absent: empty).
    pub fn str_list(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(Value::Array(items)) => items.iter().map(value_to_string).collect(),
            Some(v) => vec![value_to_string(v)],
            None => Vec::new(),
        }
    }
}

/// Text of a scalar the way Ansible turns it into a string.
pub fn value_to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Value::Null => "None".to_string(),
        other => other.to_string(),
    }
}

/// Parses Ansible's boolean spellings.
pub fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "yes" | "on" | "true" | "1" | "y" | "t" => Some(true),
            "no" | "off" | "false" | "0" | "n" | "f" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

impl ModuleSpec {
    /// Validates raw task arguments: resolves aliases, applies defaults, checks required,
    /// choices and exclusions, coerces types. Unknown arguments are errors listing the valid ones.
    pub fn validate(&self, raw: &Map) -> Result<Args, String> {
        let mut out = Map::new();
        for (key, value) in raw {
            let found = self
                .args
                .iter()
                .find(|a| a.name == key || a.aliases.contains(&key.as_str()));
            if found.is_none() && self.args.iter().any(|a| a.name == ANY_ARG) {
                // Modules such as set_fact take arbitrary names; values stay untouched.
                out.insert(key.clone(), value.clone());
                continue;
            }
            let Some(arg) = found else {
                // Ansible lists the names, then the aliases in parentheses, each sorted.
                let known = self.args.iter().filter(|a| a.name != ANY_ARG);
                let mut names: Vec<&str> = known.clone().map(|a| a.name).collect();
                let mut aliases: Vec<&str> =
                    known.flat_map(|a| a.aliases.iter().copied()).collect();
                names.sort_unstable();
                aliases.sort_unstable();
                let aliases = if aliases.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", aliases.join(", "))
                };
                return Err(format!(
                    "Unsupported parameters for ({}) module: {}. Supported parameters include: {}{}.",
                    self.name,
                    key,
                    names.join(", "),
                    aliases
                ));
            };
            if out.contains_key(arg.name) && !value.is_null() {
                // Both the name and an alias were given; the last one wins, as in Ansible.
            }
            let coerced = coerce(arg, value).map_err(|e| {
                format!(
                    "argument '{}' is of type {}: {}",
                    arg.name,
                    type_name(value),
                    e
                )
            })?;
            out.insert(arg.name.to_string(), coerced);
        }
        for group in self.mutually_exclusive {
            let given: Vec<&str> = group
                .iter()
                .copied()
                .filter(|n| out.get(*n).is_some_and(|v| !v.is_null()))
                .collect();
            if given.len() > 1 {
                return Err(format!(
                    "parameters are mutually exclusive: {}",
                    given.join("|")
                ));
            }
        }
        for group in self.required_one_of {
            if !group
                .iter()
                .any(|n| out.get(*n).is_some_and(|v| !v.is_null()))
            {
                return Err(format!(
                    "one of the following is required: {}",
                    group.join(", ")
                ));
            }
        }
        let mut missing = Vec::new();
        for arg in self.args {
            let present = out.get(arg.name).is_some_and(|v| !v.is_null());
            if !present {
                if let Some(default) = arg.default {
                    let v: Value =
                        serde_json::from_str(default).unwrap_or(Value::String(default.into()));
                    out.insert(arg.name.to_string(), v);
                } else if arg.required {
                    missing.push(arg.name);
                }
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "missing required arguments: {}",
                missing.join(", ")
            ));
        }
        for arg in self.args {
            if arg.choices.is_empty() {
                continue;
            }
            if let Some(v) = out.get(arg.name).filter(|v| !v.is_null()) {
                let values: Vec<String> = match v {
                    Value::Array(items) => items.iter().map(value_to_string).collect(),
                    other => vec![value_to_string(other)],
                };
                for s in values {
                    if !arg.choices.contains(&s.as_str()) {
                        return Err(format!(
                            "value of {} must be one of: {}, got: {}",
                            arg.name,
                            arg.choices.join(", "),
                            s
                        ));
                    }
                }
            }
        }
        Ok(Args(out))
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn coerce_kind(kind: ArgKind, elements: Option<ArgKind>, v: &Value) -> Result<Value, String> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    match kind {
        ArgKind::Raw => Ok(v.clone()),
        ArgKind::Str | ArgKind::Path => match v {
            Value::Array(_) | Value::Object(_) => Err("cannot be converted to a string".into()),
            other => Ok(Value::String(value_to_string(other))),
        },
        ArgKind::Mode => match v {
            Value::Number(n) => {
                // YAML 0644 arrives as the integer 420: keep Ansible's reading of it as octal bits.
                let i = n.as_i64().ok_or("invalid mode")?;
                Ok(Value::String(format!("0{:o}", i)))
            }
            Value::String(s) => Ok(Value::String(s.clone())),
            _ => Err("invalid mode".into()),
        },
        ArgKind::Bool => parse_bool(v)
            .map(Value::Bool)
            .ok_or_else(|| format!("'{}' is not a valid boolean", value_to_string(v))),
        ArgKind::Int => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 {
                    Ok(Value::from(f as i64))
                } else {
                    Err(format!("'{f}' cannot be converted to an int"))
                }
            }
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("'{s}' cannot be converted to an int")),
            _ => Err("cannot be converted to an int".into()),
        },
        ArgKind::Float => match v {
            Value::Number(n) => Ok(Value::from(n.as_f64().unwrap_or(0.0))),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(Value::from)
                .map_err(|_| format!("'{s}' cannot be converted to a float")),
            _ => Err("cannot be converted to a float".into()),
        },
        ArgKind::List => {
            let items: Vec<Value> = match v {
                Value::Array(items) => items.clone(),
                Value::String(s) => s
                    .split(',')
                    .map(|p| Value::String(p.trim().to_string()))
                    .filter(|p| p.as_str() != Some(""))
                    .collect(),
                other => vec![other.clone()],
            };
            match elements {
                Some(el) => items
                    .iter()
                    .map(|i| coerce_kind(el, None, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array),
                None => Ok(Value::Array(items)),
            }
        }
        ArgKind::Dict => match v {
            Value::Object(_) => Ok(v.clone()),
            Value::String(s) => {
                let mut m = Map::new();
                for part in shell_words::split(s).map_err(|e| e.to_string())? {
                    let (k, val) = part
                        .split_once('=')
                        .ok_or_else(|| format!("'{part}' is not key=value"))?;
                    m.insert(k.to_string(), Value::String(val.to_string()));
                }
                Ok(Value::Object(m))
            }
            _ => Err("cannot be converted to a dict".into()),
        },
    }
}

fn coerce(arg: &ArgSpec, v: &Value) -> Result<Value, String> {
    coerce_kind(arg.kind, arg.elements, v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static SPEC: ModuleSpec = ModuleSpec {
        name: "demo",
        fqcn: &["ansible.builtin.demo"],
        synopsis: "",
        description: "",
        args: &[
            ArgSpec::new("path", ArgKind::Path, "")
                .required()
                .aliases(&["dest", "name"]),
            ArgSpec::new("state", ArgKind::Str, "")
                .default("\"file\"")
                .choices(&["file", "absent"]),
            ArgSpec::new("force", ArgKind::Bool, "").default("false"),
            ArgSpec::new("mode", ArgKind::Mode, ""),
        ],
        free_form: None,
        mutually_exclusive: &[],
        required_one_of: &[],
        controller_only: false,
        returns: &[],
        examples: "",
    };

    fn map(v: Value) -> Map {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn aliases_defaults_and_coercion() {
        let args = SPEC
            .validate(&map(json!({"dest": "/tmp/x", "force": "yes", "mode": 420})))
            .unwrap();
        assert_eq!(args.str("path"), Some("/tmp/x"));
        assert_eq!(args.str("state"), Some("file"));
        assert!(args.bool("force"));
        assert_eq!(args.str("mode"), Some("0644"));
    }

    #[test]
    fn unknown_missing_and_choices_are_errors() {
        let e = SPEC
            .validate(&map(json!({"path": "/x", "bogus": 1})))
            .unwrap_err();
        assert!(e.contains("bogus") && e.contains("path"), "{e}");
        let e = SPEC.validate(&map(json!({}))).unwrap_err();
        assert!(e.contains("missing required arguments: path"), "{e}");
        let e = SPEC
            .validate(&map(json!({"path": "/x", "state": "dir"})))
            .unwrap_err();
        assert!(e.contains("must be one of"), "{e}");
    }
}
