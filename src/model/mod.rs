//! The model: project state and the monthly step, for one replication of one strategy.
//! Pure: no I/O, randomness only from the streams it is handed by seed and index.
//!
//! The order of a month is docs/model.md's and is fixed here in [`simulate()`]:
//! 1. fund decisions (at call months), 2. effort, 3. work and vulnerabilities arrive,
//! 4. work is done, 5. people move, 6. status.
//!
//! The files, from the outside in: `world` (what stays fixed during a run), `simulate`
//! (a replication, and the fund's decisions), `ledger` (the fund's money), `stretch` (the
//! hot loop of steps 2–6 between decisions), `arrivals` (step 3's common random numbers),
//! `project` (one project's state and step), `constants` (what each project keeps fixed),
//! `trajectory` (what a simulation produces), `scratch` (the working space it carries
//! between replications) and `draws` (the draw log, for measuring).

mod arrivals;
mod constants;
mod draws;
mod ledger;
mod project;
mod scratch;
mod simulate;
mod stretch;
mod trajectory;
mod world;

pub use arrivals::Arrivals;
pub use draws::{DrawLog, DrawTape, MonthDraws, NoDrawLog, replay_draws};
pub use simulate::{simulate, simulate_logged, simulate_with_arrivals};
pub use trajectory::Trajectory;
pub use world::World;
