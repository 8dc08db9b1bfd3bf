//! `unarchive`: unpacks a tar (any compression the host's tar knows) or zip archive into an
//! existing directory. A controller archive is sent once (kept under a name derived from its SHA-1
//! until applied); the archive is compared with `dest` (`tar --compare`, or the member list, sizes
//! and permissions for zip) so an already-unpacked archive is not unpacked again, and in the same
//! round trip the members' owner, group and mode are compared with the wanted ones, so a drift of
//! attributes alone is planned (and fixed) member by member.

use async_trait::async_trait;

use super::copy::sha1_hex;
use super::file::{
    ARG_ATTRIBUTES, ARG_GROUP, ARG_MODE, ARG_OWNER, ARG_SELEVEL, ARG_SEROLE, ARG_SETYPE,
    ARG_SEUSER, ARG_UNSAFE,
};
use crate::fileattr::{
    format_mode, lookup_code, parse_lookup, parse_stat, stat_code, ResolvedIds, WantedAttrs,
};
use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{
    Args, Change, Command, Content, Context, FileAttrs, Map, Module, ModuleError, Outcome, Plan,
    Value,
};

/// The `unarchive` module.
pub struct UnarchiveModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "unarchive",
    fqcn: &["ansible.builtin.unarchive", "ansible.legacy.unarchive"],
    synopsis: "Unpack an archive into a directory.",
    description: "`src` is a controller file (searched in `files/`) unless `remote_src`; `dest` must be an \
        existing directory. tar archives (gz, bz2, xz as the host's tar supports) use tar, zip uses unzip. \
        Nothing is unpacked when `creates` exists or the archive's contents already match; a member's \
        mode (or, as root, owner/group) differing from the archive's counts unless `mode` (`owner`, \
        `group`) is given, and the given ones are compared member by member.",
    args: &[
        ArgSpec::new("src", ArgKind::Path, "The archive.").required(),
        ArgSpec::new("dest", ArgKind::Path, "Existing directory to unpack into.").required(),
        ArgSpec::new("remote_src", ArgKind::Bool, "src is already on the host.").default("false"),
        ArgSpec::new("copy", ArgKind::Bool, "Deprecated opposite of remote_src."),
        ArgSpec::new("creates", ArgKind::Path, "Do nothing when this path exists."),
        ArgSpec::new("list_files", ArgKind::Bool, "Return the archive's members as `files`.").default("false"),
        ArgSpec::new("keep_newer", ArgKind::Bool, "Do not replace files newer than the archive's.").default("false"),
        ArgSpec::new("exclude", ArgKind::List, "Members to leave out.").elements(ArgKind::Str).default("[]"),
        ArgSpec::new("include", ArgKind::List, "Only these members.").elements(ArgKind::Str).default("[]"),
        ArgSpec::new("extra_opts", ArgKind::List, "Extra options for tar/unzip.").elements(ArgKind::Str).default("[]"),
        ArgSpec::new("io_buffer_size", ArgKind::Int, "Accepted for compatibility.").default("65536"),
        ArgSpec::new("decrypt", ArgKind::Bool, "Decrypt vaulted archives.").default("true"),
        ArgSpec::new("validate_certs", ArgKind::Bool, "Check TLS certificates for URLs.").default("true"),
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
    mutually_exclusive: &[&["copy", "remote_src"]],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "dest", returned: "always", doc: "The directory." },
        ReturnSpec { name: "handler", returned: "always", doc: "`TgzArchive` or `ZipArchive`." },
        ReturnSpec { name: "files", returned: "list_files", doc: "The archive's members." },
        ReturnSpec { name: "extract_results", returned: "changed", doc: "cmd, rc, out, err of the unpacking." },
    ],
    examples: "- ansible.builtin.unarchive:\n    src: app-1.2.tar.gz\n    dest: /opt/app\n    owner: app\n    creates: /opt/app/bin/app\n",
};

fn is_zip(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".zip")
}

/// Where the archive is on the host (a SHA-1-named copy for controller archives).
fn host_archive(args: &Args, sha1: Option<&str>) -> String {
    match sha1 {
        Some(s) => format!("/tmp/.rplay-unarchive-{s}"),
        None => args.str("src").unwrap_or_default().to_string(),
    }
}

fn remote(args: &Args) -> bool {
    args.bool("remote_src") || args.get("copy").and_then(Value::as_bool) == Some(false)
}

/// Options restricting members (`--exclude`, include list) and the extra ones.
fn tar_opts(args: &Args) -> String {
    let mut o: Vec<String> = args
        .str_list("extra_opts")
        .iter()
        .map(|x| quote(x))
        .collect();
    for e in args.str_list("exclude") {
        o.push(quote(&format!("--exclude={e}")));
    }
    if args.bool("keep_newer") {
        o.push("--keep-newer-files".into());
    }
    o.join(" ")
}

fn includes(args: &Args) -> String {
    args.str_list("include")
        .iter()
        .map(|x| quote(x))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shell code printing `same` or `differs`, comparing archive `$a` with `$d` as Ansible does:
/// contents, sizes, times and links always count; a mode differing from the archive's only when
/// no `mode` is asked for, and (for root) an owner or group only when none is asked for, since
/// wanted attributes are compared on their own ([`attrs_code`]).
fn compare_code(args: &Args, zip: bool) -> String {
    let mode_counts = args.str("mode").is_none();
    if zip {
        // Every member present with the same size (and the archive's permissions, unless a
        // `mode` is asked for).
        return format!(
            "command -v unzip >/dev/null 2>&1 || {{ echo 'no unzip'; exit 0; }}\n\
             unzip -Zl \"$a\" 2>/dev/null | awk 'NF>=10 && $1 ~ /^[-dl]/ {{print $1\"|\"$4\"|\"$NF}}' | \
             {{ r=same; while IFS='|' read -r perm size name; do \
             case \"$name\" in */) [ -d \"$d/$name\" ] || r=differs ;; \
             *) [ -f \"$d/$name\" ] && [ \"$(stat -c %s -- \"$d/$name\")\" = \"$size\" ] || r=differs ;; esac; \
             if [ {m} = 1 ] && [ -e \"$d/$name\" ] && printf '%s' \"$perm\" | grep -qE '^[-d]([r-][w-][xsStT-]){{3}}$' \
             && [ \"$(stat -c %A -- \"$d/$name\")\" != \"$perm\" ]; then r=differs; fi; \
             done; echo $r; }}",
            m = u8::from(mode_counts)
        );
    }
    let mut counted = String::from(
        ": (Mod time differs|Symlink differs|Contents differ|Size differs)$|: Warning: Cannot stat: No such file or directory$|: Invalid (owner|group)",
    );
    if mode_counts {
        counted.push_str("|: Mode differs$");
    }
    let mut as_root = String::new();
    if args.str("owner").is_none() {
        as_root.push_str("|: Uid differs$");
    }
    if args.str("group").is_none() {
        as_root.push_str("|: Gid differs$");
    }
    format!(
        "out=$(LC_ALL=C tar -d -f \"$a\" -C \"$d\" {} {} 2>&1); rc=$?\n\
         cnt={}; [ \"$(id -u)\" != 0 ] || cnt=\"$cnt\"{}\n\
         if [ $rc -gt 1 ] || printf '%s\\n' \"$out\" | grep -v ': : Warning: Cannot stat' | grep -qE \"$cnt\"; then echo differs; else echo same; fi",
        tar_opts(args),
        includes(args),
        quote(&counted),
        quote(&as_root),
    )
}

/// Shell code listing the archive's members as they are named under `$d`, one per line, then
/// their top directories (`app/bin/run` → `app`), as Ansible sets attributes on both.
fn members_code(args: &Args, zip: bool) -> String {
    let list = if zip {
        format!("unzip -Z1 \"$a\" {}", includes(args))
    } else {
        let mut opts: Vec<String> = args
            .str_list("extra_opts")
            .iter()
            .map(|x| quote(x))
            .collect();
        opts.extend(
            args.str_list("exclude")
                .iter()
                .map(|e| quote(&format!("--exclude={e}"))),
        );
        format!(
            "tar -tf \"$a\" --show-transformed-names {} {}",
            opts.join(" "),
            includes(args)
        )
    };
    format!(
        "{{ {list} 2>/dev/null | sed 's|/$||' | tee \"$_ml\" ; sed -n 's|^\\(\\./\\)\\{{0,1\\}}\\([^/]*\\)/.*|\\2|p' \"$_ml\" | sort -u; }}"
    )
}

/// Shell code printing `uid|gid|mode|type|member` for every member present under `$d` (the
/// member itself, not a link's target), for the wanted owner, group and mode to be compared.
fn attrs_code(args: &Args, zip: bool) -> String {
    format!(
        "_ml=$(mktemp) || exit 1; case \"$a\" in /*) ;; *) a=\"$PWD/$a\" ;; esac; cd \"$d\" || exit 1; {} | while IFS= read -r m; do \
         [ -n \"$m\" ] && {{ [ -e \"$m\" ] || [ -L \"$m\" ]; }} && printf '%s\\0' \"$m\"; done | \
         xargs -0 -r stat -c '%u|%g|%a|%F|%n' --; rm -f \"$_ml\"",
        members_code(args, zip)
    )
}

/// The owner, group and mode changes that members listed by [`attrs_code`] need.
fn attr_drift(
    wanted: &WantedAttrs,
    ids: &ResolvedIds,
    listing: &str,
) -> Result<Vec<Change>, String> {
    let mut changes = Vec::new();
    for line in listing.lines() {
        let f: Vec<&str> = line.splitn(5, '|').collect();
        let [uid, gid, mode, kind, name] = f[..] else {
            continue;
        };
        let (Ok(uid), Ok(gid), Ok(mode)) = (
            uid.parse::<u32>(),
            gid.parse::<u32>(),
            u32::from_str_radix(mode, 8),
        ) else {
            continue;
        };
        if let (Some(owner), Some(want)) = (&wanted.owner, ids.uid) {
            if uid != want {
                changes.push(Change::new(
                    format!("owner:{name}"),
                    uid.to_string(),
                    owner.clone(),
                ));
            }
        }
        if let (Some(group), Some(want)) = (&wanted.group, ids.gid) {
            if gid != want {
                changes.push(Change::new(
                    format!("group:{name}"),
                    gid.to_string(),
                    group.clone(),
                ));
            }
        }
        if let Some(spec) = wanted.mode.as_ref().filter(|_| kind != "symbolic link") {
            if let Some(new) = spec.resolve(mode, kind == "directory")? {
                if new != mode {
                    changes.push(Change::new(
                        format!("mode:{name}"),
                        format_mode(mode),
                        format_mode(new),
                    ));
                }
            }
        }
    }
    Ok(changes)
}

#[async_trait]
impl Module for UnarchiveModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    /// Like Ansible's `unarchive` action, which does not support async.
    fn supports_async(&self) -> bool {
        false
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let src = args.str("src").unwrap_or_default();
        let dest = args.str("dest").unwrap_or_default();
        let zip = is_zip(src);
        let handler = if zip { "ZipArchive" } else { "TgzArchive" };
        let local = if remote(args) {
            None
        } else {
            let path = ctx
                .controller
                .find_file("files", src)
                .map_err(ModuleError::Failed)?;
            let bytes = std::fs::read(&path)
                .map_err(|e| ModuleError::Failed(format!("{}: {e}", path.display())))?;
            Some((path, sha1_hex(&bytes)))
        };
        let archive = host_archive(args, local.as_ref().map(|l| l.1.as_str()));
        let mut values = Map::new();
        values.insert("dest".into(), Value::String(dest.to_string()));
        values.insert("src".into(), Value::String(src.to_string()));
        values.insert("handler".into(), Value::String(handler.into()));
        let mut p = ProbeScript::new();
        p.prelude(&format!("d={}\na={}", quote(dest), quote(&archive)));
        p.section("dest", &stat_code("d", true));
        p.section("archive", "[ -f \"$a\" ] && echo yes; :");
        if let Some(c) = args.str("creates") {
            p.section("creates", &format!("[ -e {} ] && echo yes; :", quote(c)));
        }
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        if s.opt("creates").is_some_and(|c| c.text().trim() == "yes") {
            let msg = format!(
                "skipped, since {} exists",
                args.str("creates").unwrap_or_default()
            );
            values.insert("msg".into(), Value::String(msg.clone()));
            return Ok(Plan {
                values,
                msg: Some(msg),
                ..Default::default()
            });
        }
        let dstat = parse_stat(&s.get("dest").map_err(ModuleError::Protocol)?.text())
            .map_err(ModuleError::Protocol)?;
        if !dstat
            .as_ref()
            .is_some_and(|d| d.kind == crate::fileattr::FileKind::Directory)
        {
            return Err(ModuleError::Failed(format!(
                "dest '{dest}' must be an existing dir"
            )));
        }
        if let Some(st) = &dstat {
            values.extend(st.attr_values());
        }
        let present = s
            .get("archive")
            .map_err(ModuleError::Protocol)?
            .text()
            .trim()
            == "yes";
        if !present {
            match &local {
                Some((path, _)) => {
                    ctx.host
                        .put_file(
                            &archive,
                            Content::LocalFile(path.clone()),
                            &FileAttrs {
                                mode: Some("0600".into()),
                                ..Default::default()
                            },
                        )
                        .await?
                }
                None => {
                    return Err(ModuleError::Failed(format!(
                        "Source '{src}' does not exist"
                    )))
                }
            }
        }
        let wanted = WantedAttrs::from_args(args).map_err(ModuleError::Failed)?;
        let mut c = ProbeScript::new();
        c.prelude(&format!("d={}\na={}", quote(dest), quote(&archive)));
        c.section("compare", &compare_code(args, zip));
        if !wanted.is_empty() {
            c.section("ids", &lookup_code(&wanted));
            c.section("attrs", &format!("( {} ); :", attrs_code(args, zip)));
        }
        if args.bool("list_files") {
            c.section(
                "list",
                if zip {
                    "unzip -Z1 \"$a\" 2>/dev/null; :"
                } else {
                    "tar -tf \"$a\" 2>/dev/null; :"
                },
            );
        }
        // In check mode, or when nothing is to be done, the sent archive is not needed any more.
        let out = ctx.host.run(Command::new(c.script())).await?;
        let s = c.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let verdict = s.get("compare").map_err(ModuleError::Protocol)?.text();
        if verdict.trim() == "no unzip" {
            return Err(ModuleError::Failed(format!(
                "Failed to find handler for \"{archive}\". Make sure the required command to extract the file is installed. Unable to find required 'unzip' binary in the path."
            )));
        }
        if let Some(l) = s.opt("list") {
            values.insert(
                "files".into(),
                Value::Array(l.lines().into_iter().map(Value::String).collect()),
            );
        }
        let mut changes = Vec::new();
        if verdict.trim() != "same" {
            changes.push(Change::new(
                "unpacked",
                Value::Null,
                format!("{src} into {dest}"),
            ));
        } else if !wanted.is_empty() {
            let ids = parse_lookup(
                &wanted,
                &s.get("ids").map_err(ModuleError::Protocol)?.text(),
            )
            .map_err(ModuleError::Failed)?;
            let listing = s.get("attrs").map_err(ModuleError::Protocol)?.text();
            changes.extend(attr_drift(&wanted, &ids, &listing).map_err(ModuleError::Failed)?);
        }
        if local.is_some() && (changes.is_empty() || ctx.check_mode) {
            ctx.host
                .run(Command::new(format!("rm -f -- {}", quote(&archive))))
                .await?;
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
        let src = args.str("src").unwrap_or_default();
        let dest = args.str("dest").unwrap_or_default();
        let zip = is_zip(src);
        let local = if remote(args) {
            None
        } else {
            let path = ctx
                .controller
                .find_file("files", src)
                .map_err(ModuleError::Failed)?;
            let bytes = std::fs::read(&path)
                .map_err(|e| ModuleError::Failed(format!("{}: {e}", path.display())))?;
            Some(sha1_hex(&bytes))
        };
        let archive = host_archive(args, local.as_deref());
        let cmd = if zip {
            format!(
                "unzip -o {} \"$a\" {} -d \"$d\"",
                args.str_list("extra_opts")
                    .iter()
                    .map(|x| quote(x))
                    .collect::<Vec<_>>()
                    .join(" "),
                includes(args)
            )
        } else {
            format!(
                "tar -x -f \"$a\" -C \"$d\" {} {}",
                tar_opts(args),
                includes(args)
            )
        };
        let unpack = plan.changes.iter().any(|c| c.field == "unpacked");
        let mut script = format!("d={}\na={}\n", quote(dest), quote(&archive));
        if unpack {
            script.push_str(&format!("{cmd}\nrc=$?\n"));
        } else {
            script.push_str("rc=0\n");
        }
        let members = format!("_ml=$(mktemp) || exit 1; {}", members_code(args, zip));
        let mut attrs = String::new();
        if let Some(o) = args.str("owner") {
            attrs.push_str(&format!("chown -h {} -- \"$d/$m\";", quote(o)));
        }
        if let Some(g) = args.str("group") {
            attrs.push_str(&format!("chgrp -h {} -- \"$d/$m\";", quote(g)));
        }
        if let Some(mo) = args.str("mode") {
            attrs.push_str(&format!(
                "[ -L \"$d/$m\" ] || chmod {} -- \"$d/$m\";",
                quote(mo)
            ));
        }
        if !attrs.is_empty() {
            script.push_str(&format!(
                "if [ $rc -eq 0 ]; then {members} | while IFS= read -r m; do [ -n \"$m\" ] || continue; [ -e \"$d/$m\" ] || [ -L \"$d/$m\" ] || continue; {attrs} done; rm -f \"$_ml\"; fi\n"
            ));
        }
        if local.is_some() {
            script.push_str("rm -f -- \"$a\"\n");
        }
        script.push_str("exit $rc\n");
        let out = ctx.host.run(Command::new(script)).await?;
        let mut values = plan.values.clone();
        let mut results = Map::new();
        results.insert(
            "cmd".into(),
            Value::String(cmd.replace("\"$a\"", &archive).replace("\"$d\"", dest)),
        );
        results.insert("rc".into(), Value::from(out.rc));
        results.insert("out".into(), Value::String(out.stdout_str()));
        results.insert("err".into(), Value::String(out.stderr_str()));
        if unpack {
            values.insert("extract_results".into(), Value::Object(results));
        }
        if out.rc != 0 {
            let mut o = Outcome::failed(format!(
                "Failed to unpack {src} into {dest}: {}",
                out.stderr_str().trim()
            ));
            o.values = values;
            return Ok(o);
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
    use crate::fileattr::parse_mode_spec;

    #[test]
    fn drift_of_wanted_attributes() {
        let wanted = WantedAttrs {
            mode: Some(parse_mode_spec("u=rwX,g=rX,o=").unwrap()),
            owner: Some("app".into()),
            group: None,
        };
        let ids = ResolvedIds {
            uid: Some(1000),
            gid: None,
        };
        let listing = "1000|0|750|directory|app\n\
                       1000|0|640|regular file|app/README\n\
                       0|0|666|regular file|app/a|b\n\
                       1000|0|777|symbolic link|app/l\n";
        let fields: Vec<String> = attr_drift(&wanted, &ids, listing)
            .unwrap()
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(fields, vec!["owner:app/a|b", "mode:app/a|b"]);
    }
}
