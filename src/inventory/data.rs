//! The inventory graph: groups and hosts with their own variables, parent/child links and
//! direct memberships, and the rules Ansible applies to it (`InventoryData` in ansible-core):
//! implicit `all` and `ungrouped`, cycle checks, group depth, host order within a group.
//!
//! Sources (INI, YAML, scripts) only call the mutators here; everything that reads the graph
//! (patterns, variables, `rinventory`) goes through the queries.

use std::collections::{HashMap, HashSet};

use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value};

use crate::config::HashBehaviour;
use crate::vars::combine_into;

/// A group: its own variables (from inventory sources only), members and links.
#[derive(Debug, Clone)]
pub struct Group {
    /// The group name.
    pub name: String,
    /// Variables set on the group by inventory sources (not group_vars/ files).
    pub vars: Map<String, Value>,
    /// Where each of `vars` was written (`file:line` or `file:line:column`), when known.
    pub var_origins: IndexMap<String, String>,
    /// Hosts placed directly in this group, in definition order.
    pub hosts: IndexSet<String>,
    /// Direct child groups, in definition order.
    pub children: IndexSet<String>,
    /// Direct parent groups.
    pub parents: IndexSet<String>,
    /// Longest path from `all` (`all` = 0).
    pub depth: usize,
    /// `ansible_group_priority` (default 1).
    pub priority: i64,
}

/// A host: its own variables and direct group memberships.
#[derive(Debug, Clone)]
pub struct Host {
    /// The inventory hostname.
    pub name: String,
    /// Variables set on the host by inventory sources.
    pub vars: Map<String, Value>,
    /// Where each of `vars` was written (`file:line` or `file:line:column`), when known.
    pub var_origins: IndexMap<String, String>,
    /// Groups the host was placed in directly.
    pub groups: IndexSet<String>,
    /// The first source that defined the host (`inventory_file`), when it is a file.
    pub source: Option<String>,
}

/// Groups and hosts as loaded so far.
#[derive(Debug, Clone)]
pub struct InventoryData {
    pub(crate) groups: IndexMap<String, Group>,
    pub(crate) hosts: IndexMap<String, Host>,
    /// The source being loaded (recorded as the host's `inventory_file`).
    pub(crate) current_source: Option<String>,
    pub(crate) hash_behaviour: HashBehaviour,
}

impl InventoryData {
    /// An inventory with only `all` and `ungrouped` (the first child of `all`).
    pub fn new(hash_behaviour: HashBehaviour) -> InventoryData {
        let mut data = InventoryData {
            groups: IndexMap::new(),
            hosts: IndexMap::new(),
            current_source: None,
            hash_behaviour,
        };
        data.add_group("all");
        data.add_group("ungrouped");
        // Cannot fail: two distinct new groups.
        let _ = data.add_child_group("all", "ungrouped");
        data
    }

    /// Adds a group if it does not exist yet.
    pub fn add_group(&mut self, name: &str) {
        if !self.groups.contains_key(name) {
            self.groups.insert(
                name.to_string(),
                Group {
                    name: name.to_string(),
                    vars: Map::new(),
                    var_origins: IndexMap::new(),
                    hosts: IndexSet::new(),
                    children: IndexSet::new(),
                    parents: IndexSet::new(),
                    depth: 0,
                    priority: 1,
                },
            );
        }
    }

    /// Adds a host if it does not exist yet (recording the current source), optionally with a
    /// port, and places it in `group` when given (the group must exist).
    pub fn add_host(
        &mut self,
        name: &str,
        group: Option<&str>,
        port: Option<u16>,
    ) -> Result<(), String> {
        if name.is_empty() {
            return Err("Invalid empty host name provided".to_string());
        }
        if let Some(group) = group {
            if !self.groups.contains_key(group) {
                return Err(format!("Could not find group {group} in inventory"));
            }
        }
        if !self.hosts.contains_key(name) {
            self.hosts.insert(
                name.to_string(),
                Host {
                    name: name.to_string(),
                    vars: Map::new(),
                    var_origins: IndexMap::new(),
                    groups: IndexSet::new(),
                    source: self.current_source.clone(),
                },
            );
        }
        if let Some(port) = port {
            self.set_host_var(name, "ansible_port", Value::from(port));
        }
        if let Some(group) = group {
            if let Some(g) = self.groups.get_mut(group) {
                g.hosts.insert(name.to_string());
            }
            if let Some(h) = self.hosts.get_mut(name) {
                h.groups.insert(group.to_string());
            }
        }
        Ok(())
    }

    /// Makes `child` a child group of `parent` (both must exist). Refuses self-parenting and
    /// loops with Ansible's messages.
    pub fn add_child_group(&mut self, parent: &str, child: &str) -> Result<(), String> {
        if parent == child {
            return Err(format!("can't add group '{parent}' to itself"));
        }
        if !self.groups.contains_key(parent) || !self.groups.contains_key(child) {
            return Err(format!("{child} is not a known host nor group"));
        }
        if self.groups[parent].children.contains(child) {
            return Ok(());
        }
        if self.ancestors_of_group(parent).contains(child) {
            return Err(format!(
                "Adding group '{child}' as child to '{parent}' creates a recursive dependency loop."
            ));
        }
        if let Some(g) = self.groups.get_mut(parent) {
            g.children.insert(child.to_string());
        }
        if let Some(g) = self.groups.get_mut(child) {
            g.parents.insert(parent.to_string());
        }
        Ok(())
    }

    /// Sets a group variable. `ansible_group_priority` sets the priority instead. A mapping
    /// assigned over a mapping combines by `hash_behaviour`; anything else replaces.
    pub fn set_group_var(&mut self, group: &str, key: &str, value: Value) -> Result<(), String> {
        let behaviour = self.hash_behaviour;
        let Some(g) = self.groups.get_mut(group) else {
            return Err(format!("Could not identify group or host named {group}"));
        };
        if key == "ansible_group_priority" {
            g.priority = priority_of(&value)
                .ok_or_else(|| format!("ansible_group_priority must be an integer, got {value}"))?;
            return Ok(());
        }
        set_var(&mut g.vars, key, value, behaviour);
        g.var_origins.shift_remove(key);
        Ok(())
    }

    /// Sets a host variable (same mapping rule as groups).
    pub fn set_host_var(&mut self, host: &str, key: &str, value: Value) {
        let behaviour = self.hash_behaviour;
        if let Some(h) = self.hosts.get_mut(host) {
            set_var(&mut h.vars, key, value, behaviour);
            h.var_origins.shift_remove(key);
        }
    }

    /// Records where a group variable just set was written (2.19 names it in errors).
    pub fn note_group_var_origin(&mut self, group: &str, key: &str, origin: String) {
        if let Some(g) = self.groups.get_mut(group) {
            if g.vars.contains_key(key) {
                g.var_origins.insert(key.to_string(), origin);
            }
        }
    }

    /// Records where a host variable just set was written.
    pub fn note_host_var_origin(&mut self, host: &str, key: &str, origin: String) {
        if let Some(h) = self.hosts.get_mut(host) {
            h.var_origins.insert(key.to_string(), origin);
        }
    }

    /// Ansible's `reconcile_inventory`: every parentless group becomes a child of `all`; hosts
    /// in no group go to `ungrouped`, hosts in another group leave it; depths are recomputed.
    pub fn reconcile(&mut self) {
        let orphans: Vec<String> = self
            .groups
            .values()
            .filter(|g| g.name != "all" && g.parents.is_empty())
            .map(|g| g.name.clone())
            .collect();
        for name in orphans {
            // Cannot loop: the group has no parents, so `all` is not its descendant... unless
            // it is an ancestor of `all`, which nothing can be.
            let _ = self.add_child_group("all", &name);
        }
        let mut to_ungrouped = Vec::new();
        let mut from_ungrouped = Vec::new();
        for host in self.hosts.values() {
            let others = host.groups.iter().any(|g| g != "all" && g != "ungrouped");
            if host.groups.contains("ungrouped") {
                if others {
                    from_ungrouped.push(host.name.clone());
                }
            } else if !others {
                to_ungrouped.push(host.name.clone());
            }
        }
        for name in from_ungrouped {
            if let Some(g) = self.groups.get_mut("ungrouped") {
                g.hosts.shift_remove(&name);
            }
            if let Some(h) = self.hosts.get_mut(&name) {
                h.groups.shift_remove("ungrouped");
            }
        }
        for name in to_ungrouped {
            // The group exists (created in `new`).
            let _ = self.add_host(&name, Some("ungrouped"), None);
        }
        self.compute_depths();
    }

    /// Depth = longest path from `all`, computed in topological order (the graph has no loops).
    fn compute_depths(&mut self) {
        let mut depth: HashMap<String, usize> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut indegree: HashMap<&str, usize> = self
            .groups
            .values()
            .map(|g| (g.name.as_str(), g.parents.len()))
            .collect();
        let mut ready: Vec<&str> = indegree
            .iter()
            .filter(|(_, &d)| d == 0)
            .map(|(n, _)| *n)
            .collect();
        while let Some(name) = ready.pop() {
            order.push(name.to_string());
            if let Some(g) = self.groups.get(name) {
                for child in &g.children {
                    if let Some(d) = indegree.get_mut(child.as_str()) {
                        *d -= 1;
                        if *d == 0 {
                            ready.push(child.as_str());
                        }
                    }
                }
            }
        }
        for name in &order {
            let d = *depth.get(name).unwrap_or(&0);
            if let Some(g) = self.groups.get(name) {
                for child in &g.children {
                    let entry = depth.entry(child.clone()).or_insert(0);
                    *entry = (*entry).max(d + 1);
                }
            }
        }
        for g in self.groups.values_mut() {
            g.depth = *depth.get(&g.name).unwrap_or(&0);
        }
    }

    /// All ancestors of a group (parents, grandparents, ...).
    pub fn ancestors_of_group(&self, group: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut stack: Vec<&str> = vec![group];
        while let Some(name) = stack.pop() {
            if let Some(g) = self.groups.get(name) {
                for parent in &g.parents {
                    if seen.insert(parent.clone()) {
                        stack.push(parent);
                    }
                }
            }
        }
        seen
    }

    /// Every group a host belongs to, directly or through ancestry (including `all` when the
    /// host is reachable from it).
    pub fn host_groups(&self, host: &str) -> Vec<String> {
        let Some(h) = self.hosts.get(host) else {
            return Vec::new();
        };
        let mut seen: IndexSet<String> = IndexSet::new();
        for group in &h.groups {
            let mut ancestors: Vec<String> = self.ancestors_of_group(group).into_iter().collect();
            ancestors.sort();
            for a in ancestors {
                seen.insert(a);
            }
            seen.insert(group.clone());
        }
        seen.into_iter().collect()
    }

    /// The group and its descendants, breadth-first: the group, its children in order, then
    /// their children, each once.
    pub fn descendants_with_self(&self, group: &str) -> Vec<String> {
        let mut ordered = vec![group.to_string()];
        let mut seen: HashSet<String> = HashSet::from([group.to_string()]);
        let mut level = vec![group.to_string()];
        while !level.is_empty() {
            let mut next = Vec::new();
            for name in &level {
                if let Some(g) = self.groups.get(name) {
                    for child in &g.children {
                        if seen.insert(child.clone()) {
                            ordered.push(child.clone());
                            next.push(child.clone());
                        }
                    }
                }
            }
            level = next;
        }
        ordered
    }

    /// Hosts of a group in Ansible's order: its own hosts, then those of its descendants
    /// level by level, without duplicates.
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        let mut hosts = Vec::new();
        let mut seen = HashSet::new();
        for name in self.descendants_with_self(group) {
            if let Some(g) = self.groups.get(&name) {
                for host in &g.hosts {
                    if seen.insert(host.as_str()) {
                        hosts.push(host.clone());
                    }
                }
            }
        }
        hosts
    }

    /// Groups in Ansible's variable order: by depth, then priority, then name.
    pub fn sort_groups(&self, names: &mut [String]) {
        names.sort_by(|a, b| {
            let key = |n: &String| {
                self.groups
                    .get(n)
                    .map(|g| (g.depth, g.priority))
                    .unwrap_or((0, 1))
            };
            key(a).cmp(&key(b)).then_with(|| a.cmp(b))
        });
    }
}

/// Sets `key` in `vars`: a mapping over a mapping combines, anything else replaces.
fn set_var(vars: &mut Map<String, Value>, key: &str, value: Value, behaviour: HashBehaviour) {
    match (vars.get(key), &value) {
        (Some(Value::Object(_)), Value::Object(_)) => {
            let mut single = Map::new();
            single.insert(key.to_string(), value);
            combine_into(vars, &single, behaviour);
        }
        _ => {
            vars.insert(key.to_string(), value);
        }
    }
}

/// `int(value)` as Ansible applies it to `ansible_group_priority`.
fn priority_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> InventoryData {
        InventoryData::new(HashBehaviour::Replace)
    }

    #[test]
    fn reconcile_attaches_orphans_and_fills_ungrouped() {
        let mut d = data();
        d.add_group("web");
        d.add_host("w1", Some("web"), None).unwrap();
        d.add_host("lonely", None, None).unwrap();
        d.add_host("moved", Some("ungrouped"), None).unwrap();
        d.add_host("moved", Some("web"), None).unwrap();
        d.reconcile();
        let all: Vec<&String> = d.groups["all"].children.iter().collect();
        assert_eq!(all, vec!["ungrouped", "web"]);
        let ungrouped: Vec<&String> = d.groups["ungrouped"].hosts.iter().collect();
        assert_eq!(ungrouped, vec!["lonely"]);
        assert_eq!(d.groups["web"].depth, 1);
    }

    #[test]
    fn loops_and_self_children_are_refused() {
        let mut d = data();
        d.add_group("a");
        d.add_group("b");
        d.add_child_group("a", "b").unwrap();
        assert!(d
            .add_child_group("b", "a")
            .unwrap_err()
            .contains("recursive dependency loop"));
        assert!(d.add_child_group("a", "a").is_err());
    }

    #[test]
    fn group_hosts_are_breadth_first_and_depth_is_longest_path() {
        let mut d = data();
        for g in ["parent", "child", "other", "grand"] {
            d.add_group(g);
        }
        d.add_child_group("parent", "child").unwrap();
        d.add_child_group("child", "grand").unwrap();
        d.add_child_group("other", "grand").unwrap();
        d.add_host("p1", Some("parent"), None).unwrap();
        d.add_host("c1", Some("child"), None).unwrap();
        d.add_host("g1", Some("grand"), None).unwrap();
        d.add_host("o1", Some("other"), None).unwrap();
        d.reconcile();
        assert_eq!(d.group_hosts("parent"), vec!["p1", "c1", "g1"]);
        assert_eq!(d.group_hosts("all"), vec!["p1", "o1", "c1", "g1"]);
        assert_eq!(d.groups["grand"].depth, 3);
        let mut names = vec![
            "grand".to_string(),
            "other".to_string(),
            "child".to_string(),
        ];
        d.sort_groups(&mut names);
        assert_eq!(names, vec!["other", "child", "grand"]);
    }

    #[test]
    fn group_priority_is_not_a_var() {
        let mut d = data();
        d.add_group("g");
        d.set_group_var("g", "ansible_group_priority", Value::from("10"))
            .unwrap();
        assert_eq!(d.groups["g"].priority, 10);
        assert!(d.groups["g"].vars.is_empty());
    }
}
