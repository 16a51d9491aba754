//! Tasks seeded at start so the demo page has one task in each status.

use time::{Duration, OffsetDateTime};

use super::task::{Task, TaskOrigin, TaskType};

/// Task that waits for the configured pending time, pushes 321 trips at the
/// configured rate, then completes: about a minute with the defaults.
pub const DEMO_LIVE_TASK_ID: &str = "de7000000000000000000001";
/// Task that stays `PENDING` for six hours.
pub const DEMO_PENDING_TASK_ID: &str = "de7000000000000000000002";
/// Task that is `IN_PROGRESS` and needs more than two hours to finish.
pub const DEMO_SLOW_TASK_ID: &str = "de7000000000000000000003";
/// Task that completed an hour before start.
pub const DEMO_COMPLETED_TASK_ID: &str = "de7000000000000000000004";
/// Task that a pause of the push service canceled half an hour before start.
pub const DEMO_CANCELED_TASK_ID: &str = "de7000000000000000000005";
/// Task that failed twenty minutes before start.
pub const DEMO_FAILED_TASK_ID: &str = "de7000000000000000000006";

/// Items of the live demo task, the count in the API documentation's example.
const LIVE_TASK_ITEMS: u64 = 321;

/// Builds the seeded tasks as of `now`, in the order the task list shows
/// them. `pending` and `items_per_second` are the configured values, which
/// only the live task uses.
pub fn demo_tasks(now: OffsetDateTime, pending: Duration, items_per_second: f64) -> Vec<Task> {
    let live_label = match approximate_run_time(LIVE_TASK_ITEMS, pending, items_per_second) {
        Some(run_time) => format!("Runs to completion in {run_time}"),
        None => "Never completes because the item rate is 0".to_owned(),
    };

    vec![
        Seed {
            id: DEMO_LIVE_TASK_ID,
            task_type: TaskType::PushFailedTrips,
            age: Duration::ZERO,
            nb_items: LIVE_TASK_ITEMS,
            pending,
            items_per_second,
            ended_after: None,
            label: live_label,
        }
        .build(now),
        Seed {
            id: DEMO_PENDING_TASK_ID,
            task_type: TaskType::PushFailedCrashes,
            age: Duration::ZERO,
            nb_items: 40,
            pending: Duration::hours(6),
            items_per_second: 5.0,
            ended_after: None,
            label: "Stays pending for 6 hours".to_owned(),
        }
        .build(now),
        Seed {
            id: DEMO_SLOW_TASK_ID,
            task_type: TaskType::PushFailedTrips,
            age: Duration::minutes(1),
            nb_items: 2000,
            pending: Duration::ZERO,
            items_per_second: 0.25,
            ended_after: None,
            label: "In progress, one item every 4 seconds for over 2 hours".to_owned(),
        }
        .build(now),
        Seed {
            id: DEMO_COMPLETED_TASK_ID,
            task_type: TaskType::PushFailedTrips,
            age: Duration::hours(1),
            nb_items: 150,
            pending: Duration::seconds(3),
            items_per_second: 10.0,
            ended_after: None,
            label: "Completed an hour ago".to_owned(),
        }
        .build(now),
        Seed {
            id: DEMO_CANCELED_TASK_ID,
            task_type: TaskType::PushFailedCrashes,
            age: Duration::minutes(30),
            nb_items: 200,
            pending: Duration::seconds(3),
            items_per_second: 2.0,
            ended_after: Some(Ending::Canceled(Duration::seconds(63))),
            label: "Canceled by a pause of the push service with 80 items left".to_owned(),
        }
        .build(now),
        Seed {
            id: DEMO_FAILED_TASK_ID,
            task_type: TaskType::PushFailedTrips,
            age: Duration::minutes(20),
            nb_items: 80,
            pending: Duration::seconds(3),
            items_per_second: 4.0,
            ended_after: Some(Ending::Failed(Duration::seconds(13))),
            label: "Failed with 40 items left".to_owned(),
        }
        .build(now),
    ]
}

/// Early end of a seeded task, with the time from its creation.
enum Ending {
    Canceled(Duration),
    Failed(Duration),
}

struct Seed {
    id: &'static str,
    task_type: TaskType,
    /// Time between the task's creation and the server's start.
    age: Duration,
    nb_items: u64,
    pending: Duration,
    items_per_second: f64,
    ended_after: Option<Ending>,
    label: String,
}

impl Seed {
    fn build(self, now: OffsetDateTime) -> Task {
        let created_at = now.saturating_sub(self.age);
        let (canceled_at, failed_at) = match self.ended_after {
            None => (None, None),
            Some(Ending::Canceled(after)) => (Some(created_at.saturating_add(after)), None),
            Some(Ending::Failed(after)) => (None, Some(created_at.saturating_add(after))),
        };

        Task {
            id: self.id.to_owned(),
            task_type: self.task_type,
            created_at,
            nb_items: self.nb_items,
            pending: self.pending,
            items_per_second: self.items_per_second,
            queued_at: Some(created_at),
            canceled_at,
            failed_at,
            origin: TaskOrigin::Demo,
            label: self.label,
        }
    }
}

/// Describes, in words such as "about a minute", the time from creation to
/// completion of a task, or returns `None` if it never completes.
fn approximate_run_time(nb_items: u64, pending: Duration, items_per_second: f64) -> Option<String> {
    if !(items_per_second > 0.0 && items_per_second.is_finite()) {
        return None;
    }

    let seconds = pending.as_seconds_f64() + nb_items as f64 / items_per_second;
    let text = if seconds < 45.0 {
        format!("about {} seconds", seconds.round().max(1.0))
    } else if seconds < 90.0 {
        "about a minute".to_owned()
    } else if seconds < 90.0 * 60.0 {
        format!("about {} minutes", (seconds / 60.0).round())
    } else {
        format!("about {} hours", (seconds / 3600.0).round())
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_time_default_live_task_about_a_minute() {
        let text = approximate_run_time(321, Duration::seconds(3), 5.0);
        assert_eq!(text.as_deref(), Some("about a minute"));
    }

    #[test]
    fn run_time_short_task_in_seconds() {
        let text = approximate_run_time(20, Duration::ZERO, 1.0);
        assert_eq!(text.as_deref(), Some("about 20 seconds"));
    }

    #[test]
    fn run_time_long_task_in_hours() {
        let text = approximate_run_time(7200, Duration::ZERO, 1.0);
        assert_eq!(text.as_deref(), Some("about 2 hours"));
    }

    #[test]
    fn run_time_zero_rate_is_none() {
        let text = approximate_run_time(321, Duration::ZERO, 0.0);
        assert_eq!(text, None);
    }
}
