//! The built-in modules, one file each.
