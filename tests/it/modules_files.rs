//! Integration tests of the file and command modules. They run the real modules through the real
//! local connection inside throwaway directories (file modules only ever touch those), checking the
//! module contract: converge from fresh, a second run plans nothing, a drift by hand is planned
//! exactly (check mode changes nothing, diff shows it), and applying fixes it.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};
use rplay::connection::local::LocalHost;
use rplay_modules::{registry, Context, Controller, Map, Outcome, Plan, Value};
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
    dir: tempfile::TempDir,
    controller: TestController,
    host: LocalHost,
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
    fn new() -> Result<Self, Failed> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let base = dir.path().join("controller");
        std::fs::create_dir_all(base.join("files")).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(base.join("templates")).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(dir.path().join("host")).map_err(|e| e.to_string())?;
        Ok(Scratch {
            dir,
            controller: TestController {
                base,
                vars: Map::new(),
            },
            host: LocalHost::new("local"),
        })
    }

    /// A path on the "host" side of the scratch directory.
    fn host_path(&self, rel: &str) -> String {
        self.dir
            .path()
            .join("host")
            .join(rel)
            .to_string_lossy()
            .into_owned()
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
            host: &self.host,
            controller: &self.controller,
            check_mode: check,
            diff,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async {
            if m.spec().controller_only {
                let outcome = m
                    .apply(&args, Plan::default(), &ctx)
                    .await
                    .map_err(|e| e.to_string())?;
                return Ok(Run {
                    plan: Plan::default(),
                    outcome: Some(outcome),
                });
            }
            let plan = m.plan(&args, &ctx).await.map_err(|e| e.to_string())?;
            if check || plan.is_empty() {
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

fn mode_of(path: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0)
}

fn file_directory_lifecycle() -> Result<(), Failed> {
    let s = Scratch::new()?;
    let d = s.host_path("a/b/c");
    let args = json!({"path": d, "state": "directory", "mode": "0750"});
    let first = s.apply("file", args.clone())?;
    eq(
        first.fields(),
        vec!["state".to_string(), "mode".into()],
        "fresh plan",
    )?;
    eq(mode_of(&d), 0o750, "mode of the new directory")?;
    eq(
        mode_of(&s.host_path("a")),
        0o750,
        "created parents get the mode",
    )?;
    eq(first.value("state"), json!("directory"), "state")?;
    ensure(
        !s.apply("file", args.clone())?.changed(),
        "second run must not change",
    )?;
    std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .map_err(|e| e.to_string())?;
    let check = s.run("file", args.clone(), true, true)?;
    eq(check.fields(), vec!["mode".to_string()], "drift plan")?;
    eq(
        check.plan.changes[0].before.clone(),
        json!("0700"),
        "drift before",
    )?;
    eq(mode_of(&d), 0o700, "check mode changed nothing")?;
    s.apply("file", args.clone())?;
    eq(mode_of(&d), 0o750, "drift fixed")?;
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
    ensure(!Path::new(&s.host_path("a")).exists(), "tree removed")?;
    ensure(
        !s.apply("file", json!({"path": s.host_path("a"), "state": "absent"}))?
            .changed(),
        "absent twice",
    )?;
    Ok(())
}

fn file_links_touch_and_errors() -> Result<(), Failed> {
    let s = Scratch::new()?;
    let target = s.host_path("target");
    std::fs::write(&target, "x").map_err(|e| e.to_string())?;
    let link = s.host_path("link");
    let args = json!({"src": target, "dest": link, "state": "link"});
    ensure(s.apply("file", args.clone())?.changed(), "link created")?;
    eq(
        std::fs::read_link(&link).map_err(|e| e.to_string())?,
        PathBuf::from(&target),
        "link target",
    )?;
    ensure(!s.apply("file", args.clone())?.changed(), "link idempotent")?;
    let other = s.host_path("other");
    std::fs::write(&other, "y").map_err(|e| e.to_string())?;
    let moved = s.apply("file", json!({"src": other, "dest": link, "state": "link"}))?;
    eq(moved.fields(), vec!["src".to_string()], "relink plan")?;
    eq(
        std::fs::read_link(&link).map_err(|e| e.to_string())?,
        PathBuf::from(&other),
        "relinked",
    )?;
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
    ensure(r.changed() && Path::new(&t).is_file(), "touch creates")?;
    eq(mode_of(&t), 0o644, "touch mode")?;
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

fn file_recurse() -> Result<(), Failed> {
    let s = Scratch::new()?;
    let root = s.host_path("tree");
    std::fs::create_dir_all(format!("{root}/sub")).map_err(|e| e.to_string())?;
    std::fs::write(format!("{root}/sub/f"), "x").map_err(|e| e.to_string())?;
    let args =
        json!({"path": root, "state": "directory", "recurse": true, "mode": "u=rwX,g=rX,o="});
    let r = s.apply("file", args.clone())?;
    ensure(
        r.fields().contains(&"recurse".to_string()),
        format!("recurse planned: {:?}", r.fields()),
    )?;
    eq(
        mode_of(&format!("{root}/sub/f")),
        0o640,
        "file mode in tree",
    )?;
    eq(mode_of(&format!("{root}/sub")), 0o750, "dir mode in tree")?;
    ensure(!s.apply("file", args)?.changed(), "recurse idempotent")?;
    Ok(())
}

fn copy_content_lifecycle() -> Result<(), Failed> {
    let s = Scratch::new()?;
    let dest = s.host_path("app.conf");
    let args = json!({"content": "a=1\nb=2\n", "dest": dest, "mode": "0600", "backup": true});
    let first = s.apply("copy", args.clone())?;
    eq(
        first.fields(),
        vec!["content".to_string(), "mode".into()],
        "fresh plan",
    )?;
    eq(
        std::fs::read_to_string(&dest).map_err(|e| e.to_string())?,
        "a=1\nb=2\n".to_string(),
        "content",
    )?;
    eq(mode_of(&dest), 0o600, "mode")?;
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
    std::fs::write(&dest, "a=1\nb=3\n").map_err(|e| e.to_string())?;
    let check = s.run("copy", args.clone(), true, true)?;
    eq(check.fields(), vec!["content".to_string()], "drift plan")?;
    let text = check.plan.changes[0].text.clone().ok_or("diff text")?;
    eq(
        (text.before.as_str(), text.after.as_str()),
        ("a=1\nb=3\n", "a=1\nb=2\n"),
        "diff",
    )?;
    eq(
        std::fs::read_to_string(&dest).map_err(|e| e.to_string())?,
        "a=1\nb=3\n".to_string(),
        "check changed nothing",
    )?;
    let fixed = s.apply("copy", args.clone())?;
    eq(
        std::fs::read_to_string(&dest).map_err(|e| e.to_string())?,
        "a=1\nb=2\n".to_string(),
        "fixed",
    )?;
    let backup = fixed.value("backup_file");
    let backup = backup.as_str().ok_or("backup_file returned")?;
    eq(
        std::fs::read_to_string(backup).map_err(|e| e.to_string())?,
        "a=1\nb=3\n".to_string(),
        "backup keeps old",
    )?;
    eq(mode_of(&dest), 0o600, "mode kept on replace")?;
    // force: false never replaces.
    std::fs::write(&dest, "other\n").map_err(|e| e.to_string())?;
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
        std::fs::read_to_string(&dest).map_err(|e| e.to_string())?,
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
        std::fs::read_to_string(&j).map_err(|e| e.to_string())?,
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

fn copy_src_file_and_tree() -> Result<(), Failed> {
    let s = Scratch::new()?;
    s.controller_file("files/h.txt", "hello\n")?;
    s.controller_file("files/tree/a", "a\n")?;
    s.controller_file("files/tree/sub/b", "b\n")?;
    let out = s.host_path("out");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
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
    eq(mode_of(&format!("{out}/h.txt")), 0o644, "new file mode")?;
    ensure(
        !s.apply("copy", json!({"src": "h.txt", "dest": out}))?
            .changed(),
        "existing dir dest",
    )?;
    let tree = s.apply("copy", json!({"src": "tree", "dest": out}))?;
    ensure(tree.changed(), "tree copied")?;
    eq(
        std::fs::read_to_string(format!("{out}/tree/sub/b")).map_err(|e| e.to_string())?,
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
        Path::new(&format!("{t2}/sub/b")).is_file(),
        "contents copied with trailing slash",
    )?;
    std::fs::write(format!("{t2}/a"), "drift\n").map_err(|e| e.to_string())?;
    let check = s.run("copy", json!({"src": "tree/", "dest": t2}), true, false)?;
    eq(check.fields(), vec![format!("file:{t2}/a")], "tree drift")?;
    s.apply("copy", json!({"src": "tree/", "dest": t2}))?;
    eq(
        std::fs::read_to_string(format!("{t2}/a")).map_err(|e| e.to_string())?,
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

fn command_and_shell() -> Result<(), Failed> {
    let s = Scratch::new()?;
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

/// The trials of this file.
pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "modules_files::file_directory_lifecycle",
            file_directory_lifecycle,
        ),
        Trial::test(
            "modules_files::file_links_touch_and_errors",
            file_links_touch_and_errors,
        ),
        Trial::test("modules_files::file_recurse", file_recurse),
        Trial::test(
            "modules_files::copy_content_lifecycle",
            copy_content_lifecycle,
        ),
        Trial::test(
            "modules_files::copy_src_file_and_tree",
            copy_src_file_and_tree,
        ),
        Trial::test("modules_files::command_and_shell", command_and_shell),
    ]
}
