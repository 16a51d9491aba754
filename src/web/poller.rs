//! The owner of one watch: its timer, its in-flight request and its watcher.
//!
//! Dropping a [`Poller`] cancels the pending timer and aborts the request in
//! flight, and the response of that request is then thrown away: nothing a
//! poller started outlives it, and no answer for an old id reaches the screen.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use web_sys::AbortController;

use super::fetch::fetch_task;
use crate::core::policy::{Outcome, PollOptions, Step, Watcher};
use crate::core::request::task_url;

/// What a poller tells its view after each change of the watcher.
pub type OnChange = Rc<dyn Fn(&Watcher)>;

/// Where and how to request a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The id being watched.
    pub task_id: String,
    /// API origin and prefix, empty for the page's own origin.
    pub base_url: String,
    /// The enterprise key, sent only in its header.
    pub api_key: Option<String>,
}

/// Polls one task id until the watcher says stop or the poller is dropped.
#[must_use = "polling stops when the poller is dropped"]
pub struct Poller {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    watcher: Watcher,
    url: String,
    api_key: Option<String>,
    timer: Option<Timeout>,
    in_flight: Option<AbortController>,
    on_change: OnChange,
}

impl Poller {
    /// Starts polling `target` at once. Returns `None` when the id cannot be
    /// requested (see [`task_url`]); nothing is sent then.
    pub fn start(target: &Target, options: PollOptions, on_change: OnChange) -> Option<Poller> {
        let url = task_url(&target.base_url, &target.task_id).ok()?;
        let mut watcher = Watcher::new(target.task_id.clone(), options);
        let first = watcher.start(now_ms());

        let inner = Rc::new(RefCell::new(Inner {
            watcher,
            url,
            api_key: target.api_key.clone(),
            timer: None,
            in_flight: None,
            on_change,
        }));
        apply(&inner, first);
        Some(Poller { inner })
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        let Ok(mut inner) = self.inner.try_borrow_mut() else {
            // NOTE: only reachable if a poller were dropped from inside its own
            // callback, which the view never does; the Weak checks still stop it.
            return;
        };
        inner.timer = None;
        if let Some(controller) = inner.in_flight.take() {
            controller.abort();
        }
    }
}

/// Carries out one step of the watcher: schedule the next request or stop.
fn apply(inner: &Rc<RefCell<Inner>>, step: Step) {
    let Step::FetchAfter(delay_ms) = step else {
        return;
    };

    let weak = Rc::downgrade(inner);
    let millis = u32::try_from(delay_ms).unwrap_or(u32::MAX);
    let timer = Timeout::new(millis, move || fetch_now(weak));
    if let Ok(mut inner) = inner.try_borrow_mut() {
        inner.timer = Some(timer);
    }
}

/// Sends the request, then reports its outcome to the watcher and applies the next step.
fn fetch_now(weak: Weak<RefCell<Inner>>) {
    let Some(inner) = weak.upgrade() else {
        return;
    };
    let Ok(controller) = AbortController::new() else {
        return;
    };

    let (url, api_key, timeout_ms) = {
        let Ok(mut state) = inner.try_borrow_mut() else {
            return;
        };
        state.timer = None;
        state.in_flight = Some(controller.clone());
        let timeout_ms = state.watcher.options().request_timeout_ms;
        (state.url.clone(), state.api_key.clone(), timeout_ms)
    };
    // The future holds only a weak reference, so dropping the poller frees everything.
    drop(inner);

    wasm_bindgen_futures::spawn_local(async move {
        let outcome = fetch_task(&url, api_key.as_deref(), timeout_ms, &controller).await;
        if let Some(outcome) = outcome {
            settle(&weak, outcome);
        }
    });
}

fn settle(weak: &Weak<RefCell<Inner>>, outcome: Outcome) {
    let Some(inner) = weak.upgrade() else {
        return;
    };

    let (step, snapshot, on_change) = {
        let Ok(mut state) = inner.try_borrow_mut() else {
            return;
        };
        state.in_flight = None;
        let step = state
            .watcher
            .on_outcome(outcome, now_ms(), js_sys::Math::random());
        (step, state.watcher.clone(), Rc::clone(&state.on_change))
    };
    // The view is told outside the borrow, so it may read or drop the poller.
    on_change(&snapshot);
    apply(&inner, step);
}

/// Milliseconds since the Unix epoch from the browser's clock.
pub fn now_ms() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}
