//! What the simulating subcommands share: the scenario with the command line's
//! overrides, its portfolio and the worker pool.

use std::sync::Arc;

use super::args::{SimulationArgs, UncertaintyArgs};
use super::error::CliError;
use crate::engine::ParameterWorlds;
use crate::input::{InputError, LoadedScenario, load_joint_draws, load_portfolio, load_scenario};
use crate::portfolio::Portfolio;
use crate::scenario::Scenario;
use crate::scenario::UncertaintySpec;
use crate::scenario::uncertainty::joint::JointDraws;
use crate::scenario::uncertainty::sets::parameter_sets;
use crate::scenario::uncertainty::{MAX_PARAMETER_SETS, PortfolioDraw};

/// A scenario ready to simulate.
pub struct Prepared {
    /// The scenario as loaded, with `--set` applied.
    pub loaded: LoadedScenario,
    /// The scenario with every override of the command line applied (`--set`,
    /// `--replications`, `--seed`).
    pub scenario: Scenario,
    pub portfolio: Portfolio,
    pub pool: rayon::ThreadPool,
    /// The parameter sets of a run with uncertainty (the scenario's `[uncertainty]`
    /// table), drawn once; `None` for fixed parameters.
    pub parameters: Option<Arc<ParameterWorlds>>,
    /// The dotted paths the command line sets (`--set`).
    pub set_paths: Vec<String>,
}

impl SimulationArgs {
    /// The scenario named on the command line (`default` when none is), with `--set`
    /// applied, and its text with the values written into it.
    ///
    /// # Errors
    /// [`CliError::Usage`] for an unknown, unreadable or invalid scenario or a bad
    /// `--set`.
    pub fn load(&self, default: &str) -> Result<(LoadedScenario, String), CliError> {
        let loaded = load_scenario(Some(self.scenario.as_deref().unwrap_or(default)))?;
        super::overrides::load_with(loaded, &self.overrides.settings)
    }

    /// Loads and validates the scenario and its portfolio, applies the overrides, checks
    /// the size limits (unless `check_limits` is false: merging shards simulates
    /// nothing) and starts the worker pool.
    ///
    /// # Errors
    /// [`CliError::Usage`] for bad input, [`CliError::Failure`] if no threads start.
    pub fn prepare(&self, check_limits: bool) -> Result<Prepared, CliError> {
        let loaded = match self.overrides.settings.is_empty() {
            true => load_scenario(self.scenario.as_deref())?,
            false => self.load("stf")?.0,
        };
        let mut scenario = loaded.scenario.clone();
        if let Some(replications) = self.replications {
            if replications == 0 {
                return Err(CliError::Usage("--replications must be at least 1".into()));
            }
            scenario.run.replications = replications;
        }
        if let Some(seed) = self.seed {
            scenario.run.seed = seed;
        }
        let limits = |portfolio| {
            if !check_limits {
                return Ok(());
            }
            super::limits::check(
                &loaded.origin,
                &scenario,
                portfolio,
                self.threads,
                self.allow_large,
            )
        };
        limits(None)?; // before a synthetic portfolio is drawn
        let portfolio = load_portfolio(&loaded, scenario.run.seed)?;
        limits(Some(&portfolio))?;
        let pool = worker_pool(self.threads)?;
        Ok(Prepared {
            loaded,
            scenario,
            portfolio,
            pool,
            parameters: None,
            set_paths: self
                .overrides
                .settings
                .iter()
                .map(|setting| setting.path.clone())
                .collect(),
        })
    }
}

impl Prepared {
    /// Draws the parameter sets of the scenario's `[uncertainty]` table, as `options`
    /// ask (none with `--no-uncertainty`, which removes the table from the scenario the
    /// run records), and builds each set's world once.
    ///
    /// # Errors
    /// [`CliError::Usage`] when the joint CSV cannot be read, a drawn value is refused, a
    /// set changes the shape of the run, or `--parameter-sets` is out of range.
    pub fn with_uncertainty(mut self, options: &UncertaintyArgs) -> Result<Self, CliError> {
        if options.no_uncertainty {
            self.scenario.uncertainty = None;
            return Ok(self);
        }
        let Some(spec) = self.scenario.uncertainty.as_mut() else {
            if options.fixed_portfolio || options.parameter_sets.is_some() {
                return Err(CliError::Usage(format!(
                    "--fixed-portfolio and --parameter-sets need an [uncertainty] table, and {} has none",
                    self.loaded.origin
                )));
            }
            return Ok(self);
        };
        set_parameter_sets(spec, options.parameter_sets)?;
        if options.fixed_portfolio {
            spec.portfolio = PortfolioDraw::Fixed;
        }
        let spec = spec.clone();
        let joint = load_joint_draws(&self.loaded)?;
        self.refuse_settings_the_table_draws(&spec, joint.as_ref())?;
        let seed = self.scenario.run.seed;
        let (text, origin) = (&self.loaded.text, &self.loaded.origin);
        let sets = self
            .pool
            .install(|| parameter_sets(text, origin, &spec, joint.as_ref(), seed))
            .map_err(InputError::from)?;
        let worlds = self
            .pool
            .install(|| {
                ParameterWorlds::new(&self.scenario, &self.portfolio, sets, spec.portfolio, seed)
            })
            .map_err(|e| CliError::Usage(format!("{origin}: uncertainty: {e}")))?;
        self.parameters = Some(Arc::new(worlds));
        Ok(self)
    }
}

/// `--parameter-sets`, when given, replaces the number of sets the table draws.
///
/// # Errors
/// [`CliError::Usage`] when it is outside 2 to [`MAX_PARAMETER_SETS`].
pub(super) fn set_parameter_sets(
    spec: &mut UncertaintySpec,
    sets: Option<u32>,
) -> Result<(), CliError> {
    if let Some(sets) = sets {
        if !(2..=MAX_PARAMETER_SETS).contains(&sets) {
            return Err(CliError::Usage(format!(
                "--parameter-sets {sets}: expected a whole number from 2 to {MAX_PARAMETER_SETS}"
            )));
        }
        spec.parameter_sets = sets;
    }
    Ok(())
}

impl Prepared {
    /// A field set with `--set` that the `[uncertainty]` table also draws would be
    /// overwritten in every parameter set, so the setting would silently do nothing: it
    /// is refused, naming the field and what draws it.
    fn refuse_settings_the_table_draws(
        &self,
        spec: &UncertaintySpec,
        joint: Option<&JointDraws>,
    ) -> Result<(), CliError> {
        for path in &self.set_paths {
            let drawn_by = if let Some(index) = spec.index_of(path) {
                format!("uncertainty.parameters[{index}]")
            } else if joint.is_some_and(|joint| joint.paths.contains(path)) {
                format!(
                    "the joint draws of {}",
                    spec.joint.as_deref().unwrap_or("the joint CSV")
                )
            } else {
                continue;
            };
            return Err(CliError::Usage(format!(
                "--set {path}: {} draws this field from its [uncertainty] table ({drawn_by}), which would replace the value set in every parameter set; add --no-uncertainty to run the value set with fixed parameters, or change the table",
                self.loaded.origin
            )));
        }
        Ok(())
    }
}

/// The worker pool: `threads` threads, or rayon's default (RAYON_NUM_THREADS, or all
/// cores).
///
/// # Errors
/// [`CliError::Usage`] for `--threads 0`, [`CliError::Failure`] if no threads start.
pub fn worker_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, CliError> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = threads {
        if threads == 0 {
            return Err(CliError::Usage("--threads must be at least 1".into()));
        }
        pool = pool.num_threads(threads);
    }
    pool.build()
        .map_err(|e| CliError::Failure(format!("cannot start worker threads: {e}")))
}
