//! `rlab`: throwaway Debian hosts on one Linux machine (systemd-nspawn containers in their own
//! network namespaces, reached through loopback forwarders), for rplay's tests and for users who
//! want to try roles on disposable hosts.
//!
//! A lab named NAME has hosts `h1`..`hN` (inventory names and hostnames); underneath, each has
//! the network namespace and nspawn machine name `rlab-NAME-hI`, so several labs run at once.
//! State lives in /var/lib/rlab/NAME, shared images and the lab key in /var/cache/rlab.
//!
//! - `lifecycle`: `up`, `down`, `status`.
//! - `image`: cached base images (plain and python) with the offline apt repository.
//! - `machine`: one host's directory and how it starts (nspawn or chrooted sshd).
//! - `forward`: the loopback forwarder with optional latency (`rlab forward`, hidden).
//! - `namespace`: network namespaces and finding the processes inside them.
//! - `state`, `inventory`, `ssh`: the state file, the YAML inventory, the ssh client command.
//! - `paths`, `system`, `mirror`: locations and names, controller checks and commands, the mirror.

pub mod error;
pub mod forward;
pub mod image;
pub mod inventory;
pub mod lifecycle;
pub mod machine;
pub mod mirror;
pub mod namespace;
pub mod paths;
pub mod ssh;
pub mod state;
pub mod system;

pub use error::{Error, Result};
pub use lifecycle::{down, status, up, UpOptions};
pub use paths::LabPaths;
pub use state::{HostState, LabState};
