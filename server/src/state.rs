//! State shared by every request handler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::StatusCode;
use time::OffsetDateTime;
use tokio::sync::watch;
use tower_http::services::ServeDir;

use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use crate::request_log::{RequestLog, RequestNumber};
use crate::script::{Script, TakenStep};
use crate::simulation::demo::demo_tasks;
use crate::simulation::Simulator;

/// Handle on one simulator instance. Clones share the same tasks, scripts,
/// clock and request log.
///
/// Handlers that hold several locks take them in the order simulator,
/// scripts, request log, so that they cannot deadlock.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

struct Shared {
    config: Config,
    clock: Arc<dyn Clock>,
    simulator: Mutex<Simulator>,
    /// Scripts by task id. Only ids of existing tasks have one.
    scripts: Mutex<HashMap<String, Script>>,
    requests: Mutex<RequestLog>,
    static_files: Option<ServeDir>,
    /// `true` once [`AppState::begin_shutdown`] was called.
    shutdown: watch::Sender<bool>,
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
                scripts: Mutex::new(HashMap::new()),
                requests: Mutex::new(RequestLog::default()),
                static_files,
                shutdown: watch::Sender::new(false),
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

    /// Locks the scripts, with the same rule as [`Self::simulator`].
    pub(crate) fn scripts(&self) -> Result<MutexGuard<'_, HashMap<String, Script>>, ApiError> {
        self.shared
            .scripts
            .lock()
            .map_err(|_| ApiError::Internal("script lock poisoned by a panic".to_owned()))
    }

    /// Records the arrival of a task request at `arrival`. When
    /// `take_step` is set, also takes the task's next scripted step, if
    /// any, and records its index.
    ///
    /// The step is taken and the request recorded under one lock, so
    /// concurrent requests are logged in the order of their steps. A
    /// failure to record is logged, and the request is still served.
    pub(crate) fn begin_task_request(
        &self,
        task_id: &str,
        arrival: OffsetDateTime,
        take_step: bool,
    ) -> Result<(InFlightRequest, Option<TakenStep>), ApiError> {
        let mut scripts = self.scripts()?;
        let step = if take_step {
            scripts.get_mut(task_id).and_then(Script::next_step)
        } else {
            None
        };
        let step_index = step.as_ref().map(|taken| taken.index);

        let number = match self.requests() {
            Ok(mut log) => Some(log.begin_task_request(task_id, unix_ms(arrival), step_index)),
            Err(error) => {
                tracing::error!(%error, task_id, "failed to record a task request");
                None
            }
        };
        drop(scripts);

        let request = InFlightRequest {
            state: self.clone(),
            task_id: task_id.to_owned(),
            step: step_index,
            number,
        };
        Ok((request, step))
    }

    /// Records a request that matched no route, logging a failure to do so.
    pub(crate) fn record_unmatched(&self, raw_path: &str) {
        match self.requests() {
            Ok(mut log) => log.record_unmatched(raw_path),
            Err(error) => tracing::error!(%error, "failed to record an unmatched request"),
        }
    }
}

impl AppState {
    /// Ends every delayed or hung scripted request at once, and every such
    /// request that arrives later, by closing its connection. Without a
    /// connection to close, the request gets a 503.
    ///
    /// [`crate::serve`] calls this when its shutdown signal resolves, so
    /// that graceful shutdown does not wait for these requests. Call it in
    /// the same place when serving [`crate::app`] another way.
    pub fn begin_shutdown(&self) {
        let was_started = self.shared.shutdown.send_replace(true);
        if !was_started {
            tracing::info!("shutdown started, ending delayed and hung scripted requests");
        }
    }

    /// Resolves once [`Self::begin_shutdown`] is called, or at once if it
    /// already was.
    pub(crate) async fn shutdown_started(&self) {
        let mut receiver = self.shared.shutdown.subscribe();
        // The sender lives in `Shared`, which `self` keeps alive, so
        // `wait_for` never reports a closed channel.
        let _ = receiver.wait_for(|started| *started).await;
    }
}

/// A task request between its arrival and its end. Dropping it without
/// [`Self::settle`], as hyper does with a handler whose client closed the
/// connection, records that the request ended without a response.
pub(crate) struct InFlightRequest {
    state: AppState,
    task_id: String,
    step: Option<usize>,
    /// `None` when the arrival could not be recorded, or once settled.
    number: Option<RequestNumber>,
}

impl InFlightRequest {
    /// Records that the response with `status` is being sent.
    pub(crate) fn settle(mut self, status: StatusCode) {
        self.record_end(Some(status));
    }

    fn record_end(&mut self, status: Option<StatusCode>) {
        let Some(number) = self.number.take() else {
            return;
        };
        let settled_ms = unix_ms(self.state.now());
        match self.state.requests() {
            Ok(mut log) => log.settle_task_request(
                &self.task_id,
                number,
                settled_ms,
                status.map(|status| status.as_u16()),
            ),
            Err(error) => {
                tracing::error!(%error, task_id = %self.task_id, "failed to record the end of a task request");
            }
        }
    }
}

impl Drop for InFlightRequest {
    fn drop(&mut self) {
        if self.number.is_some() {
            tracing::info!(
                task_id = %self.task_id,
                step = self.step,
                "task request ended without a response"
            );
            self.record_end(None);
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
