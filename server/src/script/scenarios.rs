//! Named presets of a task and its script, for the demo page and for quick
//! manual tries of how a client copes with a misbehaving server.

use std::time::Duration;

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};

use super::{Script, ScriptedBody, ScriptedResponse, Step, StepAction, TaskOverride, ThenMode};

/// Items of a scenario's task.
pub const SCENARIO_TASK_ITEMS: u64 = 20;
/// Time that a scenario's task stays `PENDING`.
pub const SCENARIO_TASK_PENDING: time::Duration = time::Duration::seconds(2);
/// Items that a scenario's task finishes per second once in progress.
pub const SCENARIO_TASK_ITEMS_PER_SECOND: f64 = 2.0;

/// Page of the `garbage` scenario's 502, shaped like a proxy's error page.
const BAD_GATEWAY_PAGE: &str = "<!DOCTYPE html>\n\
<html>\n\
<head><title>502 Bad Gateway</title></head>\n\
<body>\n\
<h1>502 Bad Gateway</h1>\n\
<p>The gateway received an invalid response from the task service.</p>\n\
</body>\n\
</html>\n";

/// A named preset: a task with [`SCENARIO_TASK_ITEMS`] items and the other
/// scenario defaults, and the script that sets its responses.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Name in `POST /sim/scenarios/{name}`.
    pub name: &'static str,
    /// One English sentence on what the task's requests receive.
    pub description: &'static str,
    build_script: fn() -> Script,
}

impl Scenario {
    /// Builds a fresh script of this scenario, starting at its first step.
    pub fn script(&self) -> Script {
        (self.build_script)()
    }
}

/// Every scenario, in the order `GET /sim/scenarios` lists them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "flaky",
        description: "Returns 500 with a JSON error body 3 times, then the simulated task.",
        build_script: flaky,
    },
    Scenario {
        name: "rate-limited",
        description: "Returns 429 with Retry-After: 5 twice, then the simulated task.",
        build_script: rate_limited,
    },
    Scenario {
        name: "slow",
        description: "Delays every response by 7 seconds.",
        build_script: slow,
    },
    Scenario {
        name: "never-answering",
        description: "Returns the simulated task to the first request, no response to the \
                      second, then the simulated task.",
        build_script: never_answering,
    },
    Scenario {
        name: "garbage",
        description: "Returns 502 with an HTML page, then 200 with the text \"not json\" \
                      labeled as JSON, then 200 with the JSON array [1,2,3], \
                      then the simulated task.",
        build_script: garbage,
    },
    Scenario {
        name: "unknown-status",
        description: "Returns the task 3 times with the unknown status PAUSED and type \
                      PUSH_FAILED_EVENTS, 10 items and 4 remaining, then the simulated task.",
        build_script: unknown_status,
    },
];

/// Returns the scenario with this name.
pub fn find_scenario(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|scenario| scenario.name == name)
}

fn flaky() -> Script {
    let error = respond(
        StatusCode::INTERNAL_SERVER_ERROR,
        HeaderMap::new(),
        ScriptedBody::Json(json!({
            "error": "internal_error",
            "message": "The server failed to handle the request."
        })),
    );
    script(
        vec![error.clone(), error.clone(), error],
        ThenMode::Simulate,
    )
}

fn rate_limited() -> Script {
    let mut headers = HeaderMap::new();
    headers.insert(RETRY_AFTER, HeaderValue::from_static("5"));
    let limited = respond(
        StatusCode::TOO_MANY_REQUESTS,
        headers,
        ScriptedBody::Json(json!({
            "error": "rate_limited",
            "message": "Too many requests. Retry after 5 seconds."
        })),
    );
    script(vec![limited.clone(), limited], ThenMode::Simulate)
}

fn slow() -> Script {
    let delayed = Step {
        delay: Duration::from_secs(7),
        ..simulated()
    };
    script(vec![delayed], ThenMode::RepeatLast)
}

fn never_answering() -> Script {
    let hang = Step {
        delay: Duration::ZERO,
        action: StepAction::Hang,
    };
    script(vec![simulated(), hang], ThenMode::Simulate)
}

fn garbage() -> Script {
    let mut html = HeaderMap::new();
    html.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let mut json_label = HeaderMap::new();
    json_label.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));

    let steps = vec![
        respond(
            StatusCode::BAD_GATEWAY,
            html,
            ScriptedBody::Raw(BAD_GATEWAY_PAGE.to_owned()),
        ),
        respond(
            StatusCode::OK,
            json_label,
            ScriptedBody::Raw("not json".to_owned()),
        ),
        respond(
            StatusCode::OK,
            HeaderMap::new(),
            ScriptedBody::Json(json!([1, 2, 3])),
        ),
    ];
    script(steps, ThenMode::Simulate)
}

fn unknown_status() -> Script {
    let fields = match json!({
        "status": "PAUSED",
        "type": "PUSH_FAILED_EVENTS",
        "nbItems": 10,
        "nbRemainingItems": 4
    }) {
        Value::Object(fields) => fields,
        _ => Map::new(),
    };
    let paused = respond(
        StatusCode::OK,
        HeaderMap::new(),
        ScriptedBody::SimulatedTask(TaskOverride {
            fields,
            omit: Vec::new(),
        }),
    );
    script(
        vec![paused.clone(), paused.clone(), paused],
        ThenMode::Simulate,
    )
}

fn respond(status: StatusCode, headers: HeaderMap, body: ScriptedBody) -> Step {
    Step {
        delay: Duration::ZERO,
        action: StepAction::Respond(ScriptedResponse {
            status,
            headers,
            body,
        }),
    }
}

/// Returns a step that serves the simulated task unchanged.
fn simulated() -> Step {
    respond(
        StatusCode::OK,
        HeaderMap::new(),
        ScriptedBody::SimulatedTask(TaskOverride::default()),
    )
}

/// Builds a preset's script. Every preset has steps, so [`Script::new`]
/// cannot fail here. If it ever did, an empty script is used instead.
fn script(steps: Vec<Step>, then: ThenMode) -> Script {
    match Script::new(steps, then) {
        Ok(script) => script,
        Err(error) => {
            tracing::error!(%error, "a scenario preset is invalid; this is a bug");
            Script::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_are_unique() {
        for (index, scenario) in SCENARIOS.iter().enumerate() {
            let later = &SCENARIOS[index + 1..];
            assert!(
                later.iter().all(|other| other.name != scenario.name),
                "{}",
                scenario.name
            );
        }
    }

    #[test]
    fn every_scenario_has_steps() {
        for scenario in SCENARIOS {
            assert!(!scenario.script().is_empty(), "{}", scenario.name);
        }
    }

    #[test]
    fn find_scenario_unknown_is_none() {
        assert!(find_scenario("sunny").is_none());
    }
}
