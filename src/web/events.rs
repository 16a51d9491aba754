//! DOM events that tell the page about the watched task.
//!
//! Every event bubbles and is `composed`, so it crosses the shadow root of the
//! custom element and reaches listeners anywhere up the page. `detail` holds a
//! snapshot of the task (see [`snapshot`]).

use std::cell::RefCell;

use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, Element};

use crate::core::date::ApiDate;
use crate::core::i18n::{self, Lang};
use crate::core::policy::{Problem, Watcher};
use crate::core::progress::Progress;
use crate::core::task::TaskStatus;

/// Fired on the first status received and on every change of status.
pub const STATUS_CHANGE: &str = "task-status-change";
/// Fired once per watch when the task reaches COMPLETED, CANCELED or FAILED.
pub const END: &str = "task-status-end";
/// Fired when a request fails in a new way (the same problem repeated fires once).
pub const ERROR: &str = "task-status-error";

/// Record of the last events fired for one watch, so each event fires only on a change.
#[derive(Debug, Default)]
pub struct Announcer {
    last: RefCell<Announced>,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Announced {
    task_id: String,
    status: Option<TaskStatus>,
    problem: Option<Problem>,
    ended: bool,
}

impl Announcer {
    /// Fires the events that `watcher` calls for on `target`, in the order
    /// change, end, error, and remembers them.
    pub fn announce(&self, target: &Element, watcher: &Watcher, lang: Lang) {
        let Ok(mut last) = self.last.try_borrow_mut() else {
            return;
        };
        if last.task_id != watcher.task_id() {
            *last = Announced {
                task_id: watcher.task_id().to_owned(),
                ..Announced::default()
            };
        }

        let task = watcher.task();
        let status = task.and_then(|task| task.status.clone());
        let problem = watcher.problem().cloned();
        let status_changed = status.is_some() && status != last.status;
        let ended = task.is_some_and(|task| task.is_terminal());
        let new_problem = problem.is_some() && problem != last.problem;

        last.status = status;
        last.problem = problem;
        let fire_end = ended && !last.ended;
        last.ended |= ended;
        drop(last);

        if status_changed {
            dispatch(target, STATUS_CHANGE, watcher, lang);
        }
        if fire_end {
            dispatch(target, END, watcher, lang);
        }
        if new_problem {
            dispatch(target, ERROR, watcher, lang);
        }
    }
}

fn dispatch(target: &Element, name: &str, watcher: &Watcher, lang: Lang) {
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&snapshot(watcher, lang));
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = target.dispatch_event(&event);
    }
}

/// Builds the `detail` of an event: `taskId`, `status`, `type`, `nbItems`,
/// `nbRemainingItems`, `createdAt` and `completedAt` (ISO 8601 in UTC, or
/// null), `done`, `total` and `percent` by the progress rule (null when
/// unknown), `stale`, and `error` (`{code, message}` or null).
pub fn snapshot(watcher: &Watcher, lang: Lang) -> JsValue {
    let object = js_sys::Object::new();
    let set = |name: &str, value: JsValue| {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(name), &value);
    };
    let text = |value: Option<&str>| value.map_or(JsValue::NULL, JsValue::from_str);
    let number = |value: Option<f64>| value.map_or(JsValue::NULL, JsValue::from_f64);

    let task = watcher.task();
    let progress = task.map(Progress::of);
    set("taskId", JsValue::from_str(watcher.task_id()));
    set(
        "status",
        text(
            task.and_then(|task| task.status.as_ref())
                .map(TaskStatus::as_str),
        ),
    );
    set(
        "type",
        text(
            task.and_then(|task| task.task_type.as_ref())
                .map(|kind| kind.as_str()),
        ),
    );
    set(
        "nbItems",
        number(
            task.and_then(|task| task.nb_items)
                .map(|count| count as f64),
        ),
    );
    let remaining = task.and_then(|task| task.nb_remaining_items);
    set(
        "nbRemainingItems",
        number(remaining.map(|count| count as f64)),
    );
    set(
        "createdAt",
        date(task.and_then(|task| task.created_at.as_ref())),
    );
    set(
        "completedAt",
        date(task.and_then(|task| task.completed_at.as_ref())),
    );
    set(
        "done",
        number(
            progress
                .and_then(|progress| progress.done)
                .map(|done| done as f64),
        ),
    );
    set(
        "total",
        number(
            progress
                .and_then(|progress| progress.total)
                .map(|total| total as f64),
        ),
    );
    set(
        "percent",
        number(
            progress
                .and_then(|progress| progress.percent)
                .map(f64::from),
        ),
    );
    set("stale", JsValue::from_bool(watcher.is_stale()));

    let error = match watcher.problem() {
        Some(problem) => {
            let error = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&error, &"code".into(), &problem_code(problem).into());
            let message = i18n::problem_message(lang, problem);
            let _ = js_sys::Reflect::set(&error, &"message".into(), &message.into());
            error.into()
        }
        None => JsValue::NULL,
    };
    set("error", error);
    object.into()
}

fn date(date: Option<&ApiDate>) -> JsValue {
    match date.and_then(ApiDate::millis) {
        Some(millis) => js_sys::Date::new(&JsValue::from_f64(millis as f64))
            .to_iso_string()
            .into(),
        None => JsValue::NULL,
    }
}

/// A stable, language-free name for a problem, for code that reacts to errors.
pub fn problem_code(problem: &Problem) -> String {
    match problem {
        Problem::Unauthorized => "unauthorized".into(),
        Problem::NotFound => "not_found".into(),
        Problem::Rejected(status) => format!("rejected_{status}"),
        Problem::RateLimited => "rate_limited".into(),
        Problem::Server(status) => format!("server_{status}"),
        Problem::NotATask(_) => "not_a_task".into(),
        Problem::WrongTask(_) => "wrong_task".into(),
        Problem::Network => "network".into(),
        Problem::Timeout => "timeout".into(),
        Problem::Offline => "offline".into(),
    }
}
