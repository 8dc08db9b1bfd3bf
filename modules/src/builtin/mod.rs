//! The built-in modules, one file each.

pub mod apt;
pub mod command;
pub mod copy;
pub mod dnf;
pub mod file;
pub mod firewalld;
pub mod group;
pub mod package;
pub mod ping;
pub mod raw;
pub mod service;
pub mod setup;
pub mod shell;
pub mod stat;
pub mod systemd;
pub mod template;
pub mod user;
