//! Record of the requests the simulator received, so tests can prove that a
//! client stopped polling or never reached another path.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

/// Records kept per task id and for unmatched paths. Older records are
/// dropped past this count, while the counts keep growing. A widget that
/// polls every second fills it in about 17 minutes.
pub const MAX_RECORDS: usize = 1000;

/// One `GET /v1/enterprise/task/{taskId}` request and the status code of its
/// response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRequest {
    /// Unix time of the request in milliseconds, from the simulator's clock.
    pub at_ms: i64,
    /// Status code of the response.
    pub status: u16,
}

/// Requests for one task id.
#[derive(Debug, Clone, Default)]
pub struct TaskRequests {
    /// Requests received, including those whose records were dropped.
    pub count: u64,
    /// The latest [`MAX_RECORDS`] requests, oldest first.
    pub requests: VecDeque<TaskRequest>,
}

/// Requests received by the simulator.
#[derive(Debug, Default)]
pub struct RequestLog {
    by_task_id: BTreeMap<String, TaskRequests>,
    unmatched_count: u64,
    unmatched_paths: VecDeque<String>,
}

impl RequestLog {
    /// Records a request for the task `task_id`, as decoded from the path.
    pub fn record_task_request(&mut self, task_id: &str, request: TaskRequest) {
        let entry = self.by_task_id.entry(task_id.to_owned()).or_default();
        entry.count += 1;
        push_bounded(&mut entry.requests, request);
    }

    /// Records a request whose path matched no API or control route.
    pub fn record_unmatched(&mut self, raw_path: &str) {
        self.unmatched_count += 1;
        push_bounded(&mut self.unmatched_paths, raw_path.to_owned());
    }

    /// Returns the requests for one task id, if any was received.
    pub fn task_requests(&self, task_id: &str) -> Option<&TaskRequests> {
        self.by_task_id.get(task_id)
    }

    /// Returns the count of requests for each task id, sorted by id.
    pub fn task_counts(&self) -> BTreeMap<String, u64> {
        self.by_task_id
            .iter()
            .map(|(id, requests)| (id.clone(), requests.count))
            .collect()
    }

    /// Returns the count of requests that matched no route.
    pub fn unmatched_count(&self) -> u64 {
        self.unmatched_count
    }

    /// Returns the raw paths of the latest [`MAX_RECORDS`] requests that
    /// matched no route, oldest first.
    pub fn unmatched_paths(&self) -> &VecDeque<String> {
        &self.unmatched_paths
    }
}

fn push_bounded<T>(records: &mut VecDeque<T>, record: T) {
    if records.len() == MAX_RECORDS {
        records.pop_front();
    }
    records.push_back(record);
}
