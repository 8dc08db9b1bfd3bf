//! Engine integration tests: rplay against ansible-playbook on the same playbooks (local
//! connection), comparing the output lines (timings masked), the exit code and the recap.

use libtest_mimic::Trial;

/// Engine trials.
pub fn trials() -> Vec<Trial> {
    Vec::new()
}
