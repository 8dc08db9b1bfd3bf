//! One lab host on the controller: its directory (overlay upper/work dirs, its own hostname,
//! machine-id and ed25519 host key), and how it is started: a full host is systemd-nspawn
//! booting systemd; a light host is sshd chrooted into the overlay with its own UTS and PID
//! namespaces.
//! Both run in the host's network namespace and in a private mount namespace, so the
//! overlay mount vanishes with the host's processes.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::error::{io_err, Error, Result};
use super::namespace::netns_path;
use super::system::run;

/// What to start for one host.
#[derive(Debug, Clone)]
pub struct HostSpec {
    /// Inventory name and hostname.
    pub name: String,
    /// nspawn machine name.
    pub machine: String,
    /// Network namespace name.
    pub netns: String,
    /// The host's directory.
    pub dir: PathBuf,
    /// Image (overlay lower dir).
    pub image: PathBuf,
    /// sshd only, no systemd.
    pub light: bool,
}

impl HostSpec {
    fn upper(&self) -> PathBuf {
        self.dir.join("upper")
    }
    fn root(&self) -> PathBuf {
        self.dir.join("root")
    }
    /// Output of the host's root process (nspawn or sshd).
    pub fn log(&self) -> PathBuf {
        self.dir.join("host.log")
    }
    /// Output of the forwarder.
    pub fn forwarder_log(&self) -> PathBuf {
        self.dir.join("forward.log")
    }
}

/// Creates the host's directories and per-host files; returns its public host key line.
pub fn prepare(spec: &HostSpec) -> Result<String> {
    if spec.dir.exists() {
        std::fs::remove_dir_all(&spec.dir).map_err(io_err(&spec.dir))?;
    }
    let etc = spec.upper().join("etc");
    for d in [etc.join("ssh"), spec.dir.join("work"), spec.root()] {
        std::fs::create_dir_all(&d).map_err(io_err(&d))?;
    }
    let write = |rel: &str, text: &str| {
        let p = etc.join(rel);
        std::fs::write(&p, text).map_err(io_err(&p))
    };
    write("hostname", &format!("{}\n", spec.name))?;
    write(
        "hosts",
        &format!(
            "127.0.0.1\tlocalhost\n127.0.1.1\t{}\n::1\tlocalhost ip6-localhost ip6-loopback\n",
            spec.name
        ),
    )?;
    write("machine-id", &format!("{}\n", random_hex(16)?))?;
    let key = etc.join("ssh/ssh_host_ed25519_key");
    run(
        Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                &format!("root@{}", spec.name),
                "-f",
            ])
            .arg(&key),
        &format!("generating the host key of {}", spec.name),
    )?;
    let public = std::fs::read_to_string(key.with_extension("pub"))
        .map_err(io_err(key.with_extension("pub")))?;
    // Keep only "type base64", drop the comment.
    Ok(public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" "))
}

fn random_hex(bytes: usize) -> Result<String> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(io_err("/dev/urandom"))?;
    Ok(hex::encode(buf))
}

/// Starts the host's root process in the background; returns its pid.
pub fn launch(spec: &HostSpec) -> Result<u32> {
    let root = spec.root();
    let overlay = format!(
        "mount -t overlay overlay -o lowerdir={},upperdir={},workdir={} {}",
        spec.image.display(),
        spec.upper().display(),
        spec.dir.join("work").display(),
        root.display()
    );
    let r = root.display();
    let script = if spec.light {
        format!(
            "set -e; {overlay}; mount --rbind /dev {r}/dev; mount -t proc proc {r}/proc; mount --rbind /sys {r}/sys; \
             mount -t tmpfs -o mode=755 tmpfs {r}/run; mkdir -p {r}/run/sshd; hostname {name}; \
             chroot {r} /usr/sbin/sshd -D -e -o ListenAddress=127.0.0.1 -o UsePAM=no -r & wait $!",
            name = spec.name
        )
    } else {
        // systemd-nspawn exits with 133 when the container asks for a reboot (`systemctl
        // reboot`, the reboot module): start it again, as systemd-nspawn@.service does with
        // RestartForceExitStatus=133, so a lab host reboots like a real one.
        format!(
            "{overlay} && while :; do systemd-nspawn -q -D {r} --boot --capability=CAP_NET_ADMIN,CAP_NET_RAW \
             --register=no --keep-unit --console=passive --link-journal=no -M {machine} \
             --network-namespace-path={netns}; rc=$?; [ $rc -eq 133 ] || exit $rc; done",
            machine = spec.machine,
            netns = netns_path(&spec.netns).display()
        )
    };
    let mut unshare = vec!["--mount", "--propagation", "private"];
    if spec.light {
        // Own hostname, and own pids: `pkill sshd` or `kill -9 1` on a light host must not
        // reach the controller or other hosts. The shell stays as the namespace's init, so when
        // sshd dies the whole light host goes away, as a real host would be unreachable.
        // sshd runs without PAM and without re-executing itself per connection (-r): light
        // hosts are for scale, and hundreds of logins at once must stay cheap.
        unshare.extend(["--uts", "--pid", "--fork", "--kill-child"]);
    }
    let log = File::create(spec.log()).map_err(io_err(spec.log()))?;
    let log2 = log.try_clone().map_err(io_err(spec.log()))?;
    // Full hosts: nspawn joins the namespace itself (`ip netns exec` would hide the cgroup
    // hierarchy nspawn needs by remounting /sys). Light hosts: sshd starts inside it.
    let mut cmd = if spec.light {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &spec.netns, "unshare"]);
        c
    } else {
        Command::new("unshare")
    };
    let child = cmd
        .args(&unshare)
        .args(["sh", "-c", &script])
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("LC_ALL", "C")
        // Each host has its own overlay: nspawn's image lock would only leave lock files in
        // /run/systemd/nspawn/locks behind when `down` kills it.
        .env("SYSTEMD_NSPAWN_LOCK", "0")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .process_group(0)
        .spawn()
        .map_err(|e| Error::Command {
            what: format!("starting host {}", spec.name),
            detail: e.to_string(),
        })?;
    Ok(child.id())
}

/// Starts the forwarder for a host: `listener` is handed over as fd 3 to `rlab forward`.
pub fn launch_forwarder(
    spec: &HostSpec,
    listener: &std::net::TcpListener,
    latency_ms: u64,
) -> Result<u32> {
    use std::os::unix::io::AsRawFd;
    let exe = std::env::current_exe().map_err(io_err("/proc/self/exe"))?;
    let fd = listener.as_raw_fd();
    let log = File::create(spec.forwarder_log()).map_err(io_err(spec.forwarder_log()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("forward")
        .arg("--netns")
        .arg(netns_path(&spec.netns))
        .arg("--latency")
        .arg(latency_ms.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .process_group(0);
    // SAFETY: dup2 is async-signal-safe; the duplicate (without close-on-exec) is the only fd
    // the forwarder inherits besides stdio.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(fd, super::forward::LISTEN_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|e| Error::Command {
        what: format!("starting the forwarder of {}", spec.name),
        detail: e.to_string(),
    })?;
    Ok(child.id())
}

/// Directory systemd-nspawn creates on the controller for a machine (for `machinectl bind`);
/// it stays behind when /run is not a tmpfs, so `down` removes it.
pub fn nspawn_leftover_dir(machine: &str) -> PathBuf {
    PathBuf::from("/run/systemd/nspawn/propagate").join(machine)
}
