//! Tag selection (`--tags`, `--skip-tags`) with Ansible's special tags: `always` runs unless
//! skipped explicitly, `never` only when asked for, `all`, `tagged`, `untagged`.

use std::collections::BTreeSet;

/// The run's tag selection.
#[derive(Debug, Clone)]
pub struct TagFilter {
    only: BTreeSet<String>,
    skip: BTreeSet<String>,
}

impl TagFilter {
    /// A filter from `--tags` (empty: `all`) and `--skip-tags`.
    pub fn new(only: &[String], skip: &[String]) -> Self {
        let mut only: BTreeSet<String> = only.iter().cloned().collect();
        if only.is_empty() {
            only.insert("all".into());
        }
        TagFilter {
            only,
            skip: skip.iter().cloned().collect(),
        }
    }

    /// Should a task with these tags run?
    pub fn selects(&self, task_tags: &[String]) -> bool {
        let tags: BTreeSet<&str> = if task_tags.is_empty() {
            ["untagged"].into_iter().collect()
        } else {
            task_tags.iter().map(String::as_str).collect()
        };
        let untagged = task_tags.is_empty();
        let has = |set: &BTreeSet<String>, t: &str| set.contains(t);
        let meets = |set: &BTreeSet<String>| tags.iter().any(|t| set.contains(*t));
        let mut run = tags.contains("always")
            || (has(&self.only, "all") && !tags.contains("never"))
            || meets(&self.only)
            || (has(&self.only, "tagged") && !untagged && !tags.contains("never"));
        if run && !self.skip.is_empty() {
            if has(&self.skip, "all") {
                if !tags.contains("always") || has(&self.skip, "always") {
                    run = false;
                }
            } else if meets(&self.skip) || (has(&self.skip, "tagged") && !untagged) {
                run = false;
            }
        }
        run
    }

    /// The `--tags` values (`ansible_run_tags`).
    pub fn run_tags(&self) -> Vec<String> {
        self.only.iter().cloned().collect()
    }

    /// The `--skip-tags` values (`ansible_skip_tags`).
    pub fn skip_tags(&self) -> Vec<String> {
        self.skip.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(only: &[&str], skip: &[&str]) -> TagFilter {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        TagFilter::new(&s(only), &s(skip))
    }
    fn t(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn default_runs_all_but_never() {
        let d = f(&[], &[]);
        assert!(d.selects(&t(&[])));
        assert!(d.selects(&t(&["a"])));
        assert!(!d.selects(&t(&["never"])));
        assert!(d.selects(&t(&["always"])));
    }

    #[test]
    fn only_tags_with_always_and_never() {
        let s = f(&["b"], &[]);
        assert!(s.selects(&t(&["b"])));
        assert!(!s.selects(&t(&["a"])));
        assert!(s.selects(&t(&["always"])));
        assert!(s.selects(&t(&["never", "b"])));
        assert!(!s.selects(&t(&[])));
        let tagged = f(&["tagged"], &[]);
        assert!(tagged.selects(&t(&["x"])) && !tagged.selects(&t(&[])));
        let untagged = f(&["untagged"], &[]);
        assert!(untagged.selects(&t(&[])) && !untagged.selects(&t(&["x"])));
    }

    #[test]
    fn skip_tags() {
        let s = f(&[], &["a"]);
        assert!(!s.selects(&t(&["a", "b"])));
        assert!(s.selects(&t(&["always"])));
        let sa = f(&[], &["always"]);
        assert!(!sa.selects(&t(&["always"])));
    }
}
