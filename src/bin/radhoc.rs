//! `radhoc`: runs one module on the hosts matching a pattern, like Ansible's ad-hoc `ansible`
//! command: a one-task play, printed in the ad-hoc (`minimal`/`oneline`) format.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use rplay::cli::AdhocArgs;
use rplay::output::{self, exit_code, AdhocLines, AdhocOptions};
use rplay::playbook::node::Origin;
use rplay::playbook::{kv, Item, Play, Playbook, Task};
use rplay::run::connector::BecomeWanted;
use rplay::run::event::{Fanout, Reporter};
use rplay::run::inventory_view::InventoryView;
use rplay::run::session::Session;
use rplay::run::tags::TagFilter;
use rplay::run::{extra_vars, RunOptions, Runner};
use serde_json::{Map, Value};

fn main() {
    rplay::cli::run_program::<AdhocArgs, _, _>(run);
}

/// Module arguments from `-a`: a JSON object, or k=v / free-form text.
fn module_args(module: &str, text: Option<&str>) -> Result<(String, Map<String, Value>), String> {
    let resolved = rplay_modules::registry::find_written(module)
        .ok_or_else(|| format!("couldn't resolve module/action '{module}'. This often indicates a misspelling, missing collection, or incorrect module path."))?;
    if let Some(reason) = resolved.load_error() {
        return Err(reason);
    }
    let spec = resolved.spec();
    let free_form = spec.free_form.is_some();
    let text = text.unwrap_or("").trim();
    if text.is_empty()
        && free_form
        && spec
            .args
            .iter()
            .any(|a| Some(a.name) == spec.free_form && a.required)
    {
        return Err(format!("No argument passed to {module} module"));
    }
    let args = if text.starts_with('{') && text.ends_with('}') {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            _ => return Err(format!("invalid JSON module arguments: {text}")),
        }
    } else {
        kv::parse_kv(text, free_form)?
    };
    Ok((spec.name.to_string(), args))
}

async fn run(args: AdhocArgs) -> i32 {
    let session = match Session::open(&args.run, &args.connection, &args.privilege) {
        Ok(s) => s,
        Err((msg, code)) => {
            eprintln!("[ERROR]: {msg}");
            return code;
        }
    };
    // After the session: `-M` and the `library` setting add modules.
    let (module, margs) = match module_args(&args.module, args.args.as_deref()) {
        Ok(x) => x,
        Err(e) => {
            let hint = if args.pattern.ends_with(".yml") || args.pattern.ends_with(".yaml") {
                " (did you mean to run ansible-playbook?)"
            } else {
                ""
            };
            eprintln!("[ERROR]: {e}{hint}");
            return exit_code::OPTIONS_ERROR;
        }
    };
    // After the session: a vaulted `-e @file` needs its secrets.
    let extra =
        match extra_vars::parse_extra_vars_with(&args.run.extra_vars, session.decrypt.as_deref()) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("[ERROR]: {e}");
                return exit_code::ERROR;
            }
        };
    for w in &session.warnings {
        eprintln!("[WARNING]: {w}");
    }
    let inventory = session.inventory.clone();
    if args.run.list_hosts {
        let hosts = inventory.select(&args.pattern).unwrap_or_default();
        println!("  hosts ({}):", hosts.len());
        for h in hosts {
            println!("    {h}");
        }
        return exit_code::OK;
    }
    let origin = Origin {
        file: PathBuf::from(format!("<adhoc '{module}' task>")),
        line: 0,
        column: 0,
    };
    // `-B SECONDS [-P INTERVAL]` are the task's `async` and `poll` keywords.
    let mut task_keywords = Map::new();
    if let Some(limit) = args.background {
        task_keywords.insert("async".into(), Value::from(limit));
        task_keywords.insert("poll".into(), Value::from(args.poll));
    }
    let task = Task::synthetic(None, &module, margs, origin.clone(), task_keywords);
    let mut keywords = Map::new();
    keywords.insert("gather_facts".into(), Value::Bool(false));
    let cwd = std::env::current_dir().unwrap_or_default();
    let play = Play {
        var_origins: Default::default(),
        name: Some("Ansible Ad-Hoc".into()),
        hosts: Value::String(args.pattern.clone()),
        origin,
        vars: Map::new(),
        vars_files: Vec::new(),
        vars_prompt: Vec::new(),
        module_defaults: Map::new(),
        keywords,
        tags: Vec::new(),
        pre_tasks: Vec::new(),
        tasks: vec![Item::Task(Arc::new(task))],
        post_tasks: Vec::new(),
        handlers: Vec::new(),
        roles: Vec::new(),
        placed_roles: Default::default(),
        playbook_dir: cwd.clone(),
    };
    let book = Playbook {
        path: cwd.join("adhoc"),
        plays: vec![Arc::new(play)],
    };
    let loader = rplay::playbook::Loader::new(&cwd.join("adhoc"), Vec::new(), extra.clone());
    let tty = std::io::stdout().is_terminal();
    let command_like = matches!(module.as_str(), "command" | "shell" | "raw" | "script");
    let adhoc = AdhocLines::new(
        AdhocOptions {
            command_like,
            one_line: args.one_line,
            tree: args.tree.as_ref().map(PathBuf::from),
            color: output::use_color(tty),
            diff: args.run.diff,
        },
        Box::new(std::io::stdout()),
        Box::new(std::io::stderr()),
    );
    let reporters: Vec<Box<dyn Reporter>> = vec![Box::new(adhoc)];
    let opts = RunOptions {
        check: args.run.check,
        diff: args.run.diff,
        forks: args.run.forks.unwrap_or(session.settings.forks),
        verbosity: args.run.verbose,
        tags: TagFilter::new(&[], &[]),
        extra_vars: extra,
        force_handlers: false,
        start_at_task: None,
        become_: BecomeWanted {
            enabled: args.privilege.become_.then_some(true),
            user: args.privilege.become_user.clone(),
            method: args.privilege.become_method.clone(),
            flags: None,
            exe: None,
        },
        gathering: "explicit".into(),
        fact_cache: None,
        inventory_sources: session.sources.clone(),
        async_dir: session.settings.async_dir.clone(),
        poll_interval: session.settings.poll_interval,
        strategy: "linear".into(),
    };
    let runner = Runner::new(
        opts,
        session.templating.clone(),
        inventory,
        session.connector.clone(),
        Box::new(Fanout(reporters)),
    );
    if let Err(e) = runner.run_playbook(&book, &loader).await {
        eprintln!("[ERROR]: {e}");
        runner.close().await;
        runner.finish();
        return exit_code::ERROR;
    }
    runner.close().await;
    runner.finish();
    exit_code::from_stats(&runner.stats())
}
