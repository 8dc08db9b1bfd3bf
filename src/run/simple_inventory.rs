//! A small built-in inventory (comma-separated host lists and plain INI files with groups,
//! `:vars`, `:children` and numeric ranges), used by the runner until the full inventory area
//! plugs in through [`InventoryView`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Value};

use super::inventory_view::InventoryView;

#[derive(Debug, Default, Clone)]
struct Data {
    hosts: Vec<String>,
    host_vars: BTreeMap<String, Map<String, Value>>,
    groups: Vec<String>,
    members: BTreeMap<String, Vec<String>>,
    children: BTreeMap<String, Vec<String>>,
    group_vars: BTreeMap<String, Map<String, Value>>,
    sources: BTreeMap<String, PathBuf>,
}

/// The built-in inventory.
#[derive(Debug, Default)]
pub struct SimpleInventory {
    data: Mutex<Data>,
    limit: Option<String>,
}

fn ini_value(s: &str) -> Value {
    let s = s.trim();
    if (s.starts_with('"') && s.ends_with('"') && s.len() >= 2)
        || (s.starts_with('\'') && s.ends_with('\'') && s.len() >= 2)
    {
        return Value::String(s[1..s.len() - 1].to_string());
    }
    if let Ok(i) = s.parse::<i64>() {
        return Value::from(i);
    }
    match s {
        "True" => Value::Bool(true),
        "False" => Value::Bool(false),
        "None" => Value::Null,
        _ => Value::String(s.to_string()),
    }
}

fn expand_range(name: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (name.find('['), name.find(']')) else {
        return vec![name.to_string()];
    };
    let inner = &name[open + 1..close];
    let Some((a, b)) = inner.split_once(':') else {
        return vec![name.to_string()];
    };
    let width = if a.starts_with('0') { a.len() } else { 0 };
    let (Ok(x), Ok(y)) = (
        a.parse::<i64>(),
        b.split(':').next().unwrap_or("").parse::<i64>(),
    ) else {
        return vec![name.to_string()];
    };
    (x..=y)
        .flat_map(|i| {
            let mid = format!("{i:0width$}");
            expand_range(&format!("{}{}{}", &name[..open], mid, &name[close + 1..]))
        })
        .collect()
}

impl SimpleInventory {
    /// Loads `-i` sources; `limit` restricts every selection.
    pub fn load(sources: &[String], limit: Option<String>) -> Result<Self, String> {
        let mut d = Data::default();
        for src in sources {
            let p = Path::new(src);
            if p.is_file() {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("Unable to read {}: {e}", p.display()))?;
                let yaml = p
                    .extension()
                    .is_some_and(|e| e == "yml" || e == "yaml" || e == "json");
                if yaml {
                    let node = crate::playbook::yaml_source::parse_yaml(&text, p)
                        .map_err(|e| e.to_string())?;
                    if let Value::Object(root) = node.to_value() {
                        for (g, body) in &root {
                            parse_yaml_group(&mut d, g, body, p);
                        }
                    }
                } else {
                    parse_ini(&text, p, &mut d);
                }
            } else if src.contains(',') {
                for h in src.split(',').map(str::trim).filter(|h| !h.is_empty()) {
                    add_host(&mut d, h, "ungrouped", Map::new(), None);
                }
            } else {
                return Err(format!("Unable to parse {src} as an inventory source"));
            }
        }
        Ok(SimpleInventory {
            data: Mutex::new(d),
            limit,
        })
    }

    fn data(&self) -> Data {
        self.data.lock().map(|d| d.clone()).unwrap_or_default()
    }

    fn group_hosts(d: &Data, group: &str, out: &mut Vec<String>) {
        if group == "all" {
            for h in &d.hosts {
                if !out.contains(h) {
                    out.push(h.clone());
                }
            }
            return;
        }
        for h in d.members.get(group).into_iter().flatten() {
            if !out.contains(h) {
                out.push(h.clone());
            }
        }
        for c in d.children.get(group).into_iter().flatten() {
            Self::group_hosts(d, c, out);
        }
    }

    fn select_one(d: &Data, pattern: &str) -> Vec<String> {
        let mut out = Vec::new();
        for part in pattern
            .split([',', ':'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (mode, name) = if let Some(n) = part.strip_prefix('!') {
                ('!', n)
            } else if let Some(n) = part.strip_prefix('&') {
                ('&', n)
            } else {
                ('+', part)
            };
            let mut matched = Vec::new();
            if name == "all" || name == "*" || d.groups.iter().any(|g| g == name) {
                Self::group_hosts(d, name, &mut matched);
            } else if name.contains('*') {
                let g = globset::Glob::new(name).map(|g| g.compile_matcher()).ok();
                if let Some(m) = g {
                    for h in &d.hosts {
                        if m.is_match(h) {
                            matched.push(h.clone());
                        }
                    }
                    for gname in &d.groups {
                        if m.is_match(gname) {
                            Self::group_hosts(d, gname, &mut matched);
                        }
                    }
                }
            } else if d.hosts.iter().any(|h| h == name) || name == "localhost" {
                matched.push(name.to_string());
            }
            match mode {
                '!' => out.retain(|h| !matched.contains(h)),
                '&' => out.retain(|h| matched.contains(h)),
                _ => {
                    for h in matched {
                        if !out.contains(&h) {
                            out.push(h);
                        }
                    }
                }
            }
        }
        out
    }

    fn groups_of(d: &Data, host: &str) -> Vec<String> {
        let mut out = Vec::new();
        for g in &d.groups {
            if g == "all" {
                continue;
            }
            let mut hs = Vec::new();
            Self::group_hosts(d, g, &mut hs);
            if hs.iter().any(|h| h == host) {
                out.push(g.clone());
            }
        }
        out.sort();
        out
    }
}

fn add_host(d: &mut Data, host: &str, group: &str, vars: Map<String, Value>, src: Option<&Path>) {
    if !d.hosts.iter().any(|h| h == host) {
        d.hosts.push(host.to_string());
    }
    d.host_vars
        .entry(host.to_string())
        .or_default()
        .extend(vars);
    if let Some(s) = src {
        d.sources.insert(host.to_string(), s.to_path_buf());
    }
    if !d.groups.iter().any(|g| g == group) {
        d.groups.push(group.to_string());
    }
    let m = d.members.entry(group.to_string()).or_default();
    if !m.iter().any(|h| h == host) {
        m.push(host.to_string());
    }
}

fn parse_yaml_group(d: &mut Data, group: &str, body: &Value, path: &Path) {
    if !d.groups.iter().any(|g| g == group) {
        d.groups.push(group.to_string());
    }
    if let Some(Value::Object(hosts)) = body.get("hosts") {
        for (h, vars) in hosts {
            let vars = vars.as_object().cloned().unwrap_or_default();
            for name in expand_range(h) {
                add_host(d, &name, group, vars.clone(), Some(path));
            }
        }
    }
    if let Some(Value::Object(vars)) = body.get("vars") {
        d.group_vars
            .entry(group.to_string())
            .or_default()
            .extend(vars.clone());
    }
    if let Some(Value::Object(children)) = body.get("children") {
        for (c, cbody) in children {
            if group != "all" {
                d.children
                    .entry(group.to_string())
                    .or_default()
                    .push(c.clone());
            }
            parse_yaml_group(d, c, cbody, path);
        }
    }
}

fn parse_ini(text: &str, path: &Path, d: &mut Data) {
    let mut section = ("ungrouped".to_string(), "hosts".to_string());
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            let inner = &line[1..line.len() - 1];
            let (g, kind) = inner.split_once(':').unwrap_or((inner, "hosts"));
            section = (g.to_string(), kind.to_string());
            if !d.groups.iter().any(|x| x == g) {
                d.groups.push(g.to_string());
            }
            continue;
        }
        match section.1.as_str() {
            "vars" => {
                if let Some((k, v)) = line.split_once('=') {
                    d.group_vars
                        .entry(section.0.clone())
                        .or_default()
                        .insert(k.trim().to_string(), ini_value(v));
                }
            }
            "children" => {
                d.children
                    .entry(section.0.clone())
                    .or_default()
                    .push(line.to_string());
            }
            _ => {
                let tokens = shell_words::split(line).unwrap_or_default();
                let Some((name, rest)) = tokens.split_first() else {
                    continue;
                };
                let mut vars = Map::new();
                for t in rest {
                    if let Some((k, v)) = t.split_once('=') {
                        vars.insert(k.to_string(), ini_value(v));
                    }
                }
                for h in expand_range(name) {
                    add_host(d, &h, &section.0, vars.clone(), Some(path));
                }
            }
        }
    }
    // Hosts that ended up in a named group are not `ungrouped`.
    let grouped: Vec<String> = d
        .members
        .iter()
        .filter(|(g, _)| g.as_str() != "ungrouped")
        .flat_map(|(_, hs)| hs.clone())
        .collect();
    if let Some(u) = d.members.get_mut("ungrouped") {
        u.retain(|h| !grouped.contains(h));
    }
}

impl InventoryView for SimpleInventory {
    fn select(&self, pattern: &str) -> Result<Vec<String>, String> {
        let d = self.data();
        let mut hosts = Self::select_one(&d, pattern);
        if let Some(limit) = &self.limit {
            let allowed = Self::select_one(&d, limit);
            hosts.retain(|h| allowed.contains(h));
        }
        Ok(hosts)
    }

    fn groups(&self) -> Map<String, Value> {
        let d = self.data();
        let mut m = Map::new();
        m.insert("all".into(), serde_json::json!(d.hosts));
        for g in &d.groups {
            let mut hs = Vec::new();
            Self::group_hosts(&d, g, &mut hs);
            m.insert(g.clone(), serde_json::json!(hs));
        }
        m.entry("ungrouped").or_insert(serde_json::json!([]));
        m
    }

    fn group_names(&self, host: &str) -> Vec<String> {
        Self::groups_of(&self.data(), host)
    }

    fn host_vars(&self, host: &str) -> Map<String, Value> {
        let d = self.data();
        let mut m = d.group_vars.get("all").cloned().unwrap_or_default();
        for g in Self::groups_of(&d, host) {
            if let Some(v) = d.group_vars.get(&g) {
                m.extend(v.clone());
            }
        }
        if let Some(v) = d.host_vars.get(host) {
            m.extend(v.clone());
        }
        if host == "localhost" && !d.hosts.iter().any(|h| h == "localhost") {
            m.insert("ansible_connection".into(), Value::String("local".into()));
        }
        m
    }

    fn source_of(&self, host: &str) -> Option<PathBuf> {
        self.data().sources.get(host).cloned()
    }

    fn add_host(&self, host: &str, groups: &[String], vars: Map<String, Value>) {
        if let Ok(mut d) = self.data.lock() {
            add_host(&mut d, host, "ungrouped", vars, None);
            for g in groups {
                add_host(&mut d, host, g, Map::new(), None);
            }
        }
    }

    fn add_to_group(&self, host: &str, group: &str) {
        if let Ok(mut d) = self.data.lock() {
            add_host(&mut d, host, group, Map::new(), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_patterns() {
        assert_eq!(expand_range("w[1:3]"), vec!["w1", "w2", "w3"]);
        assert_eq!(expand_range("db[01:02]"), vec!["db01", "db02"]);
        let mut d = Data::default();
        parse_ini(
            "[web]\nw[1:2] a=1\n[db]\nd1\n[all:vars]\nx=True\n",
            Path::new("/i"),
            &mut d,
        );
        let inv = SimpleInventory {
            data: Mutex::new(d),
            limit: None,
        };
        assert_eq!(inv.select("all").unwrap(), vec!["w1", "w2", "d1"]);
        assert_eq!(inv.select("web:!w2").unwrap(), vec!["w1"]);
        assert_eq!(inv.host_vars("w1")["a"], 1);
        assert_eq!(inv.host_vars("d1")["x"], true);
        assert_eq!(inv.group_names("w1"), vec!["web"]);
    }
}
