//! The executor's outer loop: playbook → play → serial batch → sections (pre_tasks, roles+tasks,
//! post_tasks) with handler flushes → blocks and tasks in lock-step over the batch's hosts.
//! Per-host work for one task lives in `machine.rs`; notifications and flushes in `handlers.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use serde_json::{json, Map, Value};

use super::batches;
use super::connector::{BecomeWanted, Connector};
use super::event::{Event, HostStats, Origin, Reporter};
use super::host_state::HostState;
use super::inventory_view::InventoryView;
use super::tags::TagFilter;
use super::templating::Templating;
use super::vars::{self, VarInputs};
use crate::playbook::{Inherit, Item, Loader, Play, Playbook, RoleScope, Task};

/// Run-wide settings from the command line and configuration.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `--check`.
    pub check: bool,
    /// `--diff`.
    pub diff: bool,
    /// `--forks`.
    pub forks: usize,
    /// `-v` count.
    pub verbosity: u8,
    /// `--tags` / `--skip-tags`.
    pub tags: TagFilter,
    /// `-e` values, merged.
    pub extra_vars: Map<String, Value>,
    /// `--force-handlers`.
    pub force_handlers: bool,
    /// `--start-at-task`.
    pub start_at_task: Option<String>,
    /// `-b`, `--become-user`, `--become-method` defaults.
    pub become_: BecomeWanted,
    /// `gathering` (`implicit`, `explicit`, `smart`).
    pub gathering: String,
    /// The persistent fact cache (`fact_caching = jsonfile`), if configured.
    pub fact_cache: Option<super::fact_cache::FactCache>,
    /// `-i` sources (for `ansible_inventory_sources`).
    pub inventory_sources: Vec<String>,
    /// `async_dir`: where background jobs keep their results files on hosts.
    pub async_dir: String,
    /// `poll_interval`: `poll` of async tasks that set none.
    pub poll_interval: u64,
    /// `[defaults] strategy`: `linear` or `free`, for plays that set no `strategy:`.
    pub strategy: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            check: false,
            diff: false,
            forks: 5,
            verbosity: 0,
            tags: TagFilter::new(&[], &[]),
            extra_vars: Map::new(),
            force_handlers: false,
            start_at_task: None,
            become_: BecomeWanted::default(),
            gathering: "implicit".into(),
            fact_cache: None,
            inventory_sources: Vec::new(),
            async_dir: rplay_modules::job::DEFAULT_ASYNC_DIR.to_string(),
            poll_interval: 15,
            strategy: "linear".into(),
        }
    }
}

/// Why a run stopped with an error (rather than with failed hosts).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Loading a playbook or an included file failed.
    #[error(transparent)]
    Load(#[from] crate::playbook::Error),
    /// A run-level error (missing handler, bad play keyword value...): exit code 1.
    #[error("{0}")]
    Fatal(String),
    /// A bad option value found at run time (an unknown `order:`): exit code 5.
    #[error("{0}")]
    Options(String),
}

/// The state of one play batch, shared by its host tasks.
pub(crate) struct PlayCtx {
    pub(crate) play: Arc<Play>,
    pub(crate) loader: Loader,
    pub(crate) vars_files: Map<String, Value>,
    /// Where each `vars_files` variable's value was written.
    pub(crate) vars_files_origins: BTreeMap<String, Origin>,
    pub(crate) roles: Mutex<Vec<Arc<RoleScope>>>,
    /// Role de-duplication keys placed so far (see `Play::placed_roles`).
    pub(crate) placed_roles: Mutex<HashSet<String>>,
    pub(crate) handlers: Mutex<Vec<Arc<Task>>>,
    /// Hosts notified per handler index, in notification order.
    pub(crate) notified: Mutex<HashMap<usize, Vec<String>>>,
    pub(crate) play_hosts_all: Vec<String>,
    pub(crate) batch: Vec<String>,
    pub(crate) end_play: AtomicBool,
    /// `meta: end_play` ran: the play's later batches do not run either.
    pub(crate) end_later_batches: AtomicBool,
    /// The play runs with `strategy: free` (`strategy_free.rs`).
    pub(crate) free: bool,
}

/// Runs playbooks and reports what happens.
pub struct Runner {
    pub(crate) opts: RunOptions,
    pub(crate) templating: Arc<Templating>,
    pub(crate) inventory: Arc<dyn InventoryView>,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) reporter: Mutex<Box<dyn Reporter>>,
    pub(crate) hosts: Arc<Mutex<HashMap<String, HostState>>>,
    pub(crate) stats: Mutex<BTreeMap<String, HostStats>>,
    pub(crate) stop: AtomicBool,
    pub(crate) fatal: Mutex<Option<String>>,
    pub(crate) started: AtomicBool,
    /// The task of the last banner a free play printed (see `strategy_free.rs`).
    pub(crate) free_banner: Mutex<Option<Arc<Task>>>,
}

/// An include task's outcome on one host: the task, whether a failure there is rescuable, and
/// how the host ended it.
pub(crate) type IncludeSource<'a> = (&'a Arc<Task>, bool, &'a super::machine::HostTaskEnd);

/// Boxed future for the recursive task-list walk.
pub(crate) type Walk<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

impl Runner {
    /// A runner over an inventory and connector, reporting to `reporter`.
    pub fn new(
        opts: RunOptions,
        templating: Arc<Templating>,
        inventory: Arc<dyn InventoryView>,
        connector: Arc<dyn Connector>,
        reporter: Box<dyn Reporter>,
    ) -> Self {
        let started = opts.start_at_task.is_none();
        Runner {
            opts,
            templating,
            inventory,
            connector,
            reporter: Mutex::new(reporter),
            hosts: Arc::new(Mutex::new(HashMap::new())),
            stats: Mutex::new(BTreeMap::new()),
            stop: AtomicBool::new(false),
            fatal: Mutex::new(None),
            started: AtomicBool::new(started),
            free_banner: Mutex::new(None),
        }
    }

    /// Sends an event to the reporter.
    pub(crate) fn report(&self, event: Event) {
        let Some(event) = super::strategy_free::uncaptured(event) else {
            return;
        };
        if let Ok(mut r) = self.reporter.lock() {
            r.report(&event);
        }
    }

    /// The PLAY RECAP counters so far.
    pub fn stats(&self) -> BTreeMap<String, HostStats> {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Lets reporters finish without a recap (the run stopped on an error).
    pub fn finish_without_recap(&self) {
        if let Ok(mut r) = self.reporter.lock() {
            r.finish();
        }
    }

    /// Closes every connection of the run.
    pub async fn close(&self) {
        self.connector.close_all().await;
    }

    /// Prints the recap and lets reporters finish.
    pub fn finish(&self) {
        let stats = self.stats();
        self.report(Event::Recap { stats });
        if let Ok(mut r) = self.reporter.lock() {
            r.finish();
        }
    }

    /// A run-level error raised during the run (missing handler...).
    pub fn fatal_error(&self) -> Option<String> {
        self.fatal.lock().ok().and_then(|f| f.clone())
    }

    /// True when `--start-at-task` never matched.
    pub fn start_at_task_missed(&self) -> bool {
        !self.started.load(Ordering::SeqCst)
    }

    pub(crate) fn set_fatal(&self, msg: String) {
        if let Ok(mut f) = self.fatal.lock() {
            if f.is_none() {
                *f = Some(msg);
            }
        }
        self.stop.store(true, Ordering::SeqCst);
    }

    pub(crate) fn with_stats(&self, host: &str, f: impl FnOnce(&mut HostStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(s.entry(host.to_string()).or_default());
        }
    }

    pub(crate) fn with_host<R>(&self, host: &str, f: impl FnOnce(&mut HostState) -> R) -> R {
        let mut guard = match self.hosts.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(guard.entry(host.to_string()).or_default())
    }

    pub(crate) fn host_active(&self, host: &str) -> bool {
        self.with_host(host, |h| h.active())
    }

    /// Runs one playbook.
    pub async fn run_playbook(&self, pb: &Playbook, loader: &Loader) -> Result<(), RunError> {
        self.report(Event::PlaybookStart {
            path: pb.path.clone(),
            plays: pb.plays.len(),
        });
        for play in &pb.plays {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            self.run_play(play.clone(), loader).await?;
        }
        if let Some(msg) = self.fatal_error() {
            return Err(RunError::Fatal(msg));
        }
        Ok(())
    }

    fn play_level_ctx(&self, play: &Play) -> super::templating::Ctx {
        let mut m = play.vars.clone();
        for (k, v) in &self.opts.extra_vars {
            m.insert(k.clone(), v.clone());
        }
        m.insert("groups".into(), Value::Object(self.inventory.groups()));
        self.templating
            .context(Arc::new(m), Vec::new(), Default::default())
    }

    async fn run_play(&self, play: Arc<Play>, loader: &Loader) -> Result<(), RunError> {
        let mut ctx = self.play_level_ctx(&play);
        let play = if play.vars_prompt.is_empty() {
            play
        } else {
            let mut answered = (*play).clone();
            self.answer_prompts(&play.vars_prompt, &mut answered.vars, &ctx)?;
            ctx = self.play_level_ctx(&answered);
            Arc::new(answered)
        };
        let pattern = match self.templating.render_value(&play.hosts, &ctx) {
            Ok(Value::Array(items)) => items
                .iter()
                .map(rplay_modules::spec::value_to_string)
                .collect::<Vec<_>>()
                .join(","),
            Ok(v) => rplay_modules::spec::value_to_string(&v),
            Err(e) => return Err(RunError::Fatal(format!("Error in play 'hosts': {e}"))),
        };
        let name = match &play.name {
            Some(n) => match self.templating.render_str(n, &ctx) {
                Ok(v) => rplay_modules::spec::value_to_string(&v),
                Err(_) => n.clone(),
            },
            None => pattern.clone(),
        };
        let all = self.inventory.select(&pattern).map_err(RunError::Fatal)?;
        let hosts: Vec<String> = all
            .iter()
            .filter(|h| self.with_host(h, |s| !s.failed && !s.unreachable))
            .cloned()
            .collect();
        if hosts.is_empty() {
            self.report(Event::PlayStart {
                name,
                hosts: Vec::new(),
            });
            self.report(Event::NoHostsMatched);
            return Ok(());
        }
        let (vars_files, vars_files_origins) = self.load_vars_files(&play, loader, &ctx)?;
        let serial = match play.keyword("serial") {
            Some(v) => Some(
                self.templating
                    .render_value(v, &ctx)
                    .map_err(RunError::Fatal)?,
            ),
            None => None,
        };
        let hosts =
            super::host_order::ordered(hosts, play.keyword("order")).map_err(RunError::Options)?;
        let batches = batches::batches(&hosts, serial.as_ref()).map_err(RunError::Fatal)?;
        let strategy = match play.keyword("strategy") {
            Some(v) => rplay_modules::spec::value_to_string(
                &self
                    .templating
                    .render_value(v, &ctx)
                    .map_err(RunError::Fatal)?,
            ),
            None => self.opts.strategy.clone(),
        };
        let free = matches!(strategy.as_str(), "free" | "ansible.builtin.free");
        for batch in batches {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            for h in &batch {
                self.with_host(h, |s| s.ended = false);
            }
            self.report(Event::PlayStart {
                name: name.clone(),
                hosts: batch.clone(),
            });
            let pc = PlayCtx {
                play: play.clone(),
                loader: loader.clone(),
                vars_files: vars_files.clone(),
                vars_files_origins: vars_files_origins.clone(),
                roles: Mutex::new(play.roles.clone()),
                placed_roles: Mutex::new(play.placed_roles.clone()),
                handlers: Mutex::new(play.handlers.clone()),
                notified: Mutex::new(HashMap::new()),
                play_hosts_all: all.clone(),
                batch: batch.clone(),
                end_play: AtomicBool::new(false),
                end_later_batches: AtomicBool::new(false),
                free,
            };
            self.run_batch(&pc).await;
            let batch_failed = batch
                .iter()
                .all(|h| self.with_host(h, |s| s.failed || s.unreachable));
            if batch_failed {
                self.stop.store(true, Ordering::SeqCst);
            }
            for h in &batch {
                self.with_host(h, |s| s.ended = false);
            }
            if pc.end_later_batches.load(Ordering::SeqCst) {
                break;
            }
        }
        Ok(())
    }

    fn load_vars_files(
        &self,
        play: &Play,
        loader: &Loader,
        ctx: &super::templating::Ctx,
    ) -> Result<(Map<String, Value>, BTreeMap<String, Origin>), RunError> {
        let mut out = Map::new();
        let mut origins = BTreeMap::new();
        for entry in &play.vars_files {
            let alternatives: Vec<Value> = match entry {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            // 2.19 skips an entry none of whose files exists, silently.
            for alt in &alternatives {
                let name = match self.templating.render_value(alt, ctx) {
                    Ok(v) => rplay_modules::spec::value_to_string(&v),
                    Err(_) => continue,
                };
                let p = std::path::Path::new(&name);
                let candidates = if p.is_absolute() {
                    vec![p.to_path_buf()]
                } else {
                    vec![
                        play.playbook_dir.join("vars").join(p),
                        play.playbook_dir.join(p),
                    ]
                };
                if let Some(path) = candidates.iter().find(|c| c.is_file()) {
                    let (vars, at) = loader.read_vars_file_with_origins(path)?;
                    for name in vars.keys() {
                        origins.remove(name);
                    }
                    out.extend(vars);
                    origins.extend(at);
                    break;
                }
            }
        }
        Ok((out, origins))
    }

    fn gathers_facts(&self, pc: &PlayCtx) -> bool {
        let explicit = pc
            .play
            .keyword("gather_facts")
            .and_then(rplay_modules::spec::parse_bool);
        match self.opts.gathering.as_str() {
            "explicit" => explicit == Some(true),
            _ => explicit.unwrap_or(true),
        }
    }

    /// The implicit `Gathering Facts` task of the play, if it gathers facts.
    fn gather_task(&self, pc: &PlayCtx) -> Option<Arc<Task>> {
        if !self.gathers_facts(pc) || rplay_modules::registry::find("setup").is_none() {
            return None;
        }
        {
            let mut args = Map::new();
            if let Some(s) = pc.play.keyword("gather_subset") {
                args.insert("gather_subset".into(), s.clone());
            }
            if let Some(s) = pc.play.keyword("gather_timeout") {
                args.insert("gather_timeout".into(), s.clone());
            }
            if let Some(s) = pc.play.keyword("fact_path") {
                args.insert("fact_path".into(), s.clone());
            }
            let mut kw = pc.play.keywords.clone();
            kw.remove("run_once");
            let mut task = Task::synthetic(
                Some("Gathering Facts".into()),
                "setup",
                args,
                pc.play.origin.clone(),
                kw,
            );
            task.tags = if pc.play.tags.is_empty() {
                vec!["always".into()]
            } else {
                pc.play.tags.clone()
            };
            task.dir = pc.play.playbook_dir.clone();
            task.module_defaults = pc.play.module_defaults.clone();
            Some(Arc::new(task))
        }
    }

    async fn run_batch(&self, pc: &PlayCtx) {
        let gather = self.gather_task(pc);
        if pc.free {
            return self.run_batch_free(pc, gather).await;
        }
        if let Some(task) = gather {
            let hosts = self.hosts_to_gather(&pc.batch);
            if !hosts.is_empty() {
                self.run_task(pc, &task, &hosts, false, false).await;
                self.cache_facts(&hosts);
            }
        }
        let sections = [&pc.play.pre_tasks, &pc.play.tasks, &pc.play.post_tasks];
        for items in sections {
            if self.stop.load(Ordering::SeqCst) || pc.end_play.load(Ordering::SeqCst) {
                break;
            }
            let hosts = self.active(&pc.batch);
            self.run_items(pc, items, hosts, false).await;
            if self.stop.load(Ordering::SeqCst) && self.fatal_error().is_some() {
                return;
            }
            let hosts = self.flush_targets(pc);
            self.flush_handlers(pc, hosts).await;
        }
    }

    /// Active hosts of `batch` that need `setup`: with `gathering = smart`, hosts that already have
    /// facts (gathered earlier in this run, or fresh in the fact cache, which are loaded now) are left
    /// out.
    pub(crate) fn hosts_to_gather(&self, batch: &[String]) -> Vec<String> {
        let hosts = self.active(batch);
        if self.opts.gathering != "smart" {
            return hosts;
        }
        hosts
            .into_iter()
            .filter(|h| {
                if self.with_host(h, |s| s.facts.contains_key("module_setup")) {
                    return false;
                }
                let cached = self.opts.fact_cache.as_ref().and_then(|c| c.load(h));
                match cached {
                    Some(facts) if facts.contains_key("module_setup") => {
                        self.with_host(h, |s| {
                            for (k, v) in facts {
                                let k = k.strip_prefix("ansible_").map(str::to_string).unwrap_or(k);
                                s.facts.insert(k, v);
                            }
                        });
                        false
                    }
                    _ => true,
                }
            })
            .collect()
    }

    /// Writes the facts of `hosts` to the fact cache, if one is configured.
    pub(crate) fn cache_facts(&self, hosts: &[String]) {
        let Some(cache) = &self.opts.fact_cache else {
            return;
        };
        for h in hosts {
            let facts: Map<String, Value> = self.with_host(h, |s| {
                s.facts
                    .iter()
                    .map(|(k, v)| {
                        let key = if matches!(k.as_str(), "gather_subset" | "module_setup") {
                            k.clone()
                        } else {
                            format!("ansible_{k}")
                        };
                        (key, v.clone())
                    })
                    .collect()
            });
            if !facts.contains_key("module_setup") {
                continue;
            }
            if let Err(e) = cache.store(h, &facts) {
                self.report(Event::Warning { message: e });
            }
        }
    }

    /// Hosts of `hosts` still in the play.
    pub(crate) fn active(&self, hosts: &[String]) -> Vec<String> {
        hosts
            .iter()
            .filter(|h| self.host_active(h))
            .cloned()
            .collect()
    }

    /// Runs a task list for `hosts` in lock-step. `rescuable`: a failure here is caught by an
    /// enclosing `rescue`.
    pub(crate) fn run_items<'a>(
        &'a self,
        pc: &'a PlayCtx,
        items: &'a [Item],
        hosts: Vec<String>,
        rescuable: bool,
    ) -> Walk<'a> {
        Box::pin(async move {
            for item in items {
                if self.stop.load(Ordering::SeqCst) || pc.end_play.load(Ordering::SeqCst) {
                    return;
                }
                let active = self.active(&hosts);
                if active.is_empty() {
                    return;
                }
                match item {
                    Item::Task(t) => self.run_task(pc, t, &active, rescuable, false).await,
                    Item::Block(b) => {
                        let entered = active;
                        self.run_items(
                            pc,
                            &b.body,
                            entered.clone(),
                            rescuable || !b.rescue.is_empty(),
                        )
                        .await;
                        let failed: Vec<String> = entered
                            .iter()
                            .filter(|h| self.with_host(h, |s| s.failed && !s.unreachable))
                            .cloned()
                            .collect();
                        if !b.rescue.is_empty() && !failed.is_empty() {
                            for h in &failed {
                                self.with_host(h, |s| {
                                    s.failed = false;
                                    s.rescue_pending = false;
                                });
                            }
                            self.run_items(pc, &b.rescue, failed.clone(), rescuable)
                                .await;
                        }
                        if !b.always.is_empty() {
                            let still_failed: Vec<String> = entered
                                .iter()
                                .filter(|h| self.with_host(h, |s| s.failed && !s.unreachable))
                                .cloned()
                                .collect();
                            for h in &still_failed {
                                self.with_host(h, |s| s.failed = false);
                            }
                            let always_hosts: Vec<String> = entered
                                .iter()
                                .filter(|h| self.with_host(h, |s| !s.unreachable && !s.ended))
                                .cloned()
                                .collect();
                            self.run_items(pc, &b.always, always_hosts, rescuable).await;
                            for h in &still_failed {
                                self.with_host(h, |s| s.failed = true);
                            }
                        }
                    }
                }
            }
        })
    }

    /// Builds the variables of `host` for `task` (or play level when `None`).
    pub(crate) fn task_vars(
        &self,
        pc: &PlayCtx,
        host: &str,
        task: Option<&Task>,
    ) -> Map<String, Value> {
        let state = self.with_host(host, |s| s.clone());
        let roles = pc.roles.lock().map(|r| r.clone()).unwrap_or_default();
        let inp = VarInputs {
            play_roles: &roles,
            inventory_vars: self.inventory.host_vars(host),
            state: &state,
            play_vars: &pc.play.vars,
            vars_files: &pc.vars_files,
            task,
            extra_vars: &self.opts.extra_vars,
            magic: self.magic_vars(pc, host),
        };
        vars::assemble(&inp)
    }

    fn magic_vars(&self, pc: &PlayCtx, host: &str) -> Map<String, Value> {
        let play_hosts: Vec<Value> = pc
            .play_hosts_all
            .iter()
            .filter(|h| self.with_host(h, |s| s.active()))
            .map(|h| Value::String(h.clone()))
            .collect();
        let batch: Vec<Value> = pc
            .batch
            .iter()
            .filter(|h| self.with_host(h, |s| s.active()))
            .map(|h| Value::String(h.clone()))
            .collect();
        let short = if host.parse::<std::net::IpAddr>().is_ok() {
            host.to_string()
        } else {
            host.split('.').next().unwrap_or(host).to_string()
        };
        let mut m = Map::new();
        m.insert("inventory_hostname".into(), json!(host));
        m.insert("inventory_hostname_short".into(), json!(short));
        m.insert(
            "group_names".into(),
            json!(self.inventory.group_names(host)),
        );
        m.insert(
            "playbook_dir".into(),
            json!(pc.play.playbook_dir.display().to_string()),
        );
        m.insert("ansible_play_hosts_all".into(), json!(pc.play_hosts_all));
        m.insert("ansible_play_hosts".into(), Value::Array(play_hosts));
        m.insert("ansible_play_batch".into(), Value::Array(batch.clone()));
        m.insert("play_hosts".into(), Value::Array(batch));
        m.insert("ansible_play_name".into(), json!(pc.play.display_name()));
        let role_names: Vec<Value> = pc
            .roles
            .lock()
            .map(|r| r.iter().map(|r| json!(r.name)).collect())
            .unwrap_or_default();
        m.insert(
            "ansible_play_role_names".into(),
            Value::Array(role_names.clone()),
        );
        m.insert("role_names".into(), Value::Array(role_names));
        m.insert("ansible_check_mode".into(), json!(self.opts.check));
        m.insert("ansible_diff_mode".into(), json!(self.opts.diff));
        m.insert("ansible_verbosity".into(), json!(self.opts.verbosity));
        m.insert("ansible_forks".into(), json!(self.opts.forks));
        m.insert("ansible_run_tags".into(), json!(self.opts.tags.run_tags()));
        m.insert(
            "ansible_skip_tags".into(),
            json!(self.opts.tags.skip_tags()),
        );
        m.insert(
            "ansible_version".into(),
            json!({"full": "2.19.4", "major": 2, "minor": 19, "revision": 4, "string": "2.19.4"}),
        );
        m.insert(
            "ansible_inventory_sources".into(),
            json!(self.opts.inventory_sources),
        );
        m.insert("ansible_playbook_python".into(), json!("/usr/bin/python3"));
        m.insert("ansible_config_file".into(), Value::Null);
        if let Some(src) = self.inventory.source_of(host) {
            m.insert("inventory_file".into(), json!(src.display().to_string()));
            if let Some(dir) = src.parent() {
                m.insert("inventory_dir".into(), json!(dir.display().to_string()));
            }
        }
        m
    }

    /// Hosts whose handlers run at a flush: active ones, plus failed ones with force_handlers.
    pub(crate) fn flush_targets(&self, pc: &PlayCtx) -> Vec<String> {
        pc.batch
            .iter()
            .filter(|h| self.flushes(pc, h))
            .cloned()
            .collect()
    }

    /// Whether `host` runs its notified handlers at a flush (see [`Runner::flush_targets`]).
    pub(crate) fn flushes(&self, pc: &PlayCtx, host: &str) -> bool {
        let force = self.opts.force_handlers
            || pc
                .play
                .keyword("force_handlers")
                .and_then(rplay_modules::spec::parse_bool)
                .unwrap_or(false);
        self.with_host(host, |s| !s.unreachable && !s.ended && (force || !s.failed))
    }

    /// Runs `task` on `hosts` in parallel (bounded by forks), then the includes it produced.
    pub(crate) async fn run_task(
        &self,
        pc: &PlayCtx,
        task: &Arc<Task>,
        hosts: &[String],
        rescuable: bool,
        is_handler: bool,
    ) {
        if !is_handler && !self.task_selected(task) {
            return;
        }
        if hosts.is_empty() {
            return;
        }
        let first_vars = self.task_vars(pc, &hosts[0], Some(task));
        let display = self.display_name(task, &first_vars);
        if task.action == "meta" {
            self.run_meta(pc, task, hosts, &display).await;
            return;
        }
        self.report(Event::TaskStart(super::event::TaskStart {
            name: display.clone(),
            kind: if is_handler {
                super::event::TaskKind::Handler
            } else {
                super::event::TaskKind::Task
            },
            action: task.action_written.clone(),
            origin: Some(task.origin.clone()),
        }));
        let run_once = task
            .keyword("run_once")
            .and_then(rplay_modules::spec::parse_bool)
            .unwrap_or(false);
        let targets: Vec<String> = if run_once {
            hosts.iter().take(1).cloned().collect()
        } else {
            hosts.to_vec()
        };
        let forks = self.opts.forks.max(1);
        let throttle = task
            .keyword("throttle")
            .and_then(Value::as_u64)
            .filter(|t| *t > 0)
            .map(|t| t as usize)
            .unwrap_or(forks)
            .min(forks);
        let display_ref = &display;
        let futs = targets
            .iter()
            .cloned()
            .map(|h| async move { self.run_host(pc, task, &h, display_ref, rescuable).await });
        let outcomes: Vec<super::machine::HostTaskEnd> = futures::stream::iter(futs)
            .buffered(throttle)
            .collect()
            .await;
        if run_once {
            if let Some(first) = outcomes.first() {
                self.apply_run_once(pc, task, hosts, first);
            }
        }
        let aef = task
            .keyword("any_errors_fatal")
            .or_else(|| pc.play.keyword("any_errors_fatal"))
            .and_then(rplay_modules::spec::parse_bool)
            .unwrap_or(false);
        if aef && outcomes.iter().any(|o| o.failed || o.unreachable) {
            // Every other host of the batch fails where it stands: like the failed host, it
            // still runs the rescue and always sections around this task (a rescue saves it),
            // then leaves the play; its recap shows no failure of its own.
            for h in &pc.batch {
                self.with_host(h, |s| {
                    if s.active() {
                        s.failed = true;
                    }
                });
            }
            return;
        }
        if let Some(mfp) = pc.play.keyword("max_fail_percentage").and_then(|v| {
            v.as_f64().or_else(|| {
                v.as_str()
                    .and_then(|s| s.trim_end_matches('%').parse().ok())
            })
        }) {
            let failed = pc
                .batch
                .iter()
                .filter(|h| self.with_host(h, |s| (s.failed && !s.rescue_pending) || s.unreachable))
                .count();
            if batches::exceeds_max_fail(failed, pc.batch.len(), mfp) {
                for h in &pc.batch {
                    self.with_host(h, |s| {
                        if s.active() {
                            s.failed = true;
                        }
                    });
                }
                // ansible-core 2.19 prints this banner twice on a max_fail_percentage abort.
                self.report(Event::NoMoreHosts);
                self.report(Event::NoMoreHosts);
                self.stop.store(true, Ordering::SeqCst);
                return;
            }
        }
        self.run_includes(pc, task, &outcomes, rescuable).await;
    }

    /// Whether `task` (not a handler) runs: `--tags`/`--skip-tags` select it and `--start-at-task`
    /// has been reached (reaching it here starts the run).
    pub(crate) fn task_selected(&self, task: &Task) -> bool {
        if !self.opts.tags.selects(&task.tags) {
            return false;
        }
        if !self.started.load(Ordering::SeqCst) {
            let name = task.raw_display_name();
            let pattern = self.opts.start_at_task.clone().unwrap_or_default();
            let matches = globset::Glob::new(&pattern)
                .map(|g| g.compile_matcher())
                .map(|m| m.is_match(&name) || task.name.as_deref().is_some_and(|n| m.is_match(n)))
                .unwrap_or(false)
                || name == pattern
                || task.name.as_deref() == Some(pattern.as_str());
            if !matches {
                return false;
            }
            self.started.store(true, Ordering::SeqCst);
        }
        true
    }

    pub(crate) fn display_name(&self, task: &Task, vars: &Map<String, Value>) -> String {
        if task.action == "include_role" && task.name.is_none() {
            return task.raw_display_name();
        }
        let base = match &task.name {
            Some(n) if Templating::is_template(n) => {
                let ctx =
                    self.templating
                        .context(Arc::new(vars.clone()), Vec::new(), Default::default());
                match self.templating.render_str(n, &ctx) {
                    Ok(v) => rplay_modules::spec::value_to_string(&v),
                    Err(_) => self.name_with_error_markers(n, &ctx),
                }
            }
            Some(n) => n.clone(),
            None if task.action == "include_role" => {
                let role = task.args.get("name").or_else(|| task.args.get("role"));
                let role = role.map(rplay_modules::spec::value_to_string);
                format!("{} : {}", task.action_written, role.unwrap_or_default())
            }
            None => task.action_written.clone(),
        };
        // An include_role banner never carries the enclosing role's name.
        if task.action == "include_role" {
            return base;
        }
        match &task.role {
            Some(r) if task.action != "include_role" => format!("{} : {}", r.name, base),
            _ => base,
        }
    }

    /// A task name whose templates fail: each failing `{{ }}` part becomes
    /// `<< error N - message >>` (as ansible-core 2.19 shows it) and a warning is reported.
    fn name_with_error_markers(&self, name: &str, ctx: &super::templating::Ctx) -> String {
        let mut out = String::new();
        let mut rest = name;
        let mut errors = Vec::new();
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start..].find("}}") else {
                break;
            };
            out.push_str(&rest[..start]);
            let part = &rest[start..start + len + 2];
            match self.templating.render_str(part, ctx) {
                Ok(v) => out.push_str(&rplay_modules::spec::value_to_string(&v)),
                Err(e) => {
                    errors.push(e.clone());
                    out.push_str(&format!("<< error {} - {} >>", errors.len(), e));
                }
            }
            rest = &rest[start + len + 2..];
        }
        out.push_str(rest);
        if !errors.is_empty() {
            let mut msg = format!(
                "Encountered {} template error{}.",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            for (i, e) in errors.iter().enumerate() {
                msg.push_str(&format!("\nerror {} - {}", i + 1, e));
            }
            self.report(Event::Warning { message: msg });
        }
        out
    }

    fn apply_run_once(
        &self,
        _pc: &PlayCtx,
        task: &Task,
        hosts: &[String],
        first: &super::machine::HostTaskEnd,
    ) {
        for h in hosts.iter().skip(1) {
            if let Some(reg) = &task.register {
                let r = first.registered.clone();
                self.with_host(h, |s| {
                    s.set_facts
                        .insert(reg.clone(), crate::template::as_data(Value::Object(r)));
                });
            }
            if let Some(facts) = &first.set_facts {
                let facts = facts.clone();
                self.with_host(h, |s| s.set_facts.extend(facts));
            }
            if first.failed {
                self.with_host(h, |s| s.failed = true);
            }
        }
    }

    async fn run_includes(
        &self,
        pc: &PlayCtx,
        task: &Arc<Task>,
        outcomes: &[super::machine::HostTaskEnd],
        rescuable: bool,
    ) {
        let ends: Vec<IncludeSource> = outcomes.iter().map(|o| (task, rescuable, o)).collect();
        for (_, rescuable, role, hosts) in self.load_includes(pc, &ends) {
            self.run_items(pc, &role.items, hosts, rescuable).await;
        }
    }

    /// Loads what the include tasks among `ends` asked for, each file or role once for the hosts
    /// that included it alike with the same task (in order of first appearance), and shows its
    /// `included:` line; a load error fails those hosts. Returns what to run, for whom.
    pub(crate) fn load_includes(
        &self,
        pc: &PlayCtx,
        ends: &[IncludeSource<'_>],
    ) -> Vec<(
        Arc<Task>,
        bool,
        crate::playbook::load::IncludedRole,
        Vec<String>,
    )> {
        type Group = (Arc<Task>, bool, super::machine::IncludeRequest, Vec<String>);
        let mut groups: Vec<Group> = Vec::new();
        for (task, rescuable, o) in ends {
            for inc in &o.includes {
                match groups
                    .iter_mut()
                    .find(|(t, _, g, _)| Arc::ptr_eq(t, task) && g.same_as(inc))
                {
                    Some((_, _, _, hosts)) => hosts.push(o.host.clone()),
                    None => groups.push((
                        Arc::clone(task),
                        *rescuable,
                        inc.clone(),
                        vec![o.host.clone()],
                    )),
                }
            }
        }
        // Every include is loaded (and its `included:` line shown) before any of them runs.
        let mut to_run = Vec::new();
        for (task, rescuable, inc, hosts) in groups {
            let loaded = if task.action == "include_role" {
                let mut placed = pc
                    .placed_roles
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                pc.loader.include_role(&inc.task, &inc.inherit, &mut placed)
            } else {
                pc.loader.include_tasks(&inc.path, &inc.inherit)
            };
            let what = if task.action == "include_role" {
                inc.role_name.clone()
            } else {
                inc.path.display().to_string()
            };
            match loaded {
                Ok(role) => {
                    self.report(Event::Included {
                        what,
                        hosts: hosts.clone(),
                        item_label: inc.item_label.clone(),
                    });
                    // 2.19 counts both include_tasks and include_role results as ok.
                    for h in &hosts {
                        self.with_stats(h, |s| s.ok += 1);
                    }
                    if let Ok(mut hs) = pc.handlers.lock() {
                        hs.extend(role.handlers.iter().cloned());
                    }
                    if let Ok(mut rs) = pc.roles.lock() {
                        rs.extend(role.roles.iter().filter(|r| r.public).cloned());
                    }
                    to_run.push((task, rescuable, role, hosts));
                }
                Err(e) => {
                    for h in &hosts {
                        let mut result = Map::new();
                        result.insert("changed".into(), Value::Bool(false));
                        result.insert("failed".into(), Value::Bool(true));
                        result.insert("reason".into(), Value::String(e.to_string()));
                        let mut end = super::machine::HostTaskEnd::new(h);
                        self.count_and_register(&task, h, &result, false, rescuable, &mut end);
                        self.report(Event::HostResult(Box::new(super::event::HostResult {
                            error: Some(super::error_chain::ErrorChain::message(e.to_string())),
                            origin: Some(task.origin.clone()),
                            ..super::event::HostResult::new(h, super::event::Status::Failed, result)
                        })));
                    }
                }
            }
        }
        to_run
    }

    /// The `Inherit` for tasks brought in by an include: what the include's enclosing levels pass
    /// down (not the include's own keywords, tags or `when`), plus its `apply:` keywords.
    pub(crate) fn include_inherit(
        &self,
        task: &Task,
        apply: Option<&Map<String, Value>>,
        params: Map<String, Value>,
    ) -> Inherit {
        let parent = task.include_parent.as_deref().cloned().unwrap_or_default();
        let mut keywords = parent.keywords;
        let mut tags = parent.tags;
        let mut when = parent.when;
        let mut environment = parent.environment;
        if let Some(apply) = apply {
            for (k, v) in apply {
                match k.as_str() {
                    "tags" => {
                        let node =
                            crate::playbook::node::Node::Leaf(v.clone(), task.origin.clone());
                        for t in crate::playbook::task::tag_list(&node) {
                            if !tags.contains(&t) {
                                tags.push(t);
                            }
                        }
                    }
                    "when" => when.push(crate::playbook::Cond {
                        expr: v.clone(),
                        origin: task.origin.clone(),
                    }),
                    "environment" => environment.push(v.clone()),
                    _ => {
                        keywords.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        let mut include_params = task.include_params.clone();
        include_params.extend(task.vars.clone());
        include_params.extend(params);
        Inherit {
            when,
            tags,
            vars: Map::new(),
            var_origins: Default::default(),
            environment,
            keywords,
            role: task.role.clone(),
            include_params,
            dir: task.dir.clone(),
            module_defaults: task.module_defaults.clone(),
        }
    }
}
