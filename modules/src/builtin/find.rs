//! `find`: lists files under paths on the host matching name patterns (globs or regexes), type,
//! age, size and contents. One script lists candidates with `find`/`stat`; matching happens on the
//! controller. Never changes anything.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::textedit::python_regex;
use crate::{Args, Command, Context, Map, Module, ModuleError, Plan, Value};

/// The `find` module.
pub struct FindModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "find",
    fqcn: &["ansible.builtin.find", "ansible.legacy.find"],
    synopsis: "Find files by name, type, age, size or contents.",
    description: "Looks in `paths` (recursively with `recurse`) for entries whose base name matches one of \
        `patterns` (shell globs, or Python regexes with `use_regex`) and none of `excludes`.",
    args: &[
        ArgSpec::new("paths", ArgKind::List, "Directories to search.")
            .required()
            .elements(ArgKind::Str)
            .aliases(&["name", "path"]),
        ArgSpec::new("patterns", ArgKind::List, "Base-name patterns; any may match.")
            .elements(ArgKind::Str)
            .default("[]")
            .aliases(&["pattern"]),
        ArgSpec::new("excludes", ArgKind::List, "Base-name patterns to leave out.")
            .elements(ArgKind::Str)
            .aliases(&["exclude"]),
        ArgSpec::new("contains", ArgKind::Str, "A regex the file contents must match (a line)."),
        ArgSpec::new("read_whole_file", ArgKind::Bool, "Match contains against the whole file.").default("false"),
        ArgSpec::new("file_type", ArgKind::Str, "Kind of entries.")
            .default("\"file\"")
            .choices(&["any", "directory", "file", "link"]),
        ArgSpec::new("recurse", ArgKind::Bool, "Descend into directories.").default("false"),
        ArgSpec::new("hidden", ArgKind::Bool, "Include names starting with a dot.").default("false"),
        ArgSpec::new("follow", ArgKind::Bool, "Follow symbolic links.").default("false"),
        ArgSpec::new("age", ArgKind::Str, "Minimum age (`2d`, `-1h` for at most)."),
        ArgSpec::new("age_stamp", ArgKind::Str, "Which time to compare.")
            .default("\"mtime\"")
            .choices(&["atime", "ctime", "mtime"]),
        ArgSpec::new("size", ArgKind::Str, "Minimum size (`1m`, `-10k` for at most)."),
        ArgSpec::new("use_regex", ArgKind::Bool, "Patterns are Python regexes.").default("false"),
        ArgSpec::new("get_checksum", ArgKind::Bool, "Add the SHA-1 of files.").default("false"),
        ArgSpec::new("depth", ArgKind::Int, "Maximum depth when recursing."),
        ArgSpec::new("mode", ArgKind::Mode, "Only entries with exactly these permissions."),
        ArgSpec::new("exact_mode", ArgKind::Bool, "Compare mode exactly (else: at least these bits).").default("true"),
        ArgSpec::new("encoding", ArgKind::Str, "Encoding of contents."),
        ArgSpec::new("limit", ArgKind::Int, "Stop after this many matches."),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "files", returned: "success", doc: "The matches, each with stat fields (path, mode, size, mtime, ...)." },
        ReturnSpec { name: "matched", returned: "success", doc: "How many matched." },
        ReturnSpec { name: "examined", returned: "success", doc: "How many were looked at." },
        ReturnSpec { name: "skipped_paths", returned: "success", doc: "Paths that could not be searched, with why." },
    ],
    examples: "- ansible.builtin.find:\n    paths: /var/log\n    patterns: \"*.log\"\n    age: 2w\n    recurse: true\n  register: old_logs\n",
};

const FIELDS: &str = "%f|%u|%g|%s|%.9X|%.9Y|%.9Z|%i|%d|%h|%U|%G|%n";

/// Python's `fnmatch`: `*`, `?`, `[seq]`, `[!seq]`.
fn fnmatch(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => {
                let Some(close) = p.iter().skip(2).position(|c| *c == ']').map(|i| i + 2) else {
                    return n.first() == Some(&'[') && go(&p[1..], &n[1..]);
                };
                let Some(c) = n.first() else { return false };
                let (neg, set) = if p[1] == '!' {
                    (true, &p[2..close])
                } else {
                    (false, &p[1..close])
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= set[i] <= *c && *c <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == *c;
                        i += 1;
                    }
                }
                hit != neg && go(&p[close + 1..], &n[1..])
            }
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

/// `2d`, `-1h`, `30` (seconds) → signed seconds.
fn parse_age(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let n: f64 = num.parse().ok()?;
    let mult = match unit {
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        "w" => 604800.0,
        _ => return None,
    };
    Some(n * mult)
}

/// `1m`, `-10k`, `512` (bytes) → signed bytes.
fn parse_size(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let n: f64 = num.parse().ok()?;
    let mult = match unit {
        "" | "b" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        _ => return None,
    };
    Some(n * mult)
}

fn entry(line: &str, checksum: Option<&String>) -> Option<(Map, u32, String)> {
    let f: Vec<&str> = line.splitn(13, '|').collect();
    if f.len() < 13 {
        return None;
    }
    let raw = u32::from_str_radix(f[0], 16).ok()?;
    let fmt = raw & 0o170000;
    let perm = raw & 0o7777;
    let num = |i: usize| {
        f[i].parse::<u64>()
            .ok()
            .map(Value::from)
            .unwrap_or(Value::Null)
    };
    let float = |i: usize| {
        f[i].parse::<f64>()
            .ok()
            .map(Value::from)
            .unwrap_or(Value::Null)
    };
    let b = Value::Bool;
    let mut m = Map::new();
    m.insert("path".into(), Value::String(f[12].to_string()));
    m.insert("mode".into(), Value::String(format!("{perm:04o}")));
    m.insert("isdir".into(), b(fmt == 0o040000));
    m.insert("ischr".into(), b(fmt == 0o020000));
    m.insert("isblk".into(), b(fmt == 0o060000));
    m.insert("isreg".into(), b(fmt == 0o100000));
    m.insert("isfifo".into(), b(fmt == 0o010000));
    m.insert("islnk".into(), b(fmt == 0o120000));
    m.insert("issock".into(), b(fmt == 0o140000));
    m.insert("uid".into(), num(1));
    m.insert("gid".into(), num(2));
    m.insert("size".into(), num(3));
    m.insert("inode".into(), num(7));
    m.insert("dev".into(), num(8));
    m.insert("nlink".into(), num(9));
    m.insert("atime".into(), float(4));
    m.insert("mtime".into(), float(5));
    m.insert("ctime".into(), float(6));
    m.insert("gr_name".into(), Value::String(f[11].to_string()));
    m.insert("pw_name".into(), Value::String(f[10].to_string()));
    crate::fileattr::insert_permission_flags(&mut m, perm);
    if let Some(c) = checksum {
        m.insert("checksum".into(), Value::String(c.clone()));
    }
    let kind = match fmt {
        0o040000 => "directory",
        0o120000 => "link",
        0o100000 => "file",
        _ => "other",
    };
    Some((m, perm, kind.to_string()))
}

#[async_trait]
impl Module for FindModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let paths = args.str_list("paths");
        let recurse = args.bool("recurse");
        let depth = if recurse {
            args.int("depth")
                .map(|d| format!("-maxdepth {d}"))
                .unwrap_or_default()
        } else {
            "-maxdepth 1".to_string()
        };
        let follow = if args.bool("follow") { "-L" } else { "" };
        let mut p = ProbeScript::new();
        for (i, path) in paths.iter().enumerate() {
            p.section(
                &format!("p{i}"),
                &format!(
                    "if [ -d {q} ]; then find {follow} {q} -mindepth 1 {depth} -exec stat -c '{FIELDS}' -- {{}} + 2>/dev/null; else echo '!missing'; fi; :",
                    q = quote(path)
                ),
            );
        }
        let want_sum = args.bool("get_checksum");
        let use_regex = args.bool("use_regex");
        let patterns = args.str_list("patterns");
        let excludes = args.str_list("excludes");
        let compile = |pats: &[String]| -> Result<Vec<regex::Regex>, ModuleError> {
            pats.iter()
                .map(|p| {
                    python_regex(&format!("^(?:{p})"), false, false).map_err(ModuleError::Args)
                })
                .collect()
        };
        let (pat_re, exc_re) = if use_regex {
            (compile(&patterns)?, compile(&excludes)?)
        } else {
            (vec![], vec![])
        };
        let matches_any = |name: &str, globs: &[String], res: &[regex::Regex]| {
            if use_regex {
                res.iter().any(|r| r.is_match(name))
            } else {
                globs.iter().any(|g| fnmatch(g, name))
            }
        };
        let out = ctx.host.run(Command::new(p.script())).await?;
        let sections = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let age = args
            .str("age")
            .map(|a| {
                parse_age(a).ok_or_else(|| ModuleError::Args(format!("failed to process age {a}")))
            })
            .transpose()?;
        let size = args
            .str("size")
            .map(|a| {
                parse_size(a)
                    .ok_or_else(|| ModuleError::Args(format!("failed to process size {a}")))
            })
            .transpose()?;
        let stamp = match args.str("age_stamp") {
            Some("atime") => "atime",
            Some("ctime") => "ctime",
            _ => "mtime",
        };
        let wanted_mode = args
            .str("mode")
            .and_then(|m| u32::from_str_radix(m.trim_start_matches("0o"), 8).ok());
        let file_type = args.str("file_type").unwrap_or("file");
        let mut files = Vec::new();
        let mut examined = 0;
        let mut skipped = Map::new();
        for (i, path) in paths.iter().enumerate() {
            let text = sections
                .get(&format!("p{i}"))
                .map_err(ModuleError::Protocol)?
                .text();
            if text.trim() == "!missing" {
                skipped.insert(path.clone(), Value::String(format!("{path} was skipped as it does not seem to be a valid directory or it cannot be accessed")));
                continue;
            }
            for line in text.lines() {
                let Some((m, perm, kind)) = entry(line, None) else {
                    continue;
                };
                examined += 1;
                let full = m
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let name = full.rsplit('/').next().unwrap_or_default().to_string();
                if !args.bool("hidden") && name.starts_with('.') {
                    continue;
                }
                if file_type != "any" && kind != file_type {
                    continue;
                }
                let included = if patterns.is_empty() {
                    true
                } else {
                    matches_any(&name, &patterns, &pat_re)
                };
                if !included || (!excludes.is_empty() && matches_any(&name, &excludes, &exc_re)) {
                    continue;
                }
                if let Some(a) = age {
                    let t = m.get(stamp).and_then(Value::as_f64).unwrap_or(0.0);
                    let elapsed = now - t;
                    if (a >= 0.0 && elapsed < a) || (a < 0.0 && elapsed > a.abs()) {
                        continue;
                    }
                }
                if let Some(sz) = size {
                    if kind == "file" {
                        let actual = m.get("size").and_then(Value::as_f64).unwrap_or(0.0);
                        if (sz >= 0.0 && actual < sz) || (sz < 0.0 && actual > sz.abs()) {
                            continue;
                        }
                    }
                }
                if let Some(wm) = wanted_mode {
                    let ok = if args
                        .get("exact_mode")
                        .and_then(Value::as_bool)
                        .unwrap_or(true)
                    {
                        perm == wm
                    } else {
                        perm & wm == wm
                    };
                    if !ok {
                        continue;
                    }
                }
                files.push(m);
            }
        }
        // Contents and checksums need a second look at the candidates only.
        if args.get("contains").is_some() || want_sum {
            let candidates: Vec<String> = files
                .iter()
                .filter(|f| f.get("isreg") == Some(&Value::Bool(true)))
                .filter_map(|f| f.get("path").and_then(Value::as_str).map(str::to_string))
                .collect();
            let mut q = ProbeScript::new();
            for (i, c) in candidates.iter().enumerate() {
                let mut code = String::new();
                if let Some(re) = args.str("contains") {
                    let flag = if args.bool("read_whole_file") {
                        "-z "
                    } else {
                        ""
                    };
                    code.push_str(&format!(
                        "if grep -qE {flag}-- {} {} 2>/dev/null; then echo match; fi\n",
                        quote(re),
                        quote(c)
                    ));
                }
                if want_sum {
                    code.push_str(&format!(
                        "printf 'sum %s\\n' \"$(sha1sum -- {} 2>/dev/null | cut -c1-40)\"\n",
                        quote(c)
                    ));
                }
                q.section(&format!("c{i}"), &code);
            }
            let out = ctx.host.run(Command::new(q.script())).await?;
            let s = q.parse(&out.stdout).map_err(ModuleError::Protocol)?;
            let mut keep = Vec::new();
            let mut idx = 0;
            for f in files {
                if f.get("isreg") != Some(&Value::Bool(true)) {
                    if args.get("contains").is_none() {
                        keep.push(f);
                    }
                    continue;
                }
                let text = s
                    .get(&format!("c{idx}"))
                    .map_err(ModuleError::Protocol)?
                    .text();
                idx += 1;
                if args.get("contains").is_some() && !text.lines().any(|l| l == "match") {
                    continue;
                }
                let mut f = f;
                if let Some(sum) = text.lines().find_map(|l| l.strip_prefix("sum ")) {
                    f.insert("checksum".into(), Value::String(sum.to_string()));
                }
                keep.push(f);
            }
            files = keep;
        }
        if let Some(limit) = args.int("limit") {
            files.truncate(limit.max(0) as usize);
        }
        let mut values = Map::new();
        values.insert("examined".into(), Value::from(examined));
        values.insert("matched".into(), Value::from(files.len()));
        values.insert(
            "files".into(),
            Value::Array(files.into_iter().map(Value::Object).collect()),
        );
        values.insert("msg".into(), Value::String("All paths examined".into()));
        values.insert("skipped_paths".into(), Value::Object(skipped));
        Ok(Plan::unchanged(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_units() {
        assert!(fnmatch("*.log", "app.log"));
        assert!(!fnmatch("*.log", "app.log.1"));
        assert!(fnmatch("app-?.[0-9]", "app-x.7"));
        assert!(fnmatch("[!a]*", "bcd"));
        assert!(!fnmatch("[!a]*", "abc"));
        assert_eq!(parse_age("2d"), Some(172800.0));
        assert_eq!(parse_age("-1h"), Some(-3600.0));
        assert_eq!(parse_size("1k"), Some(1024.0));
        assert_eq!(parse_size("x"), None);
    }
}
