//! Analyses beyond a single run, built on the engine: sweeps, global sensitivity
//! (Morris, Sobol), target search, precision-driven runs, calibration, the statistics
//! of runs with parameter uncertainty, and the one verdict on which strategy is best
//! ([`verdict`]). The pure logic (designs, estimators, bisection, fitting, verdicts) is
//! here without I/O; the commands in `cli` drive it and `output` writes what
//! it returns.

pub mod calibrate;
pub mod caveats;
pub mod design;
pub mod facts;
pub mod model;
pub mod morris;
pub mod optimize;
pub mod precision;
pub mod robustness;
pub mod sensitivity;
pub mod sobol;
pub mod sweep;
pub mod target;
pub mod uncertainty;
pub mod verdict;

pub use design::{MorrisDesign, SaltelliDesign, SaltelliOutputs, to_values};
pub use model::{ModelError, PortfolioSource, ScenarioModel};
pub use sensitivity::{
    Method, MonteCarloNoise, MorrisReport, SobolReport, check_parameters, evaluate_design,
    morris_reports, sobol_reports,
};
