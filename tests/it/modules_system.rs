//! Lab tests of the system modules (apt, package, systemd, service, firewalld, user, group, ...)
//! on a real rlab host over rplay's own SSH connection. Each trial follows the module contract:
//! converge from fresh, a second run plans nothing, a drift made by hand is planned exactly
//! (check mode changes nothing), and applying the plan fixes it.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Failed, Trial};
use rplay::connection::{ConnectOptions, ConnectionSpec, Pool};
use rplay_modules::{registry, Command, Context, Controller, Host, Outcome, Plan, Value};
use serde_json::{json, Map};

use crate::fixture::{self, Lab};

/// Every trial of this area.
pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "modules_system::apt_converge_drift_remove",
            apt_converge_drift_remove,
        ),
        Trial::test(
            "modules_system::package_dispatches_to_apt",
            package_dispatches_to_apt,
        ),
        Trial::test(
            "modules_system::systemd_unit_lifecycle",
            systemd_unit_lifecycle,
        ),
        Trial::test(
            "modules_system::service_on_systemd_host",
            service_on_systemd_host,
        ),
        Trial::test(
            "modules_system::firewalld_runtime_and_permanent",
            firewalld_runtime_and_permanent,
        ),
        Trial::test("modules_system::firewalld_offline", firewalld_offline),
        Trial::test("modules_system::user_and_group", user_and_group),
        Trial::test(
            "modules_system::setup_matches_ansible",
            setup_matches_ansible,
        ),
        Trial::test(
            "modules_system::setup_subset_filter_local",
            setup_subset_filter_local,
        ),
        Trial::test("modules_system::ping_pong", ping_pong),
        Trial::test("modules_system::getent_facts", getent_facts),
        Trial::test(
            "modules_system::sysctl_file_and_runtime",
            sysctl_file_and_runtime,
        ),
        Trial::test(
            "modules_system::hostname_set_and_restore",
            hostname_set_and_restore,
        ),
        Trial::test(
            "modules_system::service_and_package_facts",
            service_and_package_facts,
        ),
        Trial::test(
            "modules_system::apt_repository_add_remove",
            apt_repository_add_remove,
        ),
        Trial::test("modules_system::cron_jobs", cron_jobs),
        Trial::test("modules_system::mount_lifecycle", mount_lifecycle),
        Trial::test("modules_system::debconf_answers", debconf_answers),
        Trial::test("modules_system::debconf_like_ansible", debconf_like_ansible),
        Trial::test("modules_system::authorized_keys", authorized_keys),
        Trial::test("modules_system::apt_key_files", apt_key_files),
        Trial::test(
            "modules_system::same_end_state_as_ansible",
            same_end_state_as_ansible,
        ),
        Trial::test(
            "modules_system::git_checkout_lifecycle",
            git_checkout_lifecycle,
        ),
        Trial::test("modules_system::git_matches_ansible", git_matches_ansible),
    ]
}

/// This area's lab: one full host (firewalld, systemd, apt with the local repository).
fn lab() -> Result<&'static Lab, Failed> {
    static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
    LAB.get_or_init(|| fixture::start_lab(&format!("msys-{}", fixture::lab_tag()), 1, &[]))
        .as_ref()
        .map_err(|e| Failed::from(e.as_str()))
}

/// A python lab host for differential tests against ansible's own setup module.
fn pylab() -> Result<&'static Lab, Failed> {
    static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
    LAB.get_or_init(|| {
        fixture::start_lab(&format!("msyspy-{}", fixture::lab_tag()), 1, &["--python"])
    })
    .as_ref()
    .map_err(|e| Failed::from(e.as_str()))
}

/// A controller with nothing on it: system modules never read controller files.
struct NoController;

impl Controller for NoController {
    fn find_file(&self, _kind: &str, name: &str) -> Result<PathBuf, String> {
        Err(format!("Could not find or access '{name}'"))
    }
    fn render_template(&self, path: &std::path::Path) -> Result<String, String> {
        Err(format!("no templates in these tests: {}", path.display()))
    }
    fn eval(&self, expr: &str) -> Result<Value, String> {
        Err(format!("no expressions in these tests: {expr}"))
    }
}

/// One task's run: its plan, and the outcome when it was applied.
struct Run {
    plan: Plan,
    outcome: Option<Outcome>,
}

impl Run {
    fn changed(&self) -> bool {
        !self.plan.is_empty()
    }
    fn fields(&self) -> Vec<String> {
        self.plan.changes.iter().map(|c| c.field.clone()).collect()
    }
    fn value(&self, key: &str) -> Value {
        self.outcome
            .as_ref()
            .and_then(|o| o.values.get(key).cloned())
            .or_else(|| self.plan.values.get(key).cloned())
            .unwrap_or(Value::Null)
    }
}

/// A connected lab host.
struct Target {
    rt: tokio::runtime::Runtime,
    host: Arc<dyn Host>,
    /// The trials share one host: they run one at a time.
    _turn: std::sync::MutexGuard<'static, ()>,
}

/// Serialises this area's trials (they share the host's package database, units and firewall).
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Target {
    fn connect() -> Result<Target, Failed> {
        Target::connect_to(lab)
    }

    fn connect_to(which: fn() -> Result<&'static Lab, Failed>) -> Result<Target, Failed> {
        let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
        let lab = which()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Failed::from(format!("tokio runtime: {e}")))?;
        let mut v = Map::new();
        v.insert("ansible_host".into(), json!("127.0.0.1"));
        v.insert("ansible_port".into(), json!(lab.port("h1")?));
        v.insert("ansible_user".into(), json!("root"));
        v.insert(
            "ansible_ssh_private_key_file".into(),
            json!(lab.key.display().to_string()),
        );
        v.insert(
            "ansible_ssh_common_args".into(),
            json!(format!(
                "-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o IdentityAgent=none",
                lab.known_hosts.display()
            )),
        );
        let opts = ConnectOptions {
            ssh_config_file: Some("/dev/null".into()),
            retries: 0,
            ..ConnectOptions::default()
        };
        let spec =
            ConnectionSpec::from_vars("h1", &v, &opts).map_err(|e| Failed::from(e.to_string()))?;
        let pool = Pool::new();
        let host = rt.block_on(pool.host(&spec, None))?;
        Ok(Target {
            rt,
            host,
            _turn: turn,
        })
    }

    /// Runs `cmd` on the host; fails the trial on a non-zero exit.
    fn sh(&self, cmd: &str) -> Result<String, Failed> {
        let out = self.rt.block_on(self.host.run(Command::new(cmd)))?;
        if out.rc != 0 {
            return Err(format!(
                "{cmd}: rc {} {}{}",
                out.rc,
                out.stdout_str(),
                out.stderr_str()
            )
            .into());
        }
        Ok(out.stdout_str().trim().to_string())
    }

    /// Runs `cmd` and returns its exit status.
    fn rc(&self, cmd: &str) -> Result<i32, Failed> {
        Ok(self.rt.block_on(self.host.run(Command::new(cmd)))?.rc)
    }

    /// Runs module `name` with `args` like the engine does: validate, plan, apply unless check.
    fn task(&self, name: &str, args: Value, check: bool) -> Result<Run, Failed> {
        let module = registry::find(name).ok_or_else(|| format!("no module {name}"))?;
        let raw = args.as_object().cloned().unwrap_or_default();
        let args = module.spec().validate(&raw)?;
        let ctl = NoController;
        let ctx = Context {
            host: self.host.as_ref(),
            controller: &ctl,
            check_mode: check,
            diff: true,
        };
        self.rt.block_on(async {
            let plan = module
                .plan(&args, &ctx)
                .await
                .map_err(|e| Failed::from(format!("{name} plan: {e}")))?;
            if plan.is_empty() || check {
                return Ok(Run {
                    plan,
                    outcome: None,
                });
            }
            let outcome = module
                .apply(&args, plan.clone(), &ctx)
                .await
                .map_err(|e| Failed::from(format!("{name} apply: {e}")))?;
            if outcome.failed {
                return Err(Failed::from(format!(
                    "{name} failed: {:?} {:?}",
                    outcome.msg, outcome.values
                )));
            }
            Ok(Run {
                plan,
                outcome: Some(outcome),
            })
        })
    }
}

fn ensure(cond: bool, msg: impl Into<String>) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(Failed::from(msg.into()))
    }
}

fn apt_converge_drift_remove() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh("apt-get -y -q remove hello tree >/dev/null 2>&1 || true")?;
    let args = json!({"name": ["hello", "tree"], "update_cache": true, "cache_valid_time": 3600});
    let first = t.task("apt", args.clone(), false)?;
    ensure(first.changed(), "fresh host: apt installs")?;
    ensure(
        first.fields().contains(&"package:hello".to_string()),
        format!("plan {:?}", first.fields()),
    )?;
    ensure(
        t.rc("dpkg -s hello >/dev/null && dpkg -s tree >/dev/null")? == 0,
        "hello and tree installed",
    )?;
    ensure(
        first
            .value("stdout")
            .as_str()
            .is_some_and(|s| s.contains("hello")),
        "apt-get stdout returned",
    )?;
    let second = t.task("apt", args.clone(), false)?;
    ensure(
        !second.changed(),
        format!("second run is ok, plan {:?}", second.fields()),
    )?;
    ensure(
        second.value("cache_updated") == json!(false),
        "cache still valid",
    )?;
    // Drift: remove one package by hand.
    t.sh("apt-get -y -q remove hello >/dev/null 2>&1")?;
    let check = t.task("apt", args.clone(), true)?;
    ensure(
        check.fields() == vec!["package:hello"],
        format!("check reports exactly the drift: {:?}", check.fields()),
    )?;
    ensure(
        t.rc("dpkg -s hello >/dev/null 2>&1")? != 0,
        "check mode changed nothing",
    )?;
    let fix = t.task("apt", args, false)?;
    ensure(
        fix.changed() && t.rc("dpkg -s hello >/dev/null")? == 0,
        "apply fixes the drift",
    )?;
    // update_cache with packages: the cache is refreshed but that alone is not a change.
    let r = t.task("apt", json!({"name": "hello", "update_cache": true}), false)?;
    ensure(
        !r.changed(),
        format!(
            "update_cache with installed packages is ok: {:?}",
            r.fields()
        ),
    )?;
    ensure(r.value("cache_updated") == json!(true), "cache was updated")?;
    let r = t.task("apt", json!({"update_cache": true}), false)?;
    ensure(
        r.changed() && r.value("cache_updated") == json!(true),
        "update_cache alone changes",
    )?;
    // Versions and removal.
    let pinned = t.task("apt", json!({"name": "hello=2.10*"}), false)?;
    ensure(!pinned.changed(), "a matching version pin is ok")?;
    let gone = t.task(
        "apt",
        json!({"pkg": "hello,tree", "state": "absent", "purge": true}),
        false,
    )?;
    ensure(
        gone.fields().len() == 2,
        format!("both removed: {:?}", gone.fields()),
    )?;
    ensure(t.rc("dpkg -s hello >/dev/null 2>&1")? != 0, "hello removed")?;
    let again = t.task(
        "apt",
        json!({"pkg": "hello,tree", "state": "absent", "purge": true}),
        false,
    )?;
    ensure(!again.changed(), "absent twice is ok")?;
    let missing = registry::find("apt").map(|_| ());
    ensure(missing.is_some(), "apt registered")?;
    let err = t.task("apt", json!({"name": "no-such-package-rplay"}), false);
    ensure(
        err.as_ref().err().is_some_and(|e| {
            format!("{e:?}").contains("No package matching 'no-such-package-rplay' is available")
        }),
        "unknown packages fail with Ansible's message",
    )?;
    Ok(())
}

fn package_dispatches_to_apt() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh("apt-get -y -q remove tree >/dev/null 2>&1 || true")?;
    let r = t.task(
        "ansible.builtin.package",
        json!({"name": "tree", "state": "installed"}),
        false,
    )?;
    ensure(
        r.changed() && t.rc("command -v tree")? == 0,
        "package installs through apt",
    )?;
    let r = t.task(
        "package",
        json!({"name": "tree", "state": "present"}),
        false,
    )?;
    ensure(!r.changed(), "second run ok")?;
    let r = t.task(
        "package",
        json!({"name": "tree", "state": "removed"}),
        false,
    )?;
    ensure(
        r.changed() && t.rc("command -v tree")? != 0,
        "package removes",
    )?;
    Ok(())
}

const UNIT: &str = "printf '[Unit]\\nDescription=rplay test\\n[Service]\\nExecStart=/bin/sleep infinity\\nExecReload=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n' > /lib/systemd/system/rplay-test.service; rm -f /etc/systemd/system/rplay-test.service";

fn systemd_unit_lifecycle() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh("systemctl unmask rplay-test >/dev/null 2>&1; systemctl disable --now rplay-test >/dev/null 2>&1; true")?;
    t.sh(UNIT)?;
    let args =
        json!({"name": "rplay-test", "state": "started", "enabled": true, "daemon_reload": true});
    let first = t.task("systemd", args.clone(), false)?;
    ensure(
        first.fields() == vec!["enabled", "state"],
        format!("fresh: {:?}", first.fields()),
    )?;
    ensure(
        t.sh("systemctl is-active rplay-test")? == "active",
        "started",
    )?;
    ensure(
        t.sh("systemctl is-enabled rplay-test")? == "enabled",
        "enabled",
    )?;
    ensure(
        first.value("status").get("LoadState") == Some(&json!("loaded")),
        "status dict from systemctl show",
    )?;
    ensure(
        first.value("state") == json!("started") && first.value("enabled") == json!(true),
        "state/enabled returned",
    )?;
    let second = t.task("systemd_service", args.clone(), false)?;
    ensure(
        !second.changed(),
        format!("second run ok: {:?}", second.fields()),
    )?;
    ensure(
        second.value("status").get("ActiveState") == Some(&json!("active")),
        "status when ok",
    )?;
    // Drift: stopped by hand.
    t.sh("systemctl stop rplay-test")?;
    let check = t.task("ansible.builtin.systemd", args.clone(), true)?;
    ensure(
        check.fields() == vec!["state"],
        format!("check: {:?}", check.fields()),
    )?;
    ensure(
        t.rc("systemctl is-active rplay-test")? != 0,
        "check changed nothing",
    )?;
    t.task("systemd", args.clone(), false)?;
    ensure(t.sh("systemctl is-active rplay-test")? == "active", "fixed")?;
    // restarted always changes; the pid changes.
    let pid = t.sh("systemctl show -p MainPID --value rplay-test")?;
    let r = t.task(
        "systemd",
        json!({"name": "rplay-test", "state": "restarted"}),
        false,
    )?;
    ensure(r.changed(), "restarted always changes")?;
    ensure(
        t.sh("systemctl show -p MainPID --value rplay-test")? != pid,
        "really restarted",
    )?;
    let r = t.task(
        "systemd",
        json!({"name": "rplay-test", "state": "reloaded"}),
        false,
    )?;
    ensure(r.changed(), "reloaded always changes")?;
    // daemon_reload alone is not a change.
    let r = t.task("systemd", json!({"daemon_reload": true}), false)?;
    ensure(!r.changed(), "daemon_reload alone is ok")?;
    // Stop and disable, then mask (systemd ignores disabling a masked unit), unmask.
    let r = t.task(
        "systemd",
        json!({"name": "rplay-test", "state": "stopped", "enabled": false}),
        false,
    )?;
    ensure(
        r.fields() == vec!["enabled", "state"],
        format!("order: {:?}", r.fields()),
    )?;
    let r = t.task(
        "systemd",
        json!({"name": "rplay-test", "masked": true, "state": "stopped"}),
        false,
    )?;
    ensure(
        r.fields() == vec!["masked"],
        format!("mask: {:?}", r.fields()),
    )?;
    ensure(
        t.sh("systemctl is-enabled rplay-test || true")? == "masked",
        "masked",
    )?;
    let r = t.task(
        "systemd",
        json!({"name": "rplay-test", "masked": false}),
        false,
    )?;
    ensure(
        r.changed() && t.sh("systemctl is-enabled rplay-test || true")? == "disabled",
        "unmasked",
    )?;
    let e = t.task(
        "systemd",
        json!({"name": "rplay-nosuch", "state": "started"}),
        false,
    );
    ensure(
        e.err().is_some_and(|e| {
            format!("{e:?}").contains("Could not find the requested service rplay-nosuch")
        }),
        "unknown unit fails",
    )?;
    Ok(())
}

fn service_on_systemd_host() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh(UNIT)?;
    t.sh("systemctl daemon-reload; systemctl unmask rplay-test >/dev/null 2>&1; systemctl stop rplay-test; true")?;
    let r = t.task(
        "service",
        json!({"name": "rplay-test", "state": "started"}),
        false,
    )?;
    ensure(
        r.changed() && t.sh("systemctl is-active rplay-test")? == "active",
        "service starts",
    )?;
    ensure(
        r.value("status").get("SubState").is_some(),
        "systemd status returned",
    )?;
    let r = t.task(
        "ansible.builtin.service",
        json!({"name": "rplay-test", "state": "started"}),
        false,
    )?;
    ensure(!r.changed(), "second run ok")?;
    let r = t.task(
        "service",
        json!({"name": "rplay-test", "state": "stopped"}),
        true,
    )?;
    ensure(
        r.changed() && t.sh("systemctl is-active rplay-test")? == "active",
        "check mode stops nothing",
    )?;
    t.task(
        "service",
        json!({"name": "rplay-test", "state": "stopped"}),
        false,
    )?;
    ensure(t.rc("systemctl is-active rplay-test")? != 0, "stopped")?;
    Ok(())
}

fn firewalld_runtime_and_permanent() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh("systemctl start firewalld; firewall-cmd -q --remove-port=8080/tcp; firewall-cmd -q --permanent --remove-port=8080/tcp; firewall-cmd -q --permanent --remove-service=http; firewall-cmd -q --remove-service=http; true")?;
    let args =
        json!({"port": "8080/tcp", "permanent": true, "immediate": true, "state": "enabled"});
    let first = t.task("ansible.posix.firewalld", args.clone(), false)?;
    ensure(
        first.fields() == vec!["permanent:port", "runtime:port"],
        format!("fresh: {:?}", first.fields()),
    )?;
    let msg = first
        .outcome
        .as_ref()
        .and_then(|o| o.msg.clone())
        .unwrap_or_default();
    ensure(
        msg == "Permanent and Non-Permanent(immediate) operation, Changed port 8080/tcp to enabled",
        format!("msg {msg}"),
    )?;
    ensure(
        t.rc("firewall-cmd -q --query-port=8080/tcp")? == 0,
        "runtime has the port",
    )?;
    ensure(
        t.rc("firewall-cmd -q --permanent --query-port=8080/tcp")? == 0,
        "permanent has the port",
    )?;
    let second = t.task("firewalld", args.clone(), false)?;
    ensure(!second.changed(), "second run ok")?;
    // Drift in the runtime configuration only.
    t.sh("firewall-cmd -q --remove-port=8080/tcp")?;
    let check = t.task("firewalld", args.clone(), true)?;
    ensure(
        check.fields() == vec!["runtime:port"],
        format!("check: {:?}", check.fields()),
    )?;
    ensure(
        t.rc("firewall-cmd -q --query-port=8080/tcp")? != 0,
        "check changed nothing",
    )?;
    t.task("firewalld", args, false)?;
    ensure(t.rc("firewall-cmd -q --query-port=8080/tcp")? == 0, "fixed")?;
    // A service, a rich rule (written in a non-canonical spelling), masquerade; then disable.
    let svc = json!({"service": "http", "zone": "public", "permanent": true, "state": "enabled"});
    let r = t.task("firewalld", svc.clone(), false)?;
    ensure(
        r.fields() == vec!["permanent:service"],
        format!("permanent only: {:?}", r.fields()),
    )?;
    ensure(
        t.rc("firewall-cmd -q --query-service=http")? != 0,
        "runtime untouched without immediate",
    )?;
    ensure(!t.task("firewalld", svc, false)?.changed(), "service ok")?;
    let rule = json!({"rich_rule": "rule family=ipv4 source address=127.0.0.5 accept", "state": "enabled"});
    ensure(
        t.task("firewalld", rule.clone(), false)?.changed(),
        "rich rule added",
    )?;
    ensure(
        !t.task("firewalld", rule.clone(), false)?.changed(),
        "rich rule recognised in canonical form",
    )?;
    let mut off = rule;
    off["state"] = json!("disabled");
    ensure(
        t.task("firewalld", off.clone(), false)?.changed(),
        "rich rule removed",
    )?;
    ensure(
        !t.task("firewalld", off, false)?.changed(),
        "rich rule absent ok",
    )?;
    let masq =
        json!({"masquerade": true, "state": "enabled", "permanent": true, "immediate": true});
    ensure(
        t.task("firewalld", masq.clone(), false)?.changed(),
        "masquerade on",
    )?;
    ensure(
        t.rc(
            "firewall-cmd -q --query-masquerade && firewall-cmd -q --permanent --query-masquerade",
        )? == 0,
        "masquerade both",
    )?;
    let mut unmasq = masq;
    unmasq["state"] = json!("disabled");
    ensure(
        t.task("firewalld", unmasq.clone(), false)?.changed(),
        "masquerade off",
    )?;
    ensure(
        !t.task("firewalld", unmasq, false)?.changed(),
        "masquerade off ok",
    )?;
    let r = t.task(
        "firewalld",
        json!({"port": "8080/tcp", "permanent": true, "immediate": true, "state": "disabled"}),
        false,
    )?;
    ensure(
        r.changed() && t.rc("firewall-cmd -q --query-port=8080/tcp")? != 0,
        "port removed",
    )?;
    Ok(())
}

fn firewalld_offline() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh("systemctl start firewalld; firewall-cmd -q --permanent --remove-service=imap; systemctl stop firewalld")?;
    let args = json!({"service": "imap", "permanent": true, "immediate": true, "offline": true, "state": "enabled"});
    let offline = (|| -> Result<(), Failed> {
        let r = t.task("firewalld", args.clone(), false)?;
        ensure(
            r.fields() == vec!["permanent:service"],
            format!("offline plans permanent only: {:?}", r.fields()),
        )?;
        ensure(
            !t.task("firewalld", args.clone(), false)?.changed(),
            "offline second run ok",
        )?;
        Ok(())
    })();
    // firewalld runs again whatever happened, for the other trials.
    t.sh("systemctl start firewalld")?;
    offline?;
    ensure(
        t.rc("firewall-cmd -q --query-service=imap")? == 0,
        "permanent change active after start",
    )?;
    t.sh(
        "firewall-cmd -q --permanent --remove-service=imap; firewall-cmd -q --remove-service=imap",
    )?;
    Ok(())
}

fn user_and_group() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh("userdel -r rplayu >/dev/null 2>&1; groupdel rplayg >/dev/null 2>&1; true")?;
    let g = json!({"name": "rplayg", "gid": 1750});
    ensure(
        t.task("group", g.clone(), false)?.changed(),
        "group created",
    )?;
    ensure(
        t.sh("getent group rplayg | cut -d: -f3")? == "1750",
        "gid 1750",
    )?;
    ensure(
        !t.task("ansible.builtin.group", g, false)?.changed(),
        "group ok",
    )?;
    // A SHA-512 crypt hash of "secret" (a fixed salt, so the test is stable).
    let hash = "$6$rplaysalt$1c0mX3Mzv0GbMiQ8p4HqP8TgI8XoM7G1bC2K5rQ1m1cY9z7b8nQmQ0Jd3u7C1eYp8lK2y7q9S6wV4x3Z5a0b1.";
    let u = json!({"name": "rplayu", "uid": 1600, "groups": ["rplayg", "adm"], "shell": "/bin/bash", "comment": "Rplay User", "password": hash});
    let first = t.task("user", u.clone(), false)?;
    ensure(first.changed(), "user created")?;
    ensure(
        first.value("password") == json!("NOT_LOGGING_PASSWORD"),
        "password never returned",
    )?;
    ensure(
        first.value("uid") == json!(1600),
        format!("uid {:?}", first.value("uid")),
    )?;
    ensure(
        t.sh("getent passwd rplayu")? == "rplayu:x:1600:1600:Rplay User:/home/rplayu:/bin/bash",
        "passwd line",
    )?;
    ensure(
        t.sh("getent shadow rplayu | cut -d: -f2")? == hash,
        "hash set",
    )?;
    ensure(
        t.sh("id -Gn rplayu")? == "rplayu adm rplayg"
            || t.sh("id -Gn rplayu")? == "rplayu rplayg adm",
        "groups",
    )?;
    ensure(t.rc("test -d /home/rplayu")? == 0, "home created")?;
    let second = t.task("user", u.clone(), false)?;
    ensure(!second.changed(), format!("user ok: {:?}", second.fields()))?;
    // Drift: shell and a group changed by hand.
    t.sh("usermod -s /bin/sh rplayu && gpasswd -d rplayu adm >/dev/null")?;
    let check = t.task("user", u.clone(), true)?;
    ensure(
        check.fields() == vec!["groups", "shell"],
        format!("check: {:?}", check.fields()),
    )?;
    ensure(
        t.sh("getent passwd rplayu | cut -d: -f7")? == "/bin/sh",
        "check changed nothing",
    )?;
    t.task("user", u, false)?;
    ensure(
        t.sh("getent passwd rplayu | cut -d: -f7")? == "/bin/bash",
        "shell fixed",
    )?;
    ensure(t.sh("id -Gn rplayu")?.contains("adm"), "group fixed")?;
    // append keeps other groups; exact lists remove them.
    let r = t.task(
        "user",
        json!({"name": "rplayu", "groups": "rplayg", "append": true}),
        false,
    )?;
    ensure(!r.changed(), "append with a group it has is ok")?;
    let r = t.task("user", json!({"name": "rplayu", "groups": "rplayg"}), false)?;
    ensure(
        r.changed() && !t.sh("id -Gn rplayu")?.contains("adm"),
        "exact groups",
    )?;
    let r = t.task(
        "user",
        json!({"name": "rplayu", "state": "absent", "remove": true}),
        false,
    )?;
    ensure(
        r.changed() && t.rc("getent passwd rplayu")? != 0 && t.rc("test -d /home/rplayu")? != 0,
        "removed",
    )?;
    ensure(
        !t.task("user", json!({"name": "rplayu", "state": "absent"}), false)?
            .changed(),
        "absent ok",
    )?;
    ensure(
        t.task("group", json!({"name": "rplayg", "state": "absent"}), false)?
            .changed(),
        "group removed",
    )?;
    Ok(())
}

/// Facts whose values change between two gatherings (time, load, free space...).
const VOLATILE: &[&str] = &[
    "ansible_date_time",
    "ansible_memfree_mb",
    "ansible_memory_mb",
    "ansible_uptime_seconds",
    "ansible_mounts",
    "ansible_loadavg",
    "ansible_env",
];

/// Facts rplay does not gather (hardware inventory details playbooks rarely use).
const NOT_GATHERED: &[&str] = &[
    "ansible_devices",
    "ansible_device_links",
    "ansible_lvm",
    "ansible_system_capabilities",
    "ansible_system_capabilities_enforced",
    "ansible_systemd",
    "ansible_hostnqn",
    "ansible_iscsi_iqn",
    "ansible_fibre_channel_wwn",
    "ansible_loadavg",
    "ansible_selinux_python_present",
];

fn setup_matches_ansible() -> Result<(), Failed> {
    let lab = pylab()?;
    let ansible = fixture::oracle_bin("ansible")?;
    let out = fixture::run_with_input(
        std::process::Command::new(ansible)
            .args([
                "-i",
                &lab.inventory.display().to_string(),
                "h1",
                "-m",
                "setup",
            ])
            .env("ANSIBLE_HOST_KEY_CHECKING", "False")
            .env("ANSIBLE_PYTHON_INTERPRETER", "/usr/bin/python3"),
        None,
    );
    let text = out.stdout;
    let start = text
        .find('{')
        .ok_or_else(|| format!("no JSON from ansible: {text} {}", out.stderr))?;
    let theirs: Value =
        serde_json::from_str(&text[start..]).map_err(|e| format!("ansible JSON: {e}"))?;
    let theirs = theirs["ansible_facts"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let t = Target::connect_to(pylab)?;
    let ours = t.task("setup", json!({}), false)?.value("ansible_facts");
    let ours = ours.as_object().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    for (k, v) in &theirs {
        if NOT_GATHERED.contains(&k.as_str()) {
            continue;
        }
        let Some(mine) = ours.get(k) else {
            problems.push(format!("missing {k}"));
            continue;
        };
        let same_type = std::mem::discriminant(mine) == std::mem::discriminant(v);
        if k == "ansible_interfaces" || k == "ansible_virtualization_tech_guest" {
            // Ansible lists them in directory order; compare as sets.
            let mut a: Vec<String> = mine
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| x.to_string())
                .collect();
            let mut b: Vec<String> = v
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| x.to_string())
                .collect();
            a.sort();
            b.sort();
            if a != b {
                problems.push(format!("{k}: ours {a:?} theirs {b:?}"));
            }
            continue;
        }
        if !same_type {
            problems.push(format!("{k}: type differs: ours {mine} theirs {v}"));
        } else if !VOLATILE.contains(&k.as_str()) && mine != v {
            problems.push(format!("{k}: ours {mine} theirs {v}"));
        }
    }
    for k in ours.keys() {
        if !theirs.contains_key(k) {
            problems.push(format!("extra {k}"));
        }
    }
    ensure(
        problems.is_empty(),
        format!("setup differs from ansible's:\n{}", problems.join("\n")),
    )
}

fn setup_subset_filter_local() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh("mkdir -p /etc/ansible/facts.d && printf '{\"v\": 1}' > /etc/ansible/facts.d/app.fact && printf '#!/bin/sh\\necho {\\\"x\\\": true}\\n' > /etc/ansible/facts.d/exe.fact && chmod +x /etc/ansible/facts.d/exe.fact")?;
    let r = t.task(
        "setup",
        json!({"gather_subset": ["!all", "!min", "distribution"]}),
        false,
    )?;
    let f = r.value("ansible_facts");
    ensure(
        f["ansible_distribution"] == json!("Debian"),
        format!("distribution: {f}"),
    )?;
    ensure(
        f.get("ansible_interfaces").is_none() && f.get("ansible_env").is_none(),
        "only distribution",
    )?;
    let r = t.task(
        "ansible.builtin.setup",
        json!({"filter": "ansible_distribution*,ansible_local"}),
        false,
    )?;
    let f = r.value("ansible_facts");
    ensure(
        f["ansible_local"]["app"]["v"] == json!(1),
        format!("local json fact: {}", f["ansible_local"]),
    )?;
    ensure(
        f["ansible_local"]["exe"]["x"] == json!(true),
        format!("local exec fact: {}", f["ansible_local"]),
    )?;
    ensure(f.get("ansible_kernel").is_none(), "filtered")?;
    ensure(
        f["ansible_distribution_major_version"] == json!("12"),
        "major version string",
    )?;
    t.sh("rm -rf /etc/ansible/facts.d")?;
    Ok(())
}

fn ping_pong() -> Result<(), Failed> {
    let t = Target::connect()?;
    let r = t.task("ping", json!({}), false)?;
    ensure(!r.changed() && r.value("ping") == json!("pong"), "pong")?;
    let e = t.task("ansible.builtin.ping", json!({"data": "crash"}), false);
    ensure(e.is_err(), "data=crash fails")?;
    Ok(())
}

fn getent_facts() -> Result<(), Failed> {
    let t = Target::connect()?;
    let r = t.task(
        "getent",
        json!({"database": "passwd", "key": "root"}),
        false,
    )?;
    let f = r.value("ansible_facts");
    ensure(
        f["getent_passwd"]["root"][1] == json!("0"),
        format!("root uid: {f}"),
    )?;
    ensure(f["getent_passwd"]["root"][4] == json!("/root"), "root home")?;
    let e = t.task(
        "getent",
        json!({"database": "passwd", "key": "no-such-user-rplay"}),
        false,
    );
    ensure(e.is_err(), "missing key fails")?;
    let r = t.task(
        "getent",
        json!({"database": "passwd", "key": "no-such-user-rplay", "fail_key": false}),
        false,
    )?;
    ensure(
        r.value("ansible_facts")["getent_passwd"]["no-such-user-rplay"].is_null(),
        "missing key is null",
    )?;
    let r = t.task(
        "ansible.builtin.getent",
        json!({"database": "group"}),
        false,
    )?;
    ensure(
        r.value("ansible_facts")["getent_group"]["root"][1] == json!("0"),
        "whole database",
    )?;
    Ok(())
}

fn sysctl_file_and_runtime() -> Result<(), Failed> {
    // The lab's /proc/sys is read-only (systemd-nspawn), so runtime writes are planned in check
    // mode only; the file part is applied for real.
    let t = Target::connect()?;
    t.sh("rm -f /etc/sysctl.d/90-rplay.conf")?;
    let now = t.sh("sysctl -n net.ipv4.ip_forward")?;
    let other = if now == "1" { "0" } else { "1" };
    let file = "/etc/sysctl.d/90-rplay.conf";
    let args =
        json!({"name": "net.ipv4.ip_forward", "value": now, "sysctl_file": file, "reload": false});
    let r = t.task("ansible.posix.sysctl", args.clone(), false)?;
    ensure(
        r.fields() == vec!["file"],
        format!("fresh: {:?}", r.fields()),
    )?;
    ensure(
        t.sh(&format!("cat {file}"))? == format!("net.ipv4.ip_forward={now}"),
        "file line",
    )?;
    ensure(
        !t.task("sysctl", args.clone(), false)?.changed(),
        "second run ok",
    )?;
    t.sh(&format!("echo 'net.ipv4.ip_forward = {other}' > {file}"))?;
    let check = t.task("sysctl", args.clone(), true)?;
    ensure(
        check.fields() == vec!["file"],
        format!("drift: {:?}", check.fields()),
    )?;
    ensure(
        check.plan.changes[0]
            .text
            .as_ref()
            .is_some_and(|d| d.before.contains(other)),
        "diff shows the drift",
    )?;
    t.task("sysctl", args, false)?;
    ensure(
        t.sh(&format!("cat {file}"))? == format!("net.ipv4.ip_forward={now}"),
        "fixed",
    )?;
    let set = json!({"name": "net.ipv4.ip_forward", "value": now, "sysctl_set": true, "sysctl_file": file});
    ensure(
        !t.task("sysctl", set, true)?.changed(),
        "running value already right",
    )?;
    let set = json!({"name": "net.ipv4.ip_forward", "value": other, "sysctl_set": true, "sysctl_file": file});
    let check = t.task("sysctl", set, true)?;
    ensure(
        check.fields() == vec!["file", "runtime"],
        format!("runtime planned: {:?}", check.fields()),
    )?;
    let r = t.task("sysctl", json!({"name": "net.ipv4.ip_forward", "state": "absent", "sysctl_file": file, "reload": false}), false)?;
    ensure(
        r.changed() && t.sh(&format!("cat {file}"))?.is_empty(),
        "line removed",
    )?;
    t.sh(&format!("rm -f {file}"))?;
    Ok(())
}

/// `mount` with a tmpfs and an fstab of its own (`mount -T`): mounted from fresh, a second run
/// plans nothing, options changed by hand in the fstab plan a rewrite and a remount (check mode
/// touches nothing, the diff shows the old line), an unmount by hand plans a mount, and `absent`
/// unmounts, drops the line and removes the mount point.
fn mount_lifecycle() -> Result<(), Failed> {
    let t = Target::connect()?;
    let (dir, fstab) = ("/mnt/rplay-mount", "/etc/rplay-mount-test/fstab");
    let clean = format!("umount {dir} 2>/dev/null; rm -rf {dir} /etc/rplay-mount-test; true");
    t.sh(&clean)?;
    let args = json!({"path": dir, "src": "tmpfs", "fstype": "tmpfs", "opts": "size=1m",
                      "state": "mounted", "fstab": fstab});
    let r = t.task("ansible.posix.mount", args.clone(), false)?;
    ensure(
        r.fields() == vec!["fstab", "mount", "path"],
        format!("fresh: {:?}", r.fields()),
    )?;
    let line = format!("tmpfs {dir} tmpfs size=1m 0 0");
    ensure(t.sh(&format!("cat {fstab}"))? == line, "fstab line")?;
    ensure(t.rc(&format!("mountpoint -q {dir}"))? == 0, "mounted")?;
    ensure(
        r.value("boot") == json!("yes") && r.value("backup_file") == json!(""),
        format!("result {:?}", r.outcome),
    )?;
    ensure(
        !t.task("mount", args.clone(), false)?.changed(),
        "second run changes nothing",
    )?;
    t.sh(&format!("sed -i 's/size=1m/size=2m/' {fstab}"))?;
    let check = t.task("mount", args.clone(), true)?;
    ensure(
        check.fields() == vec!["fstab", "mount"],
        format!("drift: {:?}", check.fields()),
    )?;
    ensure(
        check.plan.changes[0]
            .text
            .as_ref()
            .is_some_and(|d| d.before.contains("size=2m") && d.after.contains("size=1m")),
        "the diff shows the drift",
    )?;
    ensure(
        t.sh(&format!("cat {fstab}"))?.contains("size=2m"),
        "check mode changed nothing",
    )?;
    t.task("mount", args.clone(), false)?;
    ensure(t.sh(&format!("cat {fstab}"))? == line, "fstab fixed")?;
    t.sh(&format!("umount {dir}"))?;
    let check = t.task("mount", args.clone(), true)?;
    ensure(
        check.fields() == vec!["mount"],
        format!("unmounted by hand: {:?}", check.fields()),
    )?;
    t.task("mount", args.clone(), false)?;
    ensure(t.rc(&format!("mountpoint -q {dir}"))? == 0, "mounted again")?;
    let gone = json!({"path": dir, "state": "absent", "fstab": fstab});
    let r = t.task("mount", gone.clone(), false)?;
    ensure(
        r.fields() == vec!["fstab", "mount", "path"],
        format!("absent: {:?}", r.fields()),
    )?;
    ensure(
        t.sh(&format!("cat {fstab}"))?.is_empty() && t.rc(&format!("test -e {dir}"))? != 0,
        "line and mount point gone",
    )?;
    ensure(!t.task("mount", gone, false)?.changed(), "absent again: ok")?;
    t.sh(&clean)?;
    Ok(())
}

/// Removes the test package's answers and puts tzdata's area back.
const DEBCONF_RESET: &str = "echo PURGE | debconf-communicate rplaytest >/dev/null 2>&1; \
    echo 'tzdata tzdata/Areas select Etc' | debconf-set-selections";

/// debconf: an answer is set from fresh, a second run plans nothing, an answer changed by hand
/// is planned (check mode leaves it) and set back; without a question the answers are read.
fn debconf_answers() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh(DEBCONF_RESET)?;
    let args = json!({"name": "rplaytest", "question": "rplaytest/server", "vtype": "string",
                      "value": "db1.example.com"});
    let r = t.task("debconf", args.clone(), false)?;
    ensure(r.changed(), "fresh answer set")?;
    ensure(
        t.sh("debconf-show rplaytest")?
            .contains("rplaytest/server: db1.example.com"),
        "debconf holds the answer",
    )?;
    ensure(
        !t.task("debconf", args.clone(), false)?.changed(),
        "second run changes nothing",
    )?;
    t.sh("echo 'rplaytest rplaytest/server string other' | debconf-set-selections")?;
    let check = t.task("debconf", args.clone(), true)?;
    ensure(
        check.fields() == vec!["rplaytest/server"]
            && check.value("previous") == json!({"rplaytest/server": "other"}),
        format!(
            "drift planned: {:?} {}",
            check.fields(),
            check.value("previous")
        ),
    )?;
    ensure(
        t.sh("debconf-show rplaytest")?
            .contains("rplaytest/server: other"),
        "check mode changed nothing",
    )?;
    t.task("debconf", args, false)?;
    let read = t.task("debconf", json!({"name": "rplaytest"}), false)?;
    ensure(
        read.value("current") == json!({"rplaytest/server": "db1.example.com"}),
        format!("read back: {}", read.value("current")),
    )?;
    t.sh(DEBCONF_RESET)?;
    Ok(())
}

/// The same playbook under ansible-playbook and rplay, in check mode and for real, with
/// `--diff`: identical output (registered results included).
fn debconf_like_ansible() -> Result<(), Failed> {
    let t = Target::connect_to(pylab)?;
    let lab = pylab()?;
    let dir = crate::project::dir("module-playbooks");
    for mode in [&["--check", "--diff"][..], &["--diff"][..]] {
        let mut args = mode.to_vec();
        args.push("debconf.yml");
        t.sh(DEBCONF_RESET)?;
        let ansible = fixture::oracle(lab, "ansible-playbook", &args, &dir)?;
        t.sh(DEBCONF_RESET)?;
        let ours = crate::project::rplay(lab, &dir, &args);
        crate::project::same_output(&format!("{args:?}"), &ansible, &ours, |s| {
            crate::project::without_config_line(s)
        })?;
    }
    t.sh(DEBCONF_RESET)?;
    Ok(())
}

fn hostname_set_and_restore() -> Result<(), Failed> {
    let t = Target::connect()?;
    let orig = t.sh("hostname")?;
    let r = t.task("hostname", json!({"name": "rplay-host"}), false)?;
    let result = (|| -> Result<(), Failed> {
        ensure(r.changed(), "hostname changes")?;
        ensure(t.sh("hostname")? == "rplay-host", "running name")?;
        ensure(t.sh("cat /etc/hostname")? == "rplay-host", "permanent name")?;
        ensure(
            r.value("ansible_facts")["ansible_hostname"] == json!("rplay-host"),
            "facts returned",
        )?;
        ensure(
            !t.task("hostname", json!({"name": "rplay-host"}), false)?
                .changed(),
            "second run ok",
        )?;
        Ok(())
    })();
    t.task("hostname", json!({"name": orig}), false)?;
    ensure(t.sh("hostname")? == orig, "restored")?;
    result
}

fn service_and_package_facts() -> Result<(), Failed> {
    let t = Target::connect()?;
    let r = t.task("service_facts", json!({}), false)?;
    let s = r.value("ansible_facts")["services"].clone();
    ensure(
        s["ssh.service"]["state"] == json!("running"),
        format!("ssh running: {}", s["ssh.service"]),
    )?;
    ensure(
        s["ssh.service"]["status"] == json!("enabled"),
        "ssh enabled",
    )?;
    ensure(
        s["ssh.service"]["source"] == json!("systemd"),
        "source systemd",
    )?;
    let r = t.task("package_facts", json!({}), false)?;
    let p = r.value("ansible_facts")["packages"].clone();
    let want = t.sh("dpkg-query -W -f '${Version}' bash")?;
    ensure(
        p["bash"][0]["version"] == json!(want),
        format!("bash version: {}", p["bash"]),
    )?;
    ensure(p["bash"][0]["source"] == json!("apt"), "source apt")?;
    Ok(())
}

fn apt_repository_add_remove() -> Result<(), Failed> {
    let t = Target::connect()?;
    let file = "/etc/apt/sources.list.d/file_srv_rplay_extra.list";
    t.sh(&format!("rm -f {file}"))?;
    let args = json!({"repo": "deb [trusted=yes] file:/srv/rplay-extra ./", "update_cache": false});
    let r = t.task("apt_repository", args.clone(), false)?;
    ensure(r.changed(), "repo added")?;
    ensure(
        t.sh(&format!("cat {file}"))? == "deb [trusted=yes] file:/srv/rplay-extra ./",
        "file written with Ansible's name",
    )?;
    ensure(
        !t.task("ansible.builtin.apt_repository", args.clone(), false)?
            .changed(),
        "second run ok",
    )?;
    t.sh(&format!("sed -i 's/^deb/# deb/' {file}"))?;
    let check = t.task("apt_repository", args.clone(), true)?;
    ensure(
        check.changed() && t.sh(&format!("cat {file}"))?.starts_with('#'),
        "check sees the disabled repo, changes nothing",
    )?;
    t.task("apt_repository", args, false)?;
    ensure(
        t.sh(&format!("cat {file}"))?.starts_with("deb "),
        "re-enabled in place",
    )?;
    let r = t.task("apt_repository", json!({"repo": "deb [trusted=yes] file:/srv/rplay-extra ./", "state": "absent", "update_cache": false}), false)?;
    ensure(
        r.changed() && t.rc(&format!("test -e {file}"))? != 0,
        "removed, empty file deleted",
    )?;
    // The lab's own repository is recognised where it is (sources.list or a .list file).
    let r = t.task(
        "apt_repository",
        json!({"repo": "deb [trusted=yes] file:/srv/repo ./", "update_cache": true}),
        true,
    )?;
    ensure(
        !r.changed() || r.fields().iter().all(|f| f.starts_with("file:")),
        "existing repo",
    )?;
    Ok(())
}

fn cron_jobs() -> Result<(), Failed> {
    // The lab image has no cron package (so no `crontab`): jobs go to /etc/cron.d files, which
    // is also what most roles use; user crontabs are covered by unit tests of the rewrite.
    let t = Target::connect()?;
    t.sh("rm -f /etc/cron.d/rplay")?;
    let args = json!({"name": "backup", "minute": "0", "hour": "5", "job": "/usr/local/bin/backup", "user": "root", "cron_file": "rplay"});
    ensure(t.task("cron", args.clone(), false)?.changed(), "job added")?;
    ensure(
        t.sh("cat /etc/cron.d/rplay")? == "#Ansible: backup\n0 5 * * * root /usr/local/bin/backup",
        "cron.d content",
    )?;
    ensure(t.sh("stat -c %a /etc/cron.d/rplay")? == "644", "mode 0644")?;
    ensure(
        !t.task("ansible.builtin.cron", args.clone(), false)?
            .changed(),
        "second run ok",
    )?;
    t.sh("sed -i 's/^0 5/0 6/' /etc/cron.d/rplay")?;
    let check = t.task("cron", args.clone(), true)?;
    ensure(check.fields() == vec!["crontab"], "drift planned")?;
    ensure(
        check.plan.changes[0]
            .text
            .as_ref()
            .is_some_and(|d| d.before.contains("0 6") && d.after.contains("0 5")),
        "diff shows the drift",
    )?;
    ensure(
        t.sh("cat /etc/cron.d/rplay")?.contains("0 6 * * *"),
        "check changed nothing",
    )?;
    t.task("cron", args, false)?;
    ensure(
        t.sh("cat /etc/cron.d/rplay")?.contains("0 5 * * *"),
        "fixed",
    )?;
    let env = json!({"name": "MAILTO", "job": "ops@example.com", "env": true, "user": "root", "cron_file": "rplay"});
    ensure(t.task("cron", env, false)?.changed(), "env var added")?;
    ensure(
        t.sh("head -n1 /etc/cron.d/rplay")? == "MAILTO=ops@example.com",
        "env first",
    )?;
    t.task(
        "cron",
        json!({"name": "MAILTO", "env": true, "cron_file": "rplay", "state": "absent"}),
        false,
    )?;
    let gone = t.task(
        "cron",
        json!({"name": "backup", "cron_file": "rplay", "state": "absent"}),
        false,
    )?;
    ensure(
        gone.changed() && t.rc("test -e /etc/cron.d/rplay")? != 0,
        "empty cron file removed",
    )?;
    Ok(())
}

fn authorized_keys() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh("userdel -r rplayk >/dev/null 2>&1; useradd -m -s /bin/sh rplayk")?;
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVzZXJrZXlmb3JycGxheXRlc3RzMDEyMzQ1Njc4OTA rplay@test";
    let args = json!({"user": "rplayk", "key": key});
    let r = t.task("ansible.posix.authorized_key", args.clone(), false)?;
    ensure(r.changed(), "key added")?;
    ensure(
        t.sh("cat /home/rplayk/.ssh/authorized_keys")? == key,
        "file content",
    )?;
    ensure(
        t.sh("stat -c '%a %U' /home/rplayk/.ssh /home/rplayk/.ssh/authorized_keys")?
            == "700 rplayk\n600 rplayk",
        "modes and owner",
    )?;
    ensure(
        !t.task("authorized_key", args.clone(), false)?.changed(),
        "second run ok",
    )?;
    t.sh("echo 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 other@x' >> /home/rplayk/.ssh/authorized_keys")?;
    let ex = json!({"user": "rplayk", "key": key, "exclusive": true});
    let check = t.task("authorized_key", ex.clone(), true)?;
    ensure(
        check.changed() && t.sh("wc -l < /home/rplayk/.ssh/authorized_keys")? == "2",
        "check keeps the other key",
    )?;
    t.task("authorized_key", ex, false)?;
    ensure(
        t.sh("cat /home/rplayk/.ssh/authorized_keys")? == key,
        "exclusive removed the other key",
    )?;
    let r = t.task(
        "authorized_key",
        json!({"user": "rplayk", "key": key, "state": "absent"}),
        false,
    )?;
    ensure(
        r.changed() && t.sh("cat /home/rplayk/.ssh/authorized_keys")?.is_empty(),
        "key removed",
    )?;
    t.sh("userdel -r rplayk >/dev/null 2>&1; true")?;
    Ok(())
}

fn apt_key_files() -> Result<(), Failed> {
    let t = Target::connect()?;
    t.sh("rm -rf /etc/apt/keyrings/rplay.asc /etc/apt/trusted.gpg.d/rplay-*")?;
    let key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBFrplayTESTKEY\n-----END PGP PUBLIC KEY BLOCK-----\n";
    let args = json!({"data": key, "keyring": "/etc/apt/keyrings/rplay.asc"});
    ensure(
        t.task("apt_key", args.clone(), false)?.changed(),
        "key written",
    )?;
    ensure(
        t.sh("head -n1 /etc/apt/keyrings/rplay.asc")? == "-----BEGIN PGP PUBLIC KEY BLOCK-----",
        "keyring content",
    )?;
    ensure(
        !t.task("ansible.builtin.apt_key", args, false)?.changed(),
        "second run ok",
    )?;
    t.sh("printf '%s\\n' \"$(cat /etc/apt/keyrings/rplay.asc)\" | base64 > /tmp/k.b64; cp /etc/apt/keyrings/rplay.asc /tmp/rplay-key.asc")?;
    let byfile = json!({"file": "/tmp/rplay-key.asc", "id": "0xDEADBEEF"});
    ensure(
        t.task("apt_key", byfile.clone(), false)?.changed(),
        "key from a host file",
    )?;
    ensure(
        t.rc("test -f /etc/apt/trusted.gpg.d/rplay-DEADBEEF.asc")? == 0,
        "own file per key",
    )?;
    ensure(!t.task("apt_key", byfile, false)?.changed(), "file key ok")?;
    let gone = t.task(
        "apt_key",
        json!({"id": "0xDEADBEEF", "state": "absent"}),
        false,
    )?;
    ensure(
        gone.changed() && t.rc("test -f /etc/apt/trusted.gpg.d/rplay-DEADBEEF.asc")? != 0,
        "removed by id",
    )?;
    let gone = t.task(
        "apt_key",
        json!({"keyring": "/etc/apt/keyrings/rplay.asc", "state": "absent"}),
        false,
    )?;
    ensure(
        gone.changed() && t.rc("test -f /etc/apt/keyrings/rplay.asc")? != 0,
        "keyring removed",
    )?;
    Ok(())
}

/// Runs ansible-playbook (the oracle) with `tasks` on the python lab; returns the PLAY RECAP line.
fn ansible_play(lab: &Lab, tasks: &Value, check: bool) -> Result<String, Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let play = json!([{"hosts": "all", "gather_facts": false, "tasks": tasks}]);
    let path = dir.path().join("play.yml");
    std::fs::write(&path, play.to_string()).map_err(|e| e.to_string())?;
    let bin = fixture::oracle_bin("ansible-playbook")?;
    let mut cmd = std::process::Command::new(bin);
    cmd.args([
        "-i",
        &lab.inventory.display().to_string(),
        &path.display().to_string(),
    ])
    .env("ANSIBLE_HOST_KEY_CHECKING", "False")
    .env("ANSIBLE_PYTHON_INTERPRETER", "/usr/bin/python3");
    if check {
        cmd.arg("--check");
    }
    let out = fixture::run_with_input(&mut cmd, None);
    let recap = out
        .stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("h1 "))
        .map(str::to_string)
        .ok_or_else(|| {
            format!(
                "no recap from ansible-playbook: {}{}",
                out.stdout, out.stderr
            )
        })?;
    if out.rc != 0 {
        return Err(format!("ansible-playbook failed: {}{}", out.stdout, out.stderr).into());
    }
    Ok(recap)
}

/// The module tasks of the differential test, as (module, args) pairs, for variant `v`.
fn diff_tasks(v: u32) -> Vec<(String, Value)> {
    let unit = format!("rplay-diff{v}");
    vec![
        (
            "ansible.builtin.apt".into(),
            json!({"name": if v == 1 { "hello" } else { "tree" }, "update_cache": true, "cache_valid_time": 3600}),
        ),
        (
            "ansible.builtin.systemd".into(),
            json!({"name": unit, "state": "started", "enabled": true, "daemon_reload": true}),
        ),
        (
            "ansible.posix.firewalld".into(),
            json!({"port": format!("{}/tcp", 8440 + v), "permanent": true, "immediate": true, "state": "enabled"}),
        ),
        (
            "ansible.posix.firewalld".into(),
            json!({"service": if v == 1 { "http" } else { "https" }, "permanent": true, "state": "enabled"}),
        ),
        (
            "ansible.builtin.group".into(),
            json!({"name": format!("diffgrp{v}"), "gid": 1880 + v}),
        ),
        (
            "ansible.builtin.user".into(),
            json!({"name": format!("diffuser{v}"), "groups": [format!("diffgrp{v}"), "adm"], "shell": "/bin/bash", "comment": "Diff User"}),
        ),
        (
            "ansible.posix.sysctl".into(),
            json!({"name": "net.ipv4.ip_forward", "value": "0", "sysctl_file": format!("/etc/sysctl.d/9{v}-diff.conf"), "reload": false}),
        ),
        // cron is left out: Ansible's cron needs the crontab binary even for cron_file, and
        // the lab image has no cron package.
        (
            "ansible.posix.authorized_key".into(),
            json!({"user": format!("diffuser{v}"), "key": format!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFJwbGF5RGlmZlRlc3RLZXlOdW1iZXIwMDAwMDAwMD{v} diff@test")}),
        ),
        (
            "ansible.builtin.apt_repository".into(),
            json!({"repo": format!("deb [trusted=yes] file:/srv/diff{v} ./"), "update_cache": false}),
        ),
    ]
}

fn same_end_state_as_ansible() -> Result<(), Failed> {
    let lab = pylab()?;
    let t = Target::connect_to(pylab)?;
    for v in [1, 2] {
        t.sh(&format!(
            "printf '[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n' > /lib/systemd/system/rplay-diff{v}.service"
        ))?;
    }
    // Ansible converges variant 1; rplay must then find nothing to do.
    let tasks: Vec<Value> = diff_tasks(1)
        .into_iter()
        .map(|(m, a)| json!({ m: a }))
        .collect();
    let recap = ansible_play(lab, &Value::Array(tasks), false)?;
    ensure(recap.contains("failed=0"), format!("ansible run: {recap}"))?;
    for (m, a) in diff_tasks(1) {
        let r = t.task(&m, a, true)?;
        ensure(
            !r.changed(),
            format!("after ansible, rplay's {m} plans {:?}", r.fields()),
        )?;
    }
    // rplay converges variant 2; ansible --check must then find nothing to do.
    for (m, a) in diff_tasks(2) {
        ensure(
            t.task(&m, a, false)?.changed(),
            format!("rplay's {m} converges variant 2"),
        )?;
    }
    let tasks: Vec<Value> = diff_tasks(2)
        .into_iter()
        .map(|(m, a)| json!({ m: a }))
        .collect();
    let recap = ansible_play(lab, &Value::Array(tasks), true)?;
    ensure(
        recap.contains("changed=0") && recap.contains("failed=0"),
        format!("ansible --check after rplay: {recap}"),
    )?;
    Ok(())
}

/// Installs git on the lab host (from the offline repository) and makes `$base/r.git`, a bare
/// repository with two commits (`a.txt` "one" tagged `v1`, then "two"), pushed from `$base/work`.
/// Returns the SHAs of the first commit and of the tip.
fn git_fixture(t: &Target, base: &str) -> Result<(String, String), Failed> {
    t.sh(
        "command -v git >/dev/null || { apt-get update -q >/dev/null 2>&1; \
         DEBIAN_FRONTEND=noninteractive apt-get install -y -q git >/dev/null 2>&1; }; command -v git",
    )?;
    t.sh(&format!(
        "rm -rf {base} && mkdir -p {base} && cd {base} && git init -q -b main work && cd work && \
         git config user.email t@example.com && git config user.name t && \
         echo one > a.txt && git add a.txt && git commit -q -m one && git tag v1 && \
         echo two > a.txt && git commit -q -am two && git init -q --bare -b main {base}/r.git && \
         git push -q {base}/r.git main v1"
    ))?;
    let first = t.sh(&format!("git -C {base}/work rev-parse HEAD~1"))?;
    let tip = t.sh(&format!("git -C {base}/work rev-parse HEAD"))?;
    Ok((first, tip))
}

fn git_checkout_lifecycle() -> Result<(), Failed> {
    let t = Target::connect()?;
    let base = "/srv/rplay-git";
    let (first, tip) = git_fixture(&t, base)?;
    let dest = format!("{base}/co");
    let args = json!({"repo": format!("{base}/r.git"), "dest": dest});
    // Check mode asks the remote (ls-remote) and clones nothing.
    let check = t.task("git", args.clone(), true)?;
    ensure(check.changed(), "check: a clone is planned")?;
    ensure(
        check.value("after") == json!(tip) && check.value("before").is_null(),
        format!("check: after {}", check.value("after")),
    )?;
    ensure(
        t.rc(&format!("test -e {dest}"))? != 0,
        "check cloned nothing",
    )?;
    let clone = t.task("git", args.clone(), false)?;
    ensure(clone.changed(), "clone")?;
    ensure(clone.value("after") == json!(tip), "after is the tip")?;
    ensure(
        t.sh(&format!("cat {dest}/a.txt"))? == "two",
        "tree at the tip",
    )?;
    let again = t.task("git", args.clone(), false)?;
    ensure(
        !again.changed()
            && again.value("before") == json!(tip)
            && again.value("after") == json!(tip),
        format!("second run ok: {:?}", again.fields()),
    )?;
    ensure(
        again.value("remote_url_changed") == json!(false),
        "url unchanged",
    )?;
    // A tag, then the first commit's SHA, then back to HEAD.
    let mut tag = args.clone();
    tag["version"] = json!("v1");
    let r = t.task("git", tag.clone(), false)?;
    ensure(
        r.changed() && r.value("after") == json!(first),
        "tag checked out",
    )?;
    ensure(
        t.sh(&format!("cat {dest}/a.txt"))? == "one",
        "tree at the tag",
    )?;
    ensure(!t.task("git", tag, false)?.changed(), "tag twice is ok")?;
    let mut sha = args.clone();
    sha["version"] = json!(first);
    ensure(
        !t.task("git", sha, false)?.changed(),
        "the tag's SHA is already there",
    )?;
    let back = t.task("git", args.clone(), false)?;
    ensure(
        back.changed() && back.value("after") == json!(tip),
        "back to HEAD",
    )?;
    // Drift: a new commit on the remote is planned by check mode and then applied.
    t.sh(&format!(
        "cd {base}/work && echo three > a.txt && git commit -q -am three && git push -q {base}/r.git main"
    ))?;
    let new_tip = t.sh(&format!("git -C {base}/work rev-parse HEAD"))?;
    let check = t.task("git", args.clone(), true)?;
    ensure(
        check.changed()
            && check.value("before") == json!(tip)
            && check.value("after") == json!(new_tip),
        format!("check sees the new commit: {:?}", check.plan.values),
    )?;
    ensure(
        t.sh(&format!("cat {dest}/a.txt"))? == "two",
        "check changed nothing",
    )?;
    let pull = t.task("git", args.clone(), false)?;
    ensure(
        pull.changed() && pull.value("after") == json!(new_tip),
        "pulled",
    )?;
    ensure(
        t.sh(&format!("cat {dest}/a.txt"))? == "three",
        "tree at the new tip",
    )?;
    // Local modifications: refused without force, discarded with it.
    t.sh(&format!("echo local > {dest}/a.txt"))?;
    let refused = t.task("git", args.clone(), false)?;
    ensure(
        refused.plan.values.get("msg")
            == Some(&json!(format!(
                "Local modifications exist in the destination: {dest} (force=no)."
            )))
            && refused.plan.values.get("failed") == Some(&json!(true)),
        format!("local modifications fail: {:?}", refused.plan.values),
    )?;
    ensure(
        t.sh(&format!("cat {dest}/a.txt"))? == "local",
        "nothing discarded",
    )?;
    let mut force = args.clone();
    force["force"] = json!(true);
    let forced = t.task("git", force.clone(), false)?;
    ensure(forced.changed(), "force discards")?;
    ensure(
        t.sh(&format!("cat {dest}/a.txt"))? == "three",
        "modification discarded",
    )?;
    ensure(
        !t.task("git", force, false)?.changed(),
        "then nothing to do",
    )?;
    // clone=no on a missing checkout only reports the remote's SHA.
    let info = t.task(
        "git",
        json!({"repo": format!("{base}/r.git"), "dest": format!("{base}/none"), "clone": false}),
        false,
    )?;
    ensure(
        info.value("after") == json!(new_tip),
        "clone=no reports the tip",
    )?;
    ensure(
        t.rc(&format!("test -e {base}/none"))? != 0,
        "clone=no clones nothing",
    )?;
    Ok(())
}

/// The differential playbook: one git task after another on `dest`, each result registered and
/// all of them written to `out` on the host.
fn git_playbook(base: &str, dest: &str, out: &str) -> Value {
    let repo = format!("{base}/r.git");
    let git = |extra: Value| {
        let mut a = json!({"repo": repo, "dest": dest});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            a[k] = v;
        }
        a
    };
    let mut tasks = Vec::new();
    let mut names = Vec::new();
    let mut step = |task: Value, name: Option<&str>| {
        let mut t = task;
        if let Some(n) = name {
            t["register"] = json!(n);
            t["ignore_errors"] = json!(true);
            names.push(n.to_string());
        }
        tasks.push(t);
    };
    step(
        json!({"ansible.builtin.git": git(json!({})), "check_mode": true}),
        Some("r_check_clone"),
    );
    step(
        json!({"ansible.builtin.git": git(json!({}))}),
        Some("r_clone"),
    );
    step(
        json!({"ansible.builtin.git": git(json!({}))}),
        Some("r_again"),
    );
    step(
        json!({"ansible.builtin.git": git(json!({"version": "v1"}))}),
        Some("r_tag"),
    );
    step(
        json!({"ansible.builtin.git": git(json!({"version": "main"})), "check_mode": true}),
        Some("r_check_branch"),
    );
    step(
        json!({"ansible.builtin.git": git(json!({"version": "main"}))}),
        Some("r_branch"),
    );
    step(
        json!({"ansible.builtin.shell": format!("echo local > {dest}/a.txt")}),
        None,
    );
    step(
        json!({"ansible.builtin.git": git(json!({}))}),
        Some("r_mods"),
    );
    step(
        json!({"ansible.builtin.git": git(json!({"force": true}))}),
        Some("r_force"),
    );
    step(
        json!({"ansible.builtin.git": git(json!({"update": false, "version": "v1"}))}),
        Some("r_noupdate"),
    );
    step(
        json!({"ansible.builtin.git": {"repo": repo, "dest": format!("{dest}-none"), "clone": false}}),
        Some("r_noclone"),
    );
    let all: Map<String, Value> = names
        .iter()
        .map(|n| (n.clone(), Value::String(format!("{{{{ {n} }}}}"))))
        .collect();
    tasks.push(json!({"ansible.builtin.copy": {"content": "{{ results | to_json }}", "dest": out}, "vars": {"results": all}}));
    json!([{"hosts": "all", "gather_facts": false, "tasks": tasks}])
}

fn git_matches_ansible() -> Result<(), Failed> {
    let lab = pylab()?;
    let t = Target::connect_to(pylab)?;
    let base = "/srv/rplay-gitdiff";
    git_fixture(&t, base)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut results = Vec::new();
    for tool in ["ansible", "rplay"] {
        let dest = format!("{base}/{tool}");
        let out = format!("{base}/{tool}.json");
        let pb = dir.path().join(format!("{tool}.yml"));
        std::fs::write(&pb, git_playbook(base, &dest, &out).to_string())
            .map_err(|e| e.to_string())?;
        let o = if tool == "ansible" {
            fixture::oracle(
                lab,
                "ansible-playbook",
                &[&pb.display().to_string()],
                dir.path(),
            )?
        } else {
            let mut cmd = std::process::Command::new(fixture::bin("rplay"));
            cmd.arg("-i")
                .arg(&lab.inventory)
                .arg(&pb)
                .current_dir(dir.path());
            fixture::run_with_input(&mut cmd, None)
        };
        ensure(
            o.rc == 0,
            format!("{tool}: rc {} {}{}", o.rc, o.stdout, o.stderr),
        )?;
        let text = t.sh(&format!("cat {out}"))?.replace(&dest, "DEST");
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{tool} results: {e}"))?;
        let tree = t.sh(&format!(
            "cd {dest} && git rev-parse HEAD && (git symbolic-ref -q HEAD || echo detached) && \
             cat a.txt && git status --porcelain && git remote -v && git branch -a --no-color"
        ))?;
        results.push((v, tree));
    }
    let (a, r) = (&results[0], &results[1]);
    ensure(
        a.1 == r.1,
        format!(
            "checked-out trees differ:\nansible:\n{}\nrplay:\n{}",
            a.1, r.1
        ),
    )?;
    let keys = [
        "changed",
        "failed",
        "before",
        "after",
        "remote_url_changed",
        "msg",
    ];
    for (name, ar) in a.0.as_object().into_iter().flatten() {
        let rr = &r.0[name];
        for k in keys {
            ensure(
                ar.get(k) == rr.get(k),
                format!(
                    "{name}.{k}: ansible {:?}, rplay {:?}\nansible: {ar}\nrplay: {rr}",
                    ar.get(k),
                    rr.get(k)
                ),
            )?;
        }
    }
    Ok(())
}
