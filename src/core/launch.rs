//! Starting a retry of failed trips or crashes: the routes and how their
//! responses are read.

use super::task::TaskType;

/// Kind of failed items that a retry re-sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryKind {
    /// `POST /v1/enterprise/push/trips/failed/retry`.
    Trips,
    /// `POST /v1/enterprise/push/crashes/failed/retry`.
    Crashes,
}

impl RetryKind {
    /// The task type a retry of this kind creates.
    pub fn task_type(self) -> TaskType {
        match self {
            RetryKind::Trips => TaskType::PushFailedTrips,
            RetryKind::Crashes => TaskType::PushFailedCrashes,
        }
    }

    /// Returns the URL of the retry route under `base` (empty for the page's origin).
    pub fn url(self, base: &str) -> String {
        let base = base.trim().trim_end_matches('/');
        let kind = match self {
            RetryKind::Trips => "trips",
            RetryKind::Crashes => "crashes",
        };
        format!("{base}/v1/enterprise/push/{kind}/failed/retry")
    }
}

/// Result of a request that starts a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchOutcome {
    /// The task was created; its id and the number of items it re-sends.
    Started {
        /// The new task's id.
        task_id: String,
        /// Items the task re-sends, when the response says.
        nb_items: Option<i64>,
    },
    /// A task of this kind is still running, with its id when the response names it.
    AlreadyRunning {
        /// The running task's id, if the error body carries a `taskId`.
        task_id: Option<String>,
    },
    /// 401 or 403: the key was rejected.
    Unauthorized,
    /// 5xx: the server failed.
    Server(u16),
    /// Another status, or a 2xx without a task id.
    Unexpected(u16),
    /// No response arrived.
    Network,
}

/// Reads a response of a retry route: its status and, when the body is a
/// JSON object, its `taskId` and `nbItems` fields.
///
/// NOTE: the API documents that a retry fails while one of its kind runs,
/// not with which status; 409 and 429 are read as that case, and 400 when
/// its body names a running task.
pub fn classify_launch(
    status: u16,
    task_id: Option<String>,
    nb_items: Option<i64>,
) -> LaunchOutcome {
    let task_id = task_id.filter(|id| !id.trim().is_empty());
    match status {
        200..=299 => match task_id {
            Some(task_id) => LaunchOutcome::Started { task_id, nb_items },
            None => LaunchOutcome::Unexpected(status),
        },
        401 | 403 => LaunchOutcome::Unauthorized,
        409 | 429 => LaunchOutcome::AlreadyRunning { task_id },
        400 if task_id.is_some() => LaunchOutcome::AlreadyRunning { task_id },
        500..=599 => LaunchOutcome::Server(status),
        _ => LaunchOutcome::Unexpected(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_urls() {
        assert_eq!(
            RetryKind::Trips.url(""),
            "/v1/enterprise/push/trips/failed/retry"
        );
        assert_eq!(
            RetryKind::Crashes.url("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/v1/enterprise/push/crashes/failed/retry"
        );
    }

    #[test]
    fn launch_started() {
        let outcome = classify_launch(200, Some("abc".into()), Some(123));
        let expected = LaunchOutcome::Started {
            task_id: "abc".into(),
            nb_items: Some(123),
        };
        assert_eq!(outcome, expected);
    }

    #[test]
    fn launch_success_without_id_is_unexpected() {
        assert_eq!(
            classify_launch(200, None, Some(3)),
            LaunchOutcome::Unexpected(200)
        );
        assert_eq!(
            classify_launch(201, Some(" ".into()), None),
            LaunchOutcome::Unexpected(201)
        );
    }

    #[test]
    fn launch_conflict_is_already_running() {
        let named = classify_launch(409, Some("running".into()), None);
        assert_eq!(
            named,
            LaunchOutcome::AlreadyRunning {
                task_id: Some("running".into())
            }
        );
        assert_eq!(
            classify_launch(409, None, None),
            LaunchOutcome::AlreadyRunning { task_id: None }
        );
    }

    #[test]
    fn launch_errors() {
        assert_eq!(
            classify_launch(401, None, None),
            LaunchOutcome::Unauthorized
        );
        assert_eq!(
            classify_launch(403, None, None),
            LaunchOutcome::Unauthorized
        );
        assert_eq!(classify_launch(502, None, None), LaunchOutcome::Server(502));
        assert_eq!(
            classify_launch(404, None, None),
            LaunchOutcome::Unexpected(404)
        );
        assert_eq!(
            classify_launch(400, None, None),
            LaunchOutcome::Unexpected(400)
        );
    }
}
