//! The owner of one watch: its timer, its in-flight request, its page
//! listeners and its watcher.
//!
//! Dropping a [`Poller`] cancels the pending timer, removes the listeners and
//! aborts the request in flight, and the response of that request is then
//! thrown away: nothing a poller started outlives it, and no response for an old
//! id reaches the screen.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicUsize, Ordering};

use gloo_timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, EventTarget};

use super::fetch::{fetch_task, timer_millis};
use crate::core::policy::{Outcome, PageEvent, PollOptions, Step, Watcher};
use crate::core::request::task_url;

/// Callback that receives the watcher's state after each change.
pub type OnChange = Rc<dyn Fn(&Watcher)>;

/// Address and key of the task to request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The id being watched.
    pub task_id: String,
    /// API origin and prefix, empty for the page's own origin.
    pub base_url: String,
    /// The enterprise key, sent only in its header.
    pub api_key: Option<String>,
}

/// Polls one task id until the watcher returns [`Step::Stop`] or the poller is dropped.
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
    listeners: Vec<Listener>,
    on_change: OnChange,
}

/// Number of poller states and page listeners alive, for leak tests.
static LIVE_STATES: AtomicUsize = AtomicUsize::new(0);
static LIVE_LISTENERS: AtomicUsize = AtomicUsize::new(0);

/// Returns how many poller states and page listeners are alive. Both are 0
/// once every widget is unmounted, unless something leaks.
#[doc(hidden)]
pub fn live_counts() -> (usize, usize) {
    (
        LIVE_STATES.load(Ordering::Relaxed),
        LIVE_LISTENERS.load(Ordering::Relaxed),
    )
}

impl Drop for Inner {
    fn drop(&mut self) {
        LIVE_STATES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A DOM event listener that removes itself when dropped.
struct Listener {
    target: EventTarget,
    name: &'static str,
    callback: Closure<dyn FnMut()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let callback = self.callback.as_ref().unchecked_ref();
        let removed = self
            .target
            .remove_event_listener_with_callback(self.name, callback);
        if removed.is_ok() {
            LIVE_LISTENERS.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Poller {
    /// Starts polling `target` at once. Returns `None` when the id cannot be
    /// requested (see [`task_url`]); nothing is sent then.
    pub fn start(target: &Target, options: PollOptions, on_change: OnChange) -> Option<Poller> {
        let url = task_url(&target.base_url, &target.task_id).ok()?;
        let now = now_ms();
        let mut watcher = Watcher::new(target.task_id.clone(), options);
        if document_hidden() {
            watcher.on_event(PageEvent::Hidden, now);
        }
        if browser_offline() {
            watcher.on_event(PageEvent::Offline, now);
        }
        let first = watcher.start_spread(now, js_sys::Math::random());

        LIVE_STATES.fetch_add(1, Ordering::Relaxed);
        let inner = Rc::new(RefCell::new(Inner {
            watcher,
            url,
            api_key: target.api_key.clone(),
            timer: None,
            in_flight: None,
            listeners: Vec::new(),
            on_change,
        }));
        let listeners = listen_to_page(&inner);
        if let Ok(mut state) = inner.try_borrow_mut() {
            state.listeners = listeners;
        }
        notify(&inner);
        apply(&inner, first);
        Some(Poller { inner })
    }

    /// Sends a request at once, skipping any backoff; restarts a watch that a
    /// problem such as 404 stopped. Does nothing once the task has ended.
    pub fn retry_now(&self) {
        dispatch(&self.inner, PageEvent::RetryPressed);
    }
}

/// Registers the page events that change the pace of polling.
fn listen_to_page(inner: &Rc<RefCell<Inner>>) -> Vec<Listener> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let mut listeners = Vec::new();
    if let Some(document) = window.document() {
        let on_visibility = move |inner: &Rc<RefCell<Inner>>| {
            let event = if document_hidden() {
                PageEvent::Hidden
            } else {
                PageEvent::Visible
            };
            dispatch(inner, event);
        };
        listeners.extend(listen(
            inner,
            document.into(),
            "visibilitychange",
            on_visibility,
        ));
    }
    let target: EventTarget = window.into();
    let on_offline = |inner: &Rc<RefCell<Inner>>| dispatch(inner, PageEvent::Offline);
    let on_online = |inner: &Rc<RefCell<Inner>>| dispatch(inner, PageEvent::Online);
    listeners.extend(listen(inner, target.clone(), "offline", on_offline));
    listeners.extend(listen(inner, target, "online", on_online));
    listeners
}

fn listen(
    inner: &Rc<RefCell<Inner>>,
    target: EventTarget,
    name: &'static str,
    handler: impl Fn(&Rc<RefCell<Inner>>) + 'static,
) -> Option<Listener> {
    // The closure holds a weak reference, so the listener keeps nothing alive.
    let weak = Rc::downgrade(inner);
    let callback = Closure::<dyn FnMut()>::new(move || {
        if let Some(inner) = weak.upgrade() {
            handler(&inner);
        }
    });
    target
        .add_event_listener_with_callback(name, callback.as_ref().unchecked_ref())
        .ok()?;
    LIVE_LISTENERS.fetch_add(1, Ordering::Relaxed);
    Some(Listener {
        target,
        name,
        callback,
    })
}

/// Reports a page event to the watcher and carries out the step it returns.
fn dispatch(inner: &Rc<RefCell<Inner>>, event: PageEvent) {
    let step = {
        let Ok(mut state) = inner.try_borrow_mut() else {
            return;
        };
        state.watcher.on_event(event, now_ms())
    };
    notify(inner);
    apply(inner, step);
}

/// Tells the view about the watcher's state, outside of any borrow, so the
/// view may read or drop the poller.
fn notify(inner: &Rc<RefCell<Inner>>) {
    let Ok(state) = inner.try_borrow() else {
        return;
    };
    let snapshot = state.watcher.clone();
    let on_change = Rc::clone(&state.on_change);
    drop(state);
    on_change(&snapshot);
}

fn document_hidden() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_some_and(|document| document.hidden())
}

fn browser_offline() -> bool {
    web_sys::window().is_some_and(|window| !window.navigator().on_line())
}

impl Drop for Poller {
    fn drop(&mut self) {
        let Ok(mut inner) = self.inner.try_borrow_mut() else {
            // NOTE: only reachable if a poller were dropped from inside its own
            // callback, which the view never does; the Weak checks still stop it.
            return;
        };
        inner.timer = None;
        inner.listeners.clear();
        if let Some(controller) = inner.in_flight.take() {
            controller.abort();
        }
    }
}

/// Carries out one step of the watcher. Every step replaces the pending
/// timer, so only the latest plan can send a request.
fn apply(inner: &Rc<RefCell<Inner>>, step: Step) {
    let Ok(mut state) = inner.try_borrow_mut() else {
        return;
    };
    state.timer = None;
    let Step::FetchAfter(delay_ms) = step else {
        return;
    };

    let weak = Rc::downgrade(inner);
    let millis = timer_millis(delay_ms);
    state.timer = Some(Timeout::new(millis, move || fetch_now(weak)));
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
        if !state.watcher.begin_request() {
            return;
        }
        state.in_flight = Some(controller.clone());
        let timeout_ms = state.watcher.options().request_timeout_ms;
        (state.url.clone(), state.api_key.clone(), timeout_ms)
    };
    // The view drops its "next try" time now that the request is out.
    notify(&inner);
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

    let step = {
        let Ok(mut state) = inner.try_borrow_mut() else {
            return;
        };
        state.in_flight = None;
        let jitter = js_sys::Math::random();
        state.watcher.on_outcome(outcome, now_ms(), jitter)
    };
    notify(&inner);
    apply(&inner, step);
}

/// Milliseconds since the Unix epoch from the browser's clock.
pub fn now_ms() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}
