//! The one place where module names (short and fully qualified) map to modules. Nothing else in
//! rplay matches on a module name. Built-ins are fixed; the project's own modules join when the
//! loader meets a library directory ([`add_library_dir`]).

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use crate::builtin;
use crate::custom::CustomModule;
use crate::Module;

/// Library directories met so far (each is read once) and their modules with their directory's
/// [`LibraryRank`]. As in Ansible's module search path, a name is taken by the best-ranked
/// directory holding it, and among equals by the first one met.
struct Library {
    dirs: Vec<PathBuf>,
    modules: Vec<(LibraryRank, &'static CustomModule)>,
}

/// Where a library directory comes from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LibraryRank {
    /// `library/` beside a playbook or in a role.
    Project,
    /// The `library` setting (ansible.cfg, `ANSIBLE_LIBRARY`) and its defaults.
    Configured,
}

static LIBRARY: RwLock<Library> = RwLock::new(Library {
    dirs: Vec::new(),
    modules: Vec::new(),
});

/// Every built-in module.
pub fn all() -> Vec<&'static dyn Module> {
    vec![
        // files and commands (modfiles)
        &builtin::command::CommandModule,
        &builtin::shell::ShellModule,
        &builtin::raw::RawModule,
        &builtin::file::FileModule,
        &builtin::copy::CopyModule,
        &builtin::template::TemplateModule,
        &builtin::stat::StatModule,
        &builtin::lineinfile::LineinfileModule,
        &builtin::blockinfile::BlockinfileModule,
        &builtin::replace::ReplaceModule,
        &builtin::debug::DebugModule,
        &builtin::set_fact::SetFactModule,
        &builtin::assert::AssertModule,
        &builtin::fail::FailModule,
        &builtin::pause::PauseModule,
        &builtin::async_status::AsyncStatusModule,
        &builtin::include_vars::IncludeVarsModule,
        &builtin::slurp::SlurpModule,
        &builtin::fetch::FetchModule,
        &builtin::tempfile::TempfileModule,
        &builtin::find::FindModule,
        &builtin::get_url::GetUrlModule,
        &builtin::uri::UriModule,
        &builtin::unarchive::UnarchiveModule,
        &builtin::wait_for::WaitForModule,
        &builtin::script::ScriptModule,
        // system (modsystem)
        &builtin::apt::AptModule,
        &builtin::dnf::DnfModule,
        &builtin::package::PackageModule,
        &builtin::systemd::SystemdModule,
        &builtin::service::ServiceModule,
        &builtin::firewalld::FirewalldModule,
        &builtin::user::UserModule,
        &builtin::group::GroupModule,
        &builtin::setup::SetupModule,
        &builtin::ping::PingModule,
        &builtin::reboot::RebootModule,
        &builtin::getent::GetentModule,
        &builtin::sysctl::SysctlModule,
        &builtin::hostname::HostnameModule,
        &builtin::timezone::TimezoneModule,
        &builtin::ini_file::IniFileModule,
        &builtin::wait_for_connection::WaitForConnectionModule,
        &builtin::mount::MountModule,
        &builtin::debconf::DebconfModule,
        &builtin::service_facts::ServiceFactsModule,
        &builtin::package_facts::PackageFactsModule,
        &builtin::apt_repository::AptRepositoryModule,
        &builtin::apt_key::AptKeyModule,
        &builtin::cron::CronModule,
        &builtin::authorized_key::AuthorizedKeyModule,
        &builtin::git::GitModule,
    ]
}

fn answers(m: &dyn Module, name: &str) -> bool {
    let spec = m.spec();
    spec.name == name || spec.fqcn.contains(&name)
}

/// Finds a module by its canonical name (a task's resolved action): short name (`copy`) or FQCN
/// (`ansible.builtin.copy`, `ansible.posix.firewalld`); built-ins first, then library modules.
pub fn find(name: &str) -> Option<&'static dyn Module> {
    all()
        .into_iter()
        .find(|m| answers(*m, name))
        .or_else(|| find_library(name))
}

/// Finds the module a task names as written, with Ansible's precedence: a short or
/// `ansible.legacy.` name is looked up in the library directories first, then among built-ins.
pub fn find_written(name: &str) -> Option<&'static dyn Module> {
    find_library(name).or_else(|| find(name))
}

fn find_library(name: &str) -> Option<&'static dyn Module> {
    let library = LIBRARY.read().unwrap_or_else(|e| e.into_inner());
    library
        .modules
        .iter()
        .filter(|(_, m)| answers(*m, name))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, m)| *m as &'static dyn Module)
}

/// Registers the modules of a library directory (`library/` beside a playbook or in a role, or
/// one of the `library` setting's): every regular file, named by its file name without extension.
/// Names already taken by an earlier directory of the same rank stay with it. A directory is read once; a missing
/// one is ignored. A library module named like a built-in cannot be used by its short name: rplay
/// would have to run it in place of the built-in, which it does not do.
pub fn add_library_dir(dir: &Path, rank: LibraryRank) {
    if !dir.is_dir() {
        return;
    }
    let mut library = LIBRARY.write().unwrap_or_else(|e| e.into_inner());
    if library.dirs.iter().any(|d| d == dir) {
        return;
    }
    library.dirs.push(dir.to_path_buf());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for path in files {
        let Some(name) = module_name(&path) else {
            continue;
        };
        if library
            .modules
            .iter()
            .any(|(r, m)| *r == rank && m.spec().name == name)
        {
            continue;
        }
        let module =
            match all().into_iter().find(|m| answers(*m, &name)) {
                Some(builtin) => CustomModule::unusable(
                    &name,
                    &path,
                    format!(
                    "the library module {} has the name of the built-in module {}, which rplay \
                     cannot replace: rename it",
                    path.display(),
                    builtin.spec().fqcn.first().copied().unwrap_or(builtin.spec().name)
                ),
                ),
                None => CustomModule::load(&name, &path),
            };
        library.modules.push((rank, Box::leak(Box::new(module))));
    }
}

/// The module name of a library file, or `None` for files that are not modules (hidden files,
/// Python package markers and caches, docs).
fn module_name(path: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    if file.starts_with('.') || file.starts_with("__") {
        return None;
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if matches!(
        ext,
        "pyc" | "pyo" | "md" | "rst" | "txt" | "yml" | "yaml" | "json"
    ) {
        return None;
    }
    path.file_stem()?.to_str().map(str::to_string)
}
