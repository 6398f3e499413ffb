//! The run folder as charts read it. The reader belongs to [`crate::output::read`]; this
//! path re-exports it so that code written against `plot::data` keeps compiling.

pub use crate::output::read::ReadError as DataError;
pub use crate::output::read::run::*;
