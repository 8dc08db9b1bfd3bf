//! Turning `-i` values into inventory data, as Ansible's `InventoryManager.parse_source` and
//! its plugins do: a host list (`a,b,`: contains a comma and is not a path), a directory
//! (entries in sorted order, recursively, skipping hidden names, `group_vars`, `host_vars`,
//! `vars_plugins` and ignored extensions), or a file offered to the formats in Ansible's
//! plugin order: script (executable or `#!`), YAML (`.yml`/`.yaml`/`.json` or no extension),
//! INI (anything).
//!
//! rplay is stricter than Ansible about broken files: a file given with `-i` that no format
//! can read is an error with the most specific location; inside a directory it is a warning
//! (as in Ansible), so stray files such as a README do not break the inventory.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::data::InventoryData;
use super::range::parse_address;
use super::yaml_source::Rejected;
use super::{ini, script, yaml_source};
use crate::config::Settings;
use crate::diag::Diagnostic;

/// What one `-i` value turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceKind {
    /// `host1,host2,`
    HostList,
    /// A directory of inventory files.
    Directory,
    /// One inventory file (INI, YAML or script).
    File,
    /// Nothing exists at that path.
    Missing,
}

/// Where group_vars/ and host_vars/ are looked up for a source: the directory itself, or the
/// file's directory. Host lists have none.
pub(crate) fn vars_base(source: &str, kind: &SourceKind) -> Option<PathBuf> {
    match kind {
        SourceKind::HostList => None,
        SourceKind::Directory => Some(PathBuf::from(source)),
        SourceKind::File | SourceKind::Missing => Path::new(source).parent().map(Path::to_path_buf),
    }
}

/// Classifies a `-i` value and makes paths absolute (Ansible's `unfrackpath`).
pub(crate) fn classify(source: &str) -> (String, SourceKind) {
    let path = Path::new(source);
    if source.contains(',') && !path.exists() {
        return (source.to_string(), SourceKind::HostList);
    }
    let absolute = std::path::absolute(path)
        .map(|p| normalize(&p))
        .unwrap_or_else(|_| path.to_path_buf());
    let text = absolute.to_string_lossy().to_string();
    let kind = if absolute.is_dir() {
        SourceKind::Directory
    } else if absolute.exists() {
        SourceKind::File
    } else {
        SourceKind::Missing
    };
    (text, kind)
}

/// Removes `.` and `..` components without following symlinks.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Loads one classified source into `data`. Returns false when nothing could be parsed (a
/// missing path), after adding a warning.
pub(crate) fn load(
    source: &str,
    kind: &SourceKind,
    settings: &Settings,
    data: &mut InventoryData,
    warnings: &mut Vec<Diagnostic>,
) -> Result<bool, Diagnostic> {
    match kind {
        SourceKind::HostList => {
            data.current_source = Some(source.to_string());
            for item in source.split(',').map(str::trim).filter(|h| !h.is_empty()) {
                let (host, port) = match parse_address(item) {
                    Some((host, port)) if !host.contains('[') => (host, port),
                    _ => (item.to_string(), None),
                };
                if !data.hosts.contains_key(&host) {
                    data.add_host(&host, Some("ungrouped"), port)
                        .map_err(Diagnostic::error)?;
                }
            }
            Ok(true)
        }
        SourceKind::Missing => {
            warnings.push(
                Diagnostic::error(format!("Unable to parse {source} as an inventory source"))
                    .into_warning(),
            );
            Ok(false)
        }
        SourceKind::Directory => {
            load_directory(Path::new(source), settings, data, warnings)?;
            Ok(true)
        }
        SourceKind::File => {
            load_file(Path::new(source), settings, data, warnings)?;
            Ok(true)
        }
    }
}

fn load_directory(
    dir: &Path,
    settings: &Settings,
    data: &mut InventoryData,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Diagnostic::error(format!(
            "could not read inventory directory {}: {e}",
            dir.display()
        ))
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let ignore_patterns: Vec<regex::Regex> = settings
        .inventory_ignore_patterns
        .iter()
        .filter_map(|p| regex::Regex::new(p).ok())
        .collect();
    for name in names {
        let ignored = name.starts_with('.')
            || matches!(name.as_str(), "host_vars" | "group_vars" | "vars_plugins")
            || settings
                .inventory_ignore_extensions
                .iter()
                .any(|ext| name.ends_with(ext.as_str()))
            || ignore_patterns.iter().any(|p| p.is_match(&name));
        if ignored {
            continue;
        }
        let path = dir.join(&name);
        if path.is_dir() {
            load_directory(&path, settings, data, warnings)?;
        } else if let Err(problem) = load_file(&path, settings, data, warnings) {
            if settings.inventory_unparsed_is_failed {
                return Err(problem);
            }
            warnings.push(problem.into_warning().with_note(format!(
                "Unable to parse {} as an inventory source",
                path.display()
            )));
        }
    }
    Ok(())
}

fn load_file(
    path: &Path,
    settings: &Settings,
    data: &mut InventoryData,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    let label = path.display().to_string();
    data.current_source = Some(label.clone());
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::error(format!("could not read inventory {label}: {e}")))?;
    let shebang = bytes.starts_with(b"#!");
    let executable = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false);
    if shebang || executable {
        // The script loader changes nothing until the script ran and printed a JSON object,
        // so a failed attempt on a non-script leaves no partial data.
        let timeout = Duration::from_secs(settings.inventory_script_timeout);
        match script::load(path, timeout, data, warnings) {
            Ok(()) => return Ok(()),
            Err(problem) if shebang => return Err(problem),
            Err(_) => {}
        }
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Diagnostic::error(format!("inventory {label} is not UTF-8 text")))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let yaml_ext = matches!(ext, "yml" | "yaml" | "json");
    if yaml_ext || ext.is_empty() {
        // `NotYamlInventory` is decided before anything is added to `data`.
        match yaml_source::parse(&text, &label, data, warnings) {
            Ok(()) => return Ok(()),
            Err(Rejected::Invalid(problem)) => return Err(problem),
            Err(Rejected::NotYamlInventory(problem)) if yaml_ext => return Err(problem),
            Err(Rejected::NotYamlInventory(_)) => {}
        }
    }
    ini::parse(&text, path, data, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify("a,b,").1, SourceKind::HostList);
        assert_eq!(classify("localhost,").1, SourceKind::HostList);
        assert_eq!(classify("/no/such/file").1, SourceKind::Missing);
        assert_eq!(classify("/tmp").1, SourceKind::Directory);
        assert_eq!(classify("/a/./b/../c").0, "/a/c");
    }
}
