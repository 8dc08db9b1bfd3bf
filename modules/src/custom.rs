//! Modules a project ships itself, in `library/` beside a playbook, in a role's `library/`, or in
//! the `library` setting's directories: executables in any language that follow Ansible's
//! module contract. The file and its arguments go to the host into a private directory, the file
//! runs there with the arguments file's path as its one argument, and the JSON object it prints is
//! the task's result. Ansible's styles, told from the file's text:
//!
//! - *WANT_JSON* (the text holds `WANT_JSON`) and binary executables get the arguments as JSON;
//! - *old-style* scripts get them as `key=value` words, each value quoted for a shell;
//! - Python modules built on `ansible.module_utils` (AnsibleModule) need Ansible's Python
//!   libraries on the host, which rplay does not ship: using one is a load error naming the file.
//!
//! Such a module decides and acts in one call, so it runs in check mode too and is told so by
//! `_ansible_check_mode`, as Ansible does; whatever it reports (`changed`, `failed`, `msg`, `rc`,
//! `diff`...) is the result.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use base64::Engine;

use crate::shell::{join, quote};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec, ANY_ARG};
use crate::{Args, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// How a module file wants its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Style {
    /// A JSON object in the arguments file (`WANT_JSON` scripts and binary executables).
    Json,
    /// `key=value` words in the arguments file.
    KeyValue,
}

/// A module found in a library directory.
#[derive(Debug)]
pub struct CustomModule {
    spec: &'static ModuleSpec,
    path: PathBuf,
    /// The interpreter words of the `#!` line; empty for binary executables.
    interpreter: Vec<String>,
    style: Result<Style, String>,
}

static ARGS: [ArgSpec; 1] = [ArgSpec::new(
    ANY_ARG,
    ArgKind::Raw,
    "Any argument: the module reads what it needs.",
)];

static RETURNS: [ReturnSpec; 3] = [
    ReturnSpec {
        name: "changed",
        returned: "always",
        doc: "What the module printed as `changed` (false when it printed none).",
    },
    ReturnSpec {
        name: "failed",
        returned: "always",
        doc: "What the module printed as `failed`, else whether it printed a non-zero `rc`.",
    },
    ReturnSpec {
        name: "msg",
        returned: "when printed",
        doc: "Any other key the module printed is returned as it is.",
    },
];

/// Whether the file text asks for Ansible's Python module libraries.
fn uses_module_utils(text: &str) -> bool {
    text.contains("ansible.module_utils")
        || text.contains("ansible_collections.")
        || text.contains("<<INCLUDE_ANSIBLE_MODULE_COMMON>>")
}

impl CustomModule {
    /// Reads the module file at `path`, to be known as `name`. A file rplay cannot run still
    /// makes a module, whose [`Module::load_error`] says why, so that using it fails at load time
    /// and merely having it in a library directory does not.
    pub fn load(name: &str, path: &Path) -> CustomModule {
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        let fqcn: &'static [&'static str] = Box::leak(Box::new([&*Box::leak(
            format!("ansible.legacy.{name}").into_boxed_str(),
        )]));
        let description: &'static str = Box::leak(
            format!(
                "A module from {}, run on the host with its arguments in a file.",
                path.display()
            )
            .into_boxed_str(),
        );
        let spec: &'static ModuleSpec = Box::leak(Box::new(ModuleSpec {
            name,
            fqcn,
            synopsis: "A project's own module (library directory).",
            description,
            args: &ARGS,
            free_form: None,
            mutually_exclusive: &[],
            required_one_of: &[],
            controller_only: false,
            returns: &RETURNS,
            examples: "",
        }));
        let (interpreter, style) = match std::fs::read(path) {
            Ok(bytes) => classify(&bytes, path),
            Err(e) => (
                Vec::new(),
                Err(format!("cannot read the module {}: {e}", path.display())),
            ),
        };
        CustomModule {
            spec,
            path: path.to_path_buf(),
            interpreter,
            style,
        }
    }

    /// A library module that cannot be used, for `reason`.
    pub fn unusable(name: &str, path: &Path, reason: String) -> CustomModule {
        let mut m = CustomModule::load(name, path);
        m.style = Err(reason);
        m
    }

    /// The module file on the controller.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Tells a module file's interpreter and style from its contents.
fn classify(bytes: &[u8], path: &Path) -> (Vec<String>, Result<Style, String>) {
    let shown = path.display();
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (Vec::new(), Ok(Style::Json));
    };
    if text.contains('\0') {
        return (Vec::new(), Ok(Style::Json));
    }
    if uses_module_utils(text) {
        return (
            Vec::new(),
            Err(format!(
                "the module {shown} is a Python module built on Ansible's module_utils \
                 (AnsibleModule), which needs Ansible's Python libraries on the host: rplay runs \
                 library modules that follow the WANT_JSON or key=value contract only"
            )),
        );
    }
    if text.contains("<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>") {
        return (
            Vec::new(),
            Err(format!(
                "the module {shown} asks for its arguments pasted into its text \
                 (<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>), which rplay does not support"
            )),
        );
    }
    let first = text.lines().next().unwrap_or_default();
    let Some(line) = first.strip_prefix("#!") else {
        return (
            Vec::new(),
            Err(format!(
                "the module {shown} is missing its interpreter line (#!)"
            )),
        );
    };
    let interpreter = match shell_words::split(line.trim()) {
        Ok(words) if !words.is_empty() => words,
        _ => {
            return (
                Vec::new(),
                Err(format!(
                    "the module {shown} has an unreadable interpreter line: {first}"
                )),
            )
        }
    };
    let style = if text.contains("WANT_JSON") {
        Style::Json
    } else {
        Style::KeyValue
    };
    (interpreter, Ok(style))
}

/// The arguments as the module reads them: the task's, then Ansible's `_ansible_*` settings.
fn module_args(args: &Args, name: &str, ctx: &Context<'_>) -> Map {
    let mut m = args.0.clone();
    m.retain(|_, v| !v.is_null());
    m.insert("_ansible_check_mode".into(), Value::Bool(ctx.check_mode));
    m.insert("_ansible_diff".into(), Value::Bool(ctx.diff));
    m.insert("_ansible_module_name".into(), Value::from(name));
    m
}

/// The `key=value` words of an old-style arguments file; values as Python's `str()` would show
/// scalars, quoted for a shell (containers are written as JSON).
fn key_value_text(args: &Map) -> String {
    let mut out = String::new();
    for (k, v) in args {
        let text = crate::spec::value_to_string(v);
        out.push_str(&format!("{k}={} ", quote(&text)));
    }
    out
}

/// The part of the module's standard output from the first line opening a JSON object to the
/// last line closing one, as Ansible reads it (banners and trailing noise are skipped).
fn json_part(stdout: &str) -> Result<String, &'static str> {
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim().starts_with('{'))
        .ok_or("No start of json char found")?;
    let end = lines
        .iter()
        .rposition(|l| l.trim().ends_with('}'))
        .filter(|&end| end >= start)
        .ok_or("No end of json char found")?;
    Ok(lines[start..=end].join("\n"))
}

/// Turns what the module printed into the task's result.
fn result_of(stdout: &str, stderr: &str, rc: i32) -> Outcome {
    let parsed =
        json_part(stdout).map_err(str::to_string).and_then(
            |j| match serde_json::from_str::<Value>(&j).map_err(|e| e.to_string())? {
                Value::Object(m) => Ok(m),
                _ => Err("the module did not print a JSON object".to_string()),
            },
        );
    let mut data = match parsed {
        Ok(data) => data,
        Err(why) => {
            let mut values = Map::new();
            values.insert("failed".into(), Value::Bool(true));
            values.insert(
                "msg".into(),
                Value::from(format!("Module result deserialization failed: {why}")),
            );
            values.insert("module_stdout".into(), Value::from(stdout));
            values.insert("module_stderr".into(), Value::from(stderr));
            values.insert("rc".into(), Value::from(rc));
            return Outcome::ok(values);
        }
    };
    let internal: Vec<String> = data
        .keys()
        .filter(|k| k.starts_with("_ansible_"))
        .cloned()
        .collect();
    for (i, k) in internal.into_iter().enumerate() {
        if let Some(v) = data.shift_remove(&k) {
            let note = format!(
                "Removed unexpected internal key in module return: {k} = {}",
                crate::spec::value_to_string(&v)
            );
            match data.get_mut("warnings") {
                Some(Value::Array(list)) => list.insert(i.min(list.len()), Value::from(note)),
                _ => {
                    data.insert("warnings".into(), Value::Array(vec![Value::from(note)]));
                }
            }
        }
    }
    if data.get("failed").and_then(crate::spec::parse_bool) == Some(true)
        && !data.contains_key("msg")
    {
        data.insert(
            "msg".into(),
            Value::from("Task failed: Module failed: Unknown error."),
        );
    }
    for k in ["warnings", "deprecations"] {
        let empty = data.get(k).is_some_and(|v| match v {
            Value::Null | Value::Bool(false) => true,
            Value::Array(a) => a.is_empty(),
            Value::String(s) => s.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        });
        if empty {
            data.shift_remove(k);
        }
    }
    for (text, lines) in [("stdout", "stdout_lines"), ("stderr", "stderr_lines")] {
        if data.contains_key(text) && !data.contains_key(lines) {
            let split: Vec<Value> = data
                .get(text)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .lines()
                .map(Value::from)
                .collect();
            data.insert(lines.into(), Value::Array(split));
        }
    }
    let changed = data
        .shift_remove("changed")
        .and_then(|v| crate::spec::parse_bool(&v))
        .unwrap_or(false);
    Outcome {
        changed,
        values: data,
        ..Default::default()
    }
}

/// The script that makes a private directory, writes the module (from the script) and its
/// arguments (from stdin, as they may hold secrets) there, runs it and removes the directory
/// whatever happens.
fn run_script(name: &str, interpreter: &[String], module: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(module);
    let mut lines = String::new();
    for chunk in encoded.as_bytes().chunks(76) {
        lines.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        lines.push('\n');
    }
    let file = quote(name);
    let runner = if interpreter.is_empty() {
        String::new()
    } else {
        format!("{} ", join(interpreter))
    };
    format!(
        "umask 077\n\
         d=$(mktemp -d \"${{TMPDIR:-/tmp}}/rplay-module.XXXXXXXXXX\") || exit 1\n\
         trap 'rm -rf -- \"$d\"' EXIT\n\
         trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM\n\
         cat > \"$d/args\" || exit 1\n\
         base64 -d > \"$d/\"{file} <<'RPLAY_MODULE_TEXT'\n{lines}RPLAY_MODULE_TEXT\n\
         chmod 0700 \"$d/\"{file}\n\
         {runner}\"$d/\"{file} \"$d/args\" </dev/null\n"
    )
}

#[async_trait]
impl Module for CustomModule {
    fn spec(&self) -> &'static ModuleSpec {
        self.spec
    }

    fn load_error(&self) -> Option<String> {
        self.style.as_ref().err().cloned()
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let style = self.style.clone().map_err(ModuleError::Failed)?;
        let module = std::fs::read(&self.path).map_err(|e| {
            ModuleError::Failed(format!(
                "cannot read the module {}: {e}",
                self.path.display()
            ))
        })?;
        let margs = module_args(args, self.spec.name, ctx);
        let args_text = match style {
            Style::Json => Value::Object(margs).to_string(),
            Style::KeyValue => key_value_text(&margs),
        };
        let script = run_script(self.spec.name, &self.interpreter, &module);
        let out = ctx
            .host
            .run(Command {
                script,
                stdin: Some(args_text.into_bytes()),
                ..Default::default()
            })
            .await?;
        Ok(Plan {
            finished: Some(result_of(&out.stdout_str(), &out.stderr_str(), out.rc)),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_text(text: &str) -> (Vec<String>, Result<Style, String>) {
        classify(text.as_bytes(), Path::new("library/m"))
    }

    #[test]
    fn styles_follow_the_file_text() {
        let (interp, style) = classify_text("#!/bin/sh\n# WANT_JSON\necho '{}'\n");
        assert_eq!(interp, vec!["/bin/sh"]);
        assert_eq!(style, Ok(Style::Json));
        let (interp, style) = classify_text("#!/usr/bin/env bash\necho '{}'\n");
        assert_eq!(interp, vec!["/usr/bin/env", "bash"]);
        assert_eq!(style, Ok(Style::KeyValue));
        assert_eq!(classify(b"\x7fELF\0\0", Path::new("m")).1, Ok(Style::Json));
    }

    #[test]
    fn ansible_python_modules_and_missing_interpreters_are_refused() {
        let err = classify_text(
            "#!/usr/bin/python\nfrom ansible.module_utils.basic import AnsibleModule\n",
        )
        .1
        .unwrap_err();
        assert!(
            err.contains("library/m") && err.contains("AnsibleModule"),
            "{err}"
        );
        let err = classify_text("echo hi\n").1.unwrap_err();
        assert!(err.contains("interpreter line"), "{err}");
    }

    #[test]
    fn key_value_arguments_are_quoted_words() {
        let mut m = Map::new();
        m.insert("name".into(), Value::from("a b"));
        m.insert("force".into(), Value::Bool(true));
        m.insert("n".into(), Value::from(3));
        assert_eq!(key_value_text(&m), "name='a b' force=True n=3 ");
    }

    #[test]
    fn results_skip_noise_and_internal_keys() {
        let o = result_of(
            "banner\n{\"changed\": true, \"msg\": \"hi\", \"_ansible_x\": 1, \"warnings\": []}\nbye\n",
            "",
            0,
        );
        assert!(o.changed);
        assert_eq!(
            Value::Object(o.values),
            serde_json::json!({"msg": "hi", "warnings": [
                "Removed unexpected internal key in module return: _ansible_x = 1"
            ]})
        );
        let o = result_of("{\"stdout\": \"a\\nb\", \"rc\": 2}", "", 0);
        assert!(!o.changed);
        assert_eq!(o.values["stdout_lines"], serde_json::json!(["a", "b"]));
        let o = result_of("not json", "oops", 1);
        assert_eq!(o.values["failed"], Value::Bool(true));
        assert_eq!(
            o.values["msg"],
            "Module result deserialization failed: No start of json char found"
        );
        assert_eq!(o.values["module_stderr"], Value::from("oops"));
    }
}
