//! Integration tests of the file and command modules. They run the real modules through the real
//! local connection inside throwaway directories (file modules only ever touch those), checking the
//! module contract: converge from fresh, a second run plans nothing, a drift by hand is planned
//! exactly (check mode changes nothing, diff shows it), and applying fixes it.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use libtest_mimic::{Failed, Trial};
use rplay::connection::local::LocalHost;
use rplay::connection::{ConnectOptions, ConnectionSpec, Pool};
use rplay_modules::shell::quote;
use rplay_modules::{registry, Context, Controller, Host, Map, Outcome, Plan, Value};

use crate::fixture;
use serde_json::json;

/// A controller for tests: files under one directory, templates and expressions by minijinja.
struct TestController {
    base: PathBuf,
    vars: Map,
}

impl Controller for TestController {
    fn find_file(&self, kind: &str, name: &str) -> Result<PathBuf, String> {
        let p = Path::new(name);
        if p.is_absolute() {
            return if p.exists() {
                Ok(p.to_path_buf())
            } else {
                Err(format!("Could not find or access '{name}'"))
            };
        }
        for c in [self.base.join(kind).join(name), self.base.join(name)] {
            if c.exists() {
                return Ok(c);
            }
        }
        Err(format!("Could not find or access '{name}'"))
    }

    /// Replaces `{{ name }}` by the variable's text: enough for module tests (the real
    /// renderer is the template area's).
    fn render_template(&self, path: &Path) -> Result<String, String> {
        let mut text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        for (k, v) in &self.vars {
            let shown = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            text = text.replace(&format!("{{{{ {k} }}}}"), &shown);
        }
        if text.contains("{{") {
            return Err(format!("undefined variable in {}", path.display()));
        }
        Ok(text)
    }

    /// Evaluates `name`, a literal, or `a == b` of those.
    fn eval(&self, expr: &str) -> Result<Value, String> {
        let atom = |t: &str| -> Result<Value, String> {
            let t = t.trim();
            if let Some(v) = self.vars.get(t) {
                return Ok(v.clone());
            }
            match t {
                "true" | "True" => return Ok(json!(true)),
                "false" | "False" => return Ok(json!(false)),
                _ => {}
            }
            if let Ok(n) = t.parse::<i64>() {
                return Ok(json!(n));
            }
            if t.len() >= 2
                && (t.starts_with('\'') && t.ends_with('\'')
                    || t.starts_with('"') && t.ends_with('"'))
            {
                return Ok(json!(t[1..t.len() - 1]));
            }
            Err(format!("'{t}' is undefined"))
        };
        match expr.split_once("==") {
            Some((a, b)) => Ok(json!(atom(a)? == atom(b)?)),
            None => atom(expr),
        }
    }
}

/// A scratch directory with a controller around it.
struct Scratch {
    /// Keeps the controller-side scratch directory alive.
    _dir: tempfile::TempDir,
    controller: TestController,
    host: Arc<dyn Host>,
    /// The scratch directory on the host.
    root: String,
    /// The lab and host name, for lab scratch spaces.
    lab: Option<(&'static fixture::Lab, String)>,
    rt: tokio::runtime::Runtime,
    _pool: Option<Pool>,
}

/// What one task did: its plan, and the outcome when applied.
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

impl Scratch {
    /// Scratch space on the controller itself (local connection).
    fn new() -> Result<Self, Failed> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let root = dir.path().join("host").to_string_lossy().into_owned();
        std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        Self::with_host(dir, Arc::new(LocalHost::new("local")), root, None, None)
    }

    /// Scratch space on lab host h1 (over SSH), in a fresh directory named after the test.
    fn lab(test: &str) -> Result<Self, Failed> {
        let lab = fixture::lab()?;
        let host_name = lab.hosts.first().cloned().ok_or("the lab has no hosts")?;
        let root = format!("/root/rplay-modfiles-{test}");
        lab.check(&host_name, &format!("rm -rf {root} && mkdir -p {root}"))?;
        let rt = runtime()?;
        let pool = Pool::new();
        let spec = ConnectionSpec::from_vars(
            &host_name,
            &lab_vars(lab, &host_name)?,
            &ConnectOptions {
                ssh_config_file: Some("/dev/null".into()),
                retries: 0,
                ..ConnectOptions::default()
            },
        )
        .map_err(|e| e.to_string())?;
        let host = rt
            .block_on(pool.host(&spec, None))
            .map_err(|e| e.to_string())?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        Self::with_host(dir, host, root, Some((lab, host_name)), Some((rt, pool)))
    }

    fn with_host(
        dir: tempfile::TempDir,
        host: Arc<dyn Host>,
        root: String,
        lab: Option<(&'static fixture::Lab, String)>,
        rt_pool: Option<(tokio::runtime::Runtime, Pool)>,
    ) -> Result<Self, Failed> {
        let base = dir.path().join("controller");
        std::fs::create_dir_all(base.join("files")).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(base.join("templates")).map_err(|e| e.to_string())?;
        let (rt, pool) = match rt_pool {
            Some((rt, pool)) => (rt, Some(pool)),
            None => (runtime()?, None),
        };
        Ok(Scratch {
            _dir: dir,
            controller: TestController {
                base,
                vars: Map::new(),
            },
            host,
            root,
            lab,
            rt,
            _pool: pool,
        })
    }

    /// A path in the scratch space on the host.
    fn host_path(&self, rel: &str) -> String {
        format!("{}/{rel}", self.root)
    }

    /// Runs a check command on the host, outside the module under test (ssh for the lab).
    fn sh(&self, cmd: &str) -> Result<String, Failed> {
        match &self.lab {
            Some((lab, host)) => Ok(lab.check(host, cmd)?),
            None => {
                let out = std::process::Command::new("/bin/sh")
                    .arg("-c")
                    .arg(cmd)
                    .output()
                    .map_err(|e| e.to_string())?;
                if !out.status.success() {
                    return Err(format!("`{cmd}`: {}", String::from_utf8_lossy(&out.stderr)).into());
                }
                Ok(String::from_utf8_lossy(&out.stdout).into_owned())
            }
        }
    }

    fn read(&self, path: impl AsRef<str>) -> Result<String, Failed> {
        self.sh(&format!("cat -- {}", quote(path.as_ref())))
    }

    fn write(&self, path: impl AsRef<str>, text: &str) -> Result<(), Failed> {
        self.sh(&format!(
            "printf '%s' {} > {}",
            quote(text),
            quote(path.as_ref())
        ))
        .map(|_| ())
    }

    fn mode(&self, path: impl AsRef<str>) -> Result<u32, Failed> {
        let out = self.sh(&format!("stat -c %a -- {}", quote(path.as_ref())))?;
        u32::from_str_radix(out.trim(), 8).map_err(|e| format!("mode {out}: {e}").into())
    }

    fn chmod(&self, path: impl AsRef<str>, mode: u32) -> Result<(), Failed> {
        self.sh(&format!("chmod {mode:o} -- {}", quote(path.as_ref())))
            .map(|_| ())
    }

    fn exists(&self, path: impl AsRef<str>) -> Result<bool, Failed> {
        let p = quote(path.as_ref());
        Ok(self
            .sh(&format!("if [ -e {p} ] || [ -L {p} ]; then echo y; fi"))?
            .trim()
            == "y")
    }

    fn readlink(&self, path: impl AsRef<str>) -> Result<String, Failed> {
        Ok(self
            .sh(&format!("readlink -- {}", quote(path.as_ref())))?
            .trim_end()
            .to_string())
    }

    fn mkdir(&self, path: impl AsRef<str>) -> Result<(), Failed> {
        self.sh(&format!("mkdir -p -- {}", quote(path.as_ref())))
            .map(|_| ())
    }

    fn controller_file(&self, rel: &str, text: &str) -> Result<(), Failed> {
        let p = self.controller.base.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(p, text).map_err(|e| e.to_string().into())
    }

    /// Validates the arguments and plans; unless `check`, applies a non-empty plan.
    fn run(&self, module: &str, args: Value, check: bool, diff: bool) -> Result<Run, Failed> {
        let m = registry::find(module).ok_or(format!("no module {module}"))?;
        let raw = args.as_object().cloned().unwrap_or_default();
        let args = m.spec().validate(&raw)?;
        let ctx = Context {
            host: &*self.host,
            controller: &self.controller,
            check_mode: check,
            diff,
        };
        self.rt.block_on(async {
            let plan = m.plan(&args, &ctx).await.map_err(|e| e.to_string())?;
            // As the engine does: an empty plan is the result; controller-only modules finish
            // in their plan.
            if check || plan.is_empty() || m.spec().controller_only {
                return Ok(Run {
                    plan,
                    outcome: None,
                });
            }
            let outcome = m
                .apply(&args, plan.clone(), &ctx)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Run {
                plan,
                outcome: Some(outcome),
            })
        })
    }

    fn apply(&self, module: &str, args: Value) -> Result<Run, Failed> {
        self.run(module, args, false, false)
    }

    /// Runs a task that must fail at planning or applying; returns the message.
    fn fails(&self, module: &str, args: Value) -> Result<String, Failed> {
        match self.apply(module, args) {
            Err(e) => Ok(e.message().map(str::to_string).unwrap_or_default()),
            Ok(Run {
                outcome: Some(o), ..
            }) if o.failed => Ok(o.msg.unwrap_or_default()),
            // A plan that says the task cannot be done (`failed: true` among its values).
            Ok(Run {
                plan,
                outcome: None,
            }) if plan.values.get("failed") == Some(&json!(true)) => {
                Ok(plan.msg.unwrap_or_default())
            }
            Ok(_) => Err("the task did not fail".into()),
        }
    }
}

fn ensure(cond: bool, what: impl Into<String>) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

fn eq<T: PartialEq + std::fmt::Debug>(a: T, b: T, what: &str) -> Result<(), Failed> {
    ensure(a == b, format!("{what}: {a:?} != {b:?}"))
}

fn runtime() -> Result<tokio::runtime::Runtime, Failed> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(format!("tokio runtime: {e}")))
}

/// Connection variables of a lab host, as the lab inventory gives them.
fn lab_vars(lab: &fixture::Lab, host: &str) -> Result<Map, Failed> {
    let mut v = Map::new();
    v.insert("ansible_host".into(), json!("127.0.0.1"));
    v.insert("ansible_port".into(), json!(lab.port(host)?));
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
    Ok(v)
}

fn file_directory_lifecycle(s: Scratch) -> Result<(), Failed> {
    let d = s.host_path("a/b/c");
    let args = json!({"path": d, "state": "directory", "mode": "0750"});
    let first = s.apply("file", args.clone())?;
    eq(
        first.fields(),
        vec!["state".to_string(), "mode".into()],
        "fresh plan",
    )?;
    eq(s.mode(&d)?, 0o750, "mode of the new directory")?;
    eq(
        s.mode(&s.host_path("a"))?,
        0o750,
        "created parents get the mode",
    )?;
    eq(first.value("state"), json!("directory"), "state")?;
    ensure(
        !s.apply("file", args.clone())?.changed(),
        "second run must not change",
    )?;
    s.chmod(&d, 0o700)?;
    let check = s.run("file", args.clone(), true, true)?;
    eq(check.fields(), vec!["mode".to_string()], "drift plan")?;
    eq(
        check.plan.changes[0].before.clone(),
        json!("0700"),
        "drift before",
    )?;
    eq(s.mode(&d)?, 0o700, "check mode changed nothing")?;
    s.apply("file", args.clone())?;
    eq(s.mode(&d)?, 0o750, "drift fixed")?;
    // Symbolic mode equal to the current bits: nothing to do.
    ensure(
        !s.apply(
            "file",
            json!({"path": d, "state": "directory", "mode": "u=rwx,g=rx,o="}),
        )?
        .changed(),
        "symbolic equal",
    )?;
    // Absent.
    let gone = s.apply("file", json!({"path": s.host_path("a"), "state": "absent"}))?;
    eq(gone.fields(), vec!["state".to_string()], "absent plan")?;
    ensure(!s.exists(&s.host_path("a"))?, "tree removed")?;
    ensure(
        !s.apply("file", json!({"path": s.host_path("a"), "state": "absent"}))?
            .changed(),
        "absent twice",
    )?;
    Ok(())
}

fn file_links_touch_and_errors(s: Scratch) -> Result<(), Failed> {
    let target = s.host_path("target");
    s.write(&target, "x")?;
    let link = s.host_path("link");
    let args = json!({"src": target, "dest": link, "state": "link"});
    ensure(s.apply("file", args.clone())?.changed(), "link created")?;
    eq(s.readlink(&link)?, target.clone(), "link target")?;
    ensure(!s.apply("file", args.clone())?.changed(), "link idempotent")?;
    let other = s.host_path("other");
    s.write(&other, "y")?;
    let moved = s.apply("file", json!({"src": other, "dest": link, "state": "link"}))?;
    eq(moved.fields(), vec!["src".to_string()], "relink plan")?;
    eq(s.readlink(&link)?, other.clone(), "relinked")?;
    let e = s.fails(
        "file",
        json!({"src": target, "dest": other, "state": "link"}),
    )?;
    eq(
        e,
        format!("refusing to convert from file to symlink for {other}"),
        "file to link",
    )?;
    let e = s.fails(
        "file",
        json!({"path": s.host_path("none"), "state": "file"}),
    )?;
    eq(
        e,
        format!("file ({}) is absent, cannot continue", s.host_path("none")),
        "state=file absent",
    )?;
    let t = s.host_path("touched");
    let r = s.apply(
        "file",
        json!({"path": t, "state": "touch", "mode": "u=rw,g=r,o=r"}),
    )?;
    ensure(r.changed() && s.exists(&t)?, "touch creates")?;
    eq(s.mode(&t)?, 0o644, "touch mode")?;
    ensure(
        s.apply("file", json!({"path": t, "state": "touch"}))?
            .changed(),
        "touch always changes",
    )?;
    let hard = s.host_path("hard");
    ensure(
        s.apply(
            "file",
            json!({"src": target, "dest": hard, "state": "hard"}),
        )?
        .changed(),
        "hard link",
    )?;
    ensure(
        !s.apply(
            "file",
            json!({"src": target, "dest": hard, "state": "hard"}),
        )?
        .changed(),
        "hard link idempotent",
    )?;
    // Unknown owner: Ansible's message.
    let e = s.fails("file", json!({"path": t, "owner": "no-such-user-rplay"}))?;
    eq(
        e,
        "chown failed: failed to look up user no-such-user-rplay".to_string(),
        "unknown owner",
    )?;
    Ok(())
}

fn file_recurse(s: Scratch) -> Result<(), Failed> {
    let root = s.host_path("tree");
    s.mkdir(format!("{root}/sub"))?;
    s.write(format!("{root}/sub/f"), "x")?;
    let args =
        json!({"path": root, "state": "directory", "recurse": true, "mode": "u=rwX,g=rX,o="});
    let r = s.apply("file", args.clone())?;
    ensure(
        r.fields().contains(&"recurse".to_string()),
        format!("recurse planned: {:?}", r.fields()),
    )?;
    eq(
        s.mode(&format!("{root}/sub/f"))?,
        0o640,
        "file mode in tree",
    )?;
    eq(s.mode(&format!("{root}/sub"))?, 0o750, "dir mode in tree")?;
    ensure(!s.apply("file", args)?.changed(), "recurse idempotent")?;
    Ok(())
}

fn copy_content_lifecycle(s: Scratch) -> Result<(), Failed> {
    let dest = s.host_path("app.conf");
    let args = json!({"content": "a=1\nb=2\n", "dest": dest, "mode": "0600", "backup": true});
    let first = s.apply("copy", args.clone())?;
    eq(
        first.fields(),
        vec!["content".to_string(), "mode".into()],
        "fresh plan",
    )?;
    eq(s.read(&dest)?, "a=1\nb=2\n".to_string(), "content")?;
    eq(s.mode(&dest)?, 0o600, "mode")?;
    eq(
        first.value("checksum"),
        json!("5c913f3105032302017e444852688ef5b95c4a0f"),
        "checksum",
    )?;
    ensure(
        first
            .value("md5sum")
            .as_str()
            .is_some_and(|m| m.len() == 32),
        "md5sum",
    )?;
    let second = s.apply("copy", args.clone())?;
    ensure(!second.changed(), "second run ok")?;
    eq(second.value("mode"), json!("0600"), "mode value")?;
    s.write(&dest, "a=1\nb=3\n")?;
    let check = s.run("copy", args.clone(), true, true)?;
    eq(check.fields(), vec!["content".to_string()], "drift plan")?;
    let text = check.plan.changes[0].text.clone().ok_or("diff text")?;
    eq(
        (text.before.as_str(), text.after.as_str()),
        ("a=1\nb=3\n", "a=1\nb=2\n"),
        "diff",
    )?;
    eq(
        s.read(&dest)?,
        "a=1\nb=3\n".to_string(),
        "check changed nothing",
    )?;
    let fixed = s.apply("copy", args.clone())?;
    eq(s.read(&dest)?, "a=1\nb=2\n".to_string(), "fixed")?;
    let backup = fixed.value("backup_file");
    let backup = backup.as_str().ok_or("backup_file returned")?;
    eq(
        s.read(backup)?,
        "a=1\nb=3\n".to_string(),
        "backup keeps old",
    )?;
    eq(s.mode(&dest)?, 0o600, "mode kept on replace")?;
    // force: false never replaces.
    s.write(&dest, "other\n")?;
    ensure(
        !s.apply(
            "copy",
            json!({"content": "new\n", "dest": dest, "force": false}),
        )?
        .changed(),
        "force=false",
    )?;
    // validate.
    let v = s.apply(
        "copy",
        json!({"content": "good\n", "dest": dest, "validate": "grep -q good %s"}),
    )?;
    ensure(
        v.outcome.as_ref().is_some_and(|o| !o.failed),
        "validate passes",
    )?;
    let e = s.fails(
        "copy",
        json!({"content": "bad\n", "dest": dest, "validate": "grep -q good %s"}),
    )?;
    eq(e, "failed to validate".to_string(), "validate fails")?;
    eq(
        s.read(&dest)?,
        "good\n".to_string(),
        "unvalidated content not installed",
    )?;
    // dict content as Python JSON.
    let j = s.host_path("j.json");
    s.apply(
        "copy",
        json!({"content": {"a": 1, "b": [1, "é"]}, "dest": j}),
    )?;
    eq(
        s.read(&j)?,
        r#"{"a": 1, "b": [1, "\u00e9"]}"#.to_string(),
        "json",
    )?;
    let e = s.fails(
        "copy",
        json!({"content": "x", "dest": s.host_path("nodir/x")}),
    )?;
    ensure(e.starts_with("Destination directory"), e)?;
    Ok(())
}

fn copy_src_file_and_tree(s: Scratch) -> Result<(), Failed> {
    s.controller_file("files/h.txt", "hello\n")?;
    s.controller_file("files/tree/a", "a\n")?;
    s.controller_file("files/tree/sub/b", "b\n")?;
    let out = s.host_path("out");
    s.mkdir(&out)?;
    let r = s.apply("copy", json!({"src": "h.txt", "dest": format!("{out}/")}))?;
    eq(
        r.value("dest"),
        json!(format!("{out}/h.txt")),
        "dest into directory",
    )?;
    eq(
        r.value("checksum"),
        json!("f572d396fae9206628714fb2ce00f72e94f2258f"),
        "sha1",
    )?;
    eq(s.mode(&format!("{out}/h.txt"))?, 0o644, "new file mode")?;
    ensure(
        !s.apply("copy", json!({"src": "h.txt", "dest": out}))?
            .changed(),
        "existing dir dest",
    )?;
    let tree = s.apply("copy", json!({"src": "tree", "dest": out}))?;
    ensure(tree.changed(), "tree copied")?;
    eq(
        s.read(format!("{out}/tree/sub/b"))?,
        "b\n".to_string(),
        "nested file",
    )?;
    ensure(
        !s.apply("copy", json!({"src": "tree", "dest": out}))?
            .changed(),
        "tree idempotent",
    )?;
    let t2 = format!("{out}/t2");
    s.apply("copy", json!({"src": "tree/", "dest": t2}))?;
    ensure(
        s.exists(&format!("{t2}/sub/b"))?,
        "contents copied with trailing slash",
    )?;
    s.write(format!("{t2}/a"), "drift\n")?;
    let check = s.run("copy", json!({"src": "tree/", "dest": t2}), true, false)?;
    eq(check.fields(), vec![format!("file:{t2}/a")], "tree drift")?;
    s.apply("copy", json!({"src": "tree/", "dest": t2}))?;
    eq(
        s.read(format!("{t2}/a"))?,
        "a\n".to_string(),
        "tree drift fixed",
    )?;
    // remote_src
    let r = s.apply(
        "copy",
        json!({"src": format!("{out}/h.txt"), "dest": format!("{out}/h2.txt"), "remote_src": true}),
    )?;
    ensure(r.changed(), "remote copy")?;
    ensure(!s.apply("copy", json!({"src": format!("{out}/h.txt"), "dest": format!("{out}/h2.txt"), "remote_src": true}))?.changed(), "remote copy idempotent")?;
    Ok(())
}

fn command_and_shell(s: Scratch) -> Result<(), Failed> {
    let dir = s.host_path("");
    let r = s.apply("command", json!({"cmd": "pwd", "chdir": dir}))?;
    let o = r.outcome.as_ref().ok_or("ran")?;
    ensure(o.changed && !o.failed, "command changed")?;
    eq(r.value("stdout"), json!(dir.trim_end_matches('/')), "chdir")?;
    eq(r.value("cmd"), json!(["pwd"]), "cmd is argv")?;
    let skip = s.apply("command", json!({"cmd": "false", "creates": dir}))?;
    ensure(!skip.changed() && skip.outcome.is_none(), "creates skips")?;
    eq(
        skip.value("stdout"),
        json!(format!("skipped, since {dir} exists")),
        "creates stdout",
    )?;
    let r = s.apply("command", json!({"argv": ["cat"], "stdin": "in put"}))?;
    eq(r.value("stdout"), json!("in put"), "stdin")?;
    let r = s.apply(
        "shell",
        json!({"cmd": "echo a | tr a b; echo err >&2; exit 3"}),
    )?;
    let o = r.outcome.as_ref().ok_or("ran")?;
    ensure(o.failed && o.changed, "rc 3 fails, still changed")?;
    eq(
        (r.value("stdout"), r.value("stderr"), r.value("rc")),
        (json!("b"), json!("err"), json!(3)),
        "shell output",
    )?;
    eq(r.value("msg"), json!("non-zero return code"), "msg")?;
    let r = s.apply("command", json!({"cmd": "no-such-program-rplay"}))?;
    let o = r.outcome.as_ref().ok_or("ran")?;
    eq(
        (o.failed, r.value("rc")),
        (true, json!(2)),
        "missing program",
    )?;
    let r = s.apply(
        "command",
        json!({"cmd": "pwd", "chdir": s.host_path("nope")}),
    )?;
    eq(
        r.outcome.map(|o| o.msg),
        Some(Some(
            "Unable to change directory before execution.".to_string(),
        )),
        "bad chdir",
    )?;
    let check = s.run("shell", json!({"cmd": "touch x"}), true, false)?;
    ensure(check.plan.always_acts, "command always acts")?;
    Ok(())
}

fn lineinfile_lifecycle(s: Scratch) -> Result<(), Failed> {
    let f = s.host_path("li.txt");
    s.write(&f, "a=1\nb=2\na=9\n")?;
    s.chmod(&f, 0o640)?;
    let args = json!({"path": f, "regexp": "^a=", "line": "a=X", "backup": true});
    let check = s.run("lineinfile", args.clone(), true, true)?;
    eq(check.fields(), vec!["content".to_string()], "plan")?;
    let text = check.plan.changes[0].text.clone().ok_or("diff")?;
    eq(text.after.as_str(), "a=1\nb=2\na=X\n", "diff after")?;
    eq(text.before_header, format!("{f} (content)"), "diff header")?;
    eq(
        s.read(&f)?,
        "a=1\nb=2\na=9\n".to_string(),
        "check changed nothing",
    )?;
    let r = s.apply("lineinfile", args.clone())?;
    eq(r.value("msg"), json!("line replaced"), "msg")?;
    eq(
        s.read(&f)?,
        "a=1\nb=2\na=X\n".to_string(),
        "replaced last match",
    )?;
    eq(s.mode(&f)?, 0o640, "mode kept")?;
    let backup = r.value("backup");
    eq(
        s.read(backup.as_str().ok_or("backup")?)?,
        "a=1\nb=2\na=9\n".to_string(),
        "backup",
    )?;
    let again = s.apply("lineinfile", args.clone())?;
    ensure(!again.changed(), "idempotent")?;
    eq(again.value("msg"), json!(""), "unchanged msg")?;
    let r = s.apply(
        "lineinfile",
        json!({"path": f, "regexp": "^a", "state": "absent"}),
    )?;
    eq(
        (r.value("msg"), r.value("found")),
        (json!("2 line(s) removed"), json!(2)),
        "absent",
    )?;
    let r = s.apply(
        "lineinfile",
        json!({"path": f, "line": "z", "mode": "0600"}),
    )?;
    eq(
        r.value("msg"),
        json!("line added and ownership, perms or SE linux context changed"),
        "attrs msg",
    )?;
    eq(s.read(&f)?, "b=2\nz\n".to_string(), "appended")?;
    let e = s.fails(
        "lineinfile",
        json!({"path": s.host_path("missing"), "line": "z"}),
    )?;
    eq(
        e,
        format!("Destination {} does not exist !", s.host_path("missing")),
        "missing",
    )?;
    let created = s.host_path("new/dir/file");
    s.apply(
        "lineinfile",
        json!({"path": created, "line": "z", "create": true}),
    )?;
    eq(s.read(&created)?, "z\n".to_string(), "created with parents")?;
    eq(s.mode(&created)?, 0o644, "created mode")?;
    Ok(())
}

fn blockinfile_and_replace(s: Scratch) -> Result<(), Failed> {
    let f = s.host_path("b.txt");
    s.write(&f, "x\n")?;
    let args = json!({"path": f, "block": "q\nr"});
    let r = s.apply("blockinfile", args.clone())?;
    eq(r.value("msg"), json!("Block inserted"), "msg")?;
    eq(
        s.read(&f)?,
        "x\n# BEGIN ANSIBLE MANAGED BLOCK\nq\nr\n# END ANSIBLE MANAGED BLOCK\n".to_string(),
        "block",
    )?;
    ensure(
        !s.apply("blockinfile", args.clone())?.changed(),
        "block idempotent",
    )?;
    let r = s.apply(
        "replace",
        json!({"path": f, "regexp": "^(q|r)$", "replace": "<\\1>", "backup": true}),
    )?;
    eq(r.value("msg"), json!("2 replacements made"), "replace msg")?;
    ensure(
        r.value("backup_file").as_str().is_some(),
        "replace backup_file",
    )?;
    eq(
        s.read(&f)?,
        "x\n# BEGIN ANSIBLE MANAGED BLOCK\n<q>\n<r>\n# END ANSIBLE MANAGED BLOCK\n".to_string(),
        "replaced",
    )?;
    ensure(
        !s.apply(
            "replace",
            json!({"path": f, "regexp": "^(q|r)$", "replace": "<\\1>"}),
        )?
        .changed(),
        "replace idempotent",
    )?;
    let r = s.apply("blockinfile", json!({"path": f, "state": "absent"}))?;
    eq(r.value("msg"), json!("Block removed"), "removed")?;
    eq(s.read(&f)?, "x\n".to_string(), "block gone")?;
    Ok(())
}

/// ini_file converges a new file, changes nothing the second time, reports a value changed by
/// hand in check mode (with the content diff) without touching it, and puts it back.
fn ini_file_lifecycle(s: Scratch) -> Result<(), Failed> {
    let f = s.host_path("conf/app.ini");
    let port =
        json!({"path": f, "section": "server", "option": "port", "value": "8080", "mode": "0640"});
    let r = s.apply("ini_file", port.clone())?;
    eq(r.value("msg"), json!("section and option added"), "msg")?;
    eq(
        s.read(&f)?,
        "\n[server]\nport = 8080\n".to_string(),
        "created",
    )?;
    eq(s.mode(&f)?, 0o640, "mode")?;
    let host = json!({"path": f, "section": "server", "option": "host", "value": "0.0.0.0"});
    eq(
        s.apply("ini_file", host.clone())?.value("msg"),
        json!("option added"),
        "added",
    )?;
    for args in [&port, &host] {
        let again = s.apply("ini_file", args.clone())?;
        ensure(
            !again.changed(),
            format!("second run changes nothing: {args}"),
        )?;
        eq(again.value("msg"), json!("OK"), "msg OK")?;
    }
    s.write(&f, "\n[server]\nport = 9999\nhost = 0.0.0.0\n")?;
    let check = s.run("ini_file", port.clone(), true, true)?;
    ensure(check.changed(), "drift detected in check mode")?;
    let text = check
        .plan
        .changes
        .iter()
        .find_map(|c| c.text.clone())
        .ok_or("check mode gives the content diff")?;
    ensure(
        text.before.contains("port = 9999") && text.after.contains("port = 8080"),
        format!("diff {text:?}"),
    )?;
    ensure(
        s.read(&f)?.contains("port = 9999"),
        "check mode changed nothing",
    )?;
    let fixed = s.apply("ini_file", port.clone())?;
    eq(fixed.value("msg"), json!("option changed"), "fixed")?;
    eq(
        s.read(&f)?,
        "\n[server]\nport = 8080\nhost = 0.0.0.0\n".to_string(),
        "drift fixed",
    )?;
    let gone = s.apply(
        "ini_file",
        json!({"path": f, "section": "server", "state": "absent"}),
    )?;
    eq(
        gone.value("msg"),
        json!("section removed"),
        "section removed",
    )?;
    let missing = s.fails(
        "ini_file",
        json!({"path": s.host_path("nope.ini"), "section": "a", "option": "b", "value": "c", "create": false}),
    )?;
    ensure(
        missing.ends_with("nope.ini does not exist!"),
        format!("create=false on a missing file: {missing}"),
    )?;
    Ok(())
}

fn template_and_stat(mut s: Scratch) -> Result<(), Failed> {
    s.controller_file("templates/site.conf.j2", "server {{ name }};\n")?;
    s.controller.vars.insert("name".into(), json!("web1"));
    let dest = s.host_path("site.conf");
    let args = json!({"src": "site.conf.j2", "dest": dest, "mode": "0640"});
    let r = s.apply("template", args.clone())?;
    ensure(r.changed(), "rendered")?;
    eq(s.read(&dest)?, "server web1;\n".to_string(), "content")?;
    ensure(
        !s.apply("template", args.clone())?.changed(),
        "template idempotent",
    )?;
    s.controller.vars.insert("name".into(), json!("web2"));
    let check = s.run("template", args.clone(), true, true)?;
    let text = check
        .plan
        .changes
        .first()
        .and_then(|c| c.text.clone())
        .ok_or("diff")?;
    ensure(
        text.after_header.ends_with("templates/site.conf.j2"),
        format!("after header {}", text.after_header),
    )?;
    eq(
        (text.before.as_str(), text.after.as_str()),
        ("server web1;\n", "server web2;\n"),
        "template diff",
    )?;
    let st = s.apply("stat", json!({"path": dest}))?;
    ensure(!st.changed(), "stat never changes")?;
    let d = st.value("stat");
    eq(
        (d["exists"].clone(), d["isreg"].clone(), d["mode"].clone()),
        (json!(true), json!(true), json!("0640")),
        "stat",
    )?;
    eq(
        d["checksum"].clone(),
        json!("0cf400ba77e419131a77ee0780b013c8424ad277"),
        "stat checksum",
    )?;
    let none = s.apply("stat", json!({"path": s.host_path("none")}))?;
    eq(none.value("stat"), json!({"exists": false}), "absent stat")?;
    Ok(())
}

fn controller_modules(mut s: Scratch) -> Result<(), Failed> {
    s.controller.vars.insert("port".into(), json!(8080));
    s.controller.vars.insert("user".into(), json!("app"));
    let r = s.apply("debug", json!({"msg": {"a": [1, 2]}}))?;
    eq(r.value("msg"), json!({"a": [1, 2]}), "debug msg keeps type")?;
    eq(
        s.apply("debug", json!({}))?.value("msg"),
        json!("Hello world!"),
        "default msg",
    )?;
    let r = s.apply("debug", json!({"var": "port"}))?;
    eq(r.value("port"), json!(8080), "debug var")?;
    let r = s.apply("debug", json!({"var": "nope"}))?;
    ensure(
        r.value("nope")
            .as_str()
            .is_some_and(|v| v.starts_with("<< error 1 - ") && v.contains("nope")),
        "undefined var shows the error in place of the value",
    )?;
    let e = s
        .apply("debug", json!({"msg": "a", "var": "b"}))
        .err()
        .ok_or("msg+var must be rejected")?;
    ensure(
        e.message()
            .is_some_and(|m| m.contains("mutually exclusive")),
        "exclusive",
    )?;
    let r = s.apply("set_fact", json!({"a": 1, "b": "yes"}))?;
    eq(
        r.value("ansible_facts"),
        json!({"a": 1, "b": "yes"}),
        "set_fact",
    )?;
    ensure(!r.changed(), "set_fact never changes")?;
    let ok = s.apply("assert", json!({"that": ["port == 8080", "user == 'app'"]}))?;
    eq(
        (ok.value("msg"), ok.value("failed")),
        (json!("All assertions passed"), Value::Null),
        "assert ok",
    )?;
    let bad = s.apply(
        "assert",
        json!({"that": ["port == 8080", "user == 'root'"], "fail_msg": "no"}),
    )?;
    eq(
        (
            bad.value("failed"),
            bad.value("assertion"),
            bad.value("evaluated_to"),
            bad.value("msg"),
        ),
        (
            json!(true),
            json!("user == 'root'"),
            json!(false),
            json!("no"),
        ),
        "assert fails on the first false",
    )?;
    let e = s
        .apply("assert", json!({"that": "port"}))
        .err()
        .ok_or("non-boolean must fail")?;
    ensure(
        e.message()
            .is_some_and(|m| m.contains("Conditionals must have a boolean result")),
        "bool",
    )?;
    let f = s.apply("fail", json!({}))?;
    eq(
        (f.value("failed"), f.value("msg")),
        (json!(true), json!("Failed as requested from task")),
        "fail",
    )?;
    let p = s.apply("pause", json!({"seconds": 0}))?;
    eq(p.value("stdout"), json!("Paused for 0 seconds"), "pause")?;
    Ok(())
}

fn slurp_fetch_tempfile(s: Scratch) -> Result<(), Failed> {
    let f = s.host_path("data.txt");
    s.write(&f, "secret-ish\n")?;
    let r = s.apply("slurp", json!({"src": f}))?;
    eq(r.value("content"), json!("c2VjcmV0LWlzaAo="), "base64")?;
    eq(r.value("encoding"), json!("base64"), "encoding")?;
    let e = s.fails("slurp", json!({"path": s.host_path("none")}))?;
    eq(
        e,
        format!("file not found: {}", s.host_path("none")),
        "slurp missing",
    )?;
    let dest = s
        .controller
        .base
        .join("fetched")
        .to_string_lossy()
        .into_owned();
    let r = s.apply("fetch", json!({"src": f, "dest": dest}))?;
    ensure(r.changed(), "fetched")?;
    let local = format!("{dest}/{}/{}", s.host.name(), f.trim_start_matches('/'));
    eq(
        std::fs::read_to_string(&local).map_err(|e| e.to_string())?,
        "secret-ish\n".to_string(),
        "fetched content",
    )?;
    eq(r.value("dest"), json!(local), "fetch dest")?;
    ensure(
        !s.apply("fetch", json!({"src": f, "dest": dest}))?.changed(),
        "fetch idempotent",
    )?;
    let flat = format!("{dest}/flat/");
    let r = s.apply("fetch", json!({"src": f, "dest": flat, "flat": true}))?;
    eq(
        r.value("dest"),
        json!(format!("{flat}data.txt")),
        "flat dest",
    )?;
    let e = s.fails("fetch", json!({"src": s.host_path("none"), "dest": dest}))?;
    eq(
        e,
        "the remote file does not exist, not transferring, ignored".to_string(),
        "fetch missing",
    )?;
    let ok = s.apply(
        "fetch",
        json!({"src": s.host_path("none"), "dest": dest, "fail_on_missing": false}),
    )?;
    ensure(!ok.changed(), "missing ignored")?;
    let t = s.apply(
        "tempfile",
        json!({"path": s.host_path(""), "suffix": ".x", "state": "directory"}),
    )?;
    let p = t.value("path");
    let p = p.as_str().ok_or("tempfile path")?;
    ensure(
        p.ends_with(".x") && p.contains("/ansible."),
        format!("tempfile name {p}"),
    )?;
    ensure(s.exists(p)?, "tempfile exists")?;
    eq(t.value("state"), json!("directory"), "tempfile state")?;
    Ok(())
}

fn find_files(s: Scratch) -> Result<(), Failed> {
    let root = s.host_path("logs");
    s.mkdir(format!("{root}/sub"))?;
    s.write(format!("{root}/a.log"), "error: x\n")?;
    s.write(format!("{root}/b.txt"), "fine\n")?;
    s.write(format!("{root}/.hidden.log"), "error\n")?;
    s.write(format!("{root}/sub/c.log"), "ok\n")?;
    let names = |r: &Run| -> Vec<String> {
        let mut v: Vec<String> = r
            .value("files")
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| {
                        f["path"]
                            .as_str()
                            .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let r = s.apply("find", json!({"paths": root, "patterns": "*.log"}))?;
    eq(names(&r), vec!["a.log".to_string()], "top level, no hidden")?;
    let r = s.apply(
        "find",
        json!({"paths": root, "patterns": ["*.log"], "recurse": true, "hidden": true}),
    )?;
    eq(
        names(&r),
        vec![".hidden.log".to_string(), "a.log".into(), "c.log".into()],
        "recursive",
    )?;
    eq(r.value("matched"), json!(3), "matched")?;
    let r = s.apply(
        "find",
        json!({"paths": root, "contains": "^error", "recurse": true, "get_checksum": true}),
    )?;
    eq(names(&r), vec!["a.log".to_string()], "contains")?;
    ensure(
        r.value("files")[0]["checksum"]
            .as_str()
            .is_some_and(|c| c.len() == 40),
        "checksum",
    )?;
    let r = s.apply("find", json!({"paths": root, "file_type": "directory"}))?;
    eq(names(&r), vec!["sub".to_string()], "directories")?;
    let r = s.apply(
        "find",
        json!({"paths": root, "patterns": "^[ab]\\.", "use_regex": true}),
    )?;
    eq(
        names(&r),
        vec!["a.log".to_string(), "b.txt".into()],
        "regex",
    )?;
    let r = s.apply("find", json!({"paths": [s.host_path("none")]}))?;
    eq(r.value("matched"), json!(0), "missing path")?;
    ensure(
        r.value("skipped_paths")
            .as_object()
            .is_some_and(|m| m.len() == 1),
        "skipped path",
    )?;
    Ok(())
}

fn get_url_file_scheme(s: Scratch) -> Result<(), Failed> {
    let src = s.host_path("src.bin");
    s.write(&src, "payload v1\n")?;
    let dest = s.host_path("dl/");
    s.mkdir(&dest)?;
    let url = format!("file://{src}");
    let sha256 = "sha256:".to_string() + &sha256_hex(b"payload v1\n");
    let args = json!({"url": url, "dest": dest, "mode": "0640", "checksum": sha256});
    let r = s.apply("get_url", args.clone())?;
    ensure(r.changed(), "downloaded")?;
    let file = format!("{dest}src.bin");
    eq(r.value("dest"), json!(file), "dest in directory")?;
    eq(s.read(&file)?, "payload v1\n".to_string(), "content")?;
    eq(s.mode(&file)?, 0o640, "mode")?;
    eq(r.value("msg"), json!("OK (11 bytes)"), "msg")?;
    ensure(
        !s.apply("get_url", args.clone())?.changed(),
        "checksum matches: nothing to do",
    )?;
    // force=false: an existing file is kept even when the source changed.
    s.write(&src, "payload v2\n")?;
    ensure(
        !s.apply("get_url", json!({"url": url, "dest": file}))?
            .changed(),
        "force=false keeps",
    )?;
    let check = s.run(
        "get_url",
        json!({"url": url, "dest": file, "force": true}),
        true,
        false,
    )?;
    eq(
        check.fields(),
        vec!["content".to_string()],
        "force plans a download",
    )?;
    eq(
        s.read(&file)?,
        "payload v1\n".to_string(),
        "check changed nothing",
    )?;
    s.apply("get_url", json!({"url": url, "dest": file, "force": true}))?;
    eq(s.read(&file)?, "payload v2\n".to_string(), "forced")?;
    eq(s.mode(&file)?, 0o640, "mode kept on replace")?;
    ensure(
        !s.apply("get_url", json!({"url": url, "dest": file, "force": true}))?
            .changed(),
        "same download",
    )?;
    let e = s.fails(
        "get_url",
        json!({"url": url, "dest": s.host_path("other"), "checksum": "sha1:0000"}),
    )?;
    ensure(e.contains("did not match"), e)?;
    ensure(
        !s.exists(s.host_path("other"))?,
        "bad download not installed",
    )?;
    Ok(())
}

fn get_url_http_local(s: Scratch) -> Result<(), Failed> {
    let served = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::write(served.path().join("f.txt"), "over http\n").map_err(|e| e.to_string())?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    // A one-file HTTP server answering each request with the file.
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming().flatten().take(4) {
            let mut stream = stream;
            let mut req = Vec::new();
            let mut buf = [0u8; 2048];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let body = b"over http\n";
            let _ = write!(
                stream,
                "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(body);
        }
    });
    let dest = s.host_path("h.txt");
    let r = s.apply(
        "get_url",
        json!({"url": format!("http://127.0.0.1:{port}/f.txt"), "dest": dest}),
    )?;
    ensure(r.changed(), "downloaded")?;
    eq(
        s.read(&dest)?,
        "over http\n".to_string(),
        "content over http",
    )?;
    Ok(())
}

/// Prepares the uri lab's host once: nginx-light and curl from the offline repository, an nginx
/// instance of its own on 127.0.0.1:8181 (pages, JSON, an echo of the request behind a proxy that
/// logs bodies, a 201, a redirect, cookies, Basic auth), and a `curl` in /usr/local/bin that logs
/// its arguments before running the real one, so a test can check no secret reached them.
const URI_SERVER_SETUP: &str = r#"set -e
export DEBIAN_FRONTEND=noninteractive
command -v nginx >/dev/null && [ -x /usr/bin/curl ] || apt-get -o DPkg::Lock::Timeout=300 install -y -q nginx-light curl >/dev/null
R=/srv/rplay-uri
mkdir -p $R/www
printf 'hello from nginx\n' > $R/www/page.html
printf '{"name": "rplay", "tags": ["a", "b"], "n": 1}\n' > $R/www/data.json
printf 'welcome rplay\n' > $R/www/private.txt
printf 'rplay:{PLAIN}s3cret-pw\n' > $R/htpasswd
cat > /usr/local/bin/curl <<'WRAP'
#!/bin/sh
printf '%s\n' "$*" >> /srv/rplay-uri/curl-argv.log
exec /usr/bin/curl "$@"
WRAP
chmod 755 /usr/local/bin/curl
cat > $R/nginx.conf <<'CONF'
pid /srv/rplay-uri/nginx.pid;
error_log /srv/rplay-uri/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    log_format body '$request_method $request_uri [$http_content_type] [$request_body]';
    server {
        listen 127.0.0.1:8181;
        root /srv/rplay-uri/www;
        location = /echo {
            default_type application/json;
            return 200 '{"method": "$request_method", "ctype": "$http_content_type", "token": "$http_x_token", "cookie": "$http_cookie"}';
        }
        location = /post {
            access_log /srv/rplay-uri/body.log body;
            proxy_pass http://127.0.0.1:8181/echo;
        }
        location = /created { return 201 "made\n"; }
        location = /old { return 302 /page.html; }
        location = /cookie {
            add_header Set-Cookie "sid=abc; Path=/";
            add_header Set-Cookie "theme=dark; Path=/";
            return 200 "c\n";
        }
        location = /private.txt {
            auth_basic "rplay";
            auth_basic_user_file /srv/rplay-uri/htpasswd;
        }
    }
}
CONF
if [ -f $R/nginx.pid ] && kill -0 "$(cat $R/nginx.pid)" 2>/dev/null; then nginx -c $R/nginx.conf -s reload; else nginx -c $R/nginx.conf; fi
i=0; until /usr/bin/curl -s -o /dev/null http://127.0.0.1:8181/page.html; do i=$((i+1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done
"#;

/// The uri trials' lab: one host with python (for the differential run) serving HTTP itself. A
/// lab of its own, so installing nginx never races other trials' apt runs.
fn uri_lab() -> Result<&'static fixture::Lab, Failed> {
    static LAB: std::sync::OnceLock<Result<fixture::Lab, String>> = std::sync::OnceLock::new();
    LAB.get_or_init(|| {
        let lab = fixture::start_lab(&format!("uri-{}", fixture::lab_tag()), 1, &["--python"])?;
        lab.check("h1", URI_SERVER_SETUP)?;
        Ok(lab)
    })
    .as_ref()
    .map_err(|e| Failed::from(e.as_str()))
}

/// Runs `playbook` with rplay (or the oracle's ansible-playbook) on the uri lab, with `args`.
fn uri_play(
    lab: &fixture::Lab,
    ansible: bool,
    playbook: &str,
    args: &[&str],
) -> Result<fixture::Output, Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("pb.yml"), playbook).map_err(|e| e.to_string())?;
    let mut all = args.to_vec();
    all.push("pb.yml");
    if ansible {
        return Ok(fixture::oracle(lab, "ansible-playbook", &all, dir.path())?);
    }
    Ok(fixture::run_with_input(
        std::process::Command::new(fixture::bin("rplay"))
            .current_dir(dir.path())
            .arg("-i")
            .arg(&lab.inventory)
            .args(&all)
            .env("ANSIBLE_NOCOLOR", "1"),
        None,
    ))
}

/// uri against nginx on the host itself, checked by the playbook's own asserts.
const URI_PLAYBOOK: &str = r#"- hosts: all
  gather_facts: false
  vars:
    base: http://127.0.0.1:8181
    out: /srv/rplay-uri/lab
  tasks:
    - file: path={{ out }} state=directory
    - uri: url={{ base }}/page.html return_content=true
      register: page
    - assert:
        that:
          - page.status == 200
          - page.content == "hello from nginx\n"
          - page.msg == "OK (17 bytes)"
          - page.content_type == "text/html"
          - page.content_length == "17"
          - page.url == base ~ "/page.html"
          - not page.redirected and not page.changed
          - page.json is not defined
    - uri: url={{ base }}/data.json
      register: data
    - assert:
        that:
          - data.json.name == "rplay"
          - data.json.tags == ["a", "b"]
          - data.content is not defined
    - uri: url={{ base }}/missing
      register: missing
      ignore_errors: true
    - assert:
        that:
          - missing is failed
          - missing.status == 404
          - 'missing.msg == "Status code was 404 and not [200]: HTTP Error 404: Not Found"'
    - uri: url={{ base }}/missing status_code=404
      register: accepted
    - assert:
        that: [accepted is not failed, accepted.status == 404]
    - uri:
        url: "{{ base }}/post"
        method: POST
        body_format: json
        body: {name: web, port: 80}
        headers: {X-Token: tok-123}
      register: posted
    - assert:
        that:
          - posted.json.method == "POST"
          - posted.json.ctype == "application/json"
          - posted.json.token == "tok-123"
    - uri: url={{ base }}/created method=PUT status_code=200,201
      register: created
    - assert:
        that: [created.status == 201]
    - uri: url={{ base }}/private.txt user=rplay password=s3cret-pw return_content=true
      register: private
    - assert:
        that: [private.content == "welcome rplay\n"]
    - uri: url={{ base }}/old
      register: moved
    - assert:
        that: [moved.redirected, moved.url == base ~ "/page.html", moved.status == 200]
    - uri: url={{ base }}/cookie
      register: cookie
    - assert:
        that:
          - 'cookie.cookies == {"sid": "abc", "theme": "dark"}'
          - cookie.cookies_string == "sid=abc; theme=dark"
    - uri: url={{ base }}/page.html dest={{ out }}/copy.html creates={{ out }}/copy.html mode=0640
      register: saved
"#;

fn uri_against_nginx() -> Result<(), Failed> {
    let lab = uri_lab()?;
    lab.check(
        "h1",
        "rm -rf /srv/rplay-uri/lab /srv/rplay-uri/curl-argv.log",
    )?;
    let first = uri_play(lab, false, URI_PLAYBOOK, &[])?;
    let recap = |o: &fixture::Output| {
        o.stdout
            .lines()
            .find(|l| l.starts_with("h1 ") && l.contains("ok="))
            .unwrap_or_default()
            .to_string()
    };
    ensure(
        first.rc == 0 && recap(&first).contains("changed=2 ") && recap(&first).contains("failed=0"),
        format!("first run: {}\n{}", first.stdout, first.stderr),
    )?;
    eq(
        lab.check(
            "h1",
            "stat -c %a /srv/rplay-uri/lab/copy.html && cat /srv/rplay-uri/lab/copy.html",
        )?,
        "640\nhello from nginx\n".to_string(),
        "dest written with its mode",
    )?;
    let body = lab.check("h1", "tail -n 1 /srv/rplay-uri/body.log")?;
    ensure(
        body.contains(r#"[{\x22name\x22: \x22web\x22, \x22port\x22: 80}]"#),
        format!("POST body as Ansible encodes it: {body}"),
    )?;
    // GETs are never changed, and `creates` skips the download: nothing changes.
    let second = uri_play(lab, false, URI_PLAYBOOK, &[])?;
    ensure(
        second.rc == 0 && recap(&second).contains("changed=0 "),
        format!("second run: {}", second.stdout),
    )?;
    // uri does not run in check mode.
    let check = uri_play(
        lab,
        false,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - uri: url=http://127.0.0.1:8181/page.html dest=/srv/rplay-uri/lab/check.html\n",
        &["--check", "-v"],
    )?;
    ensure(
        check.stdout.contains(
            r#"skipping: [h1] => {"changed": false, "msg": "This action (uri) does not support check mode."}"#,
        ) && !lab.check("h1", "ls /srv/rplay-uri/lab")?.contains("check.html"),
        format!("check mode: {}", check.stdout),
    )?;
    // The password and the header value went to curl on stdin, not in its arguments.
    let argv = lab.check("h1", "cat /srv/rplay-uri/curl-argv.log")?;
    ensure(
        argv.contains("-K -") && !argv.contains("s3cret") && !argv.contains("tok-123"),
        format!("curl's arguments: {argv}"),
    )?;
    Ok(())
}

/// Common uri calls, registered and written to `results.json` for comparison with Ansible.
const URI_DIFF_PLAYBOOK: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - file: path={{ out_dir }} state=directory
    - uri: url=http://127.0.0.1:8181/page.html return_content=true
      register: get_page
    - uri: url=http://127.0.0.1:8181/data.json
      register: get_json
    - uri: url=http://127.0.0.1:8181/missing
      register: missing
      ignore_errors: true
    - uri: url=http://127.0.0.1:8181/missing status_code=404
      register: missing_ok
    - uri:
        url: http://127.0.0.1:8181/post
        method: POST
        body_format: json
        body: {name: web, port: 80, tags: [a, b]}
        headers: {X-Token: abc123}
      register: post_json
    - uri:
        url: http://127.0.0.1:8181/post
        method: POST
        body_format: form-urlencoded
        body: {a: "1 2", b: [x, y]}
        return_content: true
      register: post_form
    - uri: url=http://127.0.0.1:8181/created method=PUT status_code=201 return_content=true
      register: put_created
    - uri: url=http://127.0.0.1:8181/old
      register: redirected
    - uri: url=http://127.0.0.1:8181/old follow_redirects=none
      register: not_redirected
      ignore_errors: true
    - uri: url=http://127.0.0.1:8181/cookie
      register: cookies
    - uri: url=http://127.0.0.1:8181/private.txt user=rplay password=s3cret-pw force_basic_auth=yes return_content=yes
      register: auth_forced
    - uri: url=http://127.0.0.1:8181/private.txt user=rplay password=s3cret-pw return_content=yes
      register: auth_challenge
    - uri: url=http://127.0.0.1:8181/private.txt
      register: auth_missing
      ignore_errors: true
    - uri: url=http://127.0.0.1:8181/page.html method=HEAD
      register: head
    - uri: url=http://127.0.0.1:8181/page.html dest={{ out_dir }}/ mode=0600
      register: dest_dir
    - uri: url=http://127.0.0.1:8181/page.html dest={{ out_dir }}/page.html creates={{ out_dir }}/page.html
      register: dest_creates
    - uri: url=http://127.0.0.1:1/ timeout=5
      register: refused
      ignore_errors: true
    - copy:
        dest: "{{ out_dir }}/results.json"
        content: "{{ {'get_page': get_page, 'get_json': get_json, 'missing': missing, 'missing_ok': missing_ok, 'post_json': post_json, 'post_form': post_form, 'put_created': put_created, 'redirected': redirected, 'not_redirected': not_redirected, 'cookies': cookies, 'auth_forced': auth_forced, 'auth_challenge': auth_challenge, 'auth_missing': auth_missing, 'head': head, 'dest_dir': dest_dir, 'dest_creates': dest_creates, 'refused': refused} | to_json }}"
"#;

/// The registered results of common uri calls are Ansible's (the response's `date` and the
/// `elapsed` seconds aside; invocations included).
fn uri_differential() -> Result<(), Failed> {
    let lab = uri_lab()?;
    let mut results = Vec::new();
    for (ansible, out) in [
        (true, "/srv/rplay-uri/diffA"),
        (false, "/srv/rplay-uri/diffR"),
    ] {
        lab.check("h1", &format!("rm -rf {out}"))?;
        let o = uri_play(
            lab,
            ansible,
            URI_DIFF_PLAYBOOK,
            &["-e", &format!("out_dir={out}")],
        )?;
        ensure(
            o.rc == 0,
            format!(
                "{} failed: {}{}",
                if ansible { "ansible" } else { "rplay" },
                o.stdout,
                o.stderr
            ),
        )?;
        let text = lab.check("h1", &format!("cat {out}/results.json"))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("results.json: {e}"))?;
        results.push(mask(&v, out, &["date", "elapsed"]));
    }
    ensure_same_results(&results[0], &results[1])
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// A playbook registering the results of the file and command modules, run on localhost.
const DIFF_PLAYBOOK: &str = r#"- hosts: localhost
  gather_facts: false
  vars:
    v: 1
  tasks:
    - file: path={{ out_dir }} state=directory
      register: r_dir
    - copy: src=a.txt dest={{ out_dir }}/a.txt mode=0600
      register: r_copy
    - copy: src=a.txt dest={{ out_dir }}/a.txt mode=0600
      register: r_copy2
    - copy: content="k=v\n" dest={{ out_dir }}/c.conf owner=root group=root
      register: r_content
    - template: src=t.j2 dest={{ out_dir }}/t.txt
      register: r_tpl
    - lineinfile: path={{ out_dir }}/t.txt line=y=2 insertbefore=BOF
      register: r_li
    - lineinfile: path={{ out_dir }}/t.txt regexp='^y=' state=absent
      register: r_li_abs
    - blockinfile: path={{ out_dir }}/t.txt block="b"
      register: r_bi
    - replace: path={{ out_dir }}/t.txt regexp='^x=(\d)' replace='x=\1\1'
      register: r_rep
    - file: path={{ out_dir }}/l src={{ out_dir }}/a.txt state=link
      register: r_link
    - file: path={{ out_dir }}/a.txt mode=u=rw,g=r
      register: r_mode
    - file: path={{ out_dir }}/gone state=absent
      register: r_absent
    - command: cat {{ out_dir }}/t.txt
      register: r_cmd
    - shell: "echo hi; echo err >&2; exit 2"
      register: r_sh
      ignore_errors: true
    - command: echo x creates={{ out_dir }}
      register: r_creates
    - command: echo x removes={{ out_dir }}/none
      register: r_removes
    - stat: path={{ out_dir }}/a.txt get_mime=false get_attributes=false
      register: r_stat
    - stat: path={{ out_dir }}/l get_mime=false get_attributes=false
      register: r_stat_link
    - stat: path={{ out_dir }}/none
      register: r_stat_none
    - slurp: src={{ out_dir }}/a.txt
      register: r_slurp
    - set_fact: f1=yes
      register: r_sf
    - assert: {that: ["v == 1"]}
      register: r_as
    - copy:
        dest: "{{ out_dir }}/results.json"
        content: "{{ {'dir': r_dir, 'copy': r_copy, 'copy2': r_copy2, 'content': r_content, 'tpl': r_tpl, 'li': r_li, 'li_abs': r_li_abs, 'bi': r_bi, 'rep': r_rep, 'link': r_link, 'mode': r_mode, 'absent': r_absent, 'cmd': r_cmd, 'sh': r_sh, 'creates': r_creates, 'removes': r_removes, 'stat': r_stat, 'stat_link': r_stat_link, 'stat_none': r_stat_none, 'slurp': r_slurp, 'sf': r_sf, 'as': r_as} }}"
"#;

/// Keys that differ between runs or by design (rplay reports the controller source as `src`).
const VOLATILE: &[&str] = &[
    "start",
    "end",
    "delta",
    "atime",
    "mtime",
    "ctime",
    "inode",
    "dev",
    "backup_file",
    "invocation",
    "diff",
    "warnings",
    "md5sum",
    "src",
];

fn normalise(v: &Value, out_dir: &str) -> Value {
    mask(v, out_dir, VOLATILE)
}

/// `v` without the `volatile` keys, with `out_dir` named `OUT` in every text.
fn mask(v: &Value, out_dir: &str, volatile: &[&str]) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !volatile.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), mask(v, out_dir, volatile)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| mask(v, out_dir, volatile)).collect()),
        Value::String(s) => Value::String(s.replace(out_dir, "OUT")),
        other => other.clone(),
    }
}

/// Fails listing every `task.key` whose registered value differs between Ansible and rplay.
fn ensure_same_results(ansible: &Value, rplay: &Value) -> Result<(), Failed> {
    let mut diffs = Vec::new();
    if let (Some(a), Some(r)) = (ansible.as_object(), rplay.as_object()) {
        for (task, av) in a {
            let rv = r.get(task).cloned().unwrap_or(Value::Null);
            if let (Some(am), Some(rm)) = (av.as_object(), rv.as_object()) {
                for k in am.keys().chain(rm.keys()) {
                    if am.get(k) != rm.get(k) {
                        diffs.push(format!(
                            "{task}.{k}: ansible {:?} rplay {:?}",
                            am.get(k),
                            rm.get(k)
                        ));
                    }
                }
            } else if *av != rv {
                diffs.push(format!("{task}: ansible {av} rplay {rv}"));
            }
        }
    }
    diffs.dedup();
    ensure(diffs.is_empty(), diffs.join("\n"))
}

/// Text edits with every insertion rule, and expected failures, registered for comparison.
const EDIT_PLAYBOOK: &str = r#"- hosts: localhost
  gather_facts: false
  tasks:
    - file: path={{ out_dir }} state=directory
    - copy: content="[main]\na=1\n# c\nb=2\na=3\n[other]\nz=9" dest={{ out_dir }}/e.ini
    - lineinfile: path={{ out_dir }}/e.ini regexp='^a=' line='a=X'
      register: e1
    - lineinfile: path={{ out_dir }}/e.ini regexp='^a=' line='a=Y' firstmatch=yes
      register: e2
    - lineinfile: path={{ out_dir }}/e.ini line='after_main' insertafter='^\[main\]'
      register: e3
    - lineinfile: path={{ out_dir }}/e.ini line='before_other' insertbefore='^\[other\]'
      register: e4
    - lineinfile: path={{ out_dir }}/e.ini line='top' insertbefore=BOF
      register: e5
    - lineinfile: path={{ out_dir }}/e.ini regexp='^(z)=(\d)' line='\1=\2\2' backrefs=yes
      register: e6
    - lineinfile: path={{ out_dir }}/e.ini regexp='^nomatch' line='x' backrefs=yes
      register: e7
    - lineinfile: path={{ out_dir }}/e.ini search_string='# c' line='# comment'
      register: e8
    - lineinfile: path={{ out_dir }}/e.ini line='top' state=absent
      register: e9
    - lineinfile: path={{ out_dir }}/missing line='x'
      register: e10
      ignore_errors: true
    - lineinfile: path={{ out_dir }}/sub/new.conf line='x' create=yes
      register: e11
    - blockinfile: path={{ out_dir }}/e.ini block="k=1" insertafter='^\[main\]' marker="; {mark} MANAGED"
      register: b1
    - blockinfile: path={{ out_dir }}/e.ini block="k=2" insertafter='^\[main\]' marker="; {mark} MANAGED"
      register: b2
    - blockinfile: path={{ out_dir }}/e.ini block="" marker="; {mark} MANAGED"
      register: b3
    - blockinfile: path={{ out_dir }}/b.txt block="new" create=yes
      register: b4
    - replace: path={{ out_dir }}/e.ini regexp='=(\d)$' replace='= \1' after='\[other\]'
      register: r1
    - replace: path={{ out_dir }}/e.ini regexp='nothing' replace='x'
      register: r2
    - file: path={{ out_dir }}/touched state=touch mode=0600
      register: f1
    - file: path={{ out_dir }}/e.ini state=directory
      register: f2
      ignore_errors: true
    - file: path={{ out_dir }}/nope state=file
      register: f3
      ignore_errors: true
    - file: path={{ out_dir }}/hard src={{ out_dir }}/e.ini state=hard
      register: f4
    - copy:
        dest: "{{ out_dir }}/results.json"
        content: "{{ {'e1': e1, 'e2': e2, 'e3': e3, 'e4': e4, 'e5': e5, 'e6': e6, 'e7': e7, 'e8': e8, 'e9': e9, 'e10': e10, 'e11': e11, 'b1': b1, 'b2': b2, 'b3': b3, 'b4': b4, 'r1': r1, 'r2': r2, 'f1': f1, 'f2': f2, 'f3': f3, 'f4': f4} }}"
"#;

const INI_PLAYBOOK: &str = r#"- hosts: localhost
  gather_facts: false
  tasks:
    - file: path={{ out_dir }} state=directory
    - copy:
        dest: "{{ out_dir }}/a.ini"
        content: "top=1\n[main]\na = 1\n# b = 2\n;c=3\n\n[peer]\nname = x\nip = 1\n[peer]\nname = y\nip = 2\n[multi]\nv = 1\nv = 2\nw\n[empty]"
    - ini_file: path={{ out_dir }}/a.ini section=main option=a value=5
      register: i1
    - ini_file: path={{ out_dir }}/a.ini section=main option=b value=7
      register: i2
    - ini_file: path={{ out_dir }}/a.ini section=main option=c value=8 modify_inactive_option=false no_extra_spaces=true
      register: i3
    - ini_file: path={{ out_dir }}/a.ini option=top value=2
      register: i4
    - ini_file:
        path: "{{ out_dir }}/a.ini"
        section: peer
        section_has_values: [{option: name, value: y}]
        option: ip
        value: "9"
      register: i5
    - ini_file:
        path: "{{ out_dir }}/a.ini"
        section: peer
        section_has_values: [{option: name, values: [z]}]
        option: ip
        value: "3"
      register: i6
    - ini_file: path={{ out_dir }}/a.ini section=multi option=v values=2,3,4
      register: i7
    - ini_file: path={{ out_dir }}/a.ini section=multi option=w allow_no_value=true
      register: i8
    - ini_file: path={{ out_dir }}/a.ini section=multi option=v value=3 state=absent exclusive=false
      register: i9
    - ini_file: path={{ out_dir }}/a.ini section=empty option=k value=v
      register: i10
    - ini_file: path={{ out_dir }}/a.ini section=main option=a value=5
      register: i11
    - ini_file: path={{ out_dir }}/a.ini section=new allow_no_value=true
      register: i12
    - ini_file: path={{ out_dir }}/a.ini section=peer state=absent
      register: i13
    - ini_file: path={{ out_dir }}/a.ini section=main option=a state=absent
      register: i14
    - ini_file: path={{ out_dir }}/a.ini section=main option=a value=1 ignore_spaces=true
      register: i15
    - ini_file: path={{ out_dir }}/sub/new.ini section=s option=k value=v mode=0600
      register: i16
    - ini_file: path={{ out_dir }}/none.ini section=s option=k value=v create=false
      register: i17
      ignore_errors: true
    - ini_file: path={{ out_dir }}/a.ini section=main option=x
      register: i18
      ignore_errors: true
    - copy:
        dest: "{{ out_dir }}/results.json"
        content: "{{ {'i1': i1, 'i2': i2, 'i3': i3, 'i4': i4, 'i5': i5, 'i6': i6, 'i7': i7, 'i8': i8, 'i9': i9, 'i10': i10, 'i11': i11, 'i12': i12, 'i13': i13, 'i14': i14, 'i15': i15, 'i16': i16, 'i17': i17, 'i18': i18} }}"
"#;

/// Runs `playbook` with ansible-playbook and with rplay; `files` and the registered results must be
/// the same.
fn differential(playbook: &str, files: &[&str]) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let base = dir.path();
    std::fs::create_dir_all(base.join("files")).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(base.join("templates")).map_err(|e| e.to_string())?;
    std::fs::write(base.join("files/a.txt"), "abc\n").map_err(|e| e.to_string())?;
    std::fs::write(base.join("templates/t.j2"), "x={{ v }}\n").map_err(|e| e.to_string())?;
    std::fs::write(base.join("pb.yml"), playbook).map_err(|e| e.to_string())?;
    let run = |program: PathBuf, out: &str| -> Result<Value, Failed> {
        let o = std::process::Command::new(&program)
            .current_dir(base)
            .arg("pb.yml")
            .arg("-e")
            .arg(format!("out_dir={out}"))
            .env("ANSIBLE_NOCOLOR", "1")
            .output()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        if !o.status.success() {
            return Err(format!(
                "{} failed: {}{}",
                program.display(),
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
            .into());
        }
        let text =
            std::fs::read_to_string(format!("{out}/results.json")).map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("results.json: {e}"))?;
        Ok(normalise(&v, out))
    };
    let out_a = base.join("outA").to_string_lossy().into_owned();
    let out_r = base.join("outR").to_string_lossy().into_owned();
    let ansible = run(fixture::oracle_bin("ansible-playbook")?, &out_a)?;
    let rplay = run(fixture::bin("rplay"), &out_r)?;
    ensure_same_results(&ansible, &rplay)?;
    for f in files {
        let a = std::fs::read_to_string(format!("{out_a}/{f}")).map_err(|e| e.to_string())?;
        let r = std::fs::read_to_string(format!("{out_r}/{f}")).map_err(|e| e.to_string())?;
        eq(r, a, &format!("{f} contents"))?;
    }
    Ok(())
}

fn differential_results() -> Result<(), Failed> {
    differential(DIFF_PLAYBOOK, &["a.txt", "c.conf", "t.txt"])
}

fn differential_ini_file() -> Result<(), Failed> {
    differential(INI_PLAYBOOK, &["a.ini", "sub/new.ini"])
}

fn differential_edits() -> Result<(), Failed> {
    differential(EDIT_PLAYBOOK, &["e.ini", "sub/new.conf", "b.txt"])
}

fn unarchive_tarball(s: Scratch) -> Result<(), Failed> {
    // An archive made on the controller with its tar.
    let stage = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(stage.path().join("app/bin")).map_err(|e| e.to_string())?;
    std::fs::write(stage.path().join("app/bin/run"), "#!/bin/sh\necho run\n")
        .map_err(|e| e.to_string())?;
    std::fs::write(stage.path().join("app/README"), "readme\n").map_err(|e| e.to_string())?;
    let archive = s.controller.base.join("files/app.tar.gz");
    let st = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(stage.path())
        .arg("app")
        .status()
        .map_err(|e| e.to_string())?;
    ensure(st.success(), "tar on the controller")?;
    let dest = s.host_path("opt");
    s.mkdir(&dest)?;
    let args = json!({"src": "app.tar.gz", "dest": dest, "list_files": true});
    let r = s.apply("unarchive", args.clone())?;
    ensure(r.changed(), "unpacked")?;
    eq(
        s.read(format!("{dest}/app/README"))?,
        "readme\n".to_string(),
        "member",
    )?;
    ensure(
        r.value("files").as_array().is_some_and(|f| f.len() == 4),
        format!("files {}", r.value("files")),
    )?;
    eq(r.value("handler"), json!("TgzArchive"), "handler")?;
    ensure(
        !s.apply("unarchive", args.clone())?.changed(),
        "second run: contents match",
    )?;
    s.write(format!("{dest}/app/README"), "changed by hand\n")?;
    let check = s.run("unarchive", args.clone(), true, false)?;
    ensure(check.changed(), "drift detected")?;
    eq(
        s.read(format!("{dest}/app/README"))?,
        "changed by hand\n".to_string(),
        "check changed nothing",
    )?;
    s.apply("unarchive", args.clone())?;
    eq(
        s.read(format!("{dest}/app/README"))?,
        "readme\n".to_string(),
        "drift fixed",
    )?;
    // A mode changed by hand is drift when no `mode` is asked for: the archive's comes back.
    let readme = format!("{dest}/app/README");
    let archived_mode = s.mode(&readme)?;
    s.chmod(&readme, 0o600)?;
    ensure(
        s.run("unarchive", args.clone(), true, false)?.changed(),
        "mode drift detected",
    )?;
    eq(s.mode(&readme)?, 0o600, "check changed no mode")?;
    s.apply("unarchive", args.clone())?;
    eq(s.mode(&readme)?, archived_mode, "archive's mode back")?;
    ensure(
        !s.apply("unarchive", args.clone())?.changed(),
        "nothing to do after the fix",
    )?;
    // A wanted mode applies to every member and top folder; one member's drift is planned alone.
    let wanted = json!({"src": "app.tar.gz", "dest": dest, "mode": "u=rwX,g=rX,o="});
    ensure(s.apply("unarchive", wanted.clone())?.changed(), "mode set")?;
    eq(s.mode(&readme)?, 0o640, "file mode")?;
    eq(s.mode(format!("{dest}/app/bin"))?, 0o750, "directory mode")?;
    ensure(
        !s.apply("unarchive", wanted.clone())?.changed(),
        "modes already set",
    )?;
    s.chmod(&readme, 0o666)?;
    let check = s.run("unarchive", wanted.clone(), true, false)?;
    eq(
        check.fields(),
        vec!["mode:app/README".to_string()],
        "only the drifted member",
    )?;
    eq(s.mode(&readme)?, 0o666, "check changed no mode")?;
    ensure(
        s.apply("unarchive", wanted.clone())?.changed(),
        "drift fixed",
    )?;
    eq(s.mode(&readme)?, 0o640, "mode fixed")?;
    ensure(
        !s.apply("unarchive", wanted.clone())?.changed(),
        "second run after the fix",
    )?;
    let sent = s.sh("ls /tmp | grep -c rplay-unarchive || true")?;
    eq(sent.trim(), "0", "no archive left on the host")?;
    let skip = s.apply(
        "unarchive",
        json!({"src": "app.tar.gz", "dest": dest, "creates": format!("{dest}/app")}),
    )?;
    ensure(!skip.changed(), "creates")?;
    let e = s.fails(
        "unarchive",
        json!({"src": "app.tar.gz", "dest": s.host_path("none")}),
    )?;
    ensure(e.contains("must be an existing dir"), e)?;
    Ok(())
}

fn wait_for_and_script(s: Scratch) -> Result<(), Failed> {
    let f = s.host_path("ready");
    s.write(&f, "status: up\n")?;
    let r = s.apply(
        "wait_for",
        json!({"path": f, "search_regex": "up$", "timeout": 5}),
    )?;
    ensure(!r.changed(), "wait_for never changes")?;
    eq(r.value("path"), json!(f), "path")?;
    let e = s.fails(
        "wait_for",
        json!({"path": s.host_path("never"), "timeout": 1}),
    )?;
    eq(
        e,
        format!("Timeout when waiting for file {}", s.host_path("never")),
        "timeout message",
    )?;
    s.apply(
        "wait_for",
        json!({"path": s.host_path("never"), "state": "absent", "timeout": 2}),
    )?;
    s.apply(
        "wait_for",
        json!({"port": 1, "state": "stopped", "timeout": 3}),
    )?;
    let e = s.fails(
        "wait_for",
        json!({"port": 1, "timeout": 1, "msg": "port 1 is closed"}),
    )?;
    eq(e, "port 1 is closed".to_string(), "custom msg")?;
    s.controller_file("files/hello.sh", "#!/bin/sh\necho \"args: $*\"\npwd\n")?;
    let r = s.apply(
        "script",
        json!({"cmd": "hello.sh a 'b c'", "chdir": s.host_path("")}),
    )?;
    ensure(
        r.outcome.as_ref().is_some_and(|o| o.changed && !o.failed),
        "script ran",
    )?;
    eq(
        r.value("stdout_lines"),
        json!(["args: a b c", s.root.clone()]),
        "script output",
    )?;
    let left = s.sh("ls -a /tmp | grep -c rplay-script || true")?;
    eq(left.trim(), "0", "script removed from the host")?;
    let skip = s.apply("script", json!({"cmd": "hello.sh", "creates": f}))?;
    ensure(!skip.changed(), "creates")?;
    Ok(())
}

/// A host that counts the requests going through it (each one is a round trip).
struct CountingHost {
    inner: Arc<dyn Host>,
    calls: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl Host for CountingHost {
    fn name(&self) -> &str {
        self.inner.name()
    }
    async fn run(
        &self,
        cmd: rplay_modules::Command,
    ) -> Result<rplay_modules::Output, rplay_modules::HostError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.run(cmd).await
    }
    async fn put_file(
        &self,
        dest: &str,
        content: rplay_modules::Content,
        attrs: &rplay_modules::FileAttrs,
    ) -> Result<(), rplay_modules::HostError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.put_file(dest, content, attrs).await
    }
    async fn get_file(&self, path: &str) -> Result<Vec<u8>, rplay_modules::HostError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.get_file(path).await
    }
}

/// A task that has nothing to do costs one round trip; a change costs a few.
fn round_trips(mut s: Scratch) -> Result<(), Failed> {
    s.controller_file("templates/t.j2", "v={{ v }}\n")?;
    s.controller_file("files/f.txt", "file\n")?;
    s.controller.vars.insert("v".into(), json!(1));
    let d = s.host_path("rt");
    let tasks = vec![
        (
            "file",
            json!({"path": d, "state": "directory", "mode": "0755", "owner": "root"}),
        ),
        (
            "copy",
            json!({"src": "f.txt", "dest": format!("{d}/f.txt"), "mode": "0644", "owner": "root", "group": "root"}),
        ),
        (
            "copy",
            json!({"content": "c\n", "dest": format!("{d}/c.txt")}),
        ),
        (
            "template",
            json!({"src": "t.j2", "dest": format!("{d}/t.txt")}),
        ),
        (
            "lineinfile",
            json!({"path": format!("{d}/t.txt"), "line": "w=2"}),
        ),
        (
            "blockinfile",
            json!({"path": format!("{d}/t.txt"), "block": "b"}),
        ),
        (
            "file",
            json!({"src": format!("{d}/f.txt"), "dest": format!("{d}/l"), "state": "link"}),
        ),
        ("stat", json!({"path": format!("{d}/f.txt")})),
    ];
    let counting = Arc::new(CountingHost {
        inner: s.host.clone(),
        calls: Default::default(),
    });
    s.host = counting.clone();
    let mut report = Vec::new();
    for (module, args) in &tasks {
        counting.calls.store(0, std::sync::atomic::Ordering::SeqCst);
        let r = s.apply(module, args.clone())?;
        let first = counting.calls.load(std::sync::atomic::Ordering::SeqCst);
        ensure(
            first <= 4,
            format!("{module}: {first} round trips to converge"),
        )?;
        counting.calls.store(0, std::sync::atomic::Ordering::SeqCst);
        let again = s.apply(module, args.clone())?;
        let second = counting.calls.load(std::sync::atomic::Ordering::SeqCst);
        ensure(
            !again.changed(),
            format!("{module} second run changed: {:?}", again.fields()),
        )?;
        eq(
            second,
            1,
            &format!("{module}: round trips with nothing to do"),
        )?;
        report.push(format!("{module}: {first} then {second} ({})", r.changed()));
    }
    Ok(())
}

/// Every scenario runs twice: on the controller through the local connection, and on a lab host
/// through SSH.
pub fn trials() -> Vec<Trial> {
    type Scenario = fn(Scratch) -> Result<(), Failed>;
    let scenarios: Vec<(&str, Scenario)> = vec![
        ("round_trips", round_trips),
        ("wait_for_and_script", wait_for_and_script),
        ("unarchive_tarball", unarchive_tarball),
        ("get_url_file_scheme", get_url_file_scheme),
        ("find_files", find_files),
        ("slurp_fetch_tempfile", slurp_fetch_tempfile),
        ("file_directory_lifecycle", file_directory_lifecycle),
        ("file_links_touch_and_errors", file_links_touch_and_errors),
        ("copy_content_lifecycle", copy_content_lifecycle),
        ("copy_src_file_and_tree", copy_src_file_and_tree),
        ("blockinfile_and_replace", blockinfile_and_replace),
        ("file_recurse", file_recurse),
        ("command_and_shell", command_and_shell),
        ("lineinfile_lifecycle", lineinfile_lifecycle),
        ("ini_file_lifecycle", ini_file_lifecycle),
        ("template_and_stat", template_and_stat),
    ];
    let mut trials = Vec::new();
    for (name, scenario) in scenarios {
        trials.push(Trial::test(
            format!("modules_files::local::{name}"),
            move || scenario(Scratch::new()?),
        ));
        trials.push(Trial::test(
            format!("modules_files::lab::{name}"),
            move || scenario(Scratch::lab(name)?),
        ));
    }
    trials.push(Trial::test(
        "modules_files::differential::registered_results",
        differential_results,
    ));
    trials.push(Trial::test(
        "modules_files::differential::text_edits",
        differential_edits,
    ));
    trials.push(Trial::test(
        "modules_files::differential::ini_file",
        differential_ini_file,
    ));
    trials.push(Trial::test(
        "modules_files::lab::uri_against_nginx",
        uri_against_nginx,
    ));
    trials.push(Trial::test(
        "modules_files::differential::uri_results",
        uri_differential,
    ));
    trials.push(Trial::test("modules_files::local::get_url_http", || {
        get_url_http_local(Scratch::new()?)
    }));
    trials.push(Trial::test(
        "modules_files::local::controller_modules",
        || controller_modules(Scratch::new()?),
    ));
    trials
}
