//! The task resource as the API returns it, read leniently.
//!
//! Every field may be missing, `completedAt` may be null, and the server may
//! add statuses or types later. A field of an unexpected shape becomes `None`
//! instead of rejecting the whole response, so the rest of the task still shows.

use serde::de::{Deserializer, IgnoredAny};
use serde::Deserialize;

use super::date::ApiDate;

/// A task as returned by `GET /v1/enterprise/task/{taskId}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The task id, 24 hexadecimal characters in production.
    #[serde(default, deserialize_with = "lenient")]
    pub task_id: Option<String>,
    /// When the task was created.
    #[serde(default, deserialize_with = "lenient_date")]
    pub created_at: Option<ApiDate>,
    /// When the task completed; null until then.
    #[serde(default, deserialize_with = "lenient_date")]
    pub completed_at: Option<ApiDate>,
    /// Kind of work the task does.
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub task_type: Option<TaskType>,
    /// Stage of the task in its lifecycle.
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<TaskStatus>,
    /// Number of items the task handles.
    #[serde(default, deserialize_with = "lenient_count")]
    pub nb_items: Option<i64>,
    /// Number of items not handled yet; 0 once the task is COMPLETED.
    #[serde(default, deserialize_with = "lenient_count")]
    pub nb_remaining_items: Option<i64>,
}

impl Task {
    /// Tells whether no field of the task was understood, as with `{}` or an
    /// object from another API: such a body is not treated as a task.
    pub fn is_empty(&self) -> bool {
        *self == Task::default()
    }

    /// Tells whether the status is one after which the task never changes.
    pub fn is_terminal(&self) -> bool {
        self.status.as_ref().is_some_and(TaskStatus::is_terminal)
    }
}

/// The lifecycle status of a task.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Created, waiting to start.
    Pending,
    /// Items are being handled.
    InProgress,
    /// Every item was handled.
    Completed,
    /// Stopped because the push service was paused.
    Canceled,
    /// Stopped by an error.
    Failed,
    /// A status this version does not know, kept as received.
    Unknown(String),
}

impl TaskStatus {
    /// Maps the API's text to a status; unknown text is kept in [`TaskStatus::Unknown`].
    pub fn from_api(text: &str) -> Self {
        match text {
            "PENDING" => TaskStatus::Pending,
            "IN_PROGRESS" => TaskStatus::InProgress,
            "COMPLETED" => TaskStatus::Completed,
            "CANCELED" => TaskStatus::Canceled,
            "FAILED" => TaskStatus::Failed,
            other => TaskStatus::Unknown(other.to_owned()),
        }
    }

    /// The API's text for this status.
    pub fn as_str(&self) -> &str {
        match self {
            TaskStatus::Pending => "PENDING",
            TaskStatus::InProgress => "IN_PROGRESS",
            TaskStatus::Completed => "COMPLETED",
            TaskStatus::Canceled => "CANCELED",
            TaskStatus::Failed => "FAILED",
            TaskStatus::Unknown(text) => text,
        }
    }

    /// Tells whether the task can no longer change: COMPLETED, CANCELED or FAILED.
    /// Unknown statuses are not terminal, so polling goes on.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            TaskStatus::Completed | TaskStatus::Canceled | TaskStatus::Failed
        )
    }
}

impl<'de> Deserialize<'de> for TaskStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(TaskStatus::from_api(&text))
    }
}

/// The kind of work a task does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaskType {
    /// Re-sends trips whose push failed.
    PushFailedTrips,
    /// Re-sends crashes whose push failed.
    PushFailedCrashes,
    /// A type this version does not know, kept as received.
    Unknown(String),
}

impl TaskType {
    /// Maps the API's text to a type; unknown text is kept in [`TaskType::Unknown`].
    pub fn from_api(text: &str) -> Self {
        match text {
            "PUSH_FAILED_TRIPS" => TaskType::PushFailedTrips,
            "PUSH_FAILED_CRASHES" => TaskType::PushFailedCrashes,
            other => TaskType::Unknown(other.to_owned()),
        }
    }

    /// The API's text for this type.
    pub fn as_str(&self) -> &str {
        match self {
            TaskType::PushFailedTrips => "PUSH_FAILED_TRIPS",
            TaskType::PushFailedCrashes => "PUSH_FAILED_CRASHES",
            TaskType::Unknown(text) => text,
        }
    }
}

impl<'de> Deserialize<'de> for TaskType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(TaskType::from_api(&text))
    }
}

/// Deepest nesting of arrays and objects accepted in a response body. A task
/// needs 1; a deeper body is refused before any parser recurses into it,
/// because deep recursion overflows the wasm stack.
pub const MAX_JSON_DEPTH: usize = 32;

/// Returns the deepest nesting of `[` and `{` in a JSON text, ignoring
/// brackets inside strings. It does not check that the text is valid JSON.
pub fn json_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0_usize, 0_usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Returns text from the server made safe to show: control characters and
/// the Unicode direction controls (which could make `PROGRESS_NI` read as
/// `IN_PROGRESS`) are removed.
pub fn display_safe(text: &str) -> String {
    text.chars()
        .filter(|&character| {
            let direction = matches!(character, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            !direction && !character.is_control()
        })
        .collect()
}

/// A field value of the expected type, or anything else, which is dropped.
#[derive(Deserialize)]
#[serde(untagged)]
enum Lenient<T> {
    Expected(T),
    Other(IgnoredAny),
}

fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Lenient::<T>::deserialize(deserializer)? {
        Lenient::Expected(value) => Ok(Some(value)),
        Lenient::Other(_) => Ok(None),
    }
}

fn lenient_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<ApiDate>, D::Error> {
    let text: Option<String> = lenient(deserializer)?;
    Ok(text.map(|text| ApiDate::parse(&text)))
}

/// A count as JSON may carry it: an integer, or a number with a fraction
/// (JavaScript has only doubles), which is truncated.
#[derive(Deserialize)]
#[serde(untagged)]
enum Count {
    Integer(i64),
    Fraction(f64),
    Other(IgnoredAny),
}

fn lenient_count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Count::deserialize(deserializer)? {
        Count::Integer(count) => Ok(Some(count)),
        // `as` saturates at the i64 bounds, which the progress rule then clamps.
        Count::Fraction(count) if count.is_finite() => Ok(Some(count.trunc() as i64)),
        Count::Fraction(_) | Count::Other(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Task {
        serde_json::from_str(json).expect("test JSON is an object")
    }

    #[test]
    fn task_reads_documented_example() {
        let task = parse(
            r#"{"taskId":"6753030831fe9826412bac5c","createdAt":"2024-12-09T14:14:17.574+0000",
            "completedAt":null,"type":"PUSH_FAILED_TRIPS","status":"IN_PROGRESS","nbItems":321,"nbRemainingItems":12}"#,
        );
        assert_eq!(task.task_id.as_deref(), Some("6753030831fe9826412bac5c"));
        assert_eq!(task.created_at, Some(ApiDate::Instant(1_733_753_657_574)));
        assert_eq!(task.completed_at, None);
        assert_eq!(task.task_type, Some(TaskType::PushFailedTrips));
        assert_eq!(task.status, Some(TaskStatus::InProgress));
        assert_eq!(task.nb_items, Some(321));
        assert_eq!(task.nb_remaining_items, Some(12));
    }

    #[test]
    fn task_accepts_missing_fields() {
        let task = parse(r#"{"status":"PENDING"}"#);
        assert_eq!(task.status, Some(TaskStatus::Pending));
        assert_eq!(task.task_id, None);
        assert_eq!(task.nb_items, None);
        assert!(!task.is_empty());
    }

    #[test]
    fn task_keeps_unknown_values() {
        let task = parse(r#"{"status":"PAUSED","type":"PUSH_FAILED_EVENTS"}"#);
        assert_eq!(task.status, Some(TaskStatus::Unknown("PAUSED".into())));
        assert_eq!(
            task.task_type,
            Some(TaskType::Unknown("PUSH_FAILED_EVENTS".into()))
        );
        assert_eq!(task.status.as_ref().map(TaskStatus::as_str), Some("PAUSED"));
    }

    #[test]
    fn task_drops_fields_of_wrong_shape() {
        let task = parse(
            r#"{"taskId":42,"status":{"a":1},"type":null,"nbItems":"many","nbRemainingItems":[1],
            "createdAt":17,"completedAt":"soon"}"#,
        );
        assert_eq!(task.task_id, None);
        assert_eq!(task.status, None);
        assert_eq!(task.task_type, None);
        assert_eq!(task.nb_items, None);
        assert_eq!(task.nb_remaining_items, None);
        assert_eq!(task.created_at, None);
        assert_eq!(task.completed_at, Some(ApiDate::Invalid("soon".into())));
    }

    #[test]
    fn task_truncates_fractional_counts() {
        let task = parse(r#"{"nbItems":321.0,"nbRemainingItems":12.7}"#);
        assert_eq!(task.nb_items, Some(321));
        assert_eq!(task.nb_remaining_items, Some(12));
    }

    #[test]
    fn task_saturates_huge_counts() {
        let task = parse(r#"{"nbItems":1e300,"nbRemainingItems":-1e300}"#);
        assert_eq!(task.nb_items, Some(i64::MAX));
        assert_eq!(task.nb_remaining_items, Some(i64::MIN));
    }

    #[test]
    fn task_ignores_extra_fields() {
        let task = parse(r#"{"status":"COMPLETED","owner":"someone","nbItems":3}"#);
        assert_eq!(task.status, Some(TaskStatus::Completed));
        assert_eq!(task.nb_items, Some(3));
    }

    #[test]
    fn task_empty_object_is_empty() {
        assert!(parse("{}").is_empty());
        assert!(parse(r#"{"error":"boom"}"#).is_empty());
    }

    #[test]
    fn json_depth_counts_nesting() {
        assert_eq!(json_depth(r#"{"a":[1,{"b":2}]}"#), 3);
        assert_eq!(json_depth(r#"{"a":"[[[[{{{"}"#), 1);
        assert_eq!(json_depth(r#"{"a":"\"[[["}"#), 1);
        assert_eq!(json_depth("not json"), 0);
        let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
        assert_eq!(json_depth(&deep), 5_000);
    }

    #[test]
    fn display_safe_drops_direction_controls() {
        assert_eq!(display_safe("\u{202e}SSERGORP_NI"), "SSERGORP_NI");
        assert_eq!(display_safe("a\u{2066}b\u{2069}c\u{0007}"), "abc");
        assert_eq!(display_safe("Relance é 🚚"), "Relance é 🚚");
    }

    #[test]
    fn status_terminal_set() {
        assert!(TaskStatus::Completed.is_terminal());
        assert!(TaskStatus::Canceled.is_terminal());
        assert!(TaskStatus::Failed.is_terminal());
        assert!(!TaskStatus::Pending.is_terminal());
        assert!(!TaskStatus::InProgress.is_terminal());
        assert!(!TaskStatus::Unknown("DONE".into()).is_terminal());
    }

    #[test]
    fn status_round_trips_api_text() {
        for text in [
            "PENDING",
            "IN_PROGRESS",
            "COMPLETED",
            "CANCELED",
            "FAILED",
            "PAUSED",
        ] {
            assert_eq!(TaskStatus::from_api(text).as_str(), text);
        }
    }
}
