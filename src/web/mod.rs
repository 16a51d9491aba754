//! The browser shell: fetch, timers and DOM around the sans-IO core.

pub mod component;
pub mod element;
pub mod events;
pub mod fetch;
pub mod format;
pub mod hook;
mod icons;
pub mod launcher;
pub mod page;
pub mod poller;
pub mod shared;
