//! The built-in modules, one file each.

pub mod apt;
pub mod assert;
pub mod blockinfile;
pub mod command;
pub mod copy;
pub mod debug;
pub mod dnf;
pub mod fail;
pub mod fetch;
pub mod file;
pub mod find;
pub mod firewalld;
pub mod include_vars;
pub mod lineinfile;
pub mod package;
pub mod pause;
pub mod raw;
pub mod replace;
pub mod service;
pub mod set_fact;
pub mod shell;
pub mod slurp;
pub mod stat;
pub mod systemd;
pub mod tempfile;
pub mod template;
