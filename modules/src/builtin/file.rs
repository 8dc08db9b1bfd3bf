//! `file`: the state of a path (file, directory, symbolic or hard link, touched, absent) and its
//! owner, group and mode, optionally through a whole tree (`recurse`). One probe reads the path,
//! the link source and the owner/group ids; one script applies the plan and reads the result back.

use async_trait::async_trait;

use crate::fileattr::{
    apply_attr_code, attr_changes, format_mode, lookup_code, parse_lookup, parse_stat, stat_code,
    FileKind, FileState, ModeSpec, ResolvedIds, WantedAttrs,
};
use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `file` module.
pub struct FileModule;

/// `owner`, `group`, `mode` and the other common file arguments, shared by file-like modules.
pub(crate) const ARG_MODE: ArgSpec = ArgSpec::new(
    "mode",
    ArgKind::Mode,
    "Permissions: octal (`0644`, quoted or YAML octal) or symbolic (`u=rw,g=r,o=`).",
);
/// `owner`.
pub(crate) const ARG_OWNER: ArgSpec = ArgSpec::new("owner", ArgKind::Str, "Owner name or uid.");
/// `group`.
pub(crate) const ARG_GROUP: ArgSpec = ArgSpec::new("group", ArgKind::Str, "Group name or gid.");
/// `seuser`.
pub(crate) const ARG_SEUSER: ArgSpec = ArgSpec::new(
    "seuser",
    ArgKind::Str,
    "SELinux user (accepted, not applied).",
);
/// `serole`.
pub(crate) const ARG_SEROLE: ArgSpec = ArgSpec::new(
    "serole",
    ArgKind::Str,
    "SELinux role (accepted, not applied).",
);
/// `setype`.
pub(crate) const ARG_SETYPE: ArgSpec = ArgSpec::new(
    "setype",
    ArgKind::Str,
    "SELinux type (accepted, not applied).",
);
/// `selevel`.
pub(crate) const ARG_SELEVEL: ArgSpec = ArgSpec::new(
    "selevel",
    ArgKind::Str,
    "SELinux level (accepted, not applied).",
);
/// `attributes`.
pub(crate) const ARG_ATTRIBUTES: ArgSpec = ArgSpec::new(
    "attributes",
    ArgKind::Str,
    "chattr attributes (accepted, not applied).",
)
.aliases(&["attr"]);
/// `unsafe_writes`.
pub(crate) const ARG_UNSAFE: ArgSpec = ArgSpec::new(
    "unsafe_writes",
    ArgKind::Bool,
    "Accepted for compatibility; writes are always atomic.",
)
.default("false");

static SPEC: ModuleSpec = ModuleSpec {
    name: "file",
    fqcn: &["ansible.builtin.file", "ansible.legacy.file"],
    synopsis: "Manage files, directories, links and their attributes.",
    description: "Sets the state of `path`: `file` (must exist; only attributes change), `directory` \
        (created with parents), `link`/`hard` (to `src`), `touch` (created or times updated; always \
        changed), `absent` (removed recursively). Without `state`, the path keeps its current kind.",
    args: &[
        ArgSpec::new("path", ArgKind::Path, "The path to manage.").required().aliases(&["dest", "name"]),
        ArgSpec::new("state", ArgKind::Str, "Wanted state.")
            .choices(&["absent", "directory", "file", "hard", "link", "touch"]),
        ArgSpec::new("src", ArgKind::Path, "Link target for state=link/hard."),
        ArgSpec::new("recurse", ArgKind::Bool, "Apply owner/group/mode through the tree (state=directory).")
            .default("false"),
        ArgSpec::new("force", ArgKind::Bool, "Replace an existing file or directory by a link.").default("false"),
        ArgSpec::new("follow", ArgKind::Bool, "Act on a link's target rather than the link.").default("true"),
        ArgSpec::new("access_time", ArgKind::Str, "`preserve`, `now` or a time (touch)."),
        ArgSpec::new("modification_time", ArgKind::Str, "`preserve`, `now` or a time (touch)."),
        ArgSpec::new("access_time_format", ArgKind::Str, "strftime format of access_time.").default("\"%Y%m%d%H%M.%S\""),
        ArgSpec::new("modification_time_format", ArgKind::Str, "strftime format of modification_time.")
            .default("\"%Y%m%d%H%M.%S\""),
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
        ReturnSpec { name: "path", returned: "always", doc: "The managed path." },
        ReturnSpec { name: "state", returned: "always", doc: "The path's state after the task." },
        ReturnSpec { name: "mode", returned: "when the path exists", doc: "Permissions, e.g. \"0644\"." },
        ReturnSpec { name: "owner", returned: "when the path exists", doc: "Owner name." },
        ReturnSpec { name: "group", returned: "when the path exists", doc: "Group name." },
        ReturnSpec { name: "uid", returned: "when the path exists", doc: "Owner uid." },
        ReturnSpec { name: "gid", returned: "when the path exists", doc: "Group gid." },
        ReturnSpec { name: "size", returned: "when the path exists", doc: "Size in bytes." },
        ReturnSpec { name: "src", returned: "links", doc: "The link target." },
    ],
    examples: "- name: A directory for the app\n  ansible.builtin.file:\n    path: /srv/app\n    state: directory\n    owner: www-data\n    mode: \"0755\"\n\n\
        - name: Current release\n  ansible.builtin.file:\n    src: /srv/app/releases/42\n    dest: /srv/app/current\n    state: link\n",
};

/// The task's wishes.
#[derive(Debug, Clone)]
struct FileArgs {
    path: String,
    state: Option<String>,
    src: Option<String>,
    recurse: bool,
    force: bool,
    follow: bool,
    wanted: WantedAttrs,
    preserve_times: bool,
}

impl FileArgs {
    fn from(args: &Args) -> Result<Self, ModuleError> {
        let path = args.str("path").unwrap_or_default().to_string();
        let state = args.str("state").map(str::to_string);
        let src = args.str("src").map(str::to_string);
        if src.is_some() && !matches!(state.as_deref(), Some("link") | Some("hard") | None) {
            return Err(ModuleError::Args(
                "src option requires state to be 'link' or 'hard'".into(),
            ));
        }
        if args.bool("recurse") && !matches!(state.as_deref(), Some("directory") | None) {
            return Err(ModuleError::Args(
                "recurse option requires state to be 'directory'".into(),
            ));
        }
        Ok(FileArgs {
            path,
            state,
            src,
            recurse: args.bool("recurse"),
            force: args.bool("force"),
            follow: args.get("follow").and_then(Value::as_bool).unwrap_or(true),
            wanted: WantedAttrs::from_args(args).map_err(ModuleError::Args)?,
            preserve_times: args.str("modification_time") == Some("preserve")
                && args.str("access_time") == Some("preserve"),
        })
    }

    /// Where a relative link source is looked up: beside the link.
    fn src_for_lookup(&self) -> Option<String> {
        let src = self.src.as_ref()?;
        if src.starts_with('/') || self.state.as_deref() == Some("hard") {
            return Some(src.clone());
        }
        let dir = match self.path.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => self.path[..i].to_string(),
            None => ".".to_string(),
        };
        Some(format!("{}/{src}", dir.trim_end_matches('/')))
    }
}

/// What the probe found.
#[derive(Debug, Clone, Default)]
struct FileProbe {
    /// The path itself (links not followed).
    stat: Option<FileState>,
    /// The path with links followed.
    target: Option<FileState>,
    /// The link source, if any.
    src: Option<FileState>,
    ids: ResolvedIds,
    /// `(uid, gid, raw mode)` of every entry under a directory for `recurse`.
    tree: Vec<(u32, u32, u32)>,
}

fn probe_script(fa: &FileArgs) -> ProbeScript {
    let mut p = ProbeScript::new();
    p.prelude(&format!("p={}", quote(&fa.path)));
    p.section("stat", &stat_code("p", false));
    p.section("target", &stat_code("p", true));
    p.section("ids", &lookup_code(&fa.wanted));
    if let Some(src) = fa.src_for_lookup() {
        p.prelude(&format!("s={}", quote(&src)));
        p.section("src", &stat_code("s", true));
    }
    if fa.recurse {
        p.section(
            "tree",
            "[ -d \"$p\" ] && find \"$p\" -mindepth 1 ! -type l -exec stat -c '%u|%g|%f' -- {} + 2>/dev/null; :",
        );
    }
    p
}

fn parse_probe(fa: &FileArgs, p: &ProbeScript, stdout: &[u8]) -> Result<FileProbe, ModuleError> {
    let s = p.parse(stdout).map_err(ModuleError::Protocol)?;
    let stat_of = |name: &str| -> Result<Option<FileState>, ModuleError> {
        parse_stat(&s.get(name).map_err(ModuleError::Protocol)?.text())
            .map_err(ModuleError::Protocol)
    };
    let mut probe = FileProbe {
        stat: stat_of("stat")?,
        target: stat_of("target")?,
        ..Default::default()
    };
    if fa.src.is_some() {
        probe.src = stat_of("src")?;
    }
    probe.ids = parse_lookup(
        &fa.wanted,
        &s.get("ids").map_err(ModuleError::Protocol)?.text(),
    )
    .map_err(ModuleError::Failed)?;
    if let Some(tree) = s.opt("tree") {
        for line in tree.text().lines() {
            let f: Vec<&str> = line.split('|').collect();
            if f.len() == 3 {
                if let (Ok(u), Ok(g), Ok(m)) =
                    (f[0].parse(), f[1].parse(), u32::from_str_radix(f[2], 16))
                {
                    probe.tree.push((u, g, m));
                }
            }
        }
    }
    Ok(probe)
}

fn state_word(s: Option<&FileState>) -> &'static str {
    match s {
        None => "absent",
        Some(st) if st.kind == FileKind::File && st.nlink > 1 => "hard",
        Some(st) => st.kind.state_word(),
    }
}

/// The pure planning step: the changes from `probe` to what `fa` asks for.
fn plan_file(fa: &FileArgs, probe: &FileProbe) -> Result<Vec<Change>, String> {
    let prev = state_word(probe.stat.as_ref());
    let state = match fa.state.as_deref() {
        Some(s) => s.to_string(),
        None if prev == "absent" => if fa.recurse { "directory" } else { "file" }.to_string(),
        None if prev == "link" && fa.src.is_none() => "file".to_string(),
        None if prev == "hard" => "file".to_string(),
        None => prev.to_string(),
    };
    let path = &fa.path;
    let mut changes = Vec::new();
    // Attributes apply to the link's target when following, else to the path itself.
    let attr_target = |follow: bool| {
        if follow {
            probe.target.as_ref()
        } else {
            probe.stat.as_ref()
        }
    };
    match state.as_str() {
        "absent" => {
            if prev != "absent" {
                changes.push(Change::new("state", prev, "absent"));
            }
            return Ok(changes);
        }
        "file" => {
            let Some(cur) = attr_target(fa.follow) else {
                return Err(format!("file ({path}) is absent, cannot continue"));
            };
            if cur.kind == FileKind::Directory || (!fa.follow && cur.kind == FileKind::Link) {
                return Err(format!(
                    "file ({path}) is {}, cannot continue",
                    cur.kind.state_word()
                ));
            }
            changes.extend(attr_changes(
                Some(cur),
                &fa.wanted,
                &probe.ids,
                false,
                0o644,
            )?);
        }
        "directory" => {
            let cur = attr_target(fa.follow);
            match cur {
                None => changes.push(Change::new("state", "absent", "directory")),
                Some(c) if c.kind != FileKind::Directory => {
                    return Err(format!(
                        "{path} already exists as a {}",
                        state_word(Some(c))
                    ));
                }
                Some(_) => {}
            }
            changes.extend(attr_changes(cur, &fa.wanted, &probe.ids, true, 0o755)?);
            if fa.recurse && cur.is_some() {
                let n = probe
                    .tree
                    .iter()
                    .filter(|(uid, gid, raw)| {
                        let is_dir = raw & 0o170000 == 0o040000;
                        let mode_differs = match &fa.wanted.mode {
                            Some(spec) => spec
                                .resolve(raw & 0o7777, is_dir)
                                .ok()
                                .flatten()
                                .is_some_and(|m| m != raw & 0o7777),
                            None => false,
                        };
                        probe.ids.uid.is_some_and(|u| u != *uid)
                            || probe.ids.gid.is_some_and(|g| g != *gid)
                            || mode_differs
                    })
                    .count();
                if n > 0 {
                    changes.push(Change::new(
                        "recurse",
                        Value::Null,
                        format!("{n} path(s) under {path}"),
                    ));
                }
            }
        }
        "link" => {
            let src = fa
                .src
                .clone()
                .or_else(|| probe.stat.as_ref().and_then(|s| s.link_target.clone()));
            let Some(src) = src else {
                return Err("src is required for creating new symlinks".into());
            };
            if probe.src.is_none() && !fa.force && fa.src.is_some() {
                let shown = fa.src_for_lookup().unwrap_or_default();
                return Err(format!(
                    "src file does not exist, use \"force=yes\" if you really want to create the link: {shown}"
                ));
            }
            match probe.stat.as_ref() {
                None => changes.push(Change::new("state", "absent", "link")),
                Some(cur) if cur.kind == FileKind::Link => {
                    if cur.link_target.as_deref() != Some(src.as_str()) {
                        changes.push(Change::new("src", cur.link_target.clone(), src.clone()));
                    }
                }
                Some(cur) if cur.kind == FileKind::Directory && !fa.force => {
                    return Err(format!(
                        "the directory {path} is not empty, refusing to convert it"
                    ));
                }
                Some(cur) => {
                    if !fa.force {
                        return Err(format!(
                            "refusing to convert from {} to symlink for {path}",
                            state_word(Some(cur))
                        ));
                    }
                    changes.push(Change::new("state", state_word(Some(cur)), "link"));
                }
            }
            let creating = !changes.is_empty();
            if fa.follow {
                // Attributes of the target; unknown until the link exists when it is new.
                if !creating || probe.src.is_some() {
                    let tgt = if creating {
                        probe.src.as_ref()
                    } else {
                        probe.target.as_ref()
                    };
                    if let Some(t) = tgt {
                        let is_dir = t.kind == FileKind::Directory;
                        changes.extend(attr_changes(
                            Some(t),
                            &fa.wanted,
                            &probe.ids,
                            is_dir,
                            t.mode,
                        )?);
                    }
                }
            } else {
                let owner_group = WantedAttrs {
                    mode: None,
                    ..fa.wanted.clone()
                };
                let cur = if creating { None } else { probe.stat.as_ref() };
                changes.extend(attr_changes(cur, &owner_group, &probe.ids, false, 0o777)?);
            }
        }
        "hard" => {
            let Some(src_stat) = probe.src.as_ref() else {
                let src = fa.src.clone().unwrap_or_default();
                return Err(format!("src does not exist: {src}"));
            };
            let fa_src = fa.src.clone().unwrap_or_default();
            match probe.stat.as_ref() {
                None => changes.push(Change::new("state", "absent", "hard")),
                Some(cur) if cur.inode == src_stat.inode && cur.dev == src_stat.dev => {}
                Some(cur) => {
                    if !fa.force && cur.kind != FileKind::File {
                        return Err(format!(
                            "refusing to convert from {} to hard link for {path}",
                            state_word(Some(cur))
                        ));
                    }
                    changes.push(Change::new("src", Value::Null, fa_src));
                }
            }
            changes.extend(attr_changes(
                Some(src_stat),
                &fa.wanted,
                &probe.ids,
                false,
                src_stat.mode,
            )?);
        }
        "touch" => {
            let cur = attr_target(fa.follow);
            match cur {
                None => changes.push(Change::new("state", "absent", "touch")),
                Some(_) if !fa.preserve_times => {
                    changes.push(Change::new("times", Value::Null, "now"))
                }
                Some(_) => {}
            }
            let is_dir = cur.is_some_and(|c| c.kind == FileKind::Directory);
            changes.extend(attr_changes(cur, &fa.wanted, &probe.ids, is_dir, 0o644)?);
        }
        other => return Err(format!("unknown state {other}")),
    }
    Ok(changes)
}

/// The script applying `changes` (then printing the new state in a framed section).
fn apply_script(fa: &FileArgs, changes: &[Change]) -> ProbeScript {
    let p = quote(&fa.path);
    let mut code = String::new();
    let mut attrs_done = false;
    for c in changes {
        match (c.field.as_str(), c.after.as_str().unwrap_or_default()) {
            ("state", "absent") => code.push_str(&format!("rm -rf -- {p} || exit 1\n")),
            ("state", "directory") => {
                // Create each missing component, giving it the wanted attributes, as Ansible does.
                let attr_code =
                    apply_attr_code("$d", &attr_subset(changes), false).replace("'$d'", "\"$d\"");
                code.push_str(&format!(
                    "_t={p}\ncase \"$_t\" in /*) d='' ;; *) d=. ;; esac\n\
                     _ifs=$IFS; IFS=/; set -f\n\
                     for part in $_t; do IFS=$_ifs; [ -z \"$part\" ] && continue; d=\"$d/$part\"\n\
                     if [ ! -d \"$d\" ]; then mkdir -- \"$d\" || exit 1\n{attr_code}fi\ndone\nIFS=$_ifs; set +f\n"
                ));
                attrs_done = true;
            }
            ("state", "link") | ("src", _) if fa.state.as_deref() != Some("hard") => {
                let src = quote(fa.src.as_deref().unwrap_or_default());
                code.push_str(&format!(
                    "if [ -d {p} ] && [ ! -L {p} ]; then rm -rf -- {p} || exit 1; fi\nln -sfn -- {src} {p} || exit 1\n"
                ));
            }
            ("state", "hard") | ("src", _) => {
                let src = quote(fa.src.as_deref().unwrap_or_default());
                code.push_str(&format!("ln -f -- {src} {p} || exit 1\n"));
            }
            ("state", "touch") | ("times", _) => {
                code.push_str(&format!("touch -- {p} || exit 1\n"))
            }
            ("recurse", _) => {
                if let Some(o) = &fa.wanted.owner {
                    code.push_str(&format!("chown -R {} -- {p} || exit 1\n", quote(o)));
                }
                if let Some(g) = &fa.wanted.group {
                    code.push_str(&format!("chgrp -R {} -- {p} || exit 1\n", quote(g)));
                }
                match &fa.wanted.mode {
                    Some(ModeSpec::Octal(m)) => code.push_str(&format!(
                        "find {p} ! -type l -exec chmod {} -- {{}} + || exit 1\n",
                        format_mode(*m)
                    )),
                    Some(ModeSpec::Symbolic(s)) => code.push_str(&format!(
                        "find {p} ! -type l -exec chmod {} -- {{}} + || exit 1\n",
                        quote(s)
                    )),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if !attrs_done {
        let target = fa.path.clone();
        let no_follow = !fa.follow && fa.state.as_deref() == Some("link");
        code.push_str(&apply_attr_code(&target, &attr_subset(changes), no_follow));
    }
    let mut script = ProbeScript::new();
    script.prelude(&format!("p={p}"));
    script.prelude(&code);
    script.section("stat", &stat_code("p", false));
    script.section("target", &stat_code("p", true));
    script
}

fn attr_subset(changes: &[Change]) -> Vec<Change> {
    changes
        .iter()
        .filter(|c| matches!(c.field.as_str(), "owner" | "group" | "mode"))
        .cloned()
        .collect()
}

/// Ansible's return values for the path's state now: `path` (`dest` for links), and the
/// attributes of the path itself (a link reports its own mode and size, as Ansible's lstat does).
fn result_values(fa: &FileArgs, stat: Option<&FileState>, _target: Option<&FileState>) -> Map {
    let mut m = Map::new();
    let key = if matches!(
        fa.state.as_deref(),
        Some("link") | Some("hard") | Some("touch")
    ) {
        "dest"
    } else {
        "path"
    };
    m.insert(key.into(), Value::String(fa.path.clone()));
    match stat {
        None => {
            m.insert("state".into(), Value::String("absent".into()));
        }
        Some(st) => {
            let mut attrs = st.attr_values();
            attrs.insert("state".into(), Value::String(state_word(Some(st)).into()));
            if st.kind == FileKind::Link {
                attrs.insert("src".into(), Value::from(st.link_target.clone()));
            }
            m.extend(attrs);
        }
    }
    m
}

#[async_trait]
impl Module for FileModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let fa = FileArgs::from(args)?;
        let probe_script = probe_script(&fa);
        let out = ctx.host.run(Command::new(probe_script.script())).await?;
        let probe = parse_probe(&fa, &probe_script, &out.stdout)?;
        let mut values = result_values(&fa, probe.stat.as_ref(), probe.target.as_ref());
        let changes = match plan_file(&fa, &probe) {
            Ok(c) => c,
            Err(msg) => return Ok(Plan::failed(msg, values)),
        };
        if !changes.is_empty() {
            // In check mode, report the state the run would reach.
            if let Some(state) = changes
                .iter()
                .find(|c| c.field == "state")
                .and_then(|c| c.after.as_str())
            {
                let shown = if state == "touch" { "file" } else { state };
                values.insert("state".into(), Value::String(shown.into()));
            }
        }
        Ok(Plan {
            changes,
            values,
            ..Default::default()
        })
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let fa = FileArgs::from(args)?;
        let script = apply_script(&fa, &plan.changes);
        let out = ctx.host.run(Command::new(script.script())).await?;
        let sections = script.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        if out.rc != 0 || sections.opt("stat").is_none() {
            let err = out.stderr_str();
            return Ok(Outcome {
                changed: false,
                failed: true,
                msg: Some(err.trim().to_string()),
                values: result_values(&fa, None, None),
                diffs: plan.changes,
                ..Default::default()
            });
        }
        let stat = parse_stat(&sections.get("stat").map_err(ModuleError::Protocol)?.text())
            .map_err(ModuleError::Protocol)?;
        let target = parse_stat(
            &sections
                .get("target")
                .map_err(ModuleError::Protocol)?
                .text(),
        )
        .map_err(ModuleError::Protocol)?;
        Ok(Outcome {
            changed: true,
            values: result_values(&fa, stat.as_ref(), target.as_ref()),
            diffs: plan.changes,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fileattr::parse_stat;

    fn st(line: &str) -> Option<FileState> {
        parse_stat(line).unwrap()
    }

    fn fa(path: &str, state: Option<&str>) -> FileArgs {
        FileArgs {
            path: path.into(),
            state: state.map(str::to_string),
            src: None,
            recurse: false,
            force: false,
            follow: true,
            wanted: WantedAttrs::default(),
            preserve_times: false,
        }
    }

    const FILE644: &str = "S|81a4|0|0|3|1|1|1|7|1|1|root|root";
    const DIR755: &str = "S|41ed|0|0|4096|1|1|1|8|1|2|root|root";

    #[test]
    fn file_state_needs_an_existing_file() {
        let e = plan_file(&fa("/x", Some("file")), &FileProbe::default()).unwrap_err();
        assert_eq!(e, "file (/x) is absent, cannot continue");
        let probe = FileProbe {
            stat: st(DIR755),
            target: st(DIR755),
            ..Default::default()
        };
        let e = plan_file(&fa("/d", Some("file")), &probe).unwrap_err();
        assert_eq!(e, "file (/d) is directory, cannot continue");
    }

    #[test]
    fn directory_and_modes() {
        let mut a = fa("/d", Some("directory"));
        a.wanted.mode = Some(ModeSpec::Octal(0o700));
        let ch = plan_file(&a, &FileProbe::default()).unwrap();
        assert_eq!(
            ch.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
            ["state", "mode"]
        );
        let probe = FileProbe {
            stat: st(DIR755),
            target: st(DIR755),
            ..Default::default()
        };
        let ch = plan_file(&a, &probe).unwrap();
        assert_eq!(ch, vec![Change::new("mode", "0755", "0700")]);
        a.wanted.mode = Some(ModeSpec::Symbolic("u=rwx,go=rx".into()));
        assert!(plan_file(&a, &probe).unwrap().is_empty());
        let probe = FileProbe {
            stat: st(FILE644),
            target: st(FILE644),
            ..Default::default()
        };
        assert_eq!(
            plan_file(&a, &probe).unwrap_err(),
            "/d already exists as a file"
        );
    }

    #[test]
    fn absent_and_default_state() {
        let probe = FileProbe {
            stat: st(DIR755),
            target: st(DIR755),
            ..Default::default()
        };
        let ch = plan_file(&fa("/d", Some("absent")), &probe).unwrap();
        assert_eq!(ch, vec![Change::new("state", "directory", "absent")]);
        assert!(plan_file(&fa("/d", Some("absent")), &FileProbe::default())
            .unwrap()
            .is_empty());
        assert!(plan_file(&fa("/d", None), &probe).unwrap().is_empty());
    }

    #[test]
    fn links() {
        let mut a = fa("/l", Some("link"));
        a.src = Some("/etc/hosts".into());
        let src = st(FILE644);
        let probe = FileProbe {
            src: src.clone(),
            ..Default::default()
        };
        assert_eq!(
            plan_file(&a, &probe).unwrap(),
            vec![Change::new("state", "absent", "link")]
        );
        let link = parse_stat("S|a1ff|0|0|4|1|1|1|9|1|1|root|root\nL|/etc/hosts").unwrap();
        let probe = FileProbe {
            stat: link.clone(),
            target: src.clone(),
            src: src.clone(),
            ..Default::default()
        };
        assert!(plan_file(&a, &probe).unwrap().is_empty());
        a.src = Some("/etc/passwd".into());
        assert_eq!(
            plan_file(&a, &probe).unwrap(),
            vec![Change::new("src", "/etc/hosts", "/etc/passwd")]
        );
        let probe = FileProbe {
            stat: st(FILE644),
            target: st(FILE644),
            src,
            ..Default::default()
        };
        assert_eq!(
            plan_file(&a, &probe).unwrap_err(),
            "refusing to convert from file to symlink for /l"
        );
        a.src = Some("missing".into());
        let e = plan_file(&a, &FileProbe::default()).unwrap_err();
        assert!(
            e.contains("src file does not exist") && e.ends_with(": /missing"),
            "{e}"
        );
    }

    #[test]
    fn touch_always_changes() {
        let probe = FileProbe {
            stat: st(FILE644),
            target: st(FILE644),
            ..Default::default()
        };
        let ch = plan_file(&fa("/f", Some("touch")), &probe).unwrap();
        assert_eq!(ch[0].field, "times");
    }
}
