//! radhoc's output, as Ansible's `minimal` callback prints it (`w1 | CHANGED | rc=0 >>` then the
//! command output; `w1 | SUCCESS => {...}` for other modules), the `-o` one-line forms, and the
//! `-t DIR` tree of one JSON file per host.

use std::io::Write;
use std::path::PathBuf;

use colored::Colorize;
use serde_json::{Map, Value};

use crate::pyjson;
use crate::run::event::{Event, HostResult, Reporter, Status};

/// Settings of the ad-hoc reporter.
#[derive(Debug, Clone, Default)]
pub struct AdhocOptions {
    /// The module prints its command output (`command`, `shell`, `raw`, `script`).
    pub command_like: bool,
    /// `-o`: one line per host.
    pub one_line: bool,
    /// `-t DIR`: also write each host's result to `DIR/<host>`.
    pub tree: Option<PathBuf>,
    /// Paint with ANSI colours.
    pub color: bool,
    /// Print diffs (`-D`).
    pub diff: bool,
}

/// The ad-hoc reporter.
pub struct AdhocLines {
    opts: AdhocOptions,
    out: Box<dyn Write + Send>,
    err: Box<dyn Write + Send>,
}

impl AdhocLines {
    /// Writes results to `out` and warnings to `err`.
    pub fn new(opts: AdhocOptions, out: Box<dyn Write + Send>, err: Box<dyn Write + Send>) -> Self {
        AdhocLines { opts, out, err }
    }

    /// The result as Ansible's ad-hoc callbacks show it: without internal keys, `invocation`,
    /// `diff` and `failed` (the caption already says whether the host failed).
    fn cleaned(result: &Map<String, Value>) -> Map<String, Value> {
        let mut m = result.clone();
        m.retain(|k, _| {
            !k.starts_with("_ansible") && k != "invocation" && k != "diff" && k != "failed"
        });
        m
    }

    fn command_text(&self, host: &str, caption: &str, r: &Map<String, Value>) -> String {
        let rc = r
            .get("rc")
            .map(pyjson::compact)
            .unwrap_or_else(|| "-1".into());
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        if self.opts.one_line {
            let mut t = format!(
                "{host} | {caption} | rc={rc} | (stdout) {}",
                s("stdout").replace('\n', "\\n")
            );
            let stderr = s("stderr");
            if !stderr.is_empty() {
                t.push_str(&format!(" (stderr) {}", stderr.replace('\n', "\\n")));
            }
            t
        } else {
            format!(
                "{host} | {caption} | rc={rc} >>\n{}{}{}\n",
                s("stdout"),
                s("stderr"),
                s("msg")
            )
        }
    }

    fn json_text(&self, host: &str, caption: &str, r: &Map<String, Value>) -> String {
        let v = Value::Object(r.clone());
        if self.opts.one_line {
            format!("{host} | {caption} => {}", pyjson::oneline(&v))
        } else {
            format!("{host} | {caption} => {}", pyjson::pretty(&v))
        }
    }

    fn host_result(&mut self, r: &HostResult) {
        let shown = Self::cleaned(&r.result);
        if let Some(dir) = &self.opts.tree {
            let _ = std::fs::create_dir_all(dir);
            let path = dir.join(&r.host);
            let _ = std::fs::write(path, pyjson::compact(&Value::Object(shown.clone())));
        }
        if self.opts.diff {
            if let Some(d) = r.result.get("diff") {
                let text = super::diff::render(d);
                let _ = write!(self.out, "{text}");
            }
        }
        // Ansible's minimal callback: a command-like module's result reads `| rc=N >>` unless a
        // success carries a background job id or a failure a raw module crash (`module_stderr`).
        let has_rc = shown.contains_key("rc");
        let text = match r.status {
            Status::Ok | Status::Changed => {
                let caption = if r.status == Status::Changed {
                    "CHANGED"
                } else {
                    "SUCCESS"
                };
                if self.opts.command_like && has_rc && !shown.contains_key("ansible_job_id") {
                    self.command_text(&r.host, caption, &shown)
                } else {
                    self.json_text(&r.host, caption, &shown)
                }
            }
            Status::Failed => {
                if let Some(e) = &r.error {
                    let block = format!("[ERROR]: Task failed: {}", e.brief());
                    let block = if self.opts.color {
                        block.red().to_string()
                    } else {
                        block
                    };
                    let _ = writeln!(self.out, "{block}");
                }
                if self.opts.command_like && !shown.contains_key("module_stderr") {
                    self.command_text(&r.host, "FAILED", &shown)
                } else {
                    self.json_text(&r.host, "FAILED!", &shown)
                }
            }
            Status::Unreachable => {
                // Ansible announces an unreachable host like a failed task, then prints the result.
                if let Some(msg) = shown.get("msg").and_then(Value::as_str) {
                    let block = format!("[ERROR]: {msg}");
                    let block = if self.opts.color {
                        block.red().to_string()
                    } else {
                        block
                    };
                    let _ = writeln!(self.out, "{block}");
                }
                self.json_text(&r.host, "UNREACHABLE!", &shown)
            }
            Status::Skipped => format!("{} | SKIPPED", r.host),
        };
        let text = if self.opts.color {
            match r.status {
                Status::Ok => text.green().to_string(),
                Status::Changed => text.yellow().to_string(),
                Status::Skipped => text.cyan().to_string(),
                Status::Failed | Status::Unreachable => text.red().to_string(),
            }
        } else {
            text
        };
        if text.ends_with('\n') {
            let _ = write!(self.out, "{text}");
        } else {
            let _ = writeln!(self.out, "{text}");
        }
    }
}

impl Reporter for AdhocLines {
    fn report(&mut self, event: &Event) {
        match event {
            Event::HostResult(r) => self.host_result(r),
            Event::Warning { message } => {
                let _ = writeln!(self.err, "[WARNING]: {message}");
            }
            Event::Deprecation { message } => {
                let _ = writeln!(self.err, "[DEPRECATION WARNING]: {message}");
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
    }
}
