//! The executor: playbook → play → batch (serial) → task → host. Hosts run as tokio tasks bounded
//! by forks; each host×task goes through the query-then-act machine (`machine.rs`); results and
//! counters are reported as [`event::Event`]s to a [`event::Reporter`].

pub mod event;
