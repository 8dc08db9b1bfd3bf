//! `rinventory`: rplay's `ansible-inventory`. Loads inventories the way Ansible does and prints
//! them in ansible-inventory's formats (`--list` JSON, `--host`, `--graph`, `--yaml`), so an
//! existing project's inventory can be checked against Ansible's reading of it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use rplay::config::Settings;
use rplay::diag::Diagnostic;
use rplay::inventory::{python_json, Inventory, ListOptions, VaultDecrypt};
use rplay::vault::{TerminalPrompter, Vault, VaultOptions};

/// Show an Ansible inventory as rplay reads it (same output as ansible-inventory).
#[derive(Debug, Parser)]
#[command(name = "rinventory", version, about)]
struct Cli {
    /// Inventory source: a file, a directory, or a comma-separated host list (`a,b,`).
    /// Repeatable. Default: ansible.cfg `inventory` / ANSIBLE_INVENTORY.
    #[arg(
        short = 'i',
        long = "inventory",
        visible_alias = "inventory-file",
        value_name = "SOURCE"
    )]
    inventory: Vec<String>,

    /// Print the whole inventory as JSON.
    #[arg(long, conflicts_with_all = ["host", "graph"])]
    list: bool,

    /// Print the variables of one host as JSON.
    #[arg(long, value_name = "HOST", conflicts_with = "graph")]
    host: Option<String>,

    /// Print the group tree (from GROUP, default `all`).
    #[arg(long)]
    graph: bool,

    /// With --graph: show host and group variables.
    #[arg(long = "vars")]
    show_vars: bool,

    /// Print YAML instead of JSON.
    #[arg(short = 'y', long)]
    yaml: bool,

    /// With --list: group variables at group level, host-level variables only.
    #[arg(long)]
    export: bool,

    /// Also read group_vars/ and host_vars/ in this directory (as a playbook directory).
    #[arg(long = "playbook-dir", value_name = "DIR")]
    playbook_dir: Option<PathBuf>,

    /// Limit to hosts matching this pattern (`@file` reads patterns from a file).
    #[arg(short = 'l', long, value_name = "SUBSET")]
    limit: Option<String>,

    /// Write the output to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Vault identity to use (`[label@]source`; source is `prompt`, a file or a script). Repeatable.
    #[arg(long = "vault-id", value_name = "ID")]
    vault_id: Vec<String>,

    /// File holding (or script printing) the vault password. Repeatable.
    #[arg(
        long = "vault-password-file",
        visible_alias = "vault-pass-file",
        value_name = "FILE"
    )]
    vault_password_file: Vec<PathBuf>,

    /// Ask for the vault password.
    #[arg(
        short = 'J',
        long = "ask-vault-password",
        visible_alias = "ask-vault-pass"
    )]
    ask_vault_pass: bool,

    /// More output (accepted for compatibility).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    verbose: u8,

    /// Group to start --graph at.
    #[arg(value_name = "GROUP")]
    group: Option<String>,
}

fn main() -> ExitCode {
    rplay::cli::closed_pipe::end_quietly_on_closed_pipe();
    let cli = Cli::parse();
    if !cli.list && cli.host.is_none() && !cli.graph {
        eprintln!("[ERROR]: No action selected, at least one of --host, --graph or --list needs to be specified.");
        return ExitCode::from(5);
    }
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("[ERROR]: {problem}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli) -> Result<(), Diagnostic> {
    let settings = Settings::load()?;
    print_warnings(&settings.warnings);
    let vault = open_vault(cli, &settings)?;
    let mut inventory = Inventory::load_with_vault(&cli.inventory, &settings, vault)?;
    // Without --playbook-dir, ansible-inventory still reads group_vars/ and host_vars/ in
    // its current directory for full host variables (its loader's base directory).
    let cwd = std::env::current_dir().ok();
    let options = ListOptions {
        playbook_dir: cli.playbook_dir.as_deref(),
        export: cli.export,
        default_play_dir: cwd.as_deref(),
    };
    let text = if let Some(host) = &cli.host {
        let hosts = inventory.select_ignoring_limit(host, true)?;
        if hosts.len() != 1 {
            print_warnings(&inventory.take_warnings());
            return Err(Diagnostic::error(
                "You must pass a single valid host to --host parameter",
            ));
        }
        let vars = inventory.display_host_vars(&hosts[0], options, false)?;
        render(&serde_json::Value::Object(vars), cli.yaml)
    } else {
        if let Some(limit) = &cli.limit {
            inventory.set_limit(limit)?;
        }
        if cli.graph {
            let group = cli.group.as_deref().unwrap_or("all");
            inventory.graph(group, cli.show_vars, options)?
        } else if cli.yaml {
            render(&inventory.list_yaml_tree(options)?, true)
        } else {
            render(&inventory.list_json(options)?, false)
        }
    };
    print_warnings(&inventory.take_warnings());
    match &cli.output {
        Some(path) => std::fs::write(path, format!("{text}\n")).map_err(|e| {
            Diagnostic::error(format!(
                "Unable to write to destination file {}: {e}",
                path.display()
            ))
        }),
        None => {
            println!("{text}");
            Ok(())
        }
    }
}

/// The vault for encrypted group_vars/host_vars files, from the vault flags and settings.
fn open_vault(cli: &Cli, settings: &Settings) -> Result<Option<Arc<VaultDecrypt>>, Diagnostic> {
    let options = VaultOptions {
        vault_ids: cli.vault_id.clone(),
        password_files: cli.vault_password_file.clone(),
        ask_vault_pass: cli.ask_vault_pass,
        identity_list: settings.vault_identity_list.clone(),
        config_password_file: settings.vault_password_file.clone(),
        ..VaultOptions::default()
    };
    let (vault, warnings) = Vault::for_run(&options, &TerminalPrompter)
        .map_err(|e| Diagnostic::error(e.to_string()))?;
    for warning in warnings {
        eprintln!("[WARNING]: {warning}");
    }
    let decrypt = move |text: &str, path: &Path| -> Result<String, Diagnostic> {
        let plain = vault
            .decrypt_file_bytes(text.as_bytes().to_vec(), path)
            .map_err(|e| Diagnostic::error(e.to_string()))?;
        String::from_utf8(plain.to_vec()).map_err(|_| {
            Diagnostic::error(format!(
                "decrypted content of {} is not UTF-8 text",
                path.display()
            ))
        })
    };
    Ok(Some(Arc::new(decrypt)))
}

fn render(value: &serde_json::Value, yaml: bool) -> String {
    if yaml {
        rplay::yaml::to_yaml_string(value)
            .trim_end_matches('\n')
            .to_string()
    } else {
        python_json(value)
    }
}

fn print_warnings(warnings: &[Diagnostic]) {
    for warning in warnings {
        eprintln!("[WARNING]: {warning}");
    }
}
