//! What security purchases do to a project: audits and bug bounties (docs/model.md).

use super::ProjectState;
use crate::fund::Purchase;
use crate::model::Trajectory;

impl ProjectState {
    /// An audit or a bug bounty of `amount_eur` bought at `month`.
    pub(crate) fn buy_security(
        &mut self,
        purchase: Purchase,
        amount_eur: f64,
        month: u32,
        out: &mut Trajectory,
    ) {
        // Placeholder until latent vulnerabilities exist: treated as maintenance money.
        let _ = (purchase, month);
        self.receive_grant(amount_eur, 1);
        out.paid_eur += amount_eur;
    }
}
