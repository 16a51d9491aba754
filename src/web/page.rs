//! The standalone page: a form for the task id and key, the widget, and the
//! simulator's demo tasks when the page is served by the simulator.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};

use super::component::TaskStatus;
use super::fetch::string_field;
use super::format::page_lang;
use crate::core::i18n::{self, Lang, Text};
use crate::core::task::TaskStatus;

/// Time the widget waits for the simulator probe before it starts anyway, in
/// milliseconds.
const PROBE_TIMEOUT_MS: u32 = 1_500;

/// A task the simulator offers on its demo list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTask {
    /// The task id.
    pub task_id: String,
    /// The API status text when listed.
    pub status: String,
    /// A short description from the simulator.
    pub label: String,
}

/// A preset of scripted misbehaviour the simulator offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoScenario {
    /// The preset name, such as `flaky`.
    pub name: String,
    /// What the preset does, from the simulator.
    pub description: String,
}

/// Response of the simulator's `GET /sim/tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DemoInfo {
    /// The simulator's key, when it is the public demo key.
    pub api_key: Option<String>,
    /// The seeded and created tasks.
    pub tasks: Vec<DemoTask>,
    /// The presets of scripted misbehaviour.
    pub scenarios: Vec<DemoScenario>,
}

/// The page: reads `?taskId=`, `?baseUrl=` and `?lang=` from the address.
/// The API key is typed into a password field and kept in memory only.
#[component]
pub fn App() -> impl IntoView {
    let query = Query::read();
    let lang = query
        .lang
        .as_deref()
        .map(Lang::from_tag)
        .unwrap_or_else(page_lang);
    let base_url = query.base_url.clone().unwrap_or_default();
    label_document(lang);

    let task_id = RwSignal::new(query.task_id.clone().unwrap_or_default());
    let api_key = RwSignal::new(None::<String>);
    let id_input = RwSignal::new(task_id.get_untracked());
    let key_input = RwSignal::new(String::new());
    let demo = RwSignal::new(None::<DemoInfo>);
    // The widget waits for the simulator probe, so a demo key found there is
    // sent with the very first request instead of after a 401.
    let probed = RwSignal::new(false);
    let demo_error = RwSignal::new(false);

    let watch = move |id: String| {
        let id = id.trim().to_owned();
        replace_address(&id);
        id_input.set(id.clone());
        task_id.set(id);
    };

    {
        // A server that never responds to the probe must not hold the widget back.
        let give_up = SendWrapper::new(gloo_timers::callback::Timeout::new(
            PROBE_TIMEOUT_MS,
            move || {
                probed.try_set(true);
            },
        ));
        on_cleanup(move || drop(give_up));
        let base_url = base_url.clone();
        leptos::task::spawn_local(async move {
            let info = fetch_demo_info(&base_url).await;
            if let Some(key) = info.as_ref().and_then(|info| info.api_key.clone()) {
                if key_input.get_untracked().is_empty() {
                    key_input.set(key.clone());
                    api_key.set(Some(key));
                }
            }
            demo.set(info);
            probed.set(true);
        });
    }

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let key = key_input.get_untracked();
        api_key.set((!key.is_empty()).then_some(key));
        watch(id_input.get_untracked());
    };

    let new_task = {
        let base_url = base_url.clone();
        UnsyncCallback::new(move |scenario: Option<String>| {
            let base_url = base_url.clone();
            leptos::task::spawn_local(async move {
                match create_demo_task(&base_url, scenario.as_deref()).await {
                    Some(id) => {
                        demo_error.set(false);
                        watch(id);
                        if let Some(info) = fetch_demo_info(&base_url).await {
                            demo.set(Some(info));
                        }
                    }
                    None => demo_error.set(true),
                }
            });
        })
    };

    let widget_base = base_url.clone();
    // The launcher shows with `?launcher=1`, and on the simulator's demo.
    let wants_launcher = query.launcher;
    let launcher = Signal::derive(move || wants_launcher || demo.get().is_some());
    view! {
        <main class="page" lang=lang.tag()>
            <h1>{i18n::text(lang, Text::PageTitle)}</h1>
            <form class="page-form" data-testid="task-form" method="post" on:submit=on_submit>
                <div class="page-field">
                    <label for="task-id">{i18n::text(lang, Text::TaskIdField)}</label>
                    <input
                        id="task-id"
                        name="task-id"
                        data-testid="task-id-input"
                        autocomplete="off"
                        spellcheck="false"
                        required
                        bind:value=id_input
                    />
                </div>
                <div class="page-field">
                    <label for="api-key">{i18n::text(lang, Text::ApiKeyField)}</label>
                    <input
                        id="api-key"
                        type="password"
                        data-testid="api-key-input"
                        autocomplete="off"
                        aria-describedby="api-key-hint"
                        bind:value=key_input
                    />
                    <small id="api-key-hint">
                        {i18n::text(lang, Text::ApiKeyHint)}
                        " "
                        <span data-testid="api-host">{key_destination(lang, &base_url)}</span>
                    </small>
                </div>
                <button type="submit" data-testid="watch-button">{i18n::text(lang, Text::Watch)}</button>
            </form>
            <Show when=move || probed.get() && (launcher.get() || !task_id.get().is_empty())>
                <TaskStatus
                    task_id=task_id
                    base_url=widget_base.clone()
                    api_key=api_key
                    lang=lang.tag().to_owned()
                    launcher=launcher
                />
            </Show>
            <Show when=move || demo.get().is_some()>
                <section class="page-demo" data-testid="demo-tasks">
                    <h2>{i18n::text(lang, Text::DemoTasks)}</h2>
                    <ul>
                        <For
                            each=move || demo.get().map(|info| info.tasks).unwrap_or_default()
                            key=|task| (task.task_id.clone(), task.status.clone())
                            let:task
                        >
                            <li>
                                <button
                                    type="button"
                                    class="page-demo-task"
                                    data-testid="demo-task"
                                    data-task-id=task.task_id.clone()
                                    on:click={
                                        let id = task.task_id.clone();
                                        move |_| watch(id.clone())
                                    }
                                >
                                    <span class="page-demo-label">{demo_task_label(lang, &task)}</span>
                                    <code>{task.task_id.clone()}</code>
                                </button>
                            </li>
                        </For>
                    </ul>
                    <button
                        type="button"
                        data-testid="new-demo-task"
                        on:click=move |_| new_task.run(None)
                    >
                        {i18n::text(lang, Text::NewDemoTask)}
                    </button>
                    <h3>{i18n::text(lang, Text::Scenarios)}</h3>
                    <ul>
                        <For
                            each=move || demo.get().map(|info| info.scenarios).unwrap_or_default()
                            key=|scenario| scenario.name.clone()
                            let:scenario
                        >
                            <li>
                                <button
                                    type="button"
                                    class="page-demo-task"
                                    data-testid="demo-scenario"
                                    data-scenario=scenario.name.clone()
                                    on:click={
                                        let name = scenario.name.clone();
                                        move |_| new_task.run(Some(name.clone()))
                                    }
                                >
                                    <code>{scenario.name.clone()}</code>
                                    <span class="page-demo-label">
                                        {scenario_description(lang, &scenario)}
                                    </span>
                                </button>
                            </li>
                        </For>
                    </ul>
                    <Show when=move || demo_error.get()>
                        <p class="tsw-error">{i18n::text(lang, Text::NewDemoTaskFailed)}</p>
                    </Show>
                </section>
            </Show>
        </main>
    }
}

/// Describes a simulator task in the page's language. The simulator writes
/// its labels in English, so other languages show the status in words.
fn demo_task_label(lang: Lang, task: &DemoTask) -> String {
    match lang {
        Lang::En if !task.label.is_empty() => task.label.clone(),
        _ => i18n::status_name(lang, &TaskStatus::from_api(&task.status)),
    }
}

/// Describes a simulator preset in the page's language; presets this page
/// does not know keep the simulator's English text.
fn scenario_description(lang: Lang, scenario: &DemoScenario) -> String {
    let french = match scenario.name.as_str() {
        "flaky" => "Trois erreurs 500, puis la tâche simulée.",
        "rate-limited" => "Deux réponses 429 avec Retry-After: 5, puis la tâche simulée.",
        "slow" => "Chaque réponse arrive après 7 secondes.",
        "never-answering" => "La deuxième requête ne reçoit jamais de réponse.",
        "garbage" => "Une page HTML 502, puis des corps qui ne sont pas une tâche.",
        "unknown-status" => "Trois réponses avec le statut inconnu PAUSED.",
        _ => return scenario.description.clone(),
    };
    match lang {
        Lang::En => scenario.description.clone(),
        Lang::Fr => french.to_owned(),
    }
}

/// Tells where the key goes, so a shared link with another `?baseUrl=` cannot
/// collect keys unnoticed.
fn key_destination(lang: Lang, base_url: &str) -> String {
    let destination = match web_sys::Url::new(base_url.trim()) {
        Ok(url) => url.origin(),
        Err(_) => web_sys::window()
            .and_then(|window| window.location().origin().ok())
            .unwrap_or_default(),
    };
    i18n::key_destination(lang, &destination)
}

/// Sets the document's language and title to the page's language.
fn label_document(lang: Lang) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    document.set_title(i18n::text(lang, Text::PageTitle));
    if let Some(root) = document.document_element() {
        let _ = root.set_attribute("lang", lang.tag());
    }
}

/// The page's query parameters.
#[derive(Debug, Clone, Default)]
struct Query {
    task_id: Option<String>,
    base_url: Option<String>,
    lang: Option<String>,
    launcher: bool,
}

impl Query {
    fn read() -> Self {
        let search = web_sys::window()
            .and_then(|window| window.location().search().ok())
            .unwrap_or_default();
        let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
            return Query::default();
        };
        let get = |name: &str| params.get(name).filter(|value| !value.trim().is_empty());
        Query {
            task_id: get("taskId"),
            base_url: get("baseUrl"),
            lang: get("lang"),
            launcher: params.get("launcher").is_some_and(|value| value != "0"),
        }
    }
}

/// Writes the watched id into the address (never the key), keeping the other
/// parameters, so the page can be reloaded or shared.
fn replace_address(task_id: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let search = location.search().unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return;
    };
    params.set("taskId", task_id);
    let address = format!("?{}", String::from(params.to_string()));
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&address));
    }
}

/// Asks the simulator for its demo list; `None` when the server is not the simulator.
async fn fetch_demo_info(base_url: &str) -> Option<DemoInfo> {
    let url = format!("{}/sim/tasks", base_url.trim_end_matches('/'));
    let response = gloo_net::http::Request::get(&url).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    let value = js_sys::JSON::parse(&response.text().await.ok()?).ok()?;
    let tasks = js_sys::Reflect::get(&value, &"tasks".into()).ok()?;
    let tasks: js_sys::Array = tasks.dyn_into().ok()?;
    let scenarios = js_sys::Reflect::get(&value, &"scenarios".into())
        .ok()
        .and_then(|scenarios| scenarios.dyn_into::<js_sys::Array>().ok())
        .map(|scenarios| {
            scenarios
                .iter()
                .filter_map(|scenario| {
                    Some(DemoScenario {
                        name: string_field(&scenario, "name")?,
                        description: string_field(&scenario, "description").unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let tasks = tasks
        .iter()
        .filter_map(|task| {
            Some(DemoTask {
                task_id: string_field(&task, "taskId")?,
                status: string_field(&task, "status").unwrap_or_default(),
                label: string_field(&task, "label").unwrap_or_default(),
            })
        })
        .collect();
    Some(DemoInfo {
        api_key: string_field(&value, "apiKey"),
        tasks,
        scenarios,
    })
}

/// Asks the simulator for a short task, or one that misbehaves as the preset
/// `scenario` says, returning its id.
async fn create_demo_task(base_url: &str, scenario: Option<&str>) -> Option<String> {
    let base_url = base_url.trim_end_matches('/');
    let url = match scenario {
        Some(name) => format!("{base_url}/sim/scenarios/{name}"),
        None => format!("{base_url}/sim/tasks"),
    };
    let body = match scenario {
        Some(_) => "{}",
        None => r#"{"nbItems":60,"pendingMs":3000,"itemsPerSecond":4}"#,
    };
    let response = gloo_net::http::Request::post(&url)
        .header("content-type", "application/json")
        .body(body)
        .ok()?
        .send()
        .await
        .ok()?;
    if !response.ok() {
        return None;
    }
    let value = js_sys::JSON::parse(&response.text().await.ok()?).ok()?;
    string_field(&value, "taskId")
}
