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
        if k == "ansible_interfaces" {
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
