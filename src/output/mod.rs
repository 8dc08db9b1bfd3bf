//! Reporters: turn the runner's events into text. `default_lines` is Ansible's default callback,
//! `adhoc_lines` the ad-hoc (`minimal`/`oneline`) forms, `json_doc` one JSON document,
//! `json_lines` a live event stream, `progress` the live progress line on a terminal. Also the recap format and exit codes.

pub mod adhoc_lines;
pub mod banner;
pub mod default_lines;
pub mod diff;
pub mod error_text;
pub mod exit_code;
pub mod json_doc;
pub mod json_lines;
pub mod listing;
pub mod log_file;
pub mod progress;
pub mod recap;

pub use adhoc_lines::{AdhocLines, AdhocOptions};
pub use default_lines::{DefaultLines, LineOptions};
pub use json_doc::JsonDocument;
pub use json_lines::JsonLines;
pub use progress::LiveProgress;

/// Whether to paint output: on a terminal, unless NO_COLOR / ANSIBLE_NOCOLOR is set;
/// ANSIBLE_FORCE_COLOR forces it.
pub fn use_color(is_tty: bool) -> bool {
    let set = |name: &str| {
        std::env::var(name)
            .map(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
            .unwrap_or(false)
    };
    if std::env::var_os("NO_COLOR").is_some() || set("ANSIBLE_NOCOLOR") {
        return false;
    }
    if set("ANSIBLE_FORCE_COLOR") {
        return true;
    }
    is_tty
}
