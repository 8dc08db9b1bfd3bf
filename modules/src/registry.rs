//! The one place where module names (short and fully qualified) map to modules. Nothing else in
//! rplay matches on a module name.

use crate::builtin;
use crate::Module;

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
        &builtin::include_vars::IncludeVarsModule,
        &builtin::slurp::SlurpModule,
        &builtin::fetch::FetchModule,
        &builtin::tempfile::TempfileModule,
        &builtin::find::FindModule,
        &builtin::get_url::GetUrlModule,
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
        &builtin::getent::GetentModule,
        &builtin::sysctl::SysctlModule,
        &builtin::hostname::HostnameModule,
        &builtin::timezone::TimezoneModule,
        &builtin::service_facts::ServiceFactsModule,
        &builtin::package_facts::PackageFactsModule,
        &builtin::apt_repository::AptRepositoryModule,
        &builtin::apt_key::AptKeyModule,
        &builtin::cron::CronModule,
        &builtin::authorized_key::AuthorizedKeyModule,
    ]
}

/// Finds a module by short name (`copy`) or FQCN (`ansible.builtin.copy`, `ansible.posix.firewalld`).
pub fn find(name: &str) -> Option<&'static dyn Module> {
    all().into_iter().find(|m| {
        let spec = m.spec();
        spec.name == name || spec.fqcn.contains(&name)
    })
}
