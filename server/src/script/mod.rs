//! Scripted responses of the task route: steps that replace the simulated
//! responses to `GET /v1/enterprise/task/{taskId}` of one task, in order.
//!
//! This module only describes and validates scripts. The route handlers in
//! `routes/` wait, respond or close connections as a step sets.

mod parse;
pub mod scenarios;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use parse::{InvalidScript, ScriptRequest};

/// Maximum wait of a step: the maximum `delayMs`, and the time after which
/// a hung request is ended by closing its connection.
pub const MAX_WAIT: Duration = Duration::from_secs(10 * 60);

/// Behavior of the task route once the script's steps are used up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThenMode {
    /// Return the simulated task again.
    #[default]
    Simulate,
    /// Repeat the last step for every later request.
    RepeatLast,
}

impl ThenMode {
    /// Returns the name used in the script's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simulate => "simulate",
            Self::RepeatLast => "repeat-last",
        }
    }
}

/// One validated step of a script.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Time to wait before the action. Never more than [`MAX_WAIT`].
    pub delay: Duration,
    /// Action once the delay has passed.
    pub action: StepAction,
}

/// Action of a step.
#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    /// Send this response.
    Respond(ScriptedResponse),
    /// Send nothing, until the client closes the connection, the server
    /// shuts down or [`MAX_WAIT`] passes.
    Hang,
    /// Close the connection without sending a response.
    DropConnection,
}

/// Response of a [`StepAction::Respond`] step.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptedResponse {
    /// Status code, from 200 to 999.
    pub status: StatusCode,
    /// Headers that replace those the body would set, such as `content-type`.
    pub headers: HeaderMap,
    /// Body of the response.
    pub body: ScriptedBody,
}

/// Body of a scripted response.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptedBody {
    /// The simulated task's current JSON with some fields replaced, added or
    /// removed. With no override and no omitted field, it is the simulated
    /// task's JSON unchanged.
    SimulatedTask(TaskOverride),
    /// A JSON value, sent with `content-type: application/json`.
    Json(Value),
    /// Text sent as is, with no `content-type` unless the step's headers set
    /// one.
    Raw(String),
    /// No body.
    Empty,
}

/// Changes applied to the simulated task's JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskOverride {
    /// Fields to set. A field absent from the task JSON is added after the
    /// others, and a `null` value stays `null`.
    pub fields: Map<String, Value>,
    /// Fields to remove after `fields` is applied.
    pub omit: Vec<String>,
}

impl TaskOverride {
    /// Applies the override to the task JSON's fields, keeping their order.
    pub fn apply(&self, task_fields: Vec<(String, Value)>) -> Vec<(String, Value)> {
        let mut result: Vec<(String, Value)> = task_fields
            .into_iter()
            .map(|(name, value)| match self.fields.get(&name) {
                Some(replacement) => (name, replacement.clone()),
                None => (name, value),
            })
            .collect();

        for (name, value) in &self.fields {
            if !result.iter().any(|(existing, _)| existing == name) {
                result.push((name.clone(), value.clone()));
            }
        }
        result.retain(|(name, _)| !self.omit.contains(name));
        result
    }
}

/// A step taken by a request, with its index in the script.
#[derive(Debug, Clone)]
pub struct TakenStep {
    /// Index of the step in the script's `steps`, from 0.
    pub index: usize,
    /// The step.
    pub step: Arc<Step>,
}

/// Steps of one task and the position of the next one. The default script
/// has no steps and leaves the simulation responding.
#[derive(Debug, Clone, Default)]
pub struct Script {
    steps: Vec<Arc<Step>>,
    then: ThenMode,
    next: usize,
}

impl Script {
    /// Creates a script that starts at its first step. A script with no
    /// steps and [`ThenMode::Simulate`] leaves the simulation responding.
    ///
    /// Returns an error for [`ThenMode::RepeatLast`] with no steps, which
    /// has no step to repeat.
    pub fn new(steps: Vec<Step>, then: ThenMode) -> Result<Self, InvalidScript> {
        if steps.is_empty() && then == ThenMode::RepeatLast {
            return Err(InvalidScript(
                "then is \"repeat-last\" but steps is empty. Add a step to repeat.".to_owned(),
            ));
        }
        Ok(Self {
            steps: steps.into_iter().map(Arc::new).collect(),
            then,
            next: 0,
        })
    }

    /// Returns the number of steps.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Returns whether the script has no steps.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Returns what happens once the steps are used up.
    pub fn then(&self) -> ThenMode {
        self.then
    }

    /// Takes the step for the next request, or returns `None` when the
    /// simulation responds instead.
    pub fn next_step(&mut self) -> Option<TakenStep> {
        let index = if self.next < self.steps.len() {
            self.next += 1;
            self.next - 1
        } else {
            match self.then {
                ThenMode::Simulate => return None,
                ThenMode::RepeatLast => self.steps.len().checked_sub(1)?,
            }
        };
        Some(TakenStep {
            index,
            step: Arc::clone(&self.steps[index]),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn status_step(code: u16) -> Step {
        Step {
            delay: Duration::ZERO,
            action: StepAction::Respond(ScriptedResponse {
                status: StatusCode::from_u16(code).expect("valid status"),
                headers: HeaderMap::new(),
                body: ScriptedBody::Empty,
            }),
        }
    }

    fn fields(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect()
    }

    #[test]
    fn next_step_simulate_ends_with_none() {
        let mut script = Script::new(vec![status_step(500)], ThenMode::Simulate).expect("valid");

        let first = script.next_step().map(|taken| taken.index);
        let second = script.next_step().map(|taken| taken.index);

        assert_eq!(first, Some(0));
        assert_eq!(second, None);
    }

    #[test]
    fn next_step_repeat_last_repeats_last_index() {
        let steps = vec![status_step(500), status_step(429)];
        let mut script = Script::new(steps, ThenMode::RepeatLast).expect("valid");

        let indexes: Vec<Option<usize>> = (0..4)
            .map(|_| script.next_step().map(|taken| taken.index))
            .collect();

        assert_eq!(indexes, [Some(0), Some(1), Some(1), Some(1)]);
    }

    #[test]
    fn script_repeat_last_without_steps_is_invalid() {
        let script = Script::new(Vec::new(), ThenMode::RepeatLast);

        assert!(script.is_err());
    }

    #[test]
    fn override_replaces_in_place_and_appends_new() {
        let task_override = TaskOverride {
            fields: json!({"status": "PAUSED", "extra": 1})
                .as_object()
                .cloned()
                .expect("object"),
            omit: Vec::new(),
        };

        let result = task_override.apply(fields(&[
            ("taskId", json!("a")),
            ("status", json!("PENDING")),
            ("nbItems", json!(3)),
        ]));

        assert_eq!(
            result,
            fields(&[
                ("taskId", json!("a")),
                ("status", json!("PAUSED")),
                ("nbItems", json!(3)),
                ("extra", json!(1)),
            ])
        );
    }

    #[test]
    fn override_omit_removes_field_even_if_set() {
        let task_override = TaskOverride {
            fields: json!({"createdAt": null})
                .as_object()
                .cloned()
                .expect("object"),
            omit: vec!["createdAt".to_owned()],
        };

        let result = task_override.apply(fields(&[
            ("taskId", json!("a")),
            ("createdAt", json!("2024-12-09T14:14:17.574+0000")),
        ]));

        assert_eq!(result, fields(&[("taskId", json!("a"))]));
    }
}
