//! Where the value of a variable in effect on a host was written, as 2.19 names it in error
//! messages (an undecryptable vaulted value): the variable layers of `vars.rs` from the highest
//! precedence down. The first layer that sets the variable decides; layers whose values carry
//! no place of their own here (extra vars, set_fact, facts, role vars, group_vars/ files) give
//! none; inventory files give `file:line` (INI) or `file:line:column` (YAML).

use super::event::Origin;
use super::runner::{PlayCtx, Runner};
use crate::playbook::Task;

impl Runner {
    /// Where the value `name` has for `host` (at `task`) was written, when known.
    pub(crate) fn var_origin(
        &self,
        pc: &PlayCtx,
        host: &str,
        task: Option<&Task>,
        name: &str,
    ) -> Option<Origin> {
        let role = task.and_then(|t| t.role.as_ref());
        if self.opts.extra_vars.contains_key(name)
            || task.is_some_and(|t| t.include_params.contains_key(name))
            || role.is_some_and(|r| r.params.contains_key(name))
            || self.with_host(host, |s| {
                s.set_facts.contains_key(name) || s.include_vars.contains_key(name)
            })
        {
            return None;
        }
        if let Some(t) = task.filter(|t| t.vars.contains_key(name)) {
            return t.var_origins.get(name).cloned();
        }
        let roles = pc.roles.lock().map(|r| r.clone()).unwrap_or_default();
        let in_role_vars = |r: &crate::playbook::RoleScope| {
            r.vars.contains_key(name) || r.entry_vars.contains_key(name)
        };
        if role.is_some_and(|r| in_role_vars(r))
            || roles.iter().any(|r| r.public && in_role_vars(r))
        {
            return None;
        }
        if pc.vars_files.contains_key(name) {
            return pc.vars_files_origins.get(name).cloned();
        }
        if pc.play.vars.contains_key(name) {
            return pc.play.var_origins.get(name).cloned();
        }
        if self.with_host(host, |s| s.facts.contains_key(name)) {
            return None;
        }
        self.inventory
            .host_var_origin(host, name)
            .and_then(|o| Origin::parse(&o))
    }
}
