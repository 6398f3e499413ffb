//! Statistics: streaming accumulators with exact, order-fixed merges, quantile sketches,
//! percentiles of a sample, the Gini coefficient and the run-level accumulators built
//! from them.

mod gini;
mod online;
mod paired;
mod quantile;
mod quantity;
mod run;
mod sketch;
mod survival;

pub use gini::gini;
pub use online::{MeanVar, Z95};
pub use paired::{CoMoments, Estimate};
pub use quantile::{Interpolation, percentile};
pub use quantity::{Output, Quantity, Scale};
pub use run::{
    Metric, Paired, RATIOS, RunAccumulator, SERIES, SetQuantity, StrategyAccumulator,
    SurvivalSeries, replication_quantities,
};
pub use sketch::{QuantileEstimate, QuantileSketch};
pub use survival::{
    KaplanMeier, KmRow, Lifetime, Rmst, SurvivalError, SurvivalQuantile, lifetimes_of,
};
