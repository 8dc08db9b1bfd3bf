//! `ini_file` (community.general.ini_file): one option of one section of an INI file present with
//! given values, or absent, or a whole section absent. The file is read in the one probe every
//! text edit uses and the new text is computed here, line by line, the way the Ansible module does
//! it (commented-out options are reused, new options go after the section's last real line, a
//! missing section is appended), so both tools leave byte-identical files.

use async_trait::async_trait;
use regex::Regex;

use super::file::{
    ARG_ATTRIBUTES, ARG_GROUP, ARG_MODE, ARG_OWNER, ARG_SELEVEL, ARG_SEROLE, ARG_SETYPE,
    ARG_SEUSER, ARG_UNSAFE,
};
use crate::shell::quote;
use crate::spec::{value_to_string, ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::textedit::{apply_edit, edit_options, plan_edit, read_host_text, HostText};
use crate::{Args, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `ini_file` module.
pub struct IniFileModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "ini_file",
    fqcn: &["community.general.ini_file", "community.general.files.ini_file"],
    synopsis: "Manage options and sections of INI files.",
    description: "Sets `option` in `section` to `value` (or to the list `values`, one line each), removes an \
        option or a whole section. Without `section`, options before the first section are managed. A \
        commented-out option (`# option = x`) is replaced in place unless `modify_inactive_option` is false.",
    args: &[
        ArgSpec::new("path", ArgKind::Path, "The INI file.").required().aliases(&["dest"]),
        ArgSpec::new("section", ArgKind::Str, "Section name (without brackets); absent: the top of the file."),
        ArgSpec::new("section_has_values", ArgKind::List, "Only a section holding these `option`/`value(s)` pairs counts as `section`."),
        ArgSpec::new("option", ArgKind::Str, "The option; absent with `state: absent` removes the whole section."),
        ArgSpec::new("value", ArgKind::Str, "The option's value."),
        ArgSpec::new("values", ArgKind::List, "Several values of the option, one line each."),
        ArgSpec::new("state", ArgKind::Str, "Whether the option (or section) is there.").default("\"present\"").choices(&["absent", "present"]),
        ArgSpec::new("exclusive", ArgKind::Bool, "Remove other lines of the same option.").default("true"),
        ArgSpec::new("no_extra_spaces", ArgKind::Bool, "Write `option=value` instead of `option = value`.").default("false"),
        ArgSpec::new("ignore_spaces", ArgKind::Bool, "Do not rewrite a line whose value is already right but spaced differently.").default("false"),
        ArgSpec::new("allow_no_value", ArgKind::Bool, "Allow an option without `=` and value.").default("false"),
        ArgSpec::new("modify_inactive_option", ArgKind::Bool, "Replace a commented-out option instead of adding a line.").default("true"),
        ArgSpec::new("create", ArgKind::Bool, "Create the file when it is missing.").default("true"),
        ArgSpec::new("follow", ArgKind::Bool, "Edit the target of a symbolic link instead of replacing the link.").default("false"),
        ArgSpec::new("backup", ArgKind::Bool, "Keep a timestamped copy of the old file.").default("false"),
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
    mutually_exclusive: &[&["value", "values"]],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "msg", returned: "always", doc: "`OK`, `option added`, `option changed`, `section and option added`, `only section added` or `section removed`." },
        ReturnSpec { name: "path", returned: "always", doc: "The file." },
        ReturnSpec { name: "backup_file", returned: "changed and backup", doc: "Path of the backup." },
    ],
    examples: "- name: Listen on port 8080\n  community.general.ini_file:\n    path: /etc/app/app.ini\n    section: server\n    option: port\n    value: \"8080\"\n    mode: \"0644\"\n",
};

/// Name of the stand-in section that holds the lines before the first header.
const TOP_SECTION: &str = "ad01e11446efb704fcdbdb21f2c43757423d91c5";

/// A `section_has_values` condition: the section holds `option` with one of `values` (any value
/// when empty).
#[derive(Debug, Clone)]
struct Condition {
    option: String,
    values: Vec<String>,
}

/// What the task asks for.
#[derive(Debug, Clone)]
struct IniWanted {
    section: Option<String>,
    conditions: Vec<Condition>,
    option: Option<String>,
    values: Vec<String>,
    present: bool,
    exclusive: bool,
    no_extra_spaces: bool,
    ignore_spaces: bool,
    allow_no_value: bool,
    modify_inactive_option: bool,
}

impl IniWanted {
    fn from(args: &Args) -> Result<IniWanted, ModuleError> {
        let present = args.str("state") != Some("absent");
        let allow_no_value = args.bool("allow_no_value");
        let mut values: Vec<String> = match args.str("value") {
            Some(v) => vec![v.to_string()],
            None => args.str_list("values"),
        };
        if present && !allow_no_value && values.is_empty() {
            return Err(ModuleError::Failed(
                "Parameter 'value(s)' must be defined if state=present and allow_no_value=False."
                    .into(),
            ));
        }
        let mut seen = Vec::new();
        values.retain(|v| {
            let first = !seen.contains(v);
            seen.push(v.clone());
            first
        });
        let conditions = match args.get("section_has_values") {
            Some(Value::Array(items)) => {
                items.iter().map(condition).collect::<Result<Vec<_>, _>>()?
            }
            _ => Vec::new(),
        };
        Ok(IniWanted {
            section: args.str("section").map(str::to_string),
            conditions,
            option: args.str("option").map(str::to_string),
            values,
            present,
            exclusive: args.bool("exclusive"),
            no_extra_spaces: args.bool("no_extra_spaces"),
            ignore_spaces: args.bool("ignore_spaces"),
            allow_no_value,
            modify_inactive_option: args.bool("modify_inactive_option"),
        })
    }

    fn assignment(&self, option: &str, value: &str) -> String {
        if self.no_extra_spaces {
            format!("{option}={value}\n")
        } else {
            format!("{option} = {value}\n")
        }
    }
}

fn condition(item: &Value) -> Result<Condition, ModuleError> {
    let bad = |why: &str| ModuleError::Failed(format!("section_has_values: {why}"));
    let Value::Object(m) = item else {
        return Err(bad(
            "each item must be a dict with `option` and `value` or `values`",
        ));
    };
    for k in m.keys() {
        if !matches!(k.as_str(), "option" | "value" | "values") {
            return Err(bad(&format!(
                "unsupported parameter {k} (supported: option, value, values)"
            )));
        }
    }
    let option = match m.get("option") {
        Some(v) if !v.is_null() => value_to_string(v),
        _ => return Err(bad("missing required argument: option")),
    };
    let values = match (m.get("value"), m.get("values")) {
        (Some(v), Some(w)) if !v.is_null() && !w.is_null() => {
            return Err(bad("parameters are mutually exclusive: value|values"))
        }
        (Some(v), _) if !v.is_null() => vec![value_to_string(v)],
        (_, Some(Value::Array(items))) => items.iter().map(value_to_string).collect(),
        (_, Some(v)) if !v.is_null() => vec![value_to_string(v)],
        _ => Vec::new(),
    };
    Ok(Condition { option, values })
}

/// An option line: whether it is commented out, and its value (text after `=`, spaces before
/// it dropped).
struct OptionLine {
    commented: bool,
    value: String,
}

/// Matches `option` on `line` (`#`/`;`-commented too when `inactive`), as `[ \t]*[#;]?[ \t]*
/// option[ \t]*(=|end)[ \t]*value`.
fn match_option(option: &str, line: &str, inactive: bool) -> Option<OptionLine> {
    let comment = if inactive { "([#;]?)" } else { "()" };
    let re = Regex::new(&format!(
        r"^[ \t]*{comment}[ \t]*{}[ \t]*(?:=|$)[ \t]*(.*)",
        regex::escape(option)
    ))
    .ok()?;
    let body = line.strip_suffix('\n').unwrap_or(line);
    let caps = re.captures(body)?;
    Some(OptionLine {
        commented: caps.get(1).is_some_and(|m| !m.as_str().is_empty()),
        value: caps.get(2).map_or("", |m| m.as_str()).to_string(),
    })
}

/// A blank line or a comment.
fn blank_or_comment(line: &str) -> bool {
    let body = line
        .strip_suffix('\n')
        .unwrap_or(line)
        .trim_start_matches([' ', '\t']);
    body.is_empty() || body.starts_with('#') || body.starts_with(';')
}

/// Whether the section's lines satisfy every condition.
fn has_values(conditions: &[Condition], lines: &[String]) -> bool {
    conditions.iter().all(|c| {
        lines.iter().any(|l| {
            match_option(&c.option, l, true)
                .is_some_and(|m| c.values.is_empty() || c.values.contains(&m.value))
        })
    })
}

/// The edit result: new text, whether it changed, and the module's message.
#[derive(Debug, PartialEq, Eq)]
struct IniEdit {
    text: String,
    changed: bool,
    msg: String,
}

/// The pure edit of the file's text (`None` when the file does not exist yet).
fn edit(w: &IniWanted, old: Option<&str>) -> Result<IniEdit, String> {
    let mut w = w.clone();
    let old = old.unwrap_or("");
    // Python reads text files with universal newlines and without a UTF-8 BOM.
    let normalized = old
        .strip_prefix('\u{feff}')
        .unwrap_or(old)
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let mut lines: Vec<String> = normalized
        .split_inclusive('\n')
        .map(str::to_string)
        .collect();
    let mut changed = false;
    if lines.is_empty() {
        lines.push("\n".into());
    }
    if let Some(last) = lines.last_mut() {
        if !last.ends_with('\n') {
            last.push('\n');
            changed = true;
        }
    }
    // Stand-in header at the top and an end marker simplify finding the section's bounds.
    lines.insert(0, format!("[{TOP_SECTION}]"));
    lines.push("[".into());
    let section_name = w.section.clone().filter(|s| !s.is_empty());
    let header = Regex::new(&format!(
        r"^\[\s*{}\s*]",
        regex::escape(section_name.as_deref().unwrap_or(TOP_SECTION).trim())
    ))
    .map_err(|e| e.to_string())?;
    let (mut within, mut start, mut end) = (false, 0, 0);
    for (i, line) in lines.iter().enumerate() {
        if within && line.starts_with('[') {
            if has_values(&w.conditions, &lines[start..i]) {
                end = i;
                break;
            }
            (within, start, end) = (false, 0, 0);
        }
        if header.is_match(line) {
            within = true;
            start = i;
        }
    }
    let before = lines[..start].to_vec();
    let mut section = lines[start..end].to_vec();
    let after = lines[end..].to_vec();
    let mut touched = vec![false; section.len()];
    let inactive = w.modify_inactive_option;
    let mut msg = "OK".to_string();
    let mut no_value_present = false;

    // Rewrites line `i` to `new` unless only its spacing differs (with `ignore_spaces`).
    let ignore_spaces = w.ignore_spaces;
    let update = |section: &mut Vec<String>,
                  touched: &mut Vec<bool>,
                  option: &str,
                  i: usize,
                  new: String,
                  changed: &mut bool,
                  msg: &mut String| {
        let mut differs = None;
        if ignore_spaces {
            if let Some(old) = match_option(option, &section[i], true) {
                if !old.commented {
                    let new_value = match_option(option, &new, true).map(|m| m.value);
                    differs = Some(new_value.as_deref() != Some(old.value.as_str()));
                }
            }
        }
        if differs.unwrap_or(section[i] != new) {
            section[i] = new;
            *changed = true;
            *msg = "option changed".into();
        }
        touched[i] = true;
    };

    if w.present {
        if let Some(option) = w.option.clone() {
            for i in 0..section.len() {
                let Some(m) = match_option(&option, &section[i], inactive) else {
                    continue;
                };
                if !w.values.is_empty() && w.values.contains(&m.value) {
                    let new = if m.value.is_empty() && w.allow_no_value {
                        no_value_present = true;
                        format!("{option}\n")
                    } else {
                        w.assignment(&option, &m.value)
                    };
                    update(
                        &mut section,
                        &mut touched,
                        &option,
                        i,
                        new,
                        &mut changed,
                        &mut msg,
                    );
                    if let Some(pos) = w.values.iter().position(|v| *v == m.value) {
                        w.values.remove(pos);
                    }
                } else if w.values.is_empty() && w.allow_no_value {
                    let new = format!("{option}\n");
                    update(
                        &mut section,
                        &mut touched,
                        &option,
                        i,
                        new,
                        &mut changed,
                        &mut msg,
                    );
                    no_value_present = true;
                    break;
                }
            }
        }
        if w.exclusive && !w.allow_no_value {
            if let Some(option) = w.option.clone() {
                if !w.values.is_empty() {
                    for i in 0..section.len() {
                        if !touched[i] && match_option(&option, &section[i], inactive).is_some() {
                            let value = w.values.remove(0);
                            let new = w.assignment(&option, &value);
                            update(
                                &mut section,
                                &mut touched,
                                &option,
                                i,
                                new,
                                &mut changed,
                                &mut msg,
                            );
                            if w.values.is_empty() {
                                break;
                            }
                        }
                    }
                }
                // Other lines of the option go (the header, line 0, is never one).
                for i in (1..section.len()).rev() {
                    if !touched[i] && match_option(&option, &section[i], inactive).is_some() {
                        section.remove(i);
                        touched.remove(i);
                        changed = true;
                        msg = "option changed".into();
                    }
                }
            }
        }
        // Missing lines go after the section's last line that is neither blank nor a comment.
        if let Some(i) = (1..=section.len())
            .rev()
            .find(|&i| !blank_or_comment(&section[i - 1]))
        {
            if let Some(option) = &w.option {
                if !w.values.is_empty() {
                    for value in w.values.iter().rev() {
                        section.insert(i, w.assignment(option, value));
                    }
                    msg = "option added".into();
                    changed = true;
                } else if w.allow_no_value && !no_value_present {
                    section.insert(i, format!("{option}\n"));
                    msg = "option added".into();
                    changed = true;
                }
            }
        }
    } else if let Some(option) = &w.option {
        let keep = |l: &String| match match_option(option, l, false) {
            Some(m) => !(w.exclusive || w.values.contains(&m.value)),
            None => true,
        };
        if w.exclusive || !w.values.is_empty() {
            let kept: Vec<String> = section.iter().filter(|l| keep(l)).cloned().collect();
            if kept != section {
                section = kept;
                changed = true;
                msg = "option changed".into();
            }
        }
    } else if !section.is_empty() {
        section.clear();
        msg = "section removed".into();
        changed = true;
    }

    let mut lines: Vec<String> = before.into_iter().chain(section).chain(after).collect();
    lines.remove(0);
    lines.pop();
    if !within && w.present {
        lines.push(format!(
            "[{}]\n",
            section_name.as_deref().unwrap_or(TOP_SECTION)
        ));
        msg = "section and option added".into();
        for c in &w.conditions {
            if Some(&c.option) != w.option.as_ref() {
                if !c.values.is_empty() {
                    for v in &c.values {
                        lines.push(w.assignment(&c.option, v));
                    }
                } else if w.allow_no_value {
                    lines.push(format!("{}\n", c.option));
                }
            } else if !w.exclusive {
                for v in &c.values {
                    if !w.values.contains(v) {
                        w.values.push(v.clone());
                    }
                }
            }
        }
        match &w.option {
            Some(option) if !w.values.is_empty() => {
                for v in &w.values {
                    lines.push(w.assignment(option, v));
                }
            }
            Some(option) if w.allow_no_value => lines.push(format!("{option}\n")),
            _ => msg = "only section added".into(),
        }
        changed = true;
    }
    Ok(IniEdit {
        text: lines.concat(),
        changed,
        msg,
    })
}

/// The file to edit: with `follow`, a symbolic link's target.
async fn target_path(args: &Args, ctx: &Context<'_>) -> Result<String, ModuleError> {
    let path = args.str("path").unwrap_or_default().to_string();
    if !args.bool("follow") {
        return Ok(path);
    }
    let p = quote(&path);
    let out = ctx
        .host
        .run(Command::new(format!(
            "if [ -L {p} ]; then readlink -f -- {p}; else printf '%s\\n' {p}; fi"
        )))
        .await?;
    Ok(out.stdout_str().trim_end_matches('\n').to_string())
}

/// Reads the file and computes the edit; `Err(msg)` for a missing file without `create`.
async fn compute(
    args: &Args,
    ctx: &Context<'_>,
) -> Result<Result<(HostText, IniEdit), String>, ModuleError> {
    let wanted = IniWanted::from(args)?;
    let opts = edit_options(args, ctx.diff)?;
    let path = target_path(args, ctx).await?;
    let file = read_host_text(ctx, &path, &opts.wanted).await?;
    if file.content.is_none() && !args.bool("create") {
        return Ok(Err(format!("Destination {path} does not exist!")));
    }
    let old = file
        .content
        .as_ref()
        .map(|c| String::from_utf8_lossy(c).into_owned());
    let e = edit(&wanted, old.as_deref()).map_err(ModuleError::Failed)?;
    Ok(Ok((file, e)))
}

/// The result keys Ansible's module returns besides `changed` and `diff`.
fn result_values(values: &mut Map, args: &Args, msg: &str) {
    values.shift_remove("backup");
    values.insert("msg".into(), msg.into());
    values.insert("path".into(), args.str("path").unwrap_or_default().into());
}

#[async_trait]
impl Module for IniFileModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let opts = edit_options(args, ctx.diff)?;
        let (file, e) = match compute(args, ctx).await? {
            Ok(r) => r,
            Err(msg) => {
                let mut v = Map::new();
                v.insert("rc".into(), 257.into());
                return Ok(Plan::failed(msg, v));
            }
        };
        let new = e.changed.then(|| e.text.into_bytes());
        let mut plan = plan_edit(&file, new, &e.msg, &opts)?;
        result_values(&mut plan.values, args, &e.msg);
        if let Some(st) = &file.stat {
            plan.values.extend(st.attr_values());
        }
        plan.msg = Some(e.msg);
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let opts = edit_options(args, ctx.diff)?;
        let (file, e) = compute(args, ctx).await?.map_err(ModuleError::Failed)?;
        let new = e.changed.then(|| e.text.into_bytes());
        let mut outcome = apply_edit(ctx, &file, plan, &opts, new).await?;
        let backup = outcome.values.shift_remove("backup");
        result_values(&mut outcome.values, args, &e.msg);
        if let Some(b) = backup.filter(|b| b.as_str().is_some_and(|s| !s.is_empty())) {
            outcome.values.insert("backup_file".into(), b);
        }
        // Like every module with a `path` result, the file's state after the run.
        if !outcome.failed {
            let after = read_host_text(ctx, &file.path, &opts.wanted).await?;
            if let Some(st) = &after.stat {
                outcome.values.extend(st.attr_values());
            }
        }
        outcome.msg = Some(e.msg);
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(raw: serde_json::Value, old: Option<&str>) -> IniEdit {
        let mut raw = raw;
        raw["path"] = json!("/f.ini");
        let args = SPEC.validate(raw.as_object().unwrap()).unwrap();
        edit(&IniWanted::from(&args).unwrap(), old).unwrap()
    }

    #[test]
    fn a_new_file_starts_with_a_blank_line() {
        let e = run(json!({"section": "s", "option": "a", "value": "1"}), None);
        assert_eq!(e.text, "\n[s]\na = 1\n");
        assert_eq!(e.msg, "section and option added");
    }

    #[test]
    fn options_are_changed_added_and_kept() {
        let old = "[s]\na = 1\n# b = 2\n\n[t]\nx=1\n";
        let e = run(
            json!({"section": "s", "option": "a", "value": "5"}),
            Some(old),
        );
        assert_eq!(e.text, "[s]\na = 5\n# b = 2\n\n[t]\nx=1\n");
        assert_eq!(e.msg, "option changed");
        // A commented-out option is reused in place.
        let e = run(
            json!({"section": "s", "option": "b", "value": "3"}),
            Some(old),
        );
        assert_eq!(e.text, "[s]\na = 1\nb = 3\n\n[t]\nx=1\n");
        // New options follow the last real line, before blank lines and comments.
        let e = run(
            json!({"section": "s", "option": "c", "value": "4", "modify_inactive_option": false}),
            Some(old),
        );
        assert_eq!(e.text, "[s]\na = 1\nc = 4\n# b = 2\n\n[t]\nx=1\n");
        assert_eq!(e.msg, "option added");
        let e = run(
            json!({"section": "s", "option": "a", "value": "1"}),
            Some(old),
        );
        assert!(!e.changed && e.msg == "OK" && e.text == old);
        let e = run(
            json!({"section": "t", "option": "x", "value": "1", "ignore_spaces": true}),
            Some(old),
        );
        assert!(!e.changed, "{e:?}");
    }

    #[test]
    fn values_lists_and_absent() {
        let old = "[s]\nv = 1\nv = 2\nw = 0\n";
        let e = run(
            json!({"section": "s", "option": "v", "values": ["2", "3"]}),
            Some(old),
        );
        assert_eq!(e.text, "[s]\nv = 3\nv = 2\nw = 0\n");
        let e = run(
            json!({"section": "s", "option": "v", "state": "absent"}),
            Some(old),
        );
        assert_eq!(e.text, "[s]\nw = 0\n");
        let e = run(
            json!({"section": "s", "option": "v", "values": ["1"], "state": "absent", "exclusive": false}),
            Some(old),
        );
        assert_eq!(e.text, "[s]\nv = 2\nw = 0\n");
        let e = run(json!({"section": "s", "state": "absent"}), Some(old));
        assert_eq!((e.text.as_str(), e.msg.as_str()), ("", "section removed"));
    }

    #[test]
    fn top_of_file_and_no_value_options() {
        let e = run(
            json!({"option": "top", "value": "1", "no_extra_spaces": true}),
            Some("[s]\na = 1\n"),
        );
        assert_eq!(e.text, "top=1\n[s]\na = 1\n");
        let e = run(
            json!({"section": "mysqld", "option": "skip-name-resolve", "allow_no_value": true}),
            Some("[mysqld]\nport = 3306"),
        );
        assert_eq!(e.text, "[mysqld]\nport = 3306\nskip-name-resolve\n");
        let args = SPEC
            .validate(
                json!({"path": "/f", "section": "s", "option": "a"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        assert!(IniWanted::from(&args).is_err());
    }

    #[test]
    fn section_has_values_picks_the_section() {
        let old = "[peer]\nname = a\nip = 1\n[peer]\nname = b\nip = 2\n";
        let e = run(
            json!({"section": "peer", "section_has_values": [{"option": "name", "value": "b"}],
                   "option": "ip", "value": "9"}),
            Some(old),
        );
        assert_eq!(
            e.text,
            "[peer]\nname = a\nip = 1\n[peer]\nname = b\nip = 9\n"
        );
        let e = run(
            json!({"section": "peer", "section_has_values": [{"option": "name", "value": "c"}],
                   "option": "ip", "value": "3"}),
            Some(old),
        );
        assert_eq!(e.text, format!("{old}[peer]\nname = c\nip = 3\n"));
    }
}
