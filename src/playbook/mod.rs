//! Playbooks loaded into typed structures with their source positions, all before any host is
//! contacted: plays, blocks, tasks, handlers, roles, static imports. Unknown keywords and modules
//! are errors naming file, line and column with a close-name suggestion.

pub mod kv;
