//! `GET /api/schema`: what the page's form is generated from.

use serde_json::{Value, json};

use super::MAX_BODY_BYTES;
use super::api::State;

pub fn schema(_state: &State) -> Value {
    json!({
        "fund": [],
        "timings": ["front_loaded", "even", "endowment"],
        "rules": [],
        "metrics": [],
        "limits": {"max_body_bytes": MAX_BODY_BYTES},
    })
}
