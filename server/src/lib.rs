//! A local simulator of the DriveQuant Enterprise task API, for the demo
//! and the tests of the task status widget.
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
//! | `GET /v1/enterprise/task/{taskId}` | The task: `taskId`, `createdAt`, `completedAt`, `type`, `status`, `nbItems`, `nbRemainingItems`. 404 for an unknown id. |
//! | `POST /v1/enterprise/push/trips/failed/retry` | `{"taskId", "nbItems"}` of a new `PUSH_FAILED_TRIPS` task that takes every failed trip. 409 while a retry of that type is pending or in progress. |
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
//! | `GET /sim/tasks` | `{"apiKey", "paused", "tasks": [{"taskId", "type", "status", "label"}]}`, seeded tasks first. `apiKey` is the key only when it is [`DEMO_API_KEY`], otherwise `null`. |
//! | `POST /sim/tasks` | Creates a task from the optional fields `taskId`, `type`, `nbItems`, `pendingMs` and `itemsPerSecond` and returns 201 with its JSON. Ignores the one-retry-per-type rule. 400 for invalid values, 409 for a used id. |
//! | `POST /sim/tasks/{taskId}/fail` | Makes the task `FAILED` now, or leaves it unchanged if it already ended, and returns it. |
//! | `POST /sim/push/pause` | Pauses the push service. Returns `{"paused": true}`. |
//! | `POST /sim/push/resume` | Resumes the push service. Returns `{"paused": false}`. |
//! | `GET /sim/requests/{taskId}` | `{"taskId", "count", "requests": [{"atMs", "status"}]}` for every `GET /v1/enterprise/task/{taskId}` received with this exact id, whatever its status. |
//! | `GET /sim/requests` | `{"counts": {"<taskId>": n}, "unmatchedCount", "unmatched": ["<raw path>"]}`. |
//!
//! The router percent-decodes `{taskId}`, so `%2F` in an id arrives as `/`.
//! Each list keeps the latest [`request_log::MAX_RECORDS`] records, while
//! the counts include older ones.
//!
//! # Other paths
//!
//! Other paths under `/v1` and `/sim` return a JSON 404. The rest are served
//! from [`Config::dist_dir`], with `index.html` for `/`. When the folder or
//! the file is missing, the response is a plain-text 404 that asks to run
//! `cargo xtask demo`. Every request that matches no route, including those
//! served as files, is listed under `unmatched`.
//!
//! # Example
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

pub mod clock;
pub mod config;
pub mod error;
pub mod request_log;
pub mod routes;
pub mod simulation;
pub mod state;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, DEMO_API_KEY};
pub use error::ApiError;
pub use routes::{app, API_KEY_HEADER};
pub use simulation::demo::{
    DEMO_CANCELED_TASK_ID, DEMO_COMPLETED_TASK_ID, DEMO_FAILED_TASK_ID, DEMO_LIVE_TASK_ID,
    DEMO_PENDING_TASK_ID, DEMO_SLOW_TASK_ID,
};
pub use state::AppState;
