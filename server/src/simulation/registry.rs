//! The set of simulated tasks and the push service's pause switch.

use std::collections::HashMap;

use time::{Duration, OffsetDateTime};

use super::task::{Task, TaskOrigin, TaskType};

/// Parameters of a task to create. The creation instant and the id, when
/// `id` is `None`, come from [`Simulator::create_task`].
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Id to use, or `None` for a fresh random 24-hex id.
    pub id: Option<String>,
    /// Kind of items pushed.
    pub task_type: TaskType,
    /// Items to push.
    pub nb_items: u64,
    /// Time spent `PENDING` before the first item starts.
    pub pending: Duration,
    /// Items finished per second once in progress.
    pub items_per_second: f64,
    /// Origin of the task.
    pub origin: TaskOrigin,
    /// Short English description for the simulator's task list.
    pub label: String,
}

/// Error of a change that the simulator rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulationError {
    /// No task has this id.
    #[error("task {0:?} not found")]
    TaskNotFound(String),
    /// Another task already uses this id.
    #[error("task id {0:?} is already used")]
    DuplicateTaskId(String),
    /// A retry of this type is still `PENDING` or `IN_PROGRESS`.
    #[error("a {} retry is already running as task {task_id:?}", task_type.as_str())]
    RetryAlreadyRunning {
        /// Type of the requested retry.
        task_type: TaskType,
        /// Id of the retry still running.
        task_id: String,
    },
}

/// All simulated tasks, in creation order, plus the state of the push
/// service that runs them. Every method takes the current instant, so the
/// simulator never reads a clock itself.
#[derive(Debug)]
pub struct Simulator {
    tasks: Vec<Task>,
    index_by_id: HashMap<String, usize>,
    paused: bool,
    failed_trips: u64,
    failed_crashes: u64,
}

impl Simulator {
    /// Creates a simulator with no task, a running push service, and the
    /// given counts of failed items waiting for a retry.
    pub fn new(failed_trips: u64, failed_crashes: u64) -> Self {
        Self {
            tasks: Vec::new(),
            index_by_id: HashMap::new(),
            paused: false,
            failed_trips,
            failed_crashes,
        }
    }

    /// Returns every task in creation order.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Returns the task with this id.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.index_by_id.get(id).map(|&index| &self.tasks[index])
    }

    /// Returns whether the push service is paused.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Returns the count of failed items of this type that the next retry
    /// would take.
    pub fn failed_items(&self, task_type: TaskType) -> u64 {
        match task_type {
            TaskType::PushFailedTrips => self.failed_trips,
            TaskType::PushFailedCrashes => self.failed_crashes,
        }
    }

    /// Adds a task built elsewhere, such as a seeded demo task, unchanged.
    pub fn insert(&mut self, task: Task) -> Result<&Task, SimulationError> {
        if self.index_by_id.contains_key(&task.id) {
            return Err(SimulationError::DuplicateTaskId(task.id));
        }

        let index = self.tasks.len();
        self.index_by_id.insert(task.id.clone(), index);
        self.tasks.push(task);
        Ok(&self.tasks[index])
    }

    /// Creates a task at `now`. While the push service is paused, the task
    /// waits, and its pending time counts from the resume.
    pub fn create_task(
        &mut self,
        new_task: NewTask,
        now: OffsetDateTime,
    ) -> Result<&Task, SimulationError> {
        let id = match new_task.id {
            Some(id) => id,
            None => self.unused_random_id(),
        };
        let queued_at = if self.paused { None } else { Some(now) };

        self.insert(Task {
            id,
            task_type: new_task.task_type,
            created_at: now,
            nb_items: new_task.nb_items,
            pending: new_task.pending,
            items_per_second: new_task.items_per_second,
            queued_at,
            canceled_at: None,
            failed_at: None,
            origin: new_task.origin,
            label: new_task.label,
        })
    }

    /// Creates a retry task of `task_type` that takes every failed item of
    /// that type, as the API's retry routes do.
    ///
    /// Only tasks created by this method block a new retry of their type
    /// while they are `PENDING` or `IN_PROGRESS`: the seeded demo tasks run
    /// for hours, and tests create many tasks through the control route.
    pub fn create_retry(
        &mut self,
        task_type: TaskType,
        pending: Duration,
        items_per_second: f64,
        now: OffsetDateTime,
    ) -> Result<&Task, SimulationError> {
        let running = self.tasks.iter().find(|task| {
            task.origin == TaskOrigin::Retry
                && task.task_type == task_type
                && !task.state_at(now).status.is_terminal()
        });
        if let Some(task) = running {
            return Err(SimulationError::RetryAlreadyRunning {
                task_type,
                task_id: task.id.clone(),
            });
        }

        let nb_items = std::mem::take(self.failed_items_mut(task_type));
        self.create_task(
            NewTask {
                id: None,
                task_type,
                nb_items,
                pending,
                items_per_second,
                origin: TaskOrigin::Retry,
                label: "Created by a retry request".to_owned(),
            },
            now,
        )
    }

    /// Makes the task fail at `now`. A task that already ended is returned
    /// unchanged.
    pub fn fail_task(&mut self, id: &str, now: OffsetDateTime) -> Result<&Task, SimulationError> {
        let index = *self
            .index_by_id
            .get(id)
            .ok_or_else(|| SimulationError::TaskNotFound(id.to_owned()))?;

        let state = self.tasks[index].state_at(now);
        if !state.status.is_terminal() {
            self.tasks[index].failed_at = Some(now);
            self.return_failed_items(index, state.nb_remaining_items);
        }
        Ok(&self.tasks[index])
    }

    /// Pauses the push service at `now`, which cancels every `PENDING` or
    /// `IN_PROGRESS` task. Returns the ids of the canceled tasks, which is
    /// empty if the service was already paused.
    pub fn pause(&mut self, now: OffsetDateTime) -> Vec<String> {
        if self.paused {
            return Vec::new();
        }
        self.paused = true;

        let mut canceled = Vec::new();
        for index in 0..self.tasks.len() {
            let state = self.tasks[index].state_at(now);
            if state.status.is_terminal() {
                continue;
            }
            self.tasks[index].canceled_at = Some(now);
            self.return_failed_items(index, state.nb_remaining_items);
            canceled.push(self.tasks[index].id.clone());
        }
        canceled
    }

    /// Resumes the push service at `now`, which starts the pending time of
    /// tasks created during the pause. Returns the ids of those tasks, which
    /// is empty if the service was not paused.
    pub fn resume(&mut self, now: OffsetDateTime) -> Vec<String> {
        if !self.paused {
            return Vec::new();
        }
        self.paused = false;

        let mut released = Vec::new();
        for task in &mut self.tasks {
            let waiting = task.queued_at.is_none() && task.canceled_at.is_none();
            if waiting && task.failed_at.is_none() {
                task.queued_at = Some(now);
                released.push(task.id.clone());
            }
        }
        released
    }

    /// Puts the unpushed items of a stopped retry task back among the failed
    /// items, so the next retry of that type takes them again.
    fn return_failed_items(&mut self, index: usize, nb_remaining_items: u64) {
        let task = &self.tasks[index];
        if task.origin != TaskOrigin::Retry {
            return;
        }
        let task_type = task.task_type;
        let count = self.failed_items_mut(task_type);
        *count = count.saturating_add(nb_remaining_items);
    }

    fn failed_items_mut(&mut self, task_type: TaskType) -> &mut u64 {
        match task_type {
            TaskType::PushFailedTrips => &mut self.failed_trips,
            TaskType::PushFailedCrashes => &mut self.failed_crashes,
        }
    }

    fn unused_random_id(&self) -> String {
        loop {
            let id = random_task_id();
            if !self.index_by_id.contains_key(&id) {
                return id;
            }
        }
    }
}

/// Returns a random id of 24 lowercase hex characters, the form of the real
/// API's task ids.
pub fn random_task_id() -> String {
    let bytes: [u8; 12] = rand::random();
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2024-12-09 14:14:17.574 UTC);

    fn new_task(id: &str) -> NewTask {
        NewTask {
            id: Some(id.to_owned()),
            task_type: TaskType::PushFailedTrips,
            nb_items: 10,
            pending: Duration::ZERO,
            items_per_second: 1.0,
            origin: TaskOrigin::Control,
            label: String::new(),
        }
    }

    #[test]
    fn random_task_id_is_24_lowercase_hex() {
        let id = random_task_id();

        assert_eq!(id.len(), 24);
        assert!(id
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')));
    }

    #[test]
    fn pause_twice_cancels_once() {
        let mut simulator = Simulator::new(0, 0);
        simulator
            .create_task(new_task("a"), NOW)
            .expect("task is created");

        let first = simulator.pause(NOW);
        let second = simulator.pause(NOW + Duration::seconds(5));

        assert_eq!(first, ["a"]);
        assert!(second.is_empty());
        assert_eq!(
            simulator.task("a").and_then(|task| task.canceled_at),
            Some(NOW)
        );
    }

    #[test]
    fn resume_without_pause_changes_nothing() {
        let mut simulator = Simulator::new(0, 0);

        let released = simulator.resume(NOW);

        assert!(released.is_empty());
        assert!(!simulator.is_paused());
    }

    #[test]
    fn resume_skips_task_failed_during_pause() {
        let mut simulator = Simulator::new(0, 0);
        simulator.pause(NOW);
        simulator
            .create_task(new_task("a"), NOW)
            .expect("task is created");
        simulator.fail_task("a", NOW).expect("task exists");

        let released = simulator.resume(NOW + Duration::seconds(1));

        assert!(released.is_empty());
    }

    #[test]
    fn fail_task_twice_keeps_first_instant() {
        let mut simulator = Simulator::new(0, 0);
        simulator
            .create_task(new_task("a"), NOW)
            .expect("task is created");

        simulator.fail_task("a", NOW).expect("task exists");
        let task = simulator
            .fail_task("a", NOW + Duration::seconds(3))
            .expect("task exists");

        assert_eq!(task.failed_at, Some(NOW));
    }

    #[test]
    fn failed_control_task_returns_no_items() {
        let mut simulator = Simulator::new(5, 0);
        simulator
            .create_task(new_task("a"), NOW)
            .expect("task is created");

        simulator.fail_task("a", NOW).expect("task exists");

        assert_eq!(simulator.failed_items(TaskType::PushFailedTrips), 5);
    }
}
