//! The [`Module`] trait every built-in implements, and the [`Context`] a module is called with.

use async_trait::async_trait;

use crate::job::{JobRun, JobWork};
use crate::{Args, Controller, Host, HostError, ModuleSpec, Outcome, Plan, Value};

/// Everything a module may use while it runs for one host.
pub struct Context<'a> {
    /// The managed host, with the task's become settings bound in.
    pub host: &'a dyn Host,
    /// The controller side: playbook files, templates, variables.
    pub controller: &'a dyn Controller,
    /// `--check` / `check_mode: true`: `apply` will not be called.
    pub check_mode: bool,
    /// `--diff` / `diff: true`: fill in before/after texts.
    pub diff: bool,
}

/// Why a module could not produce a result. Argument errors and host errors; a module that ran and
/// found a problem returns `Ok(Outcome::failed(..))` instead.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// The task's arguments are invalid.
    #[error("{0}")]
    Args(String),
    /// The host could not be talked to.
    #[error(transparent)]
    Host(#[from] HostError),
    /// The host answered something the module cannot understand.
    #[error("{0}")]
    Protocol(String),
    /// The module looked at the host and found the task cannot be done there (e.g. `file (/x) is
    /// absent, cannot continue`): the task fails with this message.
    #[error("{0}")]
    Failed(String),
    /// The action raised an error on the controller before the module could run (a source file
    /// it cannot find): Ansible reports it as an error of its own, which caused the task's
    /// failure, not as the module's failure.
    #[error("{0}")]
    Raised(String),
}

/// A module: queries the host, plans the changes, applies exactly them.
#[async_trait]
pub trait Module: Send + Sync {
    /// Name, arguments, return values and docs.
    fn spec(&self) -> &'static ModuleSpec;

    /// Why this module cannot be used at all (a library file rplay cannot run), reported when a
    /// task naming it is loaded. Built-ins are always usable.
    fn load_error(&self) -> Option<String> {
        None
    }

    /// Whether the module may run as a background job (`async`). As with Ansible's action
    /// plugins, modules that work from the controller (copy, template, debug...) refuse it.
    fn supports_async(&self) -> bool {
        !self.spec().controller_only
    }

    /// For `async`: the work `plan` calls for, as one script that runs detached on the host and
    /// that [`Module::background_outcome`] later turns into the result. `None` (the default):
    /// the module works from the controller, so the engine runs it before the task returns and
    /// records its result as the job's.
    fn background(&self, _args: &Args, _plan: &Plan) -> Result<Option<JobWork>, ModuleError> {
        Ok(None)
    }

    /// The result of a background run of this module's script, given the `recipe` of its
    /// [`JobWork`].
    fn background_outcome(&self, _recipe: &Value, _run: &JobRun) -> Outcome {
        Outcome::failed(format!(
            "the module {} cannot read a background run",
            self.spec().name
        ))
    }

    /// Whether the module can run in check mode. Those that cannot (`uri`, like Ansible's action
    /// plugins that say so) are skipped by the engine with `This action (<name>) does not support
    /// check mode.`, before their arguments are even checked.
    fn supports_check_mode(&self) -> bool {
        true
    }

    /// Whether the module copes with a host that cannot be reached yet (`wait_for_connection`):
    /// it then gets a handle that connects on first use, instead of the engine failing the task
    /// UNREACHABLE before the module runs.
    fn reaches_host_itself(&self) -> bool {
        false
    }

    /// Queries the host (one round trip whenever possible) and returns what must change.
    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError>;

    /// Applies exactly `plan` (never called when the plan is empty or in check mode) and reports
    /// the result. The default suits modules that only read the host (stat, find, facts...):
    /// their plan's values are the result.
    async fn apply(
        &self,
        _args: &Args,
        plan: Plan,
        _ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        Ok(Outcome::ok(plan.values))
    }
}
