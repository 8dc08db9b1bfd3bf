//! Connections to managed hosts. Each implements the modules' [`rplay_modules::Host`] trait.

pub mod local;
