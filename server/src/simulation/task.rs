//! One simulated task and the arithmetic that derives its status from time.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Kind of items that a task pushes again, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskType {
    /// Retry of trips whose push to the customer's server failed.
    PushFailedTrips,
    /// Retry of crashes whose push to the customer's server failed.
    PushFailedCrashes,
}

impl TaskType {
    /// Returns the name that the API uses for this type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PushFailedTrips => "PUSH_FAILED_TRIPS",
            Self::PushFailedCrashes => "PUSH_FAILED_CRASHES",
        }
    }
}

/// Status of a task, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    /// Waiting to start.
    Pending,
    /// Pushing items.
    InProgress,
    /// Every item was pushed.
    Completed,
    /// Stopped because the push service was paused.
    Canceled,
    /// Stopped by an error.
    Failed,
}

impl TaskStatus {
    /// Returns the name that the API uses for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::Canceled => "CANCELED",
            Self::Failed => "FAILED",
        }
    }

    /// Returns whether the task can no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Canceled | Self::Failed)
    }
}

/// Origin of a task, which decides the rules that apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOrigin {
    /// Seeded at start for the demo page.
    Demo,
    /// Created by a retry route of the API.
    Retry,
    /// Created by the `POST /sim/tasks` control route.
    Control,
}

/// One simulated task: its fixed parameters and the events that ended it
/// early. Its status is never stored but derived by [`Task::state_at`].
#[derive(Debug, Clone)]
pub struct Task {
    /// Task id, 24 lowercase hex characters unless a test chose another.
    pub id: String,
    /// Kind of items pushed.
    pub task_type: TaskType,
    /// Instant the task was created.
    pub created_at: OffsetDateTime,
    /// Items to push.
    pub nb_items: u64,
    /// Time spent `PENDING` before the first item starts.
    pub pending: Duration,
    /// Items finished per second once in progress. Zero means the task
    /// never finishes unless it has no items.
    pub items_per_second: f64,
    /// Instant from which `pending` counts: the creation instant, or the
    /// resume instant for a task created while the push service was paused.
    /// `None` while that pause lasts.
    pub queued_at: Option<OffsetDateTime>,
    /// Instant the task was canceled by a pause of the push service.
    pub canceled_at: Option<OffsetDateTime>,
    /// Instant the task was made to fail.
    pub failed_at: Option<OffsetDateTime>,
    /// Origin of the task.
    pub origin: TaskOrigin,
    /// Short English description for the simulator's task list.
    pub label: String,
}

/// State of a task at one instant: what the API reports besides the fixed
/// fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskState {
    /// Status at that instant.
    pub status: TaskStatus,
    /// Items not yet pushed.
    pub nb_remaining_items: u64,
    /// Instant the last item finished, set only when `status` is `Completed`.
    pub completed_at: Option<OffsetDateTime>,
}

impl Task {
    /// Derives the task's state at `now`.
    ///
    /// A cancel or failure applies from its own instant on, and freezes the
    /// remaining items at what they were then. Before that instant, and for
    /// tasks that never ended early, the state follows from the schedule:
    /// `PENDING` until `queued_at + pending`, then one item every
    /// `1 / items_per_second` seconds, then `COMPLETED` at the exact instant
    /// the last item finished.
    pub fn state_at(&self, now: OffsetDateTime) -> TaskState {
        if let Some(failed_at) = self.failed_at.filter(|at| now >= *at) {
            return self.stopped_state(TaskStatus::Failed, failed_at);
        }
        if let Some(canceled_at) = self.canceled_at.filter(|at| now >= *at) {
            return self.stopped_state(TaskStatus::Canceled, canceled_at);
        }
        self.scheduled_state(now)
    }

    /// Returns the instant the task started or will start pushing items, or
    /// `None` while it waits for the push service to resume or if that
    /// instant is past the largest date `time` supports.
    pub fn start_at(&self) -> Option<OffsetDateTime> {
        self.queued_at?.checked_add(self.pending)
    }

    /// Returns the instant the last item finishes if nothing stops the task,
    /// or `None` if it never finishes.
    pub fn finish_at(&self) -> Option<OffsetDateTime> {
        let start = self.start_at()?;
        if self.nb_items == 0 {
            return Some(start);
        }
        if self.items_per_second <= 0.0 || !self.items_per_second.is_finite() {
            return None;
        }

        // u64 to f64 rounds above 2^53 items, which no test or demo reaches.
        let seconds = self.nb_items as f64 / self.items_per_second;
        let duration = Duration::checked_seconds_f64(seconds)?;
        start.checked_add(duration)
    }

    fn stopped_state(&self, status: TaskStatus, stopped_at: OffsetDateTime) -> TaskState {
        TaskState {
            status,
            nb_remaining_items: self.scheduled_state(stopped_at).nb_remaining_items,
            completed_at: None,
        }
    }

    fn scheduled_state(&self, now: OffsetDateTime) -> TaskState {
        let pending = TaskState {
            status: TaskStatus::Pending,
            nb_remaining_items: self.nb_items,
            completed_at: None,
        };
        let Some(start) = self.start_at() else {
            return pending;
        };
        if now < start {
            return pending;
        }

        if let Some(finish) = self.finish_at().filter(|at| now >= *at) {
            return TaskState {
                status: TaskStatus::Completed,
                nb_remaining_items: 0,
                completed_at: Some(finish),
            };
        }

        // The float cast saturates, and the floor of elapsed items can reach
        // nb_items a few nanoseconds before `finish_at` by rounding, so at
        // least one item stays until the task completes.
        let elapsed = (now - start).as_seconds_f64();
        let done = (elapsed * self.items_per_second).floor() as u64;
        TaskState {
            status: TaskStatus::InProgress,
            nb_remaining_items: self.nb_items.saturating_sub(done).max(1),
            completed_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const CREATED: OffsetDateTime = datetime!(2024-12-09 14:14:17.574 UTC);

    fn task(nb_items: u64, pending_ms: i64, items_per_second: f64) -> Task {
        Task {
            id: "t".to_owned(),
            task_type: TaskType::PushFailedTrips,
            created_at: CREATED,
            nb_items,
            pending: Duration::milliseconds(pending_ms),
            items_per_second,
            queued_at: Some(CREATED),
            canceled_at: None,
            failed_at: None,
            origin: TaskOrigin::Control,
            label: String::new(),
        }
    }

    fn at_ms(offset: i64) -> OffsetDateTime {
        CREATED + Duration::milliseconds(offset)
    }

    #[test]
    fn state_at_before_creation_is_pending() {
        let state = task(10, 0, 1.0).state_at(at_ms(-1000));

        assert_eq!(state.status, TaskStatus::Pending);
        assert_eq!(state.nb_remaining_items, 10);
    }

    #[test]
    fn state_at_third_rate_completes_at_exact_instant() {
        // One item every 3 s: 3 items finish at 9 s, a float product that
        // rounds below 3.0 at some instants.
        let task = task(3, 0, 1.0 / 3.0);
        let finish = task.finish_at().expect("task finishes");

        let before = task.state_at(finish - Duration::nanoseconds(1));
        let at_finish = task.state_at(finish);

        assert_eq!(before.status, TaskStatus::InProgress);
        assert_eq!(before.nb_remaining_items, 1);
        assert_eq!(at_finish.status, TaskStatus::Completed);
        assert_eq!(at_finish.completed_at, Some(finish));
    }

    #[test]
    fn state_at_remaining_never_negative_after_finish() {
        let state = task(5, 0, 100.0).state_at(at_ms(3_600_000));

        assert_eq!(state.nb_remaining_items, 0);
        assert_eq!(state.completed_at, Some(at_ms(50)));
    }

    #[test]
    fn state_at_waiting_for_resume_stays_pending() {
        let mut task = task(5, 0, 1.0);
        task.queued_at = None;

        let state = task.state_at(at_ms(86_400_000));

        assert_eq!(state.status, TaskStatus::Pending);
        assert_eq!(state.nb_remaining_items, 5);
    }

    #[test]
    fn state_at_huge_pending_stays_pending() {
        let mut task = task(5, 0, 1.0);
        task.pending = Duration::MAX;

        let state = task.state_at(at_ms(86_400_000));

        assert_eq!(task.start_at(), None);
        assert_eq!(state.status, TaskStatus::Pending);
    }

    #[test]
    fn state_at_tiny_rate_never_finishes() {
        let task = task(5, 0, 1e-300);

        let state = task.state_at(at_ms(86_400_000));

        assert_eq!(task.finish_at(), None);
        assert_eq!(state.status, TaskStatus::InProgress);
        assert_eq!(state.nb_remaining_items, 5);
    }

    #[test]
    fn state_at_failure_applies_from_its_instant() {
        let mut task = task(10, 0, 1.0);
        task.failed_at = Some(at_ms(4000));

        let before = task.state_at(at_ms(3000));
        let after = task.state_at(at_ms(9000));

        assert_eq!(before.status, TaskStatus::InProgress);
        assert_eq!(before.nb_remaining_items, 7);
        assert_eq!(after.status, TaskStatus::Failed);
        assert_eq!(after.nb_remaining_items, 6);
        assert_eq!(after.completed_at, None);
    }

    #[test]
    fn state_at_cancel_while_pending_keeps_all_items() {
        let mut task = task(10, 5000, 1.0);
        task.canceled_at = Some(at_ms(1000));

        let state = task.state_at(at_ms(60_000));

        assert_eq!(state.status, TaskStatus::Canceled);
        assert_eq!(state.nb_remaining_items, 10);
    }

    #[test]
    fn status_terminal_cases() {
        assert!(!TaskStatus::Pending.is_terminal());
        assert!(!TaskStatus::InProgress.is_terminal());
        assert!(TaskStatus::Completed.is_terminal());
        assert!(TaskStatus::Canceled.is_terminal());
        assert!(TaskStatus::Failed.is_terminal());
    }
}
