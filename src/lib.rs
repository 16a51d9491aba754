//! Task status widget for the DriveQuant Enterprise task endpoint.

pub mod core;
