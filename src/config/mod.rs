//! ansible.cfg + `ANSIBLE_*` environment → one resolved [`Settings`].
//!
//! - `file`: finds the one config file Ansible would use (`ANSIBLE_CONFIG`, `./ansible.cfg`,
//!   `~/.ansible.cfg`, `/etc/ansible/ansible.cfg`) and reads it as INI with line numbers.
//! - `settings`: the settings rplay uses, each with its section/key, environment variables,
//!   type and default; precedence is environment > file > default (command-line options are
//!   applied on top by the binaries).

mod file;
mod settings;

pub use file::{expand_home, find_config_file, ConfigFile, ConfigValue};
pub use settings::{Gathering, HashBehaviour, PatternMismatch, Settings};
