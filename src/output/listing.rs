//! `--list-hosts`, `--list-tasks` and `--list-tags` output, as ansible-playbook prints it.

use std::collections::BTreeSet;

use crate::playbook::block::for_each_task;
use crate::playbook::Playbook;
use crate::run::tags::TagFilter;

/// The listing text of one playbook.
pub fn listing(
    book: &Playbook,
    select: &dyn Fn(&str) -> Vec<String>,
    tags: &TagFilter,
    hosts: bool,
    tasks: bool,
    list_tags: bool,
) -> String {
    let name = book
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = format!("\nplaybook: {name}\n");
    for (i, play) in book.plays.iter().enumerate() {
        let pattern = match &play.hosts {
            serde_json::Value::Array(a) => a
                .iter()
                .map(rplay_modules::spec::value_to_string)
                .collect::<Vec<_>>()
                .join(","),
            other => rplay_modules::spec::value_to_string(other),
        };
        let mut play_tags = play.tags.clone();
        play_tags.sort();
        out.push_str(&format!(
            "\n  play #{} ({}): {}\tTAGS: [{}]\n",
            i + 1,
            pattern,
            play.display_name(),
            play_tags.join(", ")
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
        let mut all_tags: BTreeSet<String> = BTreeSet::new();
        let mut lines = Vec::new();
        for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            for_each_task(section, &mut |t| {
                let mut tt: Vec<String> = t.tags.clone();
                tt.sort();
                tt.dedup();
                if list_tags || tags.selects(&t.tags) {
                    all_tags.extend(tt.iter().cloned());
                    if list_tags || tags.selects(&t.tags) {
                        lines.push(format!(
                            "      {}\tTAGS: [{}]\n",
                            t.raw_display_name(),
                            tt.join(", ")
                        ));
                    }
                }
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
