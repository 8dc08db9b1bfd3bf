//! `group_vars/` and `host_vars/` directories (Ansible's `host_group_vars` vars plugin).
//!
//! For an entity `web` in `<base>/group_vars`, the candidates `web` (file or directory),
//! `web.yml`, `web.yaml`, `web.json` are tried in that order and only the first that exists is
//! used. A directory is read recursively in sorted name order: files with no extension or a
//! YAML/JSON extension are loaded, subdirectories without an extension are entered, hidden
//! (`.x`) and backup (`x~`) names are skipped. Files merge in order; empty files are ignored.
//! Results are cached per (directory, entity), and directory listings are read once, so a
//! 10,000-host inventory does not stat 40,000 missing files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::config::HashBehaviour;
use crate::diag::Diagnostic;
use crate::vars::combine_owned;

/// Which directory beside an inventory or playbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum VarsKind {
    /// `group_vars/`
    Group,
    /// `host_vars/`
    Host,
}

impl VarsKind {
    fn dir_name(self) -> &'static str {
        match self {
            VarsKind::Group => "group_vars",
            VarsKind::Host => "host_vars",
        }
    }
}

/// Turns the text of a vault-encrypted file into plaintext (supplied by the vault area).
pub type VaultDecrypt = dyn Fn(&str, &Path) -> Result<String, Diagnostic> + Send + Sync;

/// Entry names of a vars directory → whether the entry is a directory.
type Listing = HashMap<String, bool>;

/// (vars directory, entity name).
type EntityKey = (PathBuf, String);

/// Loaded vars files, cached.
#[derive(Default)]
pub(crate) struct VarsDirs {
    listings: Mutex<HashMap<PathBuf, Option<Arc<Listing>>>>,
    loaded: Mutex<HashMap<EntityKey, Arc<Map<String, Value>>>>,
    warnings: Mutex<Vec<Diagnostic>>,
    pub(crate) vault: Option<Arc<VaultDecrypt>>,
}

impl std::fmt::Debug for VarsDirs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VarsDirs").finish_non_exhaustive()
    }
}

impl VarsDirs {
    /// An empty cache that decrypts vault files with `vault` when given.
    pub(crate) fn with_vault(vault: Option<Arc<VaultDecrypt>>) -> VarsDirs {
        VarsDirs {
            vault,
            ..VarsDirs::default()
        }
    }

    /// The variables for `name` from `<base>/<kind dir>`, merged by `behaviour`.
    pub(crate) fn vars_for(
        &self,
        base: &Path,
        kind: VarsKind,
        name: &str,
        behaviour: HashBehaviour,
    ) -> Result<Arc<Map<String, Value>>, Diagnostic> {
        let dir = base.join(kind.dir_name());
        let key = (dir.clone(), name.to_string());
        if let Some(found) = self
            .loaded
            .lock()
            .ok()
            .and_then(|cache| cache.get(&key).cloned())
        {
            return Ok(found);
        }
        let mut vars = Map::new();
        if kind == VarsKind::Host && name.starts_with('/') {
            // Ansible skips such hosts: the name would escape the directory.
        } else if let Some(listing) = self.listing(&dir) {
            let candidates = [
                name.to_string(),
                format!("{name}.yml"),
                format!("{name}.yaml"),
                format!("{name}.json"),
            ];
            if let Some((first, is_dir)) = candidates
                .iter()
                .find_map(|c| listing.get(c.as_str()).map(|d| (c, *d)))
            {
                let path = dir.join(first);
                let files = if is_dir {
                    let mut files = Vec::new();
                    collect_dir_files(&path, &mut files)?;
                    files
                } else {
                    vec![path]
                };
                for file in files {
                    if let Some(data) = self.load_vars_file(&file)? {
                        combine_owned(&mut vars, data, behaviour);
                    }
                }
            }
        }
        let vars = Arc::new(vars);
        if let Ok(mut cache) = self.loaded.lock() {
            cache.insert(key, vars.clone());
        }
        Ok(vars)
    }

    /// Warnings collected while loading (duplicate keys); drained.
    pub(crate) fn take_warnings(&self) -> Vec<Diagnostic> {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }

    fn listing(&self, dir: &Path) -> Option<Arc<Listing>> {
        if let Some(cached) = self.listings.lock().ok().and_then(|l| l.get(dir).cloned()) {
            return cached;
        }
        let names = std::fs::read_dir(dir).ok().map(|entries| {
            Arc::new(
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| {
                        // Symlinks are followed, as `os.path.isdir` does.
                        let is_dir = match e.file_type() {
                            Ok(t) if t.is_symlink() => e.path().is_dir(),
                            Ok(t) => t.is_dir(),
                            Err(_) => e.path().is_dir(),
                        };
                        (e.file_name().to_string_lossy().to_string(), is_dir)
                    })
                    .collect::<Listing>(),
            )
        });
        if let Ok(mut listings) = self.listings.lock() {
            listings.insert(dir.to_path_buf(), names.clone());
        }
        names
    }

    /// One vars file: a mapping (or nothing, for an empty file).
    fn load_vars_file(&self, path: &Path) -> Result<Option<Map<String, Value>>, Diagnostic> {
        let label = path.display().to_string();
        let mut text = std::fs::read_to_string(path)
            .map_err(|e| Diagnostic::error(format!("could not read vars file {label}: {e}")))?;
        if text.trim_start().starts_with("$ANSIBLE_VAULT;") {
            let Some(vault) = &self.vault else {
                return Err(Diagnostic::error(format!(
                    "Attempting to decrypt but no vault secrets found: {label} is vault-encrypted (pass --vault-password-file or --ask-vault-pass)"
                )));
            };
            text = vault(&text, path)?;
        }
        let loaded = crate::yaml::load_str_with_warnings(&text, &label)?;
        if let Ok(mut warnings) = self.warnings.lock() {
            warnings.extend(loaded.warnings);
        }
        match loaded.documents.as_slice() {
            [] => Ok(None),
            [doc] => match doc.to_json() {
                Value::Object(map) => Ok((!map.is_empty()).then_some(map)),
                Value::Null => Ok(None),
                other => Err(Diagnostic::in_source(
                    doc.span.clone(),
                    format!(
                        "vars file {label} must contain a mapping of variable names to values, found {}",
                        json_kind(&other)
                    ),
                    &text,
                )),
            },
            [_, second, ..] => Err(Diagnostic::in_source(
                second.span.clone(),
                format!("vars file {label} must contain a single YAML document"),
                &text,
            )),
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "a list",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        _ => "something else",
    }
}

/// Files of a vars directory in Ansible's order (sorted names, recursive).
fn collect_dir_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Diagnostic> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Diagnostic::error(format!(
            "could not read vars directory {}: {e}",
            dir.display()
        ))
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    for name in names {
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = dir.join(&name);
        let ext = extension(&name);
        if path.is_dir() {
            if ext.is_empty() {
                collect_dir_files(&path, out)?;
            }
        } else if path.is_file() && matches!(ext, "" | ".yml" | ".yaml" | ".json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Python's `os.path.splitext(name)[1]`: the last `.x`, ignoring leading dots.
fn extension(name: &str) -> &str {
    let trimmed = name.trim_start_matches('.');
    match trimmed.rfind('.') {
        Some(at) => &trimmed[at..],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn directory_beats_file_and_is_read_in_order() {
        let base = tempfile::tempdir().unwrap();
        let gv = base.path().join("group_vars");
        std::fs::create_dir_all(gv.join("web/sub")).unwrap();
        std::fs::write(gv.join("web.yml"), "ignored: true\n").unwrap();
        std::fs::write(gv.join("web/a.yml"), "x: a\ny: a\n").unwrap();
        std::fs::write(gv.join("web/b"), "x: b\n").unwrap();
        std::fs::write(gv.join("web/c.txt"), "x: c\n").unwrap();
        std::fs::write(gv.join("web/sub/z.json"), "{\"z\": 1}\n").unwrap();
        std::fs::write(gv.join("web/.hidden.yml"), "x: hidden\n").unwrap();
        std::fs::write(gv.join("db.yaml"), "").unwrap();
        let dirs = VarsDirs::default();
        let web = dirs
            .vars_for(base.path(), VarsKind::Group, "web", HashBehaviour::Replace)
            .unwrap();
        assert_eq!(
            Value::Object((*web).clone()),
            json!({"x": "b", "y": "a", "z": 1})
        );
        let db = dirs
            .vars_for(base.path(), VarsKind::Group, "db", HashBehaviour::Replace)
            .unwrap();
        assert!(db.is_empty());
        let none = dirs
            .vars_for(base.path(), VarsKind::Host, "h1", HashBehaviour::Replace)
            .unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn a_list_file_is_an_error_naming_it() {
        let base = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(base.path().join("host_vars")).unwrap();
        std::fs::write(base.path().join("host_vars/h1.yml"), "- a\n").unwrap();
        let e = VarsDirs::default()
            .vars_for(base.path(), VarsKind::Host, "h1", HashBehaviour::Replace)
            .unwrap_err();
        assert!(
            e.message.contains("h1.yml") && e.message.contains("a list"),
            "{e}"
        );
        assert_eq!(e.span.map(|s| s.line), Some(1));
    }
}
