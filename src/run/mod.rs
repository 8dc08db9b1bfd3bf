//! The executor: playbook → play → batch (serial) → task → host. Hosts run concurrently bounded
//! by forks; each host×task goes through the query-then-act machine (`machine.rs`); results and
//! counters are reported as [`event::Event`]s to a [`event::Reporter`]. The runner never formats
//! text and never matches on module names except for engine actions (includes, meta, add_host,
//! group_by) and the variable effects of set_fact/include_vars results.

mod background;
pub mod batches;
pub mod connector;
pub mod controller;
pub mod env_host;
pub mod error_chain;
pub mod event;
pub mod extra_vars;
pub mod fact_cache;
pub mod handlers;
pub mod host_order;
pub mod host_state;
pub mod hostvars;
pub mod inventory_adapter;
pub mod inventory_view;
pub mod lazy_host;
pub mod login_passwords;
pub mod loop_items;
pub mod machine;
pub mod pool_connector;
mod prompt;
pub mod runner;
pub mod session;
pub(crate) mod strategy_free;
pub mod tags;
pub mod templating;
pub mod var_origins;
pub mod vars;

pub use runner::{RunError, RunOptions, Runner};
