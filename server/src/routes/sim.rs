//! Handlers of the simulator's control routes under `/sim`, which need no
//! API key.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::scenarios::{scenario_list, ScenarioJson};
use super::task_json::TaskJson;
use super::{parse_json_body, TaskIdParam};
use crate::config::DEMO_API_KEY;
use crate::error::ApiError;
use crate::request_log::TaskRequest;
use crate::script::{Script, ScriptRequest};
use crate::simulation::{NewTask, TaskOrigin, TaskStatus, TaskType};
use crate::state::AppState;

/// Items of a task created by `POST /sim/tasks` without `nbItems`.
pub const DEFAULT_CONTROL_TASK_ITEMS: u64 = 20;

/// Body of `GET /sim/tasks`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskListJson {
    /// The API key when it is the public demo key, so the demo page can
    /// fill it in, otherwise `None`.
    api_key: Option<&'static str>,
    paused: bool,
    tasks: Vec<TaskSummaryJson>,
    scenarios: Vec<ScenarioJson>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskSummaryJson {
    task_id: String,
    #[serde(rename = "type")]
    task_type: TaskType,
    status: TaskStatus,
    label: String,
}

/// Body of `POST /sim/tasks`. Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateTaskBody {
    task_id: Option<String>,
    #[serde(rename = "type")]
    task_type: Option<TaskType>,
    nb_items: Option<i64>,
    pending_ms: Option<i64>,
    items_per_second: Option<f64>,
}

#[derive(Debug, Serialize)]
struct PushServiceJson {
    paused: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskRequestsJson {
    task_id: String,
    count: u64,
    max_in_flight: u64,
    requests: Vec<TaskRequest>,
}

/// Body of a successful `POST /sim/tasks/{taskId}/script`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ScriptSetJson {
    task_id: String,
    steps: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestCountsJson {
    counts: BTreeMap<String, u64>,
    unmatched_count: u64,
    unmatched: Vec<String>,
}

/// `GET /sim/tasks`: every task, seeded ones first, with a label.
pub(crate) async fn tasks_index(
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let now = state.now();
    let simulator = state.simulator()?;
    let tasks = simulator
        .tasks()
        .iter()
        .map(|task| TaskSummaryJson {
            task_id: task.id.clone(),
            task_type: task.task_type,
            status: task.state_at(now).status,
            label: task.label.clone(),
        })
        .collect();

    let is_demo_key = state.config().api_key == DEMO_API_KEY;
    Ok(Json(TaskListJson {
        api_key: is_demo_key.then_some(DEMO_API_KEY),
        paused: simulator.is_paused(),
        tasks,
        scenarios: scenario_list(),
    }))
}

/// `POST /sim/tasks`: creates a task with the given parameters, ignoring
/// the rule of one running retry per type. An empty body is read as `{}`.
pub(crate) async fn tasks_create(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let body: CreateTaskBody = parse_json_body(body, "task request")?.unwrap_or_default();
    let new_task = validate_task_body(body, &state)?;

    let now = state.now();
    let mut simulator = state.simulator()?;
    let task = simulator.create_task(new_task, now)?;
    let json = TaskJson::new(task, now)?;

    tracing::info!(
        task_id = %task.id,
        task_type = task.task_type.as_str(),
        nb_items = task.nb_items,
        "control task created"
    );
    Ok((StatusCode::CREATED, Json(json)))
}

/// `POST /sim/tasks/{taskId}/fail`: makes the task fail now. A task that
/// already ended is returned unchanged.
pub(crate) async fn tasks_fail(
    State(state): State<AppState>,
    TaskIdParam(task_id): TaskIdParam,
) -> Result<impl IntoResponse, ApiError> {
    let now = state.now();
    let mut simulator = state.simulator()?;
    let was_terminal = simulator
        .task(&task_id)
        .is_some_and(|task| task.state_at(now).status.is_terminal());
    let task = simulator.fail_task(&task_id, now)?;

    if was_terminal {
        tracing::info!(
            task_id,
            "fail request ignored because the task already ended"
        );
    } else {
        tracing::info!(task_id, "task failed on request");
    }
    Ok(Json(TaskJson::new(task, now)?))
}

/// `POST /sim/push/pause`: pauses the push service, which cancels every
/// pending or running task.
pub(crate) async fn push_service_pause(
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let now = state.now();
    let mut simulator = state.simulator()?;
    let canceled = simulator.pause(now);

    tracing::info!(canceled_task_ids = ?canceled, "push service paused");
    Ok(Json(PushServiceJson {
        paused: simulator.is_paused(),
    }))
}

/// `POST /sim/push/resume`: resumes the push service, which starts the
/// pending time of tasks created during the pause.
pub(crate) async fn push_service_resume(
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let now = state.now();
    let mut simulator = state.simulator()?;
    let released = simulator.resume(now);

    tracing::info!(released_task_ids = ?released, "push service resumed");
    Ok(Json(PushServiceJson {
        paused: simulator.is_paused(),
    }))
}

/// `GET /sim/requests`: counts of task requests per id and the paths that
/// matched no route.
pub(crate) async fn requests_index(
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let log = state.requests()?;
    Ok(Json(RequestCountsJson {
        counts: log.task_counts(),
        unmatched_count: log.unmatched_count(),
        unmatched: log.unmatched_paths().iter().cloned().collect(),
    }))
}

/// `GET /sim/requests/{taskId}`: every recorded task request for this exact
/// id, with a count of 0 for an id never requested.
pub(crate) async fn requests_show(
    State(state): State<AppState>,
    TaskIdParam(task_id): TaskIdParam,
) -> Result<impl IntoResponse, ApiError> {
    let log = state.requests()?;
    let json = match log.task_requests(&task_id) {
        Some(entry) => TaskRequestsJson {
            task_id,
            count: entry.count,
            max_in_flight: entry.max_in_flight,
            requests: entry.requests.iter().copied().collect(),
        },
        None => TaskRequestsJson {
            task_id,
            count: 0,
            max_in_flight: 0,
            requests: Vec::new(),
        },
    };
    Ok(Json(json))
}

/// `POST /sim/tasks/{taskId}/script`: replaces the task's script, which
/// sets the responses to the task's next requests. An unknown task gets a
/// 404 even when the script is invalid too.
pub(crate) async fn task_scripts_create(
    State(state): State<AppState>,
    TaskIdParam(task_id): TaskIdParam,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let parsed = parse_script(body);

    let simulator = state.simulator()?;
    if simulator.task(&task_id).is_none() {
        return Err(ApiError::TaskNotFound(task_id));
    }
    let script = parsed?;
    let step_count = script.len();
    let then = script.then();
    state.scripts()?.insert(task_id.clone(), script);
    drop(simulator);

    tracing::info!(
        task_id,
        steps = step_count,
        then = then.as_str(),
        "task script set"
    );
    Ok(Json(ScriptSetJson {
        task_id,
        steps: step_count,
    }))
}

fn parse_script(body: Result<Bytes, BytesRejection>) -> Result<Script, ApiError> {
    let request: ScriptRequest = parse_json_body(body, "script")?.ok_or_else(|| {
        invalid("The body is empty. Send a script such as {\"steps\": [{\"status\": 500}]}.")
    })?;
    Ok(Script::try_from(request)?)
}

/// Checks a task request's values and fills in the defaults.
fn validate_task_body(body: CreateTaskBody, state: &AppState) -> Result<NewTask, ApiError> {
    if body.task_id.as_deref() == Some("") {
        return Err(invalid(
            "taskId must not be empty. Leave it out for a random id.",
        ));
    }

    let nb_items = match body.nb_items {
        None => DEFAULT_CONTROL_TASK_ITEMS,
        Some(count) => u64::try_from(count)
            .map_err(|_| invalid(&format!("nbItems must be 0 or more, got {count}.")))?,
    };

    let pending = match body.pending_ms {
        None => state.pending(),
        Some(ms) if ms < 0 => {
            return Err(invalid(&format!("pendingMs must be 0 or more, got {ms}.")));
        }
        Some(ms) => time::Duration::milliseconds(ms),
    };

    let items_per_second = match body.items_per_second {
        None => state.config().items_per_second,
        Some(rate) if !(rate.is_finite() && rate >= 0.0) => {
            return Err(invalid(&format!(
                "itemsPerSecond must be a finite number of 0 or more, got {rate}."
            )));
        }
        Some(rate) => rate,
    };

    Ok(NewTask {
        id: body.task_id,
        task_type: body.task_type.unwrap_or(TaskType::PushFailedTrips),
        nb_items,
        pending,
        items_per_second,
        origin: TaskOrigin::Control,
        label: "Created by POST /sim/tasks".to_owned(),
    })
}

fn invalid(message: &str) -> ApiError {
    ApiError::InvalidRequest(message.to_owned())
}
