//! The `jsonfile` fact cache (`fact_caching = jsonfile`): one file per host in
//! `fact_caching_connection`, so that `gathering = smart` runs skip hosts whose facts are still
//! fresh (`fact_caching_timeout` seconds; 0 = never expire). Files use ansible-core 2.19's layout,
//! `<dir>/<prefix>s1_<host>` holding `{"__payload__": "<JSON text of the facts>"}`, so rplay and
//! ansible-playbook can share one cache directory.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

/// Where and for how long facts are cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactCache {
    /// The cache directory (`fact_caching_connection`).
    pub dir: PathBuf,
    /// Seconds a cached entry stays valid; 0 = forever.
    pub timeout: u64,
    /// File name prefix (`fact_caching_prefix`; Ansible's documented default means none).
    pub prefix: String,
}

impl FactCache {
    /// The cache `fact_caching`/`fact_caching_connection` ask for: only `jsonfile` with a directory
    /// persists facts (the `memory` cache is what the run keeps anyway).
    pub fn from_settings(
        plugin: &str,
        connection: Option<&str>,
        timeout: u64,
        prefix: &str,
    ) -> Option<FactCache> {
        let plugin = plugin.trim();
        if !matches!(plugin, "jsonfile" | "ansible.builtin.jsonfile") {
            return None;
        }
        let dir = connection.map(str::trim).filter(|d| !d.is_empty())?;
        let dir = match dir.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(rest))
                .unwrap_or_else(|| PathBuf::from(dir)),
            None => PathBuf::from(dir),
        };
        let prefix = if prefix == "ansible_facts" {
            ""
        } else {
            prefix
        };
        Some(FactCache {
            dir,
            timeout,
            prefix: prefix.to_string(),
        })
    }

    fn path(&self, host: &str) -> PathBuf {
        self.dir.join(format!("{}s1_{host}", self.prefix))
    }

    /// The cached facts of `host` (keys as `setup` returns them, `ansible_`-prefixed), if present
    /// and not expired. Unreadable or malformed entries count as absent.
    pub fn load(&self, host: &str) -> Option<Map<String, Value>> {
        let path = self.path(host);
        let meta = std::fs::metadata(&path).ok()?;
        if self.timeout > 0 {
            let age = meta
                .modified()
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .unwrap_or_default();
            if age > Duration::from_secs(self.timeout) {
                return None;
            }
        }
        let text = std::fs::read_to_string(&path).ok()?;
        parse_entry(&text)
    }

    /// Stores `facts` for `host` (written to a temporary file, then renamed into place).
    pub fn store(&self, host: &str, facts: &Map<String, Value>) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("fact cache {}: {e}", self.dir.display()))?;
        let payload = Value::Object(facts.clone()).to_string();
        let mut doc = Map::new();
        doc.insert("__payload__".into(), Value::String(payload));
        let path = self.path(host);
        let tmp = self.dir.join(format!(".{}s1_{host}.tmp", self.prefix));
        std::fs::write(&tmp, Value::Object(doc).to_string())
            .map_err(|e| format!("fact cache {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &path).map_err(|e| format!("fact cache {}: {e}", path.display()))
    }
}

/// Facts from a cache file: 2.19's `{"__payload__": "..."}` or a plain JSON object (older cores).
fn parse_entry(text: &str) -> Option<Map<String, Value>> {
    let Value::Object(doc) = serde_json::from_str::<Value>(text).ok()? else {
        return None;
    };
    match doc.get("__payload__") {
        Some(Value::String(payload)) => match serde_json::from_str::<Value>(payload).ok()? {
            Value::Object(m) => Some(m),
            _ => None,
        },
        Some(_) => None,
        None => Some(doc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_jsonfile_with_a_directory_persists() {
        assert_eq!(FactCache::from_settings("memory", Some("/x"), 0, ""), None);
        assert_eq!(FactCache::from_settings("jsonfile", None, 0, ""), None);
        let c = FactCache::from_settings("jsonfile", Some("/x"), 5, "ansible_facts");
        assert_eq!(c.map(|c| c.path("h1")), Some(PathBuf::from("/x/s1_h1")));
    }

    #[test]
    fn reads_both_entry_layouts() {
        let wrapped = r#"{"__payload__": "{\"ansible_os_family\": \"Debian\"}"}"#;
        let plain = r#"{"ansible_os_family": "Debian"}"#;
        for text in [wrapped, plain] {
            let m = parse_entry(text);
            assert_eq!(
                m.and_then(|m| m.get("ansible_os_family").cloned()),
                Some(Value::from("Debian"))
            );
        }
        assert_eq!(parse_entry("not json"), None);
        assert_eq!(parse_entry(r#"{"__payload__": 3}"#), None);
    }

    #[test]
    fn store_then_load_round_trips_and_expires() {
        let dir = std::env::temp_dir().join(format!("rplay-fact-cache-{}", std::process::id()));
        let cache = FactCache {
            dir: dir.clone(),
            timeout: 0,
            prefix: String::new(),
        };
        let mut facts = Map::new();
        facts.insert("ansible_hostname".into(), Value::from("h1"));
        assert!(cache.store("h1", &facts).is_ok());
        assert_eq!(cache.load("h1"), Some(facts));
        assert_eq!(cache.load("h2"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
