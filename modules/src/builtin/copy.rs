//! `copy`: puts a controller file, a controller directory tree, inline `content`, or (with
//! `remote_src`) a file already on the host at `dest`. Contents are compared by SHA-1 on the host, so
//! nothing is sent when they match. The single-file write (probe, plan, backup, validate, attributes)
//! is shared with `template`.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use sha1::{Digest, Sha1};

use super::file::{
    ARG_ATTRIBUTES, ARG_GROUP, ARG_MODE, ARG_OWNER, ARG_SELEVEL, ARG_SEROLE, ARG_SETYPE,
    ARG_SEUSER, ARG_UNSAFE,
};
use crate::fileattr::{
    apply_attr_code, attr_changes, format_mode, lookup_code, parse_lookup, parse_stat, stat_code,
    FileKind, FileState, ModeSpec, WantedAttrs,
};
use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{
    Args, Change, Command, Content, Context, FileAttrs, Map, Module, ModuleError, Outcome, Plan,
    TextDiff, Value,
};

/// The `copy` module.
pub struct CopyModule;

/// Files larger than this are not shown in `--diff` (Ansible's `max_file_size_for_diff`).
pub(crate) const MAX_DIFF_SIZE: u64 = 104_448;

static SPEC: ModuleSpec = ModuleSpec {
    name: "copy",
    fqcn: &["ansible.builtin.copy", "ansible.legacy.copy"],
    synopsis: "Copy files or inline content to the host.",
    description: "`src` is looked up on the controller (`files/` of the role, then the playbook); a \
        directory is copied recursively (with a trailing `/`, only its contents). `content` writes the \
        given text (lists and dicts as JSON). The destination is compared by SHA-1 and only replaced when \
        different; then owner, group and mode are set.",
    args: &[
        ArgSpec::new("src", ArgKind::Path, "Controller file or directory (host path with remote_src)."),
        ArgSpec::new("content", ArgKind::Raw, "Text to write instead of src."),
        ArgSpec::new("dest", ArgKind::Path, "Where to write on the host.").required(),
        ArgSpec::new("backup", ArgKind::Bool, "Keep a timestamped copy of the old file.").default("false"),
        ArgSpec::new("force", ArgKind::Bool, "Replace a different file (false: only create).")
            .default("true")
            .aliases(&["thirsty"]),
        ArgSpec::new("remote_src", ArgKind::Bool, "src is a path on the host.").default("false"),
        ArgSpec::new("validate", ArgKind::Str, "Command checking the new file (`%s` is its path) before it is moved in."),
        ArgSpec::new("directory_mode", ArgKind::Mode, "Mode of directories created by a recursive copy."),
        ArgSpec::new("follow", ArgKind::Bool, "Follow links in dest.").default("false"),
        ArgSpec::new("local_follow", ArgKind::Bool, "Follow links in src on the controller.").default("true"),
        ArgSpec::new("decrypt", ArgKind::Bool, "Decrypt vaulted source files.").default("true"),
        ArgSpec::new("checksum", ArgKind::Str, "Expected SHA-1 of the source."),
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
    mutually_exclusive: &[&["content", "src"]],
    required_one_of: &[&["content", "src"]],
    controller_only: false,
    returns: WRITE_RETURNS,
    examples: "- name: Config file\n  ansible.builtin.copy:\n    src: app.conf\n    dest: /etc/app/app.conf\n    owner: root\n    mode: \"0644\"\n    backup: true\n\n\
        - name: Inline content\n  ansible.builtin.copy:\n    content: \"net.ipv4.ip_forward = 1\\n\"\n    dest: /etc/sysctl.d/90-forward.conf\n",
};

/// Return values of file-writing modules (copy, template).
pub(crate) const WRITE_RETURNS: &[ReturnSpec] = &[
    ReturnSpec {
        name: "dest",
        returned: "success",
        doc: "The destination path.",
    },
    ReturnSpec {
        name: "src",
        returned: "changed",
        doc: "The source.",
    },
    ReturnSpec {
        name: "checksum",
        returned: "success",
        doc: "SHA-1 of the written contents.",
    },
    ReturnSpec {
        name: "md5sum",
        returned: "changed",
        doc: "MD5 of the written contents.",
    },
    ReturnSpec {
        name: "size",
        returned: "success",
        doc: "Size in bytes.",
    },
    ReturnSpec {
        name: "state",
        returned: "success",
        doc: "`file`.",
    },
    ReturnSpec {
        name: "mode",
        returned: "success",
        doc: "Permissions, e.g. \"0644\".",
    },
    ReturnSpec {
        name: "owner",
        returned: "success",
        doc: "Owner name.",
    },
    ReturnSpec {
        name: "group",
        returned: "success",
        doc: "Group name.",
    },
    ReturnSpec {
        name: "uid",
        returned: "success",
        doc: "Owner uid.",
    },
    ReturnSpec {
        name: "gid",
        returned: "success",
        doc: "Group gid.",
    },
    ReturnSpec {
        name: "backup_file",
        returned: "changed and backup",
        doc: "Path of the backup.",
    },
];

/// Where the wanted contents come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// In memory (content, rendered template).
    Bytes(Vec<u8>),
    /// A controller file.
    Local(PathBuf),
    /// A file on the host (remote_src).
    Remote(String),
}

/// Whether a controller file is vault-encrypted (starts with the `$ANSIBLE_VAULT;` header).
fn is_vaulted(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 15];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"$ANSIBLE_VAULT;"
}

/// One file to write: what, where and how.
#[derive(Debug, Clone)]
pub(crate) struct WriteSpec {
    /// Destination as given (may be a directory, or end with `/`).
    pub dest: String,
    /// Name appended when `dest` is a directory (`None` for content).
    pub basename: Option<String>,
    /// The contents.
    pub source: Source,
    /// How `src` is reported.
    pub src_label: Option<String>,
    /// Header of the new side in `--diff`.
    pub after_header: String,
    /// Replace a different file.
    pub force: bool,
    /// Keep a backup.
    pub backup: bool,
    /// Validation command with `%s`.
    pub validate: Option<String>,
    /// Wanted attributes.
    pub wanted: WantedAttrs,
    /// Mode of the source file (for `mode: preserve`).
    pub source_mode: Option<u32>,
}

/// SHA-1 (hex) and size of some bytes.
pub(crate) fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

fn sha1_of_file(path: &Path) -> Result<(String, u64), ModuleError> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)
        .map_err(|e| ModuleError::Failed(format!("could not read {}: {e}", path.display())))?;
    let mut h = Sha1::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| ModuleError::Failed(format!("could not read {}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), size))
}

/// Text for `--diff`, or `None` when binary or too large.
fn diff_text(bytes: &[u8]) -> Option<String> {
    if bytes.len() as u64 > MAX_DIFF_SIZE || bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes.to_vec()).ok()
}

/// What the probe found about the destination.
#[derive(Debug, Clone, Default)]
struct DestProbe {
    /// Final destination path (after directory resolution).
    path: String,
    stat: Option<FileState>,
    sha1: Option<String>,
    parent_exists: bool,
    before_text: Option<Vec<u8>>,
    remote_src: Option<(String, u64, Option<u32>)>,
    ids: crate::fileattr::ResolvedIds,
}

fn dest_probe_script(ws: &WriteSpec, want_text: bool) -> ProbeScript {
    let mut p = ProbeScript::new();
    p.prelude(&format!("d={}", quote(&ws.dest)));
    if let Some(base) = &ws.basename {
        p.prelude(&format!(
            "case \"$d\" in */) d=\"$d\"{b} ;; *) if [ -d \"$d\" ]; then d=\"$d/\"{b}; fi ;; esac",
            b = quote(base)
        ));
    }
    p.section("path", "printf '%s' \"$d\"");
    p.section("stat", &stat_code("d", true));
    p.section(
        "sha1",
        "if [ -f \"$d\" ] && [ -r \"$d\" ]; then sha1sum -- \"$d\" 2>/dev/null | cut -c1-40 || openssl sha1 -r \"$d\" | cut -c1-40; fi",
    );
    p.section(
        "parent",
        "_pd=$(dirname -- \"$d\"); [ -d \"$_pd\" ] && echo yes; :",
    );
    if want_text {
        p.section(
            "before",
            &format!(
                "if [ -f \"$d\" ]; then head -c {} -- \"$d\"; fi",
                MAX_DIFF_SIZE + 1
            ),
        );
    }
    if let Source::Remote(src) = &ws.source {
        p.prelude(&format!("s={}", quote(src)));
        p.section(
            "rsrc",
            "if [ -f \"$s\" ]; then printf '%s %s %s' \"$(sha1sum -- \"$s\" | cut -c1-40)\" \"$(stat -L -c %s -- \"$s\")\" \"$(stat -L -c %a -- \"$s\")\"; fi",
        );
    }
    p.section("ids", &lookup_code(&ws.wanted));
    p
}

fn parse_dest_probe(
    ws: &WriteSpec,
    p: &ProbeScript,
    stdout: &[u8],
) -> Result<DestProbe, ModuleError> {
    let s = p.parse(stdout).map_err(ModuleError::Protocol)?;
    let get = |n: &str| s.get(n).map_err(ModuleError::Protocol);
    let mut probe = DestProbe {
        path: get("path")?.text(),
        stat: parse_stat(&get("stat")?.text()).map_err(ModuleError::Protocol)?,
        sha1: Some(get("sha1")?.text().trim().to_string()).filter(|s| s.len() == 40),
        parent_exists: get("parent")?.text().trim() == "yes",
        ids: parse_lookup(&ws.wanted, &get("ids")?.text()).map_err(ModuleError::Failed)?,
        ..Default::default()
    };
    if let Some(b) = s.opt("before") {
        probe.before_text = Some(b.out.clone());
    }
    if let Source::Remote(src) = &ws.source {
        let t = get("rsrc")?.text();
        let f: Vec<&str> = t.split_whitespace().collect();
        if f.len() != 3 {
            return Err(ModuleError::Failed(format!("Source {src} not found")));
        }
        probe.remote_src = Some((
            f[0].to_string(),
            f[1].parse().unwrap_or(0),
            u32::from_str_radix(f[2], 8).ok(),
        ));
    }
    Ok(probe)
}

/// The wanted SHA-1 and size of the source.
fn source_digest(ws: &WriteSpec, probe: &DestProbe) -> Result<(String, u64), ModuleError> {
    match &ws.source {
        Source::Bytes(b) => Ok((sha1_hex(b), b.len() as u64)),
        Source::Local(p) => sha1_of_file(p),
        Source::Remote(_) => probe
            .remote_src
            .as_ref()
            .map(|(c, s, _)| (c.clone(), *s))
            .ok_or_else(|| ModuleError::Failed("remote source not found".into())),
    }
}

/// Plans the write of one file: contents by checksum, then attributes.
pub(crate) async fn plan_write(ws: &WriteSpec, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
    let script = dest_probe_script(ws, ctx.diff);
    let out = ctx.host.run(Command::new(script.script())).await?;
    let probe = parse_dest_probe(ws, &script, &out.stdout)?;
    let (checksum, size) = source_digest(ws, &probe)?;
    if probe
        .stat
        .as_ref()
        .is_some_and(|s| s.kind == FileKind::Directory)
    {
        return Err(ModuleError::Failed(if ws.basename.is_none() {
            "can not use content with a dir as dest".to_string()
        } else {
            format!("{} is a directory", probe.path)
        }));
    }
    if probe.stat.is_none() && !probe.parent_exists && !ws.dest.ends_with('/') {
        let parent = match probe.path.rfind('/') {
            Some(i) if i > 0 => probe.path[..i].to_string(),
            _ => ".".into(),
        };
        return Err(ModuleError::Failed(format!(
            "Destination directory {parent} does not exist"
        )));
    }
    let mut changes = Vec::new();
    let exists = probe.stat.is_some();
    let content_differs = probe.sha1.as_deref() != Some(checksum.as_str());
    if !exists || (ws.force && content_differs) {
        let mut change = Change::new(
            "content",
            probe.sha1.clone().map(Value::String).unwrap_or(Value::Null),
            checksum.clone(),
        );
        if ctx.diff {
            let after = match &ws.source {
                Source::Bytes(b) => diff_text(b),
                Source::Local(p) if size <= MAX_DIFF_SIZE => {
                    std::fs::read(p).ok().and_then(|b| diff_text(&b))
                }
                _ => None,
            };
            let before = match &probe.before_text {
                Some(b) => diff_text(b),
                None => Some(String::new()),
            };
            if let (Some(before), Some(after)) = (before, after) {
                change = change.with_text(TextDiff {
                    before_header: probe.path.clone(),
                    after_header: ws.after_header.clone(),
                    before,
                    after,
                });
            }
        }
        changes.push(change);
    }
    // A replaced file keeps the old file's attributes unless others are asked for.
    let mut wanted = ws.wanted.clone();
    if wanted.mode == Some(ModeSpec::Preserve) {
        let m = ws
            .source_mode
            .or(probe.remote_src.as_ref().and_then(|r| r.2));
        wanted.mode = m.map(ModeSpec::Octal);
    }
    changes.extend(
        attr_changes(probe.stat.as_ref(), &wanted, &probe.ids, false, 0o644)
            .map_err(ModuleError::Failed)?,
    );
    let mut values = Map::new();
    values.insert("checksum".into(), Value::String(checksum));
    values.insert("dest".into(), Value::String(probe.path.clone()));
    if let Some(st) = &probe.stat {
        values.extend(st.attr_values());
    } else {
        values.insert("size".into(), Value::from(size));
        values.insert("state".into(), Value::String("file".into()));
    }
    values.insert("size".into(), Value::from(size));
    if changes.is_empty() {
        values.insert("path".into(), Value::String(probe.path.clone()));
    } else if let Some(src) = &ws.src_label {
        values.insert("src".into(), Value::String(src.clone()));
    }
    Ok(Plan {
        changes,
        values,
        ..Default::default()
    })
}

/// Applies a [`plan_write`] plan: backup, contents (validated), attributes; reads the result back.
pub(crate) async fn apply_write(
    ws: &WriteSpec,
    plan: Plan,
    ctx: &Context<'_>,
) -> Result<Outcome, ModuleError> {
    let dest = plan
        .values
        .get("dest")
        .and_then(Value::as_str)
        .unwrap_or(&ws.dest)
        .to_string();
    let qd = quote(&dest);
    let content_change = plan.changes.iter().any(|c| c.field == "content");
    let attr_changes: Vec<Change> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.field.as_str(), "owner" | "group" | "mode"))
        .cloned()
        .collect();
    let mut values = plan.values.clone();
    let mut pre = String::new();
    if ws.dest.ends_with('/') {
        pre.push_str(&format!("mkdir -p -- \"$(dirname -- {qd})\" || exit 1\n"));
    }
    if ws.backup && content_change {
        pre.push_str(&format!(
            "if [ -f {qd} ]; then b={qd}.$$.$(date +%Y-%m-%d@%H:%M:%S)~; cp -p -- {qd} \"$b\" || exit 1; printf '%s' \"$b\"; fi\n"
        ));
    }
    if !pre.is_empty() {
        let out = ctx.host.run(Command::new(pre)).await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(out.stderr_str().trim().to_string()));
        }
        let b = out.stdout_str();
        if !b.is_empty() {
            values.insert("backup_file".into(), Value::String(b));
        }
    }
    let mut post = String::new();
    if content_change {
        // The new file's attributes: the wanted ones, else the old file's, else 0644.
        let current = plan
            .changes
            .iter()
            .find(|c| c.field == "content")
            .map(|c| !c.before.is_null());
        let mode_after = attr_changes
            .iter()
            .find(|c| c.field == "mode")
            .and_then(|c| c.after.as_str());
        let attrs = FileAttrs {
            mode: mode_after.map(str::to_string).or_else(|| {
                if current == Some(true) {
                    values
                        .get("mode")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                } else {
                    Some("0644".to_string())
                }
            }),
            owner: attr_changes
                .iter()
                .find(|c| c.field == "owner")
                .and_then(|c| c.after.as_str().map(str::to_string))
                .or_else(|| {
                    values
                        .get("uid")
                        .filter(|_| current == Some(true))
                        .map(|v| v.to_string())
                }),
            group: attr_changes
                .iter()
                .find(|c| c.field == "group")
                .and_then(|c| c.after.as_str().map(str::to_string))
                .or_else(|| {
                    values
                        .get("gid")
                        .filter(|_| current == Some(true))
                        .map(|v| v.to_string())
                }),
        };
        let target = if ws.validate.is_some() {
            format!("{dest}.rplay-validate.{}", std::process::id())
        } else {
            dest.clone()
        };
        match &ws.source {
            Source::Bytes(b) => {
                ctx.host
                    .put_file(&target, Content::Bytes(b.clone()), &attrs)
                    .await?
            }
            Source::Local(p) => {
                ctx.host
                    .put_file(&target, Content::LocalFile(p.clone()), &attrs)
                    .await?
            }
            Source::Remote(src) => {
                let mut code = format!("cp -- {} {} || exit 1\n", quote(src), quote(&target));
                code.push_str(&apply_attr_code(
                    &target,
                    &[
                        attrs
                            .mode
                            .clone()
                            .map(|m| Change::new("mode", Value::Null, m)),
                        attrs
                            .owner
                            .clone()
                            .map(|m| Change::new("owner", Value::Null, m)),
                        attrs
                            .group
                            .clone()
                            .map(|m| Change::new("group", Value::Null, m)),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>(),
                    false,
                ));
                let out = ctx.host.run(Command::new(code)).await?;
                if out.rc != 0 {
                    return Ok(Outcome::failed(out.stderr_str().trim().to_string()));
                }
            }
        }
        if let Some(v) = &ws.validate {
            let cmd = v.replace("%s", &quote(&target));
            let check = format!(
                "( {cmd} ); rc=$?; if [ $rc -ne 0 ]; then rm -f -- {qt}; exit $rc; fi; mv -f -- {qt} {qd} || exit 1\n",
                qt = quote(&target)
            );
            let out = ctx.host.run(Command::new(check)).await?;
            if out.rc != 0 {
                let mut o = Outcome::failed("failed to validate".to_string());
                o.values.insert("exit_status".into(), Value::from(out.rc));
                o.values
                    .insert("stdout".into(), Value::String(out.stdout_str()));
                o.values
                    .insert("stderr".into(), Value::String(out.stderr_str()));
                return Ok(o);
            }
        }
    } else {
        post.push_str(&apply_attr_code(&dest, &attr_changes, false));
    }
    let mut script = ProbeScript::new();
    script.prelude(&format!("d={qd}"));
    script.prelude(&post);
    script.section("stat", &stat_code("d", true));
    if content_change {
        script.section("md5", "md5sum -- \"$d\" 2>/dev/null | cut -c1-32");
    }
    let out = ctx.host.run(Command::new(script.script())).await?;
    if out.rc != 0 {
        return Ok(Outcome::failed(out.stderr_str().trim().to_string()));
    }
    let s = script.parse(&out.stdout).map_err(ModuleError::Protocol)?;
    if let Some(st) = parse_stat(&s.get("stat").map_err(ModuleError::Protocol)?.text())
        .map_err(ModuleError::Protocol)?
    {
        values.extend(st.attr_values());
    }
    if let Some(md5) = s
        .opt("md5")
        .map(|m| m.text().trim().to_string())
        .filter(|m| m.len() == 32)
    {
        values.insert("md5sum".into(), Value::String(md5));
    }
    Ok(Outcome {
        changed: true,
        values,
        diffs: plan.changes,
        ..Default::default()
    })
}

/// `content` as text: strings as they are, other values as Python's `json.dumps` would write them.
pub(crate) fn content_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => python_json(other),
    }
}

/// JSON with Python's default separators (`", "`, `": "`) and ASCII escapes.
pub(crate) fn python_json(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let mut o = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => o.push_str("\\\""),
                    '\\' => o.push_str("\\\\"),
                    '\n' => o.push_str("\\n"),
                    '\r' => o.push_str("\\r"),
                    '\t' => o.push_str("\\t"),
                    '\u{08}' => o.push_str("\\b"),
                    '\u{0c}' => o.push_str("\\f"),
                    c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                        let mut buf = [0u16; 2];
                        for u in c.encode_utf16(&mut buf) {
                            o.push_str(&format!("\\u{:04x}", u));
                        }
                    }
                    c => o.push(c),
                }
            }
            o.push('"');
            o
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    python_json(&Value::String(k.clone())),
                    python_json(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn source_mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

/// A recursive copy: each file under the controller directory, with its path below `dest`.
struct TreeCopy {
    dirs: Vec<String>,
    files: Vec<(PathBuf, String)>,
}

fn walk(root: &Path, rel: &str, follow: bool, out: &mut TreeCopy) -> Result<(), ModuleError> {
    let mut entries: Vec<_> = std::fs::read_dir(root)
        .map_err(|e| ModuleError::Failed(format!("could not read {}: {e}", root.display())))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel_path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let path = e.path();
        let meta = if follow {
            std::fs::metadata(&path)
        } else {
            std::fs::symlink_metadata(&path)
        };
        let Ok(meta) = meta else { continue };
        if meta.is_dir() {
            out.dirs.push(rel_path.clone());
            walk(&path, &rel_path, follow, out)?;
        } else if meta.is_file() {
            out.files.push((path, rel_path));
        }
    }
    Ok(())
}

impl CopyModule {
    fn single_spec(args: &Args, ctx: &Context<'_>) -> Result<WriteSpec, ModuleError> {
        let dest = args.str("dest").unwrap_or_default().to_string();
        let wanted = WantedAttrs::from_args(args).map_err(ModuleError::Args)?;
        let common = |source: Source,
                      basename: Option<String>,
                      label: Option<String>,
                      mode: Option<u32>| WriteSpec {
            dest: dest.clone(),
            basename,
            // --diff names the source file as the new side, or dest for inline content (2.19).
            after_header: label.clone().unwrap_or_else(|| dest.clone()),
            source,
            src_label: label,
            force: args.bool("force"),
            backup: args.bool("backup"),
            validate: args.str("validate").map(str::to_string),
            wanted: wanted.clone(),
            source_mode: mode,
        };
        if let Some(content) = args.get("content") {
            if dest.ends_with('/') {
                return Err(ModuleError::Failed(
                    "can not use content with a dir as dest".into(),
                ));
            }
            return Ok(common(
                Source::Bytes(content_text(content).into_bytes()),
                None,
                None,
                None,
            ));
        }
        let src = args.str("src").unwrap_or_default();
        let base = src
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(src)
            .to_string();
        if args.bool("remote_src") {
            return Ok(common(
                Source::Remote(src.to_string()),
                Some(base),
                Some(src.to_string()),
                None,
            ));
        }
        let path = ctx
            .controller
            .find_file("files", src)
            .map_err(ModuleError::Failed)?;
        let label = path.to_string_lossy().into_owned();
        let mode = source_mode_of(&path);
        if args.bool("decrypt") && is_vaulted(&path) {
            // Decrypted on the controller; the plaintext only travels to the host.
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ModuleError::Failed(format!("{}: {e}", path.display())))?;
            let plain = ctx
                .controller
                .decrypt_vault(&text)
                .map_err(|e| ModuleError::Failed(format!("{}: {e}", path.display())))?;
            return Ok(common(
                Source::Bytes(plain.into_bytes()),
                Some(base),
                Some(label),
                mode,
            ));
        }
        Ok(common(Source::Local(path), Some(base), Some(label), mode))
    }

    fn local_dir(args: &Args, ctx: &Context<'_>) -> Result<Option<PathBuf>, ModuleError> {
        if args.get("content").is_some() || args.bool("remote_src") {
            return Ok(None);
        }
        let src = args.str("src").unwrap_or_default();
        let path = ctx
            .controller
            .find_file("files", src)
            .map_err(ModuleError::Failed)?;
        Ok(if path.is_dir() { Some(path) } else { None })
    }

    /// Plans a recursive copy: one probe lists the checksums of every destination file.
    async fn plan_tree(
        &self,
        args: &Args,
        root: &Path,
        ctx: &Context<'_>,
    ) -> Result<Plan, ModuleError> {
        let src = args.str("src").unwrap_or_default();
        let mut dest = args.str("dest").unwrap_or_default().to_string();
        if !dest.ends_with('/') {
            dest.push('/');
        }
        let base = if src.ends_with('/') {
            String::new()
        } else {
            format!(
                "{}/",
                root.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            )
        };
        let mut tree = TreeCopy {
            dirs: vec![],
            files: vec![],
        };
        walk(
            root,
            "",
            args.get("local_follow")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            &mut tree,
        )?;
        let top = format!("{dest}{base}");
        let mut p = ProbeScript::new();
        p.prelude(&format!("t={}", quote(&top)));
        p.section(
            "dirs",
            &format!(
                "for x in '' {}; do [ -d \"$t$x\" ] || printf '%s\\n' \"$x\"; done",
                tree.dirs
                    .iter()
                    .map(|d| quote(d))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        );
        let wanted = WantedAttrs::from_args(args).map_err(ModuleError::Args)?;
        p.section("ids", &lookup_code(&wanted));
        p.section("files", &format!(
            "for x in {}; do if [ -f \"$t$x\" ]; then stat -c \"%u|%g|%a|$x\" -- \"$t$x\"; printf 'sum|%s\\n' \"$(sha1sum -- \"$t$x\" | cut -c1-40)\"; fi; done; :",
            tree.files.iter().map(|(_, r)| quote(r)).collect::<Vec<_>>().join(" ")
        ));
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let ids = parse_lookup(
            &wanted,
            &s.get("ids").map_err(ModuleError::Protocol)?.text(),
        )
        .map_err(ModuleError::Failed)?;
        let missing_dirs: Vec<String> = s.get("dirs").map_err(ModuleError::Protocol)?.lines();
        let mut existing: std::collections::HashMap<String, (u32, u32, u32, String)> =
            Default::default();
        let lines = s.get("files").map_err(ModuleError::Protocol)?.lines();
        let mut i = 0;
        while i + 1 < lines.len() {
            let f: Vec<&str> = lines[i].splitn(4, '|').collect();
            if let (4, Some(sum)) = (f.len(), lines[i + 1].strip_prefix("sum|")) {
                existing.insert(
                    f[3].to_string(),
                    (
                        f[0].parse().unwrap_or(0),
                        f[1].parse().unwrap_or(0),
                        u32::from_str_radix(f[2], 8).unwrap_or(0),
                        sum.to_string(),
                    ),
                );
            }
            i += 2;
        }
        let mut changes = Vec::new();
        for d in &missing_dirs {
            let shown = if d.is_empty() {
                top.clone()
            } else {
                format!("{top}{d}")
            };
            changes.push(Change::new(
                format!("directory:{shown}"),
                "absent",
                "directory",
            ));
        }
        for (local, rel) in &tree.files {
            let (sum, _) = sha1_of_file(local)?;
            let path = format!("{top}{rel}");
            match existing.get(rel) {
                None => changes.push(Change::new(format!("file:{path}"), Value::Null, sum)),
                Some((uid, gid, mode, cur)) => {
                    if cur != &sum && args.bool("force") {
                        changes.push(Change::new(format!("file:{path}"), cur.clone(), sum));
                    } else {
                        let st = FileState {
                            kind: FileKind::File,
                            mode: *mode,
                            uid: *uid,
                            gid: *gid,
                            owner: uid.to_string(),
                            group: gid.to_string(),
                            size: 0,
                            atime: 0.0,
                            mtime: 0.0,
                            ctime: 0.0,
                            inode: 0,
                            dev: 0,
                            nlink: 1,
                            link_target: None,
                        };
                        if !attr_changes(Some(&st), &wanted, &ids, false, 0o644)
                            .map_err(ModuleError::Failed)?
                            .is_empty()
                        {
                            changes.push(Change::new(
                                format!("attributes:{path}"),
                                Value::Null,
                                "changed",
                            ));
                        }
                    }
                }
            }
        }
        let mut values = Map::new();
        values.insert("dest".into(), Value::String(dest));
        values.insert(
            "src".into(),
            Value::String(format!(
                "{}{}",
                root.to_string_lossy(),
                if src.ends_with('/') { "/" } else { "" }
            )),
        );
        Ok(Plan {
            changes,
            values,
            ..Default::default()
        })
    }

    async fn apply_tree(
        &self,
        args: &Args,
        root: &Path,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let wanted = WantedAttrs::from_args(args).map_err(ModuleError::Args)?;
        let dir_mode = args.str("directory_mode").map(str::to_string);
        let mut pre = String::new();
        for c in &plan.changes {
            if let Some(d) = c.field.strip_prefix("directory:") {
                pre.push_str(&format!("mkdir -p -- {q} || exit 1\n", q = quote(d)));
                if let Some(m) = &dir_mode {
                    pre.push_str(&format!("chmod {} -- {} || exit 1\n", quote(m), quote(d)));
                }
                if let Some(o) = &wanted.owner {
                    pre.push_str(&format!("chown {} -- {} || exit 1\n", quote(o), quote(d)));
                }
                if let Some(g) = &wanted.group {
                    pre.push_str(&format!("chgrp {} -- {} || exit 1\n", quote(g), quote(d)));
                }
            }
        }
        if !pre.is_empty() {
            let out = ctx.host.run(Command::new(pre)).await?;
            if out.rc != 0 {
                return Ok(Outcome::failed(out.stderr_str().trim().to_string()));
            }
        }
        let top = plan
            .values
            .get("dest")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let _ = top;
        let mut post = String::new();
        for c in &plan.changes {
            if let Some(path) = c.field.strip_prefix("file:") {
                let rel_local = self.local_for(args, root, path, &plan);
                let mode = match &wanted.mode {
                    Some(ModeSpec::Octal(m)) => Some(format_mode(*m)),
                    Some(ModeSpec::Preserve) => rel_local
                        .as_deref()
                        .and_then(source_mode_of)
                        .map(format_mode),
                    Some(ModeSpec::Symbolic(_)) => {
                        post.push_str(&apply_attr_code(
                            path,
                            &[Change::new(
                                "mode",
                                Value::Null,
                                args.str("mode").unwrap_or_default(),
                            )],
                            false,
                        ));
                        Some("0644".into())
                    }
                    None => Some("0644".into()),
                };
                let attrs = FileAttrs {
                    mode,
                    owner: wanted.owner.clone(),
                    group: wanted.group.clone(),
                };
                if let Some(local) = rel_local {
                    ctx.host
                        .put_file(path, Content::LocalFile(local), &attrs)
                        .await?;
                }
            } else if let Some(path) = c.field.strip_prefix("attributes:") {
                let mut ch = Vec::new();
                if let Some(o) = &wanted.owner {
                    ch.push(Change::new("owner", Value::Null, o.clone()));
                }
                if let Some(g) = &wanted.group {
                    ch.push(Change::new("group", Value::Null, g.clone()));
                }
                if let Some(m) = args.str("mode").filter(|m| *m != "preserve") {
                    ch.push(Change::new("mode", Value::Null, m));
                }
                post.push_str(&apply_attr_code(path, &ch, false));
            }
        }
        if !post.is_empty() {
            let out = ctx.host.run(Command::new(post)).await?;
            if out.rc != 0 {
                return Ok(Outcome::failed(out.stderr_str().trim().to_string()));
            }
        }
        Ok(Outcome::applied(plan))
    }

    /// The controller file that goes to host `path` in a recursive copy.
    fn local_for(&self, args: &Args, root: &Path, path: &str, plan: &Plan) -> Option<PathBuf> {
        let dest = plan.values.get("dest").and_then(Value::as_str)?;
        let src = args.str("src").unwrap_or_default();
        let rest = path.strip_prefix(dest)?;
        let rel = if src.ends_with('/') {
            rest.to_string()
        } else {
            let base = root.file_name()?.to_string_lossy().into_owned();
            rest.strip_prefix(&format!("{base}/"))?.to_string()
        };
        Some(root.join(rel))
    }
}

#[async_trait]
impl Module for CopyModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    /// Like Ansible's `copy` action, which does not support async.
    fn supports_async(&self) -> bool {
        false
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        if let Some(root) = Self::local_dir(args, ctx)? {
            return self.plan_tree(args, &root, ctx).await;
        }
        let ws = Self::single_spec(args, ctx)?;
        plan_write(&ws, ctx).await
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        if let Some(root) = Self::local_dir(args, ctx)? {
            return self.apply_tree(args, &root, plan, ctx).await;
        }
        let ws = Self::single_spec(args, ctx)?;
        apply_write(&ws, plan, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_serialises_like_python() {
        assert_eq!(
            content_text(&json!({"a": 1, "b": [1, "é"]})),
            r#"{"a": 1, "b": [1, "\u00e9"]}"#
        );
        assert_eq!(content_text(&json!("x\n")), "x\n");
        assert_eq!(
            python_json(&json!([true, null, "q\"\\"])),
            r#"[true, null, "q\"\\"]"#
        );
    }

    #[test]
    fn diff_text_skips_binary_and_large() {
        assert_eq!(diff_text(b"abc\n").as_deref(), Some("abc\n"));
        assert_eq!(diff_text(b"a\0b"), None);
        assert_eq!(diff_text(&vec![b'a'; 200_000]), None);
        assert_eq!(
            sha1_hex(b"hello\n"),
            "f572d396fae9206628714fb2ce00f72e94f2258f"
        );
    }
}
