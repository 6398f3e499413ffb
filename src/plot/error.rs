//! Why a chart could not be rendered (its own file, so that chart files and the
//! dispatch in `plot/mod.rs` both import it without importing each other).

use plotters::prelude::DrawingAreaErrorKind;

use crate::output::read::ReadError;

/// Why a chart could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error(transparent)]
    Data(#[from] ReadError),
    #[error("cannot draw the chart: {reason}")]
    Draw { reason: String },
    #[error("cannot encode the PNG: {reason}")]
    Encode { reason: String },
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(error: DrawingAreaErrorKind<E>) -> Self {
        Self::Draw {
            reason: error.to_string(),
        }
    }
}
