//! Inventory.
mod data;
mod ini;
mod literal;
mod range;
mod script;
mod shlex;
mod yaml_source;
