//! Handlers of `/sim/scenarios`: tasks created with a preset script.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::parse_json_body;
use crate::error::ApiError;
use crate::script::scenarios::{
    find_scenario, SCENARIOS, SCENARIO_TASK_ITEMS, SCENARIO_TASK_ITEMS_PER_SECOND,
    SCENARIO_TASK_PENDING,
};
use crate::simulation::{NewTask, TaskOrigin, TaskType};
use crate::state::AppState;

/// One entry of `GET /sim/scenarios`.
#[derive(Debug, Serialize)]
pub(crate) struct ScenarioJson {
    name: &'static str,
    description: &'static str,
}

/// Body of `POST /sim/scenarios/{name}`, which is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateScenarioBody {
    task_id: Option<String>,
}

/// Body of a successful `POST /sim/scenarios/{name}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ScenarioTaskJson {
    task_id: String,
    scenario: &'static str,
    description: &'static str,
}

/// Returns the name and description of every scenario.
pub(crate) fn scenario_list() -> Vec<ScenarioJson> {
    SCENARIOS
        .iter()
        .map(|scenario| ScenarioJson {
            name: scenario.name,
            description: scenario.description,
        })
        .collect()
}

/// `GET /sim/scenarios`: every scenario preset.
pub(crate) async fn scenarios_index() -> Json<Vec<ScenarioJson>> {
    Json(scenario_list())
}

/// `POST /sim/scenarios/{name}`: creates a task with the scenario's script.
/// The optional body `{"taskId"}` chooses the task's id.
pub(crate) async fn scenarios_create(
    State(state): State<AppState>,
    name: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Path(name) = name.map_err(|rejection| {
        ApiError::InvalidRequest(format!(
            "The scenario name in the path is invalid: {}.",
            rejection.body_text()
        ))
    })?;
    let scenario = find_scenario(&name).ok_or(ApiError::ScenarioNotFound(name))?;
    let body: CreateScenarioBody = parse_json_body(body, "scenario request")?.unwrap_or_default();
    if body.task_id.as_deref() == Some("") {
        return Err(ApiError::InvalidRequest(
            "taskId must not be empty. Leave it out for a random id.".to_owned(),
        ));
    }

    let new_task = NewTask {
        id: body.task_id,
        task_type: TaskType::PushFailedTrips,
        nb_items: SCENARIO_TASK_ITEMS,
        pending: SCENARIO_TASK_PENDING,
        items_per_second: SCENARIO_TASK_ITEMS_PER_SECOND,
        origin: TaskOrigin::Control,
        label: format!("Scenario {}: {}", scenario.name, scenario.description),
    };

    // The script is stored before the simulator lock is released, so no
    // request can reach the new task without its script.
    let now = state.now();
    let mut simulator = state.simulator()?;
    let task_id = simulator.create_task(new_task, now)?.id.clone();
    state.scripts()?.insert(task_id.clone(), scenario.script());
    drop(simulator);

    tracing::info!(task_id, scenario = scenario.name, "scenario task created");
    let json = ScenarioTaskJson {
        task_id,
        scenario: scenario.name,
        description: scenario.description,
    };
    Ok((StatusCode::CREATED, Json(json)))
}
