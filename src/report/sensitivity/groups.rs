//! How the report groups a sensitivity folder's outputs: the scalar outputs by metric and
//! comparison ([`Group`]), and the time-resolved survival outputs by family, year and
//! strategy ([`Family`]).

use crate::output::read::sensitivity::SensitivityData;

/// One scalar metric and comparison: the outputs charted and tabled together.
pub(super) struct Group {
    pub(super) metric: String,
    pub(super) versus: String,
    pub(super) outputs: Vec<usize>,
}

pub(super) fn scalar_groups(data: &SensitivityData) -> Vec<Group> {
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
pub(super) struct Family {
    pub(super) prefix: &'static str,
    pub(super) versus: String,
    pub(super) years: Vec<u32>,
    pub(super) strategies: Vec<String>,
    pub(super) cells: Vec<Vec<Option<usize>>>,
}

pub(super) fn year_of(metric: &str) -> Option<(&'static str, u32)> {
    for prefix in ["weighted_survival_year_", "survival_year_"] {
        if let Some(year) = metric.strip_prefix(prefix).and_then(|y| y.parse().ok()) {
            return Some((prefix, year));
        }
    }
    None
}

pub(super) fn families(data: &SensitivityData) -> Vec<Family> {
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
