//! `--list-hosts`, `--list-tasks` and `--list-tags` output, as ansible-playbook prints it.

use std::collections::BTreeSet;

use std::sync::Arc;

use crate::playbook::{Item, Playbook, Task};
use crate::run::tags::TagFilter;

/// The listing text of one playbook, `given` being its path as written on the command line.
pub fn listing(
    given: &str,
    book: &Playbook,
    select: &dyn Fn(&str) -> Vec<String>,
    tags: &TagFilter,
    hosts: bool,
    tasks: bool,
    list_tags: bool,
) -> String {
    let mut out = format!("\nplaybook: {given}\n");
    for (i, play) in book.plays.iter().enumerate() {
        let pattern = match &play.hosts {
            serde_json::Value::Array(a) => a
                .iter()
                .map(rplay_modules::spec::value_to_string)
                .collect::<Vec<_>>()
                .join(","),
            other => rplay_modules::spec::value_to_string(other),
        };
        // Ansible joins the play's tag set with bare commas.
        let mut play_tags = play.tags.clone();
        play_tags.sort();
        out.push_str(&format!(
            "\n  play #{} ({}): {}\tTAGS: [{}]\n",
            i + 1,
            pattern,
            play.display_name(),
            play_tags.join(",")
        ));
        if hosts {
            let hs = select(&pattern);
            let quoted: Vec<String> = pattern.split(',').map(|p| format!("'{p}'")).collect();
            out.push_str(&format!("    pattern: [{}]\n", quoted.join(", ")));
            out.push_str(&format!("    hosts ({}):\n", hs.len()));
            for h in hs {
                out.push_str(&format!("      {h}\n"));
            }
        }
        let mut all_tags: BTreeSet<String> = play.tags.iter().cloned().collect();
        let mut lines = Vec::new();
        for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            for_each_listed_task(section, &mut |t| {
                if !tags.selects(&t.tags) {
                    return;
                }
                let mut tt: Vec<String> = t.tags.clone();
                tt.sort();
                tt.dedup();
                all_tags.extend(tt.iter().cloned());
                lines.push(format!(
                    "      {}\tTAGS: [{}]\n",
                    listed_name(t),
                    tt.join(", ")
                ));
            });
        }
        if tasks {
            out.push_str("    tasks:\n");
            for l in &lines {
                out.push_str(l);
            }
        }
        if list_tags {
            let v: Vec<String> = all_tags.into_iter().collect();
            out.push_str(&format!("      TASK TAGS: [{}]\n", v.join(", ")));
        }
    }
    out
}

/// Calls `f` on the tasks ansible-playbook lists: those of `block:` sections, depth first (it
/// does not walk `rescue:` and `always:`).
fn for_each_listed_task(items: &[Item], f: &mut dyn FnMut(&Arc<Task>)) {
    for item in items {
        match item {
            Item::Task(t) => f(t),
            Item::Block(b) => for_each_listed_task(&b.body, f),
        }
    }
}

/// A task as listed: its name as written (`role : name` in a role, an `include_role`'s own name
/// without a prefix), else its action as written.
fn listed_name(task: &Task) -> String {
    match (&task.name, &task.role) {
        (Some(n), Some(r)) if task.action != "include_role" => format!("{} : {}", r.name, n),
        (Some(n), _) => n.clone(),
        (None, _) => task.action_written.clone(),
    }
}
