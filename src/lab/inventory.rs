//! The YAML inventory `rlab inventory` prints and `up` writes beside the state: hosts in group
//! `lab` with every connection variable, so Ansible and rplay reach them with host-key checking.

use super::image::OPS_PASSWORD;
use super::state::LabState;

/// Renders the inventory of `state`.
pub fn render(state: &LabState) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# rlab lab {:?}: {} {} host(s){}{}\n",
        state.name,
        state.hosts.len(),
        if state.light { "light" } else { "full" },
        if state.python { ", with python3" } else { "" },
        if state.latency_ms > 0 {
            format!(", {} ms added round-trip latency", state.latency_ms)
        } else {
            String::new()
        },
    ));
    out.push_str("all:\n  children:\n    lab:\n      hosts:\n");
    let common = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes",
        state.known_hosts.display()
    );
    for h in &state.hosts {
        out.push_str(&format!("        {}:\n", h.name));
        out.push_str("          ansible_host: 127.0.0.1\n");
        out.push_str(&format!("          ansible_port: {}\n", h.port));
        out.push_str("          ansible_user: root\n");
        out.push_str(&format!(
            "          ansible_ssh_private_key_file: {}\n",
            quote(&state.key.display().to_string())
        ));
        out.push_str(&format!(
            "          ansible_ssh_common_args: {}\n",
            quote(&common)
        ));
    }
    out.push_str("      vars:\n");
    out.push_str(&format!("        lab_name: {}\n", quote(&state.name)));
    out.push_str(&format!(
        "        lab_known_hosts: {}\n",
        quote(&state.known_hosts.display().to_string())
    ));
    out.push_str("        lab_deploy_user: deploy\n");
    out.push_str("        lab_ops_user: ops\n");
    out.push_str(&format!(
        "        lab_ops_password: {}\n",
        quote(OPS_PASSWORD)
    ));
    if state.python {
        out.push_str("        ansible_python_interpreter: /usr/bin/python3\n");
    }
    out
}

/// A YAML double-quoted scalar.
fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::state::HostState;
    use std::path::PathBuf;

    #[test]
    fn inventory_lists_hosts_with_connection_vars() {
        let st = LabState {
            name: "it".into(),
            light: false,
            python: true,
            latency_ms: 0,
            image: PathBuf::from("/img"),
            key: PathBuf::from("/var/cache/rlab/key/id_ed25519"),
            known_hosts: PathBuf::from("/var/lib/rlab/it/known_hosts"),
            inventory: PathBuf::from("/var/lib/rlab/it/inventory.yml"),
            hosts: vec![HostState {
                name: "h1".into(),
                machine: "rlab-it-h1".into(),
                netns: "rlab-it-h1".into(),
                port: 20022,
                pid: Some(1),
                forwarder_pid: Some(2),
                host_key: "ssh-ed25519 AAAA".into(),
            }],
        };
        let text = render(&st);
        assert!(text.contains("    lab:\n      hosts:\n        h1:\n          ansible_host: 127.0.0.1\n          ansible_port: 20022\n"));
        assert!(text.contains("ansible_ssh_common_args: \"-o UserKnownHostsFile=/var/lib/rlab/it/known_hosts -o StrictHostKeyChecking=yes\""));
        assert!(text.contains("ansible_python_interpreter: /usr/bin/python3"));
        assert!(text.contains("lab_ops_password: \"rlab-ops-pw\""));
    }
}
