//! The JSON body of `POST /sim/tasks/{taskId}/script` and its validation.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::{
    Script, ScriptedBody, ScriptedResponse, Step, StepAction, TaskOverride, ThenMode, MAX_WAIT,
};

/// Error of a script that cannot be run. The text names the step and the
/// field and is sent to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidScript(pub String);

/// Body of `POST /sim/tasks/{taskId}/script`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScriptRequest {
    steps: Vec<StepRequest>,
    #[serde(default)]
    then: ThenMode,
}

/// One step as the client sends it. Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StepRequest {
    status: Option<u16>,
    headers: Option<BTreeMap<String, String>>,
    body: Option<String>,
    /// `Some(Value::Null)` when the client sends `"json": null`, so that a
    /// step can send the JSON body `null`.
    #[serde(default, deserialize_with = "present_value")]
    json: Option<Value>,
    task: Option<Map<String, Value>>,
    omit: Option<Vec<String>>,
    delay_ms: Option<u64>,
    #[serde(default)]
    hang: bool,
    #[serde(default)]
    drop_connection: bool,
}

impl TryFrom<ScriptRequest> for Script {
    type Error = InvalidScript;

    fn try_from(request: ScriptRequest) -> Result<Self, Self::Error> {
        let steps = request
            .steps
            .into_iter()
            .enumerate()
            .map(|(index, step)| validate_step(index, step))
            .collect::<Result<Vec<_>, _>>()?;
        Script::new(steps, request.then)
    }
}

fn present_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

fn validate_step(index: usize, step: StepRequest) -> Result<Step, InvalidScript> {
    let invalid = |message: String| InvalidScript(format!("steps[{index}]: {message}"));

    let delay_ms = step.delay_ms.unwrap_or(0);
    let delay = Duration::from_millis(delay_ms);
    if delay > MAX_WAIT {
        return Err(invalid(format!(
            "delayMs must be at most {} (10 minutes), got {delay_ms}.",
            MAX_WAIT.as_millis()
        )));
    }

    if step.hang {
        if step.drop_connection || has_response_fields(&step) || step.delay_ms.is_some() {
            return Err(invalid(
                "hang sends no response, so it takes no other field. Remove the other fields."
                    .to_owned(),
            ));
        }
        return Ok(Step {
            delay,
            action: StepAction::Hang,
        });
    }

    if step.drop_connection {
        if has_response_fields(&step) {
            return Err(invalid(
                "dropConnection sends no response, so it takes only delayMs. \
                 Remove the other fields."
                    .to_owned(),
            ));
        }
        return Ok(Step {
            delay,
            action: StepAction::DropConnection,
        });
    }

    let response = validate_response(step).map_err(invalid)?;
    Ok(Step {
        delay,
        action: StepAction::Respond(response),
    })
}

fn has_response_fields(step: &StepRequest) -> bool {
    step.status.is_some()
        || step.headers.is_some()
        || step.body.is_some()
        || step.json.is_some()
        || step.task.is_some()
        || step.omit.is_some()
}

fn validate_response(step: StepRequest) -> Result<ScriptedResponse, String> {
    let status = validate_status(step.status)?;
    let headers = validate_headers(step.headers.unwrap_or_default())?;

    let body_count = [
        step.body.is_some(),
        step.json.is_some(),
        step.task.is_some(),
    ]
    .into_iter()
    .filter(|&given| given)
    .count();
    if body_count > 1 {
        return Err("body, json and task each set the body. Give at most one of them.".to_owned());
    }
    if step.omit.is_some() && (step.body.is_some() || step.json.is_some()) {
        return Err(
            "omit removes fields of the simulated task, so it cannot go with body or json."
                .to_owned(),
        );
    }

    let body = if let Some(text) = step.body {
        ScriptedBody::Raw(text)
    } else if let Some(value) = step.json {
        ScriptedBody::Json(value)
    } else if step.task.is_some() || step.omit.is_some() || status == StatusCode::OK {
        ScriptedBody::SimulatedTask(TaskOverride {
            fields: step.task.unwrap_or_default(),
            omit: step.omit.unwrap_or_default(),
        })
    } else {
        ScriptedBody::Empty
    };

    Ok(ScriptedResponse {
        status,
        headers,
        body,
    })
}

/// Accepts 200 to 999. Informational codes are rejected because hyper
/// does not send them as a final response.
fn validate_status(status: Option<u16>) -> Result<StatusCode, String> {
    let Some(code) = status else {
        return Ok(StatusCode::OK);
    };
    match StatusCode::from_u16(code) {
        Ok(status) if code >= 200 => Ok(status),
        _ => Err(format!(
            "status must be an HTTP status code from 200 to 999, got {code}."
        )),
    }
}

fn validate_headers(headers: BTreeMap<String, String>) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("headers: {name:?} is not a valid header name."))?;
        // hyper frames the body from these two, so a scripted value could
        // make it send a broken response or none at all.
        if header_name == CONTENT_LENGTH || header_name == TRANSFER_ENCODING {
            return Err(format!(
                "headers: {name:?} is set by the server from the body. Remove it."
            ));
        }
        let header_value = HeaderValue::from_str(&value).map_err(|_| {
            format!(
                "headers: the value of {name:?} is not a valid header value. \
                 It must not contain line breaks or other control characters."
            )
        })?;
        map.insert(header_name, header_value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(body: Value) -> Result<Script, InvalidScript> {
        let request: ScriptRequest = serde_json::from_value(body).expect("body deserializes");
        Script::try_from(request)
    }

    fn first_step(body: Value) -> Step {
        let mut script = parse(body).expect("script is valid");
        let taken = script.next_step().expect("script has a step");
        Step::clone(&taken.step)
    }

    #[test]
    fn empty_step_serves_simulated_task() {
        let step = first_step(json!({"steps": [{}]}));

        let expected = StepAction::Respond(ScriptedResponse {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: ScriptedBody::SimulatedTask(TaskOverride::default()),
        });
        assert_eq!(step.action, expected);
        assert_eq!(step.delay, Duration::ZERO);
    }

    #[test]
    fn error_status_without_body_is_empty() {
        let step = first_step(json!({"steps": [{"status": 503}]}));

        let StepAction::Respond(response) = step.action else {
            panic!("step responds");
        };
        assert_eq!(response.body, ScriptedBody::Empty);
    }

    #[test]
    fn json_null_is_a_body() {
        let step = first_step(json!({"steps": [{"json": null}]}));

        let StepAction::Respond(response) = step.action else {
            panic!("step responds");
        };
        assert_eq!(response.body, ScriptedBody::Json(Value::Null));
    }

    #[test]
    fn omit_without_task_overrides_simulated_task() {
        let step = first_step(json!({"steps": [{"omit": ["createdAt"]}]}));

        let StepAction::Respond(response) = step.action else {
            panic!("step responds");
        };
        let expected = TaskOverride {
            fields: Map::new(),
            omit: vec!["createdAt".to_owned()],
        };
        assert_eq!(response.body, ScriptedBody::SimulatedTask(expected));
    }

    #[test]
    fn drop_connection_keeps_delay() {
        let step = first_step(json!({"steps": [{"dropConnection": true, "delayMs": 250}]}));

        assert_eq!(step.action, StepAction::DropConnection);
        assert_eq!(step.delay, Duration::from_millis(250));
    }

    #[test]
    fn invalid_cases_name_step_index() {
        let cases = [
            json!({"steps": [{}, {"status": 99}]}),
            json!({"steps": [{}, {"status": 101}]}),
            json!({"steps": [{}, {"headers": {"bad name": "x"}}]}),
            json!({"steps": [{}, {"headers": {"x-a": "line\nbreak"}}]}),
            json!({"steps": [{}, {"headers": {"Content-Length": "3"}}]}),
            json!({"steps": [{}, {"body": "a", "json": 1}]}),
            json!({"steps": [{}, {"json": 1, "task": {}}]}),
            json!({"steps": [{}, {"body": "a", "omit": ["taskId"]}]}),
            json!({"steps": [{}, {"delayMs": 600_001}]}),
            json!({"steps": [{}, {"hang": true, "status": 200}]}),
            json!({"steps": [{}, {"hang": true, "delayMs": 5}]}),
            json!({"steps": [{}, {"hang": true, "dropConnection": true}]}),
            json!({"steps": [{}, {"dropConnection": true, "body": "x"}]}),
        ];

        for case in cases {
            let error = parse(case.clone()).expect_err("script is invalid");
            assert!(error.0.starts_with("steps[1]: "), "{case}: {}", error.0);
        }
    }

    #[test]
    fn max_delay_is_accepted() {
        let step = first_step(json!({"steps": [{"delayMs": 600_000}]}));

        assert_eq!(step.delay, MAX_WAIT);
    }
}
