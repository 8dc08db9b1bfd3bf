//! Command-line definitions of `rplay` and `radhoc` as clap structs. Nothing here reads files or
//! talks to hosts: the binaries parse, then hand these values to the loaders and the runner.

pub mod adhoc;
pub mod closed_pipe;
pub mod common;
pub mod connect_options;
pub mod entry;
pub mod playbook;

pub use adhoc::AdhocArgs;
pub use common::{ConnectionArgs, PrivilegeArgs, RunArgs};
pub use entry::run_program;
pub use playbook::PlaybookArgs;
