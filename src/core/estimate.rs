//! Throughput and time remaining, estimated from successive responses.
//!
//! Rule: an estimate exists once at least [`MIN_SAMPLES`] samples of a
//! running task span at least [`MIN_SPAN_MS`] and show progress. The rate is
//! measured over the samples of the last [`WINDOW_MS`] (at most
//! [`MAX_SAMPLES`] of them) and smoothed with an
//! exponential moving average (weight [`SMOOTHING`] for each new measure), so
//! one fast or slow cycle does not make the figures jump.

use super::progress::Progress;
use super::task::{Task, TaskStatus};

/// Fewest samples before an estimate is shown.
pub const MIN_SAMPLES: usize = 3;
/// Shortest time the samples must span, in milliseconds.
pub const MIN_SPAN_MS: u64 = 10_000;
/// Age after which a sample no longer counts, in milliseconds.
pub const WINDOW_MS: u64 = 120_000;
/// Weight of a new rate measure in the moving average.
pub const SMOOTHING: f64 = 0.3;
/// Most samples kept, so memory and the cost of copying a watcher stay
/// bounded however fast the widget polls.
pub const MAX_SAMPLES: usize = 32;
/// Shortest time between two kept samples, in milliseconds, so that fast
/// polling still spans enough time with [`MAX_SAMPLES`] samples.
pub const MIN_SAMPLE_GAP_MS: u64 = 1_000;

/// A stable estimate of the task's pace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Items handled per minute.
    pub items_per_minute: f64,
    /// Time until every item is handled at that pace, in milliseconds.
    pub remaining_ms: u64,
}

/// The samples and smoothed rate of one watch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimator {
    samples: Vec<(u64, u64)>,
    smoothed_per_ms: Option<f64>,
    estimate: Option<Estimate>,
}

impl Estimator {
    /// Records a task received at `now_ms` and updates the estimate.
    /// Only IN_PROGRESS tasks with known counts are sampled; any other task
    /// clears the estimate, since a pace no longer applies.
    pub fn record(&mut self, task: &Task, now_ms: u64) {
        let progress = Progress::of(task);
        let (Some(done), Some(total)) = (progress.done, progress.total) else {
            self.estimate = None;
            return;
        };
        if task.status != Some(TaskStatus::InProgress) {
            self.estimate = None;
            return;
        }

        // A count that went backwards (a restarted task) starts a new series.
        if self.samples.last().is_some_and(|&(_, last)| done < last) {
            *self = Estimator::default();
        }
        let too_soon = self
            .samples
            .last()
            .is_some_and(|&(at, _)| now_ms.saturating_sub(at) < MIN_SAMPLE_GAP_MS);
        if too_soon {
            return;
        }
        self.samples.push((now_ms, done));
        self.samples
            .retain(|&(at, _)| now_ms.saturating_sub(at) <= WINDOW_MS);
        if self.samples.len() > MAX_SAMPLES {
            let excess = self.samples.len() - MAX_SAMPLES;
            self.samples.drain(..excess);
        }
        self.estimate = self.measure(total - done);
    }

    /// The current estimate, when the rule above allows one.
    pub fn estimate(&self) -> Option<Estimate> {
        self.estimate
    }

    fn measure(&mut self, remaining: u64) -> Option<Estimate> {
        let &(first_at, first_done) = self.samples.first()?;
        let &(last_at, last_done) = self.samples.last()?;
        let span = last_at.saturating_sub(first_at);
        if self.samples.len() < MIN_SAMPLES || span < MIN_SPAN_MS || last_done <= first_done {
            return None;
        }

        let measured = (last_done - first_done) as f64 / span as f64;
        let rate = match self.smoothed_per_ms {
            Some(previous) => previous + SMOOTHING * (measured - previous),
            None => measured,
        };
        self.smoothed_per_ms = Some(rate);
        if !(rate.is_finite() && rate > 0.0) {
            return None;
        }
        Some(Estimate {
            items_per_minute: rate * 60_000.0,
            remaining_ms: (remaining as f64 / rate).round() as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(total: i64, remaining: i64) -> Task {
        Task {
            status: Some(TaskStatus::InProgress),
            nb_items: Some(total),
            nb_remaining_items: Some(remaining),
            ..Task::default()
        }
    }

    /// Feeds `remaining` counts of a 600-item task at `step_ms` intervals.
    fn feed(estimator: &mut Estimator, remaining: &[i64], step_ms: u64) {
        for (index, left) in remaining.iter().enumerate() {
            estimator.record(&running(600, *left), index as u64 * step_ms);
        }
    }

    #[test]
    fn estimate_needs_three_samples() {
        let mut estimator = Estimator::default();
        feed(&mut estimator, &[600, 500], 20_000);
        assert_eq!(estimator.estimate(), None);
    }

    #[test]
    fn estimate_needs_ten_seconds() {
        let mut estimator = Estimator::default();
        feed(&mut estimator, &[600, 590, 580, 570], 2_000);
        assert_eq!(estimator.estimate(), None);
        estimator.record(&running(600, 550), 10_000);
        assert!(estimator.estimate().is_some());
    }

    #[test]
    fn estimate_steady_pace() {
        let mut estimator = Estimator::default();
        // 10 items every 2 s: 300 items a minute.
        let remaining: Vec<i64> = (0..8).map(|step| 600 - 10 * step).collect();
        feed(&mut estimator, &remaining, 2_000);
        let estimate = estimator.estimate().expect("8 samples over 14 s");
        assert!(
            (estimate.items_per_minute - 300.0).abs() < 1e-6,
            "{estimate:?}"
        );
        // 530 left at 5 items a second.
        assert_eq!(estimate.remaining_ms, 106_000);
    }

    #[test]
    fn estimate_smooths_a_jump() {
        let mut estimator = Estimator::default();
        let remaining: Vec<i64> = (0..8).map(|step| 600 - 10 * step).collect();
        feed(&mut estimator, &remaining, 2_000);
        let before = estimator.estimate().expect("a steady estimate");
        // One burst of 100 items in 2 s.
        estimator.record(&running(600, 430), 16_000);
        let after = estimator.estimate().expect("still an estimate");
        let measured = (600.0 - 430.0) / 16.0 * 60.0;
        assert!(after.items_per_minute > before.items_per_minute);
        assert!(
            after.items_per_minute < measured,
            "{after:?} jumped to the raw {measured}"
        );
    }

    #[test]
    fn estimate_cleared_by_stall_or_end() {
        let mut estimator = Estimator::default();
        feed(&mut estimator, &[600, 600, 600, 600, 600, 600], 3_000);
        assert_eq!(estimator.estimate(), None, "no progress, no pace");

        let mut estimator = Estimator::default();
        let remaining: Vec<i64> = (0..8).map(|step| 600 - 10 * step).collect();
        feed(&mut estimator, &remaining, 2_000);
        let completed = Task {
            status: Some(TaskStatus::Completed),
            ..running(600, 0)
        };
        estimator.record(&completed, 20_000);
        assert_eq!(estimator.estimate(), None);
    }

    #[test]
    fn estimate_restarts_when_count_goes_back() {
        let mut estimator = Estimator::default();
        let remaining: Vec<i64> = (0..8).map(|step| 600 - 10 * step).collect();
        feed(&mut estimator, &remaining, 2_000);
        estimator.record(&running(600, 600), 16_000);
        assert_eq!(estimator.estimate(), None);
    }

    #[test]
    fn estimate_keeps_bounded_samples() {
        let mut estimator = Estimator::default();
        // 10,000 fast polls in 100 s, all inside the window.
        for step in 0..10_000_u64 {
            let remaining = 1_000_000 - step as i64;
            estimator.record(&running(1_000_000, remaining), step * 10);
        }
        assert!(estimator.samples.len() <= MAX_SAMPLES);
        let estimate = estimator
            .estimate()
            .expect("samples a second apart span 31 s");
        assert!(
            (estimate.items_per_minute - 6_000.0).abs() < 1.0,
            "{estimate:?}"
        );
    }

    #[test]
    fn estimate_ignores_unknown_counts() {
        let mut estimator = Estimator::default();
        for step in 0..6 {
            let task = Task {
                status: Some(TaskStatus::InProgress),
                ..Task::default()
            };
            estimator.record(&task, step * 5_000);
        }
        assert_eq!(estimator.estimate(), None);
    }
}
