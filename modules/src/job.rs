//! Background jobs (`async`): a module's work runs detached on the host while the play goes on,
//! and its result lands in a *results file*, `<async_dir>/<jid>` as Ansible lays them out
//! (`~/.ansible_async/j123456789012.4242`), which `async_status` and the engine's polling read
//! back in one round trip each.
//!
//! The host side is plain POSIX shell. A launcher writes the job's files and the "started"
//! record, then starts a watcher in a session of its own (`setsid`), so the job outlives the
//! connection. The watcher runs the module's script in a process group of its own, kills that
//! group when the time limit has passed (checked in async_wrapper's 5-second steps, so at the
//! same moment as Ansible), and writes the outcome. Modules that work from the controller have
//! no script to hand over: the engine runs them before the task returns and records their
//! result as the finished job's ([`record`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::builtin::command::path_word;
use crate::shell::{quote, ProbeScript};
use crate::{Command, Host, Map, ModuleError, Output, Value};

/// The work a module hands over to run as a background job: one script, whose end the module
/// later turns into its result with [`crate::Module::background_outcome`].
#[derive(Debug, Clone)]
pub struct JobWork {
    /// The script doing the module's work, with its stdin, environment and directory.
    pub command: Command,
    /// What the module needs to turn the finished run into its result (the command line, say),
    /// kept with the job on the host as JSON. Never holds secrets.
    pub recipe: Value,
}

/// A background run that ended, as read back from its results file.
#[derive(Debug, Clone)]
pub struct JobRun {
    /// Exit status and captured output of the script.
    pub output: Output,
    /// When the script started (host clock).
    pub start: SystemTime,
    /// When it ended (host clock).
    pub end: SystemTime,
}

impl JobRun {
    /// How long the script ran.
    pub fn elapsed(&self) -> Duration {
        self.end.duration_since(self.start).unwrap_or_default()
    }
}

/// A job started on a host.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The job id (`j` and twelve digits or fewer, a dot, a process id).
    pub jid: String,
    /// Where the job's result is written on the host.
    pub results_file: String,
}

impl Job {
    /// The result of the task that started the job, as Ansible's async_wrapper answers.
    pub fn started_result(&self) -> Map {
        let mut m = Map::new();
        m.insert("ansible_job_id".into(), Value::from(self.jid.clone()));
        m.insert("changed".into(), Value::Bool(true));
        m.insert("failed".into(), Value::Bool(false));
        m.insert("finished".into(), Value::Bool(false));
        m.insert(
            "results_file".into(),
            Value::from(self.results_file.clone()),
        );
        m.insert("started".into(), Value::Bool(true));
        m
    }
}

/// The default `async_dir`.
pub const DEFAULT_ASYNC_DIR: &str = "~/.ansible_async";

/// Seconds after which a job with time limit `limit` is killed. Ansible's watcher sleeps 5 s,
/// then checks every 5 s, taking 5 off the limit each time and killing once it is used up.
pub fn kill_after(limit: u64) -> u64 {
    5 * (1 + limit.max(1).div_ceil(5))
}

/// Up to twelve random digits for a job id.
fn random_digits() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha1::new();
    h.update(format!("{now}:{n}:{}", std::process::id()).as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    (u64::from_le_bytes(bytes) % 999_999_999_999).to_string()
}

/// Shell function `_rp_enc FILE`: the file's bytes as `b64:...` (or `hex:...` without base64).
const ENCODE_FN: &str = "_rp_enc() { if command -v base64 >/dev/null 2>&1; then printf 'b64:'; base64 <\"$1\" | tr -d '\\n'; else printf 'hex:'; od -An -v -tx1 <\"$1\" | tr -d ' \\n'; fi; }";

/// The watcher: `$1` results file, `$2` work directory, `$3` seconds before the kill. Runs the
/// script in its own process group beside a timer; whichever ends first claims the job (an
/// atomic `mkdir`) and writes the results file (temporary file, then rename).
fn watcher_script() -> String {
    let timer = "sleep \"$1\"; mkdir \"$2/claimed\" 2>/dev/null || exit 0; \
        printf '{\"msg\": \"Timeout exceeded\", \"failed\": true, \"child_pid\": %s}\\n' \"$3\" >\"$4.tmp\" && mv -f \"$4.tmp\" \"$4\"; \
        kill -KILL \"-$3\" 2>/dev/null || kill -KILL \"$3\" 2>/dev/null";
    format!(
        "f=$1; w=$2; t=$3\n\
         trap '' HUP\n\
         {ENCODE_FN}\n\
         _rp_now() {{ date +%s.%N 2>/dev/null || date +%s; }}\n\
         _rp_detach() {{ if command -v setsid >/dev/null 2>&1; then exec setsid \"$@\"; else exec \"$@\"; fi; }}\n\
         i=/dev/null; [ -e \"$w/stdin\" ] && i=$w/stdin\n\
         s=$(_rp_now)\n\
         _rp_detach sh \"$w/script\" <\"$i\" >\"$w/out\" 2>\"$w/err\" &\n\
         p=$!\n\
         _rp_detach sh -c {timer} rplay-timer \"$t\" \"$w\" \"$p\" \"$f\" </dev/null >/dev/null 2>&1 &\n\
         k=$!\n\
         wait \"$p\"; rc=$?\n\
         e=$(_rp_now)\n\
         if mkdir \"$w/claimed\" 2>/dev/null; then\n\
           kill -KILL \"-$k\" 2>/dev/null || kill -KILL \"$k\" 2>/dev/null\n\
           {{ printf '{{\"rplay_job\": '; cat \"$w/head\"; printf ', \"rc\": %s, \"start\": \"%s\", \"end\": \"%s\", \"stdout\": \"' \"$rc\" \"$s\" \"$e\"; \
              _rp_enc \"$w/out\"; printf '\", \"stderr\": \"'; _rp_enc \"$w/err\"; printf '\"}}\\n'; }} >\"$f.tmp\" && mv -f \"$f.tmp\" \"$f\"\n\
         fi\n\
         rm -rf -- \"$w\"\n",
        timer = quote(timer),
    )
}

/// Shell code that makes the async directory `$d` and names the job `$jid`, its results file
/// `$f` and its work directory `$w` (private, beside the results files).
fn job_paths(async_dir: &str, digits: &str) -> String {
    format!(
        "umask 022\n\
         d={dir}\n\
         mkdir -p -- \"$d\" 2>/dev/null || {{ printf 'could not create directory: %s' \"$d\" >&2; exit 3; }}\n\
         jid=j{digits}.$(sh -c 'echo $PPID')\n\
         f=$d/$jid\n",
        dir = path_word(async_dir),
    )
}

/// The launcher: writes the script, its stdin (the launcher's own) and `head` (module and
/// recipe, JSON) into the work directory, the "started" record into the results file, starts
/// the watcher in its own session and prints the job id and results file.
fn launch_script(
    async_dir: &str,
    digits: &str,
    script: &str,
    head: &str,
    stdin: bool,
    kill_secs: u64,
) -> String {
    let mut s = job_paths(async_dir, digits);
    s.push_str("w=$d/.$jid.rplay\n(umask 077 && mkdir -- \"$w\") || exit 3\n");
    s.push_str(&format!(
        "printf '%s' {} >\"$w/script\" || exit 3\n",
        quote(script)
    ));
    s.push_str(&format!(
        "printf '%s' {} >\"$w/head\" || exit 3\n",
        quote(head)
    ));
    if stdin {
        s.push_str("cat >\"$w/stdin\" || exit 3\n");
    }
    s.push_str(
        "printf '{\"started\": true, \"finished\": false, \"ansible_job_id\": \"%s\"}\\n' \"$jid\" >\"$f.tmp\" && mv -f -- \"$f.tmp\" \"$f\" || exit 3\n",
    );
    s.push_str(&format!("_rp_w={}\n", quote(&watcher_script())));
    s.push_str(&format!(
        "if command -v setsid >/dev/null 2>&1; then\n\
           setsid sh -c \"$_rp_w\" rplay-async \"$f\" \"$w\" {kill_secs} </dev/null >/dev/null 2>&1 &\n\
         else\n\
           (trap '' HUP; exec sh -c \"$_rp_w\" rplay-async \"$f\" \"$w\" {kill_secs}) </dev/null >/dev/null 2>&1 &\n\
         fi\n"
    ));
    s.push_str("printf '%s\\n%s\\n' \"$jid\" \"$f\"\n");
    s
}

/// Reads the job id and results file a launcher printed.
fn parse_started(out: &Output) -> Result<Job, ModuleError> {
    if out.rc != 0 {
        let why = out.stderr_str();
        let why = why.trim();
        return Err(ModuleError::Failed(if why.is_empty() {
            format!(
                "could not start the background job (exit status {})",
                out.rc
            )
        } else {
            why.to_string()
        }));
    }
    let text = out.stdout_str();
    let mut lines = text.lines().rev().take(2).collect::<Vec<_>>();
    lines.reverse();
    match lines.as_slice() {
        [jid, file] if jid.starts_with('j') => Ok(Job {
            jid: jid.to_string(),
            results_file: file.to_string(),
        }),
        _ => Err(ModuleError::Protocol(format!(
            "the host did not name the background job it started: {text:?}"
        ))),
    }
}

/// Starts `work` of `module` as a background job killed after `limit` seconds (in Ansible's
/// 5-second steps). One round trip; the job keeps running when it returns.
pub async fn launch(
    host: &dyn Host,
    async_dir: &str,
    module: &str,
    work: JobWork,
    limit: u64,
) -> Result<Job, ModuleError> {
    let JobWork { command, recipe } = work;
    let head = serde_json::json!({"module": module, "recipe": recipe}).to_string();
    let script = launch_script(
        async_dir,
        &random_digits(),
        &command.script,
        &head,
        command.stdin.is_some(),
        kill_after(limit),
    );
    let out = host
        .run(Command {
            script,
            stdin: command.stdin,
            env: command.env,
            cwd: command.cwd,
        })
        .await?;
    parse_started(&out)
}

/// Records `result` as the result of a job that has already finished (a module that works from
/// the controller). One round trip.
pub async fn record(host: &dyn Host, async_dir: &str, result: &Map) -> Result<Job, ModuleError> {
    let mut script = job_paths(async_dir, &random_digits());
    script.push_str("cat >\"$f.tmp\" && mv -f -- \"$f.tmp\" \"$f\" || exit 3\n");
    script.push_str("printf '%s\\n%s\\n' \"$jid\" \"$f\"\n");
    let mut json = Value::Object(result.clone()).to_string();
    json.push('\n');
    let out = host
        .run(Command {
            script,
            stdin: Some(json.into_bytes()),
            ..Default::default()
        })
        .await?;
    parse_started(&out)
}

/// What `async_status` does with a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMode {
    /// Read the job's state or result.
    Status,
    /// Remove the results file.
    Cleanup,
}

/// `async_status` for `jid`: reads (or, for cleanup, removes) the results file in one round trip
/// and returns Ansible's result, the finished module's result merged in. A `changed` key comes
/// only from the job's own result.
pub async fn status(
    host: &dyn Host,
    async_dir: &str,
    jid: &str,
    mode: StatusMode,
) -> Result<Map, ModuleError> {
    let mut probe = ProbeScript::new();
    probe.prelude(&format!("f={}/{}", path_word(async_dir), quote(jid)));
    probe.section("path", "printf '%s' \"$f\"");
    let read = match mode {
        StatusMode::Status => "cat -- \"$f\" 2>/dev/null || :",
        StatusMode::Cleanup => "rm -f -- \"$f\"",
    };
    probe.section(
        "job",
        &format!("if [ -e \"$f\" ]; then {read}; else (exit 3); fi"),
    );
    let out = host.run(Command::new(probe.script())).await?;
    let sections = probe.parse(&out.stdout).map_err(ModuleError::Protocol)?;
    let path = sections.get("path").map_err(ModuleError::Protocol)?.text();
    let job = sections.get("job").map_err(ModuleError::Protocol)?;
    let found = (job.rc != 3).then(|| job.out.clone());
    Ok(status_result(jid, &path, mode, found.as_deref()))
}

/// Python's truth of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Ansible's `merge_hash`: `b` over `a`, mappings merged key by key.
fn merge(a: &mut Map, b: Map) {
    for (k, v) in b {
        match (a.get_mut(&k), v) {
            (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
            (_, v) => {
                a.insert(k, v);
            }
        }
    }
}

/// The result of `async_status` from what the host said: `found` is the results file's text
/// (`None` when there is no such file).
fn status_result(jid: &str, path: &str, mode: StatusMode, found: Option<&[u8]>) -> Map {
    let mut r = Map::new();
    r.insert("started".into(), Value::Bool(false));
    r.insert("finished".into(), Value::Bool(false));
    r.insert("stdout".into(), Value::from(""));
    r.insert("stderr".into(), Value::from(""));
    r.insert("stdout_lines".into(), Value::Array(Vec::new()));
    r.insert("stderr_lines".into(), Value::Array(Vec::new()));
    r.insert("ansible_job_id".into(), Value::from(jid));
    match mode {
        StatusMode::Cleanup => {
            r.insert("erased".into(), Value::from(path));
        }
        StatusMode::Status => {
            r.insert("results_file".into(), Value::from(path));
            r.insert("started".into(), Value::Bool(true));
        }
    }
    let data = match (found, mode) {
        (None, _) => {
            let mut d = Map::new();
            d.insert("failed".into(), Value::Bool(true));
            d.insert("msg".into(), Value::from("could not find job"));
            d.insert("ansible_job_id".into(), Value::from(jid));
            d.insert("started".into(), Value::Bool(true));
            d.insert("finished".into(), Value::Bool(true));
            d
        }
        (Some(_), StatusMode::Cleanup) => {
            let mut d = Map::new();
            d.insert("ansible_job_id".into(), Value::from(jid));
            d.insert("erased".into(), Value::from(path));
            d
        }
        (Some(text), StatusMode::Status) => job_data(jid, path, text),
    };
    merge(&mut r, data);
    r.retain(|k, _| !k.starts_with("_ansible_"));
    for k in ["started", "finished"] {
        let b = r.get(k).is_some_and(truthy);
        r.insert(k.into(), Value::Bool(b));
    }
    r
}

/// What the results file says: still running (not written or not readable yet), the job's own
/// result (Ansible's JSON, or rplay's record of a background script, turned into the module's
/// result), `finished` added as async_status does.
fn job_data(jid: &str, path: &str, text: &[u8]) -> Map {
    let parsed = serde_json::from_slice::<Value>(text).ok();
    let Some(Value::Object(mut data)) = parsed else {
        let mut d = Map::new();
        d.insert("results_file".into(), Value::from(path));
        d.insert("ansible_job_id".into(), Value::from(jid));
        d.insert("started".into(), Value::Bool(true));
        d.insert("finished".into(), Value::Bool(false));
        return d;
    };
    if data.contains_key("rplay_job") {
        data = finished_script(&data);
    }
    if !data.contains_key("started") {
        data.insert("finished".into(), Value::Bool(true));
        data.insert("ansible_job_id".into(), Value::from(jid));
    } else if !data.contains_key("finished") {
        data.insert("finished".into(), Value::Bool(false));
    }
    for (text, lines) in [("stdout", "stdout_lines"), ("stderr", "stderr_lines")] {
        if data.contains_key(text) && !data.contains_key(lines) {
            let split: Vec<Value> = data
                .get(text)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .lines()
                .map(Value::from)
                .collect();
            data.insert(lines.into(), Value::Array(split));
        }
    }
    data
}

/// Decodes `b64:...` or `hex:...` output.
fn decode_output(v: Option<&Value>) -> Option<Vec<u8>> {
    let s = v?.as_str()?;
    if let Some(b) = s.strip_prefix("b64:") {
        base64::engine::general_purpose::STANDARD.decode(b).ok()
    } else if let Some(h) = s.strip_prefix("hex:") {
        hex::decode(h).ok()
    } else {
        None
    }
}

/// A host clock reading `seconds.nanoseconds` (the fraction may be missing or not numeric).
fn parse_clock(v: Option<&Value>) -> Option<SystemTime> {
    let s = v?.as_str()?.trim();
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: u64 = secs.parse().ok()?;
    let digits: String = frac
        .chars()
        .take_while(char::is_ascii_digit)
        .take(9)
        .collect();
    let nanos = if digits.is_empty() {
        0
    } else {
        format!("{digits:0<9}").parse::<u32>().unwrap_or(0)
    };
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// The module's result for rplay's record of a finished background script.
fn finished_script(record: &Map) -> Map {
    let broken = |why: String| {
        let mut d = Map::new();
        d.insert("failed".into(), Value::Bool(true));
        d.insert("msg".into(), Value::from(why));
        d
    };
    let head = record.get("rplay_job").and_then(Value::as_object);
    let name = head
        .and_then(|h| h.get("module"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(module) = crate::registry::find(name) else {
        return broken(format!(
            "the background job ran the module '{name}', which this rplay does not know"
        ));
    };
    let (Some(stdout), Some(stderr)) = (
        decode_output(record.get("stdout")),
        decode_output(record.get("stderr")),
    ) else {
        return broken("the background job's output cannot be decoded".into());
    };
    let rc = record
        .get("rc")
        .and_then(Value::as_i64)
        .and_then(|rc| i32::try_from(rc).ok())
        .unwrap_or(-1);
    let start = parse_clock(record.get("start")).unwrap_or(UNIX_EPOCH);
    let end = parse_clock(record.get("end")).unwrap_or(start);
    let run = JobRun {
        output: Output { rc, stdout, stderr },
        start,
        end,
    };
    let recipe = head
        .and_then(|h| h.get("recipe"))
        .cloned()
        .unwrap_or(Value::Null);
    module.background_outcome(&recipe, &run).into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, stdin: &[u8]) -> Output {
        use std::io::Write;
        let mut child = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let o = child.wait_with_output().unwrap();
        Output {
            rc: o.status.code().unwrap_or(-1),
            stdout: o.stdout,
            stderr: o.stderr,
        }
    }

    fn read(path: &str) -> Option<Vec<u8>> {
        std::fs::read(path).ok()
    }

    fn wait_finished(job: &Job, dir: &str) -> Map {
        for _ in 0..200 {
            let r = status_result(
                &job.jid,
                &job.results_file,
                StatusMode::Status,
                read(&job.results_file).as_deref(),
            );
            if r["finished"] == Value::Bool(true) {
                return r;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the job in {dir} did not finish");
    }

    #[test]
    fn kill_times_follow_async_wrapper() {
        assert_eq!(kill_after(1), 10);
        assert_eq!(kill_after(5), 10);
        assert_eq!(kill_after(6), 15);
        assert_eq!(kill_after(10), 15);
    }

    #[test]
    fn a_script_runs_detached_and_its_record_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().to_string();
        let head = serde_json::json!({"module": "shell", "recipe": {"cmd": "x", "strip": true}})
            .to_string();
        // The job waits for a gate file, so it is surely still running when first looked at.
        let gate = dir.path().join("gate").to_string_lossy().to_string();
        let body = format!(
            "while [ ! -e '{gate}' ]; do sleep 0.05; done; rm -f '{gate}'; cat; echo oops >&2; exit 3"
        );
        let script = launch_script(&d, "42", &body, &head, true, 10);
        let out = sh(&script, b"fed\n");
        let job = parse_started(&out).unwrap();
        assert!(job.jid.starts_with("j42."), "{job:?}");
        assert_eq!(job.results_file, format!("{d}/{}", job.jid));
        let running = status_result(
            &job.jid,
            &job.results_file,
            StatusMode::Status,
            read(&job.results_file).as_deref(),
        );
        assert_eq!(running["finished"], Value::Bool(false));
        assert_eq!(running["started"], Value::Bool(true));
        std::fs::write(&gate, "").unwrap();
        let done = wait_finished(&job, &d);
        assert_eq!(done["rc"], 3, "{done:?}");
        assert_eq!(done["stdout"], "fed");
        assert_eq!(done["stderr"], "oops");
        assert_eq!(done["cmd"], "x");
        assert_eq!(done["failed"], Value::Bool(true));
        assert_eq!(done["changed"], Value::Bool(true));
        assert_eq!(done["ansible_job_id"], Value::from(job.jid.clone()));
        // The work directory is gone; only the results file stays.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }

    #[test]
    fn a_job_over_its_time_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().to_string();
        let head = serde_json::json!({"module": "shell", "recipe": {}}).to_string();
        let marker = dir.path().join("late");
        let script = format!("(sleep 3; touch {}) & sleep 30", marker.display());
        let out = sh(&launch_script(&d, "7", &script, &head, false, 1), b"");
        let job = parse_started(&out).unwrap();
        let done = wait_finished(&job, &d);
        assert_eq!(done["msg"], "Timeout exceeded", "{done:?}");
        assert_eq!(done["failed"], Value::Bool(true));
        let pid = done["child_pid"].as_i64().unwrap();
        std::thread::sleep(Duration::from_millis(3500));
        assert!(!marker.exists(), "a child of the killed job kept running");
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn missing_running_and_cleanup_results() {
        let missing = status_result("j1.2", "/h/.ansible_async/j1.2", StatusMode::Status, None);
        assert_eq!(missing["msg"], "could not find job");
        assert_eq!(missing["failed"], Value::Bool(true));
        assert_eq!(missing["finished"], Value::Bool(true));
        assert_eq!(missing["results_file"], "/h/.ansible_async/j1.2");
        let erased = status_result("j1.2", "/h/j1.2", StatusMode::Cleanup, Some(b"{}"));
        assert_eq!(erased["erased"], "/h/j1.2");
        assert_eq!(erased["started"], Value::Bool(false));
        assert!(!erased.contains_key("results_file"));
        let garbled = status_result("j1.2", "/h/j1.2", StatusMode::Status, Some(b"{\"sta"));
        assert_eq!(garbled["finished"], Value::Bool(false));
        let timeout = status_result(
            "j1.2",
            "/h/j1.2",
            StatusMode::Status,
            Some(br#"{"msg": "Timeout exceeded", "failed": true, "child_pid": 7}"#),
        );
        assert_eq!(timeout["finished"], Value::Bool(true));
        assert_eq!(timeout["child_pid"], 7);
        assert_eq!(timeout["stdout_lines"], Value::Array(vec![]));
    }

    #[test]
    fn clocks_with_and_without_fractions() {
        assert_eq!(
            parse_clock(Some(&Value::from("10.5"))),
            Some(UNIX_EPOCH + Duration::from_millis(10_500))
        );
        assert_eq!(
            parse_clock(Some(&Value::from("10.%N"))),
            Some(UNIX_EPOCH + Duration::from_secs(10))
        );
        assert_eq!(parse_clock(Some(&Value::from("x"))), None);
    }
}
