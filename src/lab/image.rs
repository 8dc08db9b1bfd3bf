//! The cached base images every lab host is an overlay of, built once under a lock:
//! `system` (debootstrap + firewalld, users, keys), `base` (system + the offline apt repository:
//! the default image) and `base-python` (base + python3, python3-apt). Each directory name carries
//! a fingerprint of its recipe, so a changed recipe builds a new image while running labs keep
//! the old one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::error::{io_err, Error, Result};
use super::paths::CachePaths;
use super::system::{self, run, FileLock};

/// Bump when the recipe below changes in a way the fingerprint does not see.
const RECIPE_VERSION: &str = "rlab-image-3";
/// Bump when the base (repository, hidden python) or python steps change.
const BASE_RECIPE_VERSION: &str = "rlab-base-2";
/// Where the default image keeps the python interpreter firewalld needs, off PATH.
pub const PRIVATE_PYTHON_DIR: &str = "/usr/lib/rlab-python";
/// The Debian release of the hosts.
const SUITE: &str = "bookworm";
/// Packages of the offline repository (see the file for how to extend it).
pub const REPO_PACKAGES: &str = include_str!("repo-packages.txt");
/// Password of the `ops` user, whose sudo asks for it (published in the inventory as `lab_ops_password`).
pub const OPS_PASSWORD: &str = "rlab-ops-pw";

/// Which image a lab boots from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// No python on hosts.
    Plain,
    /// python3 and python3-apt installed, for ansible-playbook.
    Python,
}

/// Package names of [`REPO_PACKAGES`] without comments.
pub fn repo_packages() -> Vec<&'static str> {
    REPO_PACKAGES
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect()
}

fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(&h.finalize()[..6])
}

/// Makes sure the lab key and the image for `flavor` exist; returns the image directory.
pub fn ensure_image(cache: &CachePaths, flavor: Flavor, log: &dyn Fn(&str)) -> Result<PathBuf> {
    let system_fp = fingerprint(&[RECIPE_VERSION, SUITE]);
    let base_fp = fingerprint(&[&system_fp, BASE_RECIPE_VERSION, REPO_PACKAGES]);
    let system_dir = cache.root.join(format!("system-{system_fp}"));
    let base_dir = cache.root.join(format!("base-{base_fp}"));
    let python_dir = cache.root.join(format!("base-python-{base_fp}"));
    let wanted = match flavor {
        Flavor::Plain => &base_dir,
        Flavor::Python => &python_dir,
    };
    if wanted.is_dir() && cache.key().is_file() {
        mark_used(wanted);
        return Ok(wanted.clone());
    }
    system::ensure_space(&cache.root, 2500)?;
    let _lock = FileLock::acquire(&cache.lock())?;
    ensure_key(cache)?;
    if !system_dir.is_dir() {
        log("building the base system (debootstrap; about a minute, once)");
        build(&system_dir, |tmp| build_system(cache, tmp))?;
    }
    if !base_dir.is_dir() {
        log("building the offline apt repository into the image (once per package list)");
        build(&base_dir, |tmp| {
            copy_tree(&system_dir, tmp)?;
            build_repo(tmp)?;
            chroot_script(tmp, &hide_python_script(), "hiding python in the image")
        })?;
    }
    if flavor == Flavor::Python && !python_dir.is_dir() {
        log("adding python3 and python3-apt to the image (once)");
        build(&python_dir, |tmp| {
            copy_tree(&base_dir, tmp)?;
            chroot_script(
                tmp,
                &unhide_python_script(),
                "installing python3 in the image",
            )
        })?;
    }
    mark_used(wanted);
    mark_used(&system_dir);
    mark_used(&base_dir);
    remove_unused_images(cache, log);
    Ok(wanted.clone())
}

/// Records that `dir` was used now (its `.used` marker's modification time).
fn mark_used(dir: &Path) {
    let _ = std::fs::write(dir.with_extension("used"), b"");
}

/// How long an image nobody uses is kept (other checkouts may build other recipes).
const KEEP_UNUSED: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Removes images of older recipes that no lab uses and nobody used for a day; called under the
/// cache lock after a build.
fn remove_unused_images(cache: &CachePaths, log: &dyn Fn(&str)) {
    let Ok(entries) = std::fs::read_dir(&cache.root) else {
        return;
    };
    let states: String = std::fs::read_dir(super::paths::STATE_ROOT)
        .map(|labs| {
            labs.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_to_string(e.path().join("state.json")).ok())
                .collect()
        })
        .unwrap_or_default();
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_image = ["system-", "base-"].iter().any(|p| name.starts_with(p))
            && !name.contains('.')
            && path.is_dir();
        if !is_image || states.contains(&path.display().to_string()) {
            continue;
        }
        let used =
            std::fs::metadata(path.with_extension("used")).or_else(|_| std::fs::metadata(&path));
        let idle = used
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .unwrap_or_default();
        if idle > KEEP_UNUSED {
            log(&format!("removing unused image {}", path.display()));
            let _ = std::fs::remove_dir_all(&path);
            let _ = std::fs::remove_file(path.with_extension("used"));
        }
    }
}

/// Builds into `dir.tmp` then renames to `dir`, so a half-built image is never used.
fn build(dir: &Path, f: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = dir.with_extension("tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    if let Some(parent) = tmp.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    f(&tmp)?;
    std::fs::rename(&tmp, dir).map_err(io_err(dir))
}

fn ensure_key(cache: &CachePaths) -> Result<()> {
    let key = cache.key();
    if key.is_file() && cache.key_pub().is_file() {
        return Ok(());
    }
    if let Some(dir) = key.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let _ = std::fs::remove_file(&key);
    let _ = std::fs::remove_file(cache.key_pub());
    run(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "rlab", "-f"])
            .arg(&key),
        "generating the lab key",
    )?;
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    run(
        Command::new("cp")
            .args(["-a", "--reflink=auto"])
            .arg(from)
            .arg(to),
        "copying the image",
    )?;
    Ok(())
}

fn build_system(cache: &CachePaths, tmp: &Path) -> Result<()> {
    let mirror = super::mirror::controller_mirror()?;
    run(
        Command::new("debootstrap")
            .args([
                "--variant=minbase",
                "--include=systemd,systemd-sysv,openssh-server,dbus,iproute2,sudo",
                SUITE,
            ])
            .arg(tmp)
            .arg(&mirror),
        &format!("debootstrap {SUITE} from {mirror}"),
    )?;
    let resolv = tmp.join("etc/resolv.conf");
    let _ = std::fs::remove_file(&resolv);
    std::fs::copy("/etc/resolv.conf", &resolv).map_err(io_err(&resolv))?;
    let key_in = tmp.join("tmp/rlab-key.pub");
    std::fs::copy(cache.key_pub(), &key_in).map_err(io_err(&key_in))?;
    let script = format!(
        r#"set -e
export DEBIAN_FRONTEND=noninteractive
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
apt-get update -q
apt-get install -y -q firewalld libpam-systemd
useradd -m -s /bin/bash deploy
usermod -p '*' deploy
useradd -m -s /bin/bash ops
echo 'ops:{OPS_PASSWORD}' | chpasswd
echo 'deploy ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/rlab-deploy
echo 'ops ALL=(ALL) ALL' > /etc/sudoers.d/rlab-ops
chmod 440 /etc/sudoers.d/rlab-deploy /etc/sudoers.d/rlab-ops
for h in /root /home/deploy /home/ops; do
  mkdir -p $h/.ssh
  cp /tmp/rlab-key.pub $h/.ssh/authorized_keys
  chmod 700 $h/.ssh
  chmod 600 $h/.ssh/authorized_keys
done
chown -R deploy:deploy /home/deploy/.ssh
chown -R ops:ops /home/ops/.ssh
rm -f /tmp/rlab-key.pub /etc/ssh/ssh_host_*
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nUseDNS no\nPermitRootLogin prohibit-password\n' > /etc/ssh/sshd_config.d/rlab.conf
systemctl enable ssh.service firewalld.service
systemctl set-default multi-user.target
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
rm -f /usr/sbin/policy-rc.d
apt-get clean
"#
    );
    chroot_script(tmp, &script, "setting up the base system")
}

fn build_repo(tmp: &Path) -> Result<()> {
    let pkgs = repo_packages().join(" ");
    let download = format!(
        "set -e\nexport DEBIAN_FRONTEND=noninteractive\napt-get update -q\nrm -f /var/cache/apt/archives/*.deb\n\
         for p in {pkgs}; do apt-get install --download-only -y -q $p; done\n\
         mkdir -p /srv/repo\nmv /var/cache/apt/archives/*.deb /srv/repo/\n"
    );
    chroot_script(
        tmp,
        &download,
        "downloading the offline repository packages",
    )?;
    let repo = tmp.join("srv/repo");
    let packages = run(
        Command::new("dpkg-scanpackages")
            .args(["-m", "."])
            .current_dir(&repo),
        "dpkg-scanpackages",
    )?;
    let index = repo.join("Packages");
    std::fs::write(&index, packages).map_err(io_err(&index))?;
    let switch = "set -e\nexport DEBIAN_FRONTEND=noninteractive\nrm -f /etc/apt/sources.list /etc/apt/sources.list.d/*\n\
                  echo 'deb [trusted=yes] file:/srv/repo ./' > /etc/apt/sources.list.d/rlab.list\n\
                  rm -rf /var/lib/apt/lists/*\napt-get update -q\napt-get clean\n";
    chroot_script(
        tmp,
        switch,
        "making the offline repository the only apt source",
    )
}

/// firewalld is written in Python, so the default image cannot lack the interpreter; instead it
/// is moved off PATH (dpkg diversions to [`PRIVATE_PYTHON_DIR`]) and the scripts that need it
/// point there. Nothing on the host finds a `python3`: rplay must not need one.
fn hide_python_script() -> String {
    format!(
        r#"set -e
mkdir -p {dir}
for f in /usr/bin/python3 /usr/bin/python3.11; do
  dpkg-divert --local --rename --divert {dir}/$(basename $f) --add $f >/dev/null
done
for f in /usr/bin/* /usr/sbin/*; do
  if [ -f "$f" ] && head -c 64 "$f" | head -n 1 | grep -q '^#! */usr/bin/python3'; then
    sed -i '1s|^#! */usr/bin/python3\(\.11\)\?|#!{dir}/python3|' "$f"
  fi
done
"#,
        dir = PRIVATE_PYTHON_DIR
    )
}

/// Undoes [`hide_python_script`] and installs python3 and python3-apt from the offline repository.
fn unhide_python_script() -> String {
    format!(
        r#"set -e
export DEBIAN_FRONTEND=noninteractive
for f in /usr/bin/python3 /usr/bin/python3.11; do
  dpkg-divert --local --rename --remove $f >/dev/null
done
ln -sf /usr/bin/python3 {dir}/python3
apt-get install -y -q python3 python3-apt
apt-get clean
"#,
        dir = PRIVATE_PYTHON_DIR
    )
}

/// Runs a shell script (given on stdin) chrooted into `root`, with /dev and /proc mounted in a
/// private mount namespace that disappears with the script.
pub fn chroot_script(root: &Path, script: &str, what: &str) -> Result<()> {
    use std::io::Write;
    let r = root.display();
    let setup = format!(
        "mount --rbind /dev {r}/dev && mount -t proc proc {r}/proc && mount -t sysfs -o ro sysfs {r}/sys && exec chroot {r} /bin/sh -s"
    );
    let mut child = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &setup])
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Command {
            what: what.to_string(),
            detail: format!("cannot start unshare: {e}"),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| Error::Command {
        what: what.to_string(),
        detail: e.to_string(),
    })?;
    if out.status.success() {
        Ok(())
    } else {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Err(Error::Command {
            what: what.to_string(),
            detail: format!("{}: {}", out.status, system::tail(&text, 30)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_list_has_the_required_packages() {
        let p = repo_packages();
        for need in [
            "hello",
            "tree",
            "nginx-light",
            "chrony",
            "python3",
            "python3-apt",
        ] {
            assert!(p.contains(&need), "{need} missing from repo-packages.txt");
        }
        assert!(p.iter().all(|n| !n.contains(' ') && !n.starts_with('#')));
    }

    #[test]
    fn fingerprints_change_with_input() {
        assert_ne!(fingerprint(&["a", "b"]), fingerprint(&["ab"]));
        assert_eq!(fingerprint(&["x"]).len(), 12);
    }
}
