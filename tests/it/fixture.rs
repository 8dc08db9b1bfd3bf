//! Shared fixture of the integration tests: lab hosts booted once per test binary (through the
//! `rlab` program, never through rplay's own engine), the pinned ansible-core oracle, and paths
//! of our own binaries. Labs started here are torn down by [`teardown`] after all trials.
//!
//! Lab names are per checkout (`it-<dir>`, `itpy-<dir>`) so test runs in different worktrees on
//! one machine do not replace each other's hosts; `RPLAY_TEST_LAB=<tag>` overrides `<dir>`.

// Each area's test file uses a different part of the fixture.
#![allow(dead_code)]

use sha2::Digest;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// A running lab, as its trials see it.
#[derive(Debug, Clone)]
pub struct Lab {
    /// The rlab lab name (`rlab --lab NAME ...`).
    pub name: String,
    /// YAML inventory of the hosts (group `lab`, every connection variable set).
    pub inventory: PathBuf,
    /// Host names in the inventory: h1, h2, ...
    pub hosts: Vec<String>,
    /// Private key accepted by root, deploy and ops.
    pub key: PathBuf,
    /// known_hosts file holding every host's key.
    pub known_hosts: PathBuf,
    /// Port on 127.0.0.1 of each host, in the order of `hosts`.
    pub ports: Vec<u16>,
    /// Hosts have python3 and python3-apt.
    pub python: bool,
}

/// Password of the `ops` user (its sudo asks for it); also in the inventory as `lab_ops_password`.
pub const OPS_PASSWORD: &str = rplay::lab::image::OPS_PASSWORD;

/// Output of a command run on a host.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code (-1 when killed by a signal).
    pub rc: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Lab {
    /// Port of `host`.
    pub fn port(&self, host: &str) -> Result<u16, String> {
        self.hosts
            .iter()
            .position(|h| h == host)
            .map(|i| self.ports[i])
            .ok_or_else(|| format!("no host {host} in lab {}", self.name))
    }

    /// Runs `cmd` (a shell command line) on `host` as root with the system ssh client.
    pub fn ssh(&self, host: &str, cmd: &str) -> (i32, String, String) {
        let o = self.ssh_as("root", host, cmd, None);
        (o.rc, o.stdout, o.stderr)
    }

    /// Runs `cmd` on `host` as `user`, feeding `stdin` if given.
    pub fn ssh_as(&self, user: &str, host: &str, cmd: &str, stdin: Option<&str>) -> Output {
        let port = match self.port(host) {
            Ok(p) => p,
            Err(e) => {
                return Output {
                    rc: -1,
                    stdout: String::new(),
                    stderr: e,
                }
            }
        };
        let mut c = Command::new("ssh");
        c.arg("-F")
            .arg("/dev/null")
            .arg("-i")
            .arg(&self.key)
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", self.known_hosts.display()))
            .args([
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
            ])
            .args(["-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20", "-p"])
            .arg(port.to_string())
            .arg(format!("{user}@127.0.0.1"))
            .arg("--")
            .arg(cmd);
        run_with_input(&mut c, stdin)
    }

    /// Runs `cmd` on `host` and fails unless it exits 0; returns its stdout.
    pub fn check(&self, host: &str, cmd: &str) -> Result<String, String> {
        let o = self.ssh_as("root", host, cmd, None);
        if o.rc == 0 {
            Ok(o.stdout)
        } else {
            Err(format!(
                "`{cmd}` on {host} exited {}\nstdout: {}\nstderr: {}",
                o.rc, o.stdout, o.stderr
            ))
        }
    }
}

/// Runs a command to completion with optional stdin, capturing its output.
pub fn run_with_input(cmd: &mut Command, stdin: Option<&str>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Output {
                rc: -1,
                stdout: String::new(),
                stderr: format!("cannot start {cmd:?}: {e}"),
            }
        }
    };
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(text.as_bytes());
    }
    match child.wait_with_output() {
        Ok(o) => Output {
            rc: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        },
        Err(e) => Output {
            rc: -1,
            stdout: String::new(),
            stderr: e.to_string(),
        },
    }
}

/// Tag that makes this checkout's lab names unique: `RPLAY_TEST_LAB` or the checkout's directory name.
pub fn lab_tag() -> String {
    let raw = std::env::var("RPLAY_TEST_LAB").ok().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let mut tag: String = raw
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .take(12)
        .collect();
    tag = tag.trim_matches('-').to_string();
    if tag.is_empty() {
        tag = "x".into();
    }
    tag
}

/// Labs this test binary started, torn down by [`teardown`].
static STARTED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The shared lab: 2 full hosts without python (booted on first use).
pub fn lab() -> Result<&'static Lab, String> {
    static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
    LAB.get_or_init(|| start_lab(&format!("it-{}", lab_tag()), 2, &[]))
        .as_ref()
        .map_err(|e| e.clone())
}

/// The differential lab: 2 full hosts with python3 and python3-apt, for ansible-playbook.
pub fn pylab() -> Result<&'static Lab, String> {
    static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
    LAB.get_or_init(|| start_lab(&format!("itpy-{}", lab_tag()), 2, &["--python"]))
        .as_ref()
        .map_err(|e| e.clone())
}

/// Starts lab `name` with `count` hosts and extra `rlab up` flags; it is torn down after all
/// trials (or call [`stop_lab`] earlier).
pub fn start_lab(name: &str, count: usize, flags: &[&str]) -> Result<Lab, String> {
    if let Ok(mut started) = STARTED.lock() {
        if !started.iter().any(|n| n == name) {
            started.push(name.to_string());
        }
    }
    let out = run_with_input(
        Command::new(rlab())
            .args(["--lab", name, "up", &count.to_string()])
            .args(flags),
        None,
    );
    if out.rc != 0 {
        return Err(format!(
            "cannot start lab {name} (rlab up {count} {}): {}{}",
            flags.join(" "),
            out.stderr,
            out.stdout
        ));
    }
    let paths = rplay::lab::LabPaths::new(name).map_err(|e| e.to_string())?;
    let state =
        rplay::lab::LabState::load(&paths).map_err(|e| format!("lab {name} started but: {e}"))?;
    Ok(Lab {
        name: name.to_string(),
        inventory: state.inventory.clone(),
        hosts: state.hosts.iter().map(|h| h.name.clone()).collect(),
        key: state.key.clone(),
        known_hosts: state.known_hosts.clone(),
        ports: state.hosts.iter().map(|h| h.port).collect(),
        python: state.python,
    })
}

/// Stops lab `name` (`rlab down`).
pub fn stop_lab(name: &str) -> Result<(), String> {
    let out = run_with_input(Command::new(rlab()).args(["--lab", name, "down"]), None);
    if out.rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "rlab --lab {name} down failed: {}{}",
            out.stderr, out.stdout
        ))
    }
}

/// Tears down every lab this test binary started; called by main after all trials.
pub fn teardown() {
    let names = STARTED.lock().map(|s| s.clone()).unwrap_or_default();
    for name in names {
        if let Err(e) = stop_lab(&name) {
            eprintln!("fixture: {e}");
        }
    }
}

/// Path of the `rlab` program built with these tests.
pub fn rlab() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rlab"))
}

/// Path of one of our programs (target/<profile>/NAME, next to the test binary's deps/ dir);
/// it may not exist when that program is not built yet.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let deps = exe.parent().unwrap_or(Path::new("."));
    let profile = if deps.ends_with("deps") {
        deps.parent().unwrap_or(deps)
    } else {
        deps
    };
    profile.join(name)
}

/// Where the pinned Ansibles live: one venv per distinct requirements file, so checkouts with
/// different pins on one machine never reinstall each other's oracle under a running test.
const ORACLE_CACHE: &str = "/var/cache/rplay";
/// Pins of the oracle (ansible-core and the ansible collections bundle).
const ORACLE_REQUIREMENTS: &str = include_str!("../oracle/requirements.txt");

/// Path of a program (`ansible-playbook`, `ansible`, ...) of the pinned ansible-core, creating
/// the venv once (under a lock; later calls and other test binaries reuse it).
pub fn oracle_bin(name: &str) -> Result<PathBuf, String> {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let bin_dir = VENV
        .get_or_init(ensure_oracle_venv)
        .as_ref()
        .map_err(|e| e.clone())?;
    let path = bin_dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("the oracle venv has no {}", path.display()))
    }
}

/// Runs an oracle program (`ansible-playbook`, `ansible`, ...) against `lab`'s inventory with
/// `args`, in `dir` (where a playbook's relative paths resolve), with a predictable environment:
/// no user or project ansible.cfg, no colour, no retry files, host keys checked.
pub fn oracle(lab: &Lab, program: &str, args: &[&str], dir: &Path) -> Result<Output, String> {
    let bin = oracle_bin(program)?;
    // An empty ansible.cfg, so neither ~/.ansible.cfg nor one in `dir` changes the oracle.
    let cfg = std::env::temp_dir().join("rplay-oracle-empty-ansible.cfg");
    if !cfg.is_file() {
        std::fs::write(&cfg, "").map_err(|e| format!("{}: {e}", cfg.display()))?;
    }
    let mut cmd = Command::new(bin);
    cmd.arg("-i")
        .arg(&lab.inventory)
        .args(args)
        .current_dir(dir)
        .env("ANSIBLE_CONFIG", &cfg)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_NOCOWS", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("ANSIBLE_HOST_KEY_CHECKING", "True")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
        .env("ANSIBLE_LOCALHOST_WARNING", "0");
    Ok(run_with_input(&mut cmd, None))
}

fn ensure_oracle_venv() -> Result<PathBuf, String> {
    let digest = sha2::Sha256::digest(ORACLE_REQUIREMENTS.as_bytes());
    let venv = Path::new(ORACLE_CACHE).join(format!("oracle-{}", &hex::encode(digest)[..12]));
    let stamp = venv.join("rplay-requirements.txt");
    let bin_dir = venv.join("bin");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(ORACLE_REQUIREMENTS) {
        return Ok(bin_dir);
    }
    let parent = venv.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let lock_path = venv.with_extension("lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("{}: {e}", lock_path.display()))?;
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on an fd we own; released when `lock` is dropped.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(format!("{}: cannot lock", lock_path.display()));
        }
    }
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(ORACLE_REQUIREMENTS) {
        return Ok(bin_dir);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let mut venv_cmd = Command::new("python3");
    venv_cmd.args(["-m", "venv"]).arg(&venv);
    let mut out = run_with_input(&mut venv_cmd, None);
    if out.rc != 0 {
        // Debian splits venv support into its own package.
        let _ = run_with_input(
            Command::new("apt-get")
                .args(["install", "-y", "-q", "python3-venv"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
            None,
        );
        let _ = std::fs::remove_dir_all(&venv);
        out = run_with_input(&mut venv_cmd, None);
        if out.rc != 0 {
            return Err(format!(
                "cannot create the oracle venv {}: {}",
                venv.display(),
                out.stderr
            ));
        }
    }
    let req = venv.join("requirements.txt");
    std::fs::write(&req, ORACLE_REQUIREMENTS).map_err(|e| format!("{}: {e}", req.display()))?;
    let out = run_with_input(
        Command::new(bin_dir.join("pip"))
            .args(["install", "-q", "--disable-pip-version-check", "-r"])
            .arg(&req),
        None,
    );
    if out.rc != 0 {
        return Err(format!(
            "pip install of the oracle (ansible-core) failed: {}{}",
            out.stderr, out.stdout
        ));
    }
    std::fs::write(&stamp, ORACLE_REQUIREMENTS).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(bin_dir)
}
