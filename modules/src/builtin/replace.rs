//! `replace`: replaces every match of a (multi-line) regular expression in a file, optionally only
//! in the part after `after` and/or before `before`.

use async_trait::async_trait;

use super::file::{
    ARG_ATTRIBUTES, ARG_GROUP, ARG_MODE, ARG_OWNER, ARG_SELEVEL, ARG_SEROLE, ARG_SETYPE,
    ARG_SEUSER, ARG_UNSAFE,
};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::textedit::{
    apply_edit, edit_options, expand_python_template, plan_edit, python_regex, read_host_text,
};
use crate::{Args, Context, Module, ModuleError, Outcome, Plan};

/// The `replace` module.
pub struct ReplaceModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "replace",
    fqcn: &["ansible.builtin.replace", "ansible.legacy.replace"],
    synopsis: "Replace all matches of a regular expression in a file.",
    description: "`regexp` is a Python regular expression in MULTILINE mode; `replace` may use `\\1` and \
        `\\g<name>`. `after`/`before` limit the replacement to the text after/before their first match.",
    args: &[
        ArgSpec::new("path", ArgKind::Path, "The file to edit.").required().aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("regexp", ArgKind::Str, "The regular expression to look for.").required(),
        ArgSpec::new("replace", ArgKind::Str, "The replacement (empty: remove matches).").default("\"\""),
        ArgSpec::new("after", ArgKind::Str, "Only replace after the first match of this expression."),
        ArgSpec::new("before", ArgKind::Str, "Only replace before the first match of this expression."),
        ArgSpec::new("backup", ArgKind::Bool, "Keep a timestamped copy of the old file.").default("false"),
        ArgSpec::new("validate", ArgKind::Str, "Command checking the new file (`%s` is its path)."),
        ArgSpec::new("encoding", ArgKind::Str, "The file's encoding.").default("\"utf-8\""),
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
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "msg", returned: "always", doc: "`N replacements made` or empty." },
        ReturnSpec { name: "backup_file", returned: "changed and backup", doc: "Path of the backup." },
    ],
    examples: "- name: Use the new host name\n  ansible.builtin.replace:\n    path: /etc/app.conf\n    regexp: 'old\\.example\\.com'\n    replace: new.example.com\n",
};

/// The pure edit: new text (when something was replaced) and message.
fn edit(args: &Args, text: &str) -> Result<(Option<String>, String), String> {
    let re = python_regex(args.str("regexp").unwrap_or_default(), true, false)?;
    let template = args.str("replace").unwrap_or_default();
    let section_re = match (args.str("after"), args.str("before")) {
        (Some(a), Some(b)) => Some(format!("{a}(?P<subsection>.*?){b}")),
        (Some(a), None) => Some(format!("{a}(?P<subsection>.*)")),
        (None, Some(b)) => Some(format!("(?P<subsection>.*?){b}")),
        (None, None) => None,
    };
    let (start, end) = match &section_re {
        Some(s) => {
            let sre = python_regex(s, true, true)?;
            match sre.captures(text).and_then(|c| c.name("subsection")) {
                Some(m) => (m.start(), m.end()),
                None => {
                    return Ok((
                        None,
                        format!(
                            "Pattern for before/after params did not match the given file: {s}"
                        ),
                    ));
                }
            }
        }
        None => (0, text.len()),
    };
    let section = &text[start..end];
    let mut count = 0;
    let replaced = re.replace_all(section, |caps: &regex::Captures<'_>| {
        count += 1;
        expand_python_template(template, caps)
    });
    if count == 0 || replaced == section {
        return Ok((None, String::new()));
    }
    let new = format!("{}{}{}", &text[..start], replaced, &text[end..]);
    Ok((Some(new), format!("{count} replacements made")))
}

async fn compute(
    args: &Args,
    ctx: &Context<'_>,
) -> Result<(crate::textedit::HostText, Option<Vec<u8>>, String), ModuleError> {
    let opts = edit_options(args, ctx.diff)?;
    let path = args.str("path").unwrap_or_default();
    let file = read_host_text(ctx, path, &opts.wanted).await?;
    let Some(content) = &file.content else {
        return Err(ModuleError::Failed(format!("Path {path} does not exist !")));
    };
    let text = String::from_utf8_lossy(content).into_owned();
    let (new, msg) = edit(args, &text).map_err(ModuleError::Failed)?;
    Ok((file, new.map(String::into_bytes), msg))
}

#[async_trait]
impl Module for ReplaceModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let opts = edit_options(args, ctx.diff)?;
        let (file, new, msg) = match compute(args, ctx).await {
            Ok(r) => r,
            Err(ModuleError::Failed(msg)) if msg.ends_with("does not exist !") => {
                let mut v = crate::Map::new();
                v.insert("rc".into(), 257.into());
                return Ok(Plan::failed(msg, v));
            }
            Err(e) => return Err(e),
        };
        let mut plan = plan_edit(&file, new, &msg, &opts)?;
        if plan.changes.is_empty() {
            plan.values.insert("msg".into(), msg.clone().into());
            plan.msg = Some(msg);
        }
        plan.values.shift_remove("backup");
        plan.values.insert("rc".into(), 0.into());
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let opts = edit_options(args, ctx.diff)?;
        let (file, new, _) = compute(args, ctx).await?;
        let mut outcome = apply_edit(ctx, &file, plan, &opts, new).await?;
        if let Some(b) = outcome.values.shift_remove("backup") {
            if b.as_str().is_some_and(|s| !s.is_empty()) {
                outcome.values.insert("backup_file".into(), b);
            }
        }
        outcome.values.insert("rc".into(), 0.into());
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(raw: serde_json::Value, text: &str) -> (Option<String>, String) {
        let mut raw = raw;
        raw["path"] = json!("/f");
        let args = SPEC.validate(raw.as_object().unwrap()).unwrap();
        edit(&args, text).unwrap()
    }

    #[test]
    fn replacements() {
        assert_eq!(
            run(
                json!({"regexp": "^(\\w+) = (\\d+)$", "replace": "\\1: \\2"}),
                "a = 1\nb = 2\nc\n"
            ),
            (Some("a: 1\nb: 2\nc\n".into()), "2 replacements made".into())
        );
        assert_eq!(
            run(json!({"regexp": "zzz", "replace": "y"}), "a\n"),
            (None, "".into())
        );
        assert_eq!(
            run(
                json!({"regexp": "x", "replace": "y", "after": "START", "before": "END"}),
                "x START x x END x"
            ),
            (
                Some("x START y y END x".into()),
                "2 replacements made".into()
            )
        );
        let (_, m) = run(json!({"regexp": "x", "after": "NOPE"}), "x");
        assert!(
            m.starts_with("Pattern for before/after params did not match"),
            "{m}"
        );
    }
}
