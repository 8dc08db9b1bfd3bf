//! Lab tests of the connection layer (SSH, known_hosts, authentication, become, files, pool):
//! every trial talks to real sshd on rlab hosts through `rplay::connection`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use rplay::connection::{BecomeKeywords, BecomeSpec, ConnectOptions, ConnectionSpec, Pool};
use rplay::secret::Secret;
use rplay_modules::{Command, Content, FileAttrs, Host, HostError};
use serde_json::{json, Map, Value};

use crate::fixture::{self, Lab};

/// Every trial of this area.
pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "connection::key_auth_one_persistent_shell",
            key_auth_one_persistent_shell,
        ),
        Trial::test("connection::run_stdin_env_cwd_rc", run_stdin_env_cwd_rc),
        Trial::test("connection::put_and_get_files", put_and_get_files),
        Trial::test("connection::agent_auth", agent_auth),
        Trial::test("connection::password_auth", password_auth),
        Trial::test("connection::sudo_without_password", sudo_without_password),
        Trial::test("connection::sudo_with_password", sudo_with_password),
        Trial::test(
            "connection::become_unprivileged_user",
            become_unprivileged_user,
        ),
        Trial::test(
            "connection::unknown_host_key_policies",
            unknown_host_key_policies,
        ),
        Trial::test(
            "connection::regenerated_host_key_refused",
            regenerated_host_key_refused,
        ),
        Trial::test(
            "connection::proxy_jump_to_other_host",
            proxy_jump_to_other_host,
        ),
        Trial::test("connection::unreachable_wording", unreachable_wording),
        Trial::test("connection::host_stopped_mid_run", host_stopped_mid_run),
        Trial::test("connection::su_become", su_become),
        Trial::test("connection::local_with_become", local_with_become),
        Trial::test(
            "connection::background_job_and_cleanup",
            background_job_and_cleanup,
        ),
        Trial::test(
            "connection::key_types_and_passphrase",
            key_types_and_passphrase,
        ),
        Trial::test("connection::ssh_config_alias", ssh_config_alias),
        Trial::test("connection::many_hosts_at_once", many_hosts_at_once),
    ]
}

/// The area's main lab: 3 full hosts.
fn lab() -> Result<&'static Lab, Failed> {
    static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
    LAB.get_or_init(|| fixture::start_lab(&format!("conn-{}", fixture::lab_tag()), 3, &[]))
        .as_ref()
        .map_err(|e| Failed::from(e.as_str()))
}

fn runtime() -> Result<tokio::runtime::Runtime, Failed> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(format!("tokio runtime: {e}")))
}

/// Options that ignore the controller user's own ssh config and agent.
fn options() -> ConnectOptions {
    ConnectOptions {
        ssh_config_file: Some("/dev/null".into()),
        retries: 0,
        ..ConnectOptions::default()
    }
}

/// Connection variables of `host` as the lab inventory gives them, for `user`, plus `extra`.
fn vars(lab: &Lab, host: &str, user: &str, extra: Value) -> Result<Map<String, Value>, Failed> {
    let mut v = Map::new();
    v.insert("ansible_host".into(), json!("127.0.0.1"));
    v.insert("ansible_port".into(), json!(lab.port(host)?));
    v.insert("ansible_user".into(), json!(user));
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
    if let Value::Object(m) = extra {
        for (k, val) in m {
            v.insert(k, val);
        }
    }
    Ok(v)
}

fn spec(lab: &Lab, host: &str, user: &str, extra: Value) -> Result<ConnectionSpec, Failed> {
    ConnectionSpec::from_vars(host, &vars(lab, host, user, extra)?, &options())
        .map_err(|e| Failed::from(e.to_string()))
}

fn become_to(user: &str, password: Option<&str>) -> BecomeSpec {
    let kw = BecomeKeywords {
        become_: Some(true),
        become_user: Some(user.into()),
        ..Default::default()
    };
    let mut v = Map::new();
    if let Some(p) = password {
        v.insert("ansible_become_password".into(), json!(p));
    }
    match BecomeSpec::resolve("h", &v, &kw, &options()) {
        Ok(Some(b)) => b,
        _ => BecomeSpec {
            method: rplay::connection::BecomeMethod::Sudo,
            user: user.into(),
            password: password.map(|p| Secret::new(p.to_string())),
            exe: None,
            flags: None,
        },
    }
}

async fn sh(host: &dyn Host, script: &str) -> Result<String, Failed> {
    let out = host
        .run(Command::new(script))
        .await
        .map_err(|e| Failed::from(format!("{script}: {e}")))?;
    if out.rc != 0 {
        return Err(format!("{script}: rc {} stderr {}", out.rc, out.stderr_str()).into());
    }
    Ok(out.stdout_str().trim().to_string())
}

fn ensure(cond: bool, msg: impl Into<String>) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(Failed::from(msg.into()))
    }
}

fn key_auth_one_persistent_shell() -> Result<(), Failed> {
    let lab = lab()?;
    runtime()?.block_on(async {
        let pool = Pool::new();
        let s = spec(lab, "h1", "root", json!({}))?;
        let host = pool.host(&s, None).await?;
        ensure(sh(&*host, "id -un").await? == "root", "login user is root")?;
        ensure(sh(&*host, "hostname").await? == "h1", "talks to h1")?;
        // Both scripts run under the same long-lived shell (their parent), over one connection.
        let p1 = sh(&*host, "echo $$").await?;
        let again = pool.host(&s, None).await?;
        let p2 = sh(&*again, "echo $$").await?;
        ensure(p1 == p2, format!("one persistent shell: {p1} vs {p2}"))?;
        let conns = sh(&*host, "ps -e -o comm= | grep -c '^sshd' || true").await?;
        ensure(pool.len() == 1, "one pool entry")?;
        pool.close_all().await;
        ensure(!conns.is_empty(), "ps works")?;
        Ok(())
    })
}

fn run_stdin_env_cwd_rc() -> Result<(), Failed> {
    let lab = lab()?;
    runtime()?.block_on(async {
        let pool = Pool::new();
        let host = pool.host(&spec(lab, "h1", "root", json!({}))?, None).await?;
        let out = host
            .run(Command {
                script: "read -r line; printf '%s|%s|%s' \"$line\" \"$GREETING\" \"$(pwd)\"; echo oops >&2; exit 7".into(),
                stdin: Some(b"from stdin\n".to_vec()),
                env: vec![("GREETING".into(), "it's here".into())],
                cwd: Some("/tmp".into()),
            })
            .await?;
        ensure(out.rc == 7, format!("rc 7, got {}", out.rc))?;
        ensure(out.stdout_str() == "from stdin|it's here|/tmp", format!("stdout {:?}", out.stdout_str()))?;
        ensure(out.stderr_str() == "oops\n", format!("stderr {:?}", out.stderr_str()))?;
        // A script that exits or breaks syntax does not hurt the session.
        let bad = host.run(Command::new("echo 'unterminated")).await?;
        ensure(bad.rc == 2, format!("syntax error rc {}", bad.rc))?;
        ensure(sh(&*host, "echo still-alive").await? == "still-alive", "session survives")?;
        // A request abandoned midway (a task timeout drops the future) retires its shell; the
        // next request gets a fresh one instead of queueing behind the abandoned script.
        let before = sh(&*host, "echo $$").await?;
        let abandoned = tokio::time::timeout(
            Duration::from_millis(300),
            host.run(Command::new("sleep 30")),
        )
        .await;
        ensure(abandoned.is_err(), "sleep 30 was abandoned")?;
        let after = sh(&*host, "echo $$").await?;
        ensure(before != after, format!("a new shell answers ({before} -> {after})"))?;
        pool.close_all().await;
        Ok(())
    })
}

fn put_and_get_files() -> Result<(), Failed> {
    let lab = lab()?;
    runtime()?.block_on(async {
        let pool = Pool::new();
        let host = pool.host(&spec(lab, "h1", "root", json!({}))?, None).await?;
        sh(&*host, "rm -rf /tmp/conn-put && mkdir /tmp/conn-put").await?;
        // In memory, with attributes.
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let attrs = FileAttrs {
            mode: Some("0640".into()),
            owner: Some("deploy".into()),
            group: Some("ops".into()),
        };
        host.put_file("/tmp/conn-put/a.bin", Content::Bytes(data.clone()), &attrs).await?;
        let st = sh(&*host, "stat -c '%a %U %G %s' /tmp/conn-put/a.bin").await?;
        ensure(st == "640 deploy ops 3000000", format!("attrs: {st}"))?;
        let back = host.get_file("/tmp/conn-put/a.bin").await?;
        ensure(back == data, "get_file returns the bytes put")?;
        // Streamed from a local file, replacing: keeps the existing mode and owner.
        let local = tempfile::NamedTempFile::new().map_err(|e| Failed::from(e.to_string()))?;
        let big: Vec<u8> = (0..5_000_000u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(local.path(), &big).map_err(|e| Failed::from(e.to_string()))?;
        host.put_file("/tmp/conn-put/a.bin", Content::LocalFile(local.path().to_path_buf()), &FileAttrs::default())
            .await?;
        let st = sh(&*host, "stat -c '%a %U %G %s' /tmp/conn-put/a.bin; ls -A /tmp/conn-put | wc -l").await?;
        ensure(st == "640 deploy ops 5000000\n1", format!("replace keeps attrs, no temp left: {st:?}"))?;
        let sum_remote = sh(&*host, "sha256sum < /tmp/conn-put/a.bin | cut -d' ' -f1").await?;
        let sum_local = sha256_hex(&big);
        ensure(sum_remote == sum_local, "streamed content intact")?;
        // A new file without attributes gets 0644 (umask 022); empty content works.
        host.put_file("/tmp/conn-put/empty", Content::Bytes(Vec::new()), &FileAttrs::default()).await?;
        ensure(sh(&*host, "stat -c '%a %s' /tmp/conn-put/empty").await? == "644 0", "new file mode")?;
        // Errors name the path and leave nothing behind.
        let err = host
            .put_file("/tmp/conn-put/f", Content::Bytes(b"x".to_vec()), &FileAttrs { owner: Some("nosuchuser".into()), ..Default::default() })
            .await;
        ensure(matches!(&err, Err(HostError::Io(m)) if m.contains("/tmp/conn-put/f") && m.contains("nosuchuser")), format!("{err:?}"))?;
        ensure(sh(&*host, "ls -A /tmp/conn-put").await? == "a.bin\nempty", "failed put cleaned up")?;
        let missing = host.get_file("/nonexistent/file").await;
        ensure(matches!(&missing, Err(HostError::Io(m)) if m.contains("No such file")), format!("{missing:?}"))?;
        pool.close_all().await;
        Ok(())
    })
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

fn agent_auth() -> Result<(), Failed> {
    let lab = lab()?;
    let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let sock = dir.path().join("agent.sock");
    let agent = fixture::run_with_input(
        std::process::Command::new("ssh-agent").arg("-a").arg(&sock),
        None,
    );
    ensure(agent.rc == 0, format!("ssh-agent: {}", agent.stderr))?;
    let pid = agent
        .stdout
        .split("SSH_AGENT_PID=")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .unwrap_or("")
        .to_string();
    let result = (|| {
        let add = fixture::run_with_input(
            std::process::Command::new("ssh-add")
                .arg(&lab.key)
                .env("SSH_AUTH_SOCK", &sock),
            None,
        );
        ensure(add.rc == 0, format!("ssh-add: {}", add.stderr))?;
        runtime()?.block_on(async {
            let pool = Pool::new();
            let s = spec(
                lab,
                "h2",
                "deploy",
                json!({
                    "ansible_ssh_private_key_file": "/nonexistent/key",
                    "ansible_ssh_common_args": format!("-o UserKnownHostsFile={} -o IdentityAgent={}", lab.known_hosts.display(), sock.display()),
                }),
            )?;
            let host = pool.host(&s, None).await?;
            ensure(sh(&*host, "id -un").await? == "deploy", "agent key logs in as deploy")?;
            pool.close_all().await;
            Ok(())
        })
    })();
    if !pid.is_empty() {
        let _ = std::process::Command::new("kill").arg(&pid).status();
    }
    result
}

fn password_auth() -> Result<(), Failed> {
    let lab = lab()?;
    runtime()?.block_on(async {
        let pool = Pool::new();
        let no_key = json!({"ansible_ssh_private_key_file": "/nonexistent/key", "ansible_password": fixture::OPS_PASSWORD});
        let host = pool.host(&spec(lab, "h1", "ops", no_key)?, None).await?;
        ensure(sh(&*host, "id -un").await? == "ops", "password login as ops")?;
        let wrong = json!({"ansible_ssh_private_key_file": "/nonexistent/key", "ansible_password": "wrong-password"});
        let err = pool.host(&spec(lab, "h2", "ops", wrong)?, None).await.err();
        match err {
            Some(HostError::Unreachable(m)) => ensure(
                m.starts_with("Failed to connect to the host via ssh: ops@127.0.0.1: Permission denied (")
                    && !m.contains("wrong-password"),
                m,
            )?,
            other => return Err(format!("expected UNREACHABLE, got {other:?}").into()),
        }
        pool.close_all().await;
        Ok(())
    })
}

fn sudo_without_password() -> Result<(), Failed> {
    let lab = lab()?;
    runtime()?.block_on(async {
        let pool = Pool::new();
        let s = spec(lab, "h2", "deploy", json!({}))?;
        let root = pool.host(&s, Some(&become_to("root", None))).await?;
        ensure(sh(&*root, "id -u").await? == "0", "deploy becomes root")?;
        let plain = pool.host(&s, None).await?;
        ensure(
            sh(&*plain, "id -un").await? == "deploy",
            "without become still deploy",
        )?;
        // The become shell persists: the same sudo'd shell answers twice.
        let a = sh(&*root, "echo $$").await?;
        let b = sh(&*root, "echo $$").await?;
        ensure(a == b, "one become shell per user")?;
        pool.close_all().await;
        Ok(())
    })
}

fn sudo_with_password() -> Result<(), Failed> {
    let lab = lab()?;
    runtime()?.block_on(async {
        let pool = Pool::new();
        let s = spec(lab, "h3", "ops", json!({}))?;
        let missing = pool.host(&s, Some(&become_to("root", None))).await?;
        let e = missing.run(Command::new("id -u")).await.err();
        ensure(
            matches!(&e, Some(HostError::Become(m)) if m == "Missing sudo password"),
            format!("{e:?}"),
        )?;
        let wrong = pool
            .host(&s, Some(&become_to("root", Some("not-the-password"))))
            .await?;
        let e = wrong.run(Command::new("id -u")).await.err();
        ensure(
            matches!(&e, Some(HostError::Become(m)) if m == "Incorrect sudo password"),
            format!("{e:?}"),
        )?;
        let good = pool
            .host(&s, Some(&become_to("root", Some(fixture::OPS_PASSWORD))))
            .await?;
        ensure(
            sh(&*good, "id -u").await? == "0",
            "ops becomes root with its password",
        )?;
        // The password never shows up in any process's arguments on the host.
        let ps = sh(&*good, "ps -e -o args=").await?;
        ensure(!ps.contains(fixture::OPS_PASSWORD), "password not in argv")?;
        pool.close_all().await;
        Ok(())
    })
}

fn become_unprivileged_user() -> Result<(), Failed> {
    let lab = lab()?;
    runtime()?.block_on(async {
        let pool = Pool::new();
        let s = spec(lab, "h1", "root", json!({}))?;
        let deploy = pool.host(&s, Some(&become_to("deploy", None))).await?;
        ensure(
            sh(&*deploy, "id -un").await? == "deploy",
            "root becomes deploy",
        )?;
        deploy
            .put_file(
                "/home/deploy/secret.txt",
                Content::Bytes(b"only for deploy\n".to_vec()),
                &FileAttrs {
                    mode: Some("0600".into()),
                    ..Default::default()
                },
            )
            .await?;
        let st = sh(
            &*deploy,
            "stat -c '%U %a' /home/deploy/secret.txt; cat /home/deploy/secret.txt",
        )
        .await?;
        ensure(st == "deploy 600\nonly for deploy", format!("{st:?}"))?;
        // ops (password sudo) to deploy, files written by deploy itself.
        let o = spec(lab, "h1", "ops", json!({}))?;
        let via_ops = pool
            .host(&o, Some(&become_to("deploy", Some(fixture::OPS_PASSWORD))))
            .await?;
        via_ops
            .put_file(
                "/home/deploy/from-ops.txt",
                Content::Bytes(b"x".to_vec()),
                &FileAttrs::default(),
            )
            .await?;
        let st = sh(&*via_ops, "id -un; stat -c '%U' /home/deploy/from-ops.txt").await?;
        ensure(st == "deploy\ndeploy", format!("{st:?}"))?;
        pool.close_all().await;
        Ok(())
    })
}

fn known_hosts_without(lab: &Lab, port: u16) -> Result<String, Failed> {
    let text =
        std::fs::read_to_string(&lab.known_hosts).map_err(|e| Failed::from(e.to_string()))?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with(&format!("[127.0.0.1]:{port} ")))
        .map(|l| format!("{l}\n"))
        .collect())
}

fn unknown_host_key_policies() -> Result<(), Failed> {
    let lab = lab()?;
    let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let kh = dir.path().join("known_hosts");
    let port = lab.port("h2")?;
    std::fs::write(&kh, known_hosts_without(lab, port)?)
        .map_err(|e| Failed::from(e.to_string()))?;
    let args = |policy: &str| json!({"ansible_ssh_common_args": format!("-o UserKnownHostsFile={} -o StrictHostKeyChecking={policy} -o IdentityAgent=none", kh.display())});
    runtime()?.block_on(async {
        let pool = Pool::new();
        let e = pool
            .host(&spec(lab, "h2", "root", args("yes"))?, None)
            .await
            .err();
        match &e {
            Some(HostError::Unreachable(m)) => ensure(
                m.contains("Host key verification failed")
                    && m.contains(&format!("[127.0.0.1]:{port}"))
                    && m.contains("SHA256:")
                    && m.contains("accept-new"),
                m.clone(),
            )?,
            other => return Err(format!("unknown key must be refused: {other:?}").into()),
        }
        // host_key_checking = False: connects, records nothing.
        let mut o = options();
        o.host_key_checking = false;
        let s = ConnectionSpec::from_vars("h2", &vars(lab, "h2", "root", args("yes"))?, &o)
            .map_err(|e| Failed::from(e.to_string()))?;
        let h = pool.host(&s, None).await?;
        ensure(sh(&*h, "hostname").await? == "h2", "connected")?;
        let before = std::fs::read_to_string(&kh).unwrap_or_default();
        ensure(
            !before.contains(&format!("[127.0.0.1]:{port} ")),
            "not recorded",
        )?;
        // accept-new: connects and records.
        let pool2 = Pool::new();
        let h = pool2
            .host(&spec(lab, "h2", "root", args("accept-new"))?, None)
            .await?;
        ensure(sh(&*h, "hostname").await? == "h2", "connected")?;
        let after = std::fs::read_to_string(&kh).unwrap_or_default();
        ensure(
            after.contains(&format!("[127.0.0.1]:{port} ssh-ed25519 ")),
            "recorded",
        )?;
        pool.close_all().await;
        pool2.close_all().await;
        Ok(())
    })
}

fn regenerated_host_key_refused() -> Result<(), Failed> {
    let name = format!("connhk-{}", fixture::lab_tag());
    let lab = fixture::start_lab(&name, 1, &[]).map_err(Failed::from)?;
    let result = (|| {
        let old_fp = fixture::run_with_input(
            std::process::Command::new("ssh-keygen")
                .arg("-l")
                .arg("-f")
                .arg(&lab.known_hosts),
            None,
        );
        lab.check("h1", "rm -f /etc/ssh/ssh_host_*key*; ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && (systemctl restart ssh || systemctl restart sshd)")
            .map_err(Failed::from)?;
        let old = old_fp
            .stdout
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_string();
        ensure(
            old.starts_with("SHA256:"),
            format!("old fingerprint: {}", old_fp.stdout),
        )?;
        runtime()?.block_on(async {
            let pool = Pool::new();
            let mut o = options();
            o.host_key_checking = false; // even then, a changed key is refused
            let s = ConnectionSpec::from_vars("h1", &vars(&lab, "h1", "root", json!({}))?, &o)
                .map_err(|e| Failed::from(e.to_string()))?;
            let mut e = None;
            for _ in 0..50 {
                match pool.host(&s, None).await {
                    Err(HostError::Unreachable(m)) if m.contains("refused") => {
                        tokio::time::sleep(Duration::from_millis(200)).await
                    }
                    other => {
                        e = Some(other.err());
                        break;
                    }
                }
            }
            match e.flatten() {
                Some(HostError::Unreachable(m)) => {
                    let fps = m.matches("SHA256:").count();
                    ensure(
                        m.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
                            && m.contains("h1")
                            && m.contains(&old)
                            && fps == 2,
                        m,
                    )
                }
                other => Err(format!("changed key must be refused: {other:?}").into()),
            }
        })
    })();
    let _ = fixture::stop_lab(&name);
    result
}

fn proxy_jump_to_other_host() -> Result<(), Failed> {
    let lab = lab()?;
    rplay::lab::system::ensure_programs(&[("socat", "socat")])
        .map_err(|e| Failed::from(e.to_string()))?;
    // Inside h1's network namespace, port 2202 leads to h3's sshd (the lab isolates hosts, so
    // the test builds the route a bastion would have).
    let h1_ns = format!("rlab-{}-h1", lab.name);
    let h3_ns = format!("rlab-{}-h3", lab.name);
    let mut route = std::process::Command::new("ip")
        .args(["netns", "exec", &h1_ns, "socat"])
        .arg("TCP-LISTEN:2202,bind=127.0.0.1,reuseaddr,fork")
        .arg(format!(
            "EXEC:ip netns exec {h3_ns} socat STDIO TCP\\:127.0.0.1\\:22"
        ))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| Failed::from(format!("socat: {e}")))?;
    let result = (|| {
        let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
        let kh = dir.path().join("known_hosts");
        let lab_kh =
            std::fs::read_to_string(&lab.known_hosts).map_err(|e| Failed::from(e.to_string()))?;
        let h3_key = lab_kh
            .lines()
            .find(|l| l.starts_with(&format!("[127.0.0.1]:{} ", lab.port("h3").unwrap_or(0))))
            .and_then(|l| l.split_once(' ').map(|(_, k)| k.to_string()))
            .ok_or_else(|| Failed::from("h3 key not in the lab known_hosts"))?;
        std::fs::write(&kh, format!("{lab_kh}[127.0.0.1]:2202 {h3_key}\n"))
            .map_err(|e| Failed::from(e.to_string()))?;
        runtime()?.block_on(async {
            let pool = Pool::new();
            let v = json!({
                "ansible_port": 2202,
                "ansible_ssh_common_args": format!("-o UserKnownHostsFile={} -o IdentityAgent=none -J root@127.0.0.1:{}", kh.display(), lab.port("h1")?),
            });
            let mut s = None;
            for _ in 0..50 {
                let spec = spec(lab, "h3", "root", v.clone())?;
                match pool.host(&spec, None).await {
                    Ok(h) => {
                        s = Some(h);
                        break;
                    }
                    Err(e) if e.to_string().contains("open failed") => tokio::time::sleep(Duration::from_millis(100)).await,
                    Err(e) => return Err(Failed::from(e.to_string())),
                }
            }
            let host = s.ok_or_else(|| Failed::from("route through h1 never came up"))?;
            ensure(sh(&*host, "hostname").await? == "h3", "reached h3 through h1")?;
            // A second host behind the same bastion (here: h3 as deploy) shares its connection.
            let deploy = spec(lab, "h3", "deploy", v.clone())?;
            let other = pool.host(&deploy, None).await?;
            ensure(sh(&*other, "id -un; hostname").await? == "deploy\nh3", "deploy on h3 through h1")?;
            ensure(pool.jump_connections() == 1, format!("one bastion connection, got {}", pool.jump_connections()))?;
            let who = sh(&*host, "echo $SSH_CONNECTION | cut -d' ' -f1").await?;
            ensure(who == "127.0.0.1", format!("came from the jump host's side: {who}"))?;
            pool.close_all().await;
            Ok(())
        })
    })();
    let _ = route.kill();
    let _ = route.wait();
    result
}

fn unreachable_wording() -> Result<(), Failed> {
    let lab = lab()?;
    runtime()?.block_on(async {
        let pool = Pool::new();
        // Refused: a closed port.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| Failed::from(e.to_string()))?;
            l.local_addr().map_err(|e| Failed::from(e.to_string()))?.port()
        };
        let e = pool.host(&spec(lab, "h1", "root", json!({"ansible_port": closed}))?, None).await.err();
        ensure(
            matches!(&e, Some(HostError::Unreachable(m)) if m == &format!("Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 port {closed}: Connection refused")),
            format!("{e:?}"),
        )?;
        let e = pool.host(&spec(lab, "h1", "root", json!({"ansible_host": "no-such-host.invalid"}))?, None).await.err();
        ensure(
            matches!(&e, Some(HostError::Unreachable(m)) if m.starts_with("Failed to connect to the host via ssh: ssh: Could not resolve hostname no-such-host.invalid")),
            format!("{e:?}"),
        )?;
        let e = pool.host(&spec(lab, "h1", "nosuchuser", json!({}))?, None).await.err();
        ensure(
            matches!(&e, Some(HostError::Unreachable(m)) if m.starts_with("Failed to connect to the host via ssh: nosuchuser@127.0.0.1: Permission denied (publickey")),
            format!("{e:?}"),
        )?;
        Ok(())
    })
}

fn host_stopped_mid_run() -> Result<(), Failed> {
    let name = format!("conndrop-{}", fixture::lab_tag());
    let lab = fixture::start_lab(&name, 3, &["--light"]).map_err(Failed::from)?;
    let result = runtime()?.block_on(async {
        let pool = Pool::new();
        let mut hosts = Vec::new();
        for h in &lab.hosts {
            hosts.push(pool.host(&spec(&lab, h, "root", json!({}))?, None).await?);
        }
        for h in &hosts {
            sh(&**h, "true").await?;
        }
        // Every process of h2 (its sshd, sessions and shells) dies mid-run: the host is gone.
        // Light hosts share the controller's PID namespace, so only h2's network namespace is
        // searched for them.
        let ns = format!("rlab-{}-h2", lab.name);
        let pids = fixture::run_with_input(
            std::process::Command::new("ip").args(["netns", "pids", &ns]),
            None,
        );
        ensure(
            pids.rc == 0 && !pids.stdout.trim().is_empty(),
            format!("pids of {ns}: {}", pids.stderr),
        )?;
        for pid in pids.stdout.split_whitespace() {
            let _ = std::process::Command::new("kill")
                .args(["-9", pid])
                .status();
        }
        let mut results = Vec::new();
        for h in &hosts {
            results.push(h.run(Command::new("hostname")).await);
        }
        match &results[1] {
            Err(HostError::Unreachable(m)) => ensure(
                m.starts_with("Failed to connect to the host via ssh: "),
                m.clone(),
            )?,
            other => return Err(format!("h2 must be UNREACHABLE, got {other:?}").into()),
        }
        for (i, name) in [(0, "h1"), (2, "h3")] {
            match &results[i] {
                Ok(o) => ensure(
                    o.stdout_str().trim() == name,
                    format!("{name}: {:?}", o.stdout_str()),
                )?,
                Err(e) => return Err(format!("{name} must go on: {e}").into()),
            }
        }
        pool.close_all().await;
        Ok(())
    });
    let _ = fixture::stop_lab(&name);
    result
}

fn many_hosts_at_once() -> Result<(), Failed> {
    let count = 200;
    let name = format!("connmany-{}", fixture::lab_tag());
    let lab = fixture::start_lab(&name, count, &["--light"]).map_err(Failed::from)?;
    let result = (|| {
        rplay::connection::raise_fd_limit().map_err(|e| Failed::from(e.to_string()))?;
        runtime()?.block_on(async {
            let pool = Arc::new(Pool::new());
            let mut tasks = Vec::new();
            for h in lab.hosts.clone() {
                let s = spec(&lab, &h, "root", json!({}))?;
                let pool = pool.clone();
                tasks.push(tokio::spawn(async move {
                    let host = pool.host(&s, None).await?;
                    let out = host.run(Command::new("hostname")).await?;
                    Ok::<_, HostError>((h, out.stdout_str().trim().to_string()))
                }));
            }
            let mut ok = 0;
            for t in tasks {
                match t.await {
                    Ok(Ok((h, got))) if h == got => ok += 1,
                    Ok(Ok((h, got))) => return Err(format!("{h} answered as {got}").into()),
                    Ok(Err(e)) => return Err(format!("{e}").into()),
                    Err(e) => return Err(format!("join: {e}").into()),
                }
            }
            ensure(ok == count, format!("{ok} of {count} hosts answered"))?;
            pool.close_all().await;
            Ok(())
        })
    })();
    let _ = fixture::stop_lab(&name);
    result
}

fn su_become() -> Result<(), Failed> {
    let lab = lab()?;
    let su = |user: &str, password: Option<&str>| BecomeSpec {
        method: rplay::connection::BecomeMethod::Su,
        user: user.into(),
        password: password.map(|p| Secret::new(p.to_string())),
        exe: None,
        flags: None,
    };
    runtime()?.block_on(async {
        let pool = Pool::new();
        let root = spec(lab, "h2", "root", json!({}))?;
        let deploy = pool.host(&root, Some(&su("deploy", None))).await?;
        ensure(
            sh(&*deploy, "id -un").await? == "deploy",
            "root su's to deploy",
        )?;
        let ops = spec(lab, "h2", "ops", json!({}))?;
        let wrong = pool
            .host(&ops, Some(&su("root", Some("not-root-password"))))
            .await?;
        let e = wrong.run(Command::new("id -u")).await.err();
        ensure(
            matches!(&e, Some(HostError::Become(m)) if m == "Incorrect su password"),
            format!("{e:?}"),
        )?;
        pool.close_all().await;
        Ok(())
    })
}

fn local_with_become() -> Result<(), Failed> {
    // connection: local with become runs a local shell under sudo (root to root here, so no
    // password and nothing changes on the controller).
    rplay::lab::system::ensure_programs(&[("sudo", "sudo")])
        .map_err(|e| Failed::from(e.to_string()))?;
    runtime()?.block_on(async {
        let pool = Pool::new();
        let v = json!({"ansible_connection": "local"});
        let s = ConnectionSpec::from_vars(
            "localhost",
            v.as_object().unwrap_or(&Map::new()),
            &options(),
        )
        .map_err(|e| Failed::from(e.to_string()))?;
        let plain = pool.host(&s, None).await?;
        let me = sh(&*plain, "id -un").await?;
        let root = pool.host(&s, Some(&become_to("root", None))).await?;
        ensure(sh(&*root, "id -u").await? == "0", "local become root")?;
        let out = root
            .run(Command {
                script: "cat; exit 4".into(),
                stdin: Some(b"through sudo".to_vec()),
                ..Default::default()
            })
            .await?;
        ensure(
            out.rc == 4 && out.stdout == b"through sudo",
            format!("{out:?}"),
        )?;
        ensure(!me.is_empty(), "local user known")?;
        pool.close_all().await;
        Ok(())
    })
}

fn background_job_and_cleanup() -> Result<(), Failed> {
    let lab = lab()?;
    runtime()?.block_on(async {
        let pool = Pool::new();
        let s = spec(lab, "h3", "root", json!({}))?;
        let host = pool.host(&s, None).await?;
        // A job left running with the script's stdout does not hold the response back.
        let out = sh(&*host, "sleep 300 & echo started").await?;
        ensure(out == "started", format!("{out:?}"))?;
        ensure(
            sh(&*host, "echo next").await? == "next",
            "next request answered",
        )?;
        let dirs = sh(&*host, "ls -d /tmp/.rplay-* | wc -l").await?;
        ensure(
            dirs == "1",
            format!("one private directory while connected: {dirs}"),
        )?;
        sh(&*host, "pkill -x sleep || true").await?;
        pool.close_all().await;
        // When the shell ends, its private directory goes with it.
        let pool = Pool::new();
        let host = pool.host(&s, None).await?;
        let mut left = String::new();
        for _ in 0..50 {
            left = sh(&*host, "ls -d /tmp/.rplay-* | wc -l").await?;
            if left == "1" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        ensure(
            left == "1",
            format!("previous shell's directory removed: {left}"),
        )?;
        pool.close_all().await;
        Ok(())
    })
}

/// A prompt that answers with a fixed passphrase and counts its calls.
struct FixedPassphrase(String, std::sync::atomic::AtomicUsize);

impl rplay::connection::PassphrasePrompt for FixedPassphrase {
    fn passphrase(&self, _key_file: &std::path::Path) -> Option<Secret> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(Secret::new(self.0.clone()))
    }
}

fn key_types_and_passphrase() -> Result<(), Failed> {
    let lab = lab()?;
    let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let mut keys = Vec::new();
    for (name, args) in [
        ("rsa", vec!["-t", "rsa", "-b", "2048", "-N", ""]),
        ("ecdsa", vec!["-t", "ecdsa", "-N", ""]),
        ("ed25519_enc", vec!["-t", "ed25519", "-N", "open sesame"]),
    ] {
        let path = dir.path().join(name);
        let out = fixture::run_with_input(
            std::process::Command::new("ssh-keygen")
                .args(["-q", "-C", &format!("rplay-test-{name}"), "-f"])
                .arg(&path)
                .args(&args),
            None,
        );
        ensure(out.rc == 0, format!("ssh-keygen {name}: {}", out.stderr))?;
        let public = std::fs::read_to_string(path.with_extension("pub"))
            .or_else(|_| std::fs::read_to_string(format!("{}.pub", path.display())))
            .map_err(|e| Failed::from(e.to_string()))?;
        lab.check(
            "h2",
            &format!(
                "echo {} >> /home/deploy/.ssh/authorized_keys",
                shell_words::quote(public.trim())
            ),
        )
        .map_err(Failed::from)?;
        keys.push((name, path));
    }
    runtime()?.block_on(async {
        for (name, path) in &keys {
            let pool = Pool::new();
            let mut o = options();
            let prompt = Arc::new(FixedPassphrase("open sesame".into(), Default::default()));
            o.passphrase_prompt = Some(prompt.clone());
            let v = vars(
                lab,
                "h2",
                "deploy",
                json!({"ansible_ssh_private_key_file": path.display().to_string()}),
            )?;
            let s =
                ConnectionSpec::from_vars("h2", &v, &o).map_err(|e| Failed::from(e.to_string()))?;
            let host = pool
                .host(&s, None)
                .await
                .map_err(|e| Failed::from(format!("{name}: {e}")))?;
            ensure(
                sh(&*host, "id -un").await? == "deploy",
                format!("{name} key logs in"),
            )?;
            let asked = prompt.1.load(std::sync::atomic::Ordering::SeqCst);
            ensure(
                (*name == "ed25519_enc") == (asked == 1),
                format!("{name}: passphrase asked {asked} times"),
            )?;
            pool.close_all().await;
        }
        Ok(())
    })
}

fn ssh_config_alias() -> Result<(), Failed> {
    let lab = lab()?;
    let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "Host web-*\n  User deploy\n\nHost web-h3\n  HostName 127.0.0.1\n  Port {}\n  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile {}\n\nHost *\n  Port 1\n  User nobody\n",
            lab.port("h3")?,
            lab.key.display(),
            lab.known_hosts.display()
        ),
    )
    .map_err(|e| Failed::from(e.to_string()))?;
    let o = ConnectOptions {
        ssh_config_file: Some(config),
        ..options()
    };
    runtime()?.block_on(async {
        let pool = Pool::new();
        // Nothing but the name in the inventory: address, port, user and key come from the
        // ssh config, first matching value winning.
        let s = ConnectionSpec::from_vars("web-h3", &Map::new(), &o)
            .map_err(|e| Failed::from(e.to_string()))?;
        let host = pool.host(&s, None).await?;
        let who = sh(&*host, "echo $(id -un)@$(hostname)").await?;
        ensure(who == "deploy@h3", who)?;
        pool.close_all().await;
        Ok(())
    })
}
