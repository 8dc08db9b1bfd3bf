//! The built-in modules, one file each.

pub mod assert;
pub mod blockinfile;
pub mod command;
pub mod copy;
pub mod debug;
pub mod fail;
pub mod fetch;
pub mod file;
pub mod find;
pub mod get_url;
pub mod include_vars;
pub mod lineinfile;
pub mod pause;
pub mod raw;
pub mod replace;
pub mod script;
pub mod set_fact;
pub mod shell;
pub mod slurp;
pub mod stat;
pub mod tempfile;
pub mod template;
pub mod unarchive;
pub mod wait_for;
