//! `rplay`: runs Ansible playbooks. Parses the command line, loads inventory and playbooks
//! (validating everything before any host is contacted), runs them, prints the recap and exits
//! with ansible-playbook's exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;

use rplay::cli::PlaybookArgs;
use rplay::output::{
    self, exit_code, DefaultLines, JsonDocument, JsonLines, LineOptions, LiveProgress,
};
use rplay::playbook::Loader;
use rplay::run::connector::BecomeWanted;
use rplay::run::event::{Fanout, Reporter};
use rplay::run::session::Session;
use rplay::run::tags::TagFilter;
use rplay::run::{extra_vars, RunError, RunOptions, Runner};

fn main() {
    rplay::cli::run_program::<PlaybookArgs, _, _>(run);
}

fn error(msg: &str) -> i32 {
    eprintln!("[ERROR]: {msg}");
    exit_code::ERROR
}

fn default_roles_path() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    if let Ok(home) = std::env::var("HOME") {
        out.push(PathBuf::from(home).join(".ansible/roles"));
    }
    out.push(PathBuf::from("/usr/share/ansible/roles"));
    out.push(PathBuf::from("/etc/ansible/roles"));
    out
}

fn reporter(
    args: &PlaybookArgs,
    log_path: Option<&std::path::Path>,
) -> Result<Box<dyn Reporter>, String> {
    let tty = std::io::stdout().is_terminal();
    let mut list: Vec<Box<dyn Reporter>> = Vec::new();
    match args.run.output.as_str() {
        "json" => list.push(Box::new(JsonDocument::new(Box::new(std::io::stdout())))),
        "default" | "" => {
            let lines = DefaultLines::new(
                LineOptions {
                    verbosity: args.run.verbose,
                    color: output::use_color(tty),
                    columns: output::banner::banner_columns(tty),
                    diff: args.run.diff,
                },
                Box::new(std::io::stdout()),
                Box::new(std::io::stderr()),
            );
            let lines = match log_path.map(output::log_file::LogFile::open) {
                Some(Ok(log)) => lines.with_log(log),
                Some(Err(warning)) => {
                    eprintln!("[WARNING]: {warning}");
                    lines
                }
                None => lines,
            };
            // The live progress line only where a person watches both streams.
            list.push(if tty && std::io::stderr().is_terminal() {
                Box::new(LiveProgress::new(Box::new(lines)))
            } else {
                Box::new(lines)
            });
        }
        other => {
            return Err(format!(
                "unknown output format '{other}' (use default or json)"
            ))
        }
    }
    if let Some(path) = &args.run.events {
        let f = std::fs::File::create(path)
            .map_err(|e| format!("cannot write events to {path}: {e}"))?;
        list.push(Box::new(JsonLines::new(Box::new(std::io::BufWriter::new(
            f,
        )))));
    }
    Ok(Box::new(Fanout(list)))
}

async fn run(args: PlaybookArgs) -> i32 {
    let session = match Session::open(&args.run, &args.connection, &args.privilege) {
        Ok(s) => s,
        Err((msg, code)) => {
            eprintln!("[ERROR]: {msg}");
            return code;
        }
    };
    // After the session: a vaulted `-e @file` needs its secrets.
    let extra =
        match extra_vars::parse_extra_vars_with(&args.run.extra_vars, session.decrypt.as_deref()) {
            Ok(m) => m,
            Err(e) => return error(&e),
        };
    for w in &session.warnings {
        eprintln!("[WARNING]: {w}");
    }
    let inventory = session.inventory.clone();
    let mut roles_path = session.settings.roles_path.clone();
    roles_path.extend(default_roles_path());
    // Load and validate every playbook before contacting any host.
    let mut books = Vec::new();
    for pb in &args.playbooks {
        let path = PathBuf::from(pb);
        if !path.is_file() {
            return error(&format!("the playbook: {pb} could not be found"));
        }
        let mut loader = Loader::new(&path, roles_path.clone(), extra.clone());
        loader.decrypt = session.decrypt.clone();
        match loader.load_playbook(&path) {
            Ok(book) => books.push((loader, book)),
            Err(e) => {
                eprintln!(
                    "{}",
                    output::error_text::error_text(&e.to_string(), e.origin())
                );
                return if e.is_parse_error() {
                    exit_code::PARSE_ERROR
                } else {
                    exit_code::ERROR
                };
            }
        }
    }
    if args.syntax_check {
        for pb in &args.playbooks {
            println!("\nplaybook: {pb}");
        }
        return exit_code::OK;
    }
    if args.run.list_hosts || args.list_tasks || args.list_tags {
        use rplay::run::inventory_view::InventoryView;
        let (only, skip) = (args.tag_list(), args.skip_tag_list());
        // Without a tag selection, --list-tags lists every tag, `never` ones included.
        let tags = if args.list_tags && only.is_empty() && skip.is_empty() {
            TagFilter::new(&["never".into(), "all".into()], &[])
        } else {
            TagFilter::new(&only, &skip)
        };
        for ((_, book), given) in books.iter().zip(&args.playbooks) {
            let text = output::listing::listing(
                given,
                book,
                &|pattern: &str| inventory.select(pattern).unwrap_or_default(),
                &tags,
                args.run.list_hosts,
                args.list_tasks,
                args.list_tags,
            );
            print!("{text}");
        }
        return exit_code::OK;
    }
    let opts = RunOptions {
        check: args.run.check,
        diff: args.run.diff,
        forks: args.run.forks.unwrap_or(session.settings.forks),
        verbosity: args.run.verbose,
        tags: TagFilter::new(&args.tag_list(), &args.skip_tag_list()),
        extra_vars: extra,
        force_handlers: args.force_handlers || session.settings.force_handlers,
        start_at_task: args.start_at_task.clone(),
        become_: BecomeWanted {
            enabled: (args.privilege.become_ || session.settings.become_).then_some(true),
            user: args.privilege.become_user.clone(),
            method: args.privilege.become_method.clone(),
            flags: None,
            exe: None,
        },
        gathering: format!("{:?}", session.settings.gathering).to_ascii_lowercase(),
        fact_cache: rplay::run::fact_cache::FactCache::from_settings(
            &session.settings.fact_caching,
            session.settings.fact_caching_connection.as_deref(),
            session.settings.fact_caching_timeout,
            &session.settings.fact_caching_prefix,
        ),
        inventory_sources: session.sources.clone(),
        async_dir: session.settings.async_dir.clone(),
        poll_interval: session.settings.poll_interval,
        strategy: session.settings.strategy.clone(),
    };
    let reporter = match reporter(&args, session.settings.log_path.as_deref()) {
        Ok(r) => r,
        Err(e) => return error(&e),
    };
    let runner = Runner::new(
        opts,
        session.templating.clone(),
        inventory.clone(),
        session.connector.clone(),
        reporter,
    );
    let mut fatal: Option<RunError> = None;
    let interrupted = {
        let all = async {
            for (loader, book) in &books {
                inventory.set_playbook_dir(loader.playbook_dir.clone());
                if let Err(e) = runner.run_playbook(book, loader).await {
                    fatal = Some(e);
                    break;
                }
                if exit_code::from_stats(&runner.stats()) != exit_code::OK {
                    break;
                }
            }
        };
        tokio::select! {
            _ = all => false,
            _ = tokio::signal::ctrl_c() => true,
        }
    };
    if interrupted {
        // Ctrl-C: close the connections and show the recap so far.
        eprintln!("[ERROR]: User interrupted execution");
        runner.close().await;
        runner.finish();
        return 99;
    }
    if let Some(e) = &fatal {
        match e {
            RunError::Load(le) => {
                eprintln!(
                    "{}",
                    output::error_text::error_text(&le.to_string(), le.origin())
                )
            }
            RunError::Fatal(msg) | RunError::Options(msg) => eprintln!("[ERROR]: {msg}"),
        }
        runner.close().await;
        runner.finish_without_recap();
        // A vars file that cannot be parsed or decrypted is a parser error, as at load time.
        return match e {
            RunError::Load(le) if le.is_parse_error() => exit_code::PARSE_ERROR,
            RunError::Options(_) => exit_code::OPTIONS_ERROR,
            _ => exit_code::ERROR,
        };
    }
    runner.close().await;
    runner.finish();
    if let Some(t) = &args.start_at_task {
        if runner.start_at_task_missed() {
            eprintln!("[ERROR]: No matching task \"{t}\" found. Note: --start-at-task can only follow static includes.");
        }
    }
    exit_code::from_stats(&runner.stats())
}
