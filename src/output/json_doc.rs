//! `--output json`: one JSON document at the end of the run, shaped like the `ansible.posix.json`
//! callback's (`plays[].tasks[].hosts.<host>` results and per-host `stats`), for tools.

use std::io::Write;

use serde_json::{json, Map, Value};

use crate::run::event::{Event, Reporter, Status};

/// Collects the run and prints it as one JSON document when it finishes.
pub struct JsonDocument {
    out: Box<dyn Write + Send>,
    plays: Vec<Value>,
    stats: Map<String, Value>,
}

impl JsonDocument {
    /// Writes the document to `out` at the end.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        JsonDocument {
            out,
            plays: Vec::new(),
            stats: Map::new(),
        }
    }

    fn current_tasks(&mut self) -> Option<&mut Vec<Value>> {
        self.plays
            .last_mut()
            .and_then(|p| p.get_mut("tasks"))
            .and_then(Value::as_array_mut)
    }
}

impl Reporter for JsonDocument {
    fn report(&mut self, event: &Event) {
        match event {
            Event::PlayStart { name, hosts } => self.plays.push(json!({
                "play": {"name": name, "hosts": hosts},
                "tasks": [],
            })),
            Event::TaskStart(t) => {
                let task = json!({"task": {"name": t.name, "action": t.action}, "hosts": {}});
                if let Some(tasks) = self.current_tasks() {
                    tasks.push(task);
                }
            }
            Event::HostResult(r) => {
                let mut result = r.result.clone();
                result.insert(
                    "status".into(),
                    serde_json::to_value(r.status).unwrap_or(Value::Null),
                );
                if r.status == Status::Failed && r.ignored {
                    result.insert("ignored".into(), Value::Bool(true));
                }
                let Some(task) = self.current_tasks().and_then(|t| t.last_mut()) else {
                    return;
                };
                let Some(hosts) = task.get_mut("hosts").and_then(Value::as_object_mut) else {
                    return;
                };
                match &r.item_label {
                    Some(_) => {
                        let entry = hosts
                            .entry(r.host.clone())
                            .or_insert_with(|| json!({"results": []}));
                        if let Some(list) = entry.get_mut("results").and_then(Value::as_array_mut) {
                            list.push(Value::Object(result));
                        }
                    }
                    None => {
                        hosts.insert(r.host.clone(), Value::Object(result));
                    }
                }
            }
            Event::Recap { stats } => {
                for (host, s) in stats {
                    self.stats.insert(
                        host.clone(),
                        json!({
                            "ok": s.ok, "changed": s.changed, "unreachable": s.unreachable,
                            "failures": s.failed, "skipped": s.skipped, "rescued": s.rescued,
                            "ignored": s.ignored,
                        }),
                    );
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self) {
        let doc = json!({"plays": self.plays, "stats": self.stats});
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
    }
}
