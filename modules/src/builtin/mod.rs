//! The built-in modules, one file each.

pub mod command;
pub mod copy;
pub mod file;
pub mod raw;
pub mod shell;
pub mod stat;
pub mod template;
