//! Record of the requests the simulator received, so tests can prove that a
//! client stopped polling, never reached another path, or never had two
//! requests in flight.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

/// Records kept per task id and for unmatched paths. Older records are
/// dropped past this count, while the counts keep growing. A widget that
/// polls every second fills it in about 17 minutes.
pub const MAX_RECORDS: usize = 1000;

/// One `GET /v1/enterprise/task/{taskId}` request and its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRequest {
    /// Unix time of the request's arrival in milliseconds, from the
    /// simulator's clock.
    pub at_ms: i64,
    /// Unix time in milliseconds at which the handler finished, from the
    /// simulator's clock: when it returned the response, or when the
    /// request ended without one. `None` while the request is in flight.
    pub settled_ms: Option<i64>,
    /// Status code of the response. `None` while the request is in flight,
    /// and when it ended without a response: a hang that the client gave
    /// up on, or a closed connection.
    pub status: Option<u16>,
    /// Index of the scripted step that set the response, or `None` for
    /// the simulated task or a rejected key.
    pub step: Option<usize>,
}

/// Requests for one task id.
#[derive(Debug, Clone, Default)]
pub struct TaskRequests {
    /// Requests received, including those whose records were dropped.
    pub count: u64,
    /// The latest [`MAX_RECORDS`] requests, oldest first.
    pub requests: VecDeque<TaskRequest>,
    /// Requests received and not yet settled.
    pub in_flight: u64,
    /// Maximum of `in_flight` since the simulator started.
    pub max_in_flight: u64,
}

/// Position of a request in the log, returned on arrival so that the
/// request can be settled later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestNumber(u64);

/// Requests received by the simulator.
#[derive(Debug, Default)]
pub struct RequestLog {
    by_task_id: BTreeMap<String, TaskRequests>,
    unmatched_count: u64,
    unmatched_paths: VecDeque<String>,
}

impl RequestLog {
    /// Records the arrival of a request for the task `task_id`, as decoded
    /// from the path, whose response the scripted step `step` sets, if any.
    pub fn begin_task_request(
        &mut self,
        task_id: &str,
        at_ms: i64,
        step: Option<usize>,
    ) -> RequestNumber {
        let entry = self.by_task_id.entry(task_id.to_owned()).or_default();
        let number = RequestNumber(entry.count);
        entry.count += 1;
        entry.in_flight += 1;
        entry.max_in_flight = entry.max_in_flight.max(entry.in_flight);

        let request = TaskRequest {
            at_ms,
            settled_ms: None,
            status: None,
            step,
        };
        push_bounded(&mut entry.requests, request);
        number
    }

    /// Records the end of a request that [`Self::begin_task_request`]
    /// returned `number` for, with the status sent or `None` if the request
    /// ended without a response. Each request must be settled once.
    pub fn settle_task_request(
        &mut self,
        task_id: &str,
        number: RequestNumber,
        settled_ms: i64,
        status: Option<u16>,
    ) {
        let Some(entry) = self.by_task_id.get_mut(task_id) else {
            return;
        };
        entry.in_flight = entry.in_flight.saturating_sub(1);

        // The record is gone once MAX_RECORDS newer ones have arrived.
        let newer = entry.count - number.0;
        let Some(position) = usize::try_from(newer)
            .ok()
            .and_then(|newer| entry.requests.len().checked_sub(newer))
        else {
            return;
        };
        if let Some(request) = entry.requests.get_mut(position) {
            request.settled_ms = Some(settled_ms);
            request.status = status;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settle_fills_matching_record() {
        let mut log = RequestLog::default();
        let first = log.begin_task_request("a", 10, None);
        log.begin_task_request("a", 20, Some(0));

        log.settle_task_request("a", first, 30, Some(200));
        let entry = log.task_requests("a").expect("requests recorded");

        assert_eq!(entry.requests[0].settled_ms, Some(30));
        assert_eq!(entry.requests[0].status, Some(200));
        assert_eq!(entry.requests[1].settled_ms, None);
        assert_eq!(entry.in_flight, 1);
        assert_eq!(entry.max_in_flight, 2);
    }

    #[test]
    fn settle_after_record_dropped_updates_counts() {
        let mut log = RequestLog::default();
        let oldest = log.begin_task_request("a", 0, None);
        for at_ms in 1..=i64::try_from(MAX_RECORDS).expect("fits") {
            let number = log.begin_task_request("a", at_ms, None);
            log.settle_task_request("a", number, at_ms, Some(200));
        }

        log.settle_task_request("a", oldest, 5000, None);
        let entry = log.task_requests("a").expect("requests recorded");

        assert_eq!(entry.in_flight, 0);
        assert_eq!(entry.requests.len(), MAX_RECORDS);
        assert_eq!(entry.requests[0].at_ms, 1);
        assert_eq!(entry.requests[0].settled_ms, Some(1));
    }
}
