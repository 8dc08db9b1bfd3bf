//! Playbooks loaded into typed structures with their source positions, all before any host is
//! contacted: plays, blocks, tasks, handlers, roles, static imports. Unknown keywords and modules
//! are errors naming file, line and column with a close-name suggestion.

pub mod block;
pub mod error;
pub mod keywords;
pub mod kv;
pub mod load;
pub mod module_defaults;
pub mod node;
pub mod play;
pub mod role;
pub mod task;
pub mod vars_prompt;
pub mod yaml_source;

pub use block::{Block, Item};
pub use error::Error;
pub use load::Loader;
pub use play::{Play, Playbook};
pub use role::RoleScope;
pub use task::{Cond, Inherit, LoopSpec, Task};
