//! `up`, `down` and `status` of a lab. `up` replaces whatever the lab had (so it works after a
//! killed run), picks free ports, prepares and starts every host and its forwarder, then waits
//! until each answers SSH (and, for full hosts, until systemd finished booting). `down` finds
//! processes through the lab's network namespaces as well as the state file, so it cleans up
//! after crashes too.

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::error::{io_err, Error, Result};
use super::image::{self, Flavor};
use super::machine::{self, HostSpec};
use super::namespace;
use super::paths::{host_name, CachePaths, LabPaths};
use super::state::{write_atomically, HostState, LabState};
use super::system::{self, FileLock};

/// First port tried when none is asked for (below Linux's ephemeral range).
pub const DEFAULT_FIRST_PORT: u16 = 20022;
/// Ports are taken below this (Linux's ephemeral range starts at 32768).
const PORT_LIMIT: u16 = 32767;

/// What `rlab up` should start.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// Number of hosts.
    pub count: usize,
    /// sshd-only hosts.
    pub light: bool,
    /// Hosts with python3 and python3-apt.
    pub python: bool,
    /// Added round-trip latency in milliseconds.
    pub latency_ms: u64,
    /// Use consecutive ports from this one (fails if one is taken).
    pub first_port: Option<u16>,
    /// How long to wait for all hosts.
    pub timeout: Duration,
}

/// Checks that rlab can work here: root, the programs it needs (installed when missing).
pub fn preflight() -> Result<()> {
    system::ensure_root()?;
    system::ensure_tools()
}

/// Starts the lab; returns its state once every host is ready. On failure the lab is torn down.
pub fn up(lab: &LabPaths, opts: &UpOptions, log: &dyn Fn(&str)) -> Result<LabState> {
    if opts.count == 0 {
        return Err(Error::Usage("rlab up needs at least 1 host".into()));
    }
    preflight()?;
    for change in system::raise_kernel_limits()? {
        log(&format!("raised kernel limit {change}"));
    }
    let cache = CachePaths::standard();
    let flavor = if opts.python {
        Flavor::Python
    } else {
        Flavor::Plain
    };
    let image = image::ensure_image(&cache, flavor, log)?;
    let _lock = FileLock::acquire(&lab.lock())?;
    down_locked(lab, log)?;
    system::ensure_space(&lab.dir, 50 + 5 * opts.count as u64)?;
    match start(lab, opts, &cache, image, log) {
        Ok(state) => Ok(state),
        Err(e) => {
            log(&format!("start failed, tearing lab {:?} down", lab.name));
            let _ = down_locked(lab, &|_| {});
            Err(e)
        }
    }
}

fn start(
    lab: &LabPaths,
    opts: &UpOptions,
    cache: &CachePaths,
    image: PathBuf,
    log: &dyn Fn(&str),
) -> Result<LabState> {
    std::fs::create_dir_all(&lab.dir).map_err(io_err(&lab.dir))?;
    let listeners = bind_ports(opts.count, opts.first_port)?;
    let mut state = LabState {
        name: lab.name.clone(),
        light: opts.light,
        python: opts.python,
        latency_ms: opts.latency_ms,
        image: image.clone(),
        key: cache.key(),
        known_hosts: lab.known_hosts(),
        inventory: lab.inventory(),
        hosts: Vec::new(),
    };
    let mut specs = Vec::new();
    for (i, listener) in listeners.iter().enumerate() {
        let name = host_name(i + 1);
        let port = listener
            .local_addr()
            .map_err(io_err("listening socket"))?
            .port();
        let spec = HostSpec {
            name: name.clone(),
            machine: lab.machine(&name),
            netns: lab.netns(&name),
            dir: lab.host_dir(&name),
            image: image.clone(),
            light: opts.light,
        };
        state.hosts.push(HostState {
            name,
            machine: spec.machine.clone(),
            netns: spec.netns.clone(),
            port,
            pid: None,
            forwarder_pid: None,
            host_key: String::new(),
        });
        specs.push(spec);
    }
    state.save(lab)?;
    log(&format!(
        "starting {} {} host(s)",
        opts.count,
        if opts.light { "light" } else { "full" }
    ));
    let begun = Instant::now();
    // Hosts start from several threads: most of the time goes to waiting for short-lived
    // commands (ip, ssh-keygen, mount), and a busy machine gives more threads more turns.
    // If rlab dies meanwhile, `down` still finds every process through the namespaces.
    let latency = opts.latency_ms;
    let started: Vec<(usize, Result<StartedHost>)> = std::thread::scope(|scope| {
        let workers = 8.min(specs.len()).max(1);
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (specs, listeners) = (&specs, &listeners);
                scope.spawn(move || {
                    (w..specs.len())
                        .step_by(workers)
                        .map(|i| {
                            let spec = &specs[i];
                            let result = (|| {
                                namespace::add(&spec.netns)?;
                                let key = machine::prepare(spec)?;
                                let pid = machine::launch(spec)?;
                                let forwarder =
                                    machine::launch_forwarder(spec, &listeners[i], latency)?;
                                Ok((key, pid, forwarder))
                            })();
                            (i, result)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![(0, Err(Error::Usage("starting a host panicked".into())))]
                })
            })
            .collect()
    });
    let mut first_error = None;
    for (i, result) in started {
        match result {
            Ok((key, pid, forwarder)) => {
                state.hosts[i].host_key = key;
                state.hosts[i].pid = Some(pid);
                state.hosts[i].forwarder_pid = Some(forwarder);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    state.save(lab)?;
    if let Some(e) = first_error {
        return Err(e);
    }
    log(&format!(
        "all hosts started in {:.1} s; waiting for them to answer SSH",
        begun.elapsed().as_secs_f64()
    ));
    drop(listeners);
    state.save(lab)?;
    write_atomically(&lab.known_hosts(), state.known_hosts_text().as_bytes())?;
    write_atomically(
        &lab.inventory(),
        super::inventory::render(&state).as_bytes(),
    )?;
    wait_ready(&mut state, &specs, opts.timeout)?;
    state.save(lab)?;
    Ok(state)
}

/// What starting one host gives: its public host key, its pid and its forwarder's pid.
type StartedHost = (String, u32, u32);

/// Binds `count` listening sockets on 127.0.0.1.
fn bind_ports(count: usize, first: Option<u16>) -> Result<Vec<TcpListener>> {
    let mut out = Vec::with_capacity(count);
    match first {
        Some(first) => {
            for i in 0..count {
                let port = u16::try_from(first as usize + i).map_err(|_| Error::NoFreePorts {
                    from: first,
                    needed: count - i,
                })?;
                out.push(
                    TcpListener::bind(("127.0.0.1", port))
                        .map_err(|_| Error::PortInUse { port })?,
                );
            }
        }
        None => {
            let mut port = DEFAULT_FIRST_PORT;
            while out.len() < count {
                if port > PORT_LIMIT {
                    return Err(Error::NoFreePorts {
                        from: DEFAULT_FIRST_PORT,
                        needed: count - out.len(),
                    });
                }
                if let Ok(l) = TcpListener::bind(("127.0.0.1", port)) {
                    out.push(l);
                }
                port += 1;
            }
        }
    }
    Ok(out)
}

/// How often a host whose process dies while booting is started again before `up` gives up
/// (under heavy load a container occasionally fails early in boot).
const RELAUNCHES: u32 = 2;

/// Waits, in parallel, until every host is ready; records the pids of relaunched hosts.
fn wait_ready(state: &mut LabState, specs: &[HostSpec], timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let shared: &LabState = state;
    let results: Vec<(usize, Result<Option<u32>>)> = std::thread::scope(|scope| {
        // Light labs can have hundreds of hosts: check them from a bounded number of threads.
        let workers = 32.min(shared.hosts.len()).max(1);
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    (w..shared.hosts.len())
                        .step_by(workers)
                        .map(|i| {
                            (
                                i,
                                wait_host(shared, &shared.hosts[i], &specs[i], deadline, timeout),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![(0, Err(Error::Usage("readiness check panicked".into())))]
                })
            })
            .collect()
    });
    let mut first_error = None;
    for (i, r) in results {
        match r {
            Ok(Some(pid)) => state.hosts[i].pid = Some(pid),
            Ok(None) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Waits until one host answers SSH (and has finished booting, for full hosts), starting it
/// again if its process dies meanwhile; returns its new pid if it was relaunched.
fn wait_host(
    state: &LabState,
    host: &HostState,
    spec: &HostSpec,
    deadline: Instant,
    timeout: Duration,
) -> Result<Option<u32>> {
    let mut pid = host.pid;
    let mut relaunched = 0;
    let mut last = String::from("no answer yet");
    let not_ready = |reason: String| {
        // Keep the host's logs where `down` does not remove them.
        let kept = std::path::Path::new(super::paths::STATE_ROOT)
            .join(format!("{}-{}.failed.log", state.name, host.name));
        let mut text = String::new();
        for n in (1..=RELAUNCHES).rev() {
            if let Ok(t) = std::fs::read_to_string(spec.log().with_extension(format!("log.{n}"))) {
                text.push_str(&format!("--- earlier attempt {n} ---\n{t}"));
            }
        }
        let current = std::fs::read_to_string(spec.log()).unwrap_or_default();
        text.push_str(&current);
        let _ = std::fs::write(&kept, &text);
        let tail = system::tail(&current, 25);
        Error::NotReady {
            lab: state.name.clone(),
            host: host.name.clone(),
            secs: timeout.as_secs(),
            reason: if tail.is_empty() {
                reason
            } else {
                format!(
                    "{reason}; end of its log (all of it kept in {}):\n{tail}",
                    kept.display()
                )
            },
        }
    };
    loop {
        if let Some(p) = pid {
            if !namespace::is_alive(p) {
                if relaunched >= RELAUNCHES || Instant::now() > deadline {
                    return Err(not_ready(format!(
                        "its process {p} exited ({relaunched} relaunches)"
                    )));
                }
                relaunched += 1;
                let _ = std::fs::rename(
                    spec.log(),
                    spec.log().with_extension(format!("log.{relaunched}")),
                );
                pid = Some(machine::launch(spec)?);
                continue;
            }
        }
        if ssh_banner(host.port).map_err(|e| last = e).is_ok()
            && (state.light || booted(state, host, deadline, &mut last))
        {
            return Ok(if relaunched > 0 { pid } else { None });
        }
        if Instant::now() > deadline {
            return Err(not_ready(format!(
                "sshd does not answer on 127.0.0.1:{} ({last})",
                host.port
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether systemd on a full host has finished booting (running or degraded); waits for it.
fn booted(state: &LabState, host: &HostState, deadline: Instant, last: &mut String) -> bool {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .as_secs()
        .max(1);
    let out = super::ssh::command(state, host, "root")
        .arg(format!("timeout {left} systemctl is-system-running --wait"))
        .stdin(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) => {
            let answer = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if answer == "running" || answer == "degraded" {
                return true;
            }
            *last = format!(
                "systemctl is-system-running said {answer:?} {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
        Err(e) => *last = format!("cannot run ssh: {e}"),
    }
    false
}

/// Connects to 127.0.0.1:`port` and expects an SSH banner.
fn ssh_banner(port: u16) -> std::result::Result<(), String> {
    use std::io::Read;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(3)))
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    while got.len() < 4 {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the SSH banner".into());
        }
        got.extend_from_slice(&buf[..n]);
    }
    if got.starts_with(b"SSH-") {
        Ok(())
    } else {
        Err("no SSH banner".into())
    }
}

/// Stops every host of the lab and removes its state; a lab that is not running is fine.
pub fn down(lab: &LabPaths, log: &dyn Fn(&str)) -> Result<()> {
    system::ensure_root()?;
    let _lock = FileLock::acquire(&lab.lock())?;
    down_locked(lab, log)
}

fn down_locked(lab: &LabPaths, log: &dyn Fn(&str)) -> Result<()> {
    let state = match LabState::load(lab) {
        Ok(s) => Some(s),
        Err(Error::NotRunning { .. }) => None,
        Err(Error::BadState { .. }) => None,
        Err(e) => return Err(e),
    };
    let mut netns: Vec<String> = namespace::list(&lab.netns_prefix());
    if let Some(st) = &state {
        for h in &st.hosts {
            if !netns.contains(&h.netns) {
                netns.push(h.netns.clone());
            }
        }
    }
    // Only names of exactly this lab: another lab's name may extend this one's prefix.
    let prefix = lab.netns_prefix();
    let is_ours = |n: &str| {
        n.strip_prefix(&prefix)
            .and_then(|rest| rest.strip_prefix('h'))
            .is_some_and(|num| !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()))
    };
    netns.retain(|n| is_ours(n));
    if state.is_none() && netns.is_empty() && !lab.dir.exists() {
        return Ok(());
    }
    log(&format!("stopping lab {:?}", lab.name));
    // Holding the namespaces open keeps their inode numbers from being reused by namespaces
    // created meanwhile (by another lab's `up`), whose processes we must not kill.
    let pinned: Vec<std::fs::File> = netns
        .iter()
        .filter_map(|n| std::fs::File::open(namespace::netns_path(n)).ok())
        .collect();
    let inodes: HashSet<u64> = pinned
        .iter()
        .filter_map(|f| {
            f.metadata()
                .ok()
                .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        })
        .collect();
    // Recorded pids still running our programs (a pid may have been reused after a crash).
    let recorded: Vec<u32> = state
        .iter()
        .flat_map(|s| s.hosts.iter())
        .flat_map(|h| [h.pid, h.forwarder_pid])
        .flatten()
        .filter(|pid| {
            let cmd = namespace::cmdline(*pid);
            namespace::is_alive(*pid) && netns.iter().any(|n| cmd.contains(n.as_str()))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut pids = namespace::pids_in(&inodes);
        pids.extend(recorded.iter().copied().filter(|p| namespace::is_alive(*p)));
        for n in &netns {
            pids.extend(namespace::pids_of_host_launchers(n));
        }
        if pids.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            return Err(Error::Command {
                what: format!("stopping lab {:?}", lab.name),
                detail: format!("processes still alive after 30 s: {pids:?}"),
            });
        }
        for pid in pids {
            namespace::signal(pid, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(pinned);
    for m in namespace::mounts_under(&lab.dir) {
        let _ = system::run(
            std::process::Command::new("umount").arg("-l").arg(&m),
            "umount",
        );
    }
    for n in &netns {
        namespace::del(n);
    }
    // Namespace and machine names are the same; also clean up after hosts of earlier crashes.
    let nspawn_dir = machine::nspawn_leftover_dir("");
    if let Ok(entries) = std::fs::read_dir(&nspawn_dir) {
        for e in entries.filter_map(|e| e.ok()) {
            if e.file_name().to_str().is_some_and(&is_ours) {
                let _ = std::fs::remove_dir(e.path());
            }
        }
    }
    system::remove_tree(&lab.dir, "hosts")
}

/// One host's line in `rlab status`.
#[derive(Debug, Clone)]
pub struct HostStatus {
    /// The recorded host.
    pub host: HostState,
    /// Its root process is alive.
    pub running: bool,
    /// Its forwarder is alive.
    pub forwarding: bool,
}

/// The lab's state and whether each host's processes are alive.
pub fn status(lab: &LabPaths) -> Result<(LabState, Vec<HostStatus>)> {
    let state = LabState::load(lab)?;
    let hosts = state
        .hosts
        .iter()
        .map(|h| HostStatus {
            host: h.clone(),
            running: h.pid.is_some_and(namespace::is_alive),
            forwarding: h.forwarder_pid.is_some_and(namespace::is_alive),
        })
        .collect();
    Ok((state, hosts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_first_port_is_reported_and_free_ports_are_picked_around_taken_ones() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        match bind_ports(1, Some(port)) {
            Err(Error::PortInUse { port: p }) => assert_eq!(p, port),
            other => panic!("expected PortInUse, got {other:?}"),
        }
        let picked = bind_ports(3, None).unwrap();
        let ports: Vec<u16> = picked
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        assert_eq!(ports.len(), 3);
        assert!(ports
            .iter()
            .all(|p| (DEFAULT_FIRST_PORT..=PORT_LIMIT).contains(p)));
        assert!(ports.windows(2).all(|w| w[0] < w[1]));
    }
}
