//! Variables: combining mappings (`hash_behaviour`) and the precedence ladder, from role
//! defaults up to extra vars, that the engine fills layer by layer.

mod combine;
mod precedence;

pub use combine::{combine_into, combine_owned, merge_into};
pub use precedence::{Layer, VarStack};
