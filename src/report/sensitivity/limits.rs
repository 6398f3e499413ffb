//! The thresholds the report judges a sensitivity analysis by: when Monte Carlo noise
//! swamps the indices, and when a Sobol sample is large enough.

/// Above this share of the variance, Monte Carlo noise makes weak indices untrustworthy.
pub const NOISE_LIMIT: f64 = 0.1;
/// A Sobol total index that moves less than this between the last two sample sizes is
/// settled (to the precision a policy reader needs).
pub const CONVERGED_CHANGE: f64 = 0.05;
