//! The keyword sets Ansible accepts on plays, blocks, tasks, handlers and role entries, and the
//! close-name suggestion used when a key is neither a keyword nor a module.

/// Keywords every task-like object (play, role entry, block, task) accepts and passes down.
pub const INHERITED: &[&str] = &[
    "any_errors_fatal",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "diff",
    "environment",
    "ignore_errors",
    "ignore_unreachable",
    "module_defaults",
    "name",
    "no_log",
    "port",
    "remote_user",
    "run_once",
    "tags",
    "throttle",
    "timeout",
    "vars",
    "when",
    "delegate_to",
    "delegate_facts",
];

/// Keywords of a play besides [`INHERITED`].
pub const PLAY: &[&str] = &[
    "hosts",
    "gather_facts",
    "gather_subset",
    "gather_timeout",
    "fact_path",
    "vars_files",
    "vars_prompt",
    "pre_tasks",
    "roles",
    "tasks",
    "post_tasks",
    "handlers",
    "serial",
    "max_fail_percentage",
    "strategy",
    "order",
    "force_handlers",
];

/// Keywords of a block besides [`INHERITED`].
pub const BLOCK: &[&str] = &["block", "rescue", "always", "notify"];

/// Keywords of a task besides [`INHERITED`].
pub const TASK: &[&str] = &[
    "action",
    "args",
    "async",
    "changed_when",
    "delay",
    "failed_when",
    "local_action",
    "loop",
    "loop_control",
    "notify",
    "poll",
    "register",
    "retries",
    "until",
    "listen",
];

/// Is `key` a task keyword (including `with_*` loops)?
pub fn is_task_keyword(key: &str) -> bool {
    INHERITED.contains(&key) || TASK.contains(&key) || key.starts_with("with_")
}

/// Edit distance between two names (Levenshtein).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(2, 3);
    candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(suggest("whne", ["when", "name"]), Some("when"));
        assert_eq!(suggest("registr", TASK.iter().copied()), Some("register"));
        assert_eq!(suggest("zzzzzz", TASK.iter().copied()), None);
        assert!(is_task_keyword("with_items"));
    }
}
