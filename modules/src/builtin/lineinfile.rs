//! `lineinfile`: makes sure one line is present (replacing the last line matching `regexp` or
//! containing `search_string`, else inserting it after/before a matching line or at an end), or that
//! matching lines are absent. The edit is computed on the controller exactly as Ansible orders it.

use async_trait::async_trait;

use super::file::{
    ARG_ATTRIBUTES, ARG_GROUP, ARG_MODE, ARG_OWNER, ARG_SELEVEL, ARG_SEROLE, ARG_SETYPE,
    ARG_SEUSER, ARG_UNSAFE,
};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::textedit::{
    apply_edit, edit_options, expand_python_template, plan_edit, python_regex, read_host_text,
    split_keep_ends, HostText,
};
use crate::{Args, Context, Module, ModuleError, Outcome, Plan};

/// The `lineinfile` module.
pub struct LineinfileModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "lineinfile",
    fqcn: &["ansible.builtin.lineinfile", "ansible.legacy.lineinfile"],
    synopsis: "Manage one line in a text file.",
    description: "With `regexp` (or `search_string`) the last matching line is replaced by `line` (the first \
        with `firstmatch`); when nothing matches, `line` is inserted after the last line matching \
        `insertafter` (default end of file) or before `insertbefore`, unless an identical line exists. \
        `state: absent` removes every matching line.",
    args: &[
        ArgSpec::new("path", ArgKind::Path, "The file to edit.").required().aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("line", ArgKind::Str, "The line to insert or put in place.").aliases(&["value"]),
        ArgSpec::new("regexp", ArgKind::Str, "Python regular expression selecting the line to replace or remove.")
            .aliases(&["regex"]),
        ArgSpec::new("search_string", ArgKind::Str, "Literal text selecting the line to replace or remove."),
        ArgSpec::new("state", ArgKind::Str, "Whether the line should be there.")
            .default("\"present\"")
            .choices(&["absent", "present"]),
        ArgSpec::new("insertafter", ArgKind::Str, "`EOF`, `BOF` or a regular expression: insert after its last match."),
        ArgSpec::new("insertbefore", ArgKind::Str, "`BOF` or a regular expression: insert before its last match."),
        ArgSpec::new("firstmatch", ArgKind::Bool, "Use the first match of regexp/insertafter/insertbefore.")
            .default("false"),
        ArgSpec::new("backrefs", ArgKind::Bool, "Expand `\\1` groups of regexp in line; do nothing when regexp does not match.")
            .default("false"),
        ArgSpec::new("create", ArgKind::Bool, "Create the file when it is missing.").default("false"),
        ArgSpec::new("backup", ArgKind::Bool, "Keep a timestamped copy of the old file.").default("false"),
        ArgSpec::new("validate", ArgKind::Str, "Command checking the new file (`%s` is its path)."),
        ArgSpec::new("others", ArgKind::Raw, "Accepted for compatibility."),
        ARG_MODE,
        ARG_OWNER,
        ARG_GROUP,
        ARG_SEUSER,
        ARG_SEROLE,
        ARG_SETYPE,
        ARG_SELEVEL,
        ARG_ATTRIBUTES,
        ARG_UNSAFE,
    ],
    free_form: None,
    mutually_exclusive: &[&["insertbefore", "insertafter"], &["regexp", "search_string"], &["backrefs", "search_string"]],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "msg", returned: "always", doc: "`line added`, `line replaced`, `N line(s) removed` or empty." },
        ReturnSpec { name: "backup", returned: "always", doc: "Path of the backup, or empty." },
    ],
    examples: "- name: Disable root login\n  ansible.builtin.lineinfile:\n    path: /etc/ssh/sshd_config\n    regexp: '^#?PermitRootLogin'\n    line: PermitRootLogin no\n    validate: sshd -t -f %s\n",
};

/// The parts of the task that decide the edit.
#[derive(Debug, Clone, Default)]
struct LineArgs {
    line: Option<String>,
    regexp: Option<String>,
    search_string: Option<String>,
    present: bool,
    insertafter: Option<String>,
    insertbefore: Option<String>,
    firstmatch: bool,
    backrefs: bool,
    create: bool,
}

impl LineArgs {
    fn from(args: &Args) -> Result<Self, ModuleError> {
        let la = LineArgs {
            line: args.str("line").map(str::to_string),
            regexp: args.str("regexp").map(str::to_string),
            search_string: args.str("search_string").map(str::to_string),
            present: args.str("state") != Some("absent"),
            insertafter: args.str("insertafter").map(str::to_string),
            insertbefore: args.str("insertbefore").map(str::to_string),
            firstmatch: args.bool("firstmatch"),
            backrefs: args.bool("backrefs"),
            create: args.bool("create"),
        };
        if la.present && la.line.is_none() {
            return Err(ModuleError::Args(
                "state is present but all of the following are missing: line".into(),
            ));
        }
        if la.backrefs && la.regexp.is_none() {
            return Err(ModuleError::Args(
                "regexp is required with backrefs=true".into(),
            ));
        }
        if !la.present && la.regexp.is_none() && la.search_string.is_none() && la.line.is_none() {
            return Err(ModuleError::Args(
                "one of line, search_string, or regexp is required with state=absent".into(),
            ));
        }
        Ok(la)
    }
}

/// The pure edit: `(new contents or None when missing and not created, msg)`.
fn edit(
    la: &LineArgs,
    path: &str,
    content: Option<&[u8]>,
) -> Result<(Option<Vec<u8>>, String), String> {
    let Some(content) = content else {
        if !la.present {
            return Ok((None, "file not present".into()));
        }
        if !la.create {
            return Err(format!("Destination {path} does not exist !"));
        }
        return present(la, Vec::new())
            .map(|(lines, msg)| (Some(lines.concat().into_bytes()), msg));
    };
    let text = String::from_utf8_lossy(content).into_owned();
    let lines = split_keep_ends(&text);
    let (lines, msg) = if la.present {
        present(la, lines)?
    } else {
        absent(la, lines)?
    };
    Ok((Some(lines.concat().into_bytes()), msg))
}

fn strip_nl(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

fn present(la: &LineArgs, mut lines: Vec<String>) -> Result<(Vec<String>, String), String> {
    let line = la.line.clone().unwrap_or_default();
    let re_m = la
        .regexp
        .as_deref()
        .map(|r| python_regex(r, false, false))
        .transpose()?;
    let ins = match (&la.insertafter, &la.insertbefore) {
        (Some(a), _) if a != "BOF" && a != "EOF" => Some(python_regex(a, false, false)?),
        (None, Some(b)) if b != "BOF" => Some(python_regex(b, false, false)?),
        _ => None,
    };
    let mut index = [-1i64, -1i64];
    let mut matched: Option<Option<String>> = None; // Some(expanded line when backrefs)
    let mut exact = false;
    if let Some(re) = &re_m {
        for (n, l) in lines.iter().enumerate() {
            let subject = l.strip_suffix('\n').unwrap_or(l);
            if let Some(caps) = re.captures(subject) {
                index[0] = n as i64;
                matched = Some(if la.backrefs {
                    Some(expand_python_template(&line, &caps))
                } else {
                    None
                });
                if la.firstmatch {
                    break;
                }
            }
        }
    }
    if let Some(ss) = &la.search_string {
        for (n, l) in lines.iter().enumerate() {
            if l.contains(ss.as_str()) {
                index[0] = n as i64;
                matched = Some(None);
                if la.firstmatch {
                    break;
                }
            }
        }
    }
    if matched.is_none() {
        for (n, l) in lines.iter().enumerate() {
            if strip_nl(l) == line {
                index[0] = n as i64;
                exact = true;
            } else if let Some(re) = &ins {
                if re.is_match(l.strip_suffix('\n').unwrap_or(l)) {
                    if la.insertafter.is_some() {
                        index[1] = n as i64 + 1;
                        if la.firstmatch {
                            break;
                        }
                    }
                    if la.insertbefore.is_some() {
                        index[1] = n as i64;
                        if la.firstmatch {
                            break;
                        }
                    }
                }
            }
        }
    }
    let ensure_last_newline = |lines: &mut Vec<String>| {
        if let Some(last) = lines.last_mut() {
            if !last.ends_with('\n') && !last.ends_with('\r') {
                last.push('\n');
            }
        }
    };
    let added = || "line added".to_string();
    let with_nl = |s: &str| format!("{s}\n");
    if index[0] != -1 {
        let mut new_line = match &matched {
            Some(Some(expanded)) => expanded.clone(),
            _ => line.clone(),
        };
        if !new_line.ends_with('\n') {
            new_line.push('\n');
        }
        let i0 = index[0] as usize;
        if la.regexp.is_none() && la.search_string.is_none() && matched.is_none() && !exact {
            // Unreachable in practice (an index without a match means an exact match); kept for parity.
            return Ok((lines, String::new()));
        }
        if lines[i0] != new_line {
            lines[i0] = new_line;
            return Ok((lines, "line replaced".into()));
        }
        return Ok((lines, String::new()));
    }
    if la.backrefs {
        return Ok((lines, String::new()));
    }
    if la.insertbefore.as_deref() == Some("BOF") || la.insertafter.as_deref() == Some("BOF") {
        lines.insert(0, with_nl(&line));
        return Ok((lines, added()));
    }
    if la.insertafter.as_deref() == Some("EOF") || index[1] == -1 {
        ensure_last_newline(&mut lines);
        lines.push(with_nl(&line));
        return Ok((lines, added()));
    }
    let i1 = index[1] as usize;
    if la.insertafter.is_some() {
        if lines.len() == i1 {
            if strip_nl(&lines[i1 - 1]) != line {
                ensure_last_newline(&mut lines);
                lines.push(with_nl(&line));
                return Ok((lines, added()));
            }
            return Ok((lines, String::new()));
        }
        if strip_nl(&lines[i1]) != line {
            lines.insert(i1, with_nl(&line));
            return Ok((lines, added()));
        }
        return Ok((lines, String::new()));
    }
    lines.insert(i1, with_nl(&line));
    Ok((lines, added()))
}

fn absent(la: &LineArgs, lines: Vec<String>) -> Result<(Vec<String>, String), String> {
    let re = la
        .regexp
        .as_deref()
        .map(|r| python_regex(r, false, false))
        .transpose()?;
    let mut found = 0;
    let kept: Vec<String> = lines
        .into_iter()
        .filter(|l| {
            let hit = if let Some(re) = &re {
                re.is_match(l.strip_suffix('\n').unwrap_or(l))
            } else if let Some(ss) = &la.search_string {
                l.contains(ss.as_str())
            } else {
                strip_nl(l) == la.line.as_deref().unwrap_or_default()
            };
            if hit {
                found += 1;
            }
            !hit
        })
        .collect();
    let msg = if found > 0 {
        format!("{found} line(s) removed")
    } else {
        String::new()
    };
    Ok((kept, msg))
}

fn compute(la: &LineArgs, file: &HostText) -> Result<(Option<Vec<u8>>, String), ModuleError> {
    edit(la, &file.path, file.content.as_deref()).map_err(ModuleError::Failed)
}

#[async_trait]
impl Module for LineinfileModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let la = LineArgs::from(args)?;
        let opts = edit_options(args, ctx.diff)?;
        let path = args.str("path").unwrap_or_default();
        let file = read_host_text(ctx, path, &opts.wanted).await?;
        let (new, msg) = match compute(&la, &file) {
            Ok(r) => r,
            Err(ModuleError::Failed(msg)) if file.stat.is_none() => {
                let mut v = crate::Map::new();
                v.insert("rc".into(), 257.into());
                return Ok(Plan::failed(msg, v));
            }
            Err(e) => return Err(e),
        };
        if file.stat.is_none() && new.is_none() {
            let mut p = Plan::default();
            p.values.insert("msg".into(), msg.clone().into());
            p.values.insert("backup".into(), "".into());
            p.msg = Some(msg);
            return Ok(p);
        }
        let mut plan = plan_edit(&file, new, &msg, &opts)?;
        if !la.present {
            let found: u64 = msg
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            plan.values.insert("found".into(), found.into());
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let la = LineArgs::from(args)?;
        let opts = edit_options(args, ctx.diff)?;
        let path = args.str("path").unwrap_or_default();
        let file = read_host_text(ctx, path, &opts.wanted).await?;
        let (new, _) = compute(&la, &file)?;
        let found = plan.values.get("found").cloned();
        let mut outcome = apply_edit(ctx, &file, plan, &opts, new).await?;
        if let Some(found) = found {
            outcome.values.insert("found".into(), found);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn la(line: &str) -> LineArgs {
        LineArgs {
            line: Some(line.into()),
            present: true,
            ..Default::default()
        }
    }

    fn run(la: &LineArgs, text: &str) -> (String, String) {
        let (new, msg) = edit(la, "/f", Some(text.as_bytes())).unwrap();
        (String::from_utf8(new.unwrap()).unwrap(), msg)
    }

    #[test]
    fn last_regexp_match_is_replaced() {
        let mut a = la("a=X");
        a.regexp = Some("^a=".into());
        assert_eq!(
            run(&a, "a=1\nb=2\na=9\n"),
            ("a=1\nb=2\na=X\n".into(), "line replaced".into())
        );
        a.firstmatch = true;
        assert_eq!(run(&a, "a=1\nb=2\na=9\n").0, "a=X\nb=2\na=9\n");
        assert_eq!(run(&a, "a=X\n"), ("a=X\n".into(), "".into()));
    }

    #[test]
    fn insertion_points() {
        assert_eq!(
            run(&la("x"), "a\nb"),
            ("a\nb\nx\n".into(), "line added".into())
        );
        assert_eq!(run(&la("a"), "a\nb\n"), ("a\nb\n".into(), "".into()));
        let mut a = la("x");
        a.insertafter = Some("^a".into());
        assert_eq!(run(&a, "a\nb\na\nc\n").0, "a\nb\na\nx\nc\n");
        let mut b = la("x");
        b.insertbefore = Some("^b".into());
        assert_eq!(run(&b, "a\nb\nc\n").0, "a\nx\nb\nc\n");
        let mut c = la("x");
        c.insertbefore = Some("BOF".into());
        assert_eq!(run(&c, "a\n").0, "x\na\n");
        let mut d = la("x");
        d.insertafter = Some("^nomatch".into());
        assert_eq!(run(&d, "a\n").0, "a\nx\n");
        // regexp given but not matching: insertafter decides.
        let mut e = la("port=80");
        e.regexp = Some("^port=".into());
        e.insertafter = Some("^\\[main\\]".into());
        assert_eq!(run(&e, "[main]\nx=1\n").0, "[main]\nport=80\nx=1\n");
    }

    #[test]
    fn backrefs_and_absent() {
        let mut a = la("\\1=yes");
        a.regexp = Some("^(\\w+)=no$".into());
        a.backrefs = true;
        assert_eq!(run(&a, "x=no\n").0, "x=yes\n");
        assert_eq!(run(&a, "y=maybe\n"), ("y=maybe\n".into(), "".into()));
        let mut r = LineArgs {
            regexp: Some("^#".into()),
            ..Default::default()
        };
        assert_eq!(
            run(&r, "#a\nb\n#c\n"),
            ("b\n".into(), "2 line(s) removed".into())
        );
        r.regexp = None;
        r.line = Some("b".into());
        assert_eq!(
            run(&r, "#a\nb\n"),
            ("#a\n".into(), "1 line(s) removed".into())
        );
    }

    #[test]
    fn missing_file() {
        assert_eq!(
            edit(&la("x"), "/f", None).unwrap_err(),
            "Destination /f does not exist !"
        );
        let mut c = la("x");
        c.create = true;
        assert_eq!(edit(&c, "/f", None).unwrap().0, Some(b"x\n".to_vec()));
    }
}
