//! `apt`: Debian packages. One probe script reads the installed versions (`dpkg-query`), the
//! candidates (`apt-cache policy`), the cache age and, for `upgrade`/`autoremove`/`build-dep`,
//! apt-get's own simulation; the plan lists the packages to install, upgrade or remove, and apply
//! runs `apt-get` once per action with `DEBIAN_FRONTEND=noninteractive`.

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript, Sections};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `apt` module.
pub struct AptModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "apt",
    fqcn: &["ansible.builtin.apt", "ansible.legacy.apt"],
    synopsis: "Manages apt packages.",
    description: "Installs, upgrades and removes Debian packages with apt-get, updates the cache, \
        runs upgrades and autoremove. Probes with dpkg-query and apt-cache in one round trip.",
    args: &[
        ArgSpec::new("name", ArgKind::List, "Package names, optionally `name=version` (globs allowed in the version).")
            .aliases(&["pkg", "package"])
            .elements(ArgKind::Str),
        ArgSpec::new("state", ArgKind::Str, "Wanted package state.")
            .default("\"present\"")
            .choices(&["absent", "build-dep", "latest", "present", "fixed"]),
        ArgSpec::new("update_cache", ArgKind::Bool, "Run `apt-get update` first.").aliases(&["update-cache"]),
        ArgSpec::new("update_cache_retries", ArgKind::Int, "Retries of the cache update.").default("5"),
        ArgSpec::new("update_cache_retry_max_delay", ArgKind::Int, "Longest wait between retries.").default("12"),
        ArgSpec::new("cache_valid_time", ArgKind::Int, "Update the cache only when older than this many seconds (implies update_cache).").default("0"),
        ArgSpec::new("purge", ArgKind::Bool, "Purge configuration files when removing.").default("false"),
        ArgSpec::new("default_release", ArgKind::Str, "Passed as `-t` to apt-get.").aliases(&["default-release"]),
        ArgSpec::new("install_recommends", ArgKind::Bool, "Install recommended packages (default: apt's setting).")
            .aliases(&["install-recommends"]),
        ArgSpec::new("force", ArgKind::Bool, "Force installs and removals (dangerous).").default("false"),
        ArgSpec::new("clean", ArgKind::Bool, "Run `apt-get clean`.").default("false"),
        ArgSpec::new("upgrade", ArgKind::Str, "Upgrade the system: yes/safe, full, dist, no.")
            .default("\"no\"")
            .choices(&["dist", "full", "no", "safe", "yes"]),
        ArgSpec::new("dpkg_options", ArgKind::Str, "Comma-separated dpkg options.")
            .default("\"force-confdef,force-confold\""),
        ArgSpec::new("deb", ArgKind::Path, "Path on the host of a .deb file to install."),
        ArgSpec::new("autoremove", ArgKind::Bool, "Remove packages no longer needed.").default("false"),
        ArgSpec::new("autoclean", ArgKind::Bool, "Remove obsolete package files.").default("false"),
        ArgSpec::new("policy_rc_d", ArgKind::Int, "Exit code of a temporary policy-rc.d while installing."),
        ArgSpec::new("only_upgrade", ArgKind::Bool, "Only upgrade installed packages.").default("false"),
        ArgSpec::new("fail_on_autoremove", ArgKind::Bool, "Fail instead of removing packages to satisfy a request.").default("false"),
        ArgSpec::new("allow_unauthenticated", ArgKind::Bool, "Allow unauthenticated packages.")
            .default("false")
            .aliases(&["allow-unauthenticated"]),
        ArgSpec::new("allow_downgrade", ArgKind::Bool, "Allow downgrading to a pinned version.")
            .default("false")
            .aliases(&["allow-downgrade", "allow_downgrades", "allow-downgrades"]),
        ArgSpec::new("allow_change_held_packages", ArgKind::Bool, "Allow changing held packages.").default("false"),
        ArgSpec::new("lock_timeout", ArgKind::Int, "Seconds to wait for the dpkg lock.").default("60"),
    ],
    free_form: None,
    mutually_exclusive: &[&["deb", "name", "upgrade"]],
    required_one_of: &[&["autoremove", "deb", "name", "update_cache", "upgrade", "autoclean", "clean", "cache_valid_time"]],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "cache_updated", returned: "success", doc: "Whether the cache was updated." },
        ReturnSpec { name: "cache_update_time", returned: "success", doc: "Epoch of the last cache update." },
        ReturnSpec { name: "stdout", returned: "success, when apt-get ran", doc: "apt-get's standard output." },
        ReturnSpec { name: "stderr", returned: "success, when apt-get ran", doc: "apt-get's standard error." },
    ],
    examples: "- name: Install nginx\n  ansible.builtin.apt:\n    name: nginx\n    state: present\n    update_cache: true\n    cache_valid_time: 3600\n\n\
        - name: Remove packages\n  ansible.builtin.apt:\n    name: [tree, hello]\n    state: absent\n    purge: true\n",
};

/// One requested package: `name` or `name=version`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PkgRequest {
    pub name: String,
    pub version: Option<String>,
}

impl PkgRequest {
    pub(crate) fn parse(spec: &str) -> Self {
        match spec.split_once('=') {
            Some((n, v)) if !n.is_empty() => PkgRequest {
                name: n.trim().to_string(),
                version: Some(v.trim().to_string()),
            },
            _ => PkgRequest {
                name: spec.trim().to_string(),
                version: None,
            },
        }
    }
    /// The argument for apt-get.
    fn arg(&self) -> String {
        match &self.version {
            Some(v) => format!("{}={}", self.name, v),
            None => self.name.clone(),
        }
    }
    /// Name without an `:arch` suffix, as dpkg-query prints it.
    fn base(&self) -> &str {
        self.name.split(':').next().unwrap_or(&self.name)
    }
}

/// What the host knows about one package.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PkgInfo {
    /// Installed version (only when dpkg says installed, `ii`/`hi`...).
    pub installed: Option<String>,
    /// Whether config files remain (`rc` state).
    pub config_files: bool,
    /// Candidate version from apt-cache policy.
    pub candidate: Option<String>,
    /// Versions apt knows about (from apt-cache policy's version table).
    pub versions: Vec<String>,
}

/// Parses `dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n'` output.
pub(crate) fn parse_dpkg(text: &str, into: &mut indexmap::IndexMap<String, PkgInfo>) {
    for line in text.lines() {
        let mut parts = line.split('\t');
        let (Some(name), Some(version), Some(status)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let entry = into.entry(name.to_string()).or_default();
        let status = status.trim();
        // Status-Abbrev: desired, current, error flag; current `i` = installed.
        if status.chars().nth(1) == Some('i') && !version.is_empty() {
            entry.installed = Some(version.to_string());
        } else if status.chars().nth(1) == Some('c') {
            entry.config_files = true;
        }
    }
}

/// Parses `LANG=C apt-cache policy NAMES...` output: candidate and known versions per package.
pub(crate) fn parse_policy(text: &str, into: &mut indexmap::IndexMap<String, PkgInfo>) {
    let mut current: Option<String> = None;
    let mut in_table = false;
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            let name = line.trim_end_matches(':').to_string();
            let name = name.split(':').next().unwrap_or(&name).to_string();
            into.entry(name.clone()).or_default();
            current = Some(name);
            in_table = false;
            continue;
        }
        let Some(name) = &current else { continue };
        let t = line.trim();
        if let Some(c) = t.strip_prefix("Candidate:") {
            let c = c.trim();
            if c != "(none)" {
                if let Some(e) = into.get_mut(name) {
                    e.candidate = Some(c.to_string());
                }
            }
        } else if t.starts_with("Version table:") {
            in_table = true;
        } else if in_table && (line.starts_with("     ") || line.starts_with(" *** ")) {
            // Version lines are indented by 5 (` *** ` marks the installed one); origin lines by 8.
            let rest = line.trim_start_matches(" *** ").trim_start();
            if line.starts_with("        ") {
                continue;
            }
            if let Some(v) = rest.split_whitespace().next() {
                if let Some(e) = into.get_mut(name) {
                    e.versions.push(v.to_string());
                }
            }
        }
    }
}

/// Shell glob match (`*`, `?`) used for version pins such as `1.2*`.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    fn rec(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| rec(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && rec(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && rec(&p[1..], &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    rec(&p, &t)
}

/// Counts `Inst`/`Remv` lines of an apt-get simulation, returning the package names.
fn simulated(text: &str, verb: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(verb))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

fn upgrade_verb(upgrade: &str) -> Option<&'static str> {
    match upgrade {
        "yes" | "safe" => Some("upgrade --with-new-pkgs"),
        "full" | "dist" => Some("dist-upgrade"),
        _ => None,
    }
}

/// apt-get options common to every action.
fn apt_get(args: &Args, check: bool) -> String {
    let mut s = String::from("apt-get -y -q");
    if check {
        s.push_str(" -s");
    }
    if let Some(t) = args.int("lock_timeout") {
        s.push_str(&format!(" -o DPkg::Lock::Timeout={t}"));
    }
    for o in args.str("dpkg_options").unwrap_or_default().split(',') {
        let o = o.trim();
        if !o.is_empty() {
            s.push_str(&format!(" -o {}", quote(&format!("Dpkg::Options::=--{o}"))));
        }
    }
    match args.get("install_recommends").and_then(Value::as_bool) {
        Some(true) => s.push_str(" -o APT::Install-Recommends=yes"),
        Some(false) => s.push_str(" -o APT::Install-Recommends=no"),
        None => {}
    }
    if let Some(r) = args.str("default_release") {
        s.push_str(&format!(" -t {}", quote(r)));
    }
    if args.bool("force") {
        s.push_str(" --force-yes");
    }
    if args.bool("allow_unauthenticated") {
        s.push_str(" --allow-unauthenticated");
    }
    if args.bool("allow_downgrade") {
        s.push_str(" --allow-downgrades");
    }
    if args.bool("allow_change_held_packages") {
        s.push_str(" --allow-change-held-packages");
    }
    s
}

const ENV: &str = "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LANG=C LC_ALL=C";

fn wants_cache_update(args: &Args) -> bool {
    args.bool("update_cache") || args.int("cache_valid_time").unwrap_or(0) > 0
}

fn requests(args: &Args) -> Vec<PkgRequest> {
    args.str_list("name")
        .iter()
        .map(|s| PkgRequest::parse(s))
        .filter(|r| !r.name.is_empty())
        .collect()
}

/// Whether the cache update is a side step of a package task (done during the probe, not counted
/// as a change, as Ansible does) rather than the task's whole purpose.
fn updates_in_probe(args: &Args, reqs: &[PkgRequest]) -> bool {
    wants_cache_update(args)
        && (!reqs.is_empty()
            || args.str("deb").is_some()
            || upgrade_verb(args.str("upgrade").unwrap_or("no")).is_some())
}

fn probe(args: &Args, reqs: &[PkgRequest], check_mode: bool) -> ProbeScript {
    let names: Vec<String> = reqs.iter().map(|r| quote(&r.name)).collect();
    let names = names.join(" ");
    let state = args.str("state").unwrap_or("present");
    let mut p = ProbeScript::new();
    p.prelude(&format!("export {ENV}"));
    p.section(
        "tools",
        "command -v apt-get >/dev/null 2>&1 && echo apt-get; :",
    );
    if updates_in_probe(args, reqs) && !check_mode {
        let valid = args.int("cache_valid_time").unwrap_or(0);
        let retries = args.int("update_cache_retries").unwrap_or(5).max(1);
        p.section(
            "update",
            &format!(
                "now=$(date +%s); m=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0); \
                 if [ {valid} -le 0 ] || [ $((now - m)) -gt {valid} ]; then i=0; until apt-get update -q >/dev/null 2>/tmp/.rplay-apt.$$; do i=$((i+1)); \
                 if [ $i -ge {retries} ]; then cat /tmp/.rplay-apt.$$; rm -f /tmp/.rplay-apt.$$; exit 100; fi; sleep 1; done; rm -f /tmp/.rplay-apt.$$; echo updated; fi"
            ),
        );
    }
    p.section(
        "cache",
        "date +%s; stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null; :",
    );
    if !reqs.is_empty() {
        p.section(
            "dpkg",
            &format!("dpkg-query -W -f '${{Package}}\\t${{Version}}\\t${{db:Status-Abbrev}}\\n' -- {names} 2>/dev/null; :"),
        );
        if state != "absent" {
            p.section(
                "policy",
                &format!("apt-cache policy -- {names} 2>/dev/null; :"),
            );
        }
        if state == "build-dep" {
            p.section(
                "builddep",
                &format!("{} build-dep -- {names} 2>&1", apt_get(args, true)),
            );
        }
    }
    if state == "fixed" {
        p.section("fixed", &format!("{} -f install 2>&1", apt_get(args, true)));
    }
    if let Some(verb) = upgrade_verb(args.str("upgrade").unwrap_or("no")) {
        p.section("upgrade", &format!("{} {verb} 2>&1", apt_get(args, true)));
    }
    if args.bool("autoremove") {
        let purge = if args.bool("purge") { " --purge" } else { "" };
        p.section(
            "autoremove",
            &format!("{} autoremove{purge} 2>&1", apt_get(args, true)),
        );
    }
    if let Some(deb) = args.str("deb") {
        p.section(
            "deb",
            &format!(
                "d={}; [ -f \"$d\" ] || {{ echo missing; exit 0; }}; n=$(dpkg-deb -f \"$d\" Package) && v=$(dpkg-deb -f \"$d\" Version) && printf '%s\\t%s\\n' \"$n\" \"$v\" && dpkg-query -W -f '${{Version}}\\t${{db:Status-Abbrev}}\\n' -- \"$n\" 2>/dev/null; :",
                quote(deb)
            ),
        );
    }
    p
}

/// Builds the plan from the probe's answer (pure, so it is unit-tested with recorded output).
fn plan_from(
    args: &Args,
    reqs: &[PkgRequest],
    s: &Sections,
    host: &str,
) -> Result<Plan, ModuleError> {
    if s.get("tools").map_err(ModuleError::Protocol)?.text().trim() != "apt-get" {
        return Ok(failed_plan(format!(
            "apt-get was not found on {host}: the apt module needs a Debian-family host"
        )));
    }
    let cache = s.get("cache").map_err(ModuleError::Protocol)?.lines();
    let now: i64 = cache
        .first()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    let mtime: i64 = cache
        .get(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    let mut plan = Plan::default();
    plan.values
        .insert("cache_updated".into(), Value::Bool(false));
    plan.values
        .insert("cache_update_time".into(), Value::from(mtime));
    let valid = args.int("cache_valid_time").unwrap_or(0);
    let in_probe = updates_in_probe(args, reqs);
    if let Some(sec) = s.opt("update") {
        if sec.rc != 0 {
            return Ok(failed_plan(format!(
                "Failed to update apt cache: {}",
                sec.text().trim()
            )));
        }
        plan.values.insert(
            "cache_updated".into(),
            Value::Bool(sec.text().trim() == "updated"),
        );
    }
    let update = wants_cache_update(args) && (valid <= 0 || now - mtime > valid);
    if update && !in_probe {
        plan.changes
            .push(Change::new("cache", Value::from(mtime), Value::from(now)));
    }
    let mut info = indexmap::IndexMap::new();
    if let Some(sec) = s.opt("dpkg") {
        parse_dpkg(&sec.text(), &mut info);
    }
    if let Some(sec) = s.opt("policy") {
        parse_policy(&sec.text(), &mut info);
    }
    let state = args.str("state").unwrap_or("present");
    let purge = args.bool("purge");
    for r in reqs {
        let i = info.get(r.base()).cloned().unwrap_or_default();
        let field = format!("package:{}", r.name);
        match state {
            "present" | "latest" => {
                let known =
                    i.candidate.is_some() || !i.versions.is_empty() || i.installed.is_some();
                if !known && !update {
                    return Ok(failed_plan(format!(
                        "No package matching '{}' is available",
                        r.name
                    )));
                }
                let wanted = match &r.version {
                    Some(v) => !i
                        .installed
                        .as_deref()
                        .is_some_and(|inst| glob_match(v, inst)),
                    None => match (&i.installed, state) {
                        (None, _) => !args.bool("only_upgrade"),
                        (Some(inst), "latest") => i.candidate.as_deref().is_some_and(|c| c != inst),
                        _ => false,
                    },
                };
                if wanted {
                    let after = r
                        .version
                        .clone()
                        .or_else(|| i.candidate.clone())
                        .unwrap_or_else(|| "present".into());
                    let before = i.installed.clone().map(Value::from).unwrap_or(Value::Null);
                    plan.changes.push(Change::new(field, before, after));
                }
            }
            "absent" => {
                if i.installed.is_some() || (purge && i.config_files) {
                    let before = i
                        .installed
                        .clone()
                        .map(Value::from)
                        .unwrap_or(Value::from("config-files"));
                    plan.changes.push(Change::new(field, before, Value::Null));
                }
            }
            _ => {}
        }
    }
    if state == "build-dep" {
        let out = s.opt("builddep").map(|x| x.text()).unwrap_or_default();
        for n in simulated(&out, "Inst ") {
            plan.changes.push(Change::new(
                format!("build-dep:{n}"),
                Value::Null,
                "present",
            ));
        }
    }
    if state == "fixed" {
        let out = s.opt("fixed").map(|x| x.text()).unwrap_or_default();
        for n in simulated(&out, "Inst ") {
            plan.changes
                .push(Change::new(format!("fixed:{n}"), Value::Null, "present"));
        }
    }
    if let Some(sec) = s.opt("upgrade") {
        if sec.rc != 0 {
            return Ok(failed_plan(format!(
                "apt-get upgrade simulation failed: {}",
                sec.text().trim()
            )));
        }
        for n in simulated(&sec.text(), "Inst ") {
            plan.changes
                .push(Change::new(format!("upgrade:{n}"), Value::Null, "latest"));
        }
    }
    if let Some(sec) = s.opt("autoremove") {
        for n in simulated(&sec.text(), "Remv ") {
            plan.changes.push(Change::new(
                format!("autoremove:{n}"),
                "present",
                Value::Null,
            ));
        }
    }
    if let Some(sec) = s.opt("deb") {
        let lines = sec.lines();
        if lines.first().map(String::as_str) == Some("missing") || lines.is_empty() {
            return Ok(failed_plan(format!(
                "Unable to install package: {} does not exist on {host}",
                args.str("deb").unwrap_or_default()
            )));
        }
        let (name, version) = lines[0].split_once('\t').unwrap_or((lines[0].as_str(), ""));
        let installed = lines.get(1).and_then(|l| {
            let (v, st) = l.split_once('\t')?;
            (st.chars().nth(1) == Some('i')).then(|| v.to_string())
        });
        if installed.as_deref() != Some(version) {
            plan.changes.push(Change::new(
                format!("package:{name}"),
                installed.map(Value::from).unwrap_or(Value::Null),
                version,
            ));
        }
    }
    Ok(plan)
}

/// A plan that makes the task fail with `msg` (carried as a value the apply step reports).
fn failed_plan(msg: String) -> Plan {
    let mut p = Plan::default();
    p.values.insert("failed".into(), Value::Bool(true));
    p.msg = Some(msg);
    p
}

#[async_trait]
impl Module for AptModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let reqs = requests(args);
        let probe = probe(args, &reqs, ctx.check_mode);
        let out = ctx.host.run(Command::new(probe.script())).await?;
        let sections = probe.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let plan = plan_from(args, &reqs, &sections, ctx.host.name())?;
        if plan.values.get("failed") == Some(&Value::Bool(true)) {
            return Err(ModuleError::Protocol(plan.msg.unwrap_or_default()));
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        apply_plan(args, plan, ctx).await
    }
}

/// Runs the apt-get commands for `plan`; shared with `package`.
pub(crate) async fn apply_plan(
    args: &Args,
    plan: Plan,
    ctx: &Context<'_>,
) -> Result<Outcome, ModuleError> {
    let apt = apt_get(args, false);
    let state = args.str("state").unwrap_or("present");
    let mut steps: Vec<String> = Vec::new();
    let has = |prefix: &str| plan.changes.iter().any(|c| c.field.starts_with(prefix));
    let updating = has("cache");
    if updating {
        let retries = args.int("update_cache_retries").unwrap_or(5).max(1);
        steps.push(format!(
            "i=0; until apt-get update -q; do i=$((i+1)); [ $i -ge {retries} ] && exit 100; sleep 1; done"
        ));
    }
    let pkgs: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.field.starts_with("package:"))
        .collect();
    let reqs = requests(args);
    if args.str("deb").is_some() && !pkgs.is_empty() {
        let deb = args.str("deb").unwrap_or_default();
        let abs = if deb.starts_with('/') {
            quote(deb)
        } else {
            format!("\"$PWD\"/{}", quote(deb))
        };
        steps.push(format!("{apt} install -- {abs}"));
    } else if state == "absent" && !pkgs.is_empty() {
        let names: Vec<String> = pkgs
            .iter()
            .map(|c| quote(&c.field["package:".len()..]))
            .collect();
        let purge = if args.bool("purge") { " --purge" } else { "" };
        steps.push(format!("{apt} remove{purge} -- {}", names.join(" ")));
    } else if matches!(state, "present" | "latest")
        && (!pkgs.is_empty() || (updating && state == "latest"))
    {
        let mut names: Vec<String> = Vec::new();
        for r in &reqs {
            let listed = pkgs
                .iter()
                .any(|c| c.field == format!("package:{}", r.name));
            if listed || (updating && state == "latest") {
                names.push(quote(&r.arg()));
            }
        }
        let only = if args.bool("only_upgrade") {
            " --only-upgrade"
        } else {
            ""
        };
        steps.push(format!("{apt} install{only} -- {}", names.join(" ")));
    }
    if state == "build-dep" && has("build-dep:") {
        let names: Vec<String> = reqs.iter().map(|r| quote(&r.name)).collect();
        steps.push(format!("{apt} build-dep -- {}", names.join(" ")));
    }
    if state == "fixed" && has("fixed:") {
        steps.push(format!("{apt} -f install"));
    }
    if has("upgrade:") {
        if let Some(verb) = upgrade_verb(args.str("upgrade").unwrap_or("no")) {
            steps.push(format!("{apt} {verb}"));
        }
    }
    if has("autoremove:") {
        let purge = if args.bool("purge") { " --purge" } else { "" };
        steps.push(format!("{apt} autoremove{purge}"));
    }
    if args.bool("autoclean") {
        steps.push(format!("{apt} autoclean"));
    }
    if args.bool("clean") {
        steps.push(format!("{apt} clean"));
    }
    let mut script = format!("export {ENV}\n");
    let policy = args.int("policy_rc_d");
    if let Some(code) = policy {
        script.push_str(&format!(
            "prc=/usr/sbin/policy-rc.d; [ -e $prc ] && mv $prc $prc.rplay-saved; printf '#!/bin/sh\\nexit {code}\\n' > $prc; chmod 0755 $prc\n\
             trap 'rm -f $prc; [ -e $prc.rplay-saved ] && mv $prc.rplay-saved $prc' EXIT\n"
        ));
    }
    for st in &steps {
        script.push_str(&format!("{st} || exit $?\n"));
    }
    script.push_str("date +%s >&2; stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null\n");
    let out = ctx.host.run(Command::new(script)).await?;
    let stdout = out.stdout_str();
    let stderr = out.stderr_str();
    // The last stdout line is the cache time, printed after apt-get's own output.
    let (body, last) = match stdout.trim_end_matches('\n').rsplit_once('\n') {
        Some((b, l)) => (b.to_string(), l.to_string()),
        None => (String::new(), stdout.trim().to_string()),
    };
    let stderr_body: String = {
        let mut lines: Vec<&str> = stderr.lines().collect();
        if lines
            .last()
            .is_some_and(|l| l.trim().parse::<i64>().is_ok())
        {
            lines.pop();
        }
        lines.join("\n")
    };
    let mut values = Map::new();
    let probed_update = plan.values.get("cache_updated") == Some(&Value::Bool(true));
    values.insert(
        "cache_updated".into(),
        Value::Bool((updating && out.rc == 0) || probed_update),
    );
    let time = last
        .trim()
        .parse::<i64>()
        .ok()
        .or_else(|| plan.values.get("cache_update_time").and_then(Value::as_i64))
        .unwrap_or(0);
    values.insert("cache_update_time".into(), Value::from(time));
    values.insert("stdout".into(), Value::from(body.clone()));
    values.insert("stderr".into(), Value::from(stderr_body.clone()));
    values.insert(
        "stdout_lines".into(),
        Value::Array(body.lines().map(Value::from).collect()),
    );
    values.insert(
        "stderr_lines".into(),
        Value::Array(stderr_body.lines().map(Value::from).collect()),
    );
    if out.rc != 0 {
        values.insert("rc".into(), Value::from(out.rc));
        let mut o = Outcome::failed(format!(
            "'{}' failed: {}",
            steps.last().map(String::as_str).unwrap_or("apt-get"),
            stderr_body.trim()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::Section;
    use serde_json::json;

    fn args(v: Value) -> Args {
        SPEC.validate(v.as_object().unwrap()).unwrap()
    }

    fn sections(items: &[(&str, &str)]) -> Sections {
        let mut m = indexmap::IndexMap::new();
        for (k, v) in items {
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

    const POLICY: &str = "hello:\n  Installed: (none)\n  Candidate: 2.10-3\n  Version table:\n     2.10-3 500\n        500 file:/srv/repo ./ Packages\n\
tree:\n  Installed: 2.0.0-1\n  Candidate: 2.1.0-1\n  Version table:\n     2.1.0-1 500\n        500 file:/srv/repo ./ Packages\n *** 2.0.0-1 100\n        100 /var/lib/dpkg/status\n";

    #[test]
    fn parses_policy_and_dpkg() {
        let mut info = indexmap::IndexMap::new();
        parse_dpkg(
            "tree\t2.0.0-1\tii \nhello\t\tun \nold\t1.0\trc \n",
            &mut info,
        );
        parse_policy(POLICY, &mut info);
        assert_eq!(info["hello"].installed, None);
        assert_eq!(info["hello"].candidate.as_deref(), Some("2.10-3"));
        assert_eq!(info["tree"].installed.as_deref(), Some("2.0.0-1"));
        assert_eq!(info["tree"].versions, vec!["2.1.0-1", "2.0.0-1"]);
        assert!(info["old"].config_files);
    }

    #[test]
    fn plans_present_latest_absent() {
        let s = sections(&[
            ("tools", "apt-get\n"),
            ("cache", "1000\n900\n"),
            ("dpkg", "tree\t2.0.0-1\tii \n"),
            ("policy", POLICY),
        ]);
        let a = args(json!({"name": ["hello", "tree"]}));
        let p = plan_from(&a, &requests(&a), &s, "h1").unwrap();
        assert_eq!(p.changes.len(), 1);
        assert_eq!(p.changes[0].field, "package:hello");
        let a = args(json!({"name": "hello,tree", "state": "latest"}));
        let p = plan_from(&a, &requests(&a), &s, "h1").unwrap();
        assert_eq!(p.changes.len(), 2);
        assert_eq!(p.changes[1].after, json!("2.1.0-1"));
        let a = args(json!({"pkg": "tree", "state": "absent"}));
        let p = plan_from(&a, &requests(&a), &s, "h1").unwrap();
        assert_eq!(p.changes[0].field, "package:tree");
        let a = args(json!({"name": "tree=2.0*"}));
        let p = plan_from(&a, &requests(&a), &s, "h1").unwrap();
        assert!(p.changes.is_empty());
        let a = args(json!({"name": "nosuch"}));
        let p = plan_from(&a, &requests(&a), &s, "h1").unwrap();
        assert!(p.msg.unwrap().contains("No package matching 'nosuch'"));
    }

    #[test]
    fn cache_validity() {
        let s = sections(&[("tools", "apt-get\n"), ("cache", "10000\n9000\n")]);
        let a = args(json!({"update_cache": true, "cache_valid_time": 3600}));
        assert!(plan_from(&a, &[], &s, "h").unwrap().changes.is_empty());
        let a = args(json!({"update_cache": true, "cache_valid_time": 600}));
        assert_eq!(
            plan_from(&a, &[], &s, "h").unwrap().changes[0].field,
            "cache"
        );
        let a = args(json!({"update_cache": "yes"}));
        assert_eq!(plan_from(&a, &[], &s, "h").unwrap().changes.len(), 1);
        // With packages, the update is a side step done in the probe: never a change by itself.
        let mut with_update = s.clone();
        with_update.0.insert(
            "update".into(),
            Section {
                out: b"updated\n".to_vec(),
                rc: 0,
            },
        );
        with_update.0.insert(
            "dpkg".into(),
            Section {
                out: b"tree\t2.1.0-1\tii \n".to_vec(),
                rc: 0,
            },
        );
        with_update.0.insert(
            "policy".into(),
            Section {
                out: POLICY.as_bytes().to_vec(),
                rc: 0,
            },
        );
        let a = args(json!({"name": "tree", "update_cache": true}));
        let p = plan_from(&a, &requests(&a), &with_update, "h").unwrap();
        assert!(p.changes.is_empty(), "{:?}", p.changes);
        assert_eq!(p.values["cache_updated"], json!(true));
    }

    #[test]
    fn globs_and_simulation() {
        assert!(glob_match("1.2*", "1.2.3-1"));
        assert!(!glob_match("1.3*", "1.2.3-1"));
        assert_eq!(
            simulated(
                "Inst a [1] (2 x)\nConf a\nRemv b [3]\nInst c (1)\n",
                "Inst "
            ),
            vec!["a", "c"]
        );
    }
}
