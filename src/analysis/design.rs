//! Designs in the unit cube: Saltelli's A/B/AB matrices on an Owen-scrambled Sobol
//! sequence, and Morris trajectories on a grid. Mapping to parameter values (through
//! each distribution's quantile function) is [`to_values`].

use rand::{RngExt, SeedableRng};

use crate::rng::SimRng;
use crate::scenario::UncertainParameter;

/// The first `n` points of an Owen-scrambled Sobol sequence in `dims` dimensions
/// (`sobol_burley`: Burley 2020's hash-based scrambling), each coordinate moved to the
/// centre of its 2^-24 cell so that no coordinate is exactly 0.
///
/// # Panics
/// If `dims` exceeds 256 or `n` exceeds 2^16 (checked when the scenario is validated).
pub fn sobol_points(n: usize, dims: usize, seed: u32) -> Vec<Vec<f64>> {
    assert!(
        dims <= 256 && n <= 1 << 16,
        "beyond the Sobol sequence's size"
    );
    const HALF_CELL: f64 = 1.0 / (1u64 << 25) as f64;
    (0..n)
        .map(|i| {
            (0..dims)
                .map(|d| f64::from(sobol_burley::sample(i as u32, d as u32, seed)) + HALF_CELL)
                .collect()
        })
        .collect()
}

/// Saltelli's sampling scheme (Saltelli 2002; Saltelli et al. 2010): two independent
/// N × k matrices A and B (the two halves of a 2k-dimensional Sobol sequence), and for
/// each input i the matrix AB⁽ⁱ⁾, A with column i taken from B.
#[derive(Debug, Clone)]
pub struct SaltelliDesign {
    /// Base sample size N.
    pub samples: usize,
    /// Number of inputs k.
    pub inputs: usize,
    pub a: Vec<Vec<f64>>,
    pub b: Vec<Vec<f64>>,
}

impl SaltelliDesign {
    pub fn new(samples: usize, inputs: usize, seed: u32) -> Self {
        let points = sobol_points(samples, 2 * inputs, seed);
        let (a, b) = points
            .into_iter()
            .map(|mut row| {
                let second = row.split_off(inputs);
                (row, second)
            })
            .unzip();
        Self {
            samples,
            inputs,
            a,
            b,
        }
    }

    /// Points per row: A, AB⁽¹⁾ … AB⁽ᵏ⁾, B.
    pub fn points_per_row(&self) -> usize {
        self.inputs + 2
    }

    /// Every evaluation point, row by row (`A_j, AB⁽¹⁾_j, …, AB⁽ᵏ⁾_j, B_j`), so the
    /// first n rows of the design are a prefix of the list (for the convergence table).
    pub fn points(&self) -> Vec<Vec<f64>> {
        let mut points = Vec::with_capacity(self.samples * self.points_per_row());
        for (a, b) in self.a.iter().zip(&self.b) {
            points.push(a.clone());
            for input in 0..self.inputs {
                let mut mixed = a.clone();
                mixed[input] = b[input];
                points.push(mixed);
            }
            points.push(b.clone());
        }
        points
    }
}

/// Outputs of a Saltelli design, split back into f(A), f(B) and f(AB⁽ⁱ⁾).
#[derive(Debug, Clone)]
pub struct SaltelliOutputs {
    pub fa: Vec<f64>,
    pub fb: Vec<f64>,
    /// `fab[i][j]`: input i, row j.
    pub fab: Vec<Vec<f64>>,
}

impl SaltelliOutputs {
    /// Splits outputs given in [`SaltelliDesign::points`] order.
    pub fn from_points(values: &[f64], inputs: usize) -> Self {
        let per_row = inputs + 2;
        let rows = values.len() / per_row;
        let mut out = Self {
            fa: Vec::with_capacity(rows),
            fb: Vec::with_capacity(rows),
            fab: vec![Vec::with_capacity(rows); inputs],
        };
        for row in values.chunks_exact(per_row) {
            out.fa.push(row[0]);
            for (input, column) in out.fab.iter_mut().enumerate() {
                column.push(row[1 + input]);
            }
            out.fb.push(row[per_row - 1]);
        }
        out
    }
}

/// A Morris design: `trajectories` one-at-a-time paths of k+1 points on a grid of
/// `levels` levels in [0, 1]; each step moves one input by ±Δ, Δ = p / (2(p − 1))
/// (Morris 1991).
#[derive(Debug, Clone)]
pub struct MorrisDesign {
    pub inputs: usize,
    pub levels: u32,
    pub delta: f64,
    pub trajectories: Vec<Trajectory>,
}

/// One Morris trajectory.
#[derive(Debug, Clone)]
pub struct Trajectory {
    /// k+1 points in the unit cube.
    pub points: Vec<Vec<f64>>,
    /// `moved[s]`: the input changed between point s and s+1.
    pub moved: Vec<usize>,
    /// `step[s]`: the signed change (+Δ or −Δ) of that input.
    pub step: Vec<f64>,
}

impl MorrisDesign {
    /// Random trajectories from `seed`: a random start on the grid, a random order of the
    /// inputs and a random direction for each, every step staying inside [0, 1].
    pub fn new(inputs: usize, trajectories: usize, levels: u32, seed: u64) -> Self {
        let mut rng = SimRng::seed_from_u64(seed ^ 0x4d6f_7272_6973_2031);
        let p = levels.max(2);
        let delta = f64::from(p) / (2.0 * f64::from(p - 1));
        let grid = |level: u32| f64::from(level) / f64::from(p - 1);
        let jump = p / 2; // Δ in grid steps
        let trajectories = (0..trajectories)
            .map(|_| {
                let mut start = Vec::with_capacity(inputs);
                let mut direction = Vec::with_capacity(inputs);
                for _ in 0..inputs {
                    let level = rng.random_range(0..p);
                    // Move up from the lower half of the grid, down from the upper half.
                    let up = level + jump < p;
                    start.push(grid(level));
                    direction.push(if up { delta } else { -delta });
                }
                let mut order: Vec<usize> = (0..inputs).collect();
                for i in (1..inputs).rev() {
                    order.swap(i, rng.random_range(0..=i));
                }
                let mut points = vec![start];
                let mut step = Vec::with_capacity(inputs);
                for &input in &order {
                    let mut next = points.last().expect("starts with a point").clone();
                    next[input] = (next[input] + direction[input]).clamp(0.0, 1.0);
                    step.push(direction[input]);
                    points.push(next);
                }
                Trajectory {
                    points,
                    moved: order,
                    step,
                }
            })
            .collect();
        Self {
            inputs,
            levels: p,
            delta,
            trajectories,
        }
    }

    /// Every evaluation point, trajectory by trajectory.
    pub fn points(&self) -> Vec<Vec<f64>> {
        self.trajectories
            .iter()
            .flat_map(|t| t.points.iter().cloned())
            .collect()
    }
}

/// Maps a unit-cube point to parameter values through each distribution's quantile
/// function.
pub fn to_values(point: &[f64], parameters: &[UncertainParameter]) -> Vec<f64> {
    point
        .iter()
        .zip(parameters)
        .map(|(&u, parameter)| parameter.distribution.quantile(u))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sobol_points_are_stratified() {
        let points = sobol_points(64, 4, 7);
        for dim in 0..4 {
            let mut cells = [0; 8];
            for point in &points {
                assert!(point[dim] > 0.0 && point[dim] < 1.0);
                cells[(point[dim] * 8.0) as usize] += 1;
            }
            assert_eq!(cells, [8; 8], "dimension {dim}");
        }
    }

    #[test]
    fn saltelli_rows_take_one_column_from_b() {
        let design = SaltelliDesign::new(8, 3, 1);
        let points = design.points();
        assert_eq!(points.len(), 8 * 5);
        let row = &points[5..10];
        assert_eq!(row[0], design.a[1]);
        assert_eq!(row[4], design.b[1]);
        assert_eq!(row[2][1], design.b[1][1]);
        assert_eq!(row[2][0], design.a[1][0]);
        let outputs = SaltelliOutputs::from_points(
            &points
                .iter()
                .map(|p| p[0] + 10.0 * p[1])
                .collect::<Vec<_>>(),
            3,
        );
        assert_eq!(outputs.fa.len(), 8);
        assert_eq!(outputs.fab[2][1], design.a[1][0] + 10.0 * design.a[1][1]);
    }

    #[test]
    fn morris_steps_move_one_input_by_delta_inside_the_cube() {
        let design = MorrisDesign::new(5, 30, 4, 3);
        assert!((design.delta - 2.0 / 3.0).abs() < 1e-12);
        for t in &design.trajectories {
            assert_eq!(t.points.len(), 6);
            let mut seen = t.moved.clone();
            seen.sort_unstable();
            assert_eq!(seen, [0, 1, 2, 3, 4]);
            for s in 0..5 {
                for input in 0..5 {
                    let change = t.points[s + 1][input] - t.points[s][input];
                    if input == t.moved[s] {
                        assert!((change - t.step[s]).abs() < 1e-12);
                    } else {
                        assert_eq!(change, 0.0);
                    }
                    assert!((0.0..=1.0).contains(&t.points[s + 1][input]));
                }
            }
        }
    }
}
