//! Task model and lifecycle, with no web types: every state is derived from
//! an instant that the caller passes in, so tests drive it with a fake clock.

pub mod demo;
mod registry;
mod task;

pub use registry::{random_task_id, NewTask, SimulationError, Simulator};
pub use task::{Task, TaskOrigin, TaskState, TaskStatus, TaskType};
