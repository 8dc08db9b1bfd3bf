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
    /// Base directories searched, in order (role dir, parent roles, playbook dir).
    pub search_dirs: Vec<PathBuf>,
    /// Directory of the task's file.
    pub task_dir: PathBuf,
}

impl TaskController {
    /// Candidate paths for `name` of `kind` (`files`, `templates`, `vars`, `tasks`).
    pub fn candidates(&self, kind: &str, name: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for base in &self.search_dirs {
            out.push(base.join(kind).join(name));
            out.push(base.join(name));
            out.push(base.join("tasks").join(kind).join(name));
            out.push(base.join("tasks").join(name));
        }
        out.push(self.task_dir.join(kind).join(name));
        out.push(self.task_dir.join(name));
        out.dedup();
        out
    }
}

impl Controller for TaskController {
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
