//! The `<task-status>` custom element and the `mount` JavaScript API, for
//! portals that do not use Leptos.
//!
//! The element renders inside an open shadow root with the widget's own
//! stylesheet, so portal CSS neither breaks it nor is broken by it; portals
//! restyle it through the `--tsw-*` custom properties and `::part()` names.
//! Attribute changes take effect at once; removing the element from the page
//! stops all its work, and adding it again starts a new watch.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use super::component::{task_status_view, Display};
use super::format::page_lang;
use super::hook::UseTaskStatusOptions;
use crate::core::i18n::Lang;

/// The tag name registered by [`define_element`] when no other name is given.
pub const DEFAULT_TAG: &str = "task-status";

/// The widget's stylesheet, put in each element's shadow root.
const STYLESHEET: &str = include_str!("../../style/widget.css");

/// Property on the element that links it to its state here.
const ID_PROPERTY: &str = "__taskStatusId";

#[wasm_bindgen(inline_js = r#"
export function registerElement(name, hooks) {
    if (customElements.get(name)) {
        return false;
    }
    class TaskStatusElement extends HTMLElement {
        static get observedAttributes() {
            return ["task-id", "base-url", "poll-interval", "request-timeout", "lang", "layout", "theme", "launcher"];
        }
        connectedCallback() {
            // A key set before the element was defined sits on the instance
            // and hides the setter, so hand it over once.
            if (Object.prototype.hasOwnProperty.call(this, "apiKey")) {
                const key = this.apiKey;
                delete this.apiKey;
                this.apiKey = key;
            }
            hooks.connected(this);
        }
        disconnectedCallback() {
            hooks.disconnected(this);
        }
        attributeChangedCallback(_name, oldValue, newValue) {
            if (oldValue !== newValue) {
                hooks.changed(this);
            }
        }
        set apiKey(value) {
            hooks.setKey(this, value == null ? undefined : String(value));
        }
        get apiKey() {
            return undefined;
        }
        refresh() {
            hooks.refresh(this);
        }
    }
    customElements.define(name, TaskStatusElement);
    return true;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = registerElement)]
    fn register_element(name: &str, hooks: &JsValue) -> bool;
}

/// The signals that attributes drive, created inside the element's view.
#[derive(Clone, Copy)]
struct Inputs {
    task_id: RwSignal<String>,
    base_url: RwSignal<Option<String>>,
    api_key: RwSignal<Option<String>>,
    poll_interval_ms: RwSignal<Option<u64>>,
    request_timeout_ms: RwSignal<Option<u64>>,
    lang: RwSignal<Lang>,
    compact: RwSignal<bool>,
    theme: RwSignal<String>,
    launcher: RwSignal<bool>,
}

/// The inputs and refresh action of a mounted view.
type Controls = (Inputs, UnsyncCallback<()>);

/// Mounted view of one element while it is on the page.
struct Mounted {
    inputs: Inputs,
    refresh: UnsyncCallback<()>,
    // Dropping the handle unmounts the view and runs its cleanups.
    _handle: Box<dyn Any>,
}

#[derive(Default)]
struct ElementState {
    api_key: Option<String>,
    mounted: Option<Mounted>,
}

thread_local! {
    static ELEMENTS: RefCell<HashMap<u32, ElementState>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

/// Registers the custom element under `name` (default `task-status`).
/// Returns `false` when the name is already taken, for example by an
/// earlier call.
#[wasm_bindgen(js_name = defineElement)]
pub fn define_element(name: Option<String>) -> bool {
    let name = name.unwrap_or_else(|| DEFAULT_TAG.to_owned());
    let hooks = js_sys::Object::new();
    let hook = |name: &str, callback: JsValue| {
        let _ = js_sys::Reflect::set(&hooks, &JsValue::from_str(name), &callback);
    };

    // The hooks live as long as the page, like the element class that calls them.
    hook(
        "connected",
        Closure::<dyn Fn(HtmlElement)>::new(connected).into_js_value(),
    );
    hook(
        "disconnected",
        Closure::<dyn Fn(HtmlElement)>::new(disconnected).into_js_value(),
    );
    hook(
        "changed",
        Closure::<dyn Fn(HtmlElement)>::new(changed).into_js_value(),
    );
    hook(
        "setKey",
        Closure::<dyn Fn(HtmlElement, Option<String>)>::new(set_key).into_js_value(),
    );
    hook(
        "refresh",
        Closure::<dyn Fn(HtmlElement)>::new(refresh).into_js_value(),
    );
    register_element(&name, &hooks)
}

/// Returns the element's id here, giving it one on first use.
fn element_id(element: &HtmlElement) -> u32 {
    let key = JsValue::from_str(ID_PROPERTY);
    let existing = js_sys::Reflect::get(element, &key)
        .ok()
        .and_then(|value| value.as_f64());
    if let Some(id) = existing {
        return id as u32;
    }
    let id = NEXT_ID.with(|next| {
        let id = next.get();
        next.set(id.wrapping_add(1));
        id
    });
    let _ = js_sys::Reflect::set(element, &key, &JsValue::from(id));
    id
}

fn connected(element: HtmlElement) {
    let id = element_id(&element);
    if ELEMENTS.with(|elements| {
        elements
            .borrow()
            .get(&id)
            .is_some_and(|state| state.mounted.is_some())
    }) {
        return;
    }
    let Some(container) = fresh_container(&element) else {
        return;
    };

    let api_key = ELEMENTS.with(|elements| {
        elements
            .borrow()
            .get(&id)
            .and_then(|state| state.api_key.clone())
    });
    let initial = read_attributes(&element);
    // The view's signals are created inside its owner, so they go with it.
    let created: Rc<Cell<Option<Controls>>> = Rc::default();
    let sink = Rc::clone(&created);
    let handle = leptos::mount::mount_to(container, move || {
        let inputs = Inputs {
            task_id: RwSignal::new(initial.task_id),
            base_url: RwSignal::new(initial.base_url),
            api_key: RwSignal::new(api_key),
            poll_interval_ms: RwSignal::new(initial.poll_interval_ms),
            request_timeout_ms: RwSignal::new(initial.request_timeout_ms),
            lang: RwSignal::new(initial.lang),
            compact: RwSignal::new(initial.compact),
            theme: RwSignal::new(initial.theme),
            launcher: RwSignal::new(initial.launcher),
        };
        let options = UseTaskStatusOptions {
            task_id: inputs.task_id.into(),
            base_url: inputs.base_url.into(),
            api_key: inputs.api_key.into(),
            poll_interval_ms: inputs.poll_interval_ms.into(),
            request_timeout_ms: inputs.request_timeout_ms.into(),
        };
        let display = Display {
            lang: inputs.lang.into(),
            compact: inputs.compact.into(),
            theme: inputs.theme.into(),
            launcher: inputs.launcher.into(),
        };
        let (view, refresh) = task_status_view(options, display);
        sink.set(Some((inputs, refresh)));
        view
    });

    let Some((inputs, refresh)) = created.take() else {
        return;
    };
    ELEMENTS.with(|elements| {
        let mut elements = elements.borrow_mut();
        let state = elements.entry(id).or_default();
        state.mounted = Some(Mounted {
            inputs,
            refresh,
            _handle: Box::new(handle),
        });
    });
}

fn disconnected(element: HtmlElement) {
    let id = element_id(&element);
    // Take the mount out first: unmounting runs cleanups that must not find
    // the table borrowed.
    let mounted = ELEMENTS.with(|elements| {
        let mut elements = elements.borrow_mut();
        let mounted = elements.get_mut(&id).and_then(|state| state.mounted.take());
        if elements
            .get(&id)
            .is_some_and(|state| state.api_key.is_none())
        {
            elements.remove(&id);
        }
        mounted
    });
    drop(mounted);
}

fn changed(element: HtmlElement) {
    let id = element_id(&element);
    let inputs = ELEMENTS.with(|elements| {
        elements
            .borrow()
            .get(&id)
            .and_then(|state| state.mounted.as_ref().map(|mounted| mounted.inputs))
    });
    let Some(inputs) = inputs else {
        return;
    };
    // Only inputs whose value changed are set: setting a signal to the same
    // value still notifies, which would restart the watch.
    let attributes = read_attributes(&element);
    set_if_changed(inputs.task_id, attributes.task_id);
    set_if_changed(inputs.base_url, attributes.base_url);
    set_if_changed(inputs.poll_interval_ms, attributes.poll_interval_ms);
    set_if_changed(inputs.request_timeout_ms, attributes.request_timeout_ms);
    set_if_changed(inputs.lang, attributes.lang);
    set_if_changed(inputs.compact, attributes.compact);
    set_if_changed(inputs.theme, attributes.theme);
    set_if_changed(inputs.launcher, attributes.launcher);
}

fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.with_untracked(|current| *current != value) {
        signal.set(value);
    }
}

fn set_key(element: HtmlElement, key: Option<String>) {
    let id = element_id(&element);
    let key = key.filter(|key| !key.is_empty());
    let inputs = ELEMENTS.with(|elements| {
        let mut elements = elements.borrow_mut();
        let state = elements.entry(id).or_default();
        state.api_key = key.clone();
        state.mounted.as_ref().map(|mounted| mounted.inputs)
    });
    if let Some(inputs) = inputs {
        set_if_changed(inputs.api_key, key);
    }
}

fn refresh(element: HtmlElement) {
    let id = element_id(&element);
    let refresh = ELEMENTS.with(|elements| {
        elements
            .borrow()
            .get(&id)
            .and_then(|state| state.mounted.as_ref().map(|mounted| mounted.refresh))
    });
    if let Some(refresh) = refresh {
        refresh.run(());
    }
}

/// Returns an empty container in the element's shadow root, with the
/// stylesheet before it, creating the shadow root on first use.
fn fresh_container(element: &HtmlElement) -> Option<HtmlElement> {
    let document = element.owner_document()?;
    let shadow = match element.shadow_root() {
        Some(shadow) => shadow,
        None => {
            let init = ShadowRootInit::new(ShadowRootMode::Open);
            let shadow = element.attach_shadow(&init).ok()?;
            let style = document.create_element("style").ok()?;
            style.set_text_content(Some(STYLESHEET));
            shadow.append_child(&style).ok()?;
            shadow
        }
    };
    let container = document.create_element("div").ok()?;
    shadow.append_child(&container).ok()?;
    container.dyn_into().ok()
}

/// The element's attributes, read into typed values.
struct Attributes {
    task_id: String,
    base_url: Option<String>,
    poll_interval_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    lang: Lang,
    compact: bool,
    theme: String,
    launcher: bool,
}

fn read_attributes(element: &HtmlElement) -> Attributes {
    let text = |name: &str| {
        element
            .get_attribute(name)
            .filter(|value| !value.trim().is_empty())
    };
    let millis = |name: &str| text(name).and_then(|value| value.trim().parse::<u64>().ok());
    // The element's own `lang`, else the nearest ancestor's, else the browser's.
    let lang = element
        .closest("[lang]")
        .ok()
        .flatten()
        .and_then(|holder| holder.get_attribute("lang"))
        .filter(|tag| !tag.trim().is_empty())
        .map(|tag| Lang::from_tag(&tag))
        .unwrap_or_else(page_lang);
    Attributes {
        task_id: text("task-id").unwrap_or_default(),
        base_url: text("base-url"),
        poll_interval_ms: millis("poll-interval"),
        request_timeout_ms: millis("request-timeout"),
        lang,
        compact: text("layout").is_some_and(|layout| layout == "compact"),
        theme: text("theme").unwrap_or_default(),
        // A boolean attribute: present means on, whatever its value.
        launcher: element.has_attribute("launcher"),
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &str = r#"
/** Options of `mount` and `TaskStatusHandle.update`. Omitted fields keep their value. */
export interface TaskStatusOptions {
    /** The task id to watch. */
    taskId?: string;
    /** Origin and optional path prefix of the API. Defaults to the page's own origin. */
    baseUrl?: string;
    /** The enterprise key, sent only as a request header. Prefer a same-origin proxy that adds it. */
    apiKey?: string;
    /** Pause after each response while the task runs, in milliseconds. Defaults to 2000. */
    pollInterval?: number;
    /** Time after which a request is aborted and retried, in milliseconds. Defaults to 15000. */
    requestTimeout?: number;
    /** `en` or `fr`. Defaults to the nearest `lang` attribute, then the browser's language. */
    lang?: string;
    /** `full` (default) or `compact`. */
    layout?: "full" | "compact";
    /** `light` or `dark` to force a theme; omitted follows `prefers-color-scheme`. */
    theme?: "light" | "dark";
    /** Shows buttons that start a retry of failed trips or crashes, then watch the new task. */
    launcher?: boolean;
}

/** The `detail` of the widget's events. */
export interface TaskStatusDetail {
    taskId: string;
    status: string | null;
    type: string | null;
    nbItems: number | null;
    nbRemainingItems: number | null;
    /** ISO 8601 in UTC. */
    createdAt: string | null;
    completedAt: string | null;
    done: number | null;
    total: number | null;
    /** Whole percent, null while indeterminate. */
    percent: number | null;
    /** True when the task shown is older than the last, failed, request. */
    stale: boolean;
    error: { code: string; message: string } | null;
}

export interface TaskStatusElement extends HTMLElement {
    /** The enterprise key. Write-only: reading it returns undefined. */
    apiKey: string | undefined;
    /** Sends a request at once, skipping any backoff. */
    refresh(): void;
}

declare global {
    interface HTMLElementTagNameMap {
        "task-status": TaskStatusElement;
    }
    interface HTMLElementEventMap {
        "task-status-change": CustomEvent<TaskStatusDetail>;
        "task-status-end": CustomEvent<TaskStatusDetail>;
        "task-status-error": CustomEvent<TaskStatusDetail>;
    }
}
"#;

/// A widget mounted by [`mount`].
#[wasm_bindgen]
pub struct TaskStatusHandle {
    element: HtmlElement,
}

#[wasm_bindgen]
impl TaskStatusHandle {
    /// Changes some options; omitted fields keep their value.
    pub fn update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TaskStatusOptions")] options: JsValue,
    ) {
        apply_options(&self.element, &options);
    }

    /// Sends a request at once, skipping any backoff; checks a missing task again.
    pub fn refresh(&self) {
        refresh(self.element.clone());
    }

    /// Removes the widget and stops all its work.
    pub fn unmount(&self) {
        self.element.remove();
    }

    /// The `<task-status>` element, where the widget's events are fired.
    #[wasm_bindgen(getter)]
    pub fn element(&self) -> HtmlElement {
        self.element.clone()
    }
}

/// Mounts a widget at the end of `parent` and returns its handle.
#[wasm_bindgen]
pub fn mount(
    parent: HtmlElement,
    #[wasm_bindgen(unchecked_param_type = "TaskStatusOptions")] options: JsValue,
) -> Result<TaskStatusHandle, JsError> {
    define_element(None);
    let document = parent
        .owner_document()
        .ok_or_else(|| JsError::new("the parent element is not in a document"))?;
    let element: HtmlElement = document
        .create_element(DEFAULT_TAG)
        .map_err(|_| JsError::new("the task-status element could not be created"))?
        .dyn_into()
        .map_err(|_| JsError::new("the task-status element is not an HTML element"))?;
    apply_options(&element, &options);
    parent
        .append_child(&element)
        .map_err(|_| JsError::new("the widget could not be added to the parent element"))?;
    Ok(TaskStatusHandle { element })
}

/// Copies the fields present in `options` to the element's attributes and key.
fn apply_options(element: &HtmlElement, options: &JsValue) {
    let field = |name: &str| {
        js_sys::Reflect::get(options, &JsValue::from_str(name))
            .ok()
            .filter(|value| !value.is_undefined())
    };
    let attributes = [
        ("taskId", "task-id"),
        ("baseUrl", "base-url"),
        ("pollInterval", "poll-interval"),
        ("requestTimeout", "request-timeout"),
        ("lang", "lang"),
        ("layout", "layout"),
        ("theme", "theme"),
    ];
    for (name, attribute) in attributes {
        let Some(value) = field(name) else {
            continue;
        };
        let _ = match value
            .as_string()
            .or_else(|| value.as_f64().map(|number| number.to_string()))
        {
            Some(text) => element.set_attribute(attribute, &text),
            None => element.remove_attribute(attribute),
        };
    }
    if let Some(launcher) = field("launcher") {
        let _ = if launcher.is_truthy() {
            element.set_attribute("launcher", "")
        } else {
            element.remove_attribute("launcher")
        };
    }
    if let Some(key) = field("apiKey") {
        set_key(element.clone(), key.as_string());
    }
}
