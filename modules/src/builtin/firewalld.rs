//! `ansible.posix.firewalld`: firewalld zones' services, ports, sources, interfaces, rich rules,
//! ICMP blocks, masquerade, forward and target, in the runtime and/or permanent configuration.
//!
//! Fast path (measured on the lab: `busctl` calls take ~4 ms, a `firewall-cmd` process ~480 ms):
//! when firewalld runs, the probe reads the default zone, the runtime zone settings and the
//! permanent zone settings with three `busctl --json=short` D-Bus calls in one script, and apply
//! uses the same D-Bus methods. When firewalld is stopped, the module works offline with
//! `firewall-offline-cmd` (permanent configuration only), as Ansible's `offline` mode does; hosts
//! without busctl fall back to `firewall-cmd --list-all`.

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript, Sections};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Module, ModuleError, Outcome, Plan, Value};

/// The `firewalld` module.
pub struct FirewalldModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "firewalld",
    fqcn: &["ansible.posix.firewalld", "community.general.firewalld"],
    synopsis: "Manage arbitrary ports/services with firewalld.",
    description: "Adds or removes services, ports, sources, interfaces, rich rules, ICMP blocks, \
        masquerade and forwarding in a firewalld zone, in the runtime configuration, the permanent \
        one (`permanent: true`) or both (`permanent: true, immediate: true`).",
    args: &[
        ArgSpec::new("service", ArgKind::Str, "A firewalld service name."),
        ArgSpec::new("protocol", ArgKind::Str, "A protocol name (`icmp`, `gre`...)."),
        ArgSpec::new("port", ArgKind::Str, "`PORT/PROTOCOL` or `FROM-TO/PROTOCOL`."),
        ArgSpec::new("port_forward", ArgKind::List, "Port forwards: dicts of port, proto, toport, toaddr.").elements(ArgKind::Dict),
        ArgSpec::new("rich_rule", ArgKind::Str, "A rich rule."),
        ArgSpec::new("source", ArgKind::Str, "A source address or network."),
        ArgSpec::new("interface", ArgKind::Str, "A network interface."),
        ArgSpec::new("icmp_block", ArgKind::Str, "An ICMP type to block."),
        ArgSpec::new("icmp_block_inversion", ArgKind::Str, "Invert the ICMP blocks (with state)."),
        ArgSpec::new("masquerade", ArgKind::Str, "Masquerading (with state)."),
        ArgSpec::new("forward", ArgKind::Str, "Intra-zone forwarding (with state)."),
        ArgSpec::new("zone", ArgKind::Str, "The zone; the default zone when omitted."),
        ArgSpec::new("permanent", ArgKind::Bool, "Change the permanent configuration."),
        ArgSpec::new("immediate", ArgKind::Bool, "With permanent, also change the runtime configuration.").default("false"),
        ArgSpec::new("state", ArgKind::Str, "enabled/disabled for items; present/absent for zones and target.")
            .required()
            .choices(&["absent", "disabled", "enabled", "present"]),
        ArgSpec::new("timeout", ArgKind::Int, "Seconds a runtime change lasts (0: forever).").default("0"),
        ArgSpec::new("offline", ArgKind::Bool, "Work on the permanent configuration when firewalld is stopped."),
        ArgSpec::new("target", ArgKind::Str, "Zone target.").choices(&["default", "ACCEPT", "DROP", "%%REJECT%%", "REJECT"]),
    ],
    free_form: None,
    mutually_exclusive: &[&[
        "icmp_block", "icmp_block_inversion", "service", "protocol", "port", "port_forward",
        "rich_rule", "interface", "forward", "masquerade", "source", "target",
    ]],
    required_one_of: &[&[
        "service", "port", "source", "interface", "rich_rule", "masquerade", "icmp_block",
        "icmp_block_inversion", "zone", "target", "forward", "port_forward", "protocol",
    ]],
    controller_only: false,
    returns: &[ReturnSpec { name: "msg", returned: "always", doc: "What was done, e.g. `Permanent and Non-Permanent(immediate) operation, Changed service http to enabled`." }],
    examples: "- name: Open https\n  ansible.posix.firewalld:\n    service: https\n    permanent: true\n    immediate: true\n    state: enabled\n\n\
        - ansible.posix.firewalld:\n    port: 8080/tcp\n    zone: public\n    permanent: true\n    state: enabled\n",
};

/// One zone's configuration, as read from D-Bus or `--list-all`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ZoneState {
    pub services: Vec<String>,
    pub ports: Vec<String>,
    pub protocols: Vec<String>,
    pub sources: Vec<String>,
    pub interfaces: Vec<String>,
    pub rich_rules: Vec<String>,
    pub icmp_blocks: Vec<String>,
    pub forward_ports: Vec<String>,
    pub masquerade: bool,
    pub icmp_block_inversion: bool,
    pub forward: bool,
    pub target: String,
}

/// Parses `busctl --json=short` output of getZoneSettings2/getSettings2 (an `a{sv}`).
pub(crate) fn parse_dbus(text: &str) -> Result<ZoneState, String> {
    let v: Value = serde_json::from_str(text.trim())
        .map_err(|e| format!("unexpected answer from firewalld over D-Bus: {e}"))?;
    let d = v
        .get("data")
        .and_then(|d| d.get(0))
        .and_then(Value::as_object)
        .ok_or("unexpected answer from firewalld over D-Bus: no settings dict")?;
    let data = |k: &str| d.get(k).and_then(|x| x.get("data"));
    let strings = |k: &str| -> Vec<String> {
        data(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let tuples = |k: &str| -> Vec<Vec<String>> {
        data(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_array)
                    .map(|t| {
                        t.iter()
                            .map(|x| x.as_str().unwrap_or_default().to_string())
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let flag = |k: &str| data(k).and_then(Value::as_bool).unwrap_or(false);
    Ok(ZoneState {
        services: strings("services"),
        ports: tuples("ports").into_iter().map(|t| t.join("/")).collect(),
        protocols: strings("protocols"),
        sources: strings("sources"),
        interfaces: strings("interfaces"),
        rich_rules: strings("rules_str")
            .iter()
            .map(|r| normalize_rule(r))
            .collect(),
        icmp_blocks: strings("icmp_blocks"),
        forward_ports: tuples("forward_ports")
            .iter()
            .map(|t| forward_port_key(t))
            .collect(),
        masquerade: flag("masquerade"),
        icmp_block_inversion: flag("icmp_block_inversion"),
        forward: flag("forward"),
        target: data("target")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string(),
    })
}

/// Parses `firewall-cmd --list-all` / `firewall-offline-cmd --list-all` text.
pub(crate) fn parse_list_all(text: &str) -> ZoneState {
    let mut z = ZoneState {
        target: "default".into(),
        ..Default::default()
    };
    let mut last = String::new();
    for line in text.lines() {
        if let Some(cont) = line.strip_prefix('\t') {
            match last.as_str() {
                "rich rules" => z.rich_rules.push(normalize_rule(cont)),
                "forward-ports" => {
                    let mut t = vec![String::new(); 4];
                    for part in cont.trim().split(':') {
                        if let Some((k, v)) = part.split_once('=') {
                            let i = match k {
                                "port" => 0,
                                "proto" => 1,
                                "toport" => 2,
                                _ => 3,
                            };
                            t[i] = v.to_string();
                        }
                    }
                    z.forward_ports.push(forward_port_key(&t));
                }
                _ => {}
            }
            continue;
        }
        let Some((k, v)) = line.trim_start().split_once(':') else {
            continue;
        };
        if !line.starts_with("  ") {
            continue;
        }
        last = k.to_string();
        let words: Vec<String> = v.split_whitespace().map(str::to_string).collect();
        let yes = v.trim() == "yes";
        match k {
            "target" => z.target = v.trim().to_string(),
            "icmp-block-inversion" => z.icmp_block_inversion = yes,
            "interfaces" => z.interfaces = words,
            "sources" => z.sources = words,
            "services" => z.services = words,
            "ports" => z.ports = words,
            "protocols" => z.protocols = words,
            "forward" => z.forward = yes,
            "masquerade" => z.masquerade = yes,
            "icmp-blocks" => z.icmp_blocks = words,
            "rich rules" => {
                if !v.trim().is_empty() {
                    z.rich_rules.push(normalize_rule(v.trim()));
                }
            }
            _ => {}
        }
    }
    z
}

fn forward_port_key(t: &[String]) -> String {
    let g = |i: usize| t.get(i).cloned().unwrap_or_default();
    format!(
        "port={}:proto={}:toport={}:toaddr={}",
        g(0),
        g(1),
        g(2),
        g(3)
    )
}

/// A rich rule in firewalld's canonical spelling: every `key=value` value double-quoted.
pub(crate) fn normalize_rule(rule: &str) -> String {
    let words = shell_words::split(rule)
        .unwrap_or_else(|_| rule.split_whitespace().map(str::to_string).collect());
    words
        .iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => format!("{k}=\"{v}\""),
            None => w.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The item a task manages: kind (Ansible's word in messages), value, and how it is looked up.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    List { kind: &'static str, value: String },
    Flag { kind: &'static str },
    Target(String),
    Zone,
}

fn item(args: &Args) -> Result<Item, ModuleError> {
    for kind in [
        "service",
        "port",
        "protocol",
        "source",
        "interface",
        "rich_rule",
        "icmp_block",
    ] {
        if let Some(v) = args.str(kind) {
            return Ok(Item::List {
                kind,
                value: v.to_string(),
            });
        }
    }
    if let Some(list) = args.get("port_forward").and_then(Value::as_array) {
        let d = list
            .first()
            .and_then(Value::as_object)
            .ok_or_else(|| ModuleError::Args("port_forward needs a dict".into()))?;
        let g = |k: &str| {
            d.get(k)
                .map(crate::spec::value_to_string)
                .unwrap_or_default()
        };
        return Ok(Item::List {
            kind: "port_forward",
            value: forward_port_key(&[g("port"), g("proto"), g("toport"), g("toaddr")]),
        });
    }
    for kind in ["masquerade", "icmp_block_inversion", "forward"] {
        if args.get(kind).is_some() {
            return Ok(Item::Flag { kind });
        }
    }
    if let Some(t) = args.str("target") {
        return Ok(Item::Target(t.to_string()));
    }
    Ok(Item::Zone)
}

impl ZoneState {
    fn list(&self, kind: &str) -> &[String] {
        match kind {
            "service" => &self.services,
            "port" => &self.ports,
            "protocol" => &self.protocols,
            "source" => &self.sources,
            "interface" => &self.interfaces,
            "rich_rule" => &self.rich_rules,
            "icmp_block" => &self.icmp_blocks,
            _ => &self.forward_ports,
        }
    }
    fn flag(&self, kind: &str) -> bool {
        match kind {
            "masquerade" => self.masquerade,
            "icmp_block_inversion" => self.icmp_block_inversion,
            _ => self.forward,
        }
    }
    /// Whether `item` is in this configuration.
    fn has(&self, item: &Item) -> bool {
        match item {
            Item::List { kind, value } => {
                let v = if *kind == "rich_rule" {
                    normalize_rule(value)
                } else {
                    value.clone()
                };
                self.list(kind).contains(&v)
            }
            Item::Flag { kind } => self.flag(kind),
            Item::Target(t) => &self.target == t,
            Item::Zone => true,
        }
    }
}

/// Which configurations a task changes: (runtime, permanent).
fn scopes(args: &Args, offline: bool) -> (bool, bool) {
    let permanent = args.bool("permanent");
    if offline {
        return (false, true);
    }
    match (permanent, args.bool("immediate")) {
        (false, _) => (true, false),
        (true, imm) => (imm, true),
    }
}

fn op_words(runtime: bool, permanent: bool) -> &'static str {
    match (runtime, permanent) {
        (true, true) => "Permanent and Non-Permanent(immediate) operation",
        (false, true) => "Permanent operation",
        _ => "Non-permanent operation",
    }
}

fn probe() -> ProbeScript {
    let mut p = ProbeScript::new();
    p.prelude(
        "export LANG=C LC_ALL=C\nB='busctl --json=short call org.fedoraproject.FirewallD1'\nO=/org/fedoraproject/FirewallD1",
    );
    p.section(
        "mode",
        "if command -v busctl >/dev/null 2>&1 && $B $O org.fedoraproject.FirewallD1 getDefaultZone >/dev/null 2>&1; then echo dbus; \
         elif command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then echo cmd; \
         elif command -v firewall-offline-cmd >/dev/null 2>&1; then echo offline; else echo missing; fi",
    );
    p
}

fn plan_from(args: &Args, s: &Sections, host: &str) -> Result<Plan, ModuleError> {
    let mode = s
        .get("mode")
        .map_err(ModuleError::Protocol)?
        .text()
        .trim()
        .to_string();
    if mode == "missing" {
        return Err(ModuleError::Protocol(format!(
            "firewalld is not installed on {host}"
        )));
    }
    let offline = mode == "offline";
    let zone = s.get("default").map_err(ModuleError::Protocol)?.text();
    let zone = args
        .str("zone")
        .map(str::to_string)
        .unwrap_or_else(|| default_zone(&zone, &mode));
    let item = item(args)?;
    let state = args.str("state").unwrap_or("enabled");
    let (runtime, permanent) = scopes(args, offline);
    let mut plan = Plan::default();
    plan.values.insert("zone".into(), Value::from(zone.clone()));
    plan.values
        .insert("fw_mode".into(), Value::from(mode.clone()));
    let read = |name: &str| -> Result<Option<ZoneState>, ModuleError> {
        let sec = s.get(name).map_err(ModuleError::Protocol)?;
        if sec.rc != 0 || sec.out.is_empty() {
            return Ok(None);
        }
        let text = sec.text();
        Ok(Some(if mode == "dbus" {
            parse_dbus(&text).map_err(ModuleError::Protocol)?
        } else {
            parse_list_all(&text)
        }))
    };
    let perm = read("permanent")?;
    let run = if runtime { read("runtime")? } else { None };
    if item == Item::Zone {
        if !matches!(state, "present" | "absent") {
            return Err(ModuleError::Args(
                "zone only works with state present or absent".into(),
            ));
        }
        if !permanent {
            return Err(ModuleError::Args(
                "zone operations must be permanent; make sure permanent=True".into(),
            ));
        }
        let exists = perm.is_some();
        let want = state == "present";
        if exists != want {
            plan.changes
                .push(Change::new(format!("zone:{zone}"), exists, want));
        }
        plan.msg = Some(op_words(runtime, permanent).into());
        return Ok(plan);
    }
    if matches!(item, Item::Target(_)) && !matches!(state, "present" | "absent") {
        return Err(ModuleError::Args(
            "target only works with state present or absent".into(),
        ));
    }
    if !matches!(item, Item::Target(_)) && !matches!(state, "enabled" | "disabled") {
        return Err(ModuleError::Args(format!(
            "{state} is not a valid state for this item: use enabled or disabled"
        )));
    }
    if matches!(item, Item::Target(_)) && !permanent {
        return Err(ModuleError::Args(
            "target operations must be permanent".into(),
        ));
    }
    let want = matches!(state, "enabled" | "present");
    let (kind, shown) = match &item {
        Item::List { kind, value } => (kind.to_string(), value.clone()),
        Item::Flag { kind } => (kind.to_string(), String::new()),
        Item::Target(t) => ("target".to_string(), t.clone()),
        Item::Zone => ("zone".into(), String::new()),
    };
    let check = |cfg: Option<&ZoneState>, label: &str| -> Result<Option<Change>, ModuleError> {
        let cfg = cfg.ok_or_else(|| {
            ModuleError::Protocol(format!(
                "ERROR: Exception caught: INVALID_ZONE: {zone} ({label})"
            ))
        })?;
        let present = match &item {
            Item::Target(t) => {
                let now = cfg.target.clone();
                let want_t = if want {
                    t.clone()
                } else {
                    "default".to_string()
                };
                if now == want_t {
                    return Ok(None);
                }
                return Ok(Some(Change::new(format!("{label}:target"), now, want_t)));
            }
            other => cfg.has(other),
        };
        Ok((present != want).then(|| Change::new(format!("{label}:{kind}"), present, want)))
    };
    if permanent {
        if let Some(c) = check(perm.as_ref(), "permanent")? {
            plan.changes.push(c);
        }
    }
    if runtime {
        if let Some(c) = check(run.as_ref(), "runtime")? {
            plan.changes.push(c);
        }
    }
    let ops = op_words(runtime, permanent);
    let what = if shown.is_empty() {
        kind.clone()
    } else {
        format!("{kind} {shown}")
    };
    let word = if matches!(item, Item::Target(_)) {
        state
    } else if want {
        "enabled"
    } else {
        "disabled"
    };
    plan.values.insert(
        "rplay_fw_msg".into(),
        Value::from(format!("{ops}, Changed {what} to {word}")),
    );
    plan.msg = Some(ops.to_string());
    Ok(plan)
}

fn default_zone(text: &str, mode: &str) -> String {
    if mode == "dbus" {
        serde_json::from_str::<Value>(text.trim())
            .ok()
            .and_then(|v| {
                v.get("data")
                    .and_then(|d| d.get(0))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "public".into())
    } else {
        let t = text.trim();
        if t.is_empty() {
            "public".into()
        } else {
            t.to_string()
        }
    }
}

fn full_probe(zone: Option<&str>) -> ProbeScript {
    let mut p = probe();
    let zone_expr = match zone {
        Some(z) => quote(z),
        None => "\"$DZ\"".into(),
    };
    p.section(
        "default",
        "m=$(if command -v busctl >/dev/null 2>&1 && $B $O org.fedoraproject.FirewallD1 getDefaultZone >/dev/null 2>&1; then echo dbus; elif command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then echo cmd; else echo offline; fi)\n\
         case $m in dbus) $B $O org.fedoraproject.FirewallD1 getDefaultZone;; cmd) firewall-cmd --get-default-zone;; *) firewall-offline-cmd --get-default-zone 2>/dev/null;; esac",
    );
    let zone_line = format!(
        "DZ=$(case $m in dbus) $B $O org.fedoraproject.FirewallD1 getDefaultZone | sed 's/.*\\[\"//;s/\".*//';; cmd) firewall-cmd --get-default-zone;; *) firewall-offline-cmd --get-default-zone 2>/dev/null;; esac); Z={zone_expr}"
    );
    p.section(
        "runtime",
        &format!("{zone_line}\ncase $m in dbus) $B $O org.fedoraproject.FirewallD1.zone getZoneSettings2 s \"$Z\" 2>/dev/null;; cmd) firewall-cmd --zone=\"$Z\" --list-all 2>/dev/null;; esac"),
    );
    p.section(
        "permanent",
        &format!("{zone_line}\ncase $m in dbus) P=$($B $O/config org.fedoraproject.FirewallD1.config getZoneByName s \"$Z\" 2>/dev/null | sed 's/.*\\[\"//;s/\".*//') && [ -n \"$P\" ] && $B \"$P\" org.fedoraproject.FirewallD1.config.zone getSettings2;; cmd) firewall-cmd --permanent --zone=\"$Z\" --list-all 2>/dev/null;; *) firewall-offline-cmd --zone=\"$Z\" --list-all 2>/dev/null;; esac"),
    );
    p
}

/// D-Bus method and arguments for adding/removing `item` (runtime or permanent).
fn dbus_call(item: &Item, add: bool, permanent: bool, zone: &str, timeout: i64) -> Option<String> {
    let z = quote(zone);
    let verb = if add { "add" } else { "remove" };
    let (method, sig, values): (&str, String, Vec<String>) = match item {
        Item::List { kind, value } => {
            let (m, vals): (&str, Vec<String>) = match *kind {
                "service" => ("Service", vec![value.clone()]),
                "port" => {
                    let (p, proto) = value.split_once('/').unwrap_or((value, "tcp"));
                    ("Port", vec![p.to_string(), proto.to_string()])
                }
                "protocol" => ("Protocol", vec![value.clone()]),
                "source" => ("Source", vec![value.clone()]),
                "interface" => ("Interface", vec![value.clone()]),
                "rich_rule" => ("RichRule", vec![value.clone()]),
                "icmp_block" => ("IcmpBlock", vec![value.clone()]),
                _ => {
                    let mut t = vec![String::new(); 4];
                    for part in value.split(':') {
                        if let Some((k, v)) = part.split_once('=') {
                            let i = match k {
                                "port" => 0,
                                "proto" => 1,
                                "toport" => 2,
                                _ => 3,
                            };
                            t[i] = v.to_string();
                        }
                    }
                    ("ForwardPort", t)
                }
            };
            (m, "s".repeat(vals.len()), vals)
        }
        Item::Flag { kind } => {
            let m = match *kind {
                "masquerade" => "Masquerade",
                "icmp_block_inversion" => "IcmpBlockInversion",
                _ => "Forward",
            };
            (m, String::new(), vec![])
        }
        Item::Target(_) | Item::Zone => return None,
    };
    let args: Vec<String> = values.iter().map(|v| quote(v)).collect();
    let takes_timeout = add
        && !permanent
        && matches!(
            method,
            "Service"
                | "Port"
                | "Protocol"
                | "RichRule"
                | "IcmpBlock"
                | "ForwardPort"
                | "Masquerade"
        );
    if permanent {
        Some(format!(
            "$B \"$P\" org.fedoraproject.FirewallD1.config.zone {verb}{method} {} {}",
            sig,
            args.join(" ")
        ))
    } else {
        let (sig, tail) = if takes_timeout {
            (format!("s{sig}i"), format!(" {timeout}"))
        } else {
            (format!("s{sig}"), String::new())
        };
        let method = match (method, add) {
            ("Interface", true) => "changeZoneOfInterface".to_string(),
            ("Source", true) => "changeZoneOfSource".to_string(),
            _ => format!("{verb}{method}"),
        };
        Some(format!(
            "$B $O org.fedoraproject.FirewallD1.zone {method} {sig} {z} {}{tail}",
            args.join(" ")
        ))
    }
}

/// `firewall-cmd`/`firewall-offline-cmd` options for adding/removing `item`.
fn cmd_option(item: &Item, add: bool) -> Option<String> {
    let verb = if add { "add" } else { "remove" };
    Some(match item {
        Item::List { kind, value } => {
            let opt = kind.replace('_', "-");
            let value = if *kind == "port_forward" {
                value
                    .split(':')
                    .filter(|p| !p.ends_with('='))
                    .collect::<Vec<_>>()
                    .join(":")
            } else {
                value.clone()
            };
            format!("--{verb}-{opt}={}", quote(&value))
        }
        Item::Flag { kind } => format!("--{verb}-{}", kind.replace('_', "-")),
        Item::Target(t) => format!("--set-target={}", quote(if add { t } else { "default" })),
        Item::Zone => return None,
    })
}

#[async_trait]
impl Module for FirewalldModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let p = full_probe(args.str("zone"));
        let out = ctx.host.run(Command::new(p.script())).await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let mut plan = plan_from(args, &s, ctx.host.name())?;
        let fw_msg = plan.values.remove("rplay_fw_msg");
        let mode = plan.values.remove("fw_mode");
        if plan.changes.is_empty() {
            plan.values.remove("zone");
        } else {
            if let Some(m) = fw_msg {
                plan.values.insert("msg".into(), m);
            }
            if let Some(m) = mode {
                plan.values.insert("rplay_fw_mode".into(), m);
            }
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        mut plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let mode = plan
            .values
            .remove("rplay_fw_mode")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let zone = plan
            .values
            .remove("zone")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "public".into());
        let item = item(args)?;
        let timeout = args.int("timeout").unwrap_or(0);
        let mut script = String::from(
            "export LANG=C LC_ALL=C\nB='busctl --json=short call org.fedoraproject.FirewallD1'\nO=/org/fedoraproject/FirewallD1\n",
        );
        if mode == "dbus" {
            script.push_str(&format!(
                "P=$($B $O/config org.fedoraproject.FirewallD1.config getZoneByName s {} 2>/dev/null | sed 's/.*\\[\"//;s/\".*//')\n",
                quote(&zone)
            ));
        }
        for c in &plan.changes {
            let add = c.after == Value::Bool(true) || c.field.ends_with(":target");
            let permanent = c.field.starts_with("permanent:");
            let line = if let Some(z) = c.field.strip_prefix("zone:") {
                let tool = if mode == "offline" {
                    "firewall-offline-cmd"
                } else {
                    "firewall-cmd --permanent"
                };
                let op = if c.after == Value::Bool(true) {
                    "--new-zone"
                } else {
                    "--delete-zone"
                };
                format!("{tool} {op}={}", quote(z))
            } else if let Item::Target(t) = &item {
                let t = c.after.as_str().unwrap_or(t);
                match mode.as_str() {
                    "offline" => format!(
                        "firewall-offline-cmd --zone={} --set-target={}",
                        quote(&zone),
                        quote(t)
                    ),
                    _ => format!(
                        "firewall-cmd -q --permanent --zone={} --set-target={}",
                        quote(&zone),
                        quote(t)
                    ),
                }
            } else if mode == "dbus" {
                match dbus_call(&item, add, permanent, &zone, timeout) {
                    Some(l) => format!("{l} >/dev/null"),
                    None => continue,
                }
            } else {
                let Some(opt) = cmd_option(&item, add) else {
                    continue;
                };
                match (mode.as_str(), permanent) {
                    ("offline", _) => format!("firewall-offline-cmd --zone={} {opt}", quote(&zone)),
                    (_, true) => {
                        format!("firewall-cmd -q --permanent --zone={} {opt}", quote(&zone))
                    }
                    _ => {
                        let t = if add && timeout > 0 {
                            format!(" --timeout={timeout}")
                        } else {
                            String::new()
                        };
                        format!("firewall-cmd -q --zone={} {opt}{t}", quote(&zone))
                    }
                }
            };
            script.push_str(&format!("{line} || exit $?\n"));
        }
        let out = ctx.host.run(Command::new(script)).await?;
        if out.rc != 0 {
            let err = format!("{}{}", out.stdout_str().trim(), out.stderr_str().trim());
            return Ok(Outcome::failed(format!(
                "ERROR: Exception caught: {}",
                err.trim_start_matches("Call failed: ")
            )));
        }
        let msg = plan
            .values
            .remove("msg")
            .and_then(|v| v.as_str().map(str::to_string));
        Ok(Outcome {
            changed: true,
            msg,
            values: plan.values,
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

    const RUNTIME: &str = r#"{"type":"a{sv}","data":[{"target":{"type":"s","data":"default"},"services":{"type":"as","data":["ssh","dhcpv6-client"]},"masquerade":{"type":"b","data":true},"interfaces":{"type":"as","data":["lo"]},"sources":{"type":"as","data":["127.0.0.9"]},"icmp_blocks":{"type":"as","data":["echo-request"]},"rules_str":{"type":"as","data":["rule family=\"ipv4\" source address=\"127.0.0.5\" accept"]}}]}"#;
    const PERMANENT: &str = r#"{"type":"a{sv}","data":[{"target":{"type":"s","data":"default"},"services":{"type":"as","data":["ssh"]},"ports":{"type":"a(ss)","data":[["9090","udp"]]},"masquerade":{"type":"b","data":false}}]}"#;

    fn sections(mode: &str, runtime: &str, permanent: &str) -> Sections {
        let mut m = indexmap::IndexMap::new();
        m.insert(
            "mode".to_string(),
            Section {
                out: format!("{mode}\n").into_bytes(),
                rc: 0,
            },
        );
        m.insert(
            "default".to_string(),
            Section {
                out: br#"{"type":"s","data":["public"]}"#.to_vec(),
                rc: 0,
            },
        );
        m.insert(
            "runtime".to_string(),
            Section {
                out: runtime.as_bytes().to_vec(),
                rc: 0,
            },
        );
        m.insert(
            "permanent".to_string(),
            Section {
                out: permanent.as_bytes().to_vec(),
                rc: 0,
            },
        );
        Sections(m)
    }

    fn args(v: Value) -> Args {
        SPEC.validate(v.as_object().unwrap()).unwrap()
    }

    #[test]
    fn parses_dbus_settings() {
        let z = parse_dbus(RUNTIME).unwrap();
        assert_eq!(z.services, vec!["ssh", "dhcpv6-client"]);
        assert!(z.masquerade);
        assert_eq!(
            z.rich_rules,
            vec!["rule family=\"ipv4\" source address=\"127.0.0.5\" accept"]
        );
        assert_eq!(parse_dbus(PERMANENT).unwrap().ports, vec!["9090/udp"]);
    }

    #[test]
    fn parses_list_all() {
        let z = parse_list_all("public (active)\n  target: default\n  icmp-block-inversion: no\n  interfaces: lo\n  sources: \n  services: dhcpv6-client ssh\n  ports: 8080/tcp\n  protocols: \n  forward: yes\n  masquerade: no\n  forward-ports: \n\tport=22:proto=tcp:toport=2222:toaddr=\n  source-ports: \n  icmp-blocks: \n  rich rules: \n\trule family=\"ipv4\" source address=\"127.0.0.5\" accept\n");
        assert_eq!(z.ports, vec!["8080/tcp"]);
        assert!(z.forward && !z.masquerade);
        assert_eq!(
            z.forward_ports,
            vec!["port=22:proto=tcp:toport=2222:toaddr="]
        );
        assert_eq!(z.rich_rules.len(), 1);
    }

    #[test]
    fn plans_per_scope_with_ansible_messages() {
        let s = sections("dbus", RUNTIME, PERMANENT);
        let p = plan_from(&args(json!({"service": "http", "permanent": true, "immediate": true, "state": "enabled"})), &s, "h").unwrap();
        assert_eq!(
            p.changes
                .iter()
                .map(|c| c.field.as_str())
                .collect::<Vec<_>>(),
            vec!["permanent:service", "runtime:service"]
        );
        assert_eq!(
            p.values["rplay_fw_msg"],
            "Permanent and Non-Permanent(immediate) operation, Changed service http to enabled"
        );
        let p = plan_from(
            &args(json!({"port": "9090/udp", "permanent": true, "state": "enabled"})),
            &s,
            "h",
        )
        .unwrap();
        assert!(p.changes.is_empty());
        assert_eq!(p.msg.as_deref(), Some("Permanent operation"));
        let p = plan_from(&args(json!({"rich_rule": "rule family=ipv4 source address=127.0.0.5 accept", "state": "enabled"})), &s, "h").unwrap();
        assert!(p.changes.is_empty(), "{:?}", p.changes);
        let p = plan_from(
            &args(json!({"masquerade": "yes", "state": "disabled"})),
            &s,
            "h",
        )
        .unwrap();
        assert_eq!(p.changes[0].field, "runtime:masquerade");
        let s = sections(
            "offline",
            "",
            "public\n  target: default\n  services: ssh\n",
        );
        let p = plan_from(&args(json!({"service": "ssh", "permanent": true, "immediate": true, "state": "disabled"})), &s, "h").unwrap();
        assert_eq!(
            p.changes
                .iter()
                .map(|c| c.field.as_str())
                .collect::<Vec<_>>(),
            vec!["permanent:service"]
        );
    }

    #[test]
    fn dbus_calls_have_the_right_signatures() {
        let it = Item::List {
            kind: "port",
            value: "8080/tcp".into(),
        };
        assert_eq!(
            dbus_call(&it, true, false, "public", 0).unwrap(),
            "$B $O org.fedoraproject.FirewallD1.zone addPort sssi public 8080 tcp 0"
        );
        assert_eq!(
            dbus_call(&it, false, true, "public", 0).unwrap(),
            "$B \"$P\" org.fedoraproject.FirewallD1.config.zone removePort ss 8080 tcp"
        );
        let m = Item::Flag { kind: "masquerade" };
        assert_eq!(
            dbus_call(&m, true, false, "public", 0).unwrap(),
            "$B $O org.fedoraproject.FirewallD1.zone addMasquerade si public  0"
        );
    }
}
