//! Responses of the task route that a scripted step sets: a delay, then a
//! response, a hang or a closed connection.

use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::api::task_json;
use super::task_json::OrderedObject;
use crate::connection::ConnectionCloser;
use crate::error::ApiError;
use crate::script::{ScriptedBody, ScriptedResponse, Step, StepAction, MAX_WAIT};
use crate::state::AppState;

/// Time that a handler waits, after closing its connection, for hyper to
/// drop it. hyper does so as soon as it reads the end of the stream, so
/// this runs out only in the cases that [`ConnectionCloser::close`] notes.
const CLOSE_FALLBACK: Duration = Duration::from_secs(1);

/// Carries out the step with index `index` of the script of `task_id`.
///
/// Delays and hangs end early when the server shuts down, by closing the
/// connection, or with a 503 when `closer` is `None`.
pub(super) async fn respond(
    state: &AppState,
    task_id: &str,
    index: usize,
    step: &Step,
    closer: Option<&ConnectionCloser>,
) -> Response {
    if !step.delay.is_zero() {
        let waited = tokio::select! {
            () = tokio::time::sleep(step.delay) => true,
            () = state.shutdown_started() => false,
        };
        if !waited {
            tracing::info!(task_id, step = index, "scripted delay ended by shutdown");
            return end_without_response(closer).await;
        }
    }

    match &step.action {
        StepAction::Respond(scripted) => {
            let response = build_response(state, task_id, scripted);
            tracing::info!(
                task_id,
                step = index,
                status = response.status().as_u16(),
                "scripted response sent"
            );
            response
        }
        StepAction::Hang => {
            tracing::info!(task_id, step = index, "scripted hang started");
            let reason = tokio::select! {
                () = tokio::time::sleep(MAX_WAIT) => "time limit reached",
                () = state.shutdown_started() => "shutdown",
            };
            tracing::info!(task_id, step = index, reason, "scripted hang ended");
            end_without_response(closer).await
        }
        StepAction::DropConnection => match closer {
            Some(closer) => {
                tracing::info!(task_id, step = index, "closing the connection as scripted");
                close_connection(closer).await
            }
            None => ApiError::Internal(format!(
                "step {index} of the script of task {task_id:?} closes the connection, \
                 which works only under task_status_server::serve"
            ))
            .into_response(),
        },
    }
}

fn build_response(state: &AppState, task_id: &str, scripted: &ScriptedResponse) -> Response {
    let mut response = match &scripted.body {
        ScriptedBody::SimulatedTask(task_override) => {
            match task_json(state, task_id, state.now()) {
                Ok(task) => {
                    Json(OrderedObject(task_override.apply(task.into_fields()))).into_response()
                }
                Err(error) => return error.into_response(),
            }
        }
        ScriptedBody::Json(value) => Json(value.clone()).into_response(),
        ScriptedBody::Raw(text) => Response::new(Body::from(text.clone())),
        ScriptedBody::Empty => Response::new(Body::empty()),
    };

    *response.status_mut() = scripted.status;
    for (name, value) in &scripted.headers {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    response
}

/// Ends a request that got no response by closing its connection, or
/// returns 503 when there is no connection to close.
async fn end_without_response(closer: Option<&ConnectionCloser>) -> Response {
    match closer {
        Some(closer) => close_connection(closer).await,
        None => ApiError::ScriptedWaitEnded.into_response(),
    }
}

async fn close_connection(closer: &ConnectionCloser) -> Response {
    closer.close();
    tokio::time::sleep(CLOSE_FALLBACK).await;

    // Every write to the closed connection fails, so hyper ends it when it
    // tries to send this response.
    tracing::warn!("connection still open after being closed; failing its next write");
    ApiError::ScriptedWaitEnded.into_response()
}
