//! One request to the task endpoint, turned into a policy [`Outcome`].

use std::cell::Cell;
use std::rc::Rc;

use gloo_net::http::Request;
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsValue;
use web_sys::{AbortController, RequestRedirect};

use crate::core::policy::Outcome;
use crate::core::task::{json_depth, Task, MAX_JSON_DEPTH};

/// Name of the header that carries the enterprise API key.
pub const API_KEY_HEADER: &str = "x-dq-enterprise-api-key";

/// Sends `GET url` and reads the response.
///
/// The request is aborted through `controller`, either by the owner (then
/// `None` is returned and nothing must be shown) or after `timeout_ms` (then
/// the outcome is [`Outcome::Timeout`]). The timeout covers the body too, so a
/// server that sends headers and then stalls cannot freeze polling.
pub async fn fetch_task(
    url: &str,
    api_key: Option<&str>,
    timeout_ms: u64,
    controller: &AbortController,
) -> Option<Outcome> {
    let timed_out = Rc::new(Cell::new(false));
    let _timeout = {
        let timed_out = Rc::clone(&timed_out);
        let controller = controller.clone();
        let millis = timer_millis(timeout_ms);
        // Dropping `_timeout` at the end of this function cancels the timer.
        Timeout::new(millis, move || {
            timed_out.set(true);
            controller.abort();
        })
    };

    let outcome = send(url, api_key, controller).await;
    if timed_out.get() {
        return Some(Outcome::Timeout);
    }
    if controller.signal().aborted() {
        return None;
    }
    Some(outcome)
}

async fn send(url: &str, api_key: Option<&str>, controller: &AbortController) -> Outcome {
    // A redirect would carry the key to wherever it points, so it fails instead.
    let mut request = Request::get(url)
        .header("accept", "application/json")
        .redirect(RequestRedirect::Error)
        .abort_signal(Some(&controller.signal()));
    if let Some(key) = api_key.filter(|key| !key.is_empty()) {
        request = request.header(API_KEY_HEADER, key);
    }

    let response = match request.send().await {
        Ok(response) => response,
        Err(_) => return Outcome::Network,
    };

    let status = response.status();
    if !(200..300).contains(&status) {
        let retry_after = response.headers().get("retry-after");
        return Outcome::Http {
            status,
            retry_after,
        };
    }

    // A body cut off mid-way is a network failure, not a wrong body.
    let Ok(body) = response.text().await else {
        return Outcome::Network;
    };
    match parse_task(&body) {
        Some(task) => Outcome::Task(task),
        None => Outcome::NotATask { status },
    }
}

/// Parses a body as a task with the browser's JSON parser, so no JSON library
/// ships in the wasm file. Only a JSON object can be a task: arrays, strings,
/// numbers, null and anything that is not JSON (an HTML page) give `None`.
pub fn parse_task(body: &str) -> Option<Task> {
    if json_depth(body) > MAX_JSON_DEPTH {
        return None;
    }
    let value = js_sys::JSON::parse(body).ok()?;
    if !value.is_object() || js_sys::Array::is_array(&value) {
        return None;
    }
    let task: Task = serde_wasm_bindgen::from_value(value).ok()?;
    (!task.is_empty()).then_some(task)
}

/// Reads a JS value as an object with a string field, for the page's small
/// simulator calls.
pub fn string_field(value: &JsValue, name: &str) -> Option<String> {
    js_sys::Reflect::get(value, &JsValue::from_str(name))
        .ok()?
        .as_string()
}

/// Converts a delay to what browser timers accept: they take a signed 32-bit
/// count of milliseconds (about 24.8 days) and fire at once past it.
pub fn timer_millis(delay_ms: u64) -> u32 {
    u32::try_from(delay_ms.min(i32::MAX as u64)).unwrap_or(0)
}
