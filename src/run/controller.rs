//! The controller side of a task, as modules see it ([`rplay_modules::Controller`]): finding
//! files with Ansible's role/playbook search order, rendering templates and evaluating
//! expressions with the task's variables.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rplay_modules::{Controller, Value};

use super::templating::{Ctx, Templating};

/// The controller for one host and task.
pub struct TaskController {
    /// The template engine.
    pub templating: Arc<Templating>,
    /// The task's template context.
    pub ctx: Ctx,
    /// Base directories searched, in order (role dir, parent roles, task file dir, playbook
    /// dir last).
    pub search_dirs: Vec<PathBuf>,
    /// Where background jobs keep their results files on the host (`async_dir`).
    pub async_dir: String,
}

impl TaskController {
    /// Candidate paths for `name` of `kind` (`files`, `templates`, `vars`, `tasks`), in
    /// Ansible's order and with its repetitions (they show in the "Searched in" message): for
    /// each directory `<dir>/<kind>/<name>` (unless `name` already starts with `<kind>/`) and
    /// `<dir>/<name>`; a directory inside a role's `tasks/` also tries the role's `<kind>/`.
    pub fn candidates(&self, kind: &str, name: &str) -> Vec<PathBuf> {
        let names_kind = name.split('/').next() == Some(kind);
        let mut out = Vec::new();
        let last = self.search_dirs.len().saturating_sub(1);
        for (i, dir) in self.search_dirs.iter().enumerate() {
            let parent = dir.parent().filter(|p| p.ends_with("tasks"));
            if let (Some(tasks), true) = (parent, i < last && looks_like_role(dir)) {
                if let Some(role) = tasks.parent() {
                    out.push(role.join(kind).join(name));
                }
                out.push(tasks.join(name));
            }
            if !names_kind {
                out.push(dir.join(kind).join(name));
            }
            out.push(dir.join(name));
        }
        out
    }
}

/// Ansible's guess whether a directory belongs to a role: it (or its parent) holds
/// `tasks/main` or `meta/main`, or it holds `main` itself.
fn looks_like_role(dir: &Path) -> bool {
    let mains = ["main.yml", "main.yaml", "main"];
    let parent = dir.parent().unwrap_or(dir);
    mains.iter().any(|m| {
        dir.join(m).exists()
            || [dir, parent]
                .iter()
                .any(|d| d.join("tasks").join(m).exists() || d.join("meta").join(m).exists())
    })
}

impl Controller for TaskController {
    fn async_dir(&self) -> String {
        self.async_dir.clone()
    }

    fn find_file(&self, kind: &str, name: &str) -> Result<PathBuf, String> {
        let p = Path::new(name);
        if p.is_absolute() {
            return if p.exists() {
                Ok(p.to_path_buf())
            } else {
                Err(format!(
                    "Could not find or access '{name}' on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option"
                ))
            };
        }
        let candidates = self.candidates(kind, name);
        for c in &candidates {
            if c.exists() {
                return Ok(c.clone());
            }
        }
        let searched: Vec<String> = candidates
            .iter()
            .map(|c| format!("\t{}", c.display()))
            .collect();
        Err(format!(
            "Could not find or access '{name}'\nSearched in:\n{} on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option",
            searched.join("\n")
        ))
    }

    fn render_template(&self, path: &Path) -> Result<String, String> {
        self.templating
            .render_file(path, &self.ctx, &self.search_dirs)
    }

    fn eval(&self, expr: &str) -> Result<Value, String> {
        self.templating.eval(expr, &self.ctx)
    }

    fn decrypt_vault(&self, text: &str) -> Result<String, String> {
        self.templating.reveal_vault(text)
    }

    fn load_vars(&self, path: &Path) -> Result<Value, String> {
        let node = crate::playbook::yaml_source::read_yaml(path).map_err(|e| e.to_string())?;
        match node.to_value() {
            Value::Null => Ok(Value::Object(Default::default())),
            v @ Value::Object(_) => Ok(v),
            _ => Err(format!(
                "{} must be stored as a dictionary/hash",
                path.display()
            )),
        }
    }
}
