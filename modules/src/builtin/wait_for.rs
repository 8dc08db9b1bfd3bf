//! `wait_for`: waits on the host until a TCP port opens or closes, or a file appears (optionally
//! containing a regex) or disappears, or simply for `timeout` seconds. The loop runs on the host in
//! one script (ports are probed with bash's `/dev/tcp`). Never changes anything.

use async_trait::async_trait;

use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Map, Module, ModuleError, Plan, Value};

/// The `wait_for` module.
pub struct WaitForModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "wait_for",
    fqcn: &["ansible.builtin.wait_for", "ansible.legacy.wait_for"],
    synopsis: "Wait for a port, a file, or some time.",
    description: "With `port`: until it accepts connections (`started`) or refuses them (`stopped`). With \
        `path`: until it exists (`present`/`started`, optionally containing `search_regex`) or is gone \
        (`absent`). With neither: sleeps `timeout` seconds.",
    args: &[
        ArgSpec::new("host", ArgKind::Str, "Host to connect to.").default("\"127.0.0.1\""),
        ArgSpec::new("port", ArgKind::Int, "TCP port."),
        ArgSpec::new("path", ArgKind::Path, "File to wait for."),
        ArgSpec::new("state", ArgKind::Str, "What to wait for.")
            .default("\"started\"")
            .choices(&["absent", "drained", "present", "started", "stopped"]),
        ArgSpec::new("search_regex", ArgKind::Str, "Regex the file (or port banner) must contain."),
        ArgSpec::new("timeout", ArgKind::Int, "Seconds before failing.").default("300"),
        ArgSpec::new("delay", ArgKind::Int, "Seconds before the first check.").default("0"),
        ArgSpec::new("sleep", ArgKind::Int, "Seconds between checks.").default("1"),
        ArgSpec::new("connect_timeout", ArgKind::Int, "Seconds for one connection attempt.").default("5"),
        ArgSpec::new("msg", ArgKind::Str, "Message on timeout."),
        ArgSpec::new("exclude_hosts", ArgKind::List, "Accepted for compatibility (drained).").elements(ArgKind::Str),
        ArgSpec::new("active_connection_states", ArgKind::List, "Accepted for compatibility (drained).")
            .elements(ArgKind::Str),
    ],
    free_form: None,
    mutually_exclusive: &[&["port", "path"]],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "elapsed", returned: "always", doc: "Seconds waited." },
        ReturnSpec { name: "state", returned: "always", doc: "The state waited for." },
        ReturnSpec { name: "match_groups", returned: "search_regex", doc: "Groups of the match." },
        ReturnSpec { name: "match_groupdict", returned: "search_regex", doc: "Named groups of the match." },
    ],
    examples: "- name: Wait for the app\n  ansible.builtin.wait_for:\n    port: 8080\n    timeout: 60\n",
};

/// The check the loop repeats (true when the wait is over), and the timeout message.
fn check_and_message(args: &Args) -> (String, String) {
    let state = args.str("state").unwrap_or("started");
    let host = args.str("host").unwrap_or("127.0.0.1");
    let ct = args.int("connect_timeout").unwrap_or(5);
    if let Some(port) = args.int("port") {
        let open = format!(
            "timeout {ct} bash -c {} _ {} {port} >/dev/null 2>&1",
            quote("exec 3<>\"/dev/tcp/$1/$2\""),
            quote(host)
        );
        return match state {
            "stopped" | "absent" | "drained" => (
                format!("! {open}"),
                format!("Timeout when waiting for {host}:{port} to stop."),
            ),
            _ => match args.str("search_regex") {
                Some(re) => (
                    format!(
                        "timeout {ct} bash -c {} _ {} {port} 2>/dev/null | grep -qE -- {}",
                        quote("exec 3<>\"/dev/tcp/$1/$2\"; cat <&3"),
                        quote(host),
                        quote(re)
                    ),
                    format!("Timeout when waiting for search string {re} in {host}:{port}"),
                ),
                None => (open, format!("Timeout when waiting for {host}:{port}")),
            },
        };
    }
    if let Some(path) = args.str("path") {
        let p = quote(path);
        return match state {
            "absent" | "stopped" => (
                format!("[ ! -e {p} ]"),
                format!("Timeout when waiting for {path} to be absent."),
            ),
            _ => match args.str("search_regex") {
                Some(re) => (
                    format!("[ -f {p} ] && grep -qE -- {} {p}", quote(re)),
                    format!("Timeout when waiting for search string {re} in {path}"),
                ),
                None => (
                    format!("[ -e {p} ]"),
                    format!("Timeout when waiting for file {path}"),
                ),
            },
        };
    }
    ("false".into(), String::new())
}

#[async_trait]
impl Module for WaitForModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let timeout = args.int("timeout").unwrap_or(300);
        let (check, message) = check_and_message(args);
        let only_sleep = args.get("port").is_none() && args.get("path").is_none();
        let script = format!(
            "sleep {delay}\n_s=$(date +%s)\n\
             while :; do\n\
               if {check}; then echo \"ok $(( $(date +%s) - _s ))\"; exit 0; fi\n\
               _n=$(date +%s); if [ $((_n - _s)) -ge {timeout} ]; then echo \"timeout $((_n - _s))\"; exit 0; fi\n\
               sleep {sleep}\n\
             done\n",
            delay = args.int("delay").unwrap_or(0).max(0),
            sleep = args.int("sleep").unwrap_or(1).max(0),
        );
        let out = ctx.host.run(Command::new(script)).await?;
        let text = out.stdout_str();
        let mut words = text.split_whitespace();
        let verdict = words.next().unwrap_or_default();
        let elapsed: i64 =
            words.next().and_then(|e| e.parse().ok()).unwrap_or(0) + args.int("delay").unwrap_or(0);
        if verdict == "timeout" && !only_sleep {
            return Err(ModuleError::Failed(
                args.str("msg").map(str::to_string).unwrap_or(message),
            ));
        }
        if verdict != "ok" && verdict != "timeout" {
            return Err(ModuleError::Protocol(format!(
                "wait_for: unexpected answer {text:?} {}",
                out.stderr_str()
            )));
        }
        let mut values = Map::new();
        values.insert("elapsed".into(), Value::from(elapsed));
        values.insert(
            "state".into(),
            Value::String(args.str("state").unwrap_or("started").into()),
        );
        if let Some(p) = args.int("port") {
            values.insert("port".into(), Value::from(p));
        }
        if let Some(p) = args.str("path") {
            values.insert("path".into(), Value::String(p.into()));
        }
        if args.get("search_regex").is_some() {
            values.insert("match_groups".into(), Value::Array(vec![]));
            values.insert("match_groupdict".into(), Value::Object(Map::new()));
        }
        Ok(Plan::unchanged(values))
    }
}
