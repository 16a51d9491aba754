//! The one progress rule shared by the bar, the text and `aria-valuenow`.

use super::task::{Task, TaskStatus};

/// How far a task has come, derived from its counts and status by [`Progress::of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Items handled, when the counts are known: total − remaining, clamped to `0..=total`.
    pub done: Option<u64>,
    /// Items in all, when known and not negative.
    pub total: Option<u64>,
    /// Whole percent in `0..=100`, rounded down so that 100 means every item is done;
    /// `None` means the bar is indeterminate.
    pub percent: Option<u8>,
}

impl Progress {
    /// Applies the progress rule to a task.
    ///
    /// - With a total above 0 and a remaining count, done = total − remaining
    ///   clamped to `0..=total`, and the percent follows from it.
    /// - A COMPLETED task with no remaining count has done every item (the API
    ///   sets remaining to 0 at completion), and one with no total at all is
    ///   still at 100 %, without counts.
    /// - A total of 0 is 100 % when COMPLETED and indeterminate otherwise.
    /// - Any other unknown or negative count gives an indeterminate bar.
    pub fn of(task: &Task) -> Self {
        let completed = task.status == Some(TaskStatus::Completed);
        let total = task.nb_items.and_then(|total| u64::try_from(total).ok());

        let Some(total) = total else {
            let percent = completed.then_some(100);
            return Progress {
                done: None,
                total: None,
                percent,
            };
        };

        if total == 0 {
            let percent = completed.then_some(100);
            return Progress {
                done: Some(0),
                total: Some(0),
                percent,
            };
        }

        let done = match task.nb_remaining_items {
            Some(remaining) => Some(done_from_remaining(total, remaining)),
            None if completed => Some(total),
            None => None,
        };
        let percent = done.map(|done| percent_of(done, total));
        Progress {
            done,
            total: Some(total),
            percent,
        }
    }

    /// Tells whether the bar has no value to show.
    pub fn is_indeterminate(&self) -> bool {
        self.percent.is_none()
    }
}

/// Computes total − remaining clamped to `0..=total`, in i128 so that no
/// count the API can send overflows.
fn done_from_remaining(total: u64, remaining: i64) -> u64 {
    let done = i128::from(total) - i128::from(remaining);
    let clamped = done.clamp(0, i128::from(total));
    u64::try_from(clamped).unwrap_or(total)
}

/// Whole percent of `done` over a `total` above 0, rounded down.
fn percent_of(done: u64, total: u64) -> u8 {
    let percent = u128::from(done.min(total)) * 100 / u128::from(total);
    u8::try_from(percent).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(status: TaskStatus, total: Option<i64>, remaining: Option<i64>) -> Task {
        Task {
            status: Some(status),
            nb_items: total,
            nb_remaining_items: remaining,
            ..Task::default()
        }
    }

    fn running(total: Option<i64>, remaining: Option<i64>) -> Progress {
        Progress::of(&task(TaskStatus::InProgress, total, remaining))
    }

    fn completed(total: Option<i64>, remaining: Option<i64>) -> Progress {
        Progress::of(&task(TaskStatus::Completed, total, remaining))
    }

    #[test]
    fn progress_documented_example() {
        let progress = running(Some(321), Some(12));
        assert_eq!(progress.done, Some(309));
        assert_eq!(progress.total, Some(321));
        assert_eq!(progress.percent, Some(96));
    }

    #[test]
    fn progress_rounds_down_below_full() {
        assert_eq!(running(Some(1000), Some(1)).percent, Some(99));
        assert_eq!(running(Some(3), Some(1)).percent, Some(66));
    }

    #[test]
    fn progress_zero_total_running_is_indeterminate() {
        let progress = running(Some(0), Some(0));
        assert_eq!(progress.percent, None);
        assert!(progress.is_indeterminate());
    }

    #[test]
    fn progress_zero_total_completed_is_full() {
        let progress = completed(Some(0), Some(0));
        assert_eq!(progress.percent, Some(100));
        assert_eq!(progress.done, Some(0));
        assert_eq!(progress.total, Some(0));
    }

    #[test]
    fn progress_remaining_above_total_is_zero() {
        let progress = running(Some(10), Some(12));
        assert_eq!(progress.done, Some(0));
        assert_eq!(progress.percent, Some(0));
    }

    #[test]
    fn progress_negative_remaining_is_capped() {
        let progress = running(Some(10), Some(-3));
        assert_eq!(progress.done, Some(10));
        assert_eq!(progress.percent, Some(100));
    }

    #[test]
    fn progress_unknown_counts_are_indeterminate() {
        assert_eq!(running(None, Some(3)).percent, None);
        assert_eq!(running(Some(10), None).percent, None);
        assert_eq!(running(Some(-10), Some(3)).percent, None);
        assert_eq!(running(Some(10), None).done, None);
    }

    #[test]
    fn progress_completed_without_remaining_is_full() {
        let progress = completed(Some(321), None);
        assert_eq!(progress.done, Some(321));
        assert_eq!(progress.percent, Some(100));
    }

    #[test]
    fn progress_completed_without_counts_is_full() {
        let progress = completed(None, None);
        assert_eq!(progress.percent, Some(100));
        assert_eq!(progress.done, None);
        assert_eq!(progress.total, None);
    }

    #[test]
    fn progress_extreme_counts_stay_in_range() {
        let cases = [
            (i64::MAX, i64::MIN),
            (i64::MAX, i64::MAX),
            (i64::MAX, 0),
            (1, i64::MIN),
            (i64::MAX, 1),
        ];
        for (total, remaining) in cases {
            let progress = running(Some(total), Some(remaining));
            let percent = progress.percent.expect("counts are known");
            assert!(percent <= 100, "{total}, {remaining} gave {percent}");
            assert!(progress.done <= progress.total, "{total}, {remaining}");
        }
    }

    #[test]
    fn progress_every_small_pair_in_range() {
        for total in -2..=12_i64 {
            for remaining in -15..=15_i64 {
                let progress = running(Some(total), Some(remaining));
                if let Some(percent) = progress.percent {
                    assert!(percent <= 100);
                    let done = progress.done.expect("a percent comes with a done count");
                    let total = progress.total.expect("a percent comes with a total");
                    assert_eq!(u64::from(percent), done * 100 / total);
                }
            }
        }
    }

    #[test]
    fn progress_status_unknown_follows_counts() {
        let progress = Progress::of(&task(
            TaskStatus::Unknown("PAUSED".into()),
            Some(10),
            Some(4),
        ));
        assert_eq!(progress.percent, Some(60));
    }
}
