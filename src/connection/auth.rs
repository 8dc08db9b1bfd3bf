//! SSH user authentication in OpenSSH's order: ssh-agent keys (only those matching the identity
//! files under `IdentitiesOnly`), then private key files (encrypted ones via the agent or the
//! passphrase prompt), then the password (`password`, then `keyboard-interactive`). A refusal
//! reads like ssh's: `user@host: Permission denied (publickey,password).`

use std::path::Path;
use std::sync::Arc;

use russh::client::{Handle, KeyboardInteractiveAuthResponse};
use russh::keys::agent::client::AgentClient;
use russh::keys::agent::AgentIdentity;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};
use russh::MethodSet;

use super::error::{unreachable, ConnectError};
use super::spec::ConnectionSpec;
use super::ssh::ClientHandler;

/// The public half of a key file, from `<file>.pub` or the (unencrypted) key itself.
fn public_key_of(file: &Path) -> Option<PublicKey> {
    let mut pub_path = file.as_os_str().to_owned();
    pub_path.push(".pub");
    if let Ok(k) = russh::keys::load_public_key(Path::new(&pub_path)) {
        return Some(k);
    }
    russh::keys::load_secret_key(file, None)
        .ok()
        .map(|k| k.public_key().clone())
}

fn methods_text(m: &MethodSet) -> String {
    let names: Vec<&str> = m.iter().map(<&str>::from).collect();
    names.join(",")
}

/// Authenticates `handle` as `spec.user`.
pub(crate) async fn authenticate(
    handle: &mut Handle<ClientHandler>,
    spec: &ConnectionSpec,
) -> Result<(), ConnectError> {
    let user = spec.user.clone();
    let mut remaining = String::from("publickey,password");
    let mut notes: Vec<String> = Vec::new();
    let rsa_hash = handle
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten();

    let files: Vec<&Path> = spec
        .identity_files
        .iter()
        .map(|p| p.as_path())
        .filter(|p| p.exists())
        .collect();
    let file_keys: Vec<Option<PublicKey>> = files.iter().map(|f| public_key_of(f)).collect();

    let mut tried: Vec<PublicKey> = Vec::new();
    if spec.pubkey_auth {
        // 1. ssh-agent.
        if let Some(sock) = &spec.identity_agent {
            match AgentClient::connect_uds(sock).await {
                Ok(mut agent) => {
                    let identities = agent.request_identities().await.unwrap_or_default();
                    for id in identities {
                        let AgentIdentity::PublicKey { key, .. } = id else {
                            continue;
                        };
                        let wanted = !spec.identities_only
                            || file_keys
                                .iter()
                                .flatten()
                                .any(|k| k.key_data() == key.key_data());
                        if !wanted {
                            continue;
                        }
                        let hash = if key.algorithm().is_rsa() {
                            rsa_hash
                        } else {
                            None
                        };
                        match handle
                            .authenticate_publickey_with(
                                user.clone(),
                                key.clone(),
                                hash,
                                &mut agent,
                            )
                            .await
                        {
                            Ok(r) if r.success() => return Ok(()),
                            Ok(russh::client::AuthResult::Failure {
                                remaining_methods, ..
                            }) => {
                                remaining = methods_text(&remaining_methods);
                            }
                            Ok(_) => {}
                            Err(e) => notes.push(format!("agent: {e:?}")),
                        }
                        tried.push(key);
                    }
                }
                Err(e) => notes.push(format!("cannot use ssh-agent at {}: {e}", sock.display())),
            }
        }
        // 2. Key files.
        for (file, public) in files.iter().zip(&file_keys) {
            if let Some(p) = public {
                if tried.iter().any(|k| k.key_data() == p.key_data()) {
                    continue;
                }
            }
            let key = match russh::keys::load_secret_key(file, None) {
                Ok(k) => k,
                Err(russh::keys::Error::KeyIsEncrypted) => {
                    let Some(prompt) = &spec.passphrase_prompt else {
                        notes.push(format!(
                            "{} is encrypted: add it to ssh-agent or run interactively",
                            file.display()
                        ));
                        continue;
                    };
                    let Some(pass) = prompt.passphrase(file) else {
                        continue;
                    };
                    match russh::keys::load_secret_key(file, Some(pass.expose())) {
                        Ok(k) => k,
                        Err(_) => {
                            notes.push(format!("wrong passphrase for {}", file.display()));
                            continue;
                        }
                    }
                }
                Err(e) => {
                    notes.push(format!("cannot load {}: {e}", file.display()));
                    continue;
                }
            };
            let hash = if key.algorithm().is_rsa() {
                rsa_hash
            } else {
                None
            };
            match handle
                .authenticate_publickey(
                    user.clone(),
                    PrivateKeyWithHashAlg::new(Arc::new(key), hash),
                )
                .await
            {
                Ok(r) if r.success() => return Ok(()),
                Ok(russh::client::AuthResult::Failure {
                    remaining_methods, ..
                }) => {
                    remaining = methods_text(&remaining_methods);
                }
                Ok(_) => {}
                Err(e) => return Err(unreachable(format!("{user}@{}: {e}", spec.address))),
            }
        }
    }
    // 3. Password, then keyboard-interactive answered with the password.
    if let (true, Some(password)) = (spec.password_auth, &spec.password) {
        match handle
            .authenticate_password(user.clone(), password.expose().to_string())
            .await
        {
            Ok(r) if r.success() => return Ok(()),
            Ok(russh::client::AuthResult::Failure {
                remaining_methods, ..
            }) => {
                remaining = methods_text(&remaining_methods);
            }
            Ok(_) => {}
            Err(e) => return Err(unreachable(format!("{user}@{}: {e}", spec.address))),
        }
        if remaining.split(',').any(|m| m == "keyboard-interactive") {
            let mut reply = handle
                .authenticate_keyboard_interactive_start(user.clone(), None::<String>)
                .await;
            for _round in 0..5 {
                match reply {
                    Ok(KeyboardInteractiveAuthResponse::Success) => return Ok(()),
                    Ok(KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. }) => {
                        let answers = prompts
                            .iter()
                            .map(|_| password.expose().to_string())
                            .collect();
                        reply = handle
                            .authenticate_keyboard_interactive_respond(answers)
                            .await;
                    }
                    Ok(KeyboardInteractiveAuthResponse::Failure {
                        remaining_methods, ..
                    }) => {
                        remaining = methods_text(&remaining_methods);
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
    }
    let mut msg = format!("{user}@{}: Permission denied ({remaining}).", spec.address);
    if !notes.is_empty() {
        msg.push_str(&format!(" ({})", notes.join("; ")));
    }
    Err(unreachable(msg))
}
