//! `report.html` of a sensitivity folder: which assumptions drive the answer. Same look
//! and the same guarantees as the run brief (one self-contained file, inline CSS, the
//! charts as inline SVG, the font embedded, no external request), built from the folder's
//! tables, charts and manifest only ([`SensitivityData`]), so `fundsim report` on a
//! sensitivity folder gives the file `fundsim sensitivity` wrote, byte for byte.
//!
//! It reads the way an economist checks a policy answer: the findings in plain sentences;
//! per outcome and strategy the assumptions ranked by importance (Morris μ* and σ, or
//! Sobol total and first-order indices with bootstrap intervals); whether the assumptions
//! change which strategy is best; how much of the variance is Monte Carlo noise; for Sobol,
//! whether the sample was large enough; then the assumptions' ranges and the method.

mod findings;
pub mod ranking;
mod sections;
mod text;

use std::fmt::Write as _;
use std::path::Path;

use super::document_head;
use super::html::escape;
use crate::output::read::ReadError;
use crate::output::read::sensitivity::{MethodName, SensitivityData};
use crate::plot::style::thousands;
use findings::findings;
use sections::{
    assumptions_section, convergence_section, drivers_section, method_section, noise_section,
    ranking_section,
};
use text::method_name;

/// Above this share of the variance, Monte Carlo noise makes weak indices untrustworthy.
pub const NOISE_LIMIT: f64 = 0.1;
/// A Sobol total index that moves less than this between the last two sample sizes is
/// settled (to the precision a policy reader needs).
pub const CONVERGED_CHANGE: f64 = 0.05;

/// Renders the report of the folder, with its manifest given as bytes.
///
/// # Errors
/// [`ReadError`] when a table or chart cannot be read.
pub fn render_folder(folder: &Path, manifest: &[u8]) -> Result<String, ReadError> {
    Ok(render(&SensitivityData::load_with_manifest(
        folder, manifest,
    )?))
}

/// One scalar metric and comparison: the outputs charted and tabled together.
struct Group {
    metric: String,
    versus: String,
    outputs: Vec<usize>,
}

fn scalar_groups(data: &SensitivityData) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (o, output) in data.outputs.iter().enumerate() {
        if output.time_resolved() {
            continue;
        }
        match groups
            .iter_mut()
            .find(|g| g.metric == output.metric && g.versus == output.versus)
        {
            Some(group) => group.outputs.push(o),
            None => groups.push(Group {
                metric: output.metric.clone(),
                versus: output.versus.clone(),
                outputs: vec![o],
            }),
        }
    }
    groups
}

/// A time-resolved family (`survival_year_N` or `weighted_survival_year_N`) for one
/// comparison: `cells[year][strategy]` are output indices.
struct Family {
    prefix: &'static str,
    versus: String,
    years: Vec<u32>,
    strategies: Vec<String>,
    cells: Vec<Vec<Option<usize>>>,
}

fn year_of(metric: &str) -> Option<(&'static str, u32)> {
    for prefix in ["weighted_survival_year_", "survival_year_"] {
        if let Some(year) = metric.strip_prefix(prefix).and_then(|y| y.parse().ok()) {
            return Some((prefix, year));
        }
    }
    None
}

fn families(data: &SensitivityData) -> Vec<Family> {
    let mut families: Vec<Family> = Vec::new();
    for (o, output) in data.outputs.iter().enumerate() {
        let Some((prefix, year)) = year_of(&output.metric) else {
            continue;
        };
        let index = match families
            .iter()
            .position(|f| f.prefix == prefix && f.versus == output.versus)
        {
            Some(index) => index,
            None => {
                families.push(Family {
                    prefix,
                    versus: output.versus.clone(),
                    years: Vec::new(),
                    strategies: Vec::new(),
                    cells: Vec::new(),
                });
                families.len() - 1
            }
        };
        let family = &mut families[index];
        let row = match family.years.iter().position(|&y| y == year) {
            Some(row) => row,
            None => {
                family.years.push(year);
                family.cells.push(vec![None; family.strategies.len()]);
                family.years.len() - 1
            }
        };
        let column = match family.strategies.iter().position(|s| *s == output.strategy) {
            Some(column) => column,
            None => {
                family.strategies.push(output.strategy.clone());
                for cells in &mut family.cells {
                    cells.push(None);
                }
                family.strategies.len() - 1
            }
        };
        family.cells[row][column] = Some(o);
    }
    families
}

/// Renders the report.
pub fn render(data: &SensitivityData) -> String {
    let info = &data.info;
    let method = info.method;
    let mut out = String::with_capacity(1_500_000);
    let title = format!(
        "Which assumptions drive the answer: scenario “{}”",
        info.scenario_name
    );
    document_head(&mut out, &title, &info.fundsim_version);
    if !info.scenario_description.is_empty() {
        let _ = writeln!(
            out,
            r#"<p class="lead">{}</p>"#,
            escape(&info.scenario_description)
        );
    }
    let design = match method {
        MethodName::Morris => format!(
            "{} trajectories on a grid of {} levels",
            info.trajectories.unwrap_or(0),
            info.levels.unwrap_or(0)
        ),
        MethodName::Sobol => format!("base sample N = {}", info.samples.unwrap_or(0)),
    };
    let _ = writeln!(
        out,
        r#"<p class="meta">A sensitivity analysis generated by fundsim {version}: {name} ({design}) of {k} uncertain assumptions, {points} design points, each the mean of {replications} replications with the same seed ({seed}) at every point. Every number below comes from the folder’s tables.</p>
</header>"#,
        version = escape(&info.fundsim_version),
        name = method_name(method),
        k = info.parameters.len(),
        points = thousands(info.design_points as f64),
        replications = info.inner_replications,
        seed = info.seed,
    );
    let groups = scalar_groups(data);
    let rankings = ranking::rankings(data);

    out.push_str("<section id=\"findings\">\n<h2>Key findings</h2>\n<ul class=\"findings\">\n");
    for sentence in findings(data, &groups, &rankings) {
        let _ = writeln!(out, "<li>{sentence}</li>");
    }
    out.push_str("</ul>\n</section>\n");

    out.push_str(&drivers_section(data, &groups));
    out.push_str(&ranking_section(data, &groups, &rankings));
    out.push_str(&noise_section(data));
    if method == MethodName::Sobol {
        out.push_str(&convergence_section(data));
    }
    out.push_str(&assumptions_section(data));
    out.push_str(&method_section(data));
    let _ = write!(
        out,
        r#"<footer>fundsim {} · scenario “{}” · {} · seed {} · {} design points × {} inner replications. Re-render this report from the folder with <code>fundsim report DIR</code>.</footer>
</main>
</body>
</html>
"#,
        escape(&info.fundsim_version),
        escape(&info.scenario_name),
        method_name(method),
        info.seed,
        thousands(info.design_points as f64),
        info.inner_replications,
    );
    out
}
