//! The key findings of the sensitivity report, as plain sentences: what drives each
//! outcome, whether the assumptions change which strategy is best, how much of the
//! variance is Monte Carlo noise, and whether a Sobol sample was large enough.

use std::fmt::Write as _;

use super::groups::Group;
use super::limits::{CONVERGED_CHANGE, NOISE_LIMIT};
use super::ranking::{self, Leaders, Ranking};
use super::text::{
    capitalise, group_order, group_subject, index_text, label, list, main_symbol, measure,
    median_text, noise_text, percent, quoted,
};
use crate::output::read::sensitivity::{MethodName, OutputRow, SensitivityData};
use crate::plot::style::thousands;
use crate::report::html::escape;

/// A plain sentence naming a group's top drivers and the assumptions that hardly matter.
pub(super) fn driver_sentence(data: &SensitivityData, group: &Group) -> String {
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

/// "S at 95% of the design points (T 4%, the others below 1%)".
pub(super) fn leader_text(ranking: &Ranking, leaders: &Leaders) -> String {
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
pub(super) fn ranking_sentence(
    data: &SensitivityData,
    groups: &[Group],
    ranking: &Ranking,
) -> String {
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

pub(super) fn noise_sentence(data: &SensitivityData) -> String {
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
pub(super) struct Convergence {
    pub(super) output: usize,
    pub(super) before: usize,
    pub(super) last: usize,
    pub(super) change: f64,
    /// The parameter of the largest change.
    pub(super) moved: usize,
    pub(super) top_before: usize,
    pub(super) top_last: usize,
}

impl Convergence {
    fn settled(&self) -> bool {
        self.top_before == self.top_last && self.change <= CONVERGED_CHANGE
    }

    pub(super) fn verdict(&self) -> &'static str {
        if self.settled() {
            "settled"
        } else if self.top_before == self.top_last {
            "leading assumption settled; values still move"
        } else {
            "not settled: the leading assumption changed"
        }
    }
}

pub(super) fn convergence_of(data: &SensitivityData) -> Vec<Convergence> {
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

pub(super) fn convergence_sentence(data: &SensitivityData) -> String {
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

pub(super) fn findings(
    data: &SensitivityData,
    groups: &[Group],
    rankings: &[Ranking],
) -> Vec<String> {
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
