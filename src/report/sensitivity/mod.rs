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

pub mod ranking;

use std::fmt::Write as _;
use std::path::Path;

use super::html::{escape, signed};
use super::{document_head, inline_svg, tables::metric_description};
use crate::output::read::ReadError;
use crate::output::read::sensitivity::{Indices, Interval, MethodName, OutputRow, SensitivityData};
use crate::plot::sensitivity::chart_stem;
use crate::plot::style::{css_colour, thousands};
use ranking::{Leaders, Ranking};

/// Above this share of the variance, Monte Carlo noise makes weak indices untrustworthy.
pub const NOISE_LIMIT: f64 = 0.1;
/// A Sobol total index that moves less than this between the last two sample sizes is
/// settled (to the precision a policy reader needs).
pub const CONVERGED_CHANGE: f64 = 0.05;

const MISSING: &str = "—";

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

/// A number with about three significant digits (Morris effects are in output units).
fn significant(value: f64) -> String {
    if !value.is_finite() {
        return MISSING.into();
    }
    let magnitude = value.abs();
    if magnitude == 0.0 {
        "0".into()
    } else if magnitude >= 1000.0 {
        thousands(value)
    } else {
        let digits = (2 - magnitude.log10().floor() as i32).clamp(0, 6) as usize;
        signed(value, digits)
    }
}

/// A parameter's median: whole numbers without decimals.
fn median_text(data: &SensitivityData, p: usize, median: f64) -> String {
    if data.whole_number[p] {
        thousands(median)
    } else {
        significant(median)
    }
}

/// A Sobol index: two decimals, three below 0.1.
fn index_text(value: f64) -> String {
    if !value.is_finite() {
        MISSING.into()
    } else if value == 0.0 {
        "0".into()
    } else if value.abs() >= 0.1 {
        signed(value, 2)
    } else {
        signed(value, 3)
    }
}

/// Main measures as text for this method.
fn measure(method: MethodName, value: f64) -> String {
    match method {
        MethodName::Morris => significant(value),
        MethodName::Sobol => index_text(value),
    }
}

fn interval_text(method: MethodName, x: Interval) -> Option<String> {
    (x.low.is_finite() && x.high.is_finite())
        .then(|| format!("{}–{}", measure(method, x.low), measure(method, x.high)))
}

fn noise_text(share: f64) -> String {
    if share > 1.0 {
        // An upper bound: independent noise of that size would explain it all.
        format!("over 100% ({share:.2}×)")
    } else if share.is_finite() {
        format!("{:.1}%", 100.0 * share)
    } else {
        "— (constant)".into()
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", 100.0 * share)
}

fn swatch(index: usize) -> String {
    format!(
        r#"<span class="swatch" style="background:{}"></span>"#,
        css_colour(index)
    )
}

fn quoted(name: &str) -> String {
    format!("“{}”", escape(name))
}

/// "a", "a and b", "a, b and c".
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// What a metric means, in words.
fn describe_metric(metric: &str) -> String {
    if let Some((prefix, year)) = year_of(metric) {
        let what = if prefix.starts_with("weighted") {
            "usage-weighted share of projects"
        } else {
            "share of projects"
        };
        return format!("{what} never abandoned by the end of year {year}");
    }
    let description = metric_description(metric);
    if description.is_empty() {
        metric.to_string()
    } else {
        description.to_string()
    }
}

/// The group's parameter order, as in its chart: by the largest main measure over the
/// strategies, ties in parameter order.
fn group_order(data: &SensitivityData, outputs: &[usize]) -> Vec<usize> {
    let size = |p: usize| {
        outputs
            .iter()
            .map(|&o| data.indices[o].main[p].value)
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    };
    let mut order: Vec<usize> = (0..data.info.parameters.len()).collect();
    order.sort_by(|&a, &b| size(b).total_cmp(&size(a)).then(a.cmp(&b)));
    order
}

fn label(data: &SensitivityData, p: usize) -> String {
    escape(&data.info.parameters[p].label)
}

fn method_name(method: MethodName) -> &'static str {
    match method {
        MethodName::Morris => "Morris screening",
        MethodName::Sobol => "Sobol indices",
    }
}

fn main_symbol(method: MethodName) -> &'static str {
    match method {
        MethodName::Morris => "μ*",
        MethodName::Sobol => "total index",
    }
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

/// The subject of a group's sentence or heading.
fn group_subject(group: &Group) -> String {
    if group.versus.is_empty() {
        format!(
            "{} (<code>{}</code>)",
            escape(&describe_metric(&group.metric)),
            escape(&group.metric)
        )
    } else {
        format!(
            "each strategy’s gain over {} in <code>{}</code> (paired)",
            quoted(&group.versus),
            escape(&group.metric)
        )
    }
}

/// A plain sentence naming a group's top drivers and the assumptions that hardly matter.
fn driver_sentence(data: &SensitivityData, group: &Group) -> String {
    let method = data.info.method;
    let defined: Vec<usize> = group
        .outputs
        .iter()
        .copied()
        .filter(|&o| {
            data.indices[o]
                .main
                .iter()
                .any(|x| x.value.is_finite() && x.value > 0.0)
        })
        .collect();
    let subject = group_subject(group);
    if defined.is_empty() {
        return format!(
            "{} does not change over the design for any strategy: no assumption moves it.",
            capitalise(&subject)
        );
    }
    // The top assumption of each output, and who it leads for.
    let mut tops: Vec<(usize, Vec<usize>)> = Vec::new();
    for &o in &defined {
        let top = data.indices[o].ranking()[0];
        match tops.iter_mut().find(|(p, _)| *p == top) {
            Some((_, who)) => who.push(o),
            None => tops.push((top, vec![o])),
        }
    }
    let who = |outputs: &[usize]| -> String {
        list(
            &outputs
                .iter()
                .map(|&o| quoted(&data.outputs[o].strategy))
                .collect::<Vec<_>>(),
        )
    };
    let values = |p: usize, outputs: &[usize]| -> String {
        let v: Vec<f64> = outputs
            .iter()
            .map(|&o| data.indices[o].main[p].value)
            .filter(|v| v.is_finite())
            .collect();
        let low = v.iter().copied().fold(f64::INFINITY, f64::min);
        let high = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if v.len() > 1 && measure(method, low) != measure(method, high) {
            format!(
                "{} {}–{}",
                main_symbol(method),
                measure(method, low),
                measure(method, high)
            )
        } else {
            format!("{} {}", main_symbol(method), measure(method, high))
        }
    };
    let largest = defined
        .iter()
        .flat_map(|&o| data.indices[o].main.iter().map(|x| x.value))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let threshold = match method {
        MethodName::Morris => 0.05 * largest,
        MethodName::Sobol => 0.02,
    };
    let mut sentence = format!("What drives {subject}: ");
    if let [(top, outputs)] = &tops[..] {
        let everyone = if group.outputs.len() > 1 && outputs.len() == group.outputs.len() {
            "every strategy".to_string()
        } else {
            who(outputs)
        };
        let _ = write!(
            sentence,
            "<strong>{}</strong> matters most for {everyone} ({})",
            label(data, *top),
            values(*top, outputs)
        );
        let order = group_order(data, &defined);
        if let Some(&next) = order.iter().find(|&&p| p != *top) {
            let next_value = values(next, &defined);
            if defined
                .iter()
                .any(|&o| data.indices[o].main[next].value >= threshold)
            {
                let _ = write!(
                    sentence,
                    ", followed by <strong>{}</strong> ({next_value})",
                    label(data, next)
                );
            }
        }
        sentence.push('.');
    } else {
        let parts: Vec<String> = tops
            .iter()
            .map(|(p, outputs)| {
                format!(
                    "<strong>{}</strong> for {} ({})",
                    label(data, *p),
                    who(outputs),
                    values(*p, outputs)
                )
            })
            .collect();
        let _ = write!(
            sentence,
            "the assumption that matters most differs between strategies: {}.",
            parts.join("; ")
        );
    }
    // Assumptions that hardly matter anywhere in the group.
    let (mut zero, mut small) = (Vec::new(), Vec::new());
    for p in 0..data.info.parameters.len() {
        let all: Vec<f64> = defined
            .iter()
            .map(|&o| data.indices[o].main[p].value)
            .collect();
        if all.iter().all(|&v| v == 0.0) {
            zero.push(label(data, p));
        } else if all.iter().all(|&v| v.is_finite() && v.abs() < threshold) {
            small.push(label(data, p));
        }
    }
    if !small.is_empty() {
        let _ = write!(
            sentence,
            " {} hardly {} ({} below {}).",
            capitalise(&list(&small)),
            if small.len() == 1 {
                "matters"
            } else {
                "matter"
            },
            main_symbol(method),
            match method {
                MethodName::Morris => "5% of the largest".to_string(),
                MethodName::Sobol => index_text(threshold),
            }
        );
    }
    if !zero.is_empty() {
        let _ = write!(
            sentence,
            " {} {} not change it at all (index exactly 0: with the same random numbers at every point, the simulation does not read {} here).",
            capitalise(&list(&zero)),
            if zero.len() == 1 { "does" } else { "do" },
            if zero.len() == 1 { "it" } else { "them" }
        );
    }
    let worst = group
        .outputs
        .iter()
        .map(|&o| data.outputs[o].noise_share)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if worst > NOISE_LIMIT {
        let _ = write!(
            sentence,
            " Caution: Monte Carlo noise could be up to {} of the variance here, so the smaller indices are not to be trusted (more inner replications, <code>-n</code>, would fix it).",
            noise_text(worst)
        );
    }
    sentence
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// "S at 95% of the design points (T 4%, the others below 1%)".
fn leader_text(ranking: &Ranking, leaders: &Leaders) -> String {
    let Some((best, share)) = leaders.leader() else {
        return "no design point has every strategy defined".into();
    };
    let mut others: Vec<(usize, f64)> = leaders
        .shares
        .iter()
        .copied()
        .enumerate()
        .filter(|&(s, v)| s != best && v >= 0.005)
        .collect();
    others.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let rest = leaders.shares.len() - 1 - others.len();
    let mut parts: Vec<String> = others
        .iter()
        .map(|&(s, v)| format!("{} {}", quoted(&ranking.strategies[s]), percent(v)))
        .collect();
    if rest > 0 && !others.is_empty() {
        parts.push(if rest == 1 {
            "the other below 1%".into()
        } else {
            "the others below 1%".into()
        });
    }
    let tail = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    format!(
        "{} at {} of the {} design points{tail}",
        quoted(&ranking.strategies[best]),
        percent(share),
        thousands(leaders.points as f64)
    )
}

/// Plain sentences on whether the assumptions change the best strategy.
fn ranking_sentence(data: &SensitivityData, groups: &[Group], ranking: &Ranking) -> String {
    let direction = if ranking.higher_is_better {
        "highest"
    } else {
        "lowest"
    };
    let mut sentence = format!(
        "Best (the {direction}) <code>{}</code> over the whole uncertainty box: {}.",
        escape(&ranking.metric),
        leader_text(ranking, &ranking.overall)
    );
    let changing: Vec<&ranking::Split> = ranking
        .splits
        .iter()
        .filter(|s| s.leader_changes())
        .collect();
    // The top driver of the metric's levels, by the group's order.
    let top_driver = groups
        .iter()
        .find(|g| g.metric == ranking.metric && g.versus.is_empty())
        .map(|g| group_order(data, &g.outputs)[0]);
    let describe_split = |split: &ranking::Split| -> String {
        let side = |leaders: &Leaders| match leaders.leader() {
            Some((s, share)) => format!(
                "{} leads at {}",
                quoted(&ranking.strategies[s]),
                percent(share)
            ),
            None => "no point".into(),
        };
        format!(
            "below its median ({}) {} of the points, above it {}",
            median_text(data, split.parameter, split.median),
            side(&split.below),
            side(&split.above)
        )
    };
    if changing.is_empty() {
        let _ = write!(
            sentence,
            " The leader is the same in the lower and the upper half of every assumption’s range"
        );
        if let Some(first) = ranking.splits.first().filter(|s| s.swing >= 0.05) {
            let _ = write!(
                sentence,
                "; <strong>{}</strong> moves the shares most: {}.",
                label(data, first.parameter),
                describe_split(first)
            );
        } else {
            sentence.push_str(
                ", and no assumption moves any strategy’s share by 5 percentage points: the ranking is robust to these assumptions.",
            );
        }
    } else {
        let names: Vec<String> = changing
            .iter()
            .map(|s| format!("<strong>{}</strong>", label(data, s.parameter)))
            .collect();
        let _ = write!(
            sentence,
            " Which strategy is best depends on {}: for {}, {}.",
            list(&names),
            label(data, changing[0].parameter),
            describe_split(changing[0])
        );
    }
    let robust = ranking.splits.iter().all(|s| s.swing < 0.05);
    // The split already described, if any (not repeated for the top driver).
    let described = changing
        .first()
        .copied()
        .or(ranking.splits.first().filter(|s| s.swing >= 0.05))
        .map(|s| s.parameter);
    if let Some(p) = top_driver.filter(|&p| !robust && described != Some(p))
        && let Some(split) = ranking.splits.iter().find(|s| s.parameter == p)
    {
        let _ = write!(
            sentence,
            " The assumption that drives the level most, {}, {} ({}).",
            label(data, p),
            if split.leader_changes() {
                "also changes the leader"
            } else {
                "does not change the leader"
            },
            describe_split(split)
        );
    }
    sentence
}

fn noise_sentence(data: &SensitivityData) -> String {
    let defined: Vec<&OutputRow> = data
        .outputs
        .iter()
        .filter(|o| o.noise_share.is_finite())
        .collect();
    let constant = data.outputs.len() - defined.len();
    let noisy: Vec<&&OutputRow> = defined
        .iter()
        .filter(|o| o.noise_share > NOISE_LIMIT)
        .collect();
    let worst = defined
        .iter()
        .max_by(|a, b| a.noise_share.total_cmp(&b.noise_share));
    let mut sentence = match worst {
        None => "No output varies over the design.".to_string(),
        Some(worst) if noisy.is_empty() => format!(
            "Monte Carlo noise is at most {} of the variance of any output over the design (largest: {}): the indices reflect the assumptions, not the luck of the simulation.",
            noise_text(worst.noise_share),
            escape(&worst.name())
        ),
        Some(worst) => format!(
            "Monte Carlo noise could explain more than {} of the variance for {} of {} outputs (largest: {} for {}): their smaller indices are not to be trusted; rerun with more inner replications (<code>-n {}</code>).",
            percent(NOISE_LIMIT),
            noisy.len(),
            defined.len(),
            noise_text(worst.noise_share),
            escape(&worst.name()),
            4 * data.info.inner_replications
        ),
    };
    if constant > 0 {
        let _ = write!(
            sentence,
            " {constant} {} constant over the design.",
            if constant == 1 {
                "output is"
            } else {
                "outputs are"
            }
        );
    }
    sentence
}

/// One output's convergence verdict between the last two sample sizes.
struct Convergence {
    output: usize,
    before: usize,
    last: usize,
    change: f64,
    /// The parameter of the largest change.
    moved: usize,
    top_before: usize,
    top_last: usize,
}

impl Convergence {
    fn settled(&self) -> bool {
        self.top_before == self.top_last && self.change <= CONVERGED_CHANGE
    }

    fn verdict(&self) -> &'static str {
        if self.settled() {
            "settled"
        } else if self.top_before == self.top_last {
            "leading assumption settled; values still move"
        } else {
            "not settled: the leading assumption changed"
        }
    }
}

fn convergence_of(data: &SensitivityData) -> Vec<Convergence> {
    data.convergence
        .iter()
        .enumerate()
        .filter(|(o, _)| data.outputs[*o].noise_share.is_finite())
        .filter_map(|(output, steps)| {
            let [.., before, last] = &steps[..] else {
                return None;
            };
            let (mut change, mut moved) = (0.0, 0);
            for p in 0..data.info.parameters.len() {
                let d = (last.indices.main[p].value - before.indices.main[p].value).abs();
                if d.is_finite() && d > change {
                    change = d;
                    moved = p;
                }
            }
            Some(Convergence {
                output,
                before: before.samples,
                last: last.samples,
                change,
                moved,
                top_before: before.indices.ranking()[0],
                top_last: last.indices.ranking()[0],
            })
        })
        .collect()
}

fn convergence_sentence(data: &SensitivityData) -> String {
    let all = convergence_of(data);
    let samples = data.info.samples.unwrap_or(0);
    let Some(worst) = all.iter().max_by(|a, b| a.change.total_cmp(&b.change)) else {
        return format!(
            "The convergence table has a single sample size (N = {samples}), so it cannot show whether N was enough: run with <code>--samples {}</code> or more.",
            (2 * samples).max(32)
        );
    };
    let unsettled_top = all.iter().filter(|c| c.top_before != c.top_last).count();
    let largest = format!(
        "{} for {} of {}",
        index_text(worst.change),
        label(data, worst.moved),
        escape(&data.outputs[worst.output].name())
    );
    if all.iter().all(Convergence::settled) {
        format!(
            "N = {} was enough: from N = {} to {} no total index moved by more than {} (largest: {largest}) and every output kept its leading assumption.",
            worst.last,
            worst.before,
            worst.last,
            index_text(CONVERGED_CHANGE),
        )
    } else if unsettled_top == 0 {
        format!(
            "N = {} was enough to rank the leading assumption of every output, but not to quote the indices to better than about ±{}: from N = {} to {} a total index moved by up to {largest}. Doubling <code>--samples</code> would narrow them.",
            worst.last,
            index_text(worst.change),
            worst.before,
            worst.last,
        )
    } else {
        format!(
            "N = {} was not enough: for {} of {} outputs the leading assumption changed from N = {} to {}, and a total index moved by up to {largest}. Rerun with <code>--samples {}</code>.",
            worst.last,
            unsettled_top,
            all.len(),
            worst.before,
            worst.last,
            2 * worst.last
        )
    }
}

fn findings(data: &SensitivityData, groups: &[Group], rankings: &[Ranking]) -> Vec<String> {
    let mut sentences: Vec<String> = groups.iter().map(|g| driver_sentence(data, g)).collect();
    for ranking in rankings {
        sentences.push(ranking_sentence(data, groups, ranking));
    }
    sentences.push(noise_sentence(data));
    match data.info.method {
        MethodName::Sobol => sentences.push(convergence_sentence(data)),
        MethodName::Morris => sentences.push(
            "Morris screening ranks the assumptions cheaply; it does not say what share of the variance each explains. For that, and a check that the sample was large enough, run <code>--method sobol</code>.".into(),
        ),
    }
    sentences
}

fn header_cells(data: &SensitivityData, outputs: &[usize]) -> String {
    outputs
        .iter()
        .map(|&o| {
            let row = &data.outputs[o];
            format!(
                "<th>{}{}</th>",
                swatch(data.colour(&row.strategy)),
                escape(&row.who())
            )
        })
        .collect()
}

/// The ranked table of one group: a row per assumption, a column per strategy.
fn group_table(data: &SensitivityData, group: &Group, stem: &str) -> String {
    let method = data.info.method;
    let mut html = format!(
        r#"<div class="table-wrap"><table id="drivers-{stem}"><thead><tr><th class="text">Assumption</th>{}</tr></thead><tbody>"#,
        header_cells(data, &group.outputs)
    );
    let ranks: Vec<Vec<usize>> = group
        .outputs
        .iter()
        .map(|&o| data.indices[o].ranking())
        .collect();
    for p in group_order(data, &group.outputs) {
        let _ = write!(
            html,
            r#"<tr><td class="text">{}<br><span class="note">{}</span></td>"#,
            label(data, p),
            escape(&data.info.parameters[p].path)
        );
        for (column, &o) in group.outputs.iter().enumerate() {
            let indices: &Indices = &data.indices[o];
            let main = indices.main[p];
            let second = indices.second[p];
            if !main.value.is_finite() {
                let _ = write!(html, "<td>{MISSING}</td>");
                continue;
            }
            let rank = ranks[column].iter().position(|&q| q == p).unwrap_or(0) + 1;
            let interval = interval_text(method, main)
                .map(|t| format!(r#"<br><span class="note">{t}</span>"#))
                .unwrap_or_default();
            let second = match method {
                MethodName::Morris => format!("σ {}", significant(second.value)),
                MethodName::Sobol => format!("S1 {}", index_text(second.value)),
            };
            let _ = write!(
                html,
                r#"<td>{}{interval}<br><span class="note">{second} · rank {rank}</span></td>"#,
                measure(method, main.value)
            );
        }
        html.push_str("</tr>");
    }
    html.push_str(r#"<tr><td class="text">Monte Carlo noise share</td>"#);
    for &o in &group.outputs {
        let share = data.outputs[o].noise_share;
        let flag = if share > NOISE_LIMIT {
            r#"<br><span class="note">too noisy</span>"#
        } else {
            ""
        };
        let _ = write!(html, "<td>{}{flag}</td>", noise_text(share));
    }
    html.push_str("</tr></tbody></table></div>");
    html
}

fn drivers_section(data: &SensitivityData, groups: &[Group]) -> String {
    let method = data.info.method;
    let method_stem = match method {
        MethodName::Morris => "morris",
        MethodName::Sobol => "sobol",
    };
    let mut html =
        String::from("<section id=\"drivers\">\n<h2>Which assumptions drive the answer</h2>\n");
    let _ = writeln!(
        html,
        "<p>{}</p>",
        match method {
            MethodName::Morris =>
                "For each outcome and strategy, the uncertain assumptions ranked by <strong>μ*</strong>, the mean absolute change of the outcome when one assumption moves across its range with the others held (Morris elementary effects, in the outcome’s units over the whole range), with its 95% bootstrap interval over trajectories below it. <strong>σ</strong>, the spread of those effects, is large when an assumption’s effect depends on the others or is not linear. Rank 1 is the most important assumption for that strategy; rows are ordered as in the chart.",
            MethodName::Sobol =>
                "For each outcome and strategy, the uncertain assumptions ranked by their <strong>total Sobol index</strong> (the share of the outcome’s variance over the uncertainty box that the assumption explains, alone and through its interactions), with its 95% bootstrap interval below it, and the <strong>first-order index S1</strong> (the share it explains alone). A total index near 0 means the assumption can be fixed anywhere in its range without changing the answer. Rank 1 is the most important assumption for that strategy; rows are ordered as in the chart.",
        }
    );
    let mut figure = 0;
    for group in groups {
        let stem = chart_stem(method_stem, &group.metric, &group.versus);
        let heading = if group.versus.is_empty() {
            format!(
                "{} (<code>{}</code>)",
                escape(&capitalise(&describe_metric(&group.metric))),
                escape(&group.metric)
            )
        } else {
            format!(
                "Gain over {} in <code>{}</code> (paired)",
                quoted(&group.versus),
                escape(&group.metric)
            )
        };
        let _ = writeln!(html, "<h3 id=\"group-{stem}\">{heading}</h3>");
        let _ = writeln!(html, "<p>{}</p>", driver_sentence(data, group));
        if let Some(svg) = data.charts.get(&stem) {
            figure += 1;
            let title = if group.versus.is_empty() {
                format!("What drives {}: {}", group.metric, method_name(method))
            } else {
                format!(
                    "What drives the gain over “{}” in {}: {}",
                    group.versus,
                    group.metric,
                    method_name(method)
                )
            };
            let caption = match method {
                MethodName::Morris => "Bars: μ* with 95% bootstrap whiskers; markers: σ.",
                MethodName::Sobol => {
                    "Light bars: total index; solid bars: first-order index; whiskers: 95% bootstrap intervals."
                }
            };
            let _ = write!(
                html,
                r#"<figure class="chart" id="chart-{stem}">
{svg}
<figcaption><strong>Figure {figure}. {title}.</strong> {caption} Print versions: <code>charts/{stem}.png</code>, <code>charts/{stem}.svg</code>.</figcaption>
</figure>
"#,
                svg = inline_svg(svg, &title),
                title = escape(&title),
            );
        }
        html.push_str(&group_table(data, group, &stem));
        html.push('\n');
    }
    for family in families(data) {
        html.push_str(&family_table(data, &family));
    }
    html.push_str("</section>\n");
    html
}

/// A time-resolved family: per year and strategy, the leading assumption.
fn family_table(data: &SensitivityData, family: &Family) -> String {
    let method = data.info.method;
    let what = if family.prefix.starts_with("weighted") {
        "usage-weighted survival"
    } else {
        "survival"
    };
    let heading = if family.versus.is_empty() {
        format!("Year by year: {what}")
    } else {
        format!(
            "Year by year: gain in {what} over {}",
            quoted(&family.versus)
        )
    };
    let mut html = format!(
        "<h3>{heading}</h3>\n<p>The assumption that ranks first at each year (its {} in brackets, then the second), and the Monte Carlo noise share. Assumptions that matter early (who leaves) and late (who replaces them) show up here.</p>\n",
        main_symbol(method)
    );
    let _ = write!(
        html,
        r#"<div class="table-wrap"><table><thead><tr><th class="text">Year</th>"#
    );
    for strategy in &family.strategies {
        let who = if family.versus.is_empty() {
            escape(strategy)
        } else {
            format!("{} − {}", escape(strategy), escape(&family.versus))
        };
        let _ = write!(html, "<th>{}{who}</th>", swatch(data.colour(strategy)));
    }
    html.push_str("</tr></thead><tbody>");
    for (row, year) in family.years.iter().enumerate() {
        let _ = write!(html, r#"<tr><td class="text">{year}</td>"#);
        for cell in &family.cells[row] {
            let Some(o) = *cell else {
                let _ = write!(html, "<td>{MISSING}</td>");
                continue;
            };
            let indices = &data.indices[o];
            let order = indices.ranking();
            let top = order[0];
            if indices.main[top].value.is_nan() || indices.main[top].value <= 0.0 {
                let _ = write!(
                    html,
                    r#"<td>{MISSING}<br><span class="note">noise {}</span></td>"#,
                    noise_text(data.outputs[o].noise_share)
                );
                continue;
            }
            let second = order
                .get(1)
                .filter(|&&q| indices.main[q].value > 0.0)
                .map(|&q| {
                    format!(
                        r#"<br><span class="note">then {} ({})</span>"#,
                        label(data, q),
                        measure(method, indices.main[q].value)
                    )
                })
                .unwrap_or_default();
            let _ = write!(
                html,
                r#"<td>{} ({}){second}<br><span class="note">noise {}</span></td>"#,
                label(data, top),
                measure(method, indices.main[top].value),
                noise_text(data.outputs[o].noise_share)
            );
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>\n");
    html
}

fn ranking_section(data: &SensitivityData, groups: &[Group], rankings: &[Ranking]) -> String {
    let mut html = String::from(
        "<section id=\"ranking\">\n<h2>Do the assumptions change which strategy is best?</h2>\n",
    );
    if rankings.is_empty() {
        html.push_str("<p>Not available: the analysis has fewer than two strategies’ levels of any scalar outcome (run without <code>--strategy</code>, or with two or more).</p>\n</section>\n");
        return html;
    }
    html.push_str("<p>At every design point (one combination of the assumptions) the strategies are compared on the same random numbers, and the best one counted. The share of points at which each strategy is best shows how robust the ranking is over the uncertainty box; splitting the points at each assumption’s median shows which assumptions can change it (a coarse view: the other assumptions vary within each half).</p>\n");
    for ranking in rankings {
        let _ = writeln!(
            html,
            "<h3 id=\"ranking-{}\">{} (<code>{}</code>)</h3>\n<p>{}</p>",
            escape(&crate::plot::sensitivity::file_safe(&ranking.metric)),
            escape(&capitalise(&describe_metric(&ranking.metric))),
            escape(&ranking.metric),
            ranking_sentence(data, groups, ranking)
        );
        let cell = |leaders: &Leaders| match leaders.leader() {
            Some((s, share)) => format!(
                "{}{}<br><span class=\"note\">{} of {} points</span>",
                swatch(data.colour(&ranking.strategies[s])),
                escape(&ranking.strategies[s]),
                percent(share),
                thousands(leaders.points as f64)
            ),
            None => MISSING.into(),
        };
        let _ = write!(
            html,
            r#"<div class="table-wrap"><table><thead><tr><th class="text">Assumption</th><th>Median</th><th class="text">Best below the median</th><th class="text">Best above the median</th><th>Largest shift of a strategy’s share</th></tr></thead><tbody><tr><td class="text"><em>All design points</em></td><td></td><td class="text" colspan="2">{}</td><td></td></tr>"#,
            cell(&ranking.overall)
        );
        for split in &ranking.splits {
            let _ = write!(
                html,
                r#"<tr><td class="text">{}{}</td><td>{}</td><td class="text">{}</td><td class="text">{}</td><td>{:.0} points</td></tr>"#,
                label(data, split.parameter),
                if split.leader_changes() {
                    r#"<br><span class="note">changes the leader</span>"#
                } else {
                    ""
                },
                median_text(data, split.parameter, split.median),
                cell(&split.below),
                cell(&split.above),
                100.0 * split.swing
            );
        }
        html.push_str("</tbody></table></div>\n");
    }
    html.push_str("</section>\n");
    html
}

fn noise_section(data: &SensitivityData) -> String {
    let mut html = String::from(
        "<section id=\"noise\">\n<h2>How much of the variance is Monte Carlo noise</h2>\n",
    );
    let _ = writeln!(
        html,
        "<p>Each design point is the mean of {} replications, so it carries Monte Carlo error. The <strong>noise share</strong> is the mean squared standard error of a point’s mean divided by the variance of the points’ means: the share of the variance that independent noise of that size would explain. With the same random numbers at every point much of the noise is shared and drops out of the indices, so this is an upper bound. Below {} the indices are trustworthy; above it, the indices of the weaker assumptions are not, and more inner replications (<code>-n</code>) are needed.</p>\n<p>{}</p>",
        data.info.inner_replications,
        percent(NOISE_LIMIT),
        noise_sentence(data)
    );
    html.push_str(r#"<div class="table-wrap"><table id="noise-table"><thead><tr><th class="text">Outcome</th><th class="text">Strategy</th><th>Mean over the design</th><th>Variance over the design</th><th>Noise share</th><th class="text">Verdict</th></tr></thead><tbody>"#);
    for row in &data.outputs {
        let verdict = if !row.noise_share.is_finite() {
            "constant over the design"
        } else if row.noise_share > NOISE_LIMIT {
            "too noisy: add replications"
        } else {
            "fine"
        };
        let _ = write!(
            html,
            r#"<tr><td class="text"><code>{}</code></td><td class="text">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td class="text">{verdict}</td></tr>"#,
            escape(&row.metric),
            swatch(data.colour(&row.strategy)),
            escape(&row.who()),
            significant(row.mean),
            significant(row.variance),
            noise_text(row.noise_share),
        );
    }
    html.push_str("</tbody></table></div>\n</section>\n");
    html
}

fn convergence_section(data: &SensitivityData) -> String {
    let mut html =
        String::from("<section id=\"convergence\">\n<h2>Was the sample large enough?</h2>\n");
    let _ = writeln!(
        html,
        "<p>The indices are recomputed on the first N/8, N/4, N/2 and N rows of the design (each a balanced design in its own right; <code>convergence.csv</code>). If the total indices stop moving and the leading assumption stays the same as N doubles, N was enough. Here a change of at most {} counts as settled.</p>\n<p><strong>Verdict.</strong> {}</p>",
        index_text(CONVERGED_CHANGE),
        convergence_sentence(data)
    );
    let all = convergence_of(data);
    if let Some(worst) = all
        .iter()
        .filter(|c| !data.outputs[c.output].time_resolved())
        .max_by(|a, b| a.change.total_cmp(&b.change).then(b.output.cmp(&a.output)))
    {
        let steps = &data.convergence[worst.output];
        let last = &steps.last().expect("two steps at least").indices;
        let shown: Vec<usize> = last.ranking().into_iter().take(4).collect();
        let _ = write!(
            html,
            r#"<h3>The outcome that moved most: {}</h3><div class="table-wrap"><table id="convergence-detail"><thead><tr><th class="text">N</th>"#,
            escape(&data.outputs[worst.output].name())
        );
        for &p in &shown {
            let _ = write!(html, "<th>{}</th>", label(data, p));
        }
        html.push_str("</tr></thead><tbody>");
        for step in steps {
            let _ = write!(
                html,
                r#"<tr><td class="text">{}</td>"#,
                thousands(step.samples as f64)
            );
            for &p in &shown {
                let x = step.indices.main[p];
                let interval = interval_text(MethodName::Sobol, x)
                    .map(|t| format!(r#"<br><span class="note">{t}</span>"#))
                    .unwrap_or_default();
                let _ = write!(html, "<td>{}{interval}</td>", index_text(x.value));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table></div>\n");
    }
    if !all.is_empty() {
        html.push_str(r#"<h3>Every outcome</h3><div class="table-wrap"><table id="convergence-table"><thead><tr><th class="text">Outcome</th><th class="text">Leading assumption at N/2</th><th class="text">Leading assumption at N</th><th>Largest change of a total index</th><th class="text">Verdict</th></tr></thead><tbody>"#);
        for c in &all {
            let _ = write!(
                html,
                r#"<tr><td class="text">{}</td><td class="text">{}</td><td class="text">{}</td><td>{}<br><span class="note">{} · N = {}→{}</span></td><td class="text">{}</td></tr>"#,
                escape(&data.outputs[c.output].name()),
                label(data, c.top_before),
                label(data, c.top_last),
                index_text(c.change),
                label(data, c.moved),
                c.before,
                c.last,
                c.verdict()
            );
        }
        html.push_str("</tbody></table></div>\n");
    }
    html.push_str("</section>\n");
    html
}

fn assumptions_section(data: &SensitivityData) -> String {
    let mut html = String::from(
        "<section id=\"assumptions\">\n<h2>The uncertain assumptions</h2>\n<p>The ranges explored, from the scenario’s <code>[sensitivity]</code> table (the sources behind them are in the scenario file’s comments and <code>CALIBRATION.md</code>). Every other input is held at the scenario’s value.</p>\n",
    );
    html.push_str(r#"<div class="table-wrap"><table><thead><tr><th class="text">Assumption</th><th class="text">Scenario field</th><th class="text">Distribution</th><th>Median</th></tr></thead><tbody>"#);
    for (p, parameter) in data.info.parameters.iter().enumerate() {
        let median = parameter.distribution.quantile(0.5);
        let median = if data.whole_number[p] {
            median.round()
        } else {
            median
        };
        let _ = write!(
            html,
            r#"<tr><td class="text">{}</td><td class="text"><code>{}</code></td><td class="text">{}{}</td><td>{}</td></tr>"#,
            escape(&parameter.label),
            escape(&parameter.path),
            escape(&parameter.distribution.describe()),
            if data.whole_number[p] {
                " (whole numbers)"
            } else {
                ""
            },
            median_text(data, p, median)
        );
    }
    html.push_str("</tbody></table></div>\n</section>\n");
    html
}

fn method_section(data: &SensitivityData) -> String {
    let info = &data.info;
    let origin = if let Some(name) = info.scenario_origin.strip_prefix("built-in:") {
        name.to_string()
    } else if info.scenario_origin.is_empty() {
        "SCENARIO".to_string()
    } else {
        info.scenario_origin.clone()
    };
    let mut command = format!(
        "fundsim sensitivity {} --method {} --seed {} -n {}",
        origin,
        match info.method {
            MethodName::Morris => "morris",
            MethodName::Sobol => "sobol",
        },
        info.seed,
        info.inner_replications
    );
    match info.method {
        MethodName::Morris => {
            let _ = write!(
                command,
                " --trajectories {}",
                info.trajectories.unwrap_or(0)
            );
        }
        MethodName::Sobol => {
            let _ = write!(command, " --samples {}", info.samples.unwrap_or(0));
        }
    }
    for metric in &info.metrics {
        let _ = write!(command, " --metric {metric}");
    }
    for strategy in &info.strategy_filter {
        let _ = write!(command, " --strategy {strategy}");
    }
    for versus in &info.versus {
        let _ = write!(command, " --versus {versus}");
    }
    let _ = write!(command, " --bootstrap {}", info.bootstrap_resamples);
    let design = match info.method {
        MethodName::Morris => format!(
            "Morris (1991) elementary effects: {} trajectories of k + 1 points on a grid of {} levels, each step moving one assumption; μ* is the mean absolute effect (Campolongo et al. 2007), σ the standard deviation of the effects, with 95% percentile bootstrap intervals over trajectories ({} resamples).",
            info.trajectories.unwrap_or(0),
            info.levels.unwrap_or(0),
            info.bootstrap_resamples
        ),
        MethodName::Sobol => format!(
            "Sobol indices from Saltelli’s scheme on a scrambled Sobol sequence, N = {} base rows, N·(k + 2) points; first-order indices by the Saltelli (2010) estimator and total indices by Jansen’s (1999), with 95% percentile bootstrap intervals over the rows ({} resamples).",
            info.samples.unwrap_or(0),
            info.bootstrap_resamples
        ),
    };
    format!(
        r#"<section id="method">
<h2>Method</h2>
<p><strong>Design.</strong> {design} Each assumption is drawn through the quantile function of its distribution; whole-number fields are rounded.</p>
<p><strong>A stochastic model.</strong> Every design point is the mean of {replications} replications, and every point uses the same master seed ({seed}): the same random events meet every combination of the assumptions (common random numbers), so an assumption the simulation does not read gets an index of exactly 0, and the comparison of strategies at a point is paired. The noise share above says how much Monte Carlo error remains.</p>
<p><strong>Reproduce.</strong> <code>{command}</code> rewrites every table of this folder byte for byte, whatever the number of threads (scenario hash <code>{hash}</code>). The tables are <code>indices.csv</code>, <code>outputs.csv</code>, <code>design.csv</code> (every point, for re-analysis, e.g. in SALib){convergence} and <code>parameters.csv</code>.</p>
</section>
"#,
        replications = info.inner_replications,
        seed = info.seed,
        command = escape(&command),
        hash = escape(info.scenario_hash.get(..16).unwrap_or(&info.scenario_hash)),
        convergence = if info.method == MethodName::Sobol {
            ", <code>convergence.csv</code>"
        } else {
            ""
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(significant(0.012_345), "0.0123");
        assert_eq!(significant(-1.2345), "−1.23");
        assert_eq!(significant(123.45), "123");
        assert_eq!(significant(24_600_000.0), "24,600,000");
        assert_eq!(significant(f64::NAN), MISSING);
        assert_eq!(index_text(0.534), "0.53");
        assert_eq!(index_text(0.0061), "0.006");
        assert_eq!(index_text(0.0), "0");
        assert_eq!(list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
        assert_eq!(capitalise("share"), "Share");
    }
}
