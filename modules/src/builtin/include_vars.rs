//! `include_vars`: loads variables from YAML/JSON files on the controller (one file, or a directory
//! walked in name order) through the engine's loader, and returns them as `ansible_facts` (or
//! under `name`), with the list of files read.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `include_vars` module.
pub struct IncludeVarsModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "include_vars",
    fqcn: &["ansible.builtin.include_vars", "ansible.legacy.include_vars"],
    synopsis: "Load variables from files on the controller.",
    description: "`file` (or the free-form text) is looked up in `vars/` of the role, then beside the \
        playbook; `dir` loads every matching file below a directory, in name order, later files \
        overriding earlier ones.",
    args: &[
        ArgSpec::new("file", ArgKind::Path, "A variables file.").aliases(&["_raw_params"]),
        ArgSpec::new("dir", ArgKind::Path, "A directory of variables files."),
        ArgSpec::new("name", ArgKind::Str, "Put the variables under this one name."),
        ArgSpec::new("depth", ArgKind::Int, "How deep to walk `dir` (0: no limit).").default("0"),
        ArgSpec::new("files_matching", ArgKind::Str, "Only load files whose name matches this regex."),
        ArgSpec::new("ignore_files", ArgKind::List, "File names to skip.").elements(ArgKind::Str),
        ArgSpec::new("extensions", ArgKind::List, "File extensions to load.")
            .elements(ArgKind::Str)
            .default("[\"json\", \"yaml\", \"yml\"]"),
        ArgSpec::new("ignore_unknown_extensions", ArgKind::Bool, "Skip other files silently.").default("false"),
        ArgSpec::new("hash_behaviour", ArgKind::Str, "`replace` or `merge` for nested dicts.")
            .choices(&["replace", "merge"]),
    ],
    free_form: Some("file"),
    mutually_exclusive: &[&["file", "dir"]],
    required_one_of: &[],
    controller_only: true,
    returns: &[
        ReturnSpec { name: "ansible_facts", returned: "success", doc: "The variables loaded." },
        ReturnSpec { name: "ansible_included_var_files", returned: "success", doc: "The files read." },
    ],
    examples: "- name: Per-OS settings\n  ansible.builtin.include_vars: \"{{ ansible_facts.os_family }}.yml\"\n",
};

fn walk(dir: &Path, depth: i64, level: i64, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if depth == 0 || level < depth {
                walk(&p, depth, level + 1, out)?;
            }
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn merge(into: &mut Map, from: Map, deep: bool) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Object(a)), Value::Object(b)) if deep => merge(a, b, true),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

fn result(args: &Args, ctx: &Context<'_>) -> Result<Map, ModuleError> {
    let deep = args.str("hash_behaviour") == Some("merge");
    let mut files = Vec::new();
    if let Some(dir) = args.str("dir") {
        let root = ctx
            .controller
            .find_file("vars", dir)
            .map_err(ModuleError::Failed)?;
        let exts = args.str_list("extensions");
        let ignore = args.str_list("ignore_files");
        let matching = args
            .str("files_matching")
            .map(regex::Regex::new)
            .transpose()
            .map_err(|e| ModuleError::Args(e.to_string()))?;
        let mut all = Vec::new();
        walk(&root, args.int("depth").unwrap_or(0), 1, &mut all).map_err(ModuleError::Failed)?;
        for p in all {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if ignore.contains(&name) || matching.as_ref().is_some_and(|re| !re.is_match(&name)) {
                continue;
            }
            let ext = p
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !exts.contains(&ext) {
                if args.bool("ignore_unknown_extensions") {
                    continue;
                }
                return Err(ModuleError::Failed(format!(
                    "{} does not have a valid extension: {}",
                    p.display(),
                    exts.join(", ")
                )));
            }
            files.push(p);
        }
    } else if let Some(file) = args.str("file") {
        files.push(
            ctx.controller
                .find_file("vars", file)
                .map_err(ModuleError::Failed)?,
        );
    } else {
        return Err(ModuleError::Args(
            "one of the following is required: file, dir".into(),
        ));
    }
    let mut vars = Map::new();
    for f in &files {
        match ctx.controller.load_vars(f).map_err(ModuleError::Failed)? {
            Value::Object(m) => merge(&mut vars, m, deep),
            Value::Null => {}
            _ => {
                return Err(ModuleError::Failed(format!(
                    "{} must be stored as a dictionary/hash",
                    f.display()
                )))
            }
        }
    }
    let facts = match args.str("name") {
        Some(name) => {
            let mut m = Map::new();
            m.insert(name.to_string(), Value::Object(vars));
            m
        }
        None => vars,
    };
    let mut out = Map::new();
    out.insert("ansible_facts".into(), Value::Object(facts));
    out.insert(
        "ansible_included_var_files".into(),
        Value::Array(
            files
                .iter()
                .map(|f| Value::String(f.to_string_lossy().into_owned()))
                .collect(),
        ),
    );
    Ok(out)
}

#[async_trait]
impl Module for IncludeVarsModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        Ok(Plan::unchanged(result(args, ctx)?))
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        Ok(Outcome::ok(result(args, ctx)?))
    }
}
