//! What the runner needs from the inventory: select hosts by pattern, group membership, each
//! host's inventory variables (group_vars/host_vars included), and run-time additions
//! (`add_host`, `group_by`). The inventory area provides the real implementation.

use serde_json::{Map, Value};

/// The inventory as the runner sees it.
pub trait InventoryView: Send + Sync {
    /// Hosts matching a pattern (with `--limit` applied), in inventory order.
    fn select(&self, pattern: &str) -> Result<Vec<String>, String>;
    /// Every group with its hosts (`groups`), including `all` and `ungrouped`.
    fn groups(&self) -> Map<String, Value>;
    /// Groups of a host, sorted, without `all` (`group_names`).
    fn group_names(&self, host: &str) -> Vec<String>;
    /// A host's inventory variables: inventory file vars, group_vars and host_vars, merged in
    /// Ansible's order (precedence levels 2 to 10).
    fn host_vars(&self, host: &str) -> Map<String, Value>;
    /// Where the inventory value of `name` for `host` was written (`file:line[:column]`), when
    /// the inventory keeps its place.
    fn host_var_origin(&self, _host: &str, _name: &str) -> Option<String> {
        None
    }
    /// `inventory_dir` / `inventory_file` of a host, if it came from a file.
    fn source_of(&self, host: &str) -> Option<std::path::PathBuf>;
    /// Adds (or updates) a host at run time (`add_host`).
    fn add_host(&self, host: &str, groups: &[String], vars: Map<String, Value>);
    /// Adds a host to a group at run time (`group_by`).
    fn add_to_group(&self, host: &str, group: &str);
}
