//! `radhoc`'s command line: the ad-hoc `ansible` program's options.

use clap::Parser;

use super::{ConnectionArgs, PrivilegeArgs, RunArgs};

/// Runs one module on the hosts matching a pattern.
#[derive(Debug, Clone, Parser)]
#[command(name = "radhoc", version, about)]
pub struct AdhocArgs {
    /// Host pattern.
    #[arg(value_name = "PATTERN")]
    pub pattern: String,
    /// Module name.
    #[arg(short = 'm', long = "module-name", default_value = "command")]
    pub module: String,
    /// Module arguments: k=v pairs, free-form text, or a JSON object.
    #[arg(short = 'a', long = "args", value_name = "MODULE_ARGS")]
    pub args: Option<String>,
    /// Options shared with rplay.
    #[command(flatten)]
    pub run: RunArgs,
    /// Connection options.
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Privilege escalation options.
    #[command(flatten)]
    pub privilege: PrivilegeArgs,
    /// Run asynchronously, failing after this many seconds.
    #[arg(short = 'B', long = "background", value_name = "SECONDS")]
    pub background: Option<u64>,
    /// Seconds between checks of a background (`-B`) job; 0 starts it and returns its job id.
    #[arg(
        short = 'P',
        long = "poll",
        value_name = "POLL_INTERVAL",
        default_value_t = 15
    )]
    pub poll: u64,
    /// Condense output: one line per host.
    #[arg(short = 'o', long = "one-line")]
    pub one_line: bool,
    /// Write one JSON file per host into this directory.
    #[arg(short = 't', long = "tree", value_name = "TREE")]
    pub tree: Option<String>,
}
