//! Template files (TPL-08): the `template` module and `template` lookup.
//!
//! A file may start with a `#jinja2:` header overriding whitespace settings
//! (`#jinja2: trim_blocks: False, lstrip_blocks: True`). Rendering adds `ansible_managed` and the
//! `template_*` variables, and resolves `{% include %}`/`{% import %}` names in the template's own
//! directory, then along the search path the engine gives.

use std::path::{Path, PathBuf};

use minijinja::value::Value;

use super::error::{TemplateError, TemplateErrorKind};
use super::templar::Templar;

/// Whitespace settings from a `#jinja2:` header.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct HeaderSettings {
    pub(crate) trim_blocks: Option<bool>,
    pub(crate) lstrip_blocks: Option<bool>,
}

/// Splits a leading `#jinja2:` header line from the template body.
pub(crate) fn split_header(text: &str) -> (HeaderSettings, &str) {
    let mut settings = HeaderSettings::default();
    let Some(rest) = text.strip_prefix("#jinja2:") else {
        return (settings, text);
    };
    let (line, body) = match rest.find('\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    for part in line.split(',') {
        let Some((key, value)) = part.split_once(':') else {
            continue;
        };
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        let flag = matches!(value.to_ascii_lowercase().as_str(), "true" | "yes" | "1");
        match key.trim() {
            "trim_blocks" => settings.trim_blocks = Some(flag),
            "lstrip_blocks" => settings.lstrip_blocks = Some(flag),
            _ => {}
        }
    }
    (settings, body)
}

/// What the engine knows about a template file being rendered.
#[derive(Debug, Clone, Default)]
pub struct TemplateFileInfo {
    /// Directories searched for `{% include %}`/`{% import %}` names after the template's own
    /// directory (role `templates/`, playbook `templates/`...).
    pub search_paths: Vec<PathBuf>,
    /// The destination path on the host (`template_destpath`), when known.
    pub dest: Option<String>,
    /// The `src` as written in the task (`template_path`); the file path when empty.
    pub src: Option<String>,
    /// Module-level `trim_blocks` (default true).
    pub trim_blocks: Option<bool>,
    /// Module-level `lstrip_blocks` (default false).
    pub lstrip_blocks: Option<bool>,
}

impl Templar {
    /// Renders the template file at `path` with the variables in `ctx` plus `ansible_managed` and
    /// the `template_*` variables. Returns the rendered text.
    pub fn render_file(
        &self,
        path: &Path,
        ctx: &Value,
        info: &TemplateFileInfo,
    ) -> Result<String, TemplateError> {
        let source = std::fs::read_to_string(path).map_err(|e| {
            TemplateError::new(
                TemplateErrorKind::Render,
                format!("Could not read template '{}': {e}", path.display()),
            )
        })?;
        // A vault-encrypted template is decrypted on the controller first, as Ansible does.
        let source = if source.starts_with("$ANSIBLE_VAULT;") {
            self.reveal_vault(&source)
                .map_err(|e| TemplateError::new(TemplateErrorKind::Render, e))?
        } else {
            source
        };
        let unqualified = super::templar::strip_collection_prefixes(&source);
        let (header, body) = split_header(unqualified.as_ref());
        let trim = header.trim_blocks.or(info.trim_blocks).unwrap_or(true);
        let lstrip = header.lstrip_blocks.or(info.lstrip_blocks).unwrap_or(false);
        let mut env = self.env_with(trim, lstrip).clone();

        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some(parent) = path.parent() {
            dirs.push(parent.to_path_buf());
        }
        dirs.extend(info.search_paths.iter().cloned());
        env.set_loader(move |name| {
            for dir in &dirs {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return std::fs::read_to_string(&candidate).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::TemplateNotFound,
                            format!("could not read {}: {e}", candidate.display()),
                        )
                    });
                }
            }
            Ok(None)
        });

        let fullpath = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let meta = std::fs::metadata(path).ok();
        let mtime = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let template_vars = minijinja::context! {
            ansible_managed => self.options().ansible_managed.clone(),
            template_host => controller_hostname(),
            template_path => info.src.clone().unwrap_or_else(|| path.display().to_string()),
            template_fullpath => fullpath.display().to_string(),
            template_mtime => mtime,
            template_uid => file_owner_name(meta.as_ref()),
            template_destpath => info.dest.clone(),
            template_run_date => run_date(),
        };
        let full_ctx = minijinja::context! { ..template_vars, ..ctx.clone() };
        let name = path.display().to_string();
        let tmpl = env
            .template_from_named_str(&name, body)
            .map_err(|e| TemplateError::from_minijinja(&e, body))?;
        tmpl.render(full_ctx.clone())
            .map_err(|e| {
                self.explain_template(TemplateError::from_minijinja(&e, body), body, &full_ctx)
            })
            .map(|s| super::templar::restore_trailing_newlines(body, s))
            .map(|s| {
                if s.contains(self.omit()) {
                    s.replace(self.omit(), "")
                } else {
                    s
                }
            })
    }
}

fn controller_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".to_string())
}

fn file_owner_name(meta: Option<&std::fs::Metadata>) -> String {
    use std::os::unix::fs::MetadataExt;
    let Some(uid) = meta.map(|m| m.uid()) else {
        return String::new();
    };
    if let Ok(passwd) = std::fs::read_to_string("/etc/passwd") {
        for line in passwd.lines() {
            let mut f = line.split(':');
            let (Some(name), _, Some(id)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            if id == uid.to_string() {
                return name.to_string();
            }
        }
    }
    uid.to_string()
}

fn run_date() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    super::filters::format_utc_datetime(secs as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_overrides_whitespace_settings() {
        let (h, body) = split_header("#jinja2: trim_blocks: False, lstrip_blocks: True\nbody");
        assert_eq!(h.trim_blocks, Some(false));
        assert_eq!(h.lstrip_blocks, Some(true));
        assert_eq!(body, "body");
        let (h, body) = split_header("no header");
        assert!(h.trim_blocks.is_none());
        assert_eq!(body, "no header");
    }
}
