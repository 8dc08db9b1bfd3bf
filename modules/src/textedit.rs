//! Editing a text file in place (lineinfile, blockinfile, replace): one probe reads the file's
//! state and contents, the edit is computed on the controller (Python-style regular expressions
//! and replacement templates), and the new contents go through `copy`'s write path (backup,
//! validate, attributes kept).

use regex::{Captures, Regex, RegexBuilder};

use crate::builtin::copy::{apply_write, Source, WriteSpec};
use crate::fileattr::{
    attr_changes, lookup_code, parse_lookup, parse_stat, stat_code, FileKind, FileState,
    ResolvedIds, WantedAttrs,
};
use crate::shell::{quote, ProbeScript};
use crate::{Args, Change, Command, Context, Map, ModuleError, Outcome, Plan, TextDiff, Value};

/// A text file as found on the host.
#[derive(Debug, Clone)]
pub struct HostText {
    /// The path.
    pub path: String,
    /// Its state (`None` when absent).
    pub stat: Option<FileState>,
    /// Its contents (`None` when absent).
    pub content: Option<Vec<u8>>,
    /// Wanted owner/group ids.
    pub ids: ResolvedIds,
}

/// Reads `path` (state, contents, owner/group ids) in one round trip.
pub async fn read_host_text(
    ctx: &Context<'_>,
    path: &str,
    wanted: &WantedAttrs,
) -> Result<HostText, ModuleError> {
    let mut p = ProbeScript::new();
    p.prelude(&format!("p={}", quote(path)));
    p.section("stat", &stat_code("p", true));
    p.section("content", "if [ -f \"$p\" ]; then cat -- \"$p\"; fi");
    p.section("ids", &lookup_code(wanted));
    let out = ctx.host.run(Command::new(p.script())).await?;
    let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
    let get = |n: &str| s.get(n).map_err(ModuleError::Protocol);
    let stat = parse_stat(&get("stat")?.text()).map_err(ModuleError::Protocol)?;
    if stat.as_ref().is_some_and(|s| s.kind == FileKind::Directory) {
        return Err(ModuleError::Failed(format!("Path {path} is a directory !")));
    }
    let content = stat
        .as_ref()
        .map(|_| get("content").map(|c| c.out.clone()))
        .transpose()?;
    Ok(HostText {
        path: path.to_string(),
        stat,
        content,
        ids: parse_lookup(wanted, &get("ids")?.text()).map_err(ModuleError::Failed)?,
    })
}

/// How an edit is written back.
#[derive(Debug, Clone, Default)]
pub struct EditOptions {
    /// Keep a backup of the old file.
    pub backup: bool,
    /// Validation command with `%s`.
    pub validate: Option<String>,
    /// Wanted attributes.
    pub wanted: WantedAttrs,
    /// Fill in the `--diff` texts.
    pub diff: bool,
}

/// Plans writing `new` (when it differs) and the attributes. `msg` is the module's message for a
/// content change; attribute changes extend it as Ansible does.
pub fn plan_edit(
    file: &HostText,
    new: Option<Vec<u8>>,
    msg: &str,
    opts: &EditOptions,
) -> Result<Plan, ModuleError> {
    let mut changes = Vec::new();
    let old = file.content.clone().unwrap_or_default();
    let new = new.filter(|n| file.content.is_none() || *n != old);
    if let Some(new) = &new {
        let mut c = Change::new(
            "content",
            file.content
                .as_ref()
                .map(|o| Value::String(crate::builtin::copy::sha1_hex(o))),
            crate::builtin::copy::sha1_hex(new),
        );
        if opts.diff {
            let header = format!("{} (content)", file.path);
            c = c.with_text(TextDiff {
                before_header: header.clone(),
                after_header: header,
                before: String::from_utf8_lossy(&old).into_owned(),
                after: String::from_utf8_lossy(new).into_owned(),
            });
        }
        changes.push(c);
    }
    let attrs = attr_changes(file.stat.as_ref(), &opts.wanted, &file.ids, false, 0o644)
        .map_err(ModuleError::Failed)?;
    let mut message = if new.is_some() {
        msg.to_string()
    } else {
        String::new()
    };
    if !attrs.is_empty() {
        if !message.is_empty() {
            message.push_str(" and ");
        }
        message.push_str("ownership, perms or SE linux context changed");
    }
    changes.extend(attrs);
    let mut values = Map::new();
    values.insert("msg".into(), Value::String(message.clone()));
    values.insert("backup".into(), Value::String(String::new()));
    Ok(Plan {
        changes,
        values,
        msg: Some(message),
        ..Default::default()
    })
}

/// Applies a [`plan_edit`] plan, given the new contents computed again from a fresh read (they
/// must be what the plan announced); the result carries `msg` and `backup` like Ansible's.
pub async fn apply_edit(
    ctx: &Context<'_>,
    file: &HostText,
    mut plan: Plan,
    opts: &EditOptions,
    new: Option<Vec<u8>>,
) -> Result<Outcome, ModuleError> {
    let path = file.path.as_str();
    let planned = plan
        .changes
        .iter()
        .find(|c| c.field == "content")
        .map(|c| c.after.clone());
    let new = match (planned, new) {
        (Some(sum), Some(new)) => {
            if Value::String(crate::builtin::copy::sha1_hex(&new)) != sum {
                return Err(ModuleError::Failed(format!(
                    "{path} changed on the host between planning and applying; run again"
                )));
            }
            new
        }
        (Some(_), None) => {
            return Err(ModuleError::Failed(format!(
                "{path} changed on the host between planning and applying; run again"
            )))
        }
        (None, _) => Vec::new(),
    };
    let msg = plan
        .values
        .get("msg")
        .cloned()
        .unwrap_or(Value::String(String::new()));
    // What copy's write path needs to keep the old file's attributes.
    plan.values
        .insert("dest".into(), Value::String(file.path.clone()));
    if let Some(st) = &file.stat {
        plan.values.extend(st.attr_values());
    }
    if plan.changes.iter().any(|c| c.field == "content") {
        // Parent directories of a created file.
        if file.stat.is_none() {
            let dir = match path.rfind('/') {
                Some(i) if i > 0 => &path[..i],
                _ => "",
            };
            if !dir.is_empty() {
                let out = ctx
                    .host
                    .run(Command::new(format!("mkdir -p -- {}", quote(dir))))
                    .await?;
                if out.rc != 0 {
                    return Ok(Outcome::failed(out.stderr_str().trim().to_string()));
                }
            }
        }
    }
    let ws = WriteSpec {
        dest: path.to_string(),
        basename: None,
        source: Source::Bytes(new),
        src_label: None,
        after_header: path.to_string(),
        force: true,
        backup: opts.backup,
        validate: opts.validate.clone(),
        wanted: opts.wanted.clone(),
        source_mode: None,
    };
    let outcome = apply_write(&ws, plan, ctx).await?;
    let mut values = Map::new();
    values.insert("msg".into(), msg.clone());
    let backup = outcome
        .values
        .get("backup_file")
        .cloned()
        .unwrap_or(Value::String(String::new()));
    values.insert("backup".into(), backup);
    if outcome.failed {
        return Ok(Outcome { values, ..outcome });
    }
    Ok(Outcome {
        changed: true,
        msg: msg.as_str().map(str::to_string),
        values,
        ..outcome
    })
}

/// Compiles a Python `re` pattern with the closest Rust regex (`multi_line` for `re.MULTILINE`,
/// `dot_all` for `re.DOTALL`).
pub fn python_regex(pattern: &str, multi_line: bool, dot_all: bool) -> Result<Regex, String> {
    // Python spells named groups `(?P<name>...)`, which Rust accepts too; `\Z` is Rust's `\z`.
    let translated = pattern.replace("\\Z", "\\z");
    RegexBuilder::new(&translated)
        .multi_line(multi_line)
        .dot_matches_new_line(dot_all)
        .build()
        .map_err(|e| format!("invalid regular expression {pattern:?}: {e}"))
}

/// Expands a Python replacement template (`\1`, `\g<1>`, `\g<name>`, `\n`, `\t`, `\\`) with `caps`.
pub fn expand_python_template(template: &str, caps: &Captures<'_>) -> String {
    let mut out = String::new();
    let chars: Vec<char> = template.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' || i + 1 >= chars.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = chars[i + 1];
        if n.is_ascii_digit() {
            let mut j = i + 1;
            let mut num = String::new();
            while j < chars.len() && chars[j].is_ascii_digit() && num.len() < 2 {
                num.push(chars[j]);
                j += 1;
            }
            if let Ok(g) = num.parse::<usize>() {
                out.push_str(caps.get(g).map(|m| m.as_str()).unwrap_or(""));
            }
            i = j;
            continue;
        }
        if n == 'g' && chars.get(i + 2) == Some(&'<') {
            if let Some(end) = chars[i + 3..].iter().position(|c| *c == '>') {
                let name: String = chars[i + 3..i + 3 + end].iter().collect();
                let m = match name.parse::<usize>() {
                    Ok(g) => caps.get(g),
                    Err(_) => caps.name(&name),
                };
                out.push_str(m.map(|m| m.as_str()).unwrap_or(""));
                i += 4 + end;
                continue;
            }
        }
        match n {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '\\' => out.push('\\'),
            other => {
                out.push('\\');
                out.push(other);
            }
        }
        i += 2;
    }
    out
}

/// Splits text into lines that keep their endings (Python's `splitlines(True)` for `\n` files).
pub fn split_keep_ends(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if c == '\n' {
            lines.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Reads the shared edit options from validated arguments.
pub fn edit_options(args: &Args, diff: bool) -> Result<EditOptions, ModuleError> {
    Ok(EditOptions {
        backup: args.bool("backup"),
        validate: args.str("validate").map(str::to_string),
        wanted: WantedAttrs::from_args(args).map_err(ModuleError::Args)?,
        diff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_templates() {
        let re = python_regex(r"^(?P<key>\w+)=(\d+)$", false, false).unwrap();
        let caps = re.captures("port=80").unwrap();
        assert_eq!(expand_python_template(r"\1 = \2", &caps), "port = 80");
        assert_eq!(
            expand_python_template(r"\g<key>:\g<2>\n", &caps),
            "port:80\n"
        );
        assert_eq!(expand_python_template(r"a\\b\q", &caps), "a\\b\\q");
    }

    #[test]
    fn lines_keep_endings() {
        assert_eq!(split_keep_ends("a\nb"), vec!["a\n", "b"]);
        assert_eq!(split_keep_ends("a\n\n"), vec!["a\n", "\n"]);
        assert!(split_keep_ends("").is_empty());
    }
}
