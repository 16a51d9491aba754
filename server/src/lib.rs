//! A local simulator of the DriveQuant Enterprise task API, for the demo
//! and the tests of the task status widget. The crate also contains a
//! [proxy](#proxy-mode) that serves the widget and forwards its requests
//! to the real API with the enterprise API key added.
//!
//! Task states are not stored but derived from the clock on every read, so
//! tests that pass a [`ManualClock`] to [`AppState::new`] control every
//! transition.
//!
//! # API routes
//!
//! These need the header `x-dq-enterprise-api-key` set to
//! [`Config::api_key`], or they return 401.
//!
//! | Route | Response |
//! | --- | --- |
//! | `GET /v1/enterprise/task/{taskId}` | The task: `taskId`, `createdAt`, `completedAt`, `type`, `status`, `nbItems`, `nbRemainingItems`. 404 for an unknown id. A task with a script gets the response of its next step instead (see [Scripted responses](#scripted-responses)). |
//! | `POST /v1/enterprise/push/trips/failed/retry` | `{"taskId", "nbItems"}` of a new `PUSH_FAILED_TRIPS` task that takes every failed trip. 409 while a retry of that type is pending or in progress, with the running task in `taskId`. |
//! | `POST /v1/enterprise/push/crashes/failed/retry` | The same for `PUSH_FAILED_CRASHES`. |
//!
//! Dates have the form `2024-12-09T14:14:17.574+0000`, in UTC. Errors have
//! the body `{"error": "<code>", "message": "<sentence>"}`.
//!
//! # Lifecycle
//!
//! A task is `PENDING` for its pending time, then `IN_PROGRESS` while it
//! finishes `itemsPerSecond` items a second, then `COMPLETED` with
//! `completedAt` set to the instant the last item finished. Pausing the
//! push service cancels every pending or running task, and tasks created
//! during a pause start their pending time at the resume. A canceled or
//! failed task keeps the remaining count it had when it ended. A canceled or
//! failed retry task puts its remaining items back among the failed items,
//! for the next retry of its type.
//!
//! # Control routes
//!
//! These need no key.
//!
//! | Route | Effect |
//! | --- | --- |
//! | `GET /sim/tasks` | `{"apiKey", "paused", "tasks": [{"taskId", "type", "status", "label"}], "scenarios": [{"name", "description"}]}`, seeded tasks first. `apiKey` is the key only when it is [`DEMO_API_KEY`], otherwise `null`. |
//! | `POST /sim/tasks` | Creates a task from the optional fields `taskId`, `type`, `nbItems`, `pendingMs` and `itemsPerSecond` and returns 201 with its JSON. Ignores the one-retry-per-type rule. 400 for invalid values, 409 for a used id. |
//! | `POST /sim/tasks/{taskId}/fail` | Makes the task `FAILED` now, or leaves it unchanged if it already ended, and returns it. |
//! | `POST /sim/tasks/{taskId}/script` | Replaces the task's script with the body `{"steps": [STEP, ...], "then": "simulate" \| "repeat-last"}` and returns `{"taskId", "steps": <count>}`. 400 for an invalid script, which leaves the previous one in place, 404 for an unknown task. |
//! | `GET /sim/scenarios` | `[{"name", "description"}]` of every [scenario](#scenarios). |
//! | `POST /sim/scenarios/{name}` | Creates a task with the scenario's script and returns 201 with `{"taskId", "scenario", "description"}`. The optional body `{"taskId"}` chooses the id. 404 for an unknown name, 409 for a used id. |
//! | `POST /sim/push/pause` | Pauses the push service. Returns `{"paused": true}`. |
//! | `POST /sim/push/resume` | Resumes the push service. Returns `{"paused": false}`. |
//! | `GET /sim/requests/{taskId}` | `{"taskId", "count", "maxInFlight", "requests": [{"atMs", "settledMs", "status", "step"}]}` for every `GET /v1/enterprise/task/{taskId}` received with this exact id, whatever its status. See [Request log](#request-log). |
//! | `GET /sim/requests` | `{"counts": {"<taskId>": n}, "unmatchedCount", "unmatched": ["<raw path>"]}`. |
//!
//! The router percent-decodes `{taskId}`, so `%2F` in an id arrives as `/`.
//! Each list keeps the latest [`request_log::MAX_RECORDS`] records, while
//! the counts include older ones.
//!
//! # Request log
//!
//! Each record of `GET /sim/requests/{taskId}` has the Unix times in
//! milliseconds of the request's arrival, `atMs`, and of its end,
//! `settledMs`, both from the simulator's clock. `status` is the status
//! code sent, and `step` the index of the scripted step that set the
//! response, or `null` for the simulated task or a rejected key. While a
//! request is delayed or hung, `settledMs` and `status` are `null`. A
//! request that ends without a response, because its client gave up or
//! its connection was closed, keeps `status` `null` and gets `settledMs`.
//! `maxInFlight` is the maximum number of requests for this id that were
//! between arrival and end at the same time, since the simulator started.
//!
//! # Scripted responses
//!
//! Each `GET /v1/enterprise/task/{taskId}` with a valid key takes the
//! task's next step. Requests with a missing or wrong key get 401 and take
//! no step. Once the steps are used up, `"then": "simulate"`, the default,
//! returns the simulated task again, and `"then": "repeat-last"` repeats
//! the last step for every later request. A script with no steps and
//! `simulate` removes the previous script's remaining steps.
//!
//! A step is an object whose fields are all optional:
//!
//! | Field | Effect |
//! | --- | --- |
//! | `status` | Status code from 200 to 999. Defaults to 200. |
//! | `headers` | Object of header name to string value, such as `{"Retry-After": "5"}`. These replace the headers that the body sets, such as `content-type`. `Content-Length` and `Transfer-Encoding` are rejected. |
//! | `body` | Text sent as is, with no `content-type` unless `headers` sets one. |
//! | `json` | Any JSON value, `null` included, sent with `content-type: application/json`. |
//! | `task` | Object of fields that replace or extend the simulated task's current JSON, such as `{"status": "PAUSED"}`. A field set to `null` is sent as `null`. |
//! | `omit` | Names of fields to remove from the simulated task's JSON, after `task` applies. |
//! | `delayMs` | Milliseconds to wait before the response, at most 600000 (10 minutes). |
//! | `hang` | `true` to send nothing: the request stays in flight until the client gives up, the server shuts down, or 10 minutes pass. Takes no other field. |
//! | `dropConnection` | `true` to close the connection without any response, after `delayMs`. Takes no other field but `delayMs`. |
//!
//! `body`, `json` and `task` exclude each other, and `omit` excludes `body`
//! and `json`. A step with none of them serves the simulated task if its
//! status is 200, so `{"delayMs": 7000}` only delays the simulated task,
//! and sends an empty body otherwise. The simulated task is read when the
//! response is sent, after the delay. Invalid steps are rejected with a 400
//! that names the step and the field.
//!
//! `dropConnection` and the early end of waits need [`serve`], which owns
//! the connections: when its shutdown signal resolves, delayed and hung
//! requests end at once by closing their connections, so graceful shutdown
//! does not wait for them. A hang that reaches 10 minutes ends the same
//! way. Under [`app`] served another way, a `dropConnection` step returns
//! 500, and a hang that ends returns 503. Call [`AppState::begin_shutdown`]
//! at shutdown to end the waits.
//!
//! # Scenarios
//!
//! `POST /sim/scenarios/{name}` creates a `PUSH_FAILED_TRIPS` task of 20
//! items that stays `PENDING` for 2 s, then finishes 2 items a second, and
//! gives it one of these scripts:
//!
//! | Name | Responses |
//! | --- | --- |
//! | `flaky` | 500 with a JSON error body 3 times, then the simulated task. |
//! | `rate-limited` | 429 with `Retry-After: 5` and a JSON error body twice, then the simulated task. |
//! | `slow` | The simulated task, each response delayed by 7 s. |
//! | `never-answering` | The simulated task to the first request, no response to the second, then the simulated task. |
//! | `garbage` | 502 with an HTML page and `content-type: text/html`, then 200 with the body `not json` and `content-type: application/json`, then 200 with the JSON `[1,2,3]`, then the simulated task. |
//! | `unknown-status` | The task with `status` `PAUSED`, `type` `PUSH_FAILED_EVENTS`, `nbItems` 10 and `nbRemainingItems` 4, 3 times, then the simulated task. |
//!
//! # Other paths
//!
//! Other paths under `/v1` and `/sim` return a JSON 404. The rest are served
//! from [`Config::dist_dir`], with `index.html` for `/`. When the folder or
//! the file is missing, the response is a plain-text 404 that asks to run
//! `cargo xtask demo`. Every request that matches no route, including those
//! served as files, is listed under `unmatched`.
//!
//! # Proxy mode
//!
//! `task-status-server proxy --upstream URL` runs [`proxy::app`] instead
//! of the simulator. The enterprise API key opens every team's data, so it
//! stays on the server: the proxy reads it from an environment variable
//! (`DQ_ENTERPRISE_API_KEY`, or the one named by `--key-env`) or from
//! `--key-file`, never from a flag, and adds it to upstream requests. It
//! refuses to start without a non-empty key.
//!
//! | Request | Proxy |
//! | --- | --- |
//! | `GET /v1/enterprise/task/{taskId}` | Forwarded with the key, through the cache below. |
//! | `POST /v1/enterprise/push/trips/failed/retry` | Forwarded with the key and an empty body, only with `--allow-retries`, otherwise 404. Never cached or shared. 403 when the `Origin` header is neither on the CORS allowlist nor the proxy's own origin, which is the one whose host and port equal the `Host` header. |
//! | `POST /v1/enterprise/push/crashes/failed/retry` | The same. |
//! | `GET /v1/enterprise/task/...` with an invalid id | 400 `invalid_task_id`. The id, percent-decoded, must be one path segment of 1 to 64 ASCII letters, digits, `-` or `_`, so `..`, `%2F`, `%2e%2e`, an empty id and a 65-byte id are rejected. |
//! | Any other method or path under `/v1` and `/sim`, or a query string on a forwarded route | 404 `not_found`. |
//! | `GET` or `HEAD` of any other path | The file from `--dist` (default `dist`), with `index.html` for `/`, or 404. |
//! | Any other method on any other path | 404 `not_found`. |
//!
//! Nothing from the browser is forwarded but the checked task id: no
//! header, so a key header sent by the browser is dropped, no query string
//! and no body. Upstream redirects are not followed.
//!
//! Concurrent requests for one task id share one upstream request. A 200
//! whose body is a task with the requested `taskId`, and a 404, are then
//! reused for `--cache-ms` (default 1000, 0 disables the reuse but not the
//! sharing), so the upstream load grows with the number of distinct tasks,
//! not of viewers. A 404 is kept too, so that many viewers of a wrong id
//! also cost one request per period. Other statuses are shared but never
//! kept.
//!
//! Upstream responses become:
//!
//! | Upstream | Client gets |
//! | --- | --- |
//! | 2xx, 4xx or 5xx with a JSON body | The same status and body, with `Retry-After` if the upstream sent it, and no other upstream header. |
//! | 4xx or 5xx with another body, or none | The same status and `Retry-After`, with the body `{"error": "upstream_error", "message"}`. |
//! | 2xx with a body that is not JSON | 502 `upstream_invalid_response`, as for a status outside 200-599. |
//! | 3xx | 502 `upstream_redirect`. |
//! | Body over 1 MiB | 502 `upstream_body_too_large`. |
//! | No response within `--upstream-timeout-ms` (default 10000), body included | 504 `upstream_timeout`. |
//! | Connection failure | 502 `upstream_unreachable`. |
//! | Connection closed or malformed response | 502 `upstream_failed`. |
//!
//! The proxy's own errors have the body `{"error": "<code>", "message":
//! "<sentence>"}`, and every API response has `Cache-Control: no-store`.
//!
//! Every response, files included, has these headers:
//!
//! - `Content-Security-Policy: default-src 'none'; script-src 'self'
//!   'wasm-unsafe-eval' 'sha256-…'; style-src 'self' 'sha256-…'; img-src
//!   'self' data:; font-src 'self'; connect-src 'self'; manifest-src
//!   'self'; form-action 'self'; base-uri 'none'; object-src 'none';
//!   frame-ancestors 'self'`. The `script-src` hashes are those of the
//!   inline scripts of `--dist/index.html`, such as Trunk's bootstrap. The
//!   `style-src` hash is that of `--dist/pkg/task-status.css`, which the
//!   `<task-status>` element puts in a `<style>` of its shadow root. Both
//!   are computed at start, so restart the proxy after rebuilding the
//!   page. `--frame-ancestors` replaces `'self'`.
//! - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
//! - `x-request-id`: a random id that the log lines of the request carry.
//!
//! With no `--cors-origin`, the proxy sends no CORS headers, so only pages
//! of its own origin can read its responses. Each `--cors-origin` origin,
//! matched exactly, may read the forwarded routes, with `Retry-After` and
//! `x-request-id` exposed. The key header is not an allowed request header.
//!
//! Each forwarded request is logged on one line with its request id, task
//! id or route, upstream status, cache status (`hit`, `miss`, `shared` or
//! `bypass`) and latency. Neither the key nor any request header is logged.
//!
//! The upstream client is reqwest 0.12 with rustls and the Mozilla root
//! certificates built in (`webpki-roots`), not the system's store. Like
//! any reqwest client, it sends through the proxy set in `HTTPS_PROXY`,
//! `HTTP_PROXY` or `ALL_PROXY`, except for the hosts in `NO_PROXY`.
//!
//! The proxy has no login of its own: anyone who reaches it can read any
//! task whose id they know, and start retries when enabled. Put it behind
//! the portal's authentication.
//!
//! # Examples
//!
//! A router for `oneshot` tests, on a clock that the test moves:
//!
//! ```
//! use std::sync::Arc;
//! use task_status_server::{app, AppState, Config, ManualClock};
//! use time::macros::datetime;
//!
//! let clock = Arc::new(ManualClock::new(datetime!(2024-12-09 14:14:17.574 UTC)));
//! let config = Config { demo_tasks: false, ..Config::default() };
//! let router = app(AppState::new(config, clock));
//! # drop(router);
//! ```
//!
//! A server on a loopback port that stops when `stop` is sent:
//!
//! ```no_run
//! use std::sync::Arc;
//! use task_status_server::{serve, AppState, Config, SystemClock};
//!
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let address = listener.local_addr()?;
//! let state = AppState::new(Config::default(), Arc::new(SystemClock));
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(serve(listener, state, async {
//!     let _ = stopped.await;
//! }));
//! // ... send requests to `address` ...
//! let _ = stop.send(());
//! # let _ = server.await;
//! # Ok(())
//! # }
//! ```

pub mod clock;
pub mod config;
pub mod connection;
pub mod error;
pub mod proxy;
pub mod request_log;
pub mod routes;
pub mod script;
pub mod simulation;
pub mod state;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, DEMO_API_KEY};
pub use connection::serve;
pub use error::ApiError;
pub use routes::{app, API_KEY_HEADER};
pub use simulation::demo::{
    DEMO_CANCELED_TASK_ID, DEMO_COMPLETED_TASK_ID, DEMO_FAILED_TASK_ID, DEMO_LIVE_TASK_ID,
    DEMO_PENDING_TASK_ID, DEMO_SLOW_TASK_ID,
};
pub use state::AppState;
