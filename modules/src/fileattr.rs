//! File attributes shared by the file-like modules (file, copy, template, lineinfile...): Ansible's
//! `mode` forms (octal, symbolic `u=rw,g=r,o=`), the probe that reads a path's state with `stat`,
//! owner/group lookups, and the planning and applying of `mode`/`owner`/`group` changes.

use crate::shell::quote;
use crate::{Args, Change, Map, Value};

/// What kind of object a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (only seen when not following links).
    Link,
    /// A character device.
    Char,
    /// A block device.
    Block,
    /// A named pipe.
    Fifo,
    /// A socket.
    Socket,
}

impl FileKind {
    /// Ansible's `state` word for this kind (`file`, `directory`, `link`...).
    pub fn state_word(self) -> &'static str {
        match self {
            FileKind::File => "file",
            FileKind::Directory => "directory",
            FileKind::Link => "link",
            FileKind::Char | FileKind::Block | FileKind::Fifo | FileKind::Socket => "file",
        }
    }
}

/// A path's state as `stat` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileState {
    /// The object's kind.
    pub kind: FileKind,
    /// Permission bits, including setuid/setgid/sticky (`0o7777` mask).
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// Group gid.
    pub gid: u32,
    /// Owner name (`UNKNOWN` when the uid has no name).
    pub owner: String,
    /// Group name.
    pub group: String,
    /// Size in bytes.
    pub size: u64,
    /// Access time (seconds since the epoch).
    pub atime: f64,
    /// Modification time.
    pub mtime: f64,
    /// Status change time.
    pub ctime: f64,
    /// Inode number.
    pub inode: u64,
    /// Device number.
    pub dev: u64,
    /// Hard link count.
    pub nlink: u64,
    /// Target of a symbolic link.
    pub link_target: Option<String>,
}

impl FileState {
    /// The mode as Ansible prints it (`"0644"`).
    pub fn mode_string(&self) -> String {
        format_mode(self.mode)
    }

    /// Return values shared by file-like modules (`mode`, `owner`, `group`, `uid`, `gid`, `size`, `state`).
    pub fn attr_values(&self) -> Map {
        let mut m = Map::new();
        m.insert("mode".into(), Value::String(self.mode_string()));
        m.insert("owner".into(), Value::String(self.owner.clone()));
        m.insert("group".into(), Value::String(self.group.clone()));
        m.insert("uid".into(), Value::from(self.uid));
        m.insert("gid".into(), Value::from(self.gid));
        m.insert("size".into(), Value::from(self.size));
        m.insert("state".into(), Value::String(self.kind.state_word().into()));
        m
    }
}

/// `0o644` as `"0644"`.
pub fn format_mode(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// Shell code printing the state of the path held in the shell variable named `var` (`S|...`
/// line, then `L|target` for links), or `A` when it does not exist. With `follow`, links are
/// resolved (a dangling link reads as the link itself).
pub fn stat_code(var: &str, follow: bool) -> String {
    let fields = "%f|%u|%g|%s|%.6X|%.6Y|%.6Z|%i|%d|%h|%U|%G";
    let fields_int = "%f|%u|%g|%s|%X|%Y|%Z|%i|%d|%h|%U|%G";
    let l = if follow { "-L " } else { "" };
    format!(
        "if [ -e \"${var}\" ] || [ -L \"${var}\" ]; then \
         _rl='{l}'; [ -e \"${var}\" ] || _rl=''; \
         stat $_rl -c 'S|{fields}' -- \"${var}\" 2>/dev/null || stat $_rl -c 'S|{fields_int}' -- \"${var}\"; \
         if [ -z \"$_rl\" ] && [ -L \"${var}\" ]; then printf 'L|%s\\n' \"$(readlink -- \"${var}\")\"; fi; \
         else echo A; fi"
    )
}

/// Parses the output of [`stat_code`]: `None` when the path does not exist.
pub fn parse_stat(text: &str) -> Result<Option<FileState>, String> {
    let mut state = None;
    for line in text.lines() {
        if line == "A" {
            return Ok(None);
        }
        if let Some(rest) = line.strip_prefix("S|") {
            state = Some(parse_stat_line(rest)?);
        } else if let Some(target) = line.strip_prefix("L|") {
            if let Some(s) = state.as_mut() {
                s.link_target = Some(target.to_string());
            }
        }
    }
    state
        .map(Some)
        .ok_or_else(|| format!("unexpected stat output: {}", text.trim()))
}

fn parse_stat_line(rest: &str) -> Result<FileState, String> {
    let f: Vec<&str> = rest.split('|').collect();
    if f.len() < 12 {
        return Err(format!("unexpected stat output: {rest}"));
    }
    let bad = |what: &str| format!("unexpected stat output ({what}): {rest}");
    let raw = u32::from_str_radix(f[0], 16).map_err(|_| bad("mode"))?;
    let kind = match raw & 0o170000 {
        0o100000 => FileKind::File,
        0o040000 => FileKind::Directory,
        0o120000 => FileKind::Link,
        0o020000 => FileKind::Char,
        0o060000 => FileKind::Block,
        0o010000 => FileKind::Fifo,
        0o140000 => FileKind::Socket,
        _ => return Err(bad("file type")),
    };
    let num = |i: usize| f[i].parse::<u64>().map_err(|_| bad("number"));
    let float = |i: usize| f[i].parse::<f64>().map_err(|_| bad("time"));
    Ok(FileState {
        kind,
        mode: raw & 0o7777,
        uid: num(1)? as u32,
        gid: num(2)? as u32,
        size: num(3)?,
        atime: float(4)?,
        mtime: float(5)?,
        ctime: float(6)?,
        inode: num(7)?,
        dev: num(8)?,
        nlink: num(9)?,
        owner: f[10].to_string(),
        group: f[11].to_string(),
        link_target: None,
    })
}

/// A `mode` argument as the task gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum ModeSpec {
    /// Octal bits.
    Octal(u32),
    /// Symbolic clauses, applied to the current mode.
    Symbolic(String),
    /// `preserve`: the source's mode (copy/template).
    Preserve,
}

/// Parses a `mode` argument (already a string: numbers were turned into octal text by the spec).
pub fn parse_mode_spec(s: &str) -> Result<ModeSpec, String> {
    let t = s.trim();
    if t == "preserve" {
        return Ok(ModeSpec::Preserve);
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return u32::from_str_radix(t, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
            .map(ModeSpec::Octal)
            .ok_or_else(|| format!("mode must be in octal or symbolic form: {s}"));
    }
    // Validate now, so errors come before any host is touched.
    symbolic_to_octal(t, 0, false)
        .map(|_| ModeSpec::Symbolic(t.to_string()))
        .map_err(|_| format!("mode must be in octal or symbolic form: {s}"))
}

impl ModeSpec {
    /// The resulting bits for a path whose current bits are `current` (`is_dir` for `X`).
    pub fn resolve(&self, current: u32, is_dir: bool) -> Result<Option<u32>, String> {
        match self {
            ModeSpec::Octal(m) => Ok(Some(*m)),
            ModeSpec::Symbolic(s) => symbolic_to_octal(s, current, is_dir).map(Some),
            ModeSpec::Preserve => Ok(None),
        }
    }
}

/// Applies symbolic mode clauses (`u=rw,g+x,o-w,a+X`) to `current`, the way Ansible does
/// (an empty "who" means all, with a 022 umask).
pub fn symbolic_to_octal(spec: &str, current: u32, is_dir: bool) -> Result<u32, String> {
    let mut mode = current & 0o7777;
    for clause in spec.split(',') {
        let bad = || format!("bad symbolic permission for mode: {clause}");
        let op_pos = clause.find(['+', '-', '=']).ok_or_else(bad)?;
        let who_text = &clause[..op_pos];
        if !who_text.bytes().all(|b| b"ugoa".contains(&b)) {
            return Err(bad());
        }
        let use_umask = who_text.is_empty();
        let who: Vec<char> = if who_text.is_empty() || who_text.contains('a') {
            vec!['u', 'g', 'o']
        } else {
            who_text.chars().collect()
        };
        // Split the rest into (operator, perms) pairs: "=rw-x" → [('=', "rw"), ('-', "x")].
        let mut ops: Vec<(char, String)> = Vec::new();
        for c in clause[op_pos..].chars() {
            if matches!(c, '+' | '-' | '=') {
                ops.push((c, String::new()));
            } else if let Some(last) = ops.last_mut() {
                if !"rwxXstugo".contains(c) {
                    return Err(bad());
                }
                last.1.push(c);
            }
        }
        for (op, perms) in ops {
            for &u in &who {
                let bits = perm_bits(u, &perms, mode, is_dir, use_umask);
                let class_mask = match u {
                    'u' => 0o4700,
                    'g' => 0o2070,
                    _ => 0o1007,
                };
                mode = match op {
                    '=' => (mode & !class_mask & 0o7777) | bits,
                    '+' => mode | bits,
                    _ => mode & !bits,
                };
            }
        }
    }
    Ok(mode)
}

fn perm_bits(user: char, perms: &str, current: u32, is_dir: bool, use_umask: bool) -> u32 {
    let shift = match user {
        'u' => 6,
        'g' => 3,
        _ => 0,
    };
    let mut bits = 0;
    for p in perms.chars() {
        bits |= match p {
            'r' => 0o4 << shift,
            'w' => 0o2 << shift,
            'x' => 0o1 << shift,
            'X' if is_dir || current & 0o111 != 0 => 0o1 << shift,
            's' if user == 'u' => 0o4000,
            's' if user == 'g' => 0o2000,
            't' if user == 'o' => 0o1000,
            'u' => ((current >> 6) & 0o7) << shift,
            'g' => ((current >> 3) & 0o7) << shift,
            'o' => (current & 0o7) << shift,
            _ => 0,
        };
    }
    if use_umask {
        bits &= !0o022;
    }
    bits
}

/// The `mode`, `owner` and `group` a task asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WantedAttrs {
    /// Wanted mode.
    pub mode: Option<ModeSpec>,
    /// Wanted owner (name or uid).
    pub owner: Option<String>,
    /// Wanted group (name or gid).
    pub group: Option<String>,
}

impl WantedAttrs {
    /// Reads `mode`, `owner` and `group` from validated arguments.
    pub fn from_args(args: &Args) -> Result<Self, String> {
        let non_empty = |n: &str| args.str(n).filter(|s| !s.is_empty()).map(str::to_string);
        Ok(WantedAttrs {
            mode: args.str("mode").map(parse_mode_spec).transpose()?,
            owner: non_empty("owner"),
            group: non_empty("group"),
        })
    }

    /// True when no attribute is asked for.
    pub fn is_empty(&self) -> bool {
        self.mode.is_none() && self.owner.is_none() && self.group.is_none()
    }
}

/// Shell code printing `u|<uid>` and `g|<gid>` for named owner/group (nothing for numeric or
/// absent ones, and an empty id for unknown names).
pub fn lookup_code(wanted: &WantedAttrs) -> String {
    let mut code = String::new();
    if let Some(o) = wanted.owner.as_ref().filter(|o| o.parse::<u32>().is_err()) {
        code.push_str(&format!(
            "printf 'u|%s\\n' \"$(id -u {q} 2>/dev/null || getent passwd {q} 2>/dev/null | cut -d: -f3)\"\n",
            q = quote(o)
        ));
    }
    if let Some(g) = wanted.group.as_ref().filter(|g| g.parse::<u32>().is_err()) {
        code.push_str(&format!(
            "printf 'g|%s\\n' \"$(getent group {q} 2>/dev/null | cut -d: -f3)\"\n",
            q = quote(g)
        ));
    }
    code.push(':');
    code
}

/// Owner and group resolved to numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedIds {
    /// Wanted uid.
    pub uid: Option<u32>,
    /// Wanted gid.
    pub gid: Option<u32>,
}

/// Resolves the wanted owner/group from [`lookup_code`]'s output; unknown names are errors
/// worded as Ansible's.
pub fn parse_lookup(wanted: &WantedAttrs, text: &str) -> Result<ResolvedIds, String> {
    let mut ids = ResolvedIds::default();
    let find = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|v| v.trim().parse::<u32>().ok())
    };
    if let Some(o) = &wanted.owner {
        ids.uid = match o.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => Some(
                find("u|").ok_or_else(|| format!("chown failed: failed to look up user {o}"))?,
            ),
        };
    }
    if let Some(g) = &wanted.group {
        ids.gid = match g.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => Some(
                find("g|").ok_or_else(|| format!("chgrp failed: failed to look up group {g}"))?,
            ),
        };
    }
    Ok(ids)
}

/// The attribute changes needed to bring `current` to the wanted attributes. `current` is
/// `None` for a path that the plan will create with `base_mode`.
pub fn attr_changes(
    current: Option<&FileState>,
    wanted: &WantedAttrs,
    ids: &ResolvedIds,
    is_dir: bool,
    base_mode: u32,
) -> Result<Vec<Change>, String> {
    let mut changes = Vec::new();
    if let (Some(owner), Some(uid)) = (&wanted.owner, ids.uid) {
        if current.is_none_or(|c| c.uid != uid) {
            changes.push(Change::new(
                "owner",
                current
                    .map(|c| Value::String(c.owner.clone()))
                    .unwrap_or(Value::Null),
                owner.clone(),
            ));
        }
    }
    if let (Some(group), Some(gid)) = (&wanted.group, ids.gid) {
        if current.is_none_or(|c| c.gid != gid) {
            changes.push(Change::new(
                "group",
                current
                    .map(|c| Value::String(c.group.clone()))
                    .unwrap_or(Value::Null),
                group.clone(),
            ));
        }
    }
    if let Some(spec) = &wanted.mode {
        let cur = current.map(|c| c.mode).unwrap_or(base_mode);
        if let Some(new) = spec.resolve(cur, is_dir)? {
            if current.is_none_or(|c| c.mode != new) {
                changes.push(Change::new(
                    "mode",
                    current
                        .map(|c| Value::String(c.mode_string()))
                        .unwrap_or(Value::Null),
                    format_mode(new),
                ));
            }
        }
    }
    Ok(changes)
}

/// Shell code applying the `mode`/`owner`/`group` changes among `changes` to `path` (`-h`: act on
/// a link itself). Fails with chown/chmod's message.
pub fn apply_attr_code(path: &str, changes: &[Change], no_follow: bool) -> String {
    let h = if no_follow { "-h " } else { "" };
    let mut code = String::new();
    for c in changes {
        let Some(v) = c.after.as_str() else { continue };
        match c.field.as_str() {
            "owner" => code.push_str(&format!(
                "chown {h}{} -- {} || exit 1\n",
                quote(v),
                quote(path)
            )),
            "group" => code.push_str(&format!(
                "chgrp {h}{} -- {} || exit 1\n",
                quote(v),
                quote(path)
            )),
            "mode" if !no_follow => code.push_str(&format!(
                "chmod {} -- {} || exit 1\n",
                quote(v),
                quote(path)
            )),
            _ => {}
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_forms() {
        assert_eq!(parse_mode_spec("0644").unwrap(), ModeSpec::Octal(0o644));
        assert_eq!(parse_mode_spec("644").unwrap(), ModeSpec::Octal(0o644));
        assert_eq!(parse_mode_spec("01777").unwrap(), ModeSpec::Octal(0o1777));
        assert_eq!(parse_mode_spec("preserve").unwrap(), ModeSpec::Preserve);
        assert!(parse_mode_spec("0999").is_err());
        assert!(parse_mode_spec("u=rwz").is_err());
        assert!(parse_mode_spec("q=rw").is_err());
    }

    #[test]
    fn symbolic_modes() {
        assert_eq!(
            symbolic_to_octal("u=rw,g=r,o=", 0o777, false).unwrap(),
            0o640
        );
        assert_eq!(
            symbolic_to_octal("u=rwx,g=rx,o=rx", 0, false).unwrap(),
            0o755
        );
        assert_eq!(symbolic_to_octal("a+x", 0o644, false).unwrap(), 0o755);
        assert_eq!(symbolic_to_octal("go-w", 0o666, false).unwrap(), 0o644);
        assert_eq!(symbolic_to_octal("a+X", 0o644, false).unwrap(), 0o644);
        assert_eq!(symbolic_to_octal("a+X", 0o644, true).unwrap(), 0o755);
        assert_eq!(symbolic_to_octal("a+X", 0o744, false).unwrap(), 0o755);
        assert_eq!(
            symbolic_to_octal("u+s,g+s,o+t", 0o755, true).unwrap(),
            0o7755
        );
        assert_eq!(symbolic_to_octal("+w", 0o444, false).unwrap(), 0o644);
        assert_eq!(symbolic_to_octal("g=u", 0o640, false).unwrap(), 0o660);
        assert_eq!(symbolic_to_octal("u=rw-x", 0o700, false).unwrap(), 0o600);
    }

    #[test]
    fn stat_output_parses() {
        let s = parse_stat("S|81a4|0|33|12|1.5|2.25|3.0|99|65024|1|root|www-data\n")
            .unwrap()
            .unwrap();
        assert_eq!(s.kind, FileKind::File);
        assert_eq!(s.mode_string(), "0644");
        assert_eq!((s.uid, s.gid, s.size), (0, 33, 12));
        assert_eq!(s.group, "www-data");
        let l = parse_stat("S|a1ff|0|0|4|1|2|3|5|6|1|root|root\nL|/etc/x\n")
            .unwrap()
            .unwrap();
        assert_eq!(l.kind, FileKind::Link);
        assert_eq!(l.link_target.as_deref(), Some("/etc/x"));
        assert_eq!(parse_stat("A\n").unwrap(), None);
        assert!(parse_stat("garbage").is_err());
    }

    #[test]
    fn stat_code_runs_locally() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"abc").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        let run = |p: &std::path::Path, follow: bool| {
            let script = format!(
                "p={}\n{}",
                quote(&p.to_string_lossy()),
                stat_code("p", follow)
            );
            let out = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(script)
                .output()
                .unwrap();
            parse_stat(&String::from_utf8_lossy(&out.stdout)).unwrap()
        };
        let s = run(&f, false).unwrap();
        assert_eq!((s.kind, s.size), (FileKind::File, 3));
        let l = run(&link, false).unwrap();
        assert_eq!(l.kind, FileKind::Link);
        assert_eq!(l.link_target.as_deref(), Some(f.to_str().unwrap()));
        assert_eq!(run(&link, true).unwrap().kind, FileKind::File);
        assert_eq!(run(&dir.path().join("none"), false), None);
    }

    #[test]
    fn attribute_changes_compare_numbers() {
        let cur = parse_stat("S|81a4|0|0|1|1|1|1|1|1|1|root|root")
            .unwrap()
            .unwrap();
        let wanted = WantedAttrs {
            mode: Some(ModeSpec::Symbolic("u=rw,go=r".into())),
            owner: Some("root".into()),
            group: Some("adm".into()),
        };
        let ids = parse_lookup(&wanted, "u|0\ng|4\n").unwrap();
        let ch = attr_changes(Some(&cur), &wanted, &ids, false, 0o644).unwrap();
        assert_eq!(ch.len(), 1, "{ch:?}");
        assert_eq!(ch[0].field, "group");
        assert_eq!(ch[0].before, Value::String("root".into()));
        let e = parse_lookup(&wanted, "u|\ng|4\n").unwrap_err();
        assert_eq!(e, "chown failed: failed to look up user root");
    }
}

/// The permission flags `stat` and `find` return for a mode (`rusr`, `wgrp`, `isuid`...), each
/// true when its bit is set.
pub fn insert_permission_flags(m: &mut Map, mode: u32) {
    for (name, bit) in [
        ("wusr", 0o200),
        ("rusr", 0o400),
        ("xusr", 0o100),
        ("wgrp", 0o020),
        ("rgrp", 0o040),
        ("xgrp", 0o010),
        ("woth", 0o002),
        ("roth", 0o004),
        ("xoth", 0o001),
        ("isuid", 0o4000),
        ("isgid", 0o2000),
    ] {
        m.insert(name.into(), Value::Bool(mode & bit != 0));
    }
}
