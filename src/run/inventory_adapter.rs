//! The runner's [`InventoryView`] over the inventory area's [`Inventory`], plus what plays add at
//! run time (`add_host`, `group_by`), which the loaded inventory does not change.

use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Map, Value};

use super::inventory_view::InventoryView;
use crate::inventory::Inventory;

/// Hosts and groups added while the playbook runs.
#[derive(Debug, Default)]
struct Added {
    hosts: Vec<(String, Map<String, Value>)>,
    groups: Vec<(String, String)>,
}

/// The loaded inventory as the runner sees it.
pub struct InventoryAdapter {
    inventory: Inventory,
    playbook_dir: Mutex<Option<PathBuf>>,
    added: Mutex<Added>,
}

impl InventoryAdapter {
    /// Wraps a loaded inventory (with `--limit` already set).
    pub fn new(inventory: Inventory) -> Self {
        InventoryAdapter {
            inventory,
            playbook_dir: Mutex::new(None),
            added: Mutex::new(Added::default()),
        }
    }

    /// Sets the playbook directory whose group_vars/host_vars apply.
    pub fn set_playbook_dir(&self, dir: PathBuf) {
        if let Ok(mut d) = self.playbook_dir.lock() {
            *d = Some(dir);
        }
    }

    /// Warnings collected while loading or selecting (for `[WARNING]:` lines).
    pub fn take_warnings(&self) -> Vec<String> {
        self.inventory
            .take_warnings()
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    fn added_groups_of(&self, host: &str) -> Vec<String> {
        self.added
            .lock()
            .map(|a| {
                a.groups
                    .iter()
                    .filter(|(h, _)| h == host)
                    .map(|(_, g)| g.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl InventoryView for InventoryAdapter {
    fn select(&self, pattern: &str) -> Result<Vec<String>, String> {
        let mut hosts = self
            .inventory
            .select(pattern)
            .map_err(|d| d.message.clone())?;
        if let Ok(a) = self.added.lock() {
            for part in pattern.split([',', ':']).map(str::trim) {
                for (h, g) in &a.groups {
                    if (g == part || h == part) && !hosts.contains(h) {
                        hosts.push(h.clone());
                    }
                }
                for (h, _) in &a.hosts {
                    if (h == part || part == "all") && !hosts.contains(h) {
                        hosts.push(h.clone());
                    }
                }
            }
        }
        Ok(hosts)
    }

    fn groups(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for (g, hosts) in self.inventory.groups() {
            m.insert(g, Value::from(hosts));
        }
        if let Ok(a) = self.added.lock() {
            for (h, g) in &a.groups {
                let entry = m
                    .entry(g.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = entry {
                    if !list.iter().any(|x| x.as_str() == Some(h)) {
                        list.push(Value::String(h.clone()));
                    }
                }
            }
        }
        m
    }

    fn group_names(&self, host: &str) -> Vec<String> {
        let mut names = self.inventory.group_names(host);
        for g in self.added_groups_of(host) {
            if !names.contains(&g) {
                names.push(g);
            }
        }
        names.sort();
        names
    }

    fn host_var_origin(&self, host: &str, name: &str) -> Option<String> {
        let dir = self.playbook_dir.lock().ok().and_then(|d| d.clone());
        self.inventory.host_var_origin(host, name, dir.as_deref())
    }

    fn host_vars(&self, host: &str) -> Map<String, Value> {
        let dir = self.playbook_dir.lock().ok().and_then(|d| d.clone());
        match self.inventory.host_vars(host, dir.as_deref()) {
            Ok(m) => m,
            Err(_) => self
                .added
                .lock()
                .ok()
                .and_then(|a| {
                    a.hosts
                        .iter()
                        .find(|(h, _)| h == host)
                        .map(|(_, v)| v.clone())
                })
                .unwrap_or_default(),
        }
    }

    fn source_of(&self, _host: &str) -> Option<PathBuf> {
        None
    }

    fn add_host(&self, host: &str, groups: &[String], vars: Map<String, Value>) {
        if let Ok(mut a) = self.added.lock() {
            match a.hosts.iter_mut().find(|(h, _)| h == host) {
                Some((_, v)) => v.extend(vars),
                None => a.hosts.push((host.to_string(), vars)),
            }
            for g in groups {
                a.groups.push((host.to_string(), g.clone()));
            }
        }
    }

    fn add_to_group(&self, host: &str, group: &str) {
        if let Ok(mut a) = self.added.lock() {
            a.groups.push((host.to_string(), group.to_string()));
        }
    }
}
