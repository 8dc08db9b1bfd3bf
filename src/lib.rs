//! rplay: an agentless, Ansible-compatible configuration-management engine.
//!
//! Data flows one way: **cli → load → run → report**.
//!
//! - `diag`: source spans (file, line, column) and diagnostics rendered with an excerpt.
//! - `yaml`: spanned YAML tree with Ansible's YAML 1.1 rules (booleans, octal, merge keys, `!vault`).
//! - `config`: ansible.cfg + `ANSIBLE_*` environment + command line → one resolved `Settings`.
//! - `vault`: ansible-vault envelopes, vault ids, password sources, decryption hooks for the loaders.
//! - `secret`: `Secret`, a string masked in every formatted output and zeroed on drop.
//! - `inventory`: INI, YAML, directory and script sources, group_vars/host_vars, host patterns.
//! - `template`: minijinja with Ansible's filters, tests and lookups.
//! - `playbook`: playbooks, plays, roles, blocks and tasks loaded into typed structures with spans.
//! - `connection`: SSH (russh) and local connections; implements the modules' `Host` trait.
//! - `run`: the executor: play → batch → task → host, the query-then-act machine, handlers.
//! - `output`: reporters (Ansible-style lines, JSON, JSON Lines), recap and exit codes.
//! - `lab`: `rlab`, throwaway Debian hosts (systemd-nspawn) for tests and trials.
//!
//! Modules live in the `rplay-modules` crate (`modules/`), which knows nothing of this one.

pub mod cli;
pub mod config;
pub mod connection;
pub mod diag;
pub mod inventory;
pub mod lab;
pub mod output;
pub mod playbook;
pub mod pyjson;
pub mod run;
pub mod secret;
pub mod template;
pub mod vars;
pub mod vault;
pub mod yaml;
