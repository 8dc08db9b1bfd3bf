//! `user`: local accounts. One probe reads `getent passwd`, `getent shadow`, the user's groups
//! and every group the task names; apply runs `useradd`/`usermod`/`userdel`. Password hashes go
//! through `chpasswd -e` on standard input, never on a command line.

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript, Sections};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `user` module.
pub struct UserModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "user",
    fqcn: &["ansible.builtin.user", "ansible.legacy.user"],
    synopsis: "Manage user accounts.",
    description: "Creates, changes and removes local users: uid, primary group, supplementary groups, \
        shell, home, comment, password hash, expiry, lock.",
    args: &[
        ArgSpec::new("name", ArgKind::Str, "User name.").required().aliases(&["user"]),
        ArgSpec::new("state", ArgKind::Str, "Present or absent.").default("\"present\"").choices(&["absent", "present"]),
        ArgSpec::new("uid", ArgKind::Int, "User id."),
        ArgSpec::new("comment", ArgKind::Str, "GECOS field."),
        ArgSpec::new("group", ArgKind::Str, "Primary group."),
        ArgSpec::new("groups", ArgKind::List, "Supplementary groups (empty: none).").elements(ArgKind::Str),
        ArgSpec::new("append", ArgKind::Bool, "Add to `groups` instead of setting exactly them.").default("false"),
        ArgSpec::new("shell", ArgKind::Str, "Login shell."),
        ArgSpec::new("home", ArgKind::Path, "Home directory."),
        ArgSpec::new("skeleton", ArgKind::Path, "Skeleton directory for a new home."),
        ArgSpec::new("password", ArgKind::Str, "Crypted password hash.").no_log(),
        ArgSpec::new("update_password", ArgKind::Str, "always or on_create.").default("\"always\"").choices(&["always", "on_create"]),
        ArgSpec::new("password_lock", ArgKind::Bool, "Lock (true) or unlock (false) the password."),
        ArgSpec::new("create_home", ArgKind::Bool, "Create the home directory.").default("true").aliases(&["createhome"]),
        ArgSpec::new("move_home", ArgKind::Bool, "Move the home when it changes.").default("false"),
        ArgSpec::new("system", ArgKind::Bool, "Create a system account.").default("false"),
        ArgSpec::new("force", ArgKind::Bool, "With absent: remove even when logged in.").default("false"),
        ArgSpec::new("remove", ArgKind::Bool, "With absent: remove the home and mail spool.").default("false"),
        ArgSpec::new("non_unique", ArgKind::Bool, "Allow a non-unique uid.").default("false"),
        ArgSpec::new("expires", ArgKind::Float, "Expiry as epoch seconds (-1: never)."),
        ArgSpec::new("local", ArgKind::Bool, "Use the local tools (luseradd...).").default("false"),
        ArgSpec::new("umask", ArgKind::Str, "Umask of a new home."),
        ArgSpec::new("generate_ssh_key", ArgKind::Bool, "Generate an SSH key.").default("false"),
        ArgSpec::new("ssh_key_bits", ArgKind::Int, "Key size."),
        ArgSpec::new("ssh_key_type", ArgKind::Str, "Key type.").default("\"rsa\""),
        ArgSpec::new("ssh_key_file", ArgKind::Path, "Key file, relative to the home.").default("\".ssh/id_rsa\""),
        ArgSpec::new("ssh_key_comment", ArgKind::Str, "Key comment."),
        ArgSpec::new("ssh_key_passphrase", ArgKind::Str, "Key passphrase.").no_log(),
        ArgSpec::new("uid_min", ArgKind::Int, "Lowest uid for new users."),
        ArgSpec::new("uid_max", ArgKind::Int, "Highest uid for new users."),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "name", returned: "always", doc: "User name." },
        ReturnSpec { name: "uid", returned: "when present", doc: "User id." },
        ReturnSpec { name: "group", returned: "when present", doc: "Primary group id." },
        ReturnSpec { name: "groups", returned: "when groups is given", doc: "Groups as given, comma-separated." },
        ReturnSpec { name: "home", returned: "when present", doc: "Home directory." },
        ReturnSpec { name: "shell", returned: "when present", doc: "Login shell." },
        ReturnSpec { name: "comment", returned: "when present", doc: "GECOS field." },
        ReturnSpec { name: "state", returned: "always", doc: "present or absent." },
        ReturnSpec { name: "password", returned: "when password is given", doc: "Always NOT_LOGGING_PASSWORD." },
        ReturnSpec { name: "ssh_public_key", returned: "when generate_ssh_key", doc: "The public key." },
    ],
    examples: "- name: Add the user johnd\n  ansible.builtin.user:\n    name: johnd\n    comment: John Doe\n    uid: 1040\n    group: admin\n    groups: [docker, sudo]\n    append: true\n    shell: /bin/bash\n",
};

/// An account as `getent passwd` shows it.
#[derive(Debug, Clone, PartialEq)]
struct Account {
    uid: i64,
    gid: i64,
    comment: String,
    home: String,
    shell: String,
}

fn parse_passwd(line: &str) -> Option<Account> {
    let f: Vec<&str> = line.trim_end().split(':').collect();
    Some(Account {
        uid: f.get(2)?.parse().ok()?,
        gid: f.get(3)?.parse().ok()?,
        comment: f.get(4)?.to_string(),
        home: f.get(5)?.to_string(),
        shell: f.get(6)?.to_string(),
    })
}

fn probe(args: &Args) -> ProbeScript {
    let name = quote(args.str("name").unwrap_or_default());
    let mut p = ProbeScript::new();
    p.section("passwd", &format!("getent passwd -- {name}; :"));
    p.section(
        "shadow",
        &format!("getent shadow -- {name} | cut -d: -f2,8; :"),
    );
    p.section("groups", &format!("id -Gn -- {name} 2>/dev/null; :"));
    let mut wanted: Vec<String> = args.str_list("groups");
    if let Some(g) = args.str("group") {
        wanted.push(g.to_string());
    }
    let list: Vec<String> = wanted
        .iter()
        .filter(|g| !g.is_empty())
        .map(|g| quote(g))
        .collect();
    p.section(
        "known",
        &format!(
            "for g in {}; do getent group -- \"$g\" | cut -d: -f1,3; done; :",
            list.join(" ")
        ),
    );
    if args.bool("generate_ssh_key") {
        let file = args.str("ssh_key_file").unwrap_or(".ssh/id_rsa");
        p.section(
            "sshkey",
            &format!(
                "h=$(getent passwd -- {name} | cut -d: -f6); f={}; case $f in /*) ;; *) f=\"$h/$f\";; esac; [ -f \"$f\" ] && cat \"$f.pub\" 2>/dev/null; :",
                quote(file)
            ),
        );
    }
    p
}

fn plan_from(args: &Args, s: &Sections) -> Result<Plan, ModuleError> {
    let name = args.str("name").unwrap_or_default();
    let get = |n: &str| s.get(n).map(|x| x.text()).map_err(ModuleError::Protocol);
    let account = parse_passwd(&get("passwd")?);
    let mut plan = Plan::default();
    plan.values.insert("name".into(), Value::from(name));
    let state = args.str("state").unwrap_or("present");
    if state == "absent" {
        plan.values.insert("state".into(), Value::from("absent"));
        if account.is_some() {
            plan.changes.push(Change::new("state", "present", "absent"));
            plan.values
                .insert("force".into(), Value::Bool(args.bool("force")));
            plan.values
                .insert("remove".into(), Value::Bool(args.bool("remove")));
        }
        return Ok(plan);
    }
    plan.values.insert("state".into(), Value::from("present"));
    // Groups the task names must exist (Ansible checks before acting).
    let known: Vec<(String, i64)> = get("known")?
        .lines()
        .filter_map(|l| {
            let (n, g) = l.split_once(':')?;
            Some((n.to_string(), g.parse().ok()?))
        })
        .collect();
    let exists = |g: &str| known.iter().any(|(n, id)| n == g || id.to_string() == g);
    let wanted_groups: Vec<String> = args
        .str_list("groups")
        .into_iter()
        .filter(|g| !g.is_empty())
        .collect();
    for g in wanted_groups
        .iter()
        .chain(args.str("group").map(str::to_string).iter())
    {
        if !exists(g) {
            return Err(ModuleError::Protocol(format!("Group {g} does not exist")));
        }
    }
    let shadow = get("shadow")?;
    let (hash, expires) = shadow.trim().split_once(':').unwrap_or((shadow.trim(), ""));
    if args.get("groups").is_some() {
        plan.values
            .insert("groups".into(), Value::from(wanted_groups.join(",")));
    }
    if args.get("password").is_some() {
        plan.values
            .insert("password".into(), Value::from("NOT_LOGGING_PASSWORD"));
    }
    let Some(acc) = account else {
        plan.changes.push(Change::new("state", "absent", "present"));
        plan.values
            .insert("create_home".into(), Value::Bool(args.bool("create_home")));
        plan.values
            .insert("system".into(), Value::Bool(args.bool("system")));
        if let Some(h) = args.str("home") {
            plan.values.insert("home".into(), Value::from(h));
        }
        if let Some(sh) = args.str("shell") {
            plan.values.insert("shell".into(), Value::from(sh));
        }
        if let Some(c) = args.str("comment") {
            plan.values.insert("comment".into(), Value::from(c));
        }
        return Ok(plan);
    };
    if let Some(u) = args.int("uid").filter(|u| *u != acc.uid) {
        plan.changes.push(Change::new("uid", acc.uid, u));
    }
    if let Some(g) = args.str("group") {
        let gid = known
            .iter()
            .find(|(n, id)| n == g || id.to_string() == g)
            .map(|(_, id)| *id);
        if gid.is_some_and(|id| id != acc.gid) {
            plan.changes.push(Change::new("group", acc.gid, g));
        }
    }
    if args.get("groups").is_some() {
        // `id -Gn` lists the primary group first; the rest are the supplementary groups.
        let current: Vec<String> = get("groups")?
            .split_whitespace()
            .skip(1)
            .map(str::to_string)
            .collect();
        let missing: Vec<&String> = wanted_groups
            .iter()
            .filter(|g| !current.contains(g))
            .collect();
        let extra: Vec<&String> = current
            .iter()
            .filter(|g| !wanted_groups.contains(g))
            .collect();
        if !missing.is_empty() || (!args.bool("append") && !extra.is_empty()) {
            plan.changes.push(Change::new(
                "groups",
                current.join(","),
                wanted_groups.join(","),
            ));
        }
    }
    for (field, now) in [
        ("comment", &acc.comment),
        ("shell", &acc.shell),
        ("home", &acc.home),
    ] {
        if let Some(want) = args.str(field).filter(|w| w != now) {
            plan.changes.push(Change::new(field, now.as_str(), want));
        }
    }
    if let Some(pw) = args.str("password") {
        if args.str("update_password") != Some("on_create")
            && pw != hash.trim_start_matches('!')
            && pw != hash
        {
            plan.changes.push(Change::new(
                "password",
                "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER",
                "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER",
            ));
        }
    }
    if let Some(lock) = args.get("password_lock").and_then(Value::as_bool) {
        let locked = hash.starts_with('!');
        if lock != locked {
            plan.changes
                .push(Change::new("password_lock", locked, lock));
        }
    }
    if let Some(e) = args.get("expires").and_then(Value::as_f64) {
        let want_days: Option<i64> = (e >= 0.0).then(|| (e / 86400.0).floor() as i64);
        let now_days: Option<i64> = expires.trim().parse().ok();
        if want_days != now_days {
            plan.changes.push(Change::new(
                "expires",
                now_days.map(Value::from).unwrap_or(Value::Null),
                e,
            ));
        }
    }
    if args.bool("generate_ssh_key") {
        let key = s.opt("sshkey").map(|x| x.text()).unwrap_or_default();
        if key.trim().is_empty() {
            plan.changes
                .push(Change::new("ssh_key", Value::Null, "generated"));
        } else {
            plan.values
                .insert("ssh_public_key".into(), Value::from(key.trim()));
        }
    }
    plan.values.insert(
        "uid".into(),
        Value::from(args.int("uid").unwrap_or(acc.uid)),
    );
    plan.values.insert("group".into(), Value::from(acc.gid));
    plan.values.insert(
        "home".into(),
        Value::from(args.str("home").unwrap_or(&acc.home)),
    );
    plan.values.insert(
        "shell".into(),
        Value::from(args.str("shell").unwrap_or(&acc.shell)),
    );
    plan.values.insert(
        "comment".into(),
        Value::from(args.str("comment").unwrap_or(&acc.comment)),
    );
    plan.values
        .insert("append".into(), Value::Bool(args.bool("append")));
    plan.values
        .insert("move_home".into(), Value::Bool(args.bool("move_home")));
    Ok(plan)
}

/// `-e` argument of useradd/usermod for an epoch expiry.
fn expiry_arg(args: &Args) -> Option<String> {
    let e = args.get("expires").and_then(Value::as_f64)?;
    Some(if e < 0.0 {
        "-e ''".to_string()
    } else {
        format!("-e $(date -u -d @{} +%Y-%m-%d)", e as i64)
    })
}

fn apply_script(args: &Args, plan: &Plan) -> String {
    let name = quote(args.str("name").unwrap_or_default());
    let local = args.bool("local");
    let mut s = String::new();
    let creating = plan
        .changes
        .iter()
        .any(|c| c.field == "state" && c.after == "present");
    let removing = plan
        .changes
        .iter()
        .any(|c| c.field == "state" && c.after == "absent");
    if removing {
        let mut cmd = String::from(if local { "luserdel" } else { "userdel" });
        if args.bool("force") {
            cmd.push_str(" -f");
        }
        if args.bool("remove") {
            cmd.push_str(" -r");
        }
        s.push_str(&format!("{cmd} {name} || exit $?\n"));
        return s;
    }
    let groups = args
        .str_list("groups")
        .into_iter()
        .filter(|g| !g.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    if creating {
        let mut cmd = String::from(if local { "luseradd" } else { "useradd" });
        if let Some(u) = args.int("uid") {
            cmd.push_str(&format!(" -u {u}"));
            if args.bool("non_unique") {
                cmd.push_str(" -o");
            }
        }
        if let Some(g) = args.str("group") {
            cmd.push_str(&format!(" -g {}", quote(g)));
        } else {
            // Debian's useradd follows USERGROUPS_ENAB; say it explicitly like Ansible does.
            cmd.push_str(" -U");
        }
        if !groups.is_empty() {
            cmd.push_str(&format!(" -G {}", quote(&groups)));
        }
        if let Some(c) = args.str("comment") {
            cmd.push_str(&format!(" -c {}", quote(c)));
        }
        if let Some(h) = args.str("home") {
            cmd.push_str(&format!(" -d {}", quote(h)));
        }
        if let Some(sh) = args.str("shell") {
            cmd.push_str(&format!(" -s {}", quote(sh)));
        }
        if let Some(k) = args.str("skeleton") {
            cmd.push_str(&format!(" -k {}", quote(k)));
        }
        if let Some(e) = expiry_arg(args) {
            cmd.push_str(&format!(" {e}"));
        }
        if args.bool("system") {
            cmd.push_str(" -r");
        }
        if let Some(u) = args.str("umask") {
            cmd.push_str(&format!(" -K UMASK={}", quote(u)));
        }
        if let Some(m) = args.int("uid_min") {
            cmd.push_str(&format!(" -K UID_MIN={m}"));
        }
        if let Some(m) = args.int("uid_max") {
            cmd.push_str(&format!(" -K UID_MAX={m}"));
        }
        cmd.push_str(if args.bool("create_home") {
            " -m"
        } else {
            " -M"
        });
        s.push_str(&format!("{cmd} {name} || exit $?\n"));
    } else {
        let mut opts = String::new();
        for c in &plan.changes {
            match c.field.as_str() {
                "uid" => {
                    opts.push_str(&format!(" -u {}", c.after));
                    if args.bool("non_unique") {
                        opts.push_str(" -o");
                    }
                }
                "group" => opts.push_str(&format!(
                    " -g {}",
                    quote(args.str("group").unwrap_or_default())
                )),
                "groups" => {
                    if args.bool("append") {
                        opts.push_str(" -a");
                    }
                    opts.push_str(&format!(" -G {}", quote(&groups)));
                }
                "comment" => opts.push_str(&format!(
                    " -c {}",
                    quote(args.str("comment").unwrap_or_default())
                )),
                "shell" => opts.push_str(&format!(
                    " -s {}",
                    quote(args.str("shell").unwrap_or_default())
                )),
                "home" => {
                    opts.push_str(&format!(
                        " -d {}",
                        quote(args.str("home").unwrap_or_default())
                    ));
                    if args.bool("move_home") {
                        opts.push_str(" -m");
                    }
                }
                "expires" => {
                    if let Some(e) = expiry_arg(args) {
                        opts.push_str(&format!(" {e}"));
                    }
                }
                _ => {}
            }
        }
        if !opts.is_empty() {
            s.push_str(&format!(
                "{}{opts} {name} || exit $?\n",
                if local { "lusermod" } else { "usermod" }
            ));
        }
    }
    let set_password = args.str("password").is_some()
        && (creating || plan.changes.iter().any(|c| c.field == "password"));
    if set_password {
        // The hash arrives on stdin (see apply): `name:hash` for chpasswd -e.
        s.push_str("chpasswd -e || exit $?\n");
    }
    for c in &plan.changes {
        if c.field == "password_lock" {
            let flag = if c.after == Value::Bool(true) {
                "-L"
            } else {
                "-U"
            };
            s.push_str(&format!("usermod {flag} {name} || exit $?\n"));
        }
    }
    if creating && args.get("password_lock") == Some(&Value::Bool(true)) {
        s.push_str(&format!("usermod -L {name} || exit $?\n"));
    }
    if args.bool("generate_ssh_key")
        && (creating || plan.changes.iter().any(|c| c.field == "ssh_key"))
    {
        let file = args.str("ssh_key_file").unwrap_or(".ssh/id_rsa");
        let ktype = args.str("ssh_key_type").unwrap_or("rsa");
        let bits = args
            .int("ssh_key_bits")
            .map(|b| format!(" -b {b}"))
            .unwrap_or_default();
        let comment = args
            .str("ssh_key_comment")
            .map(str::to_string)
            .unwrap_or_else(|| "ansible-generated on $(hostname)".into());
        s.push_str(&format!(
            "h=$(getent passwd -- {name} | cut -d: -f6); f={}; case $f in /*) ;; *) f=\"$h/$f\";; esac\n\
             mkdir -p \"$(dirname \"$f\")\" && chown {name}: \"$(dirname \"$f\")\" && chmod 0700 \"$(dirname \"$f\")\"\n\
             [ -f \"$f\" ] || su -s /bin/sh {name} -c \"ssh-keygen -q -t {} {bits} -N '' -C \\\"{}\\\" -f '$f'\" </dev/null || exit $?\n\
             printf '%s\\n' '::rplay-ssh-key::'; cat \"$f.pub\"\n",
            quote(file),
            quote(ktype),
            comment.replace('"', "")
        ));
    }
    s.push_str(&format!(
        "printf '%s\\n' '::rplay-account::'; getent passwd -- {name}; true\n"
    ));
    s
}

#[async_trait]
impl Module for UserModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let p = probe(args);
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        plan_from(args, &s)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let mut cmd = Command::new(apply_script(args, &plan));
        if let Some(pw) = args.str("password") {
            cmd.stdin =
                Some(format!("{}:{}\n", args.str("name").unwrap_or_default(), pw).into_bytes());
        }
        let out = ctx.host.run(cmd).await?;
        let mut values: Map = plan.values.clone();
        let stdout = out.stdout_str();
        if out.rc != 0 {
            let mut o = Outcome::failed(out.stderr_str().trim().to_string());
            values.insert("rc".into(), Value::from(out.rc));
            o.values = values;
            return Ok(o);
        }
        if let Some((_, rest)) = stdout.split_once("::rplay-ssh-key::\n") {
            let key = rest
                .split("::rplay-account::")
                .next()
                .unwrap_or_default()
                .trim();
            values.insert("ssh_public_key".into(), Value::from(key));
        }
        if let Some(acc) = stdout
            .split("::rplay-account::\n")
            .nth(1)
            .and_then(parse_passwd)
        {
            if values.get("state") == Some(&Value::from("present")) {
                values.insert("uid".into(), Value::from(acc.uid));
                values.insert("group".into(), Value::from(acc.gid));
                values.insert("home".into(), Value::from(acc.home));
                values.insert("shell".into(), Value::from(acc.shell));
                values.insert("comment".into(), Value::from(acc.comment));
            }
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
    use crate::shell::Section;
    use serde_json::json;

    fn sections(passwd: &str, shadow: &str, groups: &str, known: &str) -> Sections {
        let mut m = indexmap::IndexMap::new();
        for (k, v) in [
            ("passwd", passwd),
            ("shadow", shadow),
            ("groups", groups),
            ("known", known),
        ] {
            m.insert(
                k.to_string(),
                Section {
                    out: v.as_bytes().to_vec(),
                    rc: 0,
                },
            );
        }
        Sections(m)
    }

    fn args(v: Value) -> Args {
        SPEC.validate(v.as_object().unwrap()).unwrap()
    }

    #[test]
    fn plans_groups_shell_and_password() {
        let s = sections(
            "alice:x:1001:1001:Alice:/home/alice:/bin/sh\n",
            "$6$salt$hash:\n",
            "alice sudo\n",
            "sudo:27\nadm:4\n",
        );
        let a = args(
            json!({"name": "alice", "groups": ["sudo", "adm"], "append": true, "shell": "/bin/bash", "password": "$6$salt$hash"}),
        );
        let p = plan_from(&a, &s).unwrap();
        assert_eq!(
            p.changes
                .iter()
                .map(|c| c.field.as_str())
                .collect::<Vec<_>>(),
            vec!["groups", "shell"]
        );
        assert_eq!(p.values["password"], "NOT_LOGGING_PASSWORD");
        let a = args(json!({"name": "alice", "groups": "sudo"}));
        assert!(plan_from(&a, &s).unwrap().changes.is_empty());
        let a = args(json!({"name": "alice", "groups": ""}));
        assert_eq!(plan_from(&a, &s).unwrap().changes[0].field, "groups");
        let a = args(json!({"name": "alice", "groups": ["nosuch"]}));
        assert!(plan_from(&a, &sections("", "", "", ""))
            .unwrap_err()
            .to_string()
            .contains("Group nosuch does not exist"));
        let a = args(json!({"name": "alice", "password": "$6$other"}));
        assert_eq!(plan_from(&a, &s).unwrap().changes[0].field, "password");
        let script = apply_script(&a, &plan_from(&a, &s).unwrap());
        assert!(!script.contains("$6$other"), "hash never on a command line");
    }

    #[test]
    fn plans_create_and_remove() {
        let s = sections("", "", "", "");
        let a = args(json!({"name": "bob", "uid": 1500, "shell": "/bin/bash"}));
        let p = plan_from(&a, &s).unwrap();
        assert_eq!(p.changes[0].after, json!("present"));
        let script = apply_script(&a, &p);
        assert!(
            script.contains("useradd -u 1500 -U -s /bin/bash -m bob"),
            "{script}"
        );
        let a = args(json!({"name": "bob", "state": "absent", "remove": true}));
        assert!(plan_from(&a, &s).unwrap().changes.is_empty());
    }
}
