//! `use_task_status`: the widget's state as signals, for portals that draw
//! their own view.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::poller::Target;
use super::shared::{subscribe, Subscription};
use crate::core::policy::{Phase, PollOptions, Problem, Watcher};
use crate::core::progress::Progress;
use crate::core::task::Task;

/// Options of [`use_task_status`]. Every field but `task_id` is optional.
#[derive(Clone, Default)]
pub struct UseTaskStatusOptions {
    /// The task id to watch; a change starts a new watch.
    pub task_id: Signal<String>,
    /// Origin and optional path prefix of the API. Defaults to the page's own origin.
    pub base_url: MaybeProp<String>,
    /// The enterprise API key, sent only as the `x-dq-enterprise-api-key` header.
    /// Defaults to none, for a proxy that adds it.
    pub api_key: MaybeProp<String>,
    /// Pause after each response while the task runs, in milliseconds. Defaults to 2000.
    pub poll_interval_ms: MaybeProp<u64>,
    /// Time after which a request is aborted and retried, in milliseconds. Defaults to 15000.
    pub request_timeout_ms: MaybeProp<u64>,
}

/// The state of a watch as signals, returned by [`use_task_status`].
#[derive(Clone, Copy)]
pub struct TaskStatusState {
    /// The whole watcher state; `None` before the first response.
    pub watch: Signal<Option<Watcher>>,
    /// The last task received, kept while later requests fail.
    pub task: Signal<Option<Task>>,
    /// The progress of that task, by the one progress rule.
    pub progress: Signal<Option<Progress>>,
    /// The problem with the last request, if any.
    pub problem: Signal<Option<Problem>>,
    /// Whether requests are being sent, paused by the page, or over.
    pub phase: Signal<Phase>,
    /// Whether the task id was rejected before sending (empty, `.` or `..`).
    pub rejected_id: Signal<bool>,
    /// Sends a request at once, skipping any backoff; restarts a watch stopped by a 404.
    pub refresh: UnsyncCallback<()>,
}

/// Watches a task and returns its state as signals.
///
/// Widgets that watch the same id on the same API with the same key share
/// one poller, so they cost one request per cycle. Everything stops when the
/// calling component is cleaned up.
///
/// ```no_run
/// use leptos::prelude::*;
/// use task_status_widget::{use_task_status, UseTaskStatusOptions};
///
/// #[component]
/// fn Remaining(task_id: Signal<String>) -> impl IntoView {
///     let state = use_task_status(UseTaskStatusOptions { task_id, ..Default::default() });
///     move || match state.task.get().and_then(|task| task.nb_remaining_items) {
///         Some(remaining) => format!("{remaining} items left"),
///         None => "…".to_owned(),
///     }
/// }
/// ```
pub fn use_task_status(options: UseTaskStatusOptions) -> TaskStatusState {
    let watch = RwSignal::new(None::<Watcher>);
    let rejected_id = RwSignal::new(false);

    // The one owner of this widget's subscription: replaced when an option
    // changes, dropped when the caller is cleaned up.
    let owner: Rc<RefCell<Option<Subscription>>> = Rc::new(RefCell::new(None));
    let effect_owner = Rc::clone(&owner);
    let UseTaskStatusOptions {
        task_id,
        base_url,
        api_key,
        poll_interval_ms,
        request_timeout_ms,
    } = options;
    Effect::new(move |_| {
        let target = Target {
            task_id: task_id.get(),
            base_url: base_url.get().unwrap_or_default(),
            api_key: api_key.get().filter(|key| !key.is_empty()),
        };
        let defaults = PollOptions::default();
        let options = PollOptions {
            interval_ms: poll_interval_ms.get().unwrap_or(defaults.interval_ms),
            request_timeout_ms: request_timeout_ms
                .get()
                .unwrap_or(defaults.request_timeout_ms),
            ..defaults
        };

        // Leave the old watch before joining the new one.
        drop(effect_owner.borrow_mut().take());
        watch.set(None);
        let on_change = Rc::new(move |watcher: &Watcher| {
            watch.try_set(Some(watcher.clone()));
        });
        let subscription = subscribe(&target, options, on_change);
        rejected_id.set(subscription.is_none());
        *effect_owner.borrow_mut() = subscription;
    });

    let refresh_owner = Rc::clone(&owner);
    let refresh = UnsyncCallback::new(move |()| {
        if let Some(subscription) = refresh_owner.borrow().as_ref() {
            subscription.retry_now();
        }
    });
    let cleanup_owner = SendWrapper::new(owner);
    on_cleanup(move || drop(cleanup_owner.borrow_mut().take()));

    let task = Signal::derive(move || watch.get().and_then(|watch| watch.task().cloned()));
    TaskStatusState {
        watch: watch.into(),
        task,
        progress: Signal::derive(move || task.get().map(|task| Progress::of(&task))),
        problem: Signal::derive(move || watch.get().and_then(|watch| watch.problem().cloned())),
        phase: Signal::derive(move || match watch.get() {
            Some(watch) => watch.phase(),
            None if rejected_id.get() => Phase::Stopped,
            None => Phase::Active,
        }),
        rejected_id: rejected_id.into(),
        refresh,
    }
}
