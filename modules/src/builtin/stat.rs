//! `stat`: reports everything about a path (kind, mode bits, owner, times, checksum, link target,
//! MIME type, attributes) in Ansible's `stat` dict, from one script using `stat`, `sha1sum`
//! (or the chosen algorithm), `file` and `lsattr` when the host has them. Never changes anything.

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Map, Module, ModuleError, Plan, Value};

/// The `stat` module.
pub struct StatModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "stat",
    fqcn: &["ansible.builtin.stat", "ansible.legacy.stat"],
    synopsis: "Retrieve facts about a file or directory.",
    description: "Returns `stat` with `exists: false`, or every attribute of the path. Never reports changed.",
    args: &[
        ArgSpec::new("path", ArgKind::Path, "The path to look at.").required().aliases(&["dest", "name"]),
        ArgSpec::new("follow", ArgKind::Bool, "Follow symbolic links.").default("false"),
        ArgSpec::new("get_checksum", ArgKind::Bool, "Compute the checksum of regular files.").default("true"),
        ArgSpec::new("checksum_algorithm", ArgKind::Str, "Checksum algorithm.")
            .default("\"sha1\"")
            .choices(&["md5", "sha1", "sha224", "sha256", "sha384", "sha512"])
            .aliases(&["checksum", "checksum_algo"]),
        ArgSpec::new("get_mime", ArgKind::Bool, "Detect the MIME type with `file`.")
            .default("true")
            .aliases(&["mime", "mime_type", "mime-type"]),
        ArgSpec::new("get_attributes", ArgKind::Bool, "Read attributes with `lsattr`.")
            .default("true")
            .aliases(&["attr", "attributes"]),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[ReturnSpec { name: "stat", returned: "success", doc: "Dictionary about the path: exists, path, mode, isdir, isreg, islnk, uid, gid, pw_name, gr_name, size, mtime, checksum, ..." }],
    examples: "- name: Is it there?\n  ansible.builtin.stat:\n    path: /etc/app.conf\n  register: app_conf\n\n\
        - ansible.builtin.debug:\n    msg: \"exists\"\n  when: app_conf.stat.exists\n",
};

const FIELDS: &str = "%f|%u|%g|%s|%.9X|%.9Y|%.9Z|%i|%d|%h|%b|%o|%t|%T|%U|%G";

fn probe_script(args: &Args) -> ProbeScript {
    let follow = args.bool("follow");
    let l = if follow { "-L " } else { "" };
    let mut p = ProbeScript::new();
    p.prelude(&format!(
        "p={}",
        quote(args.str("path").unwrap_or_default())
    ));
    p.section(
        "stat",
        &format!(
            "if [ -e \"$p\" ] || [ -L \"$p\" ]; then stat {l}-c '{FIELDS}' -- \"$p\" 2>/dev/null || stat {l}-c '{}' -- \"$p\"; else echo A; fi",
            FIELDS.replace("%.9", "%")
        ),
    );
    p.section(
        "access",
        "[ -r \"$p\" ] && printf r; [ -w \"$p\" ] && printf w; [ -x \"$p\" ] && printf x; :",
    );
    p.section(
        "link",
        "if [ -L \"$p\" ]; then readlink -- \"$p\"; readlink -f -- \"$p\" || realpath -- \"$p\"; fi; :",
    );
    if args
        .get("get_checksum")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        let algo = args.str("checksum_algorithm").unwrap_or("sha1");
        let target = "\"$p\"";
        p.section(
            "checksum",
            &format!(
                "if [ -f {target} ] && [ -r {target} ] && {{ [ ! -L \"$p\" ] || [ -n '{l}' ]; }}; then {algo}sum -- {target} | cut -d' ' -f1; fi; :"
            ),
        );
    }
    if args
        .get("get_mime")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        let h = if follow { "-L" } else { "-h" };
        p.section(
            "mime",
            &format!(
                "if command -v file >/dev/null 2>&1; then file -b {h} --mime-type -- \"$p\"; file -b {h} --mime-encoding -- \"$p\"; fi; :"
            ),
        );
    }
    if args
        .get("get_attributes")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        p.section(
            "attrs",
            "if command -v lsattr >/dev/null 2>&1 && [ ! -L \"$p\" ]; then lsattr -d -- \"$p\" 2>/dev/null | cut -d' ' -f1; fi; :",
        );
    }
    p
}

/// `lsattr` flag letters to Ansible's attribute names.
fn attribute_names(flags: &str) -> Vec<Value> {
    const NAMES: &[(char, &str)] = &[
        ('a', "append"),
        ('A', "noatime"),
        ('c', "compressed"),
        ('C', "nocow"),
        ('d', "nodump"),
        ('D', "dirsync"),
        ('e', "extents"),
        ('E', "encrypted"),
        ('F', "casefold"),
        ('h', "blocksize"),
        ('i', "immutable"),
        ('I', "indexed"),
        ('j', "journalled"),
        ('m', "dontcompress"),
        ('N', "inline"),
        ('P', "projinherit"),
        ('s', "secure"),
        ('S', "synchronous"),
        ('t', "notail"),
        ('T', "topdir"),
        ('u', "undelete"),
        ('V', "verity"),
        ('x', "dax"),
    ];
    flags
        .chars()
        .filter_map(|c| {
            NAMES
                .iter()
                .find(|(f, _)| *f == c)
                .map(|(_, n)| Value::String((*n).into()))
        })
        .collect()
}

/// Builds the `stat` dict from the probe's sections (pure).
fn stat_dict(path: &str, sections: &crate::shell::Sections) -> Result<Map, String> {
    let text = sections.get("stat")?.text();
    let line = text.lines().next().unwrap_or_default();
    let mut m = Map::new();
    if line == "A" || line.is_empty() {
        m.insert("exists".into(), Value::Bool(false));
        return Ok(m);
    }
    let f: Vec<&str> = line.split('|').collect();
    if f.len() < 16 {
        return Err(format!("unexpected stat output: {line}"));
    }
    let bad = |what: &str| format!("unexpected stat output ({what}): {line}");
    let raw = u32::from_str_radix(f[0], 16).map_err(|_| bad("mode"))?;
    let num = |i: usize| f[i].parse::<u64>().map_err(|_| bad("number"));
    let float = |i: usize| f[i].parse::<f64>().map_err(|_| bad("time"));
    let fmt = raw & 0o170000;
    let perm = raw & 0o7777;
    let b = |v: bool| Value::Bool(v);
    m.insert("exists".into(), b(true));
    m.insert("path".into(), Value::String(path.into()));
    m.insert("mode".into(), Value::String(format!("{:04o}", perm)));
    m.insert("isdir".into(), b(fmt == 0o040000));
    m.insert("ischr".into(), b(fmt == 0o020000));
    m.insert("isblk".into(), b(fmt == 0o060000));
    m.insert("isreg".into(), b(fmt == 0o100000));
    m.insert("isfifo".into(), b(fmt == 0o010000));
    m.insert("islnk".into(), b(fmt == 0o120000));
    m.insert("issock".into(), b(fmt == 0o140000));
    m.insert("uid".into(), Value::from(num(1)?));
    m.insert("gid".into(), Value::from(num(2)?));
    m.insert("size".into(), Value::from(num(3)?));
    m.insert("inode".into(), Value::from(num(7)?));
    m.insert("dev".into(), Value::from(num(8)?));
    m.insert("nlink".into(), Value::from(num(9)?));
    m.insert("atime".into(), Value::from(float(4)?));
    m.insert("mtime".into(), Value::from(float(5)?));
    m.insert("ctime".into(), Value::from(float(6)?));
    crate::fileattr::insert_permission_flags(&mut m, perm);
    m.insert("blocks".into(), Value::from(num(10)?));
    m.insert("block_size".into(), Value::from(num(11)?));
    let major = u64::from_str_radix(f[12], 16).unwrap_or(0);
    let minor = u64::from_str_radix(f[13], 16).unwrap_or(0);
    let rdev = ((major & 0xfff) << 8)
        | (minor & 0xff)
        | ((minor & !0xff) << 12)
        | ((major & !0xfff) << 32);
    m.insert("device_type".into(), Value::from(rdev));
    let access = sections.get("access")?.text();
    m.insert("readable".into(), b(access.contains('r')));
    m.insert("writeable".into(), b(access.contains('w')));
    m.insert("executable".into(), b(access.contains('x')));
    m.insert("pw_name".into(), Value::String(f[14].into()));
    m.insert("gr_name".into(), Value::String(f[15].trim_end().into()));
    if let Some(c) = sections
        .opt("checksum")
        .map(|c| c.text().trim().to_string())
        .filter(|c| !c.is_empty())
    {
        m.insert("checksum".into(), Value::String(c));
    }
    let link = sections.get("link")?.lines();
    if link.len() >= 2 {
        m.insert("lnk_source".into(), Value::String(link[1].clone()));
        m.insert("lnk_target".into(), Value::String(link[0].clone()));
    }
    if let Some(mime) = sections.opt("mime") {
        let l = mime.lines();
        let (t, c) = if l.len() >= 2 {
            (l[0].clone(), l[1].clone())
        } else {
            ("unknown".into(), "unknown".into())
        };
        m.insert("mimetype".into(), Value::String(t));
        m.insert("charset".into(), Value::String(c));
    }
    if let Some(a) = sections.opt("attrs") {
        let flags = a.text().trim().to_string();
        if !flags.is_empty() {
            m.insert("version".into(), Value::Null);
            let set: String = flags.chars().filter(|c| *c != '-').collect();
            m.insert("attributes".into(), Value::Array(attribute_names(&set)));
            m.insert("attr_flags".into(), Value::String(set));
        }
    }
    Ok(m)
}

#[async_trait]
impl Module for StatModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let script = probe_script(args);
        let out = ctx.host.run(Command::new(script.script())).await?;
        let sections = script.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let dict = stat_dict(args.str("path").unwrap_or_default(), &sections)
            .map_err(ModuleError::Protocol)?;
        let mut values = Map::new();
        values.insert("stat".into(), Value::Object(dict));
        Ok(Plan::unchanged(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ModuleSpec;

    fn run(spec: &ModuleSpec, raw: serde_json::Value) -> Map {
        let args = spec.validate(raw.as_object().unwrap()).unwrap();
        let p = probe_script(&args);
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(p.script())
            .output()
            .unwrap();
        stat_dict(args.str("path").unwrap(), &p.parse(&out.stdout).unwrap()).unwrap()
    }

    #[test]
    fn reads_files_links_and_absence() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "hello\n").unwrap();
        let l = dir.path().join("l");
        std::os::unix::fs::symlink(&f, &l).unwrap();
        let m = run(&SPEC, serde_json::json!({"path": f}));
        assert_eq!(m["exists"], true);
        assert_eq!(m["isreg"], true);
        assert_eq!(m["size"], 6);
        assert_eq!(m["checksum"], "f572d396fae9206628714fb2ce00f72e94f2258f");
        assert!(m["mtime"].is_f64());
        let m = run(&SPEC, serde_json::json!({"path": l}));
        assert_eq!(m["islnk"], true);
        assert_eq!(m["mode"], "0777");
        assert_eq!(m["lnk_target"], f.to_str().unwrap());
        assert!(m.get("checksum").is_none());
        let m = run(
            &SPEC,
            serde_json::json!({"path": l, "follow": true, "checksum_algorithm": "sha256"}),
        );
        assert_eq!(m["isreg"], true);
        assert_eq!(m["checksum"].as_str().map(str::len), Some(64));
        let m = run(&SPEC, serde_json::json!({"path": dir.path().join("none")}));
        assert_eq!(
            serde_json::Value::Object(m),
            serde_json::json!({"exists": false})
        );
    }
}
