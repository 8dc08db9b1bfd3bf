//! The default output: the lines Ansible users know (banners, `ok: [h]`, `changed: [h] =>
//! (item=x)`, `fatal: [h]: FAILED! => {...}`, `...ignoring`, PLAY RECAP), the 2.19
//! `[ERROR]: Task failed: ...` block with its source excerpt, `--diff` hunks, and warnings on
//! stderr. Colour only when asked (a terminal without NO_COLOR).

use std::io::Write;

use colored::Colorize;
use serde_json::Value;

use super::log_file::{LogFile, LogLevel};
use super::{banner, diff, recap};
use crate::pyjson;
use crate::run::error_chain::ErrorChain;
use crate::run::event::{Event, HostResult, Origin, Reporter, Status, TaskKind};

/// Settings of the default reporter.
#[derive(Debug, Clone)]
pub struct LineOptions {
    /// `-v` count.
    pub verbosity: u8,
    /// Paint with ANSI colours.
    pub color: bool,
    /// Banner width (79 off a terminal).
    pub columns: usize,
    /// Print `diff` results (`--diff`).
    pub diff: bool,
}

/// Ansible's default stdout callback.
pub struct DefaultLines {
    opts: LineOptions,
    out: Box<dyn Write + Send>,
    err: Box<dyn Write + Send>,
    current_task: Option<String>,
    /// Warnings already shown: Ansible shows each text once per run.
    warned: std::collections::HashSet<String>,
    /// The `log_path` file, if configured.
    log: Option<LogFile>,
    /// `[ERROR]` blocks already printed: like Ansible, an identical block is shown once a run.
    errors_shown: std::collections::HashSet<String>,
}

impl DefaultLines {
    /// Writes lines to `out` and warnings to `err`.
    pub fn new(opts: LineOptions, out: Box<dyn Write + Send>, err: Box<dyn Write + Send>) -> Self {
        DefaultLines {
            opts,
            out,
            err,
            current_task: None,
            warned: std::collections::HashSet::new(),
            log: None,
            errors_shown: std::collections::HashSet::new(),
        }
    }

    /// Also appends every line shown to the `log_path` file.
    pub fn with_log(mut self, log: LogFile) -> Self {
        self.log = Some(log);
        self
    }

    fn log(&mut self, level: LogLevel, text: &str) {
        if let Some(log) = &mut self.log {
            log.record(level, text);
        }
    }

    fn line(&mut self, text: &str) {
        self.log(LogLevel::Info, text);
        // A closed stdout (e.g. `| head`) must not abort the run.
        let _ = writeln!(self.out, "{text}");
    }

    /// A line in Ansible's debug colour (dark gray), which Ansible does not log.
    fn debug_line(&mut self, text: &str) {
        let t = if self.opts.color {
            text.bright_black().to_string()
        } else {
            text.to_string()
        };
        let _ = writeln!(self.out, "{t}");
    }

    fn paint(&self, text: &str, status: Status) -> String {
        if !self.opts.color {
            return text.to_string();
        }
        match status {
            Status::Ok => text.green().to_string(),
            Status::Changed => text.yellow().to_string(),
            Status::Skipped => text.cyan().to_string(),
            Status::Failed => text.red().to_string(),
            Status::Unreachable => text.bright_red().to_string(),
        }
    }

    fn error_block(&mut self, chain: &ErrorChain, origin: Option<&Origin>) {
        let text = super::error_text::task_error_text(origin, chain);
        if !self.errors_shown.insert(text.clone()) {
            return;
        }
        let text = if self.opts.color {
            text.red().to_string()
        } else {
            text
        };
        // The block ends with the newline Ansible's display keeps; the log shows it as it is.
        self.log(LogLevel::Error, &text);
        let _ = write!(self.out, "{text}");
    }

    fn dump(&self, r: &HostResult, indent: bool) -> String {
        let mut shown = r.result.clone();
        shown.retain(|k, _| !k.starts_with("_ansible") && k != "failed" && k != "exception");
        if r.status == Status::Skipped {
            // Ansible's task result drops `skipped` before the callback shows a skip, and a
            // loop's items were shown on their own lines.
            shown.remove("skipped");
            shown.remove("results");
        }
        if r.debug_result {
            if shown.contains_key("msg") {
                shown.retain(|k, _| matches!(k.as_str(), "msg" | "warnings" | "deprecations"));
            } else {
                for k in [
                    "changed",
                    "skipped",
                    "invocation",
                    "skip_reason",
                    "ansible_loop_var",
                    "ansible_index_var",
                    "ansible_loop",
                ] {
                    shown.remove(k);
                }
            }
        }
        if self.opts.verbosity < 3 {
            shown.remove("invocation");
            shown.remove("diff");
        }
        let v = Value::Object(shown);
        if indent || self.opts.verbosity >= 3 {
            pyjson::pretty(&v)
        } else {
            pyjson::compact(&v)
        }
    }

    fn host_label(r: &HostResult) -> String {
        match &r.delegated_to {
            Some(d) if d != &r.host => format!("[{} -> {}]", r.host, d),
            _ => format!("[{}]", r.host),
        }
    }

    fn host_result(&mut self, r: &HostResult) {
        if self.opts.diff {
            if let Some(d) = r.result.get("diff") {
                if matches!(r.status, Status::Changed | Status::Ok) {
                    let text = diff::render(d);
                    if !text.is_empty() {
                        self.log(LogLevel::Info, &text);
                        let _ = write!(self.out, "{text}");
                    }
                }
            }
        }
        let label = Self::host_label(r);
        let item = r
            .item_label
            .as_ref()
            .map(|l| format!(" => (item={l})"))
            .unwrap_or_default();
        let verbose = self.opts.verbosity >= 1 || r.verbose_always;
        let text = match r.status {
            Status::Ok | Status::Changed => {
                let word = if r.status == Status::Ok {
                    "ok"
                } else {
                    "changed"
                };
                let mut t = format!("{word}: {label}{item}");
                if verbose {
                    t.push_str(&format!(" => {}", self.dump(r, r.verbose_always)));
                }
                t
            }
            Status::Skipped => {
                if r.item_label.is_some() {
                    let mut t = format!("skipping: {label}{item} ");
                    if self.opts.verbosity >= 1 {
                        t = format!("skipping: {label}{item}  => {}", self.dump(r, false));
                    }
                    t
                } else if self.opts.verbosity >= 1 {
                    format!("skipping: {label} => {}", self.dump(r, false))
                } else {
                    format!("skipping: {label}")
                }
            }
            Status::Failed => {
                if let Some(e) = &r.error {
                    let e = e.clone();
                    self.error_block(&e, r.origin.as_ref());
                }
                let json = self.dump(r, r.verbose_always);
                match &r.item_label {
                    Some(l) => format!("failed: {label} (item={l}) => {json}"),
                    None => format!("fatal: {label}: FAILED! => {json}"),
                }
            }
            Status::Unreachable => {
                if let Some(e) = &r.error {
                    let e = e.clone();
                    self.error_block(&e, r.origin.as_ref());
                }
                let json = self.dump(r, false);
                match &r.item_label {
                    Some(l) => format!("fatal: {label}: UNREACHABLE! => (item={l}) => {json}"),
                    None => format!("fatal: {label}: UNREACHABLE! => {json}"),
                }
            }
        };
        let painted = self.paint(&text, r.status);
        self.line(&painted);
        if r.ignored {
            self.ignoring();
        }
    }

    fn ignoring(&mut self) {
        let t = if self.opts.color {
            "...ignoring".cyan().to_string()
        } else {
            "...ignoring".to_string()
        };
        self.line(&t);
    }

    fn banner(&mut self, msg: &str) {
        let b = banner::banner(msg, self.opts.columns);
        self.line(&b);
    }
}

impl Reporter for DefaultLines {
    fn report(&mut self, event: &Event) {
        match event {
            Event::PlaybookStart { path, plays } => {
                if self.opts.verbosity >= 2 {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    self.banner(&format!("PLAYBOOK: {name}"));
                    let s = if *plays == 1 { "" } else { "s" };
                    self.line(&format!("{plays} play{s} in {}", path.display()));
                }
            }
            Event::PlayStart { name, .. } => {
                let msg = if name.is_empty() {
                    "PLAY".to_string()
                } else {
                    format!("PLAY [{name}]")
                };
                self.banner(&msg);
            }
            Event::NoHostsMatched => {
                let t = self.paint("skipping: no hosts matched", Status::Skipped);
                self.line(&t);
            }
            Event::NoMoreHosts => self.banner("NO MORE HOSTS LEFT"),
            Event::TaskStart(t) => {
                let msg = match t.kind {
                    TaskKind::Task => format!("TASK [{}]", t.name),
                    TaskKind::Handler => format!("RUNNING HANDLER [{}]", t.name),
                };
                self.current_task = Some(t.name.clone());
                self.banner(&msg);
                if self.opts.verbosity >= 2 {
                    if let Some(o) = &t.origin {
                        self.line(&format!("task path: {}:{}", o.file.display(), o.line));
                    }
                }
            }
            Event::HostResult(r) => self.host_result(r),
            Event::Included {
                what,
                hosts,
                item_label,
            } => {
                let mut t = format!("included: {what} for {}", hosts.join(", "));
                if let Some(l) = item_label {
                    t.push_str(&format!(" => (item={l})"));
                }
                let t = if self.opts.color {
                    t.cyan().to_string()
                } else {
                    t
                };
                self.line(&t);
            }
            Event::Ignoring { .. } => self.ignoring(),
            Event::Retrying { host, task, left } => {
                let t = format!("FAILED - RETRYING: [{host}]: {task} ({left} retries left).");
                // Shown in the debug colour, which Ansible does not log.
                let t = self.paint(&t, Status::Failed);
                let _ = writeln!(self.out, "{t}");
            }
            Event::AsyncPoll {
                host,
                jid,
                started,
                finished,
            } => {
                let py = |b: &bool| if *b { "True" } else { "False" };
                let t = format!(
                    "ASYNC POLL on {host}: jid={jid} started={} finished={}",
                    py(started),
                    py(finished)
                );
                self.debug_line(&t);
            }
            Event::AsyncDone { host, jid, failed } => {
                let word = if *failed { "FAILED" } else { "OK" };
                self.debug_line(&format!("ASYNC {word} on {host}: jid={jid}"));
            }
            Event::HandlerNotified { handler, .. } => {
                if self.opts.verbosity >= 2 {
                    self.line(&format!(
                        "Notification for handler {handler} has been saved."
                    ));
                }
            }
            Event::Warning { message } => {
                if !self.warned.insert(message.clone()) {
                    return;
                }
                let t = format!("[WARNING]: {message}");
                self.log(LogLevel::Warning, &format!("{t}\n"));
                let t = if self.opts.color {
                    t.bright_magenta().to_string()
                } else {
                    t
                };
                let _ = writeln!(self.err, "{t}");
            }
            Event::Deprecation { message } => {
                let t = format!("[DEPRECATION WARNING]: {message}");
                self.log(LogLevel::Warning, &format!("{t}\n"));
                let t = if self.opts.color {
                    t.magenta().to_string()
                } else {
                    t
                };
                let _ = writeln!(self.err, "{t}");
            }
            Event::Recap { stats } => {
                self.banner("PLAY RECAP");
                for (host, s) in stats {
                    let l = recap::recap_line(host, s, self.opts.color);
                    self.line(&l);
                }
                let _ = writeln!(self.out);
            }
        }
    }

    fn finish(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
    }
}
