//! `package`: the generic package module. Finds the host's package manager (once per host, then
//! remembered) and hands the task to that backend module (`apt`, `dnf`), as Ansible does with the
//! `pkg_mgr` fact.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::builtin::{apt::AptModule, dnf::DnfModule};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `package` module.
pub struct PackageModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "package",
    fqcn: &["ansible.builtin.package", "ansible.legacy.package"],
    synopsis: "Generic OS package manager.",
    description: "Installs, upgrades and removes packages through the host's own package manager \
        (apt on Debian-family hosts, dnf/yum on Red Hat-family hosts). Backend arguments pass through.",
    args: &[
        ArgSpec::new("name", ArgKind::List, "Package names (with versions as the backend accepts them).")
            .required()
            .aliases(&["pkg"])
            .elements(ArgKind::Str),
        ArgSpec::new("state", ArgKind::Str, "present/installed, latest, absent/removed.")
            .required(),
        ArgSpec::new("use", ArgKind::Str, "Backend to use; `auto` asks the host.").default("\"auto\""),
        // Common backend arguments, passed through as they are.
        ArgSpec::new("update_cache", ArgKind::Bool, "Backend: update the package cache first."),
        ArgSpec::new("cache_valid_time", ArgKind::Int, "apt: cache age allowed, in seconds."),
        ArgSpec::new("purge", ArgKind::Bool, "apt: purge configuration when removing."),
        ArgSpec::new("autoremove", ArgKind::Bool, "Backend: remove unneeded dependencies."),
        ArgSpec::new("install_recommends", ArgKind::Bool, "apt: install recommended packages."),
        ArgSpec::new("default_release", ArgKind::Str, "apt: target release."),
        ArgSpec::new("enablerepo", ArgKind::List, "dnf: repositories to enable."),
        ArgSpec::new("disablerepo", ArgKind::List, "dnf: repositories to disable."),
        ArgSpec::new("disable_gpg_check", ArgKind::Bool, "dnf: skip GPG checks."),
        ArgSpec::new("allowerasing", ArgKind::Bool, "dnf: allow erasing to resolve conflicts."),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[ReturnSpec { name: "(backend)", returned: "always", doc: "Whatever the backend module returns." }],
    examples: "- name: Install ntpdate\n  ansible.builtin.package:\n    name: ntpdate\n    state: present\n",
};

/// Package managers found per host (by inventory name), so only the first task asks.
static FOUND: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

/// The backend for `mgr` (`apt`, `dnf`, `yum`).
fn backend(mgr: &str) -> Option<&'static dyn Module> {
    match mgr {
        "apt" => Some(&AptModule),
        "dnf" | "yum" | "dnf5" => Some(&DnfModule),
        _ => None,
    }
}

/// Finds the host's package manager with one small script (the same order Ansible's pkg_mgr fact uses).
pub(crate) async fn detect(ctx: &Context<'_>) -> Result<String, ModuleError> {
    let key = ctx.host.name().to_string();
    if let Ok(g) = FOUND.lock() {
        if let Some(m) = g.as_ref().and_then(|m| m.get(&key)) {
            return Ok(m.clone());
        }
    }
    let script = "for m in dnf5 dnf yum apt-get zypper apk pacman pkg; do if command -v $m >/dev/null 2>&1; then echo $m; exit 0; fi; done; echo unknown";
    let out = ctx.host.run(Command::new(script)).await?;
    let mgr = match out.stdout_str().trim() {
        "apt-get" => "apt".to_string(),
        "zypper" => "zypper".to_string(),
        "dnf5" => "dnf5".to_string(),
        other => other.to_string(),
    };
    if let Ok(mut g) = FOUND.lock() {
        g.get_or_insert_with(HashMap::new).insert(key, mgr.clone());
    }
    Ok(mgr)
}

/// The task's arguments rewritten for the backend: generic state words mapped, `use` dropped.
fn backend_args(args: &Args, backend: &dyn Module) -> Result<Args, ModuleError> {
    let mut raw = Map::new();
    for (k, v) in &args.0 {
        if k == "use" || v.is_null() {
            continue;
        }
        let v = if k == "state" {
            match v.as_str() {
                Some("installed") => Value::from("present"),
                Some("removed") => Value::from("absent"),
                _ => v.clone(),
            }
        } else {
            v.clone()
        };
        raw.insert(k.clone(), v);
    }
    backend.spec().validate(&raw).map_err(ModuleError::Args)
}

async fn resolve(
    args: &Args,
    ctx: &Context<'_>,
) -> Result<(&'static dyn Module, Args), ModuleError> {
    let mgr = match args.str("use").unwrap_or("auto") {
        "auto" => detect(ctx).await?,
        other => other.to_string(),
    };
    let m = backend(&mgr).ok_or_else(|| {
        ModuleError::Args(format!(
            "Could not find a module for {mgr} on {}: rplay's package module supports apt and dnf/yum",
            ctx.host.name()
        ))
    })?;
    Ok((m, backend_args(args, m)?))
}

#[async_trait]
impl Module for PackageModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let (m, a) = resolve(args, ctx).await?;
        m.plan(&a, ctx).await
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let (m, a) = resolve(args, ctx).await?;
        m.apply(&a, plan, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_generic_states_and_drops_use() {
        let a = SPEC
            .validate(
                json!({"name": "tree", "state": "installed", "use": "apt", "purge": true})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        let b = backend_args(&a, &AptModule).unwrap();
        assert_eq!(b.str("state"), Some("present"));
        assert!(b.get("use").is_none());
        assert!(b.bool("purge"));
    }
}
