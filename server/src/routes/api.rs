//! Handlers of the routes that imitate the DriveQuant Enterprise API.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::scripted;
use super::task_json::TaskJson;
use super::TaskIdParam;
use crate::connection::OptionalCloser;
use crate::error::ApiError;
use crate::simulation::TaskType;
use crate::state::AppState;

/// Header that carries the enterprise API key.
pub const API_KEY_HEADER: &str = "x-dq-enterprise-api-key";

/// Body of a successful retry request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RetryJson {
    task_id: String,
    nb_items: u64,
}

/// `GET /v1/enterprise/task/{taskId}`: the task's current state, or the
/// response that the task's next scripted step sets.
///
/// Every request is recorded from its arrival to its end, including those
/// rejected for their key, so tests can count the polls that a client sent
/// and those still in flight. A rejected key takes no scripted step.
pub(crate) async fn tasks_show(
    State(state): State<AppState>,
    TaskIdParam(task_id): TaskIdParam,
    OptionalCloser(closer): OptionalCloser,
    headers: HeaderMap,
) -> Response {
    let arrival = state.now();
    let authorized = authorize(&state, &headers);
    let (request, step) = match state.begin_task_request(&task_id, arrival, authorized.is_ok()) {
        Ok(started) => started,
        Err(error) => return error.into_response(),
    };

    let response = match (authorized, step) {
        (Err(error), _) => error.into_response(),
        (Ok(()), None) => match task_json(&state, &task_id, arrival) {
            Ok(task) => Json(task).into_response(),
            Err(error) => error.into_response(),
        },
        (Ok(()), Some(taken)) => {
            scripted::respond(&state, &task_id, taken.index, &taken.step, closer.as_ref()).await
        }
    };

    request.settle(response.status());
    response
}

/// `POST /v1/enterprise/push/trips/failed/retry`: pushes failed trips again.
pub(crate) async fn trip_retries_create(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    create_retry(&state, &headers, TaskType::PushFailedTrips)
}

/// `POST /v1/enterprise/push/crashes/failed/retry`: pushes failed crashes
/// again.
pub(crate) async fn crash_retries_create(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    create_retry(&state, &headers, TaskType::PushFailedCrashes)
}

/// Describes the task as the simulation reports it at `now`.
pub(super) fn task_json(
    state: &AppState,
    task_id: &str,
    now: time::OffsetDateTime,
) -> Result<TaskJson, ApiError> {
    let simulator = state.simulator()?;
    let task = simulator
        .task(task_id)
        .ok_or_else(|| ApiError::TaskNotFound(task_id.to_owned()))?;
    TaskJson::new(task, now)
}

/// Creates a retry task and returns its id and item count with status 200.
///
/// NOTE: the real retry routes' success status code is not documented, so
/// 200 is an assumption.
fn create_retry(
    state: &AppState,
    headers: &HeaderMap,
    task_type: TaskType,
) -> Result<Json<RetryJson>, ApiError> {
    authorize(state, headers)?;

    let now = state.now();
    let config = state.config();
    let mut simulator = state.simulator()?;
    let task = simulator.create_retry(task_type, state.pending(), config.items_per_second, now)?;

    tracing::info!(
        task_id = %task.id,
        task_type = task_type.as_str(),
        nb_items = task.nb_items,
        "retry task created"
    );
    Ok(Json(RetryJson {
        task_id: task.id.clone(),
        nb_items: task.nb_items,
    }))
}

/// Checks the API key header against the configured key.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let key = headers.get(API_KEY_HEADER).ok_or(ApiError::MissingApiKey)?;
    if key.as_bytes() == state.config().api_key.as_bytes() {
        Ok(())
    } else {
        Err(ApiError::InvalidApiKey)
    }
}
