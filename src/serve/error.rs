//! The API's error answer: the CLI's message, and the fields at fault so the page can put
//! each message next to its field.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::params::ScenarioError;

/// One field at fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The full dotted key, e.g. `fund.budget_eur` or `strategies[2].power`.
    pub key: String,
    pub message: String,
}

/// An error answer: `{"error": ..., "problems": [...]}` with its status.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub error: String,
    pub problems: Vec<Problem>,
}

impl ApiError {
    /// Bad input (400) with no single field at fault.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// Bad input (400) in `key`.
    pub fn bad_field(key: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            problems: vec![Problem {
                key: key.to_string(),
                message: message.clone(),
            }],
            ..Self::bad_input(message)
        }
    }

    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            error: message.into(),
            problems: Vec::new(),
        }
    }

    /// A failure of the server itself (500).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// The fields a scenario error names, each with its own message.
    pub fn with_problems_of(mut self, error: &ScenarioError) -> Self {
        self.problems = problems_of(error);
        self
    }
}

/// The fields `error` names (issues that concern no single field, such as a syntax
/// error between keys, are only in the message).
pub fn problems_of(error: &ScenarioError) -> Vec<Problem> {
    error
        .issues
        .iter()
        .filter(|issue| !issue.field.is_empty())
        .map(|issue| Problem {
            key: issue.field.clone(),
            message: issue.to_string(),
        })
        .collect()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(&self)).into_response()
    }
}
