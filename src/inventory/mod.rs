//! Inventory: hosts, groups and their variables, loaded from every source Ansible accepts and
//! queried the way Ansible queries it.
//!
//! - `sources`: `-i` values → host lists, directories, files (script, YAML, INI).
//! - `ini`, `yaml_source`, `script`: the three file formats; `range` (host ranges and ports),
//!   `literal` (INI value typing), `shlex` (INI host-line splitting) serve them.
//! - `data`: the group/host graph and Ansible's rules for it (implicit `all`/`ungrouped`,
//!   depth, order).
//! - `vars_dirs`: `group_vars/` and `host_vars/` beside inventories and playbooks.
//! - `pattern`: host patterns and `--limit`.
//!
//! [`Inventory`] is the API the engine and `rinventory` use.

mod data;
mod ini;
mod listing;
mod literal;
mod pattern;
mod range;
mod script;
mod shlex;
mod sources;
mod vars_dirs;
mod yaml_source;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use serde_json::{Map, Value};

pub use crate::pyjson::{pretty as python_json, python_repr, python_str};
pub use data::{Group, Host};
pub use listing::ListOptions;
pub use pattern::LOCALHOST_NAMES;
pub use vars_dirs::VaultDecrypt;

use crate::config::{HashBehaviour, PatternMismatch, Settings};
use crate::diag::Diagnostic;
use crate::vars::combine_into;
use data::InventoryData;
use sources::SourceKind;
use vars_dirs::{VarsDirs, VarsKind};

/// Variables Ansible's `ansible-inventory` leaves out of its output (internal and magic).
pub const INTERNAL_VARS: &[&str] = &[
    "ansible_async_path",
    "ansible_collection_name",
    "ansible_config_file",
    "ansible_dependent_role_names",
    "ansible_diff_mode",
    "ansible_facts",
    "ansible_forks",
    "ansible_inventory_sources",
    "ansible_limit",
    "ansible_play_batch",
    "ansible_play_hosts",
    "ansible_play_hosts_all",
    "ansible_play_role_names",
    "ansible_playbook_python",
    "ansible_role_name",
    "ansible_role_names",
    "ansible_run_tags",
    "ansible_skip_tags",
    "ansible_verbosity",
    "ansible_version",
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "groups",
    "group_names",
    "omit",
    "hostvars",
    "playbook_dir",
    "play_hosts",
    "role_names",
];

/// A loaded inventory.
#[derive(Debug)]
pub struct Inventory {
    data: InventoryData,
    /// The `-i` values, made absolute, with what they turned out to be.
    sources: Vec<(String, SourceKind)>,
    vars_dirs: VarsDirs,
    precedence: Vec<String>,
    hash_behaviour: HashBehaviour,
    mismatch: PatternMismatch,
    limit: Option<Vec<String>>,
    warnings: Mutex<Vec<Diagnostic>>,
    /// `inventory_dir` per source file, computed once.
    source_dirs: Mutex<std::collections::HashMap<String, Option<String>>>,
}

impl Inventory {
    /// Loads every source (the `-i` values; empty means the settings' `inventory` list).
    pub fn load(sources: &[String], settings: &Settings) -> Result<Inventory, Diagnostic> {
        Inventory::load_with_vault(sources, settings, None)
    }

    /// Like [`Inventory::load`], with a way to decrypt vault-encrypted vars files.
    pub fn load_with_vault(
        sources: &[String],
        settings: &Settings,
        vault: Option<Arc<VaultDecrypt>>,
    ) -> Result<Inventory, Diagnostic> {
        let given: &[String] = if sources.is_empty() {
            &settings.inventory
        } else {
            sources
        };
        let mut data = InventoryData::new(settings.hash_behaviour);
        let mut warnings = Vec::new();
        let mut classified = Vec::new();
        let mut parsed_any = false;
        for source in given {
            let (source, kind) = sources::classify(source);
            parsed_any |= sources::load(&source, &kind, settings, &mut data, &mut warnings)?;
            classified.push((source, kind));
        }
        if !parsed_any {
            if settings.inventory_unparsed_is_failed {
                return Err(Diagnostic::error(
                    "No inventory was parsed (unparsed_is_failed is set)",
                ));
            }
            warnings.push(
                Diagnostic::error("No inventory was parsed, only implicit localhost is available")
                    .into_warning(),
            );
        }
        data.current_source = None;
        data.reconcile();
        let inventory = Inventory {
            data,
            sources: classified,
            vars_dirs: VarsDirs::with_vault(vault),
            precedence: settings.precedence.clone(),
            hash_behaviour: settings.hash_behaviour,
            mismatch: settings.host_pattern_mismatch,
            limit: None,
            warnings: Mutex::new(warnings),
            source_dirs: Mutex::new(std::collections::HashMap::new()),
        };
        inventory.preload_vars()?;
        Ok(inventory)
    }

    /// Reads every group_vars/host_vars file beside the inventory sources now, so a broken
    /// vars file is reported before any host is contacted.
    fn preload_vars(&self) -> Result<(), Diagnostic> {
        for base in self.vars_bases() {
            for group in self.data.groups.keys() {
                self.vars_dirs
                    .vars_for(&base, VarsKind::Group, group, self.hash_behaviour)?;
            }
            for host in self.data.hosts.keys() {
                self.vars_dirs
                    .vars_for(&base, VarsKind::Host, host, self.hash_behaviour)?;
            }
        }
        Ok(())
    }

    fn vars_bases(&self) -> Vec<PathBuf> {
        self.sources
            .iter()
            .filter_map(|(source, kind)| sources::vars_base(source, kind))
            .collect()
    }

    /// The sources as loaded (absolute paths, or host lists as given).
    pub fn sources(&self) -> Vec<&str> {
        self.sources.iter().map(|(s, _)| s.as_str()).collect()
    }

    /// Warnings so far (from loading and from pattern matching), drained.
    pub fn take_warnings(&self) -> Vec<Diagnostic> {
        let mut all = self
            .warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default();
        all.extend(self.vars_dirs.take_warnings());
        all
    }

    fn warn(&self, warning: Diagnostic) {
        if let Ok(mut w) = self.warnings.lock() {
            w.push(warning);
        }
    }

    /// All hosts, in the order they were first defined.
    pub fn hosts(&self) -> Vec<&str> {
        self.data.hosts.keys().map(String::as_str).collect()
    }

    /// One host (its own variables and direct groups).
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.data.hosts.get(name)
    }

    /// One group (own variables, direct hosts and children, depth, priority).
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.data.groups.get(name)
    }

    /// Group names in definition order (`all` and `ungrouped` first).
    pub fn group_list(&self) -> Vec<&str> {
        self.data.groups.keys().map(String::as_str).collect()
    }

    /// The `groups` magic variable: every group → its hosts in Ansible's order.
    pub fn groups(&self) -> IndexMap<String, Vec<String>> {
        self.data
            .groups
            .keys()
            .map(|g| (g.clone(), self.data.group_hosts(g)))
            .collect()
    }

    /// Hosts of one group in Ansible's order (own hosts, then descendants' level by level).
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        self.data.group_hosts(group)
    }

    /// The `group_names` magic variable: the host's groups, sorted, without `all`.
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .data
            .host_groups(host)
            .into_iter()
            .filter(|g| g != "all")
            .collect();
        names.sort();
        names
    }

    /// Restricts every later [`Inventory::select`] to hosts matching `limit` (same pattern
    /// syntax; `@file` reads one pattern per line).
    pub fn set_limit(&mut self, limit: &str) -> Result<(), Diagnostic> {
        let mut patterns = Vec::new();
        for part in pattern::split_host_pattern(limit) {
            if let Some(file) = part.strip_prefix('@') {
                let path = Path::new(file);
                if !path.exists() {
                    return Err(Diagnostic::error(format!(
                        "Unable to find limit file {file}"
                    )));
                }
                if !path.is_file() {
                    return Err(Diagnostic::error(format!(
                        "Limit starting with \"@\" must be a file, not a directory: {file}"
                    )));
                }
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Diagnostic::error(format!("could not read limit file {file}: {e}"))
                })?;
                patterns.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string),
                );
            } else {
                patterns.push(part);
            }
        }
        self.limit = Some(patterns);
        Ok(())
    }

    /// The limit patterns in force, if any.
    pub fn limit(&self) -> Option<&[String]> {
        self.limit.as_deref()
    }

    /// Hosts matching `pattern` (and the limit), in inventory order. Patterns that match
    /// nothing give a warning (or an error with `host_pattern_mismatch=error`).
    pub fn select(&self, pattern: &str) -> Result<Vec<String>, Diagnostic> {
        self.select_ignoring_limit(pattern, false)
    }

    /// Like [`Inventory::select`]; `ignore_limit` skips the limit (for `hostvars` lookups).
    pub fn select_ignoring_limit(
        &self,
        pattern: &str,
        ignore_limit: bool,
    ) -> Result<Vec<String>, Diagnostic> {
        let patterns = pattern::split_host_pattern(pattern);
        let mut matched = self.evaluate(&patterns)?;
        if let (Some(limit), false) = (&self.limit, ignore_limit) {
            let allowed = self.evaluate(limit)?;
            let allowed: std::collections::HashSet<&String> = allowed.iter().collect();
            matched.retain(|h| allowed.contains(h));
        }
        Ok(matched)
    }

    fn evaluate(&self, patterns: &[String]) -> Result<Vec<String>, Diagnostic> {
        let matched = pattern::evaluate(&self.data, patterns).map_err(Diagnostic::error)?;
        for missing in &matched.unmatched {
            let message = format!("Could not match supplied host pattern, ignoring: {missing}");
            match self.mismatch {
                PatternMismatch::Warning => self.warn(Diagnostic::error(message).into_warning()),
                PatternMismatch::Error => return Err(Diagnostic::error(message)),
                PatternMismatch::Ignore => {}
            }
        }
        Ok(matched.hosts)
    }

    /// True for a localhost name that is not in the inventory (Ansible's implicit localhost:
    /// it gets `ansible_connection=local` and `all`'s variables but is not in `all`).
    pub fn is_implicit_localhost(&self, host: &str) -> bool {
        !self.data.hosts.contains_key(host) && LOCALHOST_NAMES.contains(&host)
    }

    /// Every inventory-level variable of `host`, merged in Ansible's order (VAR-01 steps 2–10):
    /// `all` and other group vars from inventory files, group_vars/ beside the inventory and
    /// the playbook (groups by depth, priority, name), the host's own vars with
    /// `inventory_file`, `inventory_dir`, `inventory_hostname(_short)`, `group_names`, then
    /// host_vars/ beside the inventory and the playbook.
    pub fn host_vars(
        &self,
        host: &str,
        playbook_dir: Option<&Path>,
    ) -> Result<Map<String, Value>, Diagnostic> {
        let behaviour = self.hash_behaviour;
        let mut vars = Map::new();
        self.host_var_layers(host, playbook_dir, &mut |layer, _| {
            combine_into(&mut vars, layer, behaviour)
        })?;
        Ok(vars)
    }

    /// Where the inventory value of `name` for `host` was written, as 2.19 names it in errors
    /// (`file:line` for INI, `file:line:column` for YAML): the last layer of [`Self::host_vars`]
    /// that sets it decides; `None` when that layer keeps no places (group_vars/ files).
    pub fn host_var_origin(
        &self,
        host: &str,
        name: &str,
        playbook_dir: Option<&Path>,
    ) -> Option<String> {
        let mut found = None;
        self.host_var_layers(host, playbook_dir, &mut |layer, origins| {
            if layer.contains_key(name) {
                found = Some(origins.and_then(|o| o.get(name).cloned()));
            }
        })
        .ok()?;
        found.flatten()
    }

    /// Visits the layers of `host`'s inventory variables in Ansible's order (VAR-01 steps 2–10),
    /// each with the places of its values when the layer keeps them.
    fn host_var_layers(
        &self,
        host: &str,
        playbook_dir: Option<&Path>,
        visit: &mut dyn FnMut(&Map<String, Value>, Option<&IndexMap<String, String>>),
    ) -> Result<(), Diagnostic> {
        let implicit = self.is_implicit_localhost(host);
        if !implicit && !self.data.hosts.contains_key(host) {
            return Err(Diagnostic::error(format!(
                "host '{host}' is not in the inventory"
            )));
        }
        let mut groups: Vec<String> = if implicit {
            Vec::new()
        } else {
            self.data
                .host_groups(host)
                .into_iter()
                .filter(|g| g != "all")
                .collect()
        };
        self.data.sort_groups(&mut groups);
        let bases = self.vars_bases();
        let behaviour = self.hash_behaviour;
        let group_files =
            |dir: &Path, g: &str| self.vars_dirs.vars_for(dir, VarsKind::Group, g, behaviour);
        for step in &self.precedence {
            match step.as_str() {
                "all_inventory" => {
                    if let Some(all) = self.data.groups.get("all") {
                        visit(&all.vars, Some(&all.var_origins));
                    }
                }
                "groups_inventory" => {
                    for g in &groups {
                        if let Some(group) = self.data.groups.get(g) {
                            visit(&group.vars, Some(&group.var_origins));
                        }
                    }
                }
                "all_plugins_inventory" => {
                    for base in &bases {
                        visit(&*group_files(base, "all")?, None);
                    }
                }
                "all_plugins_play" => {
                    if let Some(dir) = playbook_dir {
                        visit(&*group_files(dir, "all")?, None);
                    }
                }
                "groups_plugins_inventory" => {
                    for base in &bases {
                        for g in &groups {
                            visit(&*group_files(base, g)?, None);
                        }
                    }
                }
                "groups_plugins_play" => {
                    if let Some(dir) = playbook_dir {
                        for g in &groups {
                            visit(&*group_files(dir, g)?, None);
                        }
                    }
                }
                _ => {}
            }
        }
        visit(
            &self.own_host_vars(host),
            self.data.hosts.get(host).map(|h| &h.var_origins),
        );
        for base in &bases {
            visit(
                &*self
                    .vars_dirs
                    .vars_for(base, VarsKind::Host, host, behaviour)?,
                None,
            );
        }
        if let Some(dir) = playbook_dir {
            visit(
                &*self
                    .vars_dirs
                    .vars_for(dir, VarsKind::Host, host, behaviour)?,
                None,
            );
        }
        Ok(())
    }

    /// The host's own inventory variables plus `inventory_file`, `inventory_dir` and the
    /// magic `inventory_hostname`, `inventory_hostname_short`, `group_names` (Ansible's
    /// `Host.get_vars()`).
    pub fn own_host_vars(&self, host: &str) -> Map<String, Value> {
        let mut vars = Map::new();
        match self.data.hosts.get(host) {
            Some(h) => {
                let (file, dir) = match &h.source {
                    // Host lists are not files: no inventory_dir (sources are few, so the
                    // per-source answer is cached).
                    Some(source) => (
                        Value::String(source.clone()),
                        self.source_dir(source).map_or(Value::Null, Value::String),
                    ),
                    None => (Value::Null, Value::Null),
                };
                vars.insert("inventory_file".into(), file);
                vars.insert("inventory_dir".into(), dir);
                for (k, v) in &h.vars {
                    vars.insert(k.clone(), v.clone());
                }
            }
            None => {
                // Implicit localhost.
                vars.insert("ansible_connection".into(), Value::String("local".into()));
            }
        }
        vars.insert("inventory_hostname".into(), Value::String(host.to_string()));
        vars.insert(
            "inventory_hostname_short".into(),
            Value::String(short_name(host)),
        );
        vars.insert(
            "group_names".into(),
            Value::Array(
                self.group_names(host)
                    .into_iter()
                    .map(Value::String)
                    .collect(),
            ),
        );
        vars
    }

    /// `inventory_dir` for hosts first defined by `source`: the directory of a file source.
    fn source_dir(&self, source: &str) -> Option<String> {
        if let Some(cached) = self
            .source_dirs
            .lock()
            .ok()
            .and_then(|c| c.get(source).cloned())
        {
            return cached;
        }
        let path = Path::new(source);
        let dir = if path.is_file() {
            path.parent().map(|p| p.to_string_lossy().to_string())
        } else {
            None
        };
        if let Ok(mut cache) = self.source_dirs.lock() {
            cache.insert(source.to_string(), dir.clone());
        }
        dir
    }

    /// Host variables as `ansible-inventory --export` shows them: the host's own vars and its
    /// host_vars/ files, not group vars.
    pub fn host_vars_export(
        &self,
        host: &str,
        playbook_dir: Option<&Path>,
    ) -> Result<Map<String, Value>, Diagnostic> {
        let behaviour = self.hash_behaviour;
        let mut vars = self.own_host_vars(host);
        for base in self.vars_bases() {
            combine_into(
                &mut vars,
                &*self
                    .vars_dirs
                    .vars_for(&base, VarsKind::Host, host, behaviour)?,
                behaviour,
            );
        }
        if let Some(dir) = playbook_dir {
            combine_into(
                &mut vars,
                &*self
                    .vars_dirs
                    .vars_for(dir, VarsKind::Host, host, behaviour)?,
                behaviour,
            );
        }
        Ok(vars)
    }

    /// A group's own variables: from inventory files, then its group_vars/ files beside the
    /// inventory and the playbook, plus `ansible_group_priority` when not 1.
    pub fn group_vars(
        &self,
        group: &str,
        playbook_dir: Option<&Path>,
    ) -> Result<Map<String, Value>, Diagnostic> {
        let behaviour = self.hash_behaviour;
        let Some(g) = self.data.groups.get(group) else {
            return Err(Diagnostic::error(format!(
                "group '{group}' is not in the inventory"
            )));
        };
        let mut vars = g.vars.clone();
        for base in self.vars_bases() {
            combine_into(
                &mut vars,
                &*self
                    .vars_dirs
                    .vars_for(&base, VarsKind::Group, group, behaviour)?,
                behaviour,
            );
        }
        if let Some(dir) = playbook_dir {
            combine_into(
                &mut vars,
                &*self
                    .vars_dirs
                    .vars_for(dir, VarsKind::Group, group, behaviour)?,
                behaviour,
            );
        }
        if g.priority != 1 {
            vars.insert("ansible_group_priority".into(), Value::from(g.priority));
        }
        Ok(vars)
    }

    /// Runtime `add_host`: adds (or updates) a host, puts it in `groups` (created as needed),
    /// sets `vars` on it, and re-applies the inventory rules.
    pub fn add_host(
        &mut self,
        name: &str,
        groups: &[String],
        vars: &Map<String, Value>,
    ) -> Result<(), Diagnostic> {
        self.data
            .add_host(name, Some("all"), None)
            .map_err(Diagnostic::error)?;
        for (k, v) in vars {
            self.data.set_host_var(name, k, v.clone());
        }
        for group in groups {
            self.data.add_group(group);
            self.data
                .add_host(name, Some(group), None)
                .map_err(Diagnostic::error)?;
        }
        self.data.reconcile();
        Ok(())
    }

    /// Runtime `group_by`: puts an existing host in `group` (created as needed).
    pub fn add_to_group(&mut self, host: &str, group: &str) -> Result<(), Diagnostic> {
        if !self.data.hosts.contains_key(host) {
            return Err(Diagnostic::error(format!(
                "host '{host}' is not in the inventory"
            )));
        }
        self.data.add_group(group);
        self.data
            .add_host(host, Some(group), None)
            .map_err(Diagnostic::error)?;
        self.data.reconcile();
        Ok(())
    }
}

/// `inventory_hostname_short`: up to the first `.`, unless the name is an IP address.
fn short_name(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() {
        host.to_string()
    } else {
        host.split('.').next().unwrap_or(host).to_string()
    }
}

/// Removes the variables `ansible-inventory` hides ([`INTERNAL_VARS`]).
pub fn remove_internal(vars: &mut Map<String, Value>) {
    for key in INTERNAL_VARS {
        vars.remove(*key);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn precedence_of_inventory_layers() {
        let dir = tempfile::tempdir().unwrap();
        let inv = dir.path().join("inv");
        write(&inv, "hosts.ini", "[web]\nh1 own=host\n[alpha]\nh1\n[zeta]\nh1\n[web:vars]\nsrc=inifile\nweb_only=1\n[all:vars]\nsrc=all_ini\n");
        write(&inv, "group_vars/all.yml", "src: gv_all\nall_only: yes\n");
        write(&inv, "group_vars/web.yml", "src: gv_web\n");
        write(&inv, "group_vars/alpha.yml", "sib: alpha\n");
        write(&inv, "group_vars/zeta.yml", "sib: zeta\n");
        write(&inv, "host_vars/h1.yml", "own: host_vars\n");
        let pb = dir.path().join("pb");
        write(&pb, "group_vars/all.yml", "pb_all: 1\nsrc: pb_all\n");
        let source = inv.join("hosts.ini").to_string_lossy().to_string();
        let inventory =
            Inventory::load(std::slice::from_ref(&source), &Settings::default()).unwrap();
        let vars = inventory.host_vars("h1", None).unwrap();
        assert_eq!(vars["src"], json!("gv_web"));
        assert_eq!(vars["sib"], json!("zeta"));
        assert_eq!(vars["own"], json!("host_vars"));
        assert_eq!(vars["all_only"], json!(true));
        assert_eq!(vars["web_only"], json!(1));
        assert_eq!(vars["inventory_file"], json!(source));
        assert_eq!(vars["group_names"], json!(["alpha", "web", "zeta"]));
        let with_pb = inventory.host_vars("h1", Some(&pb)).unwrap();
        assert_eq!(with_pb["pb_all"], json!(1));
        assert_eq!(with_pb["src"], json!("gv_web"));
    }

    #[test]
    fn host_lists_limits_and_implicit_localhost() {
        let mut inventory =
            Inventory::load(&["a,b:2222,c".to_string()], &Settings::default()).unwrap();
        assert_eq!(inventory.select("all").unwrap(), vec!["a", "b", "c"]);
        assert_eq!(
            inventory.host("b").unwrap().vars["ansible_port"],
            json!(2222)
        );
        assert_eq!(inventory.select("localhost").unwrap(), vec!["localhost"]);
        assert!(inventory.is_implicit_localhost("localhost"));
        assert_eq!(
            inventory.host_vars("localhost", None).unwrap()["ansible_connection"],
            json!("local")
        );
        inventory.set_limit("a,c").unwrap();
        assert_eq!(inventory.select("all").unwrap(), vec!["a", "c"]);
        assert!(inventory.select("nosuch").unwrap().is_empty());
        let warnings = inventory.take_warnings();
        assert!(warnings.iter().any(|w| w.message.contains("nosuch")));
    }

    #[test]
    fn runtime_add_host_and_group_by() {
        let mut inventory = Inventory::load(&["a,".to_string()], &Settings::default()).unwrap();
        let mut vars = Map::new();
        vars.insert("x".into(), json!(1));
        inventory
            .add_host("new", &["dyn".to_string()], &vars)
            .unwrap();
        assert_eq!(inventory.groups()["dyn"], vec!["new"]);
        assert!(inventory.groups()["ungrouped"] == vec!["a"]);
        inventory.add_to_group("a", "dyn").unwrap();
        assert_eq!(inventory.group_names("a"), vec!["dyn"]);
        assert_eq!(inventory.host_vars("new", None).unwrap()["x"], json!(1));
    }

    #[test]
    fn missing_source_warns_and_broken_file_errors() {
        let inventory =
            Inventory::load(&["/no/such/inventory".to_string()], &Settings::default()).unwrap();
        assert!(inventory.hosts().is_empty());
        let warnings = inventory.take_warnings();
        assert!(warnings
            .iter()
            .any(|w| w.message.contains("No inventory was parsed")));
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "bad.yml", "all:\n  hosts: [a\n");
        let e = Inventory::load(
            &[dir.path().join("bad.yml").to_string_lossy().to_string()],
            &Settings::default(),
        )
        .unwrap_err();
        assert!(e.span.is_some(), "{e}");
    }
}
