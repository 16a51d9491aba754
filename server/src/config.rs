//! Settings of one simulator instance.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Default API key of the simulator. It is a made-up key for local use and
/// grants nothing on the real DriveQuant service.
pub const DEMO_API_KEY: &str = "demo-key";

/// Settings of one simulator instance.
///
/// `Debug` prints `api_key` as `<redacted>`, so a logged `Config` never
/// shows the key.
#[derive(Clone)]
pub struct Config {
    /// Value that requests must send in the `x-dq-enterprise-api-key` header.
    /// Defaults to [`DEMO_API_KEY`].
    pub api_key: String,
    /// Folder of the built demo page, served for paths that match no route.
    /// Defaults to `None`, which serves no files.
    pub dist_dir: Option<PathBuf>,
    /// Items that a task finishes per second once it is in progress, for
    /// tasks created by the retry routes and by `POST /sim/tasks` without
    /// `itemsPerSecond`. Defaults to 5.0.
    pub items_per_second: f64,
    /// Time that a new task stays `PENDING` before it starts. Defaults to 3 s.
    pub pending: Duration,
    /// Whether to seed one task per status at start (see [`crate::simulation::demo`]).
    /// Defaults to `true`.
    pub demo_tasks: bool,
    /// Failed trips waiting to be pushed again, which the next
    /// `POST /v1/enterprise/push/trips/failed/retry` takes. Defaults to 120.
    pub failed_trips: u64,
    /// Failed crashes waiting to be pushed again, which the next
    /// `POST /v1/enterprise/push/crashes/failed/retry` takes. Defaults to 40.
    pub failed_crashes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_key: DEMO_API_KEY.to_owned(),
            dist_dir: None,
            items_per_second: 5.0,
            pending: Duration::from_secs(3),
            demo_tasks: true,
            failed_trips: 120,
            failed_crashes: 40,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &"<redacted>")
            .field("dist_dir", &self.dist_dir)
            .field("items_per_second", &self.items_per_second)
            .field("pending", &self.pending)
            .field("demo_tasks", &self.demo_tasks)
            .field("failed_trips", &self.failed_trips)
            .field("failed_crashes", &self.failed_crashes)
            .finish()
    }
}
