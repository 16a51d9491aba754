//! The task JSON that the API returns.

use serde::Serialize;
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
    fn format_api_date_converts_offset_to_utc() {
        let text = format_api_date(datetime!(2024-12-09 16:14:17.5749 +02:00));
        assert_eq!(text.ok().as_deref(), Some("2024-12-09T14:14:17.574+0000"));
    }
}
