//! Summaries of repeated measurements: median and spread.

/// The median, the 10th and 90th percentiles and the extremes of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of values.
    pub count: usize,
    pub median: f64,
    pub p10: f64,
    pub p90: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    /// Summarises `values`, or returns `None` for an empty sample. NaN
    /// values are dropped first.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        Some(Self {
            count: sorted.len(),
            median: percentile(&sorted, 0.5),
            p10: percentile(&sorted, 0.1),
            p90: percentile(&sorted, 0.9),
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        })
    }

    /// Formats the summary as `median (min–max)` with `decimals` decimals.
    pub fn median_range(&self, decimals: usize) -> String {
        format!(
            "{:.decimals$} ({:.decimals$}–{:.decimals$})",
            self.median, self.min, self.max
        )
    }
}

/// Returns the percentile `fraction` (0 to 1) of a sorted, non-empty
/// sample, interpolating linearly between the two nearest ranks.
fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let position = fraction.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let weight = position - lower as f64;
    sorted[lower] + (sorted[upper] - sorted[lower]) * weight
}

/// Formats an optional summary, or `not measured` when the sample was empty.
pub fn median_range_or_none(summary: Option<Summary>, decimals: usize) -> String {
    summary.map_or_else(|| "not measured".to_owned(), |s| s.median_range(decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_odd_sample() {
        let summary = Summary::of(&[5.0, 1.0, 3.0]).unwrap();

        assert_eq!(summary.count, 3);
        assert_eq!(summary.median, 3.0);
        assert_eq!(summary.min, 1.0);
        assert_eq!(summary.max, 5.0);
    }

    #[test]
    fn percentiles_interpolate() {
        let values: Vec<f64> = (0..=10).map(f64::from).collect();
        let summary = Summary::of(&values).unwrap();

        assert_eq!(summary.p10, 1.0);
        assert_eq!(summary.p90, 9.0);
        assert_eq!(Summary::of(&[1.0, 2.0]).unwrap().median, 1.5);
    }

    #[test]
    fn empty_sample_has_no_summary() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[f64::NAN]), None);
    }
}
