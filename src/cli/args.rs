//! The options several subcommands share, declared once and flattened into each command
//! that takes them: where and how results are written ([`OutputArgs`]) and what is
//! simulated ([`SimulationArgs`]). A command whose help says more (e.g. `compare`, whose
//! output options only apply to a shard) adjusts the wording with `mut_arg`, never the
//! meaning.

use std::path::PathBuf;

use clap::Args;

use super::overrides::Setting;
use crate::output::Destination;

/// Where a command writes its folder, and how much it says.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Output folder [default: a new numbered folder under outputs/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out folder if it exists.
    #[arg(long)]
    pub force: bool,
    /// No progress bar and no results table.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Write the tables only, no charts.
    #[arg(long)]
    pub no_charts: bool,
}

impl OutputArgs {
    /// The options as command-line words, in the order of the help (for the scripts
    /// `fundsim slurm` writes).
    pub fn to_args(&self) -> Vec<String> {
        let mut words = Vec::new();
        if let Some(out) = &self.out {
            words.push("--out".to_string());
            words.push(out.display().to_string());
        }
        for (set, flag) in [
            (self.force, "--force"),
            (self.quiet, "--quiet"),
            (self.no_charts, "--no-charts"),
        ] {
            if set {
                words.push(flag.to_string());
            }
        }
        words
    }

    /// Where the command's folder goes: `--out` (replaced only with `--force`), or the next
    /// numbered folder under `outputs/<folder>/`.
    pub fn destination(&self, folder: String) -> Destination {
        match &self.out {
            Some(path) => Destination::Explicit {
                path: path.clone(),
                force: self.force,
            },
            None => Destination::Numbered {
                root: PathBuf::from("outputs"),
                scenario: folder,
            },
        }
    }
}

/// The scenario a command simulates, and how.
#[derive(Debug, Clone, Default, Args)]
pub struct SimulationArgs {
    /// Scenario file, or the name of a built-in scenario [default: stf].
    pub scenario: Option<String>,
    /// Replications (overrides the scenario's run.replications).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Master seed (overrides the scenario's run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: RAYON_NUM_THREADS, or all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run even when the estimated time or memory is above the safety limits.
    #[arg(long)]
    pub allow_large: bool,
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

/// How `run` and `compare` treat the scenario's `[uncertainty]` table.
#[derive(Debug, Clone, Default, Args)]
pub struct UncertaintyArgs {
    /// Ignore the scenario's [uncertainty] table: every replication uses the scenario's
    /// own parameter values (a fixed-parameter run).
    #[arg(long)]
    pub no_uncertainty: bool,
    /// Keep the scenario's portfolio in every parameter set instead of drawing a new one
    /// per set (overrides the table's `portfolio = "redraw"`).
    #[arg(long)]
    pub fixed_portfolio: bool,
    /// Parameter sets to draw [default: the table's parameter_sets]; replication r runs
    /// in set r mod K.
    #[arg(long, value_name = "K")]
    pub parameter_sets: Option<u32>,
}

/// `--set PATH=VALUE`, on its own so that `fundsim slurm` can pass it to its shards.
#[derive(Debug, Clone, Default, Args)]
pub struct OverrideArgs {
    /// Set a numeric scenario field for this command only, by dotted path (repeatable),
    /// e.g. fund.budget_eur=15e6 or strategies[2].power=0.5; checked as if the file said
    /// it.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub settings: Vec<Setting>,
}

impl OverrideArgs {
    /// The options as command-line words.
    pub fn to_args(&self) -> Vec<String> {
        self.settings
            .iter()
            .flat_map(|setting| ["--set".to_string(), setting.to_string()])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_options_become_the_words_that_parse_back_to_them() {
        let output = OutputArgs {
            out: Some(PathBuf::from("/w/shard-0")),
            force: true,
            quiet: true,
            no_charts: false,
        };
        assert_eq!(
            output.to_args(),
            ["--out", "/w/shard-0", "--force", "--quiet"]
        );
        assert!(OutputArgs::default().to_args().is_empty());
        let overrides = OverrideArgs {
            settings: vec!["fund.budget_eur=15e6".parse().unwrap()],
        };
        assert_eq!(overrides.to_args(), ["--set", "fund.budget_eur=15000000"]);
    }
}
