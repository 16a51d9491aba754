//! Task status widget for the DriveQuant Enterprise task endpoint.
//!
//! [`core`] holds the task model, the progress rule and the polling policy in
//! plain Rust; [`web`] is the Leptos shell that fetches, schedules and renders.

pub mod core;
pub mod web;

pub use web::component::{TaskStatus, TaskView};
pub use web::hook::{use_task_status, TaskStatusState, UseTaskStatusOptions};
