//! Exit codes of ansible-playbook and ansible (OUT-04): 0 success, 1 generic error, 2 a host
//! failed, 4 a host unreachable (wins over 2) or a parse error, 5 an options error.

use std::collections::BTreeMap;

use crate::run::event::HostStats;

/// Everything went fine (failures ignored or rescued count as fine).
pub const OK: i32 = 0;
/// A generic error: missing file, vault failure, missing handler...
pub const ERROR: i32 = 1;
/// At least one host failed.
pub const HOST_FAILED: i32 = 2;
/// At least one host was unreachable.
pub const HOST_UNREACHABLE: i32 = 4;
/// A playbook could not be parsed (YAML error, unknown module or keyword).
pub const PARSE_ERROR: i32 = 4;
/// Bad command-line options.
pub const OPTIONS_ERROR: i32 = 5;

/// The exit code for a run that completed with these stats.
pub fn from_stats(stats: &BTreeMap<String, HostStats>) -> i32 {
    if stats.values().any(|s| s.unreachable > 0) {
        HOST_UNREACHABLE
    } else if stats.values().any(|s| s.failed > 0) {
        HOST_FAILED
    } else {
        OK
    }
}
