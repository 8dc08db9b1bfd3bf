//! `rplay`'s command line: ansible-playbook's options.

use clap::{ArgAction, Parser};

use super::{ConnectionArgs, PrivilegeArgs, RunArgs};

/// Runs Ansible playbooks against inventory hosts, over SSH, without Python on the hosts.
#[derive(Debug, Clone, Parser)]
#[command(name = "rplay", version, about)]
pub struct PlaybookArgs {
    /// Playbook files, run in order.
    #[arg(value_name = "PLAYBOOK", required = true)]
    pub playbooks: Vec<String>,
    /// Options shared with radhoc.
    #[command(flatten)]
    pub run: RunArgs,
    /// Connection options.
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Privilege escalation options.
    #[command(flatten)]
    pub privilege: PrivilegeArgs,
    /// Only run plays and tasks tagged with these values (repeatable, comma lists).
    #[arg(short = 't', long = "tags", action = ArgAction::Append)]
    pub tags: Vec<String>,
    /// Only run plays and tasks whose tags do not match these values.
    #[arg(long = "skip-tags", action = ArgAction::Append)]
    pub skip_tags: Vec<String>,
    /// List all tasks that would be executed.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,
    /// List all available tags.
    #[arg(long = "list-tags")]
    pub list_tags: bool,
    /// Check the playbook syntax and exit.
    #[arg(long = "syntax-check")]
    pub syntax_check: bool,
    /// Start the playbook at the task matching this name.
    #[arg(long = "start-at-task", value_name = "START_AT_TASK")]
    pub start_at_task: Option<String>,
    /// Run handlers even if a task fails.
    #[arg(long = "force-handlers")]
    pub force_handlers: bool,
    /// Clear the fact cache for every host in inventory.
    #[arg(long = "flush-cache")]
    pub flush_cache: bool,
}

impl PlaybookArgs {
    /// `--tags` values split at commas.
    pub fn tag_list(&self) -> Vec<String> {
        split_commas(&self.tags)
    }
    /// `--skip-tags` values split at commas.
    pub fn skip_tag_list(&self) -> Vec<String> {
        split_commas(&self.skip_tags)
    }
}

fn split_commas(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
