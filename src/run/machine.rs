//! One task on one host: the query-then-act machine. Loop items, `when`, argument templating and
//! validation, then the module's `plan` (one query); in check mode the plan is the result,
//! otherwise `apply` carries out exactly that plan. Then `changed_when`/`failed_when`/`until`,
//! `register`, facts, notifications, counters and the result line.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rplay_modules::{Args, Context, Host, HostError, Module, ModuleError, Outcome, Plan};
use serde_json::{json, Map, Value};

use super::connector::BecomeWanted;
use super::controller::TaskController;
use super::env_host::EnvHost;
use super::error_chain::{Cause, ErrorChain};
use super::event::{Event, HostResult, Status};
use super::runner::{PlayCtx, Runner};
use super::templating::{Ctx, SearchPaths, Templating};
use crate::playbook::{Cond, Inherit, LoopSpec, Task};
use crate::pyjson;
use crate::template::{ConditionError, Derivation};

/// Reports one result line: status, result, item label, ignored, error message.
/// Reports one result: status, result, item label, ignored, the error, and the host the work
/// was delegated to (not shown for skipped results).
type ReportFn<'a> = dyn Fn(Status, Map<String, Value>, Option<String>, bool, Option<ErrorChain>, Option<String>)
    + Sync
    + 'a;

/// What an include asks the runner to load for a host.
#[derive(Debug, Clone)]
pub(crate) struct IncludeRequest {
    /// Task file (include_tasks).
    pub(crate) path: PathBuf,
    /// The include task with rendered arguments (include_role).
    pub(crate) task: Task,
    /// Keywords for the included tasks.
    pub(crate) inherit: Inherit,
    /// Loop item label.
    pub(crate) item_label: Option<String>,
    /// Role name (include_role).
    pub(crate) role_name: String,
}

impl IncludeRequest {
    pub(crate) fn same_as(&self, other: &IncludeRequest) -> bool {
        self.path == other.path
            && self.role_name == other.role_name
            && self.item_label == other.item_label
            && self.inherit.include_params == other.inherit.include_params
    }
}

/// How a host finished a task.
pub(crate) struct HostTaskEnd {
    pub(crate) host: String,
    pub(crate) failed: bool,
    pub(crate) unreachable: bool,
    pub(crate) includes: Vec<IncludeRequest>,
    pub(crate) registered: Map<String, Value>,
    pub(crate) set_facts: Option<Map<String, Value>>,
}

impl HostTaskEnd {
    pub(crate) fn new(host: &str) -> Self {
        HostTaskEnd {
            host: host.to_string(),
            failed: false,
            unreachable: false,
            includes: Vec::new(),
            registered: Map::new(),
            set_facts: None,
        }
    }
}

/// One execution's raw result.
struct Exec {
    result: Map<String, Value>,
    include: Option<IncludeRequest>,
    /// A failure is the action's (`Action failed: ...`: controller-side actions, and results
    /// failed by their `rc`), not the module's (`Module failed: ...`).
    action_failure: bool,
    /// The task failed before its action ran (templating its arguments...): why.
    task_error: Option<ErrorChain>,
}

const CENSORED: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// Marks the result of an action that skipped itself before any module ran (check mode on an
/// action without check-mode support): Ansible adds no `failed` key to it. Removed before use.
const ACTION_SKIP: &str = "_ansible_action_skip";

/// Marks the result of an action that raised an error on the controller
/// ([`ModuleError::Raised`]): its `[ERROR]` block shows the error as the cause of `Task failed.`
/// in a section of its own. Removed before use (see [`take_raised`]).
const RAISED: &str = "_ansible_raised";

/// The error chain of a result marked [`RAISED`], removing the mark.
fn take_raised(result: &mut Map<String, Value>) -> Option<ErrorChain> {
    result.shift_remove(RAISED)?;
    let msg = result
        .get("msg")
        .map(rplay_modules::spec::value_to_string)
        .unwrap_or_default();
    Some(ErrorChain::of(Cause::foreign(msg)))
}

pub(super) fn is_true(m: &Map<String, Value>, k: &str) -> bool {
    m.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn status_of(m: &Map<String, Value>) -> Status {
    if is_true(m, "unreachable") {
        Status::Unreachable
    } else if is_true(m, "failed") {
        Status::Failed
    } else if is_true(m, "skipped") {
        Status::Skipped
    } else if is_true(m, "changed") {
        Status::Changed
    } else {
        Status::Ok
    }
}

fn failed_result(msg: impl Into<String>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("changed".into(), Value::Bool(false));
    m.insert("failed".into(), Value::Bool(true));
    m.insert("msg".into(), Value::String(msg.into()));
    m
}

/// The `[ERROR]` message of a failing `no_log` task: its kind (`Action failed`, `Module failed`)
/// and the no_log notice instead of the details, which may hold secrets.
fn censored_error(message: &str) -> String {
    match message.split_once(": ") {
        Some((kind, _)) if kind.ends_with(" failed") && !kind.contains('{') => {
            format!("{kind}: {CENSORED}")
        }
        _ => CENSORED.to_string(),
    }
}

/// A failure of the task itself (conditional, loop, argument templating) before any module ran.
fn task_failed(error: &ErrorChain) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("changed".into(), Value::Bool(false));
    m.insert("failed".into(), Value::Bool(true));
    m.insert("msg".into(), Value::String(error.result_message()));
    m
}

/// Display hints by action, as Ansible's callback has them for `debug` and `assert`.
fn display_hints(action: &str) -> (bool, bool) {
    match action {
        "debug" => (true, true),
        "assert" => (true, false),
        _ => (false, false),
    }
}

/// The error of a failed result: `Action failed: <msg>` for engine actions and for results that
/// `failed_when`/`changed_when` judged, `Module failed: <msg>` for modules; without a message,
/// `Action failed.` / `Module failed.`.
fn failure_error(result: &Map<String, Value>, action: bool) -> ErrorChain {
    let msg = result
        .get("msg")
        .map(rplay_modules::spec::value_to_string)
        .unwrap_or_default();
    let kind = if action { "Action" } else { "Module" };
    ErrorChain::message(if msg.is_empty() {
        format!("{kind} failed.")
    } else {
        format!("{kind} failed: {msg}")
    })
}

/// Whether `failed_when` or `changed_when` judge the task's results.
fn has_post_conditions(task: &Task) -> bool {
    !task.failed_when.is_empty() || !task.changed_when.is_empty()
}

/// Why a task's loop gave no items.
enum LoopError {
    /// Templating the loop value (or running its lookup) failed.
    Template(String),
    /// The `loop` value is not a list (its Python type name).
    NotAList(&'static str),
}

impl LoopError {
    /// The error as reported, at the loop value's place `origin`.
    fn into_chain(self, origin: Option<super::event::Origin>) -> ErrorChain {
        match self {
            LoopError::Template(e) => ErrorChain::of(Cause::at(e, origin)),
            LoopError::NotAList(type_name) => ErrorChain {
                outside_task: true,
                ..ErrorChain::of(
                    Cause::at(
                        format!("The `loop` value must resolve to a 'list', not '{type_name}'."),
                        origin,
                    )
                    .with_help(
                        "Provide a list of items/templates, or a template resolving to a list.",
                    ),
                )
            },
        }
    }
}

impl From<String> for LoopError {
    fn from(e: String) -> Self {
        LoopError::Template(e)
    }
}

/// The help line of 2.19's conditional type errors.
const BROKEN_CONDITIONALS_HELP: &str = "Broken conditionals can be temporarily allowed with the `ALLOW_BROKEN_CONDITIONALS` configuration option.";

/// The cause of a failed conditional `c`: at the condition, or (for an empty template result) at
/// the variable that gave it; non-boolean results name where their value was written.
/// Why a condition failed; a non-boolean result names where the variable's value was written
/// (`var_of` finds it), else the condition's own place.
fn condition_cause(
    e: &ConditionError,
    c: &Cond,
    var_of: &dyn Fn(&str) -> Option<super::event::Origin>,
) -> Cause {
    let derived_origin = |d: &Derivation| match d {
        Derivation::Unknown => None,
        Derivation::Variable(name) => Some(var_of(name).unwrap_or_else(|| c.origin.clone())),
        Derivation::Expression => Some(c.origin.clone()),
    };
    match e {
        ConditionError::Failed(t) => Cause::at(
            format!("Error while evaluating conditional: {}", t.message),
            Some(c.origin.clone()),
        ),
        ConditionError::Empty { derived } => Cause::at(
            e.message(None),
            derived_origin(derived).or_else(|| Some(c.origin.clone())),
        )
        .with_help(BROKEN_CONDITIONALS_HELP),
        ConditionError::NotBoolean { derived, .. } => {
            let at = derived_origin(derived).map(|o| o.to_string());
            Cause::at(e.message(at.as_deref()), Some(c.origin.clone()))
                .with_help(BROKEN_CONDITIONALS_HELP)
        }
    }
}

fn cond_text(c: &Cond) -> Value {
    match &c.expr {
        Value::String(s) => Value::String(s.clone()),
        other => other.clone(),
    }
}

impl Runner {
    pub(crate) fn ctx_for(&self, vars: &Map<String, Value>, task: &Task, pc: &PlayCtx) -> Ctx {
        self.templating.context(
            Arc::new(vars.clone()),
            self.ctx_extras(pc),
            self.search_paths(task, pc),
        )
    }

    /// The engine-provided names of every task context (`groups`, `hostvars`).
    fn ctx_extras(&self, pc: &PlayCtx) -> Vec<(String, minijinja::Value)> {
        let mut extras = vec![(
            "groups".to_string(),
            self.templating
                .value(&Value::Object(self.inventory.groups())),
        )];
        extras.push(("hostvars".to_string(), self.hostvars_value(pc)));
        extras
    }

    fn hostvars_value(&self, _pc: &PlayCtx) -> minijinja::Value {
        let view = super::hostvars::HostVars {
            inventory: self.inventory.clone(),
            hosts: self.hosts.clone(),
            templating: self.templating.clone(),
        };
        minijinja::Value::from_object(view)
    }

    pub(crate) fn search_paths(&self, task: &Task, pc: &PlayCtx) -> SearchPaths {
        let mut dirs = Vec::new();
        if let Some(r) = &task.role {
            dirs.push(r.path.clone());
            dirs.extend(r.parent_paths.iter().cloned());
        }
        if !task.dir.as_os_str().is_empty() && !dirs.contains(&task.dir) {
            dirs.push(task.dir.clone());
        }
        dirs.push(pc.play.playbook_dir.clone());
        SearchPaths { dirs }
    }

    /// Evaluates a list of conditions (AND). Literal bools are used as they are. A failure names
    /// the condition's place and, for a non-boolean result, where its value was written.
    pub(crate) fn eval_conds(
        &self,
        conds: &[Cond],
        ctx: &Ctx,
        pc: &PlayCtx,
        task: &Task,
    ) -> Result<(bool, Value), ErrorChain> {
        for c in conds {
            let ok = match &c.expr {
                Value::Bool(b) => *b,
                Value::String(s) => match self.templating.templar().eval_condition(s, ctx) {
                    Ok(b) => b,
                    Err(e) => {
                        let host = ctx
                            .get_attr("inventory_hostname")
                            .ok()
                            .and_then(|h| h.as_str().map(str::to_string))
                            .unwrap_or_default();
                        let var_of = |name: &str| self.var_origin(pc, &host, Some(task), name);
                        return Err(ErrorChain::of(condition_cause(&e, c, &var_of)));
                    }
                },
                Value::Null => true,
                _ => {
                    return Err(ErrorChain::of(
                        Cause::at(
                            "Conditional expressions must be strings.",
                            Some(c.origin.clone()),
                        )
                        .with_help(BROKEN_CONDITIONALS_HELP),
                    ))
                }
            };
            if !ok {
                return Ok((false, cond_text(c)));
            }
        }
        Ok((true, Value::Null))
    }

    fn bool_keyword(&self, task: &Task, name: &str, ctx: &Ctx) -> Option<bool> {
        let v = task.keyword(name)?;
        let v = self.templating.render_value(v, ctx).ok()?;
        rplay_modules::spec::parse_bool(&v)
    }

    fn str_keyword(&self, task: &Task, name: &str, ctx: &Ctx) -> Option<String> {
        let v = task.keyword(name)?;
        let v = self.templating.render_value(v, ctx).ok()?;
        match v {
            Value::Null => None,
            other => Some(rplay_modules::spec::value_to_string(&other)),
        }
    }

    /// A variable of the task, templated, as text (`None` when unset, null or not renderable).
    fn str_keyword_var(&self, vars: &Map<String, Value>, name: &str, ctx: &Ctx) -> Option<String> {
        let v = vars.get(name)?;
        match self.templating.render_value(v, ctx).ok()? {
            Value::Null => None,
            other => Some(rplay_modules::spec::value_to_string(&other)),
        }
    }

    fn skipped_result(false_condition: Value) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("changed".into(), Value::Bool(false));
        m.insert("skipped".into(), Value::Bool(true));
        m.insert("skip_reason".into(), json!("Conditional result was False"));
        m.insert("false_condition".into(), false_condition);
        m
    }

    /// Runs `task` on `host` and reports it.
    pub(crate) async fn run_host(
        &self,
        pc: &PlayCtx,
        task: &Arc<Task>,
        host: &str,
        display: &str,
        rescuable: bool,
    ) -> HostTaskEnd {
        let vars = self.task_vars(pc, host, Some(task));
        let ctx = self.ctx_for(&vars, task, pc);
        let delegate = self
            .str_keyword(task, "delegate_to", &ctx)
            .filter(|d| !d.is_empty());
        let no_log = self.bool_keyword(task, "no_log", &ctx).unwrap_or(false);
        let ignore = self
            .bool_keyword(task, "ignore_errors", &ctx)
            .unwrap_or(false);
        let mut end = HostTaskEnd {
            host: host.to_string(),
            failed: false,
            unreachable: false,
            includes: Vec::new(),
            registered: Map::new(),
            set_facts: None,
        };
        let (verbose_always, debug_result) = display_hints(&task.action);
        let report = |status: Status,
                      result: Map<String, Value>,
                      item: Option<String>,
                      ignored: bool,
                      error: Option<ErrorChain>,
                      delegated_to: Option<String>| {
            let shown = if no_log {
                let mut m = Map::new();
                m.insert("censored".into(), json!(CENSORED));
                m.insert(
                    "changed".into(),
                    result.get("changed").cloned().unwrap_or(Value::Bool(false)),
                );
                m
            } else {
                result
            };
            let item = if no_log && item.is_some() {
                Some("(censored due to no_log)".to_string())
            } else {
                item
            };
            // Unlike ansible-core 2.19, which prints a failing `no_log` task's message (a
            // `fail_msg` with a secret, say) in its `[ERROR]` block, only the failure kind shows.
            let error = if no_log {
                error.map(|e| ErrorChain::message(censored_error(&e.brief())))
            } else {
                error
            };
            if !no_log {
                // Warnings a module returned are shown before its result, as Ansible does.
                for w in shown
                    .get("warnings")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    self.report(Event::Warning {
                        message: rplay_modules::spec::value_to_string(w),
                    });
                }
            }
            self.report(Event::HostResult(Box::new(HostResult {
                host: host.to_string(),
                delegated_to: delegated_to.filter(|_| status != Status::Skipped),
                status,
                result: shown,
                item_label: item,
                ignored,
                verbose_always: verbose_always && !no_log,
                debug_result: debug_result && !no_log,
                error,
                origin: Some(task.origin.clone()),
            })));
        };

        let report_plain = |status: Status,
                            result: Map<String, Value>,
                            ignored: bool,
                            error: Option<ErrorChain>| {
            self.report(Event::HostResult(Box::new(HostResult {
                host: host.to_string(),
                delegated_to: delegate.clone(),
                status,
                result,
                item_label: None,
                ignored,
                verbose_always: false,
                debug_result: debug_result && !no_log,
                error,
                origin: Some(task.origin.clone()),
            })));
        };

        // Loops.
        if let Some(spec) = &task.loop_spec {
            let items = match self
                .loop_items(spec, &ctx, &vars, task, pc)
                .map_err(|e| e.into_chain(task.loop_origin.clone()))
            {
                Ok(items) => items,
                Err(e) => match self.eval_conds(&task.when, &ctx, pc, task) {
                    Ok((false, fc)) => {
                        let r = Self::skipped_result(fc);
                        self.count_and_register(task, host, &r, false, rescuable, &mut end);
                        report(Status::Skipped, r, None, false, None, None);
                        return end;
                    }
                    _ => {
                        let r = task_failed(&e);
                        self.count_and_register(task, host, &r, ignore, rescuable, &mut end);
                        report_plain(Status::Failed, r, ignore, Some(e));
                        return end;
                    }
                },
            };
            return self
                .run_loop(
                    pc,
                    task,
                    host,
                    &vars,
                    items,
                    delegate.clone(),
                    ignore,
                    rescuable,
                    display,
                    &report,
                    end,
                )
                .await;
        }

        match self.eval_conds(&task.when, &ctx, pc, task) {
            Ok((true, _)) => {}
            Ok((false, fc)) => {
                let r = Self::skipped_result(fc);
                self.count_and_register(task, host, &r, false, rescuable, &mut end);
                report(Status::Skipped, r, None, false, None, None);
                return end;
            }
            Err(e) => {
                let r = task_failed(&e);
                self.count_and_register(task, host, &r, ignore, rescuable, &mut end);
                report_plain(Status::Failed, r, ignore, Some(e));
                return end;
            }
        }
        let exec = self
            .execute(pc, task, host, &vars, delegate.clone(), display, None)
            .await;
        if let Some(inc) = exec.include {
            end.includes.push(inc);
            return end;
        }
        let mut result = exec.result;
        let raised = take_raised(&mut result);
        let status = status_of(&result);
        self.apply_effects(task, host, delegate.as_deref(), &result, &mut end);
        if status == Status::Changed {
            self.notify(pc, task, host, &ctx);
            if self.fatal_error().is_some() {
                return end;
            }
        }
        let task_error = exec.task_error.is_some();
        let error = (status == Status::Failed || status == Status::Unreachable).then(|| {
            if let Some(chain) = exec.task_error.or(raised) {
                return chain;
            }
            let msg = result
                .get("msg")
                .map(rplay_modules::spec::value_to_string)
                .unwrap_or_default();
            // Unreachable hosts, and results that already word their failure as a whole.
            if status == Status::Unreachable || msg.starts_with("Task failed: ") {
                let msg = msg.strip_prefix("Task failed: ").unwrap_or(&msg);
                return ErrorChain::message(msg);
            }
            failure_error(&result, exec.action_failure || has_post_conditions(task))
        });
        let ignored = status == Status::Failed && ignore;
        self.count_and_register(task, host, &result, ignore, rescuable, &mut end);
        if task_error {
            report_plain(status, result, ignored, error);
        } else {
            report(status, result, None, ignored, error, delegate.clone());
        }
        end
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_loop(
        &self,
        pc: &PlayCtx,
        task: &Arc<Task>,
        host: &str,
        vars: &Map<String, Value>,
        items: Vec<Value>,
        delegate: Option<String>,
        ignore: bool,
        rescuable: bool,
        display: &str,
        report: &ReportFn<'_>,
        mut end: HostTaskEnd,
    ) -> HostTaskEnd {
        let lc = task.loop_control.clone().unwrap_or(Value::Null);
        let loop_var = lc
            .get("loop_var")
            .and_then(Value::as_str)
            .unwrap_or("item")
            .to_string();
        let index_var = lc
            .get("index_var")
            .and_then(Value::as_str)
            .map(str::to_string);
        let extended = lc
            .get("extended")
            .and_then(rplay_modules::spec::parse_bool)
            .unwrap_or(false);
        let all_items = lc
            .get("extended_allitems")
            .and_then(rplay_modules::spec::parse_bool)
            .unwrap_or(true);
        let pause = lc.get("pause").and_then(Value::as_f64).unwrap_or(0.0);
        if items.is_empty() {
            let mut r = Map::new();
            r.insert("changed".into(), Value::Bool(false));
            r.insert("skipped".into(), Value::Bool(true));
            r.insert("skipped_reason".into(), json!("No items in the list"));
            r.insert("results".into(), json!([]));
            self.count_and_register(task, host, &r, false, rescuable, &mut end);
            report(Status::Skipped, r, None, false, None, None);
            return end;
        }
        let mut results: Vec<Value> = Vec::new();
        let mut any_changed = false;
        let mut any_failed = false;
        let mut all_skipped = true;
        // The variables of each item that ran: each notifies with its own templating of `notify`.
        let mut ran_items: Vec<Map<String, Value>> = Vec::new();
        let n = items.len();
        for (i, item) in items.iter().enumerate() {
            if i > 0 && pause > 0.0 {
                tokio::time::sleep(std::time::Duration::from_secs_f64(pause)).await;
            }
            let mut item_vars = vars.clone();
            item_vars.insert(loop_var.clone(), item.clone());
            item_vars.insert("ansible_loop_var".into(), json!(loop_var));
            if let Some(iv) = &index_var {
                item_vars.insert(iv.clone(), json!(i));
                item_vars.insert("ansible_index_var".into(), json!(iv));
            }
            let ansible_loop = extended.then(|| {
                let mut info = Map::new();
                for (k, v) in [
                    ("index", json!(i + 1)),
                    ("index0", json!(i)),
                    ("first", json!(i == 0)),
                    ("last", json!(i + 1 == n)),
                    ("length", json!(n)),
                    ("revindex", json!(n - i)),
                    ("revindex0", json!(n - i - 1)),
                ] {
                    info.insert(k.into(), v);
                }
                // Like Ansible, the first item has no `previtem` and the last no `nextitem`;
                // `allitems` is there unless `extended_allitems` turns it off.
                if all_items {
                    info.insert("allitems".into(), Value::Array(items.clone()));
                }
                if i > 0 {
                    info.insert("previtem".into(), items[i - 1].clone());
                }
                if let Some(next) = items.get(i + 1) {
                    info.insert("nextitem".into(), next.clone());
                }
                Value::Object(info)
            });
            if let Some(info) = &ansible_loop {
                item_vars.insert("ansible_loop".into(), info.clone());
            }
            if let Some(reg) = &task.register {
                // Inside the loop the register variable holds the previous item's result.
                if let Some(prev) = results.last() {
                    item_vars.insert(reg.clone(), prev.clone());
                }
            }
            let ctx = self.ctx_for(&item_vars, task, pc);
            // `delegate_to` is templated per item.
            let item_delegate = self
                .str_keyword(task, "delegate_to", &ctx)
                .filter(|d| !d.is_empty())
                .or_else(|| delegate.clone());
            // A label that cannot be rendered shows as `None` and fails its item after it ran.
            let (label, label_error) = match lc.get("label") {
                Some(l) => match self.templating.render_value(l, &ctx) {
                    Ok(v) => (pyjson::python_str(&v), None),
                    Err(e) => ("None".to_string(), Some(e)),
                },
                None => (pyjson::python_str(item), None),
            };
            // Whether a failure is the action's, and why the item failed before its action ran.
            let mut action_failure = false;
            let mut item_task_error = None;
            let mut result = match self.eval_conds(&task.when, &ctx, pc, task) {
                Ok((true, _)) => {
                    if !task.notify.is_empty() {
                        ran_items.push(item_vars.clone());
                    }
                    let exec = self
                        .execute(
                            pc,
                            task,
                            host,
                            &item_vars,
                            item_delegate.clone(),
                            display,
                            Some(&label),
                        )
                        .await;
                    if let Some(inc) = exec.include {
                        end.includes.push(inc);
                        continue;
                    }
                    action_failure = exec.action_failure;
                    let mut r = exec.result;
                    item_task_error = exec.task_error.or_else(|| take_raised(&mut r));
                    if is_true(&r, "failed") && !is_true(&r, "unreachable") {
                        r.entry("msg").or_insert(json!(""));
                    }
                    r
                }
                Ok((false, fc)) => Self::skipped_result(fc),
                Err(e) => failed_result(e.brief()),
            };
            result.insert(loop_var.clone(), item.clone());
            result.insert("ansible_loop_var".into(), json!(loop_var));
            if let Some(iv) = &index_var {
                result.insert(iv.clone(), json!(i));
                result.insert("ansible_index_var".into(), json!(iv));
            }
            if let Some(info) = ansible_loop {
                result.insert("ansible_loop".into(), info);
            }
            if let Some(e) = &label_error {
                result.insert("failed".into(), Value::Bool(true));
                result.insert(
                    "msg".into(),
                    json!(format!("Failed to template loop_control.label: {e}")),
                );
            }
            let status = status_of(&result);
            if status == Status::Changed {
                any_changed = true;
            }
            if status != Status::Skipped {
                all_skipped = false;
            }
            if status == Status::Failed || status == Status::Unreachable {
                any_failed = true;
            }
            if is_true(&result, "changed") {
                any_changed = true;
            }
            // A label's failure has no `[ERROR]` block.
            let error = (status == Status::Failed && label_error.is_none()).then(|| {
                item_task_error.unwrap_or_else(|| {
                    failure_error(&result, action_failure || has_post_conditions(task))
                })
            });
            report(
                status,
                result.clone(),
                Some(label),
                false,
                error,
                item_delegate,
            );
            if status == Status::Failed {
                // A failed item registers its exception; the loop's aggregate does not.
                result
                    .entry("exception")
                    .or_insert(json!("(traceback unavailable)"));
            }
            results.push(Value::Object(result));
        }
        if !end.includes.is_empty() {
            return end;
        }
        // Ansible's key order: results, skipped, changed (when an item changed), failed and msg,
        // then changed (when none did).
        let mut agg = Map::new();
        agg.insert("results".into(), Value::Array(results));
        agg.insert("skipped".into(), Value::Bool(all_skipped));
        if any_changed {
            agg.insert("changed".into(), Value::Bool(true));
        }
        if any_failed {
            agg.insert("failed".into(), Value::Bool(true));
            agg.insert("msg".into(), json!("One or more items failed"));
        } else if all_skipped {
            agg.insert("msg".into(), json!("All items skipped"));
        } else {
            agg.insert("msg".into(), json!("All items completed"));
        }
        if !any_changed {
            agg.insert("changed".into(), Value::Bool(false));
        }
        if all_skipped && !any_failed {
            report(Status::Skipped, agg.clone(), None, false, None, None);
        } else if any_failed && task.action == "debug" {
            // Ansible's callback strips a debug result down to its msg (`results` included), so
            // a failed debug loop gets a `fatal:` line of its own.
            self.report(Event::HostResult(Box::new(HostResult {
                host: host.to_string(),
                delegated_to: delegate.clone(),
                status: Status::Failed,
                result: agg.clone(),
                item_label: None,
                ignored: ignore,
                verbose_always: false,
                debug_result: true,
                error: None,
                origin: Some(task.origin.clone()),
            })));
        } else if any_failed && ignore {
            self.report(Event::Ignoring {
                host: host.to_string(),
            });
        }
        if any_changed && !any_failed {
            for item_vars in &ran_items {
                let ctx = self.ctx_for(item_vars, task, pc);
                self.notify(pc, task, host, &ctx);
            }
        }
        self.apply_effects(task, host, delegate.as_deref(), &agg, &mut end);
        self.count_and_register(task, host, &agg, ignore, rescuable, &mut end);
        end
    }

    /// Items of a loop.
    fn loop_items(
        &self,
        spec: &LoopSpec,
        ctx: &Ctx,
        vars: &Map<String, Value>,
        task: &Task,
        pc: &PlayCtx,
    ) -> Result<Vec<Value>, LoopError> {
        match spec {
            LoopSpec::Loop(v) => match self.templating.render_value(v, ctx)? {
                Value::Array(a) => Ok(a),
                other => Err(LoopError::NotAList(match other {
                    Value::String(_) => "str",
                    Value::Object(_) => "dict",
                    Value::Number(n) if n.is_f64() => "float",
                    Value::Number(_) => "int",
                    Value::Bool(_) => "bool",
                    _ => "NoneType",
                })),
            },
            LoopSpec::With { lookup, terms } => {
                let rendered = self.templating.render_value(terms, ctx)?;
                match super::loop_items::builtin_items(lookup, &rendered) {
                    Some(r) => Ok(r?),
                    None => {
                        let expr = format!("query('{lookup}', *__rplay_terms)");
                        let terms = match rendered {
                            Value::Array(a) => Value::Array(a),
                            other => Value::Array(vec![other]),
                        };
                        let loop_ctx = self.templating.lookup_loop_context(
                            Arc::new(vars.clone()),
                            self.ctx_extras(pc),
                            self.search_paths(task, pc),
                            &terms,
                            first_found_subdir(&task.action),
                        );
                        match self.templating.eval(&expr, &loop_ctx)? {
                            Value::Array(a) => Ok(a),
                            other => Ok(vec![other]),
                        }
                    }
                }
            }
        }
    }

    /// Updates counters, registers the result and marks failures. Returns nothing; `end` records
    /// the outcome for the caller.
    pub(crate) fn count_and_register(
        &self,
        task: &Task,
        host: &str,
        result: &Map<String, Value>,
        ignore: bool,
        rescuable: bool,
        end: &mut HostTaskEnd,
    ) {
        let status = status_of(result);
        let changed = is_true(result, "changed");
        match status {
            Status::Unreachable => {
                self.with_stats(host, |s| s.unreachable += 1);
                self.with_host(host, |s| s.unreachable = true);
                end.unreachable = true;
            }
            Status::Failed if ignore => self.with_stats(host, |s| {
                s.ok += 1;
                s.ignored += 1;
                if changed {
                    s.changed += 1;
                }
            }),
            Status::Failed => {
                if rescuable {
                    self.with_stats(host, |s| s.rescued += 1);
                } else {
                    self.with_stats(host, |s| s.failed += 1);
                }
                self.with_host(host, |s| {
                    s.failed = true;
                    s.rescue_pending = rescuable;
                });
                end.failed = true;
                if rescuable {
                    let failed_task = json!({"name": task.name.clone().unwrap_or_default(), "action": task.action});
                    let r = Value::Object(result.clone());
                    self.with_host(host, |s| {
                        s.set_facts
                            .insert("ansible_failed_task".into(), failed_task);
                        s.set_facts.insert("ansible_failed_result".into(), r);
                    });
                }
            }
            Status::Skipped => self.with_stats(host, |s| s.skipped += 1),
            Status::Ok | Status::Changed => self.with_stats(host, |s| {
                s.ok += 1;
                if changed {
                    s.changed += 1;
                }
            }),
        }
        let mut reg = result.clone();
        reg.retain(|k, _| !k.starts_with("_ansible") && k != "invocation");
        let aggregate = task.loop_spec.is_some() && reg.contains_key("results");
        if status == Status::Failed && !aggregate && !reg.contains_key("exception") {
            reg.insert("exception".into(), json!("(traceback unavailable)"));
        }
        // A skip by the engine registers no `failed`; a module's own result keeps it. A loop's
        // aggregate result has `failed` only when an item failed.
        if status != Status::Skipped && !aggregate {
            reg.entry("failed").or_insert(Value::Bool(false));
        }
        end.registered = reg.clone();
        if let Some(name) = &task.register {
            let name = name.clone();
            self.with_host(host, |s| {
                s.set_facts
                    .insert(name, crate::template::as_data(Value::Object(reg)));
            });
        }
    }

    /// Facts, set_fact and include_vars results land in the host's variables.
    fn apply_effects(
        &self,
        task: &Task,
        host: &str,
        delegate: Option<&str>,
        result: &Map<String, Value>,
        end: &mut HostTaskEnd,
    ) {
        if is_true(result, "failed") {
            return;
        }
        let mut facts = Map::new();
        if let Some(Value::Object(f)) = result.get("ansible_facts") {
            facts.extend(f.clone());
        }
        if let Some(Value::Array(items)) = result.get("results") {
            for i in items {
                if let Some(Value::Object(f)) = i.get("ansible_facts") {
                    facts.extend(f.clone());
                }
            }
        }
        if facts.is_empty() {
            return;
        }
        let target = if self_delegate_facts(task) {
            delegate.unwrap_or(host).to_string()
        } else {
            host.to_string()
        };
        match task.action.as_str() {
            "set_fact" => {
                let facts: Map<String, Value> = facts
                    .into_iter()
                    .map(|(k, v)| (k, crate::template::as_data(v)))
                    .collect();
                end.set_facts = Some(facts.clone());
                self.with_host(&target, |s| s.set_facts.extend(facts));
            }
            "include_vars" => self.with_host(&target, |s| s.include_vars.extend(facts)),
            _ => self.with_host(&target, |s| {
                for (k, v) in facts {
                    let k = k.strip_prefix("ansible_").map(str::to_string).unwrap_or(k);
                    s.facts.insert(k, v);
                }
            }),
        }
    }

    /// `vars` plus `ansible_host` as Ansible adds it to a task's variables when no level sets it:
    /// the address of the host the task runs on (the delegate's, when delegated).
    fn with_target_address(
        &self,
        vars: &Map<String, Value>,
        host: &str,
        delegate: Option<&str>,
    ) -> Map<String, Value> {
        let address = match delegate {
            Some(d) => self
                .inventory
                .host_vars(d)
                .get("ansible_host")
                .cloned()
                .unwrap_or_else(|| json!(d)),
            None => json!(host),
        };
        let mut out = vars.clone();
        out.insert("ansible_host".into(), address);
        out
    }

    /// Runs the action once (with `until` retries), applying changed_when/failed_when.
    #[allow(clippy::too_many_arguments)]
    async fn execute(
        &self,
        pc: &PlayCtx,
        task: &Arc<Task>,
        host: &str,
        vars: &Map<String, Value>,
        delegate: Option<String>,
        display: &str,
        item_label: Option<&str>,
    ) -> Exec {
        let retries = task
            .keyword("retries")
            .and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(3);
        let delay = task
            .keyword("delay")
            .and_then(|v| {
                v.as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(5.0);
        let attempts = if task.until.is_empty() {
            1
        } else {
            (retries.max(0) + 1) as u32
        };
        let with_address;
        let vars = if vars.contains_key("ansible_host") {
            vars
        } else {
            with_address = self.with_target_address(vars, host, delegate.as_deref());
            &with_address
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let ctx = self.ctx_for(vars, task, pc);
            let mut exec = self
                .execute_once(pc, task, host, vars, &ctx, delegate.clone(), item_label)
                .await;
            if exec.include.is_some() || is_true(&exec.result, "unreachable") {
                return exec;
            }
            if self.post_conditions(task, vars, &mut exec.result, pc) {
                exec.action_failure = true;
            }
            if task.until.is_empty() {
                return exec;
            }
            exec.result.insert("attempts".into(), json!(attempt));
            let mut v2 = vars.clone();
            if let Some(reg) = &task.register {
                v2.insert(reg.clone(), Value::Object(exec.result.clone()));
            }
            let ctx2 = self.ctx_for(&v2, task, pc);
            let done = matches!(self.eval_conds(&task.until, &ctx2, pc, task), Ok((true, _)));
            if done {
                return exec;
            }
            if attempt >= attempts {
                exec.result.insert("failed".into(), Value::Bool(true));
                exec.result.insert("attempts".into(), json!(retries.max(0)));
                return exec;
            }
            self.report(Event::Retrying {
                host: host.to_string(),
                task: display.to_string(),
                left: attempts - attempt,
            });
            if delay > 0.0 {
                tokio::time::sleep(std::time::Duration::from_secs_f64(delay)).await;
            }
        }
    }

    /// Applies `changed_when`/`failed_when`, or else fails a result by its `rc`; returns whether
    /// it did the latter (an action's failure, not the module's).
    fn post_conditions(
        &self,
        task: &Task,
        vars: &Map<String, Value>,
        result: &mut Map<String, Value>,
        pc: &PlayCtx,
    ) -> bool {
        if result.shift_remove(ACTION_SKIP).is_some() {
            return false;
        }
        if task.changed_when.is_empty() && task.failed_when.is_empty() {
            let mut rc_failed = false;
            if !result.contains_key("failed") {
                rc_failed = result
                    .get("rc")
                    .and_then(Value::as_i64)
                    .is_some_and(|rc| rc != 0);
                result.insert("failed".into(), Value::Bool(rc_failed));
                if rc_failed && !result.contains_key("msg") {
                    result.insert(
                        "msg".into(),
                        json!("Task failed: Action failed: Unknown error."),
                    );
                }
            }
            return rc_failed;
        }
        let mut v2 = vars.clone();
        if let Some(reg) = &task.register {
            v2.insert(reg.clone(), Value::Object(result.clone()));
        }
        let ctx = self.ctx_for(&v2, task, pc);
        if !task.changed_when.is_empty() {
            match self.eval_conds(&task.changed_when, &ctx, pc, task) {
                Ok((b, _)) => {
                    result.insert("changed".into(), Value::Bool(b));
                }
                Err(e) => {
                    result.insert("failed".into(), Value::Bool(true));
                    result.insert("changed_when_result".into(), json!(e.brief()));
                }
            }
        }
        if !task.failed_when.is_empty() {
            match self.eval_conds(&task.failed_when, &ctx, pc, task) {
                Ok((b, _)) => {
                    result.insert("failed".into(), Value::Bool(b));
                    result.insert("failed_when_result".into(), Value::Bool(b));
                }
                Err(e) => {
                    result.insert("failed".into(), Value::Bool(true));
                    result.insert("failed_when_result".into(), json!(e.brief()));
                }
            }
        }
        false
    }

    fn become_for(&self, task: &Task, ctx: &Ctx) -> BecomeWanted {
        let mut b = self.opts.become_.clone();
        if let Some(v) = self.bool_keyword(task, "become", ctx) {
            b.enabled = Some(v);
        }
        if let Some(v) = self.str_keyword(task, "become_user", ctx) {
            b.user = Some(v);
        }
        if let Some(v) = self.str_keyword(task, "become_method", ctx) {
            b.method = Some(v);
        }
        if let Some(v) = self.str_keyword(task, "become_flags", ctx) {
            b.flags = Some(v);
        }
        if let Some(v) = self.str_keyword(task, "become_exe", ctx) {
            b.exe = Some(v);
        }
        b
    }

    /// Connection variables of `target`, templated.
    fn connection_vars(&self, vars: &Map<String, Value>, ctx: &Ctx) -> Map<String, Value> {
        let mut out = Map::new();
        for (k, v) in vars {
            if !k.starts_with("ansible_") || k == "ansible_facts" {
                continue;
            }
            let rendered = match v {
                Value::String(s) if Templating::is_template(s) => self
                    .templating
                    .render_str(s, ctx)
                    .unwrap_or_else(|_| v.clone()),
                other => other.clone(),
            };
            out.insert(k.clone(), rendered);
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    async fn execute_once(
        &self,
        pc: &PlayCtx,
        task: &Arc<Task>,
        host: &str,
        vars: &Map<String, Value>,
        ctx: &Ctx,
        delegate: Option<String>,
        item_label: Option<&str>,
    ) -> Exec {
        let plain = |result| Exec {
            result,
            include: None,
            action_failure: true,
            task_error: None,
        };
        let mut args = Map::new();
        let defaults =
            crate::playbook::module_defaults::for_action(&task.module_defaults, &task.action);
        for v in defaults {
            match self.templating.render_value(v, ctx) {
                Ok(Value::Object(m)) => args.extend(
                    m.into_iter()
                        .filter(|(_, v)| v.as_str() != Some(self.templating.omit())),
                ),
                Ok(other) => {
                    return plain(task_failed(&ErrorChain::message(format!(
                        "module_defaults for '{}' must be a dictionary, not {}",
                        task.action,
                        crate::pyjson::python_str(&other)
                    ))))
                }
                Err(e) => return plain(task_failed(&ErrorChain::message(e))),
            }
        }
        for (k, v) in &task.args {
            match self.templating.templar().render_value(v, ctx) {
                Ok(r) => {
                    if r.as_str() != Some(self.templating.omit()) {
                        args.insert(k.clone(), r);
                    } else {
                        args.remove(k);
                    }
                }
                Err(e) => {
                    let fqcn = rplay_modules::registry::find(&task.action)
                        .and_then(|m| m.spec().fqcn.first().copied())
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("ansible.builtin.{}", task.action));
                    let written = task.arg_origins.get(k);
                    // In a list or mapping, the string that failed is a link of its own.
                    let part = written.and_then(|w| {
                        w.strings.iter().find(|(text, _)| {
                            self.templating
                                .render_value(&Value::String(text.clone()), ctx)
                                .is_err()
                        })
                    });
                    let resolving = format!("Error while resolving value for '{k}'");
                    let chain = if let (Some(text), Some(detail)) =
                        (&e.value_text, e.render_detail())
                    {
                        // A value that cannot be stored (`d.items`) is shown in its own link.
                        ErrorChain::of(Cause {
                            value_text: Some(text.clone()),
                            ..Cause::new(detail)
                        })
                        .wrapped_in(Cause::new("Error rendering template."))
                        .wrapped_in(Cause::at(resolving, written.map(|w| w.at.clone())))
                    } else if let (Some(name), Some(detail)) = (&e.variable, e.render_detail()) {
                        // A variable whose value cannot be used (undecryptable): the value's
                        // place is a link of its own.
                        let at = self.var_origin(pc, host, Some(task), name);
                        ErrorChain::of(Cause::at(detail, at))
                            .wrapped_in(Cause::new("Error rendering template."))
                            .wrapped_in(Cause::at(resolving, written.map(|w| w.at.clone())))
                    } else if let (Some(name), Some(detail)) = (
                        &e.variable,
                        e.message
                            .strip_prefix("Recursive loop detected in template: "),
                    ) {
                        // A variable templated back into itself: the loop is a link at the
                        // variable's value.
                        let at = task
                            .var_origins
                            .get(name)
                            .or_else(|| pc.play.var_origins.get(name))
                            .cloned();
                        ErrorChain::of(Cause::foreign(detail))
                            .wrapped_in(Cause::at("Recursive loop detected in template.", at))
                            .wrapped_in(Cause::at(
                                format!("{resolving}."),
                                written.map(|w| w.at.clone()),
                            ))
                    } else {
                        let e = e.message;
                        match part {
                            Some((_, at)) => ErrorChain::of(Cause::at(e, Some(at.clone())))
                                .wrapped_in(Cause::at(
                                    format!("{resolving}."),
                                    written.map(|w| w.at.clone()),
                                )),
                            None => ErrorChain::message(e)
                                .wrapped_in(Cause::at(resolving, written.map(|w| w.at.clone()))),
                        }
                    };
                    let chain = chain.wrapped_in(Cause::new(format!(
                        "Finalization of task args for '{fqcn}' failed."
                    )));
                    return Exec {
                        result: task_failed(&chain),
                        include: None,
                        action_failure: true,
                        task_error: Some(chain),
                    };
                }
            }
        }
        let background = self.async_spec(task, ctx);
        let no_async = |action: &str| {
            let msg = format!("This action ({action}) does not support async.");
            Exec {
                result: failed_result(msg.clone()),
                include: None,
                action_failure: true,
                task_error: Some(ErrorChain::message(msg)),
            }
        };
        if background.is_some() && matches!(task.action.as_str(), "add_host" | "group_by") {
            return no_async(&task.action);
        }
        match task.action.as_str() {
            "include_tasks" | "include" => {
                let file = args
                    .get("_raw_params")
                    .or_else(|| args.get("file"))
                    .map(rplay_modules::spec::value_to_string)
                    .unwrap_or_default();
                let inherit_probe = Inherit {
                    dir: task.dir.clone(),
                    role: task.role.clone(),
                    ..Default::default()
                };
                let path = match pc
                    .loader
                    .find_task_file(&file, &inherit_probe, &task.origin)
                {
                    Ok(p) => p,
                    Err(e) => return plain(failed_result(e.to_string())),
                };
                let apply = args.get("apply").and_then(Value::as_object);
                let params = self.loop_params(task, vars);
                let inherit = self.include_inherit(task, apply, params);
                return Exec {
                    result: Map::new(),
                    include: Some(IncludeRequest {
                        path,
                        task: (**task).clone(),
                        inherit,
                        item_label: item_label.map(str::to_string),
                        role_name: String::new(),
                    }),
                    action_failure: true,
                    task_error: None,
                };
            }
            "include_role" => {
                let mut t = (**task).clone();
                t.args = args.clone();
                let apply = args.get("apply").and_then(Value::as_object);
                let params = self.loop_params(task, vars);
                let inherit = self.include_inherit(task, apply, params);
                let role_name = args
                    .get("name")
                    .or_else(|| args.get("role"))
                    .map(rplay_modules::spec::value_to_string)
                    .unwrap_or_default();
                return Exec {
                    result: Map::new(),
                    include: Some(IncludeRequest {
                        path: PathBuf::new(),
                        task: t,
                        inherit,
                        item_label: item_label.map(str::to_string),
                        role_name,
                    }),
                    action_failure: true,
                    task_error: None,
                };
            }
            "add_host" => {
                let name = args
                    .get("name")
                    .or_else(|| args.get("hostname"))
                    .or_else(|| args.get("host"))
                    .map(rplay_modules::spec::value_to_string)
                    .unwrap_or_default();
                let groups: Vec<String> = match args
                    .get("groups")
                    .or_else(|| args.get("group"))
                    .or_else(|| args.get("groupname"))
                {
                    Some(Value::Array(a)) => {
                        a.iter().map(rplay_modules::spec::value_to_string).collect()
                    }
                    Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
                    _ => Vec::new(),
                };
                let mut hv = args.clone();
                for k in ["name", "hostname", "host", "groups", "group", "groupname"] {
                    hv.remove(k);
                }
                self.inventory.add_host(&name, &groups, hv);
                let mut r = Map::new();
                r.insert(
                    "add_host".into(),
                    json!({"host_name": name, "groups": groups}),
                );
                r.insert("changed".into(), Value::Bool(true));
                return plain(r);
            }
            "group_by" => {
                let key = args
                    .get("key")
                    .map(rplay_modules::spec::value_to_string)
                    .unwrap_or_default();
                self.inventory.add_to_group(host, &key);
                let mut r = Map::new();
                r.insert("add_group".into(), json!(key));
                r.insert("changed".into(), Value::Bool(false));
                return plain(r);
            }
            _ => {}
        }
        let Some(module) = rplay_modules::registry::find(&task.action) else {
            return plain(failed_result(format!(
                "couldn't resolve module/action '{}'",
                task.action
            )));
        };
        if background.is_some() && !module.supports_async() {
            return no_async(&task.action);
        }
        let spec = module.spec();
        let mut args = args;
        // Modules get dates and datetimes as their `isoformat()` text (JSON); `debug` and
        // `set_fact` keep them as values.
        if !matches!(task.action.as_str(), "debug" | "set_fact") {
            args = args
                .into_iter()
                .map(|(k, v)| (k, crate::yaml::timestamps_to_text(v)))
                .collect();
        }
        // `command` and `shell` run through Ansible's `ansible.legacy.command`: its parameter
        // names (free-form text as `_raw_params`) are what 2.19 checks and reports.
        let command_like = matches!(spec.name, "command" | "shell");
        let given = if command_like {
            args.clone()
        } else {
            Map::new()
        };
        if let Some(ff) = spec.free_form {
            if let Some(raw) = args.remove("_raw_params") {
                args.insert(ff.to_string(), raw);
            }
        }
        let check = self
            .bool_keyword(task, "check_mode", ctx)
            .unwrap_or(self.opts.check);
        if check && !module.supports_check_mode() {
            // Ansible's action plugin skips before the module sees (or checks) its arguments.
            let mut r = Map::new();
            r.insert("changed".into(), Value::Bool(false));
            r.insert(
                "msg".into(),
                json!(format!(
                    "This action ({}) does not support check mode.",
                    task.action_written
                )),
            );
            r.insert("skipped".into(), Value::Bool(true));
            // An action's own skip registers no `failed` (see `post_conditions`).
            r.insert(ACTION_SKIP.into(), Value::Bool(true));
            return plain(r);
        }
        let checked = match command_like
            .then(|| rplay_modules::builtin::command::check_parameters(&given))
            .flatten()
        {
            Some(e) => Err(e),
            None => spec.validate(&args),
        };
        let validated = match checked {
            Ok(a) => a,
            Err(e) => {
                return Exec {
                    result: failed_result(e),
                    include: None,
                    action_failure: spec.controller_only,
                    task_error: None,
                }
            }
        };
        if task.action == "debug" {
            let wanted = validated.int("verbosity").unwrap_or(0);
            if wanted > i64::from(self.opts.verbosity) {
                let mut r = Map::new();
                r.insert("changed".into(), Value::Bool(false));
                r.insert(
                    "skipped_reason".into(),
                    json!("Verbosity threshold not met."),
                );
                r.insert("skipped".into(), Value::Bool(true));
                return Exec {
                    result: r,
                    include: None,
                    action_failure: true,
                    task_error: None,
                };
            }
        }
        let diff = self
            .bool_keyword(task, "diff", ctx)
            .unwrap_or(self.opts.diff);
        let target = delegate.clone().unwrap_or_else(|| host.to_string());
        let handle: Arc<dyn Host> = if spec.controller_only {
            Arc::new(crate::connection::local::LocalHost::new(host))
        } else {
            let tvars = if target == host {
                vars.clone()
            } else {
                let mut m = self.inventory.host_vars(&target);
                if target == "localhost" || target == "127.0.0.1" {
                    m.entry("ansible_connection").or_insert(json!("local"));
                }
                m
            };
            let conn = self.connection_vars(&tvars, ctx);
            let become_ = self.become_for(task, ctx);
            let handle = if module.reaches_host_itself() {
                Ok(Arc::new(super::lazy_host::LazyHost::new(
                    &target,
                    self.connector.clone(),
                    conn,
                    become_,
                )) as Arc<dyn Host>)
            } else {
                self.connector.host(&target, &conn, &become_).await
            };
            match handle {
                Ok(h) => h,
                Err(HostError::Unreachable(msg)) => {
                    let mut r = Map::new();
                    r.insert("changed".into(), Value::Bool(false));
                    r.insert("msg".into(), json!(format!("Task failed: {msg}")));
                    r.insert("unreachable".into(), Value::Bool(true));
                    return plain(r);
                }
                Err(e) => return plain(failed_result(e.to_string())),
            }
        };
        let env = self.environment(task, ctx);
        let handle: Arc<dyn Host> = if env.is_empty() {
            handle
        } else {
            Arc::new(EnvHost { inner: handle, env })
        };
        let paths = self.search_paths(task, pc);
        let async_dir = self
            .str_keyword_var(vars, "ansible_async_dir", ctx)
            .unwrap_or_else(|| self.opts.async_dir.clone());
        let controller = TaskController {
            templating: self.templating.clone(),
            ctx: ctx.clone(),
            search_dirs: paths.dirs,
            async_dir,
        };
        let mctx = Context {
            host: handle.as_ref(),
            controller: &controller,
            check_mode: check,
            diff,
        };
        if let Some(spec) = background {
            let run = self.run_async(module, &validated, &mctx, spec).await;
            return Exec {
                result: run.result,
                include: None,
                action_failure: run.action_failure,
                task_error: None,
            };
        }
        let (result, finished) = match module.plan(&validated, &mctx).await {
            Err(e) => (module_error(e), false),
            Ok(plan) => settle(module, &validated, plan, &mctx).await,
        };
        let mut result = result;
        if !spec.controller_only && !finished && !is_true(&result, "unreachable") {
            let mut module_args = if command_like {
                rplay_modules::builtin::command::invocation_args(
                    &given,
                    &validated.0,
                    spec.name == "shell",
                )
            } else {
                validated.0.clone()
            };
            // As Ansible, secret arguments (`no_log` in the spec) are masked in the invocation.
            for arg in spec.args.iter().filter(|a| a.no_log) {
                if let Some(v) = module_args.get_mut(arg.name).filter(|v| !v.is_null()) {
                    *v = json!("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER");
                }
            }
            result.insert(
                "invocation".into(),
                json!({"module_args": Value::Object(module_args)}),
            );
        }
        let _ = Ordering::SeqCst;
        Exec {
            result,
            include: None,
            action_failure: spec.controller_only,
            task_error: None,
        }
    }

    fn loop_params(&self, task: &Task, vars: &Map<String, Value>) -> Map<String, Value> {
        let mut m = Map::new();
        if task.loop_spec.is_some() {
            for k in ["ansible_loop_var", "ansible_index_var", "ansible_loop"] {
                if let Some(v) = vars.get(k) {
                    m.insert(k.into(), v.clone());
                }
            }
            if let Some(Value::String(lv)) = vars.get("ansible_loop_var") {
                if let Some(v) = vars.get(lv) {
                    m.insert(lv.clone(), v.clone());
                }
            }
            if let Some(Value::String(iv)) = vars.get("ansible_index_var") {
                if let Some(v) = vars.get(iv) {
                    m.insert(iv.clone(), v.clone());
                }
            }
        }
        m
    }

    fn environment(&self, task: &Task, ctx: &Ctx) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for e in &task.environment {
            let rendered = self.templating.render_value(e, ctx).unwrap_or(Value::Null);
            let dicts = match rendered {
                Value::Array(a) => a,
                other => vec![other],
            };
            for d in dicts {
                if let Value::Object(m) = d {
                    for (k, v) in m {
                        out.retain(|(ek, _)| ek != &k);
                        out.push((k, rplay_modules::spec::value_to_string(&v)));
                    }
                }
            }
        }
        out
    }
}

/// Carries out `plan` in the foreground: nothing to do, check mode (the plan is the result) or
/// `apply`. Also says whether the module finished on its own (its result has no `invocation`).
pub(super) async fn settle(
    module: &dyn Module,
    validated: &Args,
    plan: Plan,
    mctx: &Context<'_>,
) -> (Map<String, Value>, bool) {
    let (check, diff) = (mctx.check_mode, mctx.diff);
    if let Some(outcome) = plan.finished {
        return (outcome_result(outcome, diff), true);
    }
    let result = if plan.is_empty() {
        let mut r = plan.values.clone();
        r.insert("changed".into(), Value::Bool(false));
        if let Some(m) = &plan.msg {
            r.insert("msg".into(), json!(m));
        }
        r
    } else if check {
        if plan.always_acts {
            // Ansible's order: changed, the module's keys, msg, skipped, then the
            // module's closing keys (`*_lines`, `failed`).
            let mut r = Map::new();
            r.insert("changed".into(), Value::Bool(false));
            let (lines, rest): (Vec<_>, Vec<_>) = plan
                .values
                .iter()
                .partition(|(k, _)| k.ends_with("_lines") || *k == "failed");
            r.extend(rest.into_iter().map(|(k, v)| (k.clone(), v.clone())));
            r.insert(
                "msg".into(),
                json!("Command would have run if not in check mode"),
            );
            r.insert("skipped".into(), Value::Bool(true));
            r.extend(lines.into_iter().map(|(k, v)| (k.clone(), v.clone())));
            r
        } else {
            let mut r = plan.values.clone();
            r.insert("changed".into(), Value::Bool(true));
            if diff {
                if let Some(d) = diff_value(&plan.changes) {
                    r.insert("diff".into(), d);
                }
            }
            r
        }
    } else {
        match module.apply(validated, plan, mctx).await {
            Err(e) => module_error(e),
            Ok(outcome) => outcome_result(outcome, diff),
        }
    };
    (without_private_values(result), false)
}

/// Drops what a module's plan keeps for its own `apply` (`rplay_*` values, such as a key's
/// bytes or a file's mode): results never show them, in check mode either.
fn without_private_values(mut result: Map<String, Value>) -> Map<String, Value> {
    result.retain(|k, _| !k.starts_with("rplay_"));
    result
}

fn self_delegate_facts(task: &Task) -> bool {
    task.keyword("delegate_facts")
        .and_then(rplay_modules::spec::parse_bool)
        .unwrap_or(false)
}

pub(super) fn module_error(e: ModuleError) -> Map<String, Value> {
    match e {
        ModuleError::Host(HostError::Unreachable(msg)) => {
            let mut r = Map::new();
            r.insert("changed".into(), Value::Bool(false));
            r.insert("msg".into(), json!(format!("Task failed: {msg}")));
            r.insert("unreachable".into(), Value::Bool(true));
            r
        }
        ModuleError::Raised(msg) => {
            let mut r = failed_result(msg);
            r.insert(RAISED.into(), Value::Bool(true));
            r
        }
        other => failed_result(other.to_string()),
    }
}

/// The `diff` a result shows. Like Ansible's copy and template, a file whose contents change
/// shows only the contents: its owner, group and mode changes are applied but not listed.
fn diff_value(changes: &[rplay_modules::Change]) -> Option<Value> {
    let mut texts = Vec::new();
    let mut before = Map::new();
    let mut after = Map::new();
    let has_text = changes.iter().any(|c| c.text.is_some());
    for c in changes {
        if has_text && c.text.is_none() && matches!(c.field.as_str(), "owner" | "group" | "mode") {
            continue;
        }
        if let Some(p) = &c.prepared {
            if !p.is_empty() {
                texts.push(json!({ "prepared": p }));
            }
            continue;
        }
        match &c.text {
            Some(t) => texts.push(json!({
                "before": t.before, "after": t.after,
                "before_header": t.before_header, "after_header": t.after_header,
            })),
            None => {
                before.insert(c.field.clone(), c.before.clone());
                after.insert(c.field.clone(), c.after.clone());
            }
        }
    }
    if !before.is_empty() {
        texts.push(json!({"before": before, "after": after}));
    }
    match texts.len() {
        0 => None,
        1 => texts.pop(),
        _ => Some(Value::Array(texts)),
    }
}

fn outcome_result(o: Outcome, diff: bool) -> Map<String, Value> {
    // Ansible's results start with `changed`, then the module's own keys.
    let shown_diff = if diff { diff_value(&o.diffs) } else { None };
    let mut r = o.into_result();
    if let Some(d) = shown_diff {
        r.insert("diff".into(), d);
    }
    r
}

/// The subdirectory a `with_first_found` loop searches besides the base directories, chosen from
/// the task's action the way Ansible does: `templates` for template actions, `vars` for
/// `include_vars`, else `files`.
fn first_found_subdir(action: &str) -> &'static str {
    if action.contains("template") {
        "templates"
    } else if action.contains("var") {
        "vars"
    } else {
        "files"
    }
}

#[cfg(test)]
mod tests {
    use super::first_found_subdir;

    #[test]
    fn first_found_subdir_follows_the_action() {
        assert_eq!(first_found_subdir("template"), "templates");
        assert_eq!(first_found_subdir("ansible.builtin.template"), "templates");
        assert_eq!(first_found_subdir("include_vars"), "vars");
        assert_eq!(first_found_subdir("ansible.builtin.include_vars"), "vars");
        assert_eq!(first_found_subdir("copy"), "files");
        assert_eq!(first_found_subdir("debug"), "files");
    }
}

#[cfg(test)]
mod censored_error_tests {
    use super::*;

    #[test]
    fn keeps_the_kind_and_hides_the_details() {
        assert_eq!(
            censored_error("Action failed: wrong password hunter2"),
            format!("Action failed: {CENSORED}")
        );
        assert_eq!(censored_error("hunter2 is wrong"), CENSORED);
        assert!(!censored_error("Module failed: rc 1 for hunter2").contains("hunter2"));
    }
}
