//! The Nelder–Mead simplex method (Nelder & Mead 1965, with the standard coefficients of
//! Lagarias et al. 1998: reflection 1, expansion 2, contraction ½, shrink ½), for an
//! unconstrained, derivative-free minimisation. Bounds are the caller's business (the
//! calibration works on a logistic transform of its box).
//!
//! A simulated objective under common random numbers is a fine staircase, not a smooth
//! surface; the simplex can collapse on a step. [`minimise`] therefore restarts from the
//! best point with a fresh simplex until a restart no longer improves the value.

/// Settings of a minimisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Size of the initial simplex: each vertex is the start moved by `step` along one axis.
    pub step: f64,
    /// Stop when every vertex is within `x_tolerance` of the best one (max norm)…
    pub x_tolerance: f64,
    /// …or when the values of all vertices are within `f_tolerance` of the best one.
    pub f_tolerance: f64,
    /// Stop after this many evaluations in all (restarts included).
    pub max_evaluations: usize,
    /// At most this many restarts from the best point.
    pub max_restarts: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            step: 0.5,
            x_tolerance: 1e-3,
            f_tolerance: 1e-6,
            max_evaluations: 400,
            max_restarts: 3,
        }
    }
}

/// The best point found.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub evaluations: usize,
    /// Whether a tolerance was met (rather than the evaluation budget running out).
    pub converged: bool,
}

/// The objective with an evaluation counter; non-finite values count as +∞.
struct Counted<F> {
    f: F,
    evaluations: usize,
}

impl<F: FnMut(&[f64]) -> f64> Counted<F> {
    fn eval(&mut self, x: &[f64]) -> f64 {
        self.evaluations += 1;
        let value = (self.f)(x);
        if value.is_finite() {
            value
        } else {
            f64::INFINITY
        }
    }
}

/// Minimises `f` from `start`. Non-finite values count as +∞ (the simplex moves away).
pub fn minimise(f: impl FnMut(&[f64]) -> f64, start: &[f64], settings: &Settings) -> Minimum {
    let mut objective = Counted { f, evaluations: 0 };
    let start_value = objective.eval(start);
    let (mut best_x, mut best_value, mut converged) =
        simplex_search(&mut objective, start, start_value, settings);
    for _ in 0..settings.max_restarts {
        if objective.evaluations >= settings.max_evaluations {
            break;
        }
        let (x, value, ok) = simplex_search(&mut objective, &best_x, best_value, settings);
        let improved = value < best_value - settings.f_tolerance;
        if value < best_value {
            best_x = x;
            best_value = value;
        }
        converged = ok;
        if !improved {
            break;
        }
    }
    Minimum {
        x: best_x,
        value: best_value,
        evaluations: objective.evaluations,
        converged,
    }
}

/// One simplex search from `start`, whose value is known.
fn simplex_search<F: FnMut(&[f64]) -> f64>(
    objective: &mut Counted<F>,
    start: &[f64],
    start_value: f64,
    settings: &Settings,
) -> (Vec<f64>, f64, bool) {
    let n = start.len();
    let mut vertices: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    vertices.push((start.to_vec(), start_value));
    for axis in 0..n {
        let mut x = start.to_vec();
        x[axis] += settings.step;
        let value = objective.eval(&x);
        vertices.push((x, value));
    }
    loop {
        vertices.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = &vertices[0];
        let spread_x = vertices
            .iter()
            .flat_map(|(x, _)| x.iter().zip(&best.0).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        let spread_f = vertices[n].1 - best.1;
        if spread_x <= settings.x_tolerance
            || (spread_f.is_finite() && spread_f <= settings.f_tolerance)
        {
            return (vertices[0].0.clone(), vertices[0].1, true);
        }
        if objective.evaluations >= settings.max_evaluations {
            return (vertices[0].0.clone(), vertices[0].1, false);
        }
        let centroid: Vec<f64> = (0..n)
            .map(|i| vertices[..n].iter().map(|(x, _)| x[i]).sum::<f64>() / n as f64)
            .collect();
        let worst = vertices[n].0.clone();
        let along = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&worst)
                .map(|(c, w)| c + t * (c - w))
                .collect()
        };
        let reflected = along(1.0);
        let reflected_value = objective.eval(&reflected);
        if reflected_value < vertices[0].1 {
            let expanded = along(2.0);
            let expanded_value = objective.eval(&expanded);
            vertices[n] = if expanded_value < reflected_value {
                (expanded, expanded_value)
            } else {
                (reflected, reflected_value)
            };
            continue;
        }
        if reflected_value < vertices[n - 1].1 {
            vertices[n] = (reflected, reflected_value);
            continue;
        }
        // Contract: outside if the reflection beat the worst, inside otherwise.
        let (contracted, limit) = if reflected_value < vertices[n].1 {
            (along(0.5), reflected_value)
        } else {
            (along(-0.5), vertices[n].1)
        };
        let contracted_value = objective.eval(&contracted);
        if contracted_value < limit {
            vertices[n] = (contracted, contracted_value);
            continue;
        }
        // Shrink towards the best vertex.
        let best = vertices[0].0.clone();
        for vertex in vertices.iter_mut().skip(1) {
            let x: Vec<f64> = best
                .iter()
                .zip(&vertex.0)
                .map(|(b, v)| b + 0.5 * (v - b))
                .collect();
            let value = objective.eval(&x);
            *vertex = (x, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_the_rosenbrock_function() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let settings = Settings {
            x_tolerance: 1e-8,
            f_tolerance: 1e-14,
            max_evaluations: 5_000,
            ..Settings::default()
        };
        let minimum = minimise(rosenbrock, &[-1.2, 1.0], &settings);
        assert!(minimum.converged);
        assert!((minimum.x[0] - 1.0).abs() < 1e-4, "{minimum:?}");
        assert!((minimum.x[1] - 1.0).abs() < 1e-4, "{minimum:?}");
    }

    #[test]
    fn one_dimension_and_infinite_values() {
        let f = |x: &[f64]| {
            if x[0] < -3.0 {
                f64::NAN
            } else {
                (x[0] - 2.0).powi(2)
            }
        };
        let minimum = minimise(f, &[-2.9], &Settings::default());
        assert!((minimum.x[0] - 2.0).abs() < 1e-2, "{minimum:?}");
    }

    #[test]
    fn the_budget_is_respected() {
        let settings = Settings {
            max_evaluations: 20,
            max_restarts: 0,
            ..Settings::default()
        };
        let minimum = minimise(
            |x: &[f64]| x[0].abs() + x[1].abs(),
            &[50.0, 50.0],
            &settings,
        );
        assert!(minimum.evaluations <= 20 + 3, "{}", minimum.evaluations);
        assert!(!minimum.converged);
    }
}
