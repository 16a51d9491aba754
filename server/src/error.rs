//! The one error type of the HTTP layer and its JSON response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::script::InvalidScript;
use crate::simulation::{SimulationError, TaskType};

/// Error of a request. The response carries a stable code and a fixed
/// sentence, while the `Display` text, which may contain ids, goes only to
/// the log.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The API key header is absent.
    #[error("request has no x-dq-enterprise-api-key header")]
    MissingApiKey,
    /// The API key header does not match the configured key.
    #[error("request has a wrong API key")]
    InvalidApiKey,
    /// No task has the requested id.
    #[error("task {0:?} not found")]
    TaskNotFound(String),
    /// No scenario preset has the requested name.
    #[error("scenario {0:?} not found")]
    ScenarioNotFound(String),
    /// A scripted delay or hang ended early, because the server is shutting
    /// down or the hang reached its time limit, with no connection to close.
    #[error("scripted wait ended before its response")]
    ScriptedWaitEnded,
    /// A control request chose an id that another task uses.
    #[error("task id {0:?} is already used")]
    DuplicateTaskId(String),
    /// A retry of this type is still pending or in progress.
    #[error("a {} retry is already running as task {task_id:?}", task_type.as_str())]
    RetryAlreadyRunning {
        /// Type of the requested retry.
        task_type: TaskType,
        /// Id of the retry still running.
        task_id: String,
    },
    /// The request's path parameters or body are invalid. The text is sent
    /// to the client, so it must describe only the request.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No API or control route matches the path.
    #[error("no route matches {0:?}")]
    RouteNotFound(String),
    /// The route exists but not for this method.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// A bug or a broken invariant in the simulator.
    #[error("internal error: {0}")]
    Internal(String),
}

/// JSON body of every error response.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
    /// The running task, when a retry is refused because of it, so a client
    /// can offer to watch it.
    #[serde(rename = "taskId", skip_serializing_if = "Option::is_none")]
    task_id: Option<&'a str>,
}

impl ApiError {
    /// Returns the status code, the stable error code and the sentence sent
    /// to the client.
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::MissingApiKey => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "The x-dq-enterprise-api-key header is missing. Send the enterprise API key in it."
                    .to_owned(),
            ),
            Self::InvalidApiKey => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "The API key in the x-dq-enterprise-api-key header is invalid. Check the key."
                    .to_owned(),
            ),
            Self::TaskNotFound(_) => (
                StatusCode::NOT_FOUND,
                "task_not_found",
                "No task has this id.".to_owned(),
            ),
            Self::ScenarioNotFound(_) => (
                StatusCode::NOT_FOUND,
                "scenario_not_found",
                "No scenario has this name. GET /sim/scenarios lists the names.".to_owned(),
            ),
            Self::ScriptedWaitEnded => (
                StatusCode::SERVICE_UNAVAILABLE,
                "scripted_wait_ended",
                "The simulator ended this scripted wait early, because it is shutting down \
                 or the hang reached its 10-minute limit."
                    .to_owned(),
            ),
            Self::DuplicateTaskId(_) => (
                StatusCode::CONFLICT,
                "duplicate_task_id",
                "A task with this id already exists. Choose another taskId or leave it out."
                    .to_owned(),
            ),
            // NOTE: the real API's status code for a retry while one of
            // the same type is still running is not documented, so 409 is
            // this simulator's choice.
            Self::RetryAlreadyRunning { task_id, .. } => (
                StatusCode::CONFLICT,
                "task_already_running",
                format!(
                    "Task {task_id} of this type is still pending or in progress. \
                     Retry again once it has ended."
                ),
            ),
            Self::InvalidRequest(detail) => {
                (StatusCode::BAD_REQUEST, "invalid_request", detail.clone())
            }
            Self::RouteNotFound(_) => (
                StatusCode::NOT_FOUND,
                "not_found",
                "No route matches this path.".to_owned(),
            ),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This route does not accept this method.".to_owned(),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "The simulator failed to handle the request. Its log has the details.".to_owned(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();

        // The request span adds the request id, method and path to these.
        // A scripted wait that ends early is the script at work, not a
        // failure of the simulator.
        let is_failure = status.is_server_error() && !matches!(self, Self::ScriptedWaitEnded);
        if is_failure {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::info!(error = %self, "request rejected");
        }

        let task_id = match &self {
            Self::RetryAlreadyRunning { task_id, .. } => Some(task_id.as_str()),
            _ => None,
        };
        let body = ErrorBody {
            error: code,
            message,
            task_id,
        };
        (status, Json(body)).into_response()
    }
}

impl From<SimulationError> for ApiError {
    fn from(error: SimulationError) -> Self {
        match error {
            SimulationError::TaskNotFound(id) => Self::TaskNotFound(id),
            SimulationError::DuplicateTaskId(id) => Self::DuplicateTaskId(id),
            SimulationError::RetryAlreadyRunning { task_type, task_id } => {
                Self::RetryAlreadyRunning { task_type, task_id }
            }
        }
    }
}

impl From<InvalidScript> for ApiError {
    fn from(error: InvalidScript) -> Self {
        Self::InvalidRequest(error.0)
    }
}
