//! `mount` (ansible.posix.mount): an fstab entry and the mount it describes. One probe reads the
//! fstab, `/proc/self/mountinfo` and whether the mount point exists; the new fstab is computed
//! here line by line as the Ansible module does (so both leave the same file), and the plan lists
//! the fstab change and the mount action (`mount`, `remount`, `umount`). `--diff` shows the fstab.
//! A failed mount puts the old fstab back and removes the directories it created, as Ansible does.

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{
    Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, TextDiff, Value,
};

/// The `mount` module.
pub struct MountModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "mount",
    fqcn: &["ansible.posix.mount"],
    synopsis: "Control active and configured mount points.",
    description: "Adds, changes or removes an fstab line and mounts, remounts or unmounts the file \
        system. `mounted`: in fstab and mounted (remounted when its line changed); `present`: in fstab \
        only; `unmounted`: unmounted, fstab untouched; `absent`: out of fstab, unmounted and the mount \
        point removed; `absent_from_fstab`: out of fstab only; `remounted`: remounted now; `ephemeral`: \
        mounted without fstab.",
    args: &[
        ArgSpec::new("path", ArgKind::Path, "The mount point.").required().aliases(&["name"]),
        ArgSpec::new("src", ArgKind::Path, "Device, label (`LABEL=`), UUID or remote share to mount."),
        ArgSpec::new("fstype", ArgKind::Str, "File system type."),
        ArgSpec::new("opts", ArgKind::Str, "Mount options (fstab's fourth field); `defaults` when absent."),
        ArgSpec::new("opts_no_log", ArgKind::Bool, "Hide `opts` in output (they may hold credentials).").default("false"),
        ArgSpec::new("dump", ArgKind::Str, "fstab's fifth field.").default("\"0\""),
        ArgSpec::new("passno", ArgKind::Str, "fstab's sixth field.").default("\"0\""),
        ArgSpec::new("state", ArgKind::Str, "What to ensure.").required().choices(&[
            "absent", "absent_from_fstab", "mounted", "present", "unmounted", "remounted", "ephemeral",
        ]),
        ArgSpec::new("fstab", ArgKind::Str, "The fstab file; `/etc/fstab` when absent."),
        ArgSpec::new("boot", ArgKind::Bool, "Mount at boot; false adds `noauto` to the options.").default("true"),
        ArgSpec::new("backup", ArgKind::Bool, "Keep a timestamped copy of the old fstab.").default("false"),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "name", returned: "always", doc: "The mount point." },
        ReturnSpec { name: "src, fstype, opts, dump, passno, fstab, boot", returned: "always", doc: "The entry as written (`boot` is `yes` or `no`)." },
        ReturnSpec { name: "backup_file", returned: "always", doc: "Path of the fstab backup, or empty." },
    ],
    examples: "- name: Mount the data volume\n  ansible.posix.mount:\n    path: /srv/data\n    src: UUID=57d1a4b2-9c1f-4f0b-9c6e-2f0e6e2f3c11\n    fstype: ext4\n    opts: noatime\n    state: mounted\n",
};

/// The entry the task describes, with the module's defaults filled in.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    src: Option<String>,
    fstype: Option<String>,
    opts: String,
    dump: String,
    passno: String,
    fstab: String,
    boot: bool,
    warnings: Vec<String>,
}

impl Entry {
    fn from(args: &Args) -> Result<Entry, ModuleError> {
        let state = args.str("state").unwrap_or_default();
        let src = args.str("src").map(str::to_string);
        let fstype = args.str("fstype").map(str::to_string);
        if matches!(state, "mounted" | "present" | "ephemeral") {
            let missing: Vec<&str> = [("src", &src), ("fstype", &fstype)]
                .iter()
                .filter(|(_, v)| v.is_none())
                .map(|(k, _)| *k)
                .collect();
            if !missing.is_empty() {
                return Err(ModuleError::Args(format!(
                    "state is {state} but all of the following are missing: {}",
                    missing.join(", ")
                )));
            }
        }
        let mut e = Entry {
            name: args.str("path").unwrap_or_default().to_string(),
            src,
            fstype,
            opts: args.str("opts").unwrap_or("defaults").to_string(),
            dump: args.str("dump").unwrap_or("0").to_string(),
            passno: args.str("passno").unwrap_or("0").to_string(),
            fstab: args.str("fstab").unwrap_or("/etc/fstab").to_string(),
            boot: true,
            warnings: Vec::new(),
        };
        let mut opts: Vec<&str> = e.opts.split(',').collect();
        let noauto = opts.contains(&"noauto");
        if args.bool("boot") && noauto {
            e.warnings
                .push("Ignore the 'boot' due to 'opts' contains 'noauto'.".into());
        } else if !args.bool("boot") {
            e.boot = false;
            opts.push("noauto");
            e.opts = opts.join(",");
        }
        Ok(e)
    }

    /// The result keys, in the module's order.
    fn values(&self, backup_file: &str) -> Map {
        let mut m = Map::new();
        m.insert("name".into(), self.name.clone().into());
        m.insert("opts".into(), self.opts.clone().into());
        m.insert("dump".into(), self.dump.clone().into());
        m.insert("passno".into(), self.passno.clone().into());
        m.insert("fstab".into(), self.fstab.clone().into());
        m.insert("boot".into(), if self.boot { "yes" } else { "no" }.into());
        // Ansible 2.19 turns the module's `warnings` into warnings of the task.
        if !self.warnings.is_empty() {
            let w = self.warnings.iter().cloned().map(Value::from).collect();
            m.insert("warnings".into(), Value::Array(w));
        }
        m.insert("backup_file".into(), backup_file.into());
        if let Some(s) = &self.src {
            m.insert("src".into(), s.clone().into());
        }
        if let Some(f) = &self.fstype {
            m.insert("fstype".into(), f.clone().into());
        }
        m
    }
}

/// fstab's escapes for space, `&` and backslash.
fn escape(v: &str) -> String {
    v.replace('\\', "\\134")
        .replace(' ', "\\040")
        .replace('&', "\\046")
}

/// `/proc/self/mountinfo` and fstab's octal escapes (`\040`) undone.
fn unescape(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(d) if b[i] == b'\\' => {
                let n = d.iter().fold(0u32, |n, c| n * 8 + u32::from(c - b'0'));
                out.push((n & 0xff) as u8);
                i += 4;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `line` (split into fields) names the entry: same mount point, and for swap lines
/// (mount point `none`) the same source.
fn names_entry(e: &Entry, src: &str, name: &str, fstype: &str) -> bool {
    if name != escape(&e.name) {
        return false;
    }
    !(e.src.is_some() && name == "none" && fstype == "swap" && Some(src) != e.src.as_deref())
}

/// The fstab with the entry set (added, or its line rewritten), and whether it changed.
fn set_entry(e: &Entry, fstab: &str) -> (String, bool) {
    let wanted = [
        escape(e.src.as_deref().unwrap_or_default()),
        escape(e.fstype.as_deref().unwrap_or_default()),
        escape(&e.opts),
        escape(&e.dump),
        escape(&e.passno),
    ];
    // `src name fstype opts dump passno`, the wanted fields around the line's own name.
    let line_of = |name: &str| {
        format!(
            "{} {name} {} {} {} {}\n",
            wanted[0], wanted[1], wanted[2], wanted[3], wanted[4]
        )
    };
    let mut out = String::new();
    let mut exists = false;
    let mut changed = false;
    for raw in fstab.split_inclusive('\n') {
        let line = if raw.ends_with('\n') {
            raw.to_string()
        } else {
            format!("{raw}\n")
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            out.push_str(&line);
            continue;
        }
        let fields: Vec<&str> = line
            .split('#')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        if !(4..=6).contains(&fields.len()) || !names_entry(e, fields[0], fields[1], fields[2]) {
            out.push_str(&line);
            continue;
        }
        exists = true;
        // Missing dump/passno fields never equal a wanted value (Ansible compares 0 with "0").
        let have = [
            Some(fields[0]),
            Some(fields[2]),
            Some(fields[3]),
            fields.get(4).copied(),
            fields.get(5).copied(),
        ];
        if have
            .iter()
            .zip(&wanted)
            .any(|(h, w)| *h != Some(w.as_str()))
        {
            changed = true;
        }
        // Once a line changed, every later line of the entry is written out anew too.
        if changed {
            out.push_str(&line_of(fields[1]));
        } else {
            out.push_str(&line);
        }
    }
    if !exists {
        out.push_str(&line_of(&escape(&e.name)));
        changed = true;
    }
    (out, changed)
}

/// The fstab without the entry's lines (only six-field lines count, as in Ansible).
fn unset_entry(e: &Entry, fstab: &str) -> (String, bool) {
    let mut out = String::new();
    let mut changed = false;
    for line in fstab.split_inclusive('\n') {
        let trimmed = line.trim();
        let fields: Vec<&str> = line.split_whitespace().collect();
        if trimmed.is_empty()
            || trimmed.starts_with('#')
            || fields.len() != 6
            || !names_entry(e, fields[0], fields[1], fields[2])
        {
            out.push_str(line);
            continue;
        }
        changed = true;
    }
    (out, changed)
}

/// A mount as `/proc/self/mountinfo` shows it: Ansible's idea of its source (for a mount inside
/// another file system, the directory it shows, as for bind mounts) and the source field itself
/// (what `mount -v` prints first).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mounted {
    src: String,
    source: String,
}

/// The mount at `dest` in `/proc/self/mountinfo`, if any (the last one wins, as it is on top).
fn mounted_at(mountinfo: &str, dest: &str) -> Option<Mounted> {
    struct Rec {
        id: String,
        parent: String,
        root: String,
        dst: String,
        src: String,
    }
    let recs: Vec<Rec> = mountinfo
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 10).then(|| Rec {
                id: f[0].to_string(),
                parent: f[1].to_string(),
                root: unescape(f[3]),
                dst: unescape(f[4]),
                src: unescape(f[f.len() - 2]),
            })
        })
        .collect();
    let dest = if dest.len() > 1 {
        dest.trim_end_matches('/')
    } else {
        dest
    };
    let rec = recs.iter().rev().find(|r| r.dst == dest)?;
    // A mount inside another one of the same device (a bind mount): its source is the directory.
    let parent = recs
        .iter()
        .find(|p| p.id == rec.parent && rec.parent != "1");
    let src = match parent {
        Some(p) => {
            let mut root = rec.root.clone();
            if p.root.len() > 1 && root.starts_with(&format!("{}/", p.root)) {
                root = root[p.root.len()..].to_string();
            }
            if p.dst != "/" {
                root = format!("{}{root}", p.dst);
            }
            root
        }
        None => rec.src.clone(),
    };
    Some(Mounted {
        src,
        source: rec.src.clone(),
    })
}

/// What the probe found.
struct Found {
    fstab: Option<String>,
    mounted: Option<Mounted>,
    path_exists: bool,
}

async fn probe(ctx: &Context<'_>, e: &Entry) -> Result<Found, ModuleError> {
    let mut p = ProbeScript::new();
    p.prelude(&format!("f={}; p={}", quote(&e.fstab), quote(&e.name)));
    p.section(
        "fstab",
        "if [ -f \"$f\" ]; then echo Y; cat -- \"$f\"; else echo N; fi",
    );
    p.section("mountinfo", "cat /proc/self/mountinfo");
    p.section("exists", "if [ -e \"$p\" ]; then echo Y; else echo N; fi");
    let out = ctx.host.run(Command::new(p.script())).await?;
    let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
    let get = |n: &str| s.get(n).map_err(ModuleError::Protocol);
    let fstab_text = get("fstab")?.text();
    let fstab = fstab_text.strip_prefix("Y\n").map(str::to_string);
    Ok(Found {
        fstab,
        mounted: mounted_at(&get("mountinfo")?.text(), &e.name),
        path_exists: get("exists")?.text().trim() == "Y",
    })
}

/// `mount` arguments for the entry: `-T FSTAB` for another fstab, or the whole entry on the
/// command line (`ephemeral`).
fn mount_args(e: &Entry, state: &str) -> String {
    let mut a = String::new();
    if state == "ephemeral" {
        a.push_str(&format!(
            " -t {}",
            quote(e.fstype.as_deref().unwrap_or_default())
        ));
        if e.opts != "defaults" {
            a.push_str(&format!(" -o {}", quote(&e.opts)));
        }
        a.push_str(&format!(" {}", quote(e.src.as_deref().unwrap_or_default())));
    } else if e.fstab != "/etc/fstab" {
        a.push_str(&format!(" -T {}", quote(&e.fstab)));
    }
    a
}

/// Shell code for one mount action, run in a subshell: on failure it prints the module's
/// message and exits non-zero. A failed remount falls back to unmount and mount, as Ansible does.
fn action_script(e: &Entry, state: &str, action: &str) -> String {
    let name = quote(&e.name);
    let margs = mount_args(e, state);
    let prefix = match state {
        "remounted" => "Error remounting",
        "unmounted" | "absent" => "Error unmounting",
        _ => "Error mounting",
    };
    // The command's output keeps its last newline (a `.` guards it from `$(...)`), as Ansible's
    // message does; the printed message ends in `.` for the same reason.
    let checked = |cmd: String| {
        format!(
            "o=$({cmd} 2>&1; s=$?; echo .; exit $s) || {{ printf '%s %s: %s.' '{prefix}' {name} \"${{o%.}}\"; exit 1; }}"
        )
    };
    let mount = checked(format!("mount{margs} {name}"));
    let umount = checked(format!("umount {name}"));
    match action {
        "mount" => mount,
        "umount" => umount,
        _ => {
            let strict = state == "remounted" && e.opts != "defaults";
            let opts = if strict {
                format!("remount,{}", e.opts)
            } else {
                "remount".into()
            };
            let fallback = if strict {
                "printf '%s.' 'Options were specified with remounted, but the remount command failed. \
                 Failing in order to prevent an unexpected mount result. Try replacing this command with \
                 a \"state: unmounted\" followed by a \"state: mounted\" using the full desired mount \
                 options instead.'; exit 1"
                    .to_string()
            } else {
                format!("{umount}; {mount}")
            };
            format!(
                "mount -o {}{margs} {name} >/dev/null 2>&1 || {{ {fallback}; }}",
                quote(&opts)
            )
        }
    }
}

#[async_trait]
impl Module for MountModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let e = Entry::from(args)?;
        let state = args.str("state").unwrap_or_default();
        let found = probe(ctx, &e).await?;
        let old = found.fstab.clone().unwrap_or_default();
        let (new, fstab_changed) = match state {
            "absent" | "absent_from_fstab" => unset_entry(&e, &old),
            "mounted" | "present" => set_entry(&e, &old),
            _ => (old.clone(), false),
        };
        let mut plan = Plan::default();
        if fstab_changed {
            plan.changes.push(
                Change::new("fstab", Value::Null, Value::Null).with_text(TextDiff {
                    before_header: e.fstab.clone(),
                    after_header: e.fstab.clone(),
                    before: old.clone(),
                    after: new.clone(),
                }),
            );
        }
        let is_mounted = found.mounted.is_some();
        let action = match state {
            "absent" if fstab_changed && is_mounted => Some("umount"),
            "unmounted" if is_mounted => Some("umount"),
            "mounted" if !is_mounted => Some("mount"),
            "mounted" if fstab_changed => Some("remount"),
            "ephemeral" if !is_mounted => Some("mount"),
            "ephemeral" => {
                let same = found.mounted.as_ref().is_some_and(|m| {
                    Some(m.src.as_str()) == e.src.as_deref()
                        || Some(m.source.as_str()) == e.src.as_deref()
                });
                if !same {
                    return Ok(Plan::failed(
                        "Ephemeral mount point is already mounted with a different source than the specified one. Failing in order to prevent an unwanted unmount or override operation. Try replacing this command with a \"state: unmounted\" followed by a \"state: ephemeral\", or use a different destination path.",
                        Map::new(),
                    ));
                }
                Some("remount")
            }
            "remounted" => Some("remount"),
            _ => None,
        };
        if let Some(a) = action {
            let before = if is_mounted { "mounted" } else { "unmounted" };
            plan.changes.push(Change::new("mount", before, a));
        }
        if state == "absent" && fstab_changed && found.path_exists {
            plan.changes
                .push(Change::new("path", "directory", "absent"));
        }
        if matches!(state, "mounted" | "ephemeral") && !found.path_exists {
            plan.changes
                .push(Change::new("path", "absent", "directory"));
        }
        plan.values = e.values("");
        if args.bool("opts_no_log") {
            plan.values
                .insert("opts".into(), "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER".into());
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let e = Entry::from(args)?;
        let state = args.str("state").unwrap_or_default();
        let qf = quote(&e.fstab);
        let qn = quote(&e.name);
        let wants = |field: &str, after: &str| {
            plan.changes
                .iter()
                .any(|c| c.field == field && c.after == after)
        };
        // Failures print `FAIL|message` and end the script: the result is the module's failure.
        let mut script = String::from("created=''; saved=''\n");
        if wants("path", "directory") {
            script.push_str(&format!(
                "d=''; case {qn} in /*) ;; *) d=.;; esac\n\
                 for part in $(printf '%s' {qn} | tr '/' ' '); do d=\"$d/$part\"; \
                 if [ ! -e \"$d\" ]; then o=$(mkdir -- \"$d\" 2>&1) || {{ printf 'FAIL|Error making dir %s: %s' {qn} \"$o\"; exit 0; }}; \
                 created=\"$d $created\"; fi; done\n"
            ));
        }
        let new_fstab = plan
            .changes
            .iter()
            .find(|c| c.field == "fstab")
            .and_then(|c| c.text.as_ref())
            .map(|t| t.after.clone().into_bytes());
        if new_fstab.is_some() {
            // The old fstab is kept aside to be put back if the mount fails.
            script.push_str(&format!(
                "saved=$(mktemp) || exit 1\n\
                 if [ -f {qf} ]; then cat -- {qf} > \"$saved\"; else mkdir -p -- \"$(dirname -- {qf})\"; fi\n"
            ));
            if args.bool("backup") {
                script.push_str(&format!(
                    "if [ -f {qf} ]; then b={qf}.$$.$(date +%Y-%m-%d@%H:%M:%S)~; cp -p -- {qf} \"$b\" || exit 1; printf 'BACKUP|%s\\n' \"$b\"; fi\n"
                ));
            }
            script.push_str(&format!("cat > {qf} || exit 1\n"));
        }
        let action = plan
            .changes
            .iter()
            .find(|c| c.field == "mount")
            .and_then(|c| c.after.as_str().map(str::to_string));
        if let Some(a) = &action {
            let undo = if matches!(state, "mounted" | "ephemeral") {
                let restore = if new_fstab.is_some() {
                    format!("cat \"$saved\" > {qf}; ")
                } else {
                    String::new()
                };
                format!("{restore}for d in $created; do rmdir -- \"$d\"; done; ")
            } else {
                String::new()
            };
            script.push_str(&format!(
                "r=$( {} ) || {{ {undo}[ -z \"$saved\" ] || rm -f \"$saved\"; printf 'FAIL|%s' \"${{r%.}}\"; exit 0; }}\n",
                action_script(&e, state, a)
            ));
        }
        if wants("path", "absent") {
            script.push_str(&format!(
                "if [ -e {qn} ]; then o=$(rmdir -- {qn} 2>&1) || {{ printf 'FAIL|Error rmdir %s: %s' {qn} \"$o\"; exit 0; }}; fi\n"
            ));
        }
        script.push_str("[ -z \"$saved\" ] || rm -f \"$saved\"\n");
        let mut cmd = Command::new(script);
        cmd.stdin = new_fstab;
        let out = ctx.host.run(cmd).await?;
        let text = out.stdout_str();
        if let Some((_, msg)) = text.split_once("FAIL|") {
            return Ok(Outcome::failed(msg.to_string()));
        }
        if out.rc != 0 {
            return Ok(Outcome::failed(format!("{text}{}", out.stderr_str())));
        }
        let backup = text
            .lines()
            .find_map(|l| l.strip_prefix("BACKUP|"))
            .unwrap_or_default()
            .to_string();
        let mut outcome = Outcome::applied(plan);
        let masked = outcome.values.get("opts").cloned();
        outcome.values = e.values(&backup);
        if args.bool("opts_no_log") {
            if let Some(m) = masked {
                outcome.values.insert("opts".into(), m);
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(raw: serde_json::Value) -> Entry {
        let args = SPEC.validate(raw.as_object().unwrap()).unwrap();
        Entry::from(&args).unwrap()
    }

    #[test]
    fn set_adds_rewrites_and_keeps() {
        let e = entry(
            json!({"path": "/srv/my data", "src": "/dev/sdb1", "fstype": "ext4", "state": "mounted"}),
        );
        let (t, c) = set_entry(&e, "# c\n/dev/sda1 / ext4 defaults 0 1\n");
        assert!(c);
        assert_eq!(
            t,
            "# c\n/dev/sda1 / ext4 defaults 0 1\n/dev/sdb1 /srv/my\\040data ext4 defaults 0 0\n"
        );
        let (again, c) = set_entry(&e, &t);
        assert!(!c && again == t);
        let (t2, c) = set_entry(&e, "/dev/sdc1 /srv/my\\040data xfs rw 0 0\n");
        assert!(c);
        assert_eq!(t2, "/dev/sdb1 /srv/my\\040data ext4 defaults 0 0\n");
        // A four-field line always gets its dump and passno written out.
        let (t3, c) = set_entry(&e, "/dev/sdb1 /srv/my\\040data ext4 defaults");
        assert!(c);
        assert_eq!(t3, "/dev/sdb1 /srv/my\\040data ext4 defaults 0 0\n");
    }

    #[test]
    fn boot_false_adds_noauto_and_unset_removes() {
        let e = entry(
            json!({"path": "/mnt/x", "src": "tmpfs", "fstype": "tmpfs", "state": "present", "boot": false}),
        );
        assert_eq!(e.opts, "defaults,noauto");
        let (t, _) = set_entry(&e, "");
        assert_eq!(t, "tmpfs /mnt/x tmpfs defaults,noauto 0 0\n");
        let gone = entry(json!({"path": "/mnt/x", "state": "absent"}));
        assert_eq!(unset_entry(&gone, &t), (String::new(), true));
        assert_eq!(unset_entry(&gone, "# x\n"), ("# x\n".into(), false));
    }

    #[test]
    fn mountinfo_sources() {
        let info = "22 1 0:21 / / rw - ext4 /dev/sda1 rw\n\
                    42 22 0:35 / /tmp rw - tmpfs tmpfs rw\n\
                    78 42 0:35 /aaa /tmp/b\\040b rw - tmpfs tmpfs rw\n";
        assert_eq!(
            mounted_at(info, "/tmp/b b"),
            Some(Mounted {
                src: "/tmp/aaa".into(),
                source: "tmpfs".into()
            })
        );
        assert_eq!(mounted_at(info, "/nope"), None);
        assert_eq!(unescape("a\\040b\\134"), "a b\\");
    }
}
