//! Privilege escalation (become) for a whole shell: the shell of a (host, become user) pair is
//! started under `sudo` or `su` once, and every later request runs in it without asking again.
//! The password is written to sudo's/su's standard input when it prompts, never into argv or the
//! environment. Wording of failures follows Ansible (`Missing sudo password`,
//! `Incorrect sudo password`, `Timeout (Ns) waiting for privilege escalation prompt`).

use std::time::Duration;

use super::error::ConnectError;
use super::protocol::{quote, Marker};
use super::shell::{Event, ShellIo};
use super::spec::{BecomeMethod, BecomeSpec};

/// The command that starts the shell as the become user and announces success with a marker.
pub(crate) fn become_command(b: &BecomeSpec, m: &Marker) -> String {
    let inner = format!("echo BECOME-SUCCESS-{}; exec /bin/sh", m.as_str());
    match b.method {
        BecomeMethod::Sudo => {
            let exe = b.exe.clone().unwrap_or_else(|| "sudo".into());
            let mut flags: Vec<String> = match &b.flags {
                Some(f) => shell_words::split(f).unwrap_or_else(|_| vec![f.clone()]),
                None => vec!["-H".into(), "-S".into(), "-n".into()],
            };
            if b.password.is_some() {
                // We answer the prompt, so sudo may ask.
                flags.retain(|f| f != "-n" && f != "--non-interactive");
            }
            if !flags.iter().any(|f| f == "-S" || f == "--stdin") {
                flags.push("-S".into());
            }
            let flags: Vec<String> = flags.iter().map(|f| quote(f)).collect();
            format!(
                "{} {} -p {} -u {} /bin/sh -c {}",
                quote(&exe),
                flags.join(" "),
                quote(&sudo_prompt(m)),
                quote(&b.user),
                quote(&inner)
            )
        }
        BecomeMethod::Su => {
            let exe = b.exe.clone().unwrap_or_else(|| "su".into());
            let flags = b.flags.clone().unwrap_or_default();
            format!(
                "{} {} {} -c {}",
                quote(&exe),
                flags,
                quote(&b.user),
                quote(&format!("/bin/sh -c {}", quote(&inner)))
            )
        }
    }
}

fn sudo_prompt(m: &Marker) -> String {
    format!("[sudo via rplay, key={}] password:", m.as_str())
}

fn method_name(b: &BecomeSpec) -> &'static str {
    match b.method {
        BecomeMethod::Sudo => "sudo",
        BecomeMethod::Su => "su",
    }
}

/// True when the text received so far ends with a password prompt of `su` (any language that
/// says "assword", as Ansible's default prompt list does for the common locales).
fn su_prompted(text: &str) -> bool {
    let last = text.rsplit('\n').next().unwrap_or("").trim_end();
    let lower = last.to_lowercase();
    (lower.contains("assword") || lower.contains("passwort") || lower.contains("mot de passe"))
        && (last.ends_with(':') || last.ends_with('：'))
}

/// Waits until the shell started by [`become_command`] is ready, answering password prompts.
pub(crate) async fn await_ready(
    io: &mut ShellIo,
    b: &BecomeSpec,
    m: &Marker,
    timeout: Duration,
) -> Result<(), ConnectError> {
    let success = format!("BECOME-SUCCESS-{}", m.as_str());
    let prompt = sudo_prompt(m);
    let method = method_name(b);
    let (mut out, mut err) = (String::new(), String::new());
    let mut prompts = 0usize;
    let mut consumed = 0usize; // how much of the prompt stream was already answered
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let ev = match tokio::time::timeout_at(deadline, io.recv()).await {
            Ok(ev) => ev,
            Err(_) => {
                io.close().await;
                return Err(ConnectError::Become(format!(
                    "Timeout ({}s) waiting for privilege escalation prompt: {}",
                    timeout.as_secs(),
                    err.trim()
                )));
            }
        };
        match ev {
            Event::Stdout(d) => out.push_str(&String::from_utf8_lossy(&d)),
            Event::Stderr(d) => err.push_str(&String::from_utf8_lossy(&d)),
            Event::Exit | Event::Closed => {
                return Err(ConnectError::Become(explain_failure(method, &err, &out)));
            }
        }
        if out.contains(&success) {
            return Ok(());
        }
        let prompted = match b.method {
            BecomeMethod::Sudo => {
                let n = err.matches(&prompt).count();
                if n > prompts {
                    prompts = n;
                    true
                } else {
                    false
                }
            }
            BecomeMethod::Su => {
                let both = format!("{out}{err}");
                let fresh = both.get(consumed..).unwrap_or("");
                if su_prompted(fresh) {
                    consumed = both.len();
                    prompts += 1;
                    true
                } else {
                    false
                }
            }
        };
        if !prompted {
            continue;
        }
        let Some(password) = &b.password else {
            io.close().await;
            return Err(ConnectError::Become(format!("Missing {method} password")));
        };
        if prompts > 1 {
            io.close().await;
            return Err(ConnectError::Become(format!("Incorrect {method} password")));
        }
        let mut line = password.expose().as_bytes().to_vec();
        line.push(b'\n');
        let sent = io.send_small(&line).await;
        line.fill(0);
        if !sent {
            return Err(ConnectError::Become(explain_failure(method, &err, &out)));
        }
    }
}

/// Turns what sudo/su printed before dying into Ansible's wording.
fn explain_failure(method: &str, err: &str, out: &str) -> String {
    let text = format!("{}{}", err.trim(), out.trim());
    let lower = text.to_lowercase();
    if lower.contains("a password is required") || lower.contains("a terminal is required") {
        format!("Missing {method} password")
    } else if lower.contains("incorrect password")
        || lower.contains("sorry, try again")
        || lower.contains("authentication failure")
    {
        format!("Incorrect {method} password")
    } else if text.is_empty() {
        format!("privilege escalation with {method} failed: the command exited without output")
    } else {
        format!("privilege escalation with {method} failed: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn spec(method: BecomeMethod, password: Option<&str>) -> BecomeSpec {
        BecomeSpec {
            method,
            user: "www-data".into(),
            password: password.map(|p| Secret::new(p.to_string())),
            exe: None,
            flags: None,
        }
    }

    #[test]
    fn sudo_command_drops_n_with_password_and_never_contains_it() {
        let m = Marker::new();
        let without = become_command(&spec(BecomeMethod::Sudo, None), &m);
        assert!(without.starts_with("sudo -H -S -n -p "), "{without}");
        let with = become_command(&spec(BecomeMethod::Sudo, Some("hunter2")), &m);
        assert!(with.starts_with("sudo -H -S -p "), "{with}");
        assert!(!with.contains("hunter2"));
        assert!(with.contains("-u www-data /bin/sh -c "));
        assert!(with.contains(&format!("BECOME-SUCCESS-{}", m.as_str())));
    }

    #[test]
    fn su_prompt_detection_and_failure_wording() {
        assert!(su_prompted("Password: "));
        assert!(su_prompted("motd\nPasswort:"));
        assert!(!su_prompted("Password: \nsomething else"));
        assert_eq!(
            explain_failure("sudo", "sudo: a password is required\n", ""),
            "Missing sudo password"
        );
        assert_eq!(
            explain_failure("su", "su: Authentication failure", ""),
            "Incorrect su password"
        );
        assert!(explain_failure("sudo", "ops is not in the sudoers file.", "").contains("sudoers"));
    }
}
