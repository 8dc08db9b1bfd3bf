//! `apt_repository`: one-line APT sources in /etc/apt/sources.list and sources.list.d/*.list.
//! One probe reads every sources file; the plan lists the files to write (with their new text, for
//! `--diff`) or delete; apply writes them and runs `apt-get update` when asked.

use async_trait::async_trait;

use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{
    Args, Change, Command, Content, Context, FileAttrs, Module, ModuleError, Outcome, Plan,
    TextDiff, Value,
};

/// The `apt_repository` module.
pub struct AptRepositoryModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "apt_repository",
    fqcn: &["ansible.builtin.apt_repository", "ansible.legacy.apt_repository"],
    synopsis: "Add and remove APT repositories.",
    description: "Adds a one-line source (`deb [options] URI suite components`) to a file in \
        /etc/apt/sources.list.d (named from the URI unless `filename` is given), enables a commented-out \
        copy, or removes it from every sources file.",
    args: &[
        ArgSpec::new("repo", ArgKind::Str, "A source line.").required(),
        ArgSpec::new("state", ArgKind::Str, "present or absent.").default("\"present\"").choices(&["absent", "present"]),
        ArgSpec::new("mode", ArgKind::Mode, "Mode of a new sources file."),
        ArgSpec::new("update_cache", ArgKind::Bool, "Run apt-get update after a change.").default("true").aliases(&["update-cache"]),
        ArgSpec::new("update_cache_retries", ArgKind::Int, "Retries of the update.").default("5"),
        ArgSpec::new("update_cache_retry_max_delay", ArgKind::Int, "Longest wait between retries.").default("12"),
        ArgSpec::new("validate_certs", ArgKind::Bool, "Accepted for compatibility.").default("true"),
        ArgSpec::new("filename", ArgKind::Str, "File name in sources.list.d, without `.list`."),
        ArgSpec::new("codename", ArgKind::Str, "Accepted for compatibility (PPA only)."),
        ArgSpec::new("install_python_apt", ArgKind::Bool, "Ignored: rplay needs no Python.").default("true"),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "repo", returned: "always", doc: "The source line." },
        ReturnSpec { name: "sources_added", returned: "success", doc: "Files added." },
        ReturnSpec { name: "sources_removed", returned: "success", doc: "Files removed." },
    ],
    examples: "- ansible.builtin.apt_repository:\n    repo: deb http://archive.canonical.com/ubuntu hardy partner\n    state: present\n    filename: partner\n",
};

const SOURCE_TYPES: &[&str] = &["deb", "deb-src"];

/// Ansible's file name for a repo line: the URI's host and path, non-alphanumerics as `_`.
pub(crate) fn suggest_filename(repo: &str) -> String {
    let mut line = String::new();
    let mut depth = 0;
    for c in repo.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => line.push(c),
            _ => {}
        }
    }
    let parts: Vec<String> = line
        .split_whitespace()
        .filter(|p| !SOURCE_TYPES.contains(p))
        .map(|p| {
            p.split_once("://")
                .map(|(_, r)| r.to_string())
                .unwrap_or_else(|| p.to_string())
        })
        .collect();
    let first = parts.first().cloned().unwrap_or_default();
    let first = first
        .rsplit_once('@')
        .map(|(_, h)| h.to_string())
        .unwrap_or(first);
    let cleaned: String = first
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join("_")
}

/// A source line reduced for comparison: whitespace collapsed, options kept, comment dropped.
pub(crate) fn normalize(line: &str) -> String {
    let line = line.split(" #").next().unwrap_or(line);
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `line` is `repo` (enabled) or a commented-out `repo`.
fn matches(line: &str, repo: &str) -> Option<bool> {
    let t = line.trim();
    if normalize(t) == repo {
        return Some(true);
    }
    let un = t.trim_start_matches('#').trim();
    (normalize(un) == repo).then_some(false)
}

/// The files to write (`Some(text)`) or delete (`None`), from the current files.
pub(crate) fn plan_files(
    files: &[(String, String)],
    repo: &str,
    present: bool,
    target: &str,
) -> Vec<(String, Option<String>)> {
    let repo = normalize(repo);
    let mut out = Vec::new();
    if present {
        if files
            .iter()
            .any(|(_, t)| t.lines().any(|l| matches(l, &repo) == Some(true)))
        {
            return out;
        }
        // A commented-out copy is enabled where it is.
        for (path, text) in files {
            if text.lines().any(|l| matches(l, &repo) == Some(false)) {
                let new: String = text
                    .lines()
                    .map(|l| {
                        if matches(l, &repo) == Some(false) {
                            format!("{repo}\n")
                        } else {
                            format!("{l}\n")
                        }
                    })
                    .collect();
                out.push((path.clone(), Some(new)));
                return out;
            }
        }
        let old = files
            .iter()
            .find(|(p, _)| p == target)
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        let mut new = old.clone();
        if !new.is_empty() && !new.ends_with('\n') {
            new.push('\n');
        }
        new.push_str(&repo);
        new.push('\n');
        out.push((target.to_string(), Some(new)));
    } else {
        for (path, text) in files {
            if text.lines().any(|l| matches(l, &repo) == Some(true)) {
                let new: String = text
                    .lines()
                    .filter(|l| matches(l, &repo) != Some(true))
                    .map(|l| format!("{l}\n"))
                    .collect();
                let empty = new.lines().all(|l| l.trim().is_empty());
                out.push((
                    path.clone(),
                    if empty && path.contains("sources.list.d/") {
                        None
                    } else {
                        Some(new)
                    },
                ));
            }
        }
    }
    out
}

/// Splits the probe output (`::file::PATH` headers) into (path, text) pairs.
fn parse_files(text: &str) -> Vec<(String, String)> {
    text.split("::file::")
        .skip(1)
        .map(|chunk| {
            let (path, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
            (path.trim().to_string(), body.to_string())
        })
        .collect()
}

fn target_file(args: &Args) -> String {
    let name = args
        .str("filename")
        .map(str::to_string)
        .unwrap_or_else(|| suggest_filename(args.str("repo").unwrap_or_default()));
    format!("/etc/apt/sources.list.d/{name}.list")
}

#[async_trait]
impl Module for AptRepositoryModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let repo = args.str("repo").unwrap_or_default();
        if repo.trim().starts_with("ppa:") {
            return Err(ModuleError::Args(
                "ppa: repositories are not supported by rplay's apt_repository; give the deb line"
                    .into(),
            ));
        }
        let out = ctx
            .host
            .run(Command::new(
                "for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [ -f \"$f\" ] || continue; printf '::file::%s\\n' \"$f\"; cat \"$f\"; echo; done; :",
            ))
            .await?;
        let files = parse_files(&out.stdout_str());
        // The trailing `echo` added one newline per file; drop it.
        let files: Vec<(String, String)> = files
            .into_iter()
            .map(|(p, t)| (p, t.strip_suffix('\n').unwrap_or(&t).to_string()))
            .collect();
        let present = args.str("state") != Some("absent");
        let target = target_file(args);
        let mut plan = Plan::default();
        for (path, new) in plan_files(&files, repo, present, &target) {
            let before = files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            let change = Change::new(
                format!("file:{path}"),
                Value::Null,
                Value::Bool(new.is_some()),
            )
            .with_text(TextDiff {
                before_header: path.clone(),
                after_header: path.clone(),
                before,
                after: new.unwrap_or_default(),
            });
            plan.changes.push(change);
        }
        plan.values
            .insert("repo".into(), Value::from(normalize(repo)));
        plan.values.insert(
            "state".into(),
            Value::from(if present { "present" } else { "absent" }),
        );
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let mut script = String::new();
        for c in &plan.changes {
            let Some(path) = c.field.strip_prefix("file:") else {
                continue;
            };
            let Some(t) = &c.text else { continue };
            if c.after == Value::Bool(true) {
                let mode = args
                    .str("mode")
                    .map(str::to_string)
                    .unwrap_or_else(|| "0644".into());
                let attrs = FileAttrs {
                    mode: Some(mode),
                    ..Default::default()
                };
                ctx.host
                    .put_file(path, Content::Bytes(t.after.clone().into_bytes()), &attrs)
                    .await?;
                if t.before.is_empty() {
                    added.push(Value::from(path));
                }
            } else {
                script.push_str(&format!("rm -f -- {}\n", quote(path)));
                removed.push(Value::from(path));
            }
        }
        if args
            .get("update_cache")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            let retries = args.int("update_cache_retries").unwrap_or(5).max(1);
            script.push_str(&format!(
                "i=0; until apt-get update -q >/dev/null 2>/tmp/.rplay-apt-update.$$; do i=$((i+1)); if [ $i -ge {retries} ]; then cat /tmp/.rplay-apt-update.$$ >&2; rm -f /tmp/.rplay-apt-update.$$; exit 100; fi; sleep 1; done; rm -f /tmp/.rplay-apt-update.$$\n"
            ));
        }
        let mut values = plan.values.clone();
        values.insert("sources_added".into(), Value::Array(added));
        values.insert("sources_removed".into(), Value::Array(removed));
        if !script.is_empty() {
            let out = ctx.host.run(Command::new(script)).await?;
            if out.rc != 0 {
                let mut o = Outcome::failed(format!(
                    "Failed to update apt cache: {}",
                    out.stderr_str().trim()
                ));
                o.values = values;
                return Ok(o);
            }
        }
        Ok(Outcome {
            changed: true,
            values,
            diffs: plan.changes,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_like_ansible() {
        assert_eq!(
            suggest_filename("deb http://dl.google.com/linux/chrome/deb/ stable main"),
            "dl_google_com_linux_chrome_deb"
        );
        assert_eq!(suggest_filename("deb [arch=amd64 signed-by=/k.gpg] https://download.docker.com/linux/debian bookworm stable"), "download_docker_com_linux_debian");
    }

    #[test]
    fn plans_add_enable_remove() {
        let files = vec![
            (
                "/etc/apt/sources.list".to_string(),
                "deb http://a/ x main\n# deb http://b/ y main\n".to_string(),
            ),
            (
                "/etc/apt/sources.list.d/c.list".to_string(),
                "deb  http://c/   z main\n".to_string(),
            ),
        ];
        assert!(plan_files(
            &files,
            "deb http://c/ z main",
            true,
            "/etc/apt/sources.list.d/c.list"
        )
        .is_empty());
        let p = plan_files(
            &files,
            "deb http://b/ y main",
            true,
            "/etc/apt/sources.list.d/b.list",
        );
        assert_eq!(
            p,
            vec![(
                "/etc/apt/sources.list".to_string(),
                Some("deb http://a/ x main\ndeb http://b/ y main\n".to_string())
            )]
        );
        let p = plan_files(
            &files,
            "deb http://d/ w main",
            true,
            "/etc/apt/sources.list.d/d.list",
        );
        assert_eq!(p[0].1.as_deref(), Some("deb http://d/ w main\n"));
        let p = plan_files(&files, "deb http://c/ z main", false, "");
        assert_eq!(
            p,
            vec![("/etc/apt/sources.list.d/c.list".to_string(), None)]
        );
    }
}
