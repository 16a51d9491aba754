//! Sharing of one poller between widgets that watch the same task.
//!
//! Widgets on one page that watch the same id on the same API with the same
//! key subscribe to one [`Poller`], so they cost one request per cycle. The
//! poller lives as long as its last [`Subscription`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use super::poller::{OnChange, Poller, Target};
use crate::core::policy::{PollOptions, Watcher};

thread_local! {
    static REGISTRY: RefCell<HashMap<Target, Weak<Shared>>> = RefCell::new(HashMap::new());
}

/// One poller and the widgets that listen to it.
struct Shared {
    target: Target,
    poller: RefCell<Option<Poller>>,
    listeners: RefCell<Vec<(u64, OnChange)>>,
    last: RefCell<Option<Watcher>>,
    next_listener: RefCell<u64>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        REGISTRY.with(|registry| {
            if let Ok(mut registry) = registry.try_borrow_mut() {
                let dead = registry
                    .get(&self.target)
                    .is_some_and(|weak| weak.strong_count() == 0);
                if dead {
                    registry.remove(&self.target);
                }
            }
        });
    }
}

/// A widget's share of a poller; dropping it unsubscribes, and the last drop
/// stops the poller.
#[must_use = "the widget stops receiving updates when the subscription is dropped"]
pub struct Subscription {
    shared: Rc<Shared>,
    id: u64,
}

impl Subscription {
    /// Sends a request at once for every widget of this poller.
    pub fn retry_now(&self) {
        if let Ok(poller) = self.shared.poller.try_borrow() {
            if let Some(poller) = poller.as_ref() {
                poller.retry_now();
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Ok(mut listeners) = self.shared.listeners.try_borrow_mut() {
            listeners.retain(|(id, _)| *id != self.id);
        }
    }
}

/// Subscribes `on_change` to the poller of `target`, starting one if none
/// runs. Returns `None` when the task id cannot be requested.
///
/// NOTE: a shared poller keeps the options of the widget that started it; a
/// later widget with another interval gets the first one's pace.
pub fn subscribe(
    target: &Target,
    options: PollOptions,
    on_change: OnChange,
) -> Option<Subscription> {
    let existing = REGISTRY.with(|registry| registry.borrow().get(target).and_then(Weak::upgrade));
    let shared = match existing {
        Some(shared) => shared,
        None => start(target, options)?,
    };

    let id = {
        let mut next = shared.next_listener.borrow_mut();
        *next += 1;
        *next
    };
    shared
        .listeners
        .borrow_mut()
        .push((id, Rc::clone(&on_change)));
    // A late subscriber sees what the others already see.
    let last = shared.last.borrow().clone();
    if let Some(watcher) = last {
        on_change(&watcher);
    }
    Some(Subscription { shared, id })
}

fn start(target: &Target, options: PollOptions) -> Option<Rc<Shared>> {
    let shared = Rc::new(Shared {
        target: target.clone(),
        poller: RefCell::new(None),
        listeners: RefCell::new(Vec::new()),
        last: RefCell::new(None),
        next_listener: RefCell::new(0),
    });

    let weak = Rc::downgrade(&shared);
    let fan_out: OnChange = Rc::new(move |watcher: &Watcher| {
        let Some(shared) = weak.upgrade() else {
            return;
        };
        if let Ok(mut last) = shared.last.try_borrow_mut() {
            *last = Some(watcher.clone());
        }
        // Copy the list first, so a listener may subscribe or unsubscribe.
        let listeners: Vec<OnChange> = match shared.listeners.try_borrow() {
            Ok(listeners) => listeners
                .iter()
                .map(|(_, listener)| Rc::clone(listener))
                .collect(),
            Err(_) => return,
        };
        for listener in listeners {
            listener(watcher);
        }
    });

    let poller = Poller::start(target, options, fan_out)?;
    *shared.poller.borrow_mut() = Some(poller);
    REGISTRY.with(|registry| {
        registry
            .borrow_mut()
            .insert(target.clone(), Rc::downgrade(&shared));
    });
    Some(shared)
}

/// Returns how many distinct pollers run on the page, for tests.
#[doc(hidden)]
pub fn shared_poller_count() -> usize {
    REGISTRY.with(|registry| {
        registry
            .borrow()
            .values()
            .filter(|weak| weak.strong_count() > 0)
            .count()
    })
}
