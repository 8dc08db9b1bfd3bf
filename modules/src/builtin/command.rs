//! `command`: runs a program with arguments, without a shell. Also holds what `shell`, `raw` and
//! `script` share with it: the `creates`/`removes` short-circuit, and turning a finished process
//! into Ansible's result (`rc`, `stdout(_lines)`, `stderr(_lines)`, `start`, `end`, `delta`, `msg`).

use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

use crate::job::{JobRun, JobWork};
use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::timestamp::{format_delta, format_time};
use crate::{Args, Command, Context, Map, Module, ModuleError, Outcome, Output, Plan, Value};

/// The `command` module.
pub struct CommandModule;

/// `chdir`, shared by command-like modules.
pub(crate) const ARG_CHDIR: ArgSpec = ArgSpec::new(
    "chdir",
    ArgKind::Path,
    "Change into this directory before running.",
);
/// `creates`, shared by command-like modules.
pub(crate) const ARG_CREATES: ArgSpec = ArgSpec::new(
    "creates",
    ArgKind::Path,
    "A path or glob; when it matches, the command is not run.",
);
/// `removes`, shared by command-like modules.
pub(crate) const ARG_REMOVES: ArgSpec = ArgSpec::new(
    "removes",
    ArgKind::Path,
    "A path or glob; when it does not match, the command is not run.",
);
/// `stdin`, shared by command and shell.
pub(crate) const ARG_STDIN: ArgSpec = ArgSpec::new(
    "stdin",
    ArgKind::Str,
    "Data fed to the command's standard input.",
);
/// `stdin_add_newline`, shared by command and shell.
pub(crate) const ARG_STDIN_NL: ArgSpec = ArgSpec::new(
    "stdin_add_newline",
    ArgKind::Bool,
    "Append a newline to stdin data.",
)
.default("true");
/// `strip_empty_ends`, shared by command and shell.
pub(crate) const ARG_STRIP: ArgSpec = ArgSpec::new(
    "strip_empty_ends",
    ArgKind::Bool,
    "Remove trailing newlines from stdout and stderr.",
)
.default("true");

/// Documented return values of command-like modules.
pub(crate) const RUN_RETURNS: &[ReturnSpec] = &[
    ReturnSpec {
        name: "cmd",
        returned: "always",
        doc: "The command (argv list for command, string for shell).",
    },
    ReturnSpec {
        name: "rc",
        returned: "always",
        doc: "Exit status.",
    },
    ReturnSpec {
        name: "stdout",
        returned: "always",
        doc: "Standard output, trailing newlines removed.",
    },
    ReturnSpec {
        name: "stderr",
        returned: "always",
        doc: "Standard error, trailing newlines removed.",
    },
    ReturnSpec {
        name: "stdout_lines",
        returned: "always",
        doc: "stdout split into lines.",
    },
    ReturnSpec {
        name: "stderr_lines",
        returned: "always",
        doc: "stderr split into lines.",
    },
    ReturnSpec {
        name: "start",
        returned: "always",
        doc: "When the command started.",
    },
    ReturnSpec {
        name: "end",
        returned: "always",
        doc: "When the command ended.",
    },
    ReturnSpec {
        name: "delta",
        returned: "always",
        doc: "How long it ran.",
    },
    ReturnSpec {
        name: "msg",
        returned: "always",
        doc: "\"non-zero return code\" on failure, else empty.",
    },
];

/// The parameters of Ansible's `ansible.legacy.command` module (which `shell` runs through too),
/// in its declaration order, with their defaults: `cmd` and the free-form `_raw_params` are
/// separate parameters there, and `_uses_shell` tells shell from command.
const ANSIBLE_COMMAND_PARAMS: &[(&str, Option<bool>)] = &[
    ("_raw_params", None),
    ("_uses_shell", Some(false)),
    ("cmd", None),
    ("argv", None),
    ("chdir", None),
    ("executable", None),
    ("expand_argument_vars", Some(true)),
    ("creates", None),
    ("removes", None),
    ("stdin", None),
    ("stdin_add_newline", Some(true)),
    ("strip_empty_ends", Some(true)),
];

/// What `ansible.legacy.command` says of the task's arguments as written (free-form text under
/// `_raw_params`), for `command` and `shell`: an unknown parameter, or other than exactly one
/// of `_raw_params`, `cmd` and `argv`.
pub fn check_parameters(given: &Map) -> Option<String> {
    if let Some(unknown) = given
        .keys()
        .find(|k| !ANSIBLE_COMMAND_PARAMS.iter().any(|(name, _)| name == k))
    {
        let mut names: Vec<&str> = ANSIBLE_COMMAND_PARAMS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        return Some(format!(
            "Unsupported parameters for (ansible.legacy.command) module: {unknown}. Supported \
             parameters include: {}.",
            names.join(", ")
        ));
    }
    let command_forms = ["_raw_params", "cmd", "argv"];
    let given_forms = command_forms
        .iter()
        .filter(|k| given.get(**k).is_some_and(|v| !v.is_null()))
        .count();
    match given_forms {
        0 => Some(format!(
            "one of the following is required: {}",
            command_forms.join(", ")
        )),
        1 => None,
        _ => Some(format!(
            "parameters are mutually exclusive: {}",
            command_forms.join("|")
        )),
    }
}

/// `invocation.module_args` of a `command` or `shell` task as 2.19 reports it: the given
/// arguments (by name), `_uses_shell`, the other defaults, then every parameter not given as
/// null, in the module's declaration order.
pub fn invocation_args(given: &Map, validated: &Map, uses_shell: bool) -> Map {
    let mut keys: Vec<&String> = given.keys().collect();
    keys.sort();
    let mut out = Map::new();
    for k in keys {
        // The validated value (coerced, `cmd` standing for the free-form text).
        let value = match k.as_str() {
            "_raw_params" => validated.get("cmd").or_else(|| given.get(k)),
            name => validated.get(name).or_else(|| given.get(k)),
        };
        out.insert(k.clone(), value.cloned().unwrap_or(Value::Null));
    }
    out.insert("_uses_shell".into(), Value::Bool(uses_shell));
    for (name, default) in ANSIBLE_COMMAND_PARAMS {
        if let Some(d) = default {
            out.entry(name.to_string()).or_insert(Value::Bool(*d));
        }
    }
    for (name, _) in ANSIBLE_COMMAND_PARAMS {
        out.entry(name.to_string()).or_insert(Value::Null);
    }
    out
}

static SPEC: ModuleSpec = ModuleSpec {
    name: "command",
    fqcn: &["ansible.builtin.command", "ansible.legacy.command"],
    synopsis: "Run a program with arguments on the host, without a shell.",
    description: "The free-form text (or `cmd`) is split like a POSIX shell would, but no shell runs it: \
        pipes, redirections and globs have no meaning. `$VAR` and `~` in arguments are expanded \
        (unless expand_argument_vars is false). Always reports changed when it runs; skipped in check mode.",
    args: &[
        ArgSpec::new("cmd", ArgKind::Str, "The command line (the free-form text).").aliases(&["_raw_params"]),
        ArgSpec::new("argv", ArgKind::List, "The command as a list of arguments.").elements(ArgKind::Str),
        ARG_CHDIR,
        ARG_CREATES,
        ARG_REMOVES,
        ARG_STDIN,
        ARG_STDIN_NL,
        ARG_STRIP,
        ArgSpec::new(
            "expand_argument_vars",
            ArgKind::Bool,
            "Expand `$VAR` and `~` in the arguments.",
        )
        .default("true"),
    ],
    free_form: Some("cmd"),
    mutually_exclusive: &[&["cmd", "argv"]],
    required_one_of: &[&["cmd", "argv"]],
    controller_only: false,
    returns: RUN_RETURNS,
    examples: "- name: Show the kernel\n  ansible.builtin.command: uname -r\n  register: kernel\n  changed_when: false\n\n\
        - name: Initialise once\n  ansible.builtin.command:\n    cmd: /opt/app/bin/init\n    creates: /var/lib/app/.initialised\n    chdir: /opt/app\n",
};

/// Marker a wrapper prints on stderr when `chdir` fails.
const CHDIR_FAILED: &str = "::rplay:chdir-failed";
/// Marker printed when the program is not found.
const NOT_FOUND: &str = "::rplay:not-found";

/// Expands a leading `~` or `~user` for the host shell and keeps the rest literal, with `$NAME` and
/// `${NAME}` expanded when set and kept as written when not (Python's `expandvars`).
/// Variable references become helper variables set in `prelude`, so unset ones keep their text.
pub(crate) fn expand_word(word: &str, prelude: &mut String, counter: &mut usize) -> String {
    let mut out = String::new();
    let mut rest = word;
    if let Some(after) = word.strip_prefix('~') {
        let end = after.find('/').unwrap_or(after.len());
        let user = &after[..end];
        if user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        {
            out.push('~');
            out.push_str(user);
            rest = &after[end..];
        }
    }
    if !rest.contains('$') {
        if !rest.is_empty() || out.is_empty() {
            out.push_str(&quote(rest));
        }
        return out;
    }
    out.push('"');
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' {
            let (name, len) = if chars.get(i + 1) == Some(&'{') {
                let close = chars[i + 2..].iter().position(|c| *c == '}');
                match close {
                    Some(p) => (chars[i + 2..i + 2 + p].iter().collect::<String>(), p + 3),
                    None => (String::new(), 0),
                }
            } else {
                let n: String = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .collect();
                let l = n.len() + 1;
                (n, l)
            };
            let valid = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if valid {
                let literal: String = chars[i..i + len].iter().collect();
                *counter += 1;
                let helper = format!("_rplay_v{counter}");
                prelude.push_str(&format!(
                    "if [ \"${{{name}+set}}\" = set ]; then {helper}=${name}; else {helper}={}; fi\n",
                    quote(&literal)
                ));
                out.push_str(&format!("${{{helper}}}"));
                i += len;
                continue;
            }
        }
        out.push_str(&escape_dq(&c.to_string()));
        i += 1;
    }
    out.push('"');
    out
}

fn escape_dq(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        if matches!(c, '$' | '`' | '"' | '\\') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// Makes `path` absolute against `chdir` the way Ansible does for `creates`/`removes`.
fn against_chdir(path: &str, chdir: Option<&str>) -> String {
    match chdir {
        Some(dir) if !path.starts_with('/') && !path.starts_with('~') => {
            format!("{}/{}", dir.trim_end_matches('/'), path)
        }
        _ => path.to_string(),
    }
}

/// Shell code printing `yes` when the glob `pattern` matches an existing path.
fn glob_match_code(pattern: &str) -> String {
    format!(
        "( IFS=''; set -- {}; for f in \"$@\"; do if [ -e \"$f\" ] || [ -L \"$f\" ]; then echo yes; exit 0; fi; done; echo no )",
        expand_glob_word(pattern)
    )
}

/// A word whose glob characters stay active for the shell (and `~` expands), everything else quoted.
fn expand_glob_word(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    if let Some(after) = pattern.strip_prefix("~/") {
        out.push_str("~/");
        rest = after;
    } else if pattern == "~" {
        return "~".into();
    }
    let mut lit = String::new();
    for c in rest.chars() {
        if matches!(c, '*' | '?' | '[' | ']') {
            if !lit.is_empty() {
                out.push_str(&quote(&lit));
                lit.clear();
            }
            out.push(c);
        } else {
            lit.push(c);
        }
    }
    if !lit.is_empty() {
        out.push_str(&quote(&lit));
    }
    if out.is_empty() {
        out.push_str("''");
    }
    out
}

/// A path for the host shell: a leading `~/` expands, the rest is literal.
pub(crate) fn path_word(path: &str) -> String {
    match path.strip_prefix("~/") {
        Some(rest) if !rest.is_empty() => format!("~/{}", quote(rest)),
        _ if path == "~" || path == "~/" => "~".to_string(),
        _ => quote(path),
    }
}

/// Checks `creates`/`removes` on the host; returns a ready-made "not run" plan when they say so.
pub(crate) async fn creates_removes_plan(
    args: &Args,
    cmd_value: Value,
    ctx: &Context<'_>,
) -> Result<Option<Plan>, ModuleError> {
    let chdir = args.str("chdir");
    let creates = args.str("creates").map(|p| against_chdir(p, chdir));
    let removes = args.str("removes").map(|p| against_chdir(p, chdir));
    if creates.is_none() && removes.is_none() {
        return Ok(None);
    }
    let mut probe = ProbeScript::new();
    if let Some(c) = &creates {
        probe.section("creates", &glob_match_code(c));
    }
    if let Some(r) = &removes {
        probe.section("removes", &glob_match_code(r));
    }
    let out = ctx.host.run(Command::new(probe.script())).await?;
    let sections = probe.parse(&out.stdout).map_err(ModuleError::Protocol)?;
    let matched = |name: &str| -> Result<bool, ModuleError> {
        Ok(sections
            .get(name)
            .map_err(ModuleError::Protocol)?
            .text()
            .trim()
            == "yes")
    };
    let (stdout, msg) = match (&creates, &removes) {
        (Some(c), _) if matched("creates")? => (
            format!("skipped, since {c} exists"),
            format!("Did not run command since '{c}' exists"),
        ),
        (_, Some(r)) if !matched("removes")? => (
            format!("skipped, since {r} does not exist"),
            format!("Did not run command since '{r}' does not exist"),
        ),
        _ => return Ok(None),
    };
    let mut values = Map::new();
    values.insert("cmd".into(), cmd_value);
    values.insert("rc".into(), Value::from(0));
    values.insert("stdout".into(), Value::String(stdout.clone()));
    values.insert("stderr".into(), Value::String(String::new()));
    values.insert(
        "stdout_lines".into(),
        Value::Array(vec![Value::String(stdout)]),
    );
    values.insert("stderr_lines".into(), Value::Array(vec![]));
    values.insert("start".into(), Value::Null);
    values.insert("end".into(), Value::Null);
    values.insert("delta".into(), Value::Null);
    values.insert("msg".into(), Value::String(msg.clone()));
    Ok(Some(Plan {
        values,
        msg: Some(msg),
        ..Default::default()
    }))
}

/// The plan of `command` / `shell`: always acts; its check-mode result carries the keys of a
/// command that did not run (empty output, `rc` 0, no timings).
pub(crate) fn command_run_plan(cmd_value: Value) -> Plan {
    let mut values = Map::new();
    values.insert("stdout".into(), Value::String(String::new()));
    values.insert("stderr".into(), Value::String(String::new()));
    values.insert("rc".into(), Value::from(0));
    values.insert("cmd".into(), cmd_value);
    for k in ["start", "end", "delta"] {
        values.insert(k.into(), Value::Null);
    }
    values.insert("stdout_lines".into(), Value::Array(Vec::new()));
    values.insert("stderr_lines".into(), Value::Array(Vec::new()));
    values.insert("failed".into(), Value::Bool(false));
    Plan {
        values,
        ..run_plan(Value::Null)
    }
}

/// The plan of a module that always acts.
pub(crate) fn run_plan(cmd_value: Value) -> Plan {
    let mut values = Map::new();
    values.insert("cmd".into(), cmd_value);
    Plan {
        values,
        always_acts: true,
        msg: Some("Command would have run if not in check mode".into()),
        ..Default::default()
    }
}

/// Shell code that enters `chdir` (reporting failure with a marker) before the command.
pub(crate) fn chdir_code(chdir: Option<&str>) -> String {
    match chdir {
        Some(dir) => format!(
            "cd -- {} 2>/dev/null || {{ printf '%s' '{CHDIR_FAILED}' >&2; exit 1; }}\n",
            path_word(dir)
        ),
        None => String::new(),
    }
}

/// The stdin bytes for `stdin` / `stdin_add_newline`.
pub(crate) fn stdin_bytes(args: &Args) -> Option<Vec<u8>> {
    args.str("stdin").map(|s| {
        let mut b = s.as_bytes().to_vec();
        if args
            .get("stdin_add_newline")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            b.push(b'\n');
        }
        b
    })
}

fn lines(s: &str) -> Value {
    Value::Array(s.lines().map(|l| Value::String(l.to_string())).collect())
}

/// Runs `script` and turns the finished process into Ansible's result for command-like modules.
pub(crate) async fn run_and_report(
    ctx: &Context<'_>,
    script: String,
    stdin: Option<Vec<u8>>,
    cmd_value: Value,
    strip: bool,
) -> Result<Outcome, ModuleError> {
    let start_wall = SystemTime::now();
    let start = Instant::now();
    let out: Output = ctx
        .host
        .run(Command {
            script,
            stdin,
            ..Default::default()
        })
        .await?;
    let elapsed = start.elapsed();
    let end_wall = SystemTime::now();
    Ok(report(out, start_wall, end_wall, elapsed, cmd_value, strip))
}

/// Turns a finished process (`start` to `end`, `elapsed` long) into Ansible's result for
/// command-like modules.
fn report(
    out: Output,
    start_wall: SystemTime,
    end_wall: SystemTime,
    elapsed: Duration,
    cmd_value: Value,
    strip: bool,
) -> Outcome {
    let mut stdout = out.stdout_str();
    let mut stderr = out.stderr_str();
    let mut values = Map::new();
    values.insert("cmd".into(), cmd_value.clone());
    if stderr == CHDIR_FAILED {
        values.insert("rc".into(), Value::Null);
        for k in ["stdout", "stderr"] {
            values.insert(k.into(), Value::String(String::new()));
            values.insert(format!("{k}_lines"), Value::Array(vec![]));
        }
        for k in ["start", "end", "delta"] {
            values.insert(k.into(), Value::Null);
        }
        let mut o = Outcome::failed("Unable to change directory before execution.");
        o.values = values;
        return o;
    }
    if stderr == NOT_FOUND {
        let name = cmd_value
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        values.insert("cmd".into(), Value::String(name));
        values.insert("rc".into(), Value::from(2));
        for k in ["stdout", "stderr"] {
            values.insert(k.into(), Value::String(String::new()));
            values.insert(format!("{k}_lines"), Value::Array(vec![]));
        }
        let mut o = Outcome::failed("Error executing command.");
        o.values = values;
        return o;
    }
    if strip {
        stdout = stdout.trim_end_matches(['\r', '\n']).to_string();
        stderr = stderr.trim_end_matches(['\r', '\n']).to_string();
    }
    values.insert("rc".into(), Value::from(out.rc));
    values.insert("stdout".into(), Value::String(stdout.clone()));
    values.insert("stderr".into(), Value::String(stderr.clone()));
    values.insert("stdout_lines".into(), lines(&stdout));
    values.insert("stderr_lines".into(), lines(&stderr));
    values.insert("start".into(), Value::String(format_time(start_wall)));
    values.insert("end".into(), Value::String(format_time(end_wall)));
    values.insert("delta".into(), Value::String(format_delta(elapsed)));
    let failed = out.rc != 0;
    let msg = if failed { "non-zero return code" } else { "" };
    values.insert("msg".into(), Value::String(msg.into()));
    Outcome {
        changed: true,
        failed,
        msg: Some(msg.into()).filter(|m: &String| !m.is_empty()),
        values,
        ..Default::default()
    }
}

/// The background form of a command-like module: `script` with its stdin; the recipe keeps
/// what [`background_report`] needs to build the result.
pub(crate) fn background_work(
    script: String,
    stdin: Option<Vec<u8>>,
    cmd_value: Value,
    strip: bool,
) -> JobWork {
    JobWork {
        command: Command {
            script,
            stdin,
            ..Default::default()
        },
        recipe: serde_json::json!({"cmd": cmd_value, "strip_empty_ends": strip}),
    }
}

/// The result of a command-like module's finished background run.
pub(crate) fn background_report(recipe: &Value, run: &JobRun) -> Outcome {
    let cmd = recipe.get("cmd").cloned().unwrap_or(Value::Null);
    let strip = recipe
        .get("strip_empty_ends")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    report(
        run.output.clone(),
        run.start,
        run.end,
        run.elapsed(),
        cmd,
        strip,
    )
}

/// The argv of a `command` task: `argv` as given, or the free-form text split like a shell.
fn argv_of(args: &Args) -> Result<Vec<String>, ModuleError> {
    if args.get("argv").is_some() {
        let v = args.str_list("argv");
        if v.is_empty() {
            return Err(ModuleError::Args("no command given".into()));
        }
        return Ok(v);
    }
    let cmd = args.str("cmd").unwrap_or_default();
    let words = shell_words::split(cmd)
        .map_err(|e| ModuleError::Args(format!("cannot split the command line: {e}")))?;
    if words.is_empty() {
        return Err(ModuleError::Args("no command given".into()));
    }
    Ok(words)
}

fn cmd_value(argv: &[String]) -> Value {
    Value::Array(argv.iter().map(|a| Value::String(a.clone())).collect())
}

/// The shell script that runs `argv` without shell interpretation of its words.
pub(crate) fn command_script(argv: &[String], expand: bool, chdir: Option<&str>) -> String {
    let mut prelude = String::new();
    let mut counter = 0;
    let words: Vec<String> = argv
        .iter()
        .map(|w| {
            if expand {
                expand_word(w, &mut prelude, &mut counter)
            } else {
                quote(w)
            }
        })
        .collect();
    format!(
        "{prelude}{}command -v -- {} >/dev/null 2>&1 || {{ printf '%s' '{NOT_FOUND}' >&2; exit 2; }}\nexec {}\n",
        chdir_code(chdir),
        words[0],
        words.join(" ")
    )
}

#[async_trait]
impl Module for CommandModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let argv = argv_of(args)?;
        if let Some(plan) = creates_removes_plan(args, cmd_value(&argv), ctx).await? {
            return Ok(plan);
        }
        Ok(command_run_plan(cmd_value(&argv)))
    }

    fn background(&self, args: &Args, plan: &Plan) -> Result<Option<JobWork>, ModuleError> {
        if !plan.always_acts {
            return Ok(None);
        }
        let argv = argv_of(args)?;
        let script = command_script(&argv, args.bool("expand_argument_vars"), args.str("chdir"));
        Ok(Some(background_work(
            script,
            stdin_bytes(args),
            cmd_value(&argv),
            args.bool("strip_empty_ends"),
        )))
    }

    fn background_outcome(&self, recipe: &Value, run: &JobRun) -> Outcome {
        background_report(recipe, run)
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let argv = argv_of(args)?;
        let script = command_script(&argv, args.bool("expand_argument_vars"), args.str("chdir"));
        run_and_report(
            ctx,
            script,
            stdin_bytes(args),
            cmd_value(&argv),
            args.bool("strip_empty_ends"),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_ansible_command_parameters() {
        let given: Map =
            serde_json::from_value(serde_json::json!({"_raw_params": "echo a"})).unwrap();
        let validated: Map =
            serde_json::from_value(serde_json::json!({"cmd": "echo a", "strip_empty_ends": true}))
                .unwrap();
        let args = invocation_args(&given, &validated, false);
        let keys: Vec<&str> = args.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "_raw_params",
                "_uses_shell",
                "expand_argument_vars",
                "stdin_add_newline",
                "strip_empty_ends",
                "cmd",
                "argv",
                "chdir",
                "executable",
                "creates",
                "removes",
                "stdin"
            ]
        );
        assert_eq!(args["_raw_params"], "echo a");
        assert_eq!(args["cmd"], Value::Null);
        let bad: Map = serde_json::from_value(serde_json::json!({"warn": false})).unwrap();
        assert_eq!(
            check_parameters(&bad).as_deref(),
            Some(
                "Unsupported parameters for (ansible.legacy.command) module: warn. Supported \
                 parameters include: _raw_params, _uses_shell, argv, chdir, cmd, creates, \
                 executable, expand_argument_vars, removes, stdin, stdin_add_newline, \
                 strip_empty_ends."
            )
        );
        assert_eq!(check_parameters(&given), None);
        let both: Map =
            serde_json::from_value(serde_json::json!({"cmd": "x", "argv": ["y"]})).unwrap();
        assert_eq!(
            check_parameters(&both).as_deref(),
            Some("parameters are mutually exclusive: _raw_params|cmd|argv")
        );
    }

    fn sh(script: &str) -> String {
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .env("HOME", "/home/t")
            .env_remove("NOPE")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn words_expand_like_ansible() {
        let argv: Vec<String> =
            shell_words::split(r#"printf '%s|' "$HOME" '$NOPE' ~ ~/x 'a b' '*' "`x`" '${HOME}y'"#)
                .unwrap();
        let script = command_script(&argv, true, None);
        assert_eq!(
            sh(&script),
            "/home/t|$NOPE|/home/t|/home/t/x|a b|*|`x`|/home/ty|"
        );
        let script = command_script(&argv, false, None);
        assert_eq!(sh(&script), "$HOME|$NOPE|~|~/x|a b|*|`x`|${HOME}y|");
    }

    #[test]
    fn globs_match_on_the_host() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a b.txt"), "").unwrap();
        let d = dir.path().to_string_lossy();
        assert_eq!(sh(&glob_match_code(&format!("{d}/*.txt"))).trim(), "yes");
        assert_eq!(sh(&glob_match_code(&format!("{d}/a b.txt"))).trim(), "yes");
        assert_eq!(sh(&glob_match_code(&format!("{d}/*.log"))).trim(), "no");
        assert_eq!(against_chdir("x", Some("/opt/")), "/opt/x");
        assert_eq!(against_chdir("/x", Some("/opt")), "/x");
    }
}
