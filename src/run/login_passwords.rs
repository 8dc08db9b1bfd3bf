//! The connection and become passwords a run is given up front, as ansible-playbook's
//! `ask_passwords` gets them: asked on the terminal (`-k`, `-K`, `ask_pass`, `become_ask_pass`)
//! or read from a file (`--connection-password-file`, `--become-password-file` and their
//! settings; an executable file is run and its output used; `-` is stdin). They apply to hosts
//! whose inventory sets no password of its own. An unattended nightly run uses the files.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use crate::cli::{ConnectionArgs, PrivilegeArgs};
use crate::config::Settings;
use crate::secret::Secret;
use crate::vault::Prompter;

/// The SSH password and the become password, each if given.
#[derive(Debug, Default)]
pub struct LoginPasswords {
    pub connection: Option<Secret>,
    pub become_: Option<Secret>,
}

/// Asks or reads the passwords the command line and settings call for.
pub fn login_passwords(
    conn: &ConnectionArgs,
    privilege: &PrivilegeArgs,
    settings: &Settings,
    prompter: &dyn Prompter,
) -> Result<LoginPasswords, String> {
    let mut out = LoginPasswords::default();
    let ask_pass = conn.ask_pass || settings.ask_pass;
    let ask_become = privilege.ask_become_pass || settings.become_ask_pass;
    let connection_file = conn
        .connection_password_file
        .as_deref()
        .map(Path::new)
        .or(settings.connection_password_file.as_deref());
    let become_file = privilege
        .become_password_file
        .as_deref()
        .map(Path::new)
        .or(settings.become_password_file.as_deref());
    let ask = |prompt: &str| -> Result<Option<Zeroizing<String>>, String> {
        prompter
            .ask_hidden(prompt)
            .map_err(|e| format!("cannot read the password: {e}"))
    };
    let mut become_prompt = "BECOME password: ";
    if ask_pass {
        // End of input leaves the password unset, as Ansible's EOFError does.
        out.connection = ask("SSH password: ")?.map(|p| Secret::new(p.to_string()));
        become_prompt = "BECOME password[defaults to SSH password]: ";
    } else if let Some(path) = connection_file {
        out.connection = Some(password_from_file(path)?);
    }
    if ask_become {
        out.become_ = match ask(become_prompt)? {
            Some(p) if p.is_empty() && ask_pass => out
                .connection
                .as_ref()
                .map(|c| Secret::new(c.expose().to_string())),
            Some(p) => Some(Secret::new(p.to_string())),
            None => None,
        };
    } else if let Some(path) = become_file {
        out.become_ = Some(password_from_file(path)?);
    }
    Ok(out)
}

/// A password file's content (surrounding whitespace removed), or an executable file's output.
fn password_from_file(path: &Path) -> Result<Secret, String> {
    let shown = path.display();
    let raw = if path == Path::new("-") {
        let mut buf = Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("Could not read password file {shown}: {e}"))?;
        buf
    } else {
        let meta = std::fs::metadata(path)
            .map_err(|_| format!("The password file {shown} was not found"))?;
        if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
            let out = Command::new(path)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .output()
                .map_err(|e| {
                    format!(
                        "Problem occurred when trying to run the password script {shown} ({e}). \
                         If this is not a script, remove the executable bit from the file."
                    )
                })?;
            let stdout = Zeroizing::new(out.stdout);
            if !out.status.success() {
                let rc = out
                    .status
                    .code()
                    .map_or_else(|| "signal".to_string(), |c| c.to_string());
                return Err(format!(
                    "The password script {shown} returned an error (rc={rc}): {}",
                    String::from_utf8_lossy(&out.stderr).trim_end()
                ));
            }
            stdout
        } else {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("Could not read password file {shown}: {e}"))?;
            Zeroizing::new(bytes.trim_ascii().to_vec())
        }
    };
    let text = std::str::from_utf8(&raw)
        .map_err(|_| format!("The password file {shown} is not UTF-8 text"))?
        .trim_matches(['\r', '\n']);
    if text.is_empty() {
        return Err(format!("Empty password was provided from file ({shown})"));
    }
    Ok(Secret::new(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Answers(
        std::cell::RefCell<Vec<Option<&'static str>>>,
        std::cell::RefCell<Vec<String>>,
    );

    impl Prompter for Answers {
        fn ask_hidden(&self, prompt: &str) -> std::io::Result<Option<Zeroizing<String>>> {
            self.1.borrow_mut().push(prompt.to_string());
            Ok(self
                .0
                .borrow_mut()
                .remove(0)
                .map(|a| Zeroizing::new(a.to_string())))
        }
    }

    #[test]
    fn become_defaults_to_the_ssh_password_when_both_are_asked() {
        let conn = ConnectionArgs {
            ask_pass: true,
            ..Default::default()
        };
        let privilege = PrivilegeArgs {
            ask_become_pass: true,
            ..Default::default()
        };
        let answers = Answers(vec![Some("ssh-pw"), Some("")].into(), Vec::new().into());
        let got = login_passwords(&conn, &privilege, &Settings::default(), &answers).unwrap();
        assert_eq!(got.connection.as_ref().map(Secret::expose), Some("ssh-pw"));
        assert_eq!(got.become_.as_ref().map(Secret::expose), Some("ssh-pw"));
        assert_eq!(
            *answers.1.borrow(),
            [
                "SSH password: ",
                "BECOME password[defaults to SSH password]: "
            ]
        );
    }

    #[test]
    fn files_scripts_and_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("pw");
        std::fs::write(&plain, "  s3cret \n").unwrap();
        assert_eq!(password_from_file(&plain).unwrap().expose(), "s3cret");
        let script = dir.path().join("pw.sh");
        std::fs::write(&script, "#!/bin/sh\necho from-script\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(password_from_file(&script).unwrap().expose(), "from-script");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        assert!(password_from_file(&empty)
            .unwrap_err()
            .starts_with("Empty password was provided from file"));
        assert!(password_from_file(&dir.path().join("missing"))
            .unwrap_err()
            .contains("was not found"));
    }
}
