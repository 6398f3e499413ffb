//! What purchases of people do to a project: fellowships and onboarding (docs/model.md).

use super::ProjectState;
use crate::fund::Purchase;
use crate::model::Trajectory;

impl ProjectState {
    /// A fellowship or an onboarding programme of `amount_eur` bought at `month`.
    pub(crate) fn buy_people(
        &mut self,
        purchase: Purchase,
        amount_eur: f64,
        month: u32,
        out: &mut Trajectory,
    ) {
        // Placeholder until fellows and mentees exist: treated as maintenance money.
        let _ = (purchase, month);
        self.receive_grant(amount_eur, 1);
        out.paid_eur += amount_eur;
    }
}
