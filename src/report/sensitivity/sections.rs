//! The sections of the sensitivity report below the findings: the ranked tables of each
//! outcome, the best strategy across the design, the noise and convergence tables, the
//! assumptions' ranges and the method.

use std::fmt::Write as _;

use super::findings::{
    convergence_of, convergence_sentence, driver_sentence, noise_sentence, ranking_sentence,
};
use super::groups::{Family, Group, families};
use super::limits::{CONVERGED_CHANGE, NOISE_LIMIT};
use super::ranking::{Leaders, Ranking};
use super::text::{
    MISSING, capitalise, describe_metric, group_order, index_text, interval_text, label,
    main_symbol, measure, median_text, method_name, noise_text, percent, quoted, significant,
    swatch,
};
use crate::output::read::sensitivity::{Indices, MethodName, SensitivityData};
use crate::plot::sensitivity::chart_stem;
use crate::plot::style::thousands;
use crate::report::html::escape;
use crate::report::inline_svg;

pub(super) fn header_cells(data: &SensitivityData, outputs: &[usize]) -> String {
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
pub(super) fn group_table(data: &SensitivityData, group: &Group, stem: &str) -> String {
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

pub(super) fn drivers_section(data: &SensitivityData, groups: &[Group]) -> String {
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
            // In words, as the chart's own title (the metric's name is in the heading).
            let title = if group.versus.is_empty() {
                format!(
                    "What moves the {}: {}",
                    describe_metric(&group.metric),
                    method_name(method)
                )
            } else {
                format!(
                    "What moves the gain over “{}” in the {}: {}",
                    group.versus,
                    describe_metric(&group.metric),
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
pub(super) fn family_table(data: &SensitivityData, family: &Family) -> String {
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

pub(super) fn ranking_section(
    data: &SensitivityData,
    groups: &[Group],
    rankings: &[Ranking],
) -> String {
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

pub(super) fn noise_section(data: &SensitivityData) -> String {
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

pub(super) fn convergence_section(data: &SensitivityData) -> String {
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

pub(super) fn assumptions_section(data: &SensitivityData) -> String {
    let mut html = String::from(
        "<section id=\"assumptions\">\n<h2>The uncertain assumptions</h2>\n<p>The ranges explored, from the scenario’s <code>[sensitivity]</code> table (the sources behind them are in the scenario file’s comments and in fundsim’s <code>docs/calibration.md</code>). Every other input is held at the scenario’s value.</p>\n",
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

pub(super) fn method_section(data: &SensitivityData) -> String {
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
