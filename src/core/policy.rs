//! The polling policy: what happens after each request, and when.
//!
//! [`Watcher`] is a plain state machine. The shell reports the outcome of the
//! last request and the current time, and it returns the next [`Step`] and
//! keeps what the view shows (last task, problem, time of the last success).
//! Requests never overlap: the shell calls [`Watcher::begin_request`] before
//! each send, which returns false while another request is in flight, and the next
//! request is only planned once the previous outcome is reported here.
//!
//! Page events change the pace: while the document is hidden or the browser
//! is offline nothing is sent; when it becomes visible the request that was
//! due is sent (at once if its time has passed, so there is no burst), and
//! coming back online sends one request at once.

use super::date::parse_http_date_millis;
use super::estimate::{Estimate, Estimator};
use super::task::Task;

/// Polling settings. Every field documents its default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollOptions {
    /// Time between the end of one request and the start of the next while the
    /// task runs, in milliseconds. Defaults to 2000.
    pub interval_ms: u64,
    /// Time after which a request is aborted and counted as a timeout, in
    /// milliseconds. Defaults to 15000.
    pub request_timeout_ms: u64,
    /// Upper bound of the first retry delay after a failure, in milliseconds.
    /// Defaults to 1000.
    pub backoff_base_ms: u64,
    /// Factor applied to the upper bound after each further failure in a row. Defaults to 2.
    pub backoff_factor: u32,
    /// Largest upper bound of a retry delay, in milliseconds. Defaults to 60000.
    pub backoff_cap_ms: u64,
    /// Longest random delay before the first request, in milliseconds, used by
    /// [`Watcher::start_spread`]. Defaults to 250.
    pub start_spread_ms: u64,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            interval_ms: 2_000,
            request_timeout_ms: 15_000,
            backoff_base_ms: 1_000,
            backoff_factor: 2,
            backoff_cap_ms: 60_000,
            start_spread_ms: 250,
        }
    }
}

/// Shortest delay before any retry, in milliseconds, so that a jitter close to
/// zero never turns into a burst of requests.
pub const MIN_RETRY_DELAY_MS: u64 = 250;

/// Longest wait honoured from a `Retry-After` header, in milliseconds (one hour).
pub const MAX_RETRY_AFTER_MS: u64 = 3_600_000;

/// Result of one request, as the shell observed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A 2xx response whose body is a task.
    Task(Task),
    /// A response with a status outside 2xx, with its `Retry-After` header if any.
    Http {
        /// The HTTP status code.
        status: u16,
        /// The raw `Retry-After` header value.
        retry_after: Option<String>,
    },
    /// A 2xx response whose body is not a task (HTML from a proxy, not JSON,
    /// another shape).
    NotATask {
        /// The HTTP status code.
        status: u16,
    },
    /// The request failed before a response arrived (offline, DNS, CORS, reset).
    Network,
    /// The request was aborted after [`PollOptions::request_timeout_ms`].
    Timeout,
}

/// Failure of the last request, for the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// 401 or 403: the API key is missing or was rejected. Polling stops.
    Unauthorized,
    /// 404: no task has this id. Polling stops.
    NotFound,
    /// Another 4xx status: retrying the same request would not help. Polling stops.
    Rejected(u16),
    /// 429: the server asked to slow down. Polling resumes later.
    RateLimited,
    /// 5xx: the server failed. Polling retries with backoff.
    Server(u16),
    /// The body is not a task. Polling retries with backoff.
    NotATask(u16),
    /// The body is a task with another id than the one watched. Polling retries with backoff.
    WrongTask(String),
    /// No response arrived. Polling retries with backoff.
    Network,
    /// The request timed out. Polling retries with backoff.
    Timeout,
    /// The browser reports that it is offline. Polling resumes when it is back online.
    Offline,
}

impl Problem {
    /// Tells whether this problem stops polling for good.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Problem::Unauthorized | Problem::NotFound | Problem::Rejected(_)
        )
    }
}

/// The next thing the shell must do. Each step replaces the previous one, so
/// the shell cancels its pending timer before carrying it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send one request after this many milliseconds.
    FetchAfter(u64),
    /// Send nothing until a page event or an outcome: the page is hidden or
    /// offline, or a request is in flight.
    Wait,
    /// Send nothing more: the task ended or a final problem occurred. Only
    /// [`PageEvent::RetryPressed`] restarts a watch stopped by a problem.
    Stop,
}

/// Something that happened on the page, outside of any request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageEvent {
    /// The document became hidden (another tab, a minimised window).
    Hidden,
    /// The document became visible again.
    Visible,
    /// The browser went offline.
    Offline,
    /// The browser came back online.
    Online,
    /// The reader pressed "Retry now" or "Check again".
    RetryPressed,
}

/// Whether the watcher is sending requests, for the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Requests are sent at the planned pace.
    Active,
    /// Nothing is sent while the page is hidden or offline.
    Waiting,
    /// Nothing more is sent.
    Stopped,
}

/// The state of one watched task id.
#[derive(Debug, Clone)]
pub struct Watcher {
    task_id: String,
    options: PollOptions,
    task: Option<Task>,
    problem: Option<Problem>,
    last_success_ms: Option<u64>,
    next_fetch_ms: Option<u64>,
    failures_in_row: u32,
    stopped: bool,
    in_flight: bool,
    hidden: bool,
    offline: bool,
    estimator: Estimator,
}

impl Watcher {
    /// Creates a watcher for `task_id`; nothing is sent until [`Watcher::start`].
    pub fn new(task_id: impl Into<String>, options: PollOptions) -> Self {
        Watcher {
            task_id: task_id.into(),
            options,
            task: None,
            problem: None,
            last_success_ms: None,
            next_fetch_ms: None,
            failures_in_row: 0,
            stopped: false,
            in_flight: false,
            hidden: false,
            offline: false,
            estimator: Estimator::default(),
        }
    }

    /// Returns the first step: one request at once, or a wait when the page
    /// was reported hidden or offline before the start.
    pub fn start(&mut self, now_ms: u64) -> Step {
        self.schedule(now_ms, 0)
    }

    /// Returns the first step like [`Watcher::start`], but sends the first
    /// request after a share (`jitter`, in `0.0..1.0`) of
    /// [`PollOptions::start_spread_ms`], so that widgets mounted together on
    /// different ids do not fire together.
    pub fn start_spread(&mut self, now_ms: u64, jitter: f64) -> Step {
        let share = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let offset = (self.options.start_spread_ms as f64 * share) as u64;
        self.schedule(now_ms, offset)
    }

    /// Tells whether a request may be sent now, and records it as in flight if so.
    /// The shell calls this when the timer of the latest [`Step::FetchAfter`]
    /// fires; `false` means send nothing.
    ///
    /// The planned time itself is not checked against `now_ms`: the shell keeps
    /// only the latest step's timer, and a wall clock set back must not stall polling.
    pub fn begin_request(&mut self) -> bool {
        let planned = self.next_fetch_ms.is_some();
        if self.stopped || self.in_flight || self.hidden || self.offline || !planned {
            return false;
        }
        self.in_flight = true;
        self.next_fetch_ms = None;
        true
    }

    /// Records a page event and returns the next step.
    pub fn on_event(&mut self, event: PageEvent, now_ms: u64) -> Step {
        match event {
            PageEvent::Hidden => self.hidden = true,
            PageEvent::Visible => self.hidden = false,
            PageEvent::Offline => {
                self.offline = true;
                if !self.stopped {
                    self.problem = Some(Problem::Offline);
                }
            }
            PageEvent::Online => {
                self.offline = false;
                if self.problem == Some(Problem::Offline) {
                    self.problem = None;
                }
                // One request at once, whatever the backoff had planned.
                if !self.stopped && !self.in_flight {
                    self.next_fetch_ms = Some(now_ms);
                }
            }
            PageEvent::RetryPressed => {
                let task_ended = self.task.as_ref().is_some_and(Task::is_terminal);
                if task_ended {
                    return Step::Stop;
                }
                self.stopped = false;
                if !self.in_flight {
                    self.next_fetch_ms = Some(now_ms);
                }
                // The reader asked for a request, so it goes out even when the
                // browser claims to be offline.
                self.offline = false;
            }
        }
        self.resume(now_ms)
    }

    /// Tells whether requests are being sent, paused by the page, or over.
    pub fn phase(&self) -> Phase {
        if self.stopped {
            Phase::Stopped
        } else if self.hidden || self.offline {
            Phase::Waiting
        } else {
            Phase::Active
        }
    }

    /// Records how a request ended and returns the next step.
    ///
    /// `jitter` is a random number in `0.0..1.0` that spreads retry delays;
    /// tests pass fixed values.
    pub fn on_outcome(&mut self, outcome: Outcome, now_ms: u64, jitter: f64) -> Step {
        self.in_flight = false;
        if self.stopped {
            return Step::Stop;
        }

        match outcome {
            Outcome::Task(task) => self.on_task(task, now_ms, jitter),
            Outcome::Http {
                status,
                retry_after,
            } => self.on_http_error(status, retry_after.as_deref(), now_ms, jitter),
            Outcome::NotATask { status } => self.fail(Problem::NotATask(status), now_ms, jitter),
            Outcome::Network if self.offline => self.fail(Problem::Offline, now_ms, jitter),
            Outcome::Network => self.fail(Problem::Network, now_ms, jitter),
            Outcome::Timeout => self.fail(Problem::Timeout, now_ms, jitter),
        }
    }

    /// The id being watched.
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// The options in force.
    pub fn options(&self) -> &PollOptions {
        &self.options
    }

    /// The last task received, kept on screen while later requests fail.
    pub fn task(&self) -> Option<&Task> {
        self.task.as_ref()
    }

    /// The problem with the last request, cleared by the next success.
    pub fn problem(&self) -> Option<&Problem> {
        self.problem.as_ref()
    }

    /// Time of the last successful request, in milliseconds since the Unix epoch.
    pub fn last_success_ms(&self) -> Option<u64> {
        self.last_success_ms
    }

    /// Time of the next planned request, in milliseconds since the Unix epoch.
    pub fn next_fetch_ms(&self) -> Option<u64> {
        self.next_fetch_ms
    }

    /// Throughput and time remaining, once the pace is stable (see
    /// [`crate::core::estimate`]).
    pub fn estimate(&self) -> Option<Estimate> {
        self.estimator.estimate()
    }

    /// Tells whether polling has stopped for good.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Tells whether the task on screen is older than the last request, because
    /// that request failed.
    pub fn is_stale(&self) -> bool {
        self.task.is_some() && self.problem.is_some()
    }

    fn on_task(&mut self, task: Task, now_ms: u64, jitter: f64) -> Step {
        if task.is_empty() {
            return self.fail(Problem::NotATask(200), now_ms, jitter);
        }
        if let Some(id) = task.task_id.as_deref() {
            if id != self.task_id {
                return self.fail(Problem::WrongTask(id.to_owned()), now_ms, jitter);
            }
        }

        let terminal = task.is_terminal();
        self.estimator.record(&task, now_ms);
        self.task = Some(task);
        self.problem = None;
        self.failures_in_row = 0;
        self.last_success_ms = Some(now_ms);

        if terminal {
            return self.stop();
        }
        self.schedule(now_ms, self.options.interval_ms)
    }

    fn on_http_error(
        &mut self,
        status: u16,
        retry_after: Option<&str>,
        now_ms: u64,
        jitter: f64,
    ) -> Step {
        match status {
            401 | 403 => self.fail_for_good(Problem::Unauthorized),
            404 => self.fail_for_good(Problem::NotFound),
            429 => match retry_after.and_then(|value| retry_after_ms(value, now_ms)) {
                Some(wait_ms) => {
                    self.problem = Some(Problem::RateLimited);
                    self.failures_in_row = self.failures_in_row.saturating_add(1);
                    let delay = wait_ms.clamp(self.options.interval_ms, MAX_RETRY_AFTER_MS);
                    self.schedule(now_ms, delay)
                }
                // Without a usable header a 429 is handled like a server error.
                None => self.fail(Problem::RateLimited, now_ms, jitter),
            },
            // 408 (request timeout) and 425 (too early) invite a retry.
            408 | 425 => self.fail(Problem::Server(status), now_ms, jitter),
            400..=499 => self.fail_for_good(Problem::Rejected(status)),
            // A 503 may carry Retry-After. The wait is then the larger of it and the backoff.
            503 => {
                let step = self.fail(Problem::Server(status), now_ms, jitter);
                let asked = retry_after.and_then(|value| retry_after_ms(value, now_ms));
                match (step, asked) {
                    (Step::FetchAfter(delay), Some(wait)) if wait > delay => {
                        self.schedule(now_ms, wait.min(MAX_RETRY_AFTER_MS))
                    }
                    _ => step,
                }
            }
            // Other 5xx, and statuses outside the standard classes, are
            // treated as server errors: a later request may succeed.
            _ => self.fail(Problem::Server(status), now_ms, jitter),
        }
    }

    /// Records a problem that a later request may not have, and schedules a
    /// retry with exponential backoff and full jitter.
    fn fail(&mut self, problem: Problem, now_ms: u64, jitter: f64) -> Step {
        self.problem = Some(problem);
        self.failures_in_row = self.failures_in_row.saturating_add(1);
        let delay = backoff_delay_ms(&self.options, self.failures_in_row, jitter);
        self.schedule(now_ms, delay)
    }

    fn fail_for_good(&mut self, problem: Problem) -> Step {
        self.problem = Some(problem);
        self.stop()
    }

    fn stop(&mut self) -> Step {
        self.stopped = true;
        self.next_fetch_ms = None;
        Step::Stop
    }

    /// Plans the next request `delay_ms` from now and returns the step for it.
    fn schedule(&mut self, now_ms: u64, delay_ms: u64) -> Step {
        self.next_fetch_ms = Some(now_ms.saturating_add(delay_ms));
        self.resume(now_ms)
    }

    /// Returns the step that carries out the current plan: wait while the page
    /// is hidden, offline or a request is in flight, else fetch when due.
    fn resume(&self, now_ms: u64) -> Step {
        if self.stopped {
            return Step::Stop;
        }
        if self.in_flight || self.hidden || self.offline {
            return Step::Wait;
        }
        match self.next_fetch_ms {
            Some(at) => Step::FetchAfter(at.saturating_sub(now_ms)),
            None => Step::Wait,
        }
    }
}

/// Computes the delay before retry number `attempt` (1 for the first retry):
/// a random share (`jitter`, in `0.0..1.0`) of `base × factor^(attempt−1)`
/// capped at `cap`, and never below [`MIN_RETRY_DELAY_MS`].
pub fn backoff_delay_ms(options: &PollOptions, attempt: u32, jitter: f64) -> u64 {
    let exponent = attempt.saturating_sub(1).min(63);
    let growth = u64::from(options.backoff_factor.max(1)).saturating_pow(exponent);
    let ceiling = options
        .backoff_base_ms
        .saturating_mul(growth)
        .min(options.backoff_cap_ms);

    let share = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        1.0
    };
    let delay = (ceiling as f64 * share) as u64;
    delay.max(MIN_RETRY_DELAY_MS)
}

/// Reads a `Retry-After` value, either seconds or an HTTP date, as a wait in
/// milliseconds from `now_ms`. Dates in the past give 0.
pub fn retry_after_ms(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // Digits too many for u64 mean "a very long time", capped by the caller.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(seconds.saturating_mul(1_000));
    }

    let at_ms = parse_http_date_millis(value)?;
    let now_ms = i64::try_from(now_ms).ok()?;
    Some(u64::try_from(at_ms.saturating_sub(now_ms)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::task::TaskStatus;

    const ID: &str = "6753030831fe9826412bac5c";

    fn task(status: &str, remaining: i64) -> Outcome {
        Outcome::Task(Task {
            task_id: Some(ID.into()),
            status: Some(TaskStatus::from_api(status)),
            nb_items: Some(10),
            nb_remaining_items: Some(remaining),
            ..Task::default()
        })
    }

    fn http(status: u16) -> Outcome {
        Outcome::Http {
            status,
            retry_after: None,
        }
    }

    fn watcher() -> Watcher {
        let mut watcher = Watcher::new(ID, PollOptions::default());
        assert_eq!(watcher.start(0), Step::FetchAfter(0));
        watcher
    }

    /// Tries to send a request, as the shell does when its timer fires.
    fn fire(watcher: &mut Watcher, _now: u64) -> bool {
        watcher.begin_request()
    }

    /// Plays a scripted server against the watcher with a fake clock, the way
    /// the shell would, and returns the times at which requests were sent.
    fn run(script: &[Outcome], until_ms: u64) -> Vec<u64> {
        let mut watcher = Watcher::new(ID, PollOptions::default());
        let mut sent = Vec::new();
        let mut now = 0;
        let mut step = watcher.start(now);
        while let Step::FetchAfter(delay) = step {
            now += delay;
            if now > until_ms {
                break;
            }
            assert!(watcher.begin_request(), "the request at {now} was refused");
            sent.push(now);
            let outcome = script
                .get(sent.len() - 1)
                .or(script.last())
                .cloned()
                .expect("the script is not empty");
            step = watcher.on_outcome(outcome, now, 0.5);
        }
        sent
    }

    #[test]
    fn lifecycle_stops_after_completed() {
        let script = [
            task("PENDING", 10),
            task("IN_PROGRESS", 4),
            task("COMPLETED", 0),
            task("IN_PROGRESS", 2),
        ];
        assert_eq!(run(&script, 600_000), vec![0, 2_000, 4_000]);
    }

    #[test]
    fn lifecycle_stops_after_canceled_and_failed() {
        for end in ["CANCELED", "FAILED"] {
            let script = [
                task("PENDING", 10),
                task("IN_PROGRESS", 4),
                task(end, 4),
                task("IN_PROGRESS", 2),
            ];
            assert_eq!(run(&script, 600_000).len(), 3, "{end}");
        }
    }

    #[test]
    fn unauthorized_and_not_found_stop_at_once() {
        for status in [401, 403, 404] {
            assert_eq!(run(&[http(status)], 600_000), vec![0], "{status}");
        }
    }

    #[test]
    fn not_found_sets_problem_and_stops() {
        let mut watcher = watcher();
        assert_eq!(watcher.on_outcome(http(404), 10, 0.5), Step::Stop);
        assert_eq!(watcher.problem(), Some(&Problem::NotFound));
        assert!(watcher.is_stopped());
        assert_eq!(watcher.next_fetch_ms(), None);
    }

    #[test]
    fn other_client_errors_stop() {
        let mut watcher = watcher();
        assert_eq!(watcher.on_outcome(http(400), 10, 0.5), Step::Stop);
        assert_eq!(watcher.problem(), Some(&Problem::Rejected(400)));
    }

    #[test]
    fn unknown_status_keeps_polling() {
        let script = [Outcome::Task(Task {
            status: Some(TaskStatus::Unknown("PAUSED".into())),
            ..Task::default()
        })];
        assert_eq!(run(&script, 10_000).len(), 6);
    }

    #[test]
    fn server_errors_back_off_exponentially() {
        let mut watcher = watcher();
        let delays: Vec<_> = (0..8)
            .map(|_| watcher.on_outcome(http(500), 0, 1.0))
            .collect();
        let expected = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000];
        let expected: Vec<_> = expected.into_iter().map(Step::FetchAfter).collect();
        assert_eq!(delays, expected);
    }

    #[test]
    fn backoff_uses_jitter_share() {
        let options = PollOptions::default();
        assert_eq!(backoff_delay_ms(&options, 3, 0.5), 2_000);
        assert_eq!(backoff_delay_ms(&options, 3, 0.0), MIN_RETRY_DELAY_MS);
        assert_eq!(backoff_delay_ms(&options, 3, f64::NAN), 4_000);
        assert_eq!(backoff_delay_ms(&options, u32::MAX, 1.0), 60_000);
    }

    #[test]
    fn success_resets_backoff() {
        let mut watcher = watcher();
        watcher.on_outcome(http(503), 0, 1.0);
        watcher.on_outcome(Outcome::Network, 0, 1.0);
        assert_eq!(
            watcher.on_outcome(task("IN_PROGRESS", 5), 0, 1.0),
            Step::FetchAfter(2_000)
        );
        assert_eq!(
            watcher.on_outcome(Outcome::Timeout, 0, 1.0),
            Step::FetchAfter(1_000)
        );
    }

    #[test]
    fn failure_keeps_last_task_as_stale() {
        let mut watcher = watcher();
        watcher.on_outcome(task("IN_PROGRESS", 5), 1_000, 0.5);
        watcher.on_outcome(http(502), 3_000, 0.5);
        assert!(watcher.is_stale());
        assert_eq!(watcher.problem(), Some(&Problem::Server(502)));
        assert_eq!(watcher.last_success_ms(), Some(1_000));
        let kept = watcher.task().and_then(|task| task.nb_remaining_items);
        assert_eq!(kept, Some(5));
    }

    #[test]
    fn success_clears_problem() {
        let mut watcher = watcher();
        watcher.on_outcome(Outcome::Network, 0, 0.5);
        watcher.on_outcome(task("IN_PROGRESS", 5), 1_000, 0.5);
        assert_eq!(watcher.problem(), None);
        assert!(!watcher.is_stale());
    }

    #[test]
    fn other_task_id_is_ignored() {
        let mut watcher = watcher();
        watcher.on_outcome(task("IN_PROGRESS", 5), 0, 0.5);
        let other = Outcome::Task(Task {
            task_id: Some("another".into()),
            status: Some(TaskStatus::Completed),
            ..Task::default()
        });
        assert!(matches!(
            watcher.on_outcome(other, 10, 0.5),
            Step::FetchAfter(_)
        ));
        assert_eq!(
            watcher.problem(),
            Some(&Problem::WrongTask("another".into()))
        );
        assert_eq!(
            watcher.task().and_then(|task| task.status.clone()),
            Some(TaskStatus::InProgress)
        );
    }

    #[test]
    fn empty_body_is_not_a_task() {
        let mut watcher = watcher();
        let step = watcher.on_outcome(Outcome::Task(Task::default()), 0, 1.0);
        assert_eq!(step, Step::FetchAfter(1_000));
        assert_eq!(watcher.problem(), Some(&Problem::NotATask(200)));
    }

    #[test]
    fn rate_limit_waits_retry_after_seconds() {
        let mut watcher = watcher();
        let outcome = Outcome::Http {
            status: 429,
            retry_after: Some("5".into()),
        };
        assert_eq!(watcher.on_outcome(outcome, 0, 0.0), Step::FetchAfter(5_000));
        assert_eq!(watcher.problem(), Some(&Problem::RateLimited));
    }

    #[test]
    fn rate_limit_waits_retry_after_date() {
        let mut watcher = watcher();
        // 1994-11-06T08:49:37Z, plus 30 s.
        let now_ms = 784_111_777_000 - 30_000;
        let outcome = Outcome::Http {
            status: 429,
            retry_after: Some("Sun, 06 Nov 1994 08:49:37 GMT".into()),
        };
        assert_eq!(
            watcher.on_outcome(outcome, now_ms, 0.0),
            Step::FetchAfter(30_000)
        );
    }

    #[test]
    fn rate_limit_never_faster_than_interval() {
        let mut watcher = watcher();
        let outcome = Outcome::Http {
            status: 429,
            retry_after: Some("0".into()),
        };
        assert_eq!(watcher.on_outcome(outcome, 0, 0.0), Step::FetchAfter(2_000));
    }

    #[test]
    fn rate_limit_without_header_backs_off() {
        let mut watcher = watcher();
        assert_eq!(
            watcher.on_outcome(http(429), 0, 1.0),
            Step::FetchAfter(1_000)
        );
        assert_eq!(
            watcher.on_outcome(http(429), 0, 1.0),
            Step::FetchAfter(2_000)
        );
    }

    #[test]
    fn unavailable_honours_retry_after() {
        let mut watcher = watcher();
        let outcome = Outcome::Http {
            status: 503,
            retry_after: Some("30".into()),
        };
        assert_eq!(
            watcher.on_outcome(outcome, 0, 1.0),
            Step::FetchAfter(30_000)
        );
        assert_eq!(watcher.problem(), Some(&Problem::Server(503)));
    }

    #[test]
    fn retry_after_huge_value_is_capped() {
        let mut watcher = watcher();
        let outcome = Outcome::Http {
            status: 429,
            retry_after: Some("99999999999999999999999".into()),
        };
        let step = watcher.on_outcome(outcome, 0, 0.0);
        assert_eq!(step, Step::FetchAfter(MAX_RETRY_AFTER_MS));
    }

    #[test]
    fn retry_after_rejects_garbage() {
        assert_eq!(retry_after_ms("soon", 0), None);
        assert_eq!(retry_after_ms("-5", 0), None);
        assert_eq!(retry_after_ms("", 0), None);
    }

    #[test]
    fn slow_responses_never_overlap() {
        // Every response takes 7 s and the interval is 2 s: each request starts
        // 2 s after the previous one settled, so 30 s hold 4 requests.
        let mut watcher = watcher();
        let mut starts = vec![0_u64];
        let mut now = 0;
        loop {
            now += 7_000;
            let Step::FetchAfter(delay) = watcher.on_outcome(task("IN_PROGRESS", 5), now, 0.5)
            else {
                panic!("a running task keeps polling");
            };
            now += delay;
            if now > 30_000 {
                break;
            }
            starts.push(now);
        }
        assert_eq!(starts, vec![0, 9_000, 18_000, 27_000]);
    }

    #[test]
    fn start_spread_delays_first_request() {
        let mut watcher = Watcher::new(ID, PollOptions::default());
        assert_eq!(watcher.start_spread(1_000, 0.5), Step::FetchAfter(125));
        assert_eq!(watcher.next_fetch_ms(), Some(1_125));
        let mut watcher = Watcher::new(ID, PollOptions::default());
        assert_eq!(watcher.start_spread(0, f64::NAN), Step::FetchAfter(0));
    }

    #[test]
    fn hidden_page_sends_nothing() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        assert_eq!(
            watcher.on_outcome(task("IN_PROGRESS", 5), 100, 0.5),
            Step::FetchAfter(2_000)
        );
        assert_eq!(watcher.on_event(PageEvent::Hidden, 500), Step::Wait);
        // Ten minutes later the old timer would have fired long ago.
        assert!(!fire(&mut watcher, 600_500));
        assert_eq!(watcher.phase(), Phase::Waiting);
    }

    #[test]
    fn visible_again_sends_one_at_once() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        watcher.on_outcome(task("IN_PROGRESS", 5), 100, 0.5);
        watcher.on_event(PageEvent::Hidden, 500);
        assert_eq!(
            watcher.on_event(PageEvent::Visible, 600_500),
            Step::FetchAfter(0)
        );
        assert!(fire(&mut watcher, 600_500));
        assert!(
            !fire(&mut watcher, 600_500),
            "a second request went out at once"
        );
        let step = watcher.on_outcome(task("IN_PROGRESS", 4), 600_600, 0.5);
        assert_eq!(step, Step::FetchAfter(2_000));
    }

    #[test]
    fn quick_visibility_toggles_keep_pace() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        watcher.on_outcome(task("IN_PROGRESS", 5), 0, 0.5);
        for at in [100, 300, 500, 700] {
            watcher.on_event(PageEvent::Hidden, at);
            let step = watcher.on_event(PageEvent::Visible, at + 50);
            assert_eq!(step, Step::FetchAfter(2_000 - at - 50), "toggle at {at}");
        }
    }

    #[test]
    fn hidden_during_request_waits_after_it() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        assert_eq!(watcher.on_event(PageEvent::Hidden, 50), Step::Wait);
        assert_eq!(
            watcher.on_outcome(task("IN_PROGRESS", 5), 100, 0.5),
            Step::Wait
        );
        assert_eq!(
            watcher.on_event(PageEvent::Visible, 5_000),
            Step::FetchAfter(0)
        );
    }

    #[test]
    fn visible_during_request_sends_nothing_more() {
        let mut watcher = watcher();
        watcher.on_event(PageEvent::Hidden, 0);
        watcher.on_event(PageEvent::Visible, 10);
        assert!(fire(&mut watcher, 10));
        watcher.on_event(PageEvent::Hidden, 20);
        assert_eq!(watcher.on_event(PageEvent::Visible, 30), Step::Wait);
        assert!(!fire(&mut watcher, 30));
    }

    #[test]
    fn start_while_hidden_waits() {
        let mut watcher = Watcher::new(ID, PollOptions::default());
        watcher.on_event(PageEvent::Hidden, 0);
        assert_eq!(watcher.start(0), Step::Wait);
        assert_eq!(
            watcher.on_event(PageEvent::Visible, 10),
            Step::FetchAfter(0)
        );
    }

    #[test]
    fn offline_shows_problem_and_waits() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        watcher.on_outcome(task("IN_PROGRESS", 5), 0, 0.5);
        assert_eq!(watcher.on_event(PageEvent::Offline, 100), Step::Wait);
        assert_eq!(watcher.problem(), Some(&Problem::Offline));
        assert!(watcher.is_stale());
        assert!(!fire(&mut watcher, 60_000));
    }

    #[test]
    fn online_sends_one_at_once() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        watcher.on_outcome(http(503), 0, 1.0);
        watcher.on_outcome(http(503), 0, 1.0);
        watcher.on_event(PageEvent::Offline, 100);
        assert_eq!(
            watcher.on_event(PageEvent::Online, 200),
            Step::FetchAfter(0)
        );
        assert_eq!(watcher.problem(), None);
        assert!(fire(&mut watcher, 200));
    }

    #[test]
    fn network_error_while_offline_says_offline() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        watcher.on_event(PageEvent::Offline, 10);
        assert_eq!(watcher.on_outcome(Outcome::Network, 20, 0.5), Step::Wait);
        assert_eq!(watcher.problem(), Some(&Problem::Offline));
    }

    #[test]
    fn retry_pressed_skips_backoff() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        watcher.on_outcome(http(500), 0, 1.0);
        assert_eq!(
            watcher.on_event(PageEvent::RetryPressed, 10),
            Step::FetchAfter(0)
        );
        assert!(fire(&mut watcher, 10));
    }

    #[test]
    fn retry_pressed_checks_missing_task_again() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        assert_eq!(watcher.on_outcome(http(404), 10, 0.5), Step::Stop);
        assert_eq!(
            watcher.on_event(PageEvent::RetryPressed, 20),
            Step::FetchAfter(0)
        );
        assert_eq!(watcher.phase(), Phase::Active);
        assert!(fire(&mut watcher, 20));
        assert_eq!(
            watcher.on_outcome(task("PENDING", 10), 30, 0.5),
            Step::FetchAfter(2_000)
        );
        assert_eq!(watcher.problem(), None);
    }

    #[test]
    fn retry_pressed_after_end_does_nothing() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        watcher.on_outcome(task("COMPLETED", 0), 10, 0.5);
        assert_eq!(watcher.on_event(PageEvent::RetryPressed, 20), Step::Stop);
        assert!(!fire(&mut watcher, 20));
    }

    #[test]
    fn retry_pressed_during_request_waits() {
        let mut watcher = watcher();
        assert!(fire(&mut watcher, 0));
        assert_eq!(watcher.on_event(PageEvent::RetryPressed, 5), Step::Wait);
        assert!(!fire(&mut watcher, 5));
    }

    #[test]
    fn request_without_plan_is_refused() {
        let mut watcher = Watcher::new(ID, PollOptions::default());
        assert!(!watcher.begin_request());
        watcher.start(0);
        assert!(watcher.begin_request());
    }

    #[test]
    fn stopped_watcher_stays_stopped() {
        let mut watcher = watcher();
        watcher.on_outcome(task("COMPLETED", 0), 0, 0.5);
        assert_eq!(
            watcher.on_outcome(task("IN_PROGRESS", 3), 10, 0.5),
            Step::Stop
        );
        assert_eq!(
            watcher.task().and_then(|task| task.status.clone()),
            Some(TaskStatus::Completed)
        );
    }
}
