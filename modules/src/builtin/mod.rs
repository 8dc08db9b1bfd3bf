//! The built-in modules, one file each.

pub mod blockinfile;
pub mod command;
pub mod copy;
pub mod file;
pub mod lineinfile;
pub mod raw;
pub mod replace;
pub mod shell;
pub mod stat;
pub mod template;
