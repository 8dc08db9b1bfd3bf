//! The loader: reads playbook files, plays, task files and roles from disk into the typed
//! structures, resolving static imports and role search paths. It is also what the runner asks
//! for files of dynamic includes (`include_tasks`, `include_role`) at run time.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rplay_modules::registry::LibraryRank;
use serde_json::{Map, Value};

use super::block::{self, Item};
use super::error::Error;
use super::keywords;
use super::node::{Node, Origin};
use super::play::{Play, Playbook};
use super::role::{RoleRef, RoleScope};
use super::task::{self, Inherit, Task};
use super::yaml_source;

/// What a play collects while its sections are parsed: roles and handlers.
#[derive(Debug, Default)]
pub struct PlayParts {
    /// Roles in load order.
    pub roles: Vec<Arc<RoleScope>>,
    /// Handlers of roles (play handlers are added last).
    pub handlers: Vec<Arc<Task>>,
    /// Roles already placed by `roles:` and dependencies (de-duplication).
    pub seen: HashSet<String>,
}

/// A role brought in at run time by `include_role`.
#[derive(Debug, Clone)]
pub struct IncludedRole {
    /// The role's scope (and those of its dependencies).
    pub roles: Vec<Arc<RoleScope>>,
    /// Its tasks (dependencies first).
    pub items: Vec<Item>,
    /// Its handlers.
    pub handlers: Vec<Arc<Task>>,
}

/// Reads playbooks, task files and roles.
#[derive(Clone)]
pub struct Loader {
    /// Directory of the playbook being loaded.
    pub playbook_dir: PathBuf,
    /// `roles_path` entries.
    pub roles_path: Vec<PathBuf>,
    /// Extra vars (used in static import names and play `hosts`).
    pub extra_vars: Map<String, Value>,
    /// Decrypts vault-encrypted files (vars files, task files), when secrets were given.
    pub decrypt: Option<Arc<crate::inventory::VaultDecrypt>>,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("playbook_dir", &self.playbook_dir)
            .field("roles_path", &self.roles_path)
            .finish_non_exhaustive()
    }
}

impl Loader {
    /// A loader for the playbook at `path`.
    pub fn new(path: &Path, roles_path: Vec<PathBuf>, extra_vars: Map<String, Value>) -> Self {
        let abs = absolute(path);
        Loader {
            playbook_dir: abs.parent().map(Path::to_path_buf).unwrap_or_default(),
            roles_path,
            extra_vars,
            decrypt: None,
        }
    }

    /// Reads a YAML file.
    pub fn read_yaml(&self, path: &Path) -> Result<Node, Error> {
        let Some(decrypt) = &self.decrypt else {
            let head = std::fs::read(path).unwrap_or_default();
            if head.trim_ascii_start().starts_with(b"$ANSIBLE_VAULT") {
                return Err(Error::Yaml {
                    message: "Attempting to decrypt but no vault secrets found".into(),
                    origin: None,
                });
            }
            return yaml_source::read_yaml(path);
        };
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = decrypt(&text, path).map_err(|d| Error::Yaml {
            message: d.message,
            origin: None,
        })?;
        yaml_source::parse_yaml(&text, path)
    }

    /// Replaces `{{ name }}` references to extra vars or the given vars in names of static
    /// imports; anything else is left as written.
    pub fn static_template(&self, text: &str, vars: &Map<String, Value>) -> String {
        let mut out = text.to_string();
        while let Some(start) = out.find("{{") {
            let Some(end) = out[start..].find("}}") else {
                break;
            };
            let name = out[start + 2..start + end].trim().to_string();
            let value = self.extra_vars.get(&name).or_else(|| vars.get(&name));
            match value {
                Some(v) => {
                    let text = rplay_modules::spec::value_to_string(v);
                    out.replace_range(start..start + end + 2, &text);
                }
                None => break,
            }
        }
        out
    }

    /// Loads a playbook file and the playbooks it imports.
    pub fn load_playbook(&self, path: &Path) -> Result<Playbook, Error> {
        let abs = absolute(path);
        let mut plays = Vec::new();
        self.load_plays_into(&abs, &Inherit::default(), &mut plays)?;
        Ok(Playbook { path: abs, plays })
    }

    fn load_plays_into(
        &self,
        path: &Path,
        inherit: &Inherit,
        plays: &mut Vec<Arc<Play>>,
    ) -> Result<(), Error> {
        if let Some(dir) = path.parent() {
            rplay_modules::registry::add_library_dir(&dir.join("library"), LibraryRank::Project);
        }
        let tree = self.read_yaml(path)?;
        let entries = match &tree {
            Node::Seq(items, _) => items.clone(),
            Node::Leaf(Value::Null, _) => Vec::new(),
            other => {
                return Err(Error::syntax(
                    "A playbook must be a list of plays",
                    other.origin(),
                ))
            }
        };
        for entry in &entries {
            let Some(map) = entry.as_map() else {
                return Err(Error::syntax(
                    format!("A play must be a dictionary, got a {}", entry.type_name()),
                    entry.origin(),
                ));
            };
            if let Some(target) = entry
                .get("import_playbook")
                .or_else(|| entry.get("ansible.builtin.import_playbook"))
            {
                let name = target.as_str().ok_or_else(|| {
                    Error::syntax("import_playbook needs a file name", target.origin())
                })?;
                let name = self.static_template(name, &Map::new());
                let base = path.parent().unwrap_or(Path::new("."));
                let file = base.join(&name);
                if !file.is_file() {
                    return Err(Error::FileNotFound {
                        name,
                        searched: format!("\t{}", file.display()),
                        origin: Some(target.origin().clone()),
                    });
                }
                let ctx = task::fold_keywords(inherit, map, &["import_playbook"])?;
                self.load_plays_into(&file, &ctx, plays)?;
                continue;
            }
            plays.push(Arc::new(self.load_play(entry, inherit)?));
        }
        Ok(())
    }

    fn load_play(&self, node: &Node, inherit: &Inherit) -> Result<Play, Error> {
        let entries = node.as_map().unwrap_or(&[]);
        for (k, _) in entries {
            let key = k.name.as_str();
            if !keywords::INHERITED.contains(&key) && !keywords::PLAY.contains(&key) {
                let hint = keywords::suggest(
                    key,
                    keywords::INHERITED
                        .iter()
                        .chain(keywords::PLAY.iter())
                        .copied(),
                )
                .map(|s| format!(" Did you mean '{s}'?"))
                .unwrap_or_default();
                return Err(Error::syntax(
                    format!("'{key}' is not a valid attribute for a Play.{hint}"),
                    &k.origin,
                ));
            }
        }
        reject_unsupported_play_keywords(node)?;
        let hosts = node.get("hosts").ok_or_else(|| {
            Error::syntax(
                "the field 'hosts' is required but was not set",
                node.origin(),
            )
        })?;
        let mut ctx = task::fold_keywords(inherit, entries, &["vars"])?;
        ctx.dir = self.playbook_dir.clone();
        let play_vars = match node.get("vars") {
            Some(v) => task::vars_map(v)?,
            None => Map::new(),
        };
        let mut keywords_map = ctx.keywords.clone();
        for (k, v) in entries {
            if keywords::PLAY.contains(&k.name.as_str()) {
                keywords_map.insert(k.name.clone(), v.to_value());
            }
        }
        let vars_prompt = match node.get("vars_prompt") {
            Some(n) => super::vars_prompt::parse(n)?,
            None => Vec::new(),
        };
        let vars_files = match node.get("vars_files").map(Node::to_value) {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => Vec::new(),
            Some(other) => vec![other],
        };
        let mut parts = PlayParts::default();
        let section = |name: &str, parts: &mut PlayParts| -> Result<Vec<Item>, Error> {
            match node.get(name) {
                Some(n) => block::parse_items(n, &ctx, self, parts, false),
                None => Ok(Vec::new()),
            }
        };
        let pre_tasks = section("pre_tasks", &mut parts)?;
        let mut tasks = Vec::new();
        if let Some(roles) = node.get("roles") {
            let list = roles.as_seq().unwrap_or(&[]);
            for r in list {
                let rref = RoleRef::parse(r)?;
                tasks.extend(self.expand_role(&rref, &ctx, &mut parts, true, true, &[])?);
            }
        }
        tasks.extend(section("tasks", &mut parts)?);
        let post_tasks = section("post_tasks", &mut parts)?;
        let mut handlers = std::mem::take(&mut parts.handlers);
        if let Some(h) = node.get("handlers") {
            let items = block::parse_items(h, &ctx, self, &mut parts, true)?;
            block::for_each_task(&items, &mut |t| handlers.push(t.clone()));
            handlers.extend(std::mem::take(&mut parts.handlers));
        }
        Ok(Play {
            name: node.get("name").and_then(|n| match n.to_value() {
                Value::String(s) => Some(s),
                Value::Null => None,
                other => Some(rplay_modules::spec::value_to_string(&other)),
            }),
            hosts: hosts.to_value(),
            origin: node.origin().clone(),
            vars: play_vars,
            var_origins: node
                .get("vars")
                .and_then(Node::as_map)
                .map(|entries| {
                    entries
                        .iter()
                        .map(|(k, v)| (k.name.clone(), v.origin().clone()))
                        .collect()
                })
                .unwrap_or_default(),
            vars_files,
            vars_prompt,
            module_defaults: ctx.module_defaults.clone(),
            keywords: keywords_map,
            tags: ctx.tags.clone(),
            pre_tasks,
            tasks,
            post_tasks,
            handlers,
            roles: parts.roles,
            placed_roles: parts.seen,
            playbook_dir: self.playbook_dir.clone(),
        })
    }

    /// Finds a role directory by name or path.
    pub fn find_role(
        &self,
        name: &str,
        parents: &[PathBuf],
        origin: &Origin,
    ) -> Result<PathBuf, Error> {
        let mut candidates = vec![self.playbook_dir.join("roles").join(name)];
        candidates.extend(self.roles_path.iter().map(|p| p.join(name)));
        for p in parents {
            if let Some(parent_dir) = p.parent() {
                candidates.push(parent_dir.join(name));
            }
        }
        candidates.push(self.playbook_dir.join(name));
        let as_path = Path::new(name);
        if as_path.is_absolute() {
            candidates.push(as_path.to_path_buf());
        }
        for c in &candidates {
            if c.is_dir() {
                return Ok(absolute(c));
            }
        }
        Err(Error::RoleNotFound {
            name: name.to_string(),
            searched: candidates
                .iter()
                .map(|c| c.parent().unwrap_or(c).display().to_string())
                .collect::<Vec<_>>()
                .join(":"),
            origin: origin.clone(),
        })
    }

    fn role_file(dir: &Path, base: &str) -> Option<PathBuf> {
        for ext in ["yml", "yaml", "json"] {
            let p = dir.join(format!("{base}.{ext}"));
            if p.is_file() {
                return Some(p);
            }
        }
        let p = dir.join(base);
        p.is_file().then_some(p)
    }

    fn role_vars(&self, dir: &Path, base: &str) -> Result<Map<String, Value>, Error> {
        let Some(file) = Self::role_file(dir, base) else {
            return Ok(Map::new());
        };
        let tree = self.read_yaml(&file)?;
        match tree.to_value() {
            Value::Object(m) => Ok(m),
            Value::Null => Ok(Map::new()),
            _ => Err(Error::syntax(
                format!("{} must contain a dictionary of variables", file.display()),
                tree.origin(),
            )),
        }
    }

    /// Places a role (dependencies first) into a task list, collecting its scope and handlers.
    /// `dedup` applies the once-per-play rule of `roles:` and dependencies.
    pub fn expand_role(
        &self,
        rref: &RoleRef,
        inherit: &Inherit,
        parts: &mut PlayParts,
        dedup: bool,
        public: bool,
        parents: &[PathBuf],
    ) -> Result<Vec<Item>, Error> {
        let path = self.find_role(&rref.name, parents, &rref.origin)?;
        let meta = match Self::role_file(&path.join("meta"), "main") {
            Some(f) => self.read_yaml(&f)?,
            None => Node::Leaf(Value::Null, rref.origin.clone()),
        };
        let allow_duplicates = matches!(
            meta.get("allow_duplicates").map(Node::to_value),
            Some(Value::Bool(true))
        );
        let key = rref.dedup_key(&path);
        let duplicate = dedup && !allow_duplicates && parts.seen.contains(&key);
        parts.seen.insert(key);
        let mut ctx = task::fold_keywords(inherit, &rref.keyword_node, &[])?;
        let mut chain = vec![path.clone()];
        chain.extend(parents.iter().cloned());
        let mut items = Vec::new();
        if let Some(deps) = meta.get("dependencies").and_then(Node::as_seq) {
            for d in deps {
                let dref = RoleRef::parse(d)?;
                items.extend(self.expand_role(&dref, &ctx, parts, true, public, &chain)?);
            }
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| rref.name.clone());
        let scope = Arc::new(RoleScope {
            name,
            path: path.clone(),
            defaults: self.role_vars(
                &path.join("defaults"),
                rref.defaults_from.as_deref().unwrap_or("main"),
            )?,
            vars: self.role_vars(
                &path.join("vars"),
                rref.vars_from.as_deref().unwrap_or("main"),
            )?,
            params: rref.params.clone(),
            entry_vars: rref.vars.clone(),
            parent_paths: parents.to_vec(),
            public,
        });
        parts.roles.push(scope.clone());
        rplay_modules::registry::add_library_dir(&path.join("library"), LibraryRank::Project);
        if duplicate {
            // A role that already ran in this play still counts for variable precedence.
            return Ok(Vec::new());
        }
        ctx.role = Some(scope.clone());
        ctx.dir = path.join("tasks");
        let tasks_from = rref.tasks_from.as_deref().unwrap_or("main");
        if let Some(file) = Self::role_file(&path.join("tasks"), tasks_from) {
            let tree = self.read_yaml(&file)?;
            ctx.dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            items.extend(block::parse_items(&tree, &ctx, self, parts, false)?);
        } else if rref.tasks_from.is_some() {
            return Err(Error::FileNotFound {
                name: format!("tasks/{tasks_from}"),
                searched: format!("\t{}", path.join("tasks").display()),
                origin: Some(rref.origin.clone()),
            });
        }
        let handlers_from = rref.handlers_from.as_deref().unwrap_or("main");
        if let Some(file) = Self::role_file(&path.join("handlers"), handlers_from) {
            let tree = self.read_yaml(&file)?;
            let mut hctx = ctx.clone();
            hctx.dir = path.join("handlers");
            hctx.when.clear();
            let hs = block::parse_items(&tree, &hctx, self, parts, true)?;
            block::for_each_task(&hs, &mut |t| parts.handlers.push(t.clone()));
        }
        Ok(items)
    }

    /// Loads the role of an `import_role` / `include_role` task.
    pub fn load_role_from_task(
        &self,
        task: &Task,
        inherit: &Inherit,
        parts: &mut PlayParts,
        dynamic: bool,
    ) -> Result<Vec<Item>, Error> {
        let s = |k: &str| task.args.get(k).and_then(Value::as_str).map(str::to_string);
        let name = s("name").or_else(|| s("role")).ok_or_else(|| {
            Error::syntax(
                "'name' is a required field for import_role/include_role",
                &task.origin,
            )
        })?;
        let public = !dynamic
            || task
                .args
                .get("public")
                .and_then(rplay_modules::spec::parse_bool)
                .unwrap_or(false);
        let rref = RoleRef {
            name,
            params: Map::new(),
            vars: Map::new(),
            keyword_node: Vec::new(),
            tasks_from: s("tasks_from"),
            vars_from: s("vars_from"),
            defaults_from: s("defaults_from"),
            handlers_from: s("handlers_from"),
            origin: task.origin.clone(),
        };
        let parents: Vec<PathBuf> = inherit.role.iter().map(|r| r.path.clone()).collect();
        self.expand_role(&rref, inherit, parts, false, public, &parents)
    }

    /// Loads a role for `include_role` at run time. `placed` holds the de-duplication keys of the
    /// roles the play has already placed; the included role's dependencies add to it.
    pub fn include_role(
        &self,
        task: &Task,
        inherit: &Inherit,
        placed: &mut HashSet<String>,
    ) -> Result<IncludedRole, Error> {
        let mut parts = PlayParts {
            seen: std::mem::take(placed),
            ..PlayParts::default()
        };
        let items = self.load_role_from_task(task, inherit, &mut parts, true);
        *placed = std::mem::take(&mut parts.seen);
        let items = items?;
        Ok(IncludedRole {
            roles: parts.roles,
            items,
            handlers: parts.handlers,
        })
    }

    /// Finds a task file for `import_tasks` / `include_tasks`: relative to the including file,
    /// then the role's `tasks/`, then the playbook directory.
    pub fn find_task_file(
        &self,
        name: &str,
        inherit: &Inherit,
        origin: &Origin,
    ) -> Result<PathBuf, Error> {
        let p = Path::new(name);
        if p.is_absolute() && p.is_file() {
            return Ok(p.to_path_buf());
        }
        let mut candidates = Vec::new();
        if !inherit.dir.as_os_str().is_empty() {
            candidates.push(inherit.dir.join(name));
        }
        if let Some(r) = &inherit.role {
            candidates.push(r.path.join("tasks").join(name));
            candidates.push(r.path.join(name));
        }
        candidates.push(self.playbook_dir.join(name));
        candidates.push(self.playbook_dir.join("tasks").join(name));
        for c in &candidates {
            if c.is_file() {
                // Inside a role Ansible joins the role's path and the name without folding `..`.
                let keep_as_joined = inherit.role.is_some() && c.is_absolute();
                return Ok(if keep_as_joined {
                    c.clone()
                } else {
                    absolute(c)
                });
            }
        }
        Err(Error::FileNotFound {
            name: name.to_string(),
            searched: candidates
                .iter()
                .map(|c| format!("\t{}", c.display()))
                .collect::<Vec<_>>()
                .join("\n"),
            origin: Some(origin.clone()),
        })
    }

    /// Loads a task file for `include_tasks` at run time.
    pub fn include_tasks(&self, path: &Path, inherit: &Inherit) -> Result<IncludedRole, Error> {
        let tree = self.read_yaml(path)?;
        let mut parts = PlayParts::default();
        let mut ctx = inherit.clone();
        ctx.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let items = block::parse_items(&tree, &ctx, self, &mut parts, false)?;
        Ok(IncludedRole {
            roles: parts.roles,
            items,
            handlers: parts.handlers,
        })
    }

    /// Reads a vars file (`vars_files`, `include_vars`).
    pub fn read_vars_file(&self, path: &Path) -> Result<Map<String, Value>, Error> {
        self.read_vars_file_with_origins(path).map(|(vars, _)| vars)
    }

    /// Like [`read_vars_file`](Self::read_vars_file), with where each variable's value was
    /// written (2.19 names it in error messages).
    pub fn read_vars_file_with_origins(
        &self,
        path: &Path,
    ) -> Result<(Map<String, Value>, BTreeMap<String, Origin>), Error> {
        let tree = self.read_yaml(path)?;
        let origins = tree
            .as_map()
            .map(|entries| {
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.origin().clone()))
                    .collect()
            })
            .unwrap_or_default();
        let vars = match tree.to_value() {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            _ => {
                return Err(Error::syntax(
                    format!("{} must be a dictionary of variables", path.display()),
                    tree.origin(),
                ))
            }
        };
        Ok((vars, origins))
    }
}

/// `path` made absolute against the current directory with `.` and `..` folded away, without
/// resolving links: Python's `os.path.abspath`, which is how Ansible shows playbook paths.
pub fn absolute(path: &Path) -> PathBuf {
    use std::path::Component;
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Play keywords rplay does not implement yet are load errors, never silently ignored.
/// `strategy: free` runs in `run/strategy_free.rs`.
fn reject_unsupported_play_keywords(node: &Node) -> Result<(), Error> {
    if let Some(strategy) = node.get("strategy") {
        match strategy.to_value() {
            Value::String(s) if s == "linear" || s == "free" || s.contains("{{") => {}
            other => {
                let name = match other {
                    Value::String(s) => s,
                    v => v.to_string(),
                };
                return Err(Error::syntax(
                    format!("rplay supports the strategies 'linear' and 'free', not '{name}'"),
                    strategy.origin(),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Playbook, Error> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("play.yml");
        std::fs::write(&path, text).expect("write playbook");
        Loader::new(&path, Vec::new(), Map::new()).load_playbook(&path)
    }

    fn error_of(text: &str) -> (String, String) {
        match load(text) {
            Ok(_) => (String::new(), String::new()),
            Err(e) => (
                e.to_string(),
                e.origin().map(|o| format!("{o:?}")).unwrap_or_default(),
            ),
        }
    }

    #[test]
    fn unsupported_keywords_are_load_errors_with_a_location() {
        let (msg, origin) =
            error_of("- hosts: all\n  vars_prompt:\n    - name: x\n      bogus: x?\n  tasks: []\n");
        assert!(
            msg.contains("unsupported key 'bogus'") && origin.contains("play.yml"),
            "{msg} {origin}"
        );
        let (msg, _) = error_of("- hosts: all\n  vars_prompt:\n    - prompt: x\n  tasks: []\n");
        assert!(msg.contains("missing 'name' key"), "{msg}");
        let (msg, _) = error_of(
            "- hosts: all\n  tasks:\n    - module_defaults:\n        nosuch: {mode: '0600'}\n      file: path=/tmp/x\n",
        );
        assert!(
            msg.contains("ansible.legacy.nosuch in module_defaults"),
            "{msg}"
        );
        let (msg, _) = error_of("- hosts: all\n  strategy: host_pinned\n  tasks: []\n");
        assert!(msg.contains("host_pinned"), "{msg}");
    }

    #[test]
    fn absolute_folds_dot_and_dot_dot_like_abspath() {
        assert_eq!(
            absolute(Path::new("/a/b/../c/./d.yml")),
            PathBuf::from("/a/c/d.yml")
        );
        assert_eq!(absolute(Path::new("/../x")), PathBuf::from("/x"));
    }

    #[test]
    fn free_strategy_and_async_load() {
        let text = "- hosts: all\n  strategy: free\n  tasks:\n    - command: sleep 1\n      async: 10\n      poll: 2\n";
        assert!(load(text).is_ok());
        let text =
            "- hosts: all\n  tasks:\n    - command: sleep 9\n      async: 10\n      poll: 0\n";
        assert!(load(text).is_ok());
    }
}
