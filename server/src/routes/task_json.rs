//! The task JSON that the API returns.

use serde::{Serialize, Serializer};
use serde_json::Value;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::error::ApiError;
use crate::simulation::{Task, TaskStatus, TaskType};

/// Date format of the API: UTC with milliseconds and a `+0000` offset, such
/// as `2024-12-09T14:14:17.574+0000`.
const API_DATE_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000");

/// Body of `GET /v1/enterprise/task/{taskId}`, with every field always
/// present and in the order of the API documentation's example.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskJson {
    task_id: String,
    created_at: String,
    completed_at: Option<String>,
    #[serde(rename = "type")]
    task_type: TaskType,
    status: TaskStatus,
    nb_items: u64,
    nb_remaining_items: u64,
}

impl TaskJson {
    /// Describes `task` as the API reports it at `now`.
    pub(crate) fn new(task: &Task, now: OffsetDateTime) -> Result<Self, ApiError> {
        let state = task.state_at(now);
        let completed_at = match state.completed_at {
            Some(at) => Some(format_api_date(at)?),
            None => None,
        };

        Ok(Self {
            task_id: task.id.clone(),
            created_at: format_api_date(task.created_at)?,
            completed_at,
            task_type: task.task_type,
            status: state.status,
            nb_items: task.nb_items,
            nb_remaining_items: state.nb_remaining_items,
        })
    }
}

impl TaskJson {
    /// Returns the fields as JSON values in the order of serialization, for
    /// scripted steps that change some of them.
    pub(crate) fn into_fields(self) -> Vec<(String, Value)> {
        let completed_at = self.completed_at.map_or(Value::Null, Value::String);
        vec![
            ("taskId".to_owned(), Value::String(self.task_id)),
            ("createdAt".to_owned(), Value::String(self.created_at)),
            ("completedAt".to_owned(), completed_at),
            ("type".to_owned(), Value::from(self.task_type.as_str())),
            ("status".to_owned(), Value::from(self.status.as_str())),
            ("nbItems".to_owned(), Value::from(self.nb_items)),
            (
                "nbRemainingItems".to_owned(),
                Value::from(self.nb_remaining_items),
            ),
        ]
    }
}

/// JSON object that serializes its fields in the order given, which
/// `serde_json::Map` does not keep without its `preserve_order` feature.
pub(crate) struct OrderedObject(pub Vec<(String, Value)>);

impl Serialize for OrderedObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, value)| (name, value)))
    }
}

/// Formats an instant in the API's date format, truncating to milliseconds.
fn format_api_date(at: OffsetDateTime) -> Result<String, ApiError> {
    let utc = at
        .checked_to_offset(UtcOffset::UTC)
        .ok_or_else(|| ApiError::Internal(format!("date {at} is out of range in UTC")))?;
    utc.format(API_DATE_FORMAT)
        .map_err(|error| ApiError::Internal(format!("failed to format date {at}: {error}")))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn format_api_date_matches_example() {
        let text = format_api_date(datetime!(2024-12-09 14:14:17.574 UTC));
        assert_eq!(text.ok().as_deref(), Some("2024-12-09T14:14:17.574+0000"));
    }

    #[test]
    fn into_fields_serializes_like_task_json() {
        let task = crate::simulation::Task {
            id: "t".to_owned(),
            task_type: TaskType::PushFailedCrashes,
            created_at: datetime!(2024-12-09 14:14:17.574 UTC),
            nb_items: 4,
            pending: time::Duration::ZERO,
            items_per_second: 1.0,
            queued_at: Some(datetime!(2024-12-09 14:14:17.574 UTC)),
            canceled_at: None,
            failed_at: None,
            origin: crate::simulation::TaskOrigin::Control,
            label: String::new(),
        };
        // In progress with `completedAt` null, then completed with a date.
        let instants = [
            datetime!(2024-12-09 14:14:19.574 UTC),
            datetime!(2024-12-09 14:14:30 UTC),
        ];

        for now in instants {
            let json = TaskJson::new(&task, now).expect("dates format");
            let direct = serde_json::to_string(&json).expect("serializes");
            let fields = OrderedObject(json.into_fields());
            let ordered = serde_json::to_string(&fields).expect("serializes");
            assert_eq!(ordered, direct);
        }
    }

    #[test]
    fn format_api_date_converts_offset_to_utc() {
        let text = format_api_date(datetime!(2024-12-09 16:14:17.5749 +02:00));
        assert_eq!(text.ok().as_deref(), Some("2024-12-09T14:14:17.574+0000"));
    }
}
