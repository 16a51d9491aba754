//! State shared by every request handler.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::StatusCode;
use time::OffsetDateTime;
use tower_http::services::ServeDir;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use crate::request_log::{RequestLog, TaskRequest};
use crate::simulation::demo::demo_tasks;
use crate::simulation::Simulator;

/// Handle on one simulator instance. Clones share the same tasks, clock and
/// request log.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

struct Shared {
    config: Config,
    clock: Arc<dyn Clock>,
    simulator: Mutex<Simulator>,
    requests: Mutex<RequestLog>,
    static_files: Option<ServeDir>,
}

impl AppState {
    /// Creates a simulator that reads time from `clock`, seeded with the
    /// demo tasks as of `clock.now()` when `config.demo_tasks` is set.
    ///
    /// A negative or non-finite `config.items_per_second` acts as 0, so the
    /// tasks that use it never finish.
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Self {
        let mut simulator = Simulator::new(config.failed_trips, config.failed_crashes);
        if config.demo_tasks {
            let tasks = demo_tasks(clock.now(), pending_of(&config), config.items_per_second);
            for task in tasks {
                if let Err(error) = simulator.insert(task) {
                    tracing::error!(%error, "failed to seed a demo task");
                }
            }
        }

        let static_files = config.dist_dir.as_ref().map(ServeDir::new);
        Self {
            shared: Arc::new(Shared {
                config,
                clock,
                simulator: Mutex::new(simulator),
                requests: Mutex::new(RequestLog::default()),
                static_files,
            }),
        }
    }

    /// Returns the settings this simulator was created with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Returns the current instant of the simulator's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.shared.clock.now()
    }

    /// Returns the configured pending time as a `time` duration.
    pub(crate) fn pending(&self) -> time::Duration {
        pending_of(&self.shared.config)
    }

    pub(crate) fn static_files(&self) -> Option<&ServeDir> {
        self.shared.static_files.as_ref()
    }

    /// Locks the simulator. A poisoned lock means that a handler panicked
    /// mid-change, so the tasks may be inconsistent and the request fails.
    pub(crate) fn simulator(&self) -> Result<MutexGuard<'_, Simulator>, ApiError> {
        self.shared
            .simulator
            .lock()
            .map_err(|_| ApiError::Internal("simulator lock poisoned by a panic".to_owned()))
    }

    /// Locks the request log, with the same rule as [`Self::simulator`].
    pub(crate) fn requests(&self) -> Result<MutexGuard<'_, RequestLog>, ApiError> {
        self.shared
            .requests
            .lock()
            .map_err(|_| ApiError::Internal("request log lock poisoned by a panic".to_owned()))
    }

    /// Records a task request and its response status. A failure to record
    /// is logged, because the response is already decided.
    pub(crate) fn record_task_request(
        &self,
        task_id: &str,
        at: OffsetDateTime,
        status: StatusCode,
    ) {
        let request = TaskRequest {
            at_ms: unix_ms(at),
            status: status.as_u16(),
        };
        match self.requests() {
            Ok(mut log) => log.record_task_request(task_id, request),
            Err(error) => tracing::error!(%error, task_id, "failed to record a task request"),
        }
    }

    /// Records a request that matched no route, logging a failure to do so.
    pub(crate) fn record_unmatched(&self, raw_path: &str) {
        match self.requests() {
            Ok(mut log) => log.record_unmatched(raw_path),
            Err(error) => tracing::error!(%error, "failed to record an unmatched request"),
        }
    }
}

/// Converts the configured pending time, saturating past the largest
/// `time::Duration` (about 292 billion years).
fn pending_of(config: &Config) -> time::Duration {
    time::Duration::try_from(config.pending).unwrap_or(time::Duration::MAX)
}

/// Returns the Unix time of `at` in milliseconds.
fn unix_ms(at: OffsetDateTime) -> i64 {
    // Every date `time` supports is within ±10^15 ms of 1970, so the cast
    // from i128 loses nothing.
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}
