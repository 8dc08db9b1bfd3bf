//! `blockinfile`: manages a block of lines between two marker lines
//! (`# BEGIN ANSIBLE MANAGED BLOCK` / `# END ...`): inserted, replaced or removed as a whole.

use async_trait::async_trait;

use super::file::{
    ARG_ATTRIBUTES, ARG_GROUP, ARG_MODE, ARG_OWNER, ARG_SELEVEL, ARG_SEROLE, ARG_SETYPE,
    ARG_SEUSER, ARG_UNSAFE,
};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::textedit::{
    apply_edit, edit_options, plan_edit, python_regex, read_host_text, split_keep_ends,
};
use crate::{Args, Context, Module, ModuleError, Outcome, Plan};

/// The `blockinfile` module.
pub struct BlockinfileModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "blockinfile",
    fqcn: &["ansible.builtin.blockinfile", "ansible.legacy.blockinfile"],
    synopsis: "Insert, update or remove a block of lines between marker lines.",
    description: "The block sits between `marker` lines (with `{mark}` replaced by `marker_begin` and \
        `marker_end`). An existing block is replaced in place; a new one goes after the last line \
        matching `insertafter` (default end of file) or before `insertbefore`. An empty block or \
        `state: absent` removes it with its markers.",
    args: &[
        ArgSpec::new("path", ArgKind::Path, "The file to edit.").required().aliases(&["dest", "destfile", "name"]),
        ArgSpec::new("state", ArgKind::Str, "Whether the block should be there.")
            .default("\"present\"")
            .choices(&["absent", "present"]),
        ArgSpec::new("marker", ArgKind::Str, "Marker line template; `{mark}` becomes marker_begin/marker_end.")
            .default("\"# {mark} ANSIBLE MANAGED BLOCK\""),
        ArgSpec::new("block", ArgKind::Str, "The lines between the markers.").default("\"\"").aliases(&["content"]),
        ArgSpec::new("insertafter", ArgKind::Str, "`EOF` or a regular expression: insert after its last match."),
        ArgSpec::new("insertbefore", ArgKind::Str, "`BOF` or a regular expression: insert before its last match."),
        ArgSpec::new("create", ArgKind::Bool, "Create the file when it is missing.").default("false"),
        ArgSpec::new("backup", ArgKind::Bool, "Keep a timestamped copy of the old file.").default("false"),
        ArgSpec::new("marker_begin", ArgKind::Str, "Replaces `{mark}` in the opening marker.").default("\"BEGIN\""),
        ArgSpec::new("marker_end", ArgKind::Str, "Replaces `{mark}` in the closing marker.").default("\"END\""),
        ArgSpec::new("append_newline", ArgKind::Bool, "Add a blank line after the block when text follows.")
            .default("false"),
        ArgSpec::new("prepend_newline", ArgKind::Bool, "Add a blank line before the block when text precedes.")
            .default("false"),
        ArgSpec::new("validate", ArgKind::Str, "Command checking the new file (`%s` is its path)."),
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
    mutually_exclusive: &[&["insertbefore", "insertafter"]],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "msg", returned: "always", doc: "`Block inserted`, `Block removed`, `File created` or empty." },
        ReturnSpec { name: "backup", returned: "always", doc: "Path of the backup, or empty." },
    ],
    examples: "- name: Hosts of the lab\n  ansible.builtin.blockinfile:\n    path: /etc/hosts\n    block: |\n      127.0.0.2 app\n      127.0.0.3 db\n",
};

/// The pure edit: new contents and message.
fn edit(
    args: &Args,
    path: &str,
    content: Option<&[u8]>,
) -> Result<(Option<Vec<u8>>, String), String> {
    let present = args.str("state") != Some("absent");
    if content.is_none() {
        if !present {
            return Ok((None, String::new()));
        }
        if !args.bool("create") {
            return Err(format!("Path {path} does not exist !"));
        }
    }
    let original = content.map(|c| String::from_utf8_lossy(c).into_owned());
    let mut lines = original.as_deref().map(split_keep_ends).unwrap_or_default();
    let marker = args
        .str("marker")
        .unwrap_or("# {mark} ANSIBLE MANAGED BLOCK");
    let m0 = marker.replace("{mark}", args.str("marker_begin").unwrap_or("BEGIN"));
    let m1 = marker.replace("{mark}", args.str("marker_end").unwrap_or("END"));
    let block = args.str("block").unwrap_or_default();
    let mut block_lines: Vec<String> = Vec::new();
    if present && !block.is_empty() {
        block_lines.push(format!("{m0}\n"));
        for l in split_keep_ends(block) {
            block_lines.push(if l.ends_with('\n') {
                l
            } else {
                format!("{l}\n")
            });
        }
        block_lines.push(format!("{m1}\n"));
    }
    let strip = |s: &str| s.trim_end_matches(['\r', '\n']).to_string();
    let mut n0 = None;
    let mut n1 = None;
    for (i, l) in lines.iter().enumerate() {
        if strip(l) == m0 {
            n0 = Some(i);
        }
        if strip(l) == m1 {
            n1 = Some(i);
        }
    }
    let insertafter = args.str("insertafter");
    let insertbefore = args.str("insertbefore");
    let mut at = match (n0, n1) {
        (Some(a), Some(b)) if a < b => {
            lines.drain(a..=b);
            a
        }
        (Some(a), Some(b)) => {
            lines.drain(b..=a);
            b
        }
        _ => {
            let pattern = match (insertafter, insertbefore) {
                (Some(a), _) if a != "EOF" => Some(a),
                (_, Some(b)) if b != "BOF" => Some(b),
                _ => None,
            };
            if let Some(p) = pattern {
                let re = python_regex(p, false, false)?;
                let found = lines
                    .iter()
                    .rposition(|l| re.is_match(l.strip_suffix('\n').unwrap_or(l)));
                match found {
                    None => lines.len(),
                    Some(i) if insertafter.is_some() => i + 1,
                    Some(i) => i,
                }
            } else if insertbefore.is_some() {
                0
            } else {
                lines.len()
            }
        }
    };
    if at > 0 && !block_lines.is_empty() {
        if let Some(prev) = lines.get_mut(at - 1) {
            if !prev.ends_with('\n') {
                prev.push('\n');
            }
        }
        if args.bool("prepend_newline") && lines.get(at - 1).is_some_and(|l| l.trim() != "") {
            lines.insert(at, "\n".into());
            at += 1;
        }
    }
    let after_block = at + block_lines.len();
    let follows = at < lines.len();
    lines.splice(at..at, block_lines.iter().cloned());
    if args.bool("append_newline")
        && !block_lines.is_empty()
        && follows
        && lines.get(after_block).is_some_and(|l| l.trim() != "")
    {
        lines.insert(after_block, "\n".into());
    }
    let result = lines.concat();
    let msg = if original.as_deref() == Some(result.as_str()) {
        String::new()
    } else if original.is_none() {
        "File created".into()
    } else if block_lines.is_empty() {
        "Block removed".into()
    } else {
        "Block inserted".into()
    };
    Ok((Some(result.into_bytes()), msg))
}

#[async_trait]
impl Module for BlockinfileModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let opts = edit_options(args, ctx.diff)?;
        let path = args.str("path").unwrap_or_default();
        let file = read_host_text(ctx, path, &opts.wanted).await?;
        let (new, msg) = match edit(args, path, file.content.as_deref()) {
            Ok(r) => r,
            Err(msg) if file.stat.is_none() => {
                let mut v = crate::Map::new();
                v.insert("rc".into(), 257.into());
                return Ok(Plan::failed(msg, v));
            }
            Err(msg) => return Err(ModuleError::Failed(msg)),
        };
        if new.is_none() {
            let mut p = Plan::default();
            p.values.insert("msg".into(), "".into());
            p.values.insert("backup".into(), "".into());
            return Ok(p);
        }
        plan_edit(&file, new, &msg, &opts)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let opts = edit_options(args, ctx.diff)?;
        let path = args.str("path").unwrap_or_default();
        let file = read_host_text(ctx, path, &opts.wanted).await?;
        let (new, _) = edit(args, path, file.content.as_deref()).map_err(ModuleError::Failed)?;
        let mut outcome = apply_edit(ctx, &file, plan, &opts, new).await?;
        if let Some(b) = outcome.values.shift_remove("backup") {
            if b.as_str().is_some_and(|s| !s.is_empty()) {
                outcome.values.insert("backup_file".into(), b);
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(raw: serde_json::Value, text: Option<&str>) -> (String, String) {
        let args = SPEC.validate(raw.as_object().unwrap()).unwrap();
        let (new, msg) = edit(&args, "/f", text.map(str::as_bytes)).unwrap();
        (String::from_utf8(new.unwrap_or_default()).unwrap(), msg)
    }

    #[test]
    fn insert_replace_remove() {
        let (t, m) = run(json!({"path": "/f", "block": "a\nb"}), Some("x\ny"));
        assert_eq!(
            t,
            "x\ny\n# BEGIN ANSIBLE MANAGED BLOCK\na\nb\n# END ANSIBLE MANAGED BLOCK\n"
        );
        assert_eq!(m, "Block inserted");
        let (t2, m2) = run(json!({"path": "/f", "block": "a\nb"}), Some(&t));
        assert_eq!((t2.as_str(), m2.as_str()), (t.as_str(), ""));
        let (t3, _) = run(json!({"path": "/f", "block": "c\n"}), Some(&t));
        assert_eq!(
            t3,
            "x\ny\n# BEGIN ANSIBLE MANAGED BLOCK\nc\n# END ANSIBLE MANAGED BLOCK\n"
        );
        let (t4, m4) = run(json!({"path": "/f", "state": "absent"}), Some(&t));
        assert_eq!((t4.as_str(), m4.as_str()), ("x\ny\n", "Block removed"));
        let (t5, _) = run(
            json!({"path": "/f", "block": "z", "insertbefore": "BOF", "marker": "// {mark}"}),
            Some("x\n"),
        );
        assert_eq!(t5, "// BEGIN\nz\n// END\nx\n");
        let (t6, _) = run(
            json!({"path": "/f", "block": "z", "insertafter": "^x"}),
            Some("x\ny\n"),
        );
        assert_eq!(
            t6,
            "x\n# BEGIN ANSIBLE MANAGED BLOCK\nz\n# END ANSIBLE MANAGED BLOCK\ny\n"
        );
        let (t7, m7) = run(json!({"path": "/f", "block": "z", "create": true}), None);
        assert_eq!(
            (t7.as_str(), m7.as_str()),
            (
                "# BEGIN ANSIBLE MANAGED BLOCK\nz\n# END ANSIBLE MANAGED BLOCK\n",
                "File created"
            )
        );
    }
}
