//! Everything a run needs before its first task, built once from the command line: resolved
//! settings (ansible.cfg + environment), vault secrets, the inventory, the template engine and
//! the connection pool. Shared by `rplay` and `radhoc`; errors come back as text for `[ERROR]:`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::{ConnectionArgs, PrivilegeArgs, RunArgs};
use crate::config::Settings;
use crate::inventory::{Inventory, VaultDecrypt};
use crate::template::TemplarOptions;
use crate::vault::{load_secrets, Purpose, TerminalPrompter, Vault, VaultOptions};

use super::inventory_adapter::InventoryAdapter;
use super::pool_connector::PoolConnector;
use super::templating::Templating;

/// The run-wide objects.
pub struct Session {
    /// Resolved settings.
    pub settings: Settings,
    /// The inventory.
    pub inventory: Arc<InventoryAdapter>,
    /// The template engine.
    pub templating: Arc<Templating>,
    /// The connection pool.
    pub connector: Arc<PoolConnector>,
    /// Decrypts vaulted files (vars_files, include_vars), when secrets were given.
    pub decrypt: Option<Arc<VaultDecrypt>>,
    /// The `-i` sources used.
    pub sources: Vec<String>,
    /// Warnings to print before the run.
    pub warnings: Vec<String>,
}

impl Session {
    /// Builds the session; `Err` carries the message and the exit code.
    pub fn open(
        run: &RunArgs,
        conn: &ConnectionArgs,
        privilege: &PrivilegeArgs,
    ) -> Result<Session, (String, i32)> {
        let settings = Settings::load().map_err(|d| (d.message.clone(), 1))?;
        // `-M` directories come before the setting's, as Ansible prepends them.
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let module_path = run
            .module_path
            .iter()
            .flat_map(|p| p.split(':'))
            .filter(|p| !p.is_empty())
            .map(|p| crate::config::expand_home(p, home.as_deref()));
        for dir in module_path.chain(settings.library_dirs()) {
            rplay_modules::registry::add_library_dir(
                &dir,
                rplay_modules::registry::LibraryRank::Configured,
            );
        }
        let mut warnings: Vec<String> = settings
            .warnings
            .iter()
            .map(|d| d.message.clone())
            .collect();
        let vault_opts = VaultOptions {
            vault_ids: run.vault_id.clone(),
            password_files: run.vault_password_file.iter().map(PathBuf::from).collect(),
            ask_vault_pass: run.ask_vault_pass,
            identity_list: settings.vault_identity_list.clone(),
            config_password_file: settings.vault_password_file.clone(),
            ..VaultOptions::default()
        };
        let loaded = load_secrets(&vault_opts, Purpose::Decrypt, false, &TerminalPrompter)
            .map_err(|e| (e.to_string(), 1))?;
        warnings.extend(loaded.warnings);
        let vault = (!loaded.secrets.is_empty()).then(|| Arc::new(Vault::new(loaded.secrets)));
        let decrypt = vault.clone().map(crate::vault::inventory_decrypt);
        let sources: Vec<String> = if run.inventory.is_empty() {
            settings.inventory.clone()
        } else {
            run.inventory.clone()
        };
        let mut inventory = Inventory::load_with_vault(&sources, &settings, decrypt.clone())
            .map_err(|d| (d.message.clone(), 1))?;
        if let Some(limit) = &run.limit {
            inventory
                .set_limit(limit)
                .map_err(|d| (d.message.clone(), 1))?;
        }
        let inventory = Arc::new(InventoryAdapter::new(inventory));
        warnings.extend(inventory.take_warnings());
        let mut topts = TemplarOptions::default();
        if let Some(v) = &vault {
            topts.vault = Some(v.clone() as Arc<dyn crate::template::VaultReveal>);
        }
        let templating = Arc::new(Templating::new(topts));
        let mut copts = crate::cli::connect_options::connect_options(conn, privilege);
        if copts.remote_user.is_none() {
            copts.remote_user = settings.remote_user.clone();
        }
        if copts.private_key_file.is_none() {
            copts.private_key_file = settings.private_key_file.clone();
        }
        if std::env::var("ANSIBLE_HOST_KEY_CHECKING").is_err() {
            copts.host_key_checking = settings.host_key_checking;
        }
        if conn.timeout.is_none() {
            copts.timeout = std::time::Duration::from_secs(settings.timeout.max(1));
        }
        if copts.ssh_args.is_none() {
            copts.ssh_args = settings.ssh_args.clone();
        }
        let passwords =
            super::login_passwords::login_passwords(conn, privilege, &settings, &TerminalPrompter)
                .map_err(|e| (e, 1))?;
        copts.password = passwords.connection;
        copts.become_password = passwords.become_;
        let connector = Arc::new(PoolConnector::new(copts));
        Ok(Session {
            settings,
            inventory,
            templating,
            connector,
            decrypt,
            sources,
            warnings,
        })
    }
}
