//! The optional launcher: buttons that start a retry of failed trips or
//! crashes, then hand the new task to the widget to watch.

use leptos::prelude::*;

use super::fetch::{string_field, API_KEY_HEADER};
use crate::core::i18n::{self, Lang, Text};
use crate::core::launch::{classify_launch, LaunchOutcome, RetryKind};

/// Buttons "Retry failed trips" and "Retry failed crashes". One request at
/// a time: both buttons are disabled until the response arrives, so a double
/// click never starts two tasks.
#[component]
pub fn Launcher(
    /// Origin and optional prefix of the API; empty for the page's own origin.
    base_url: Signal<String>,
    /// The enterprise key, sent only as its header.
    api_key: Signal<Option<String>>,
    /// Language of the words.
    lang: Signal<Lang>,
    /// Receives the id of a task to watch: a new one, or the one already running.
    on_watch: UnsyncCallback<String>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let last = RwSignal::new(None::<(RetryKind, LaunchOutcome)>);

    let launch = move |kind: RetryKind| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let url = kind.url(&base_url.get_untracked());
        let key = api_key.get_untracked();
        leptos::task::spawn_local(async move {
            let outcome = post_retry(&url, key.as_deref()).await;
            if let LaunchOutcome::Started { task_id, .. } = &outcome {
                on_watch.run(task_id.clone());
            }
            last.try_set(Some((kind, outcome)));
            busy.try_set(false);
        });
    };

    let message = move || {
        let (kind, outcome) = last.get()?;
        Some(i18n::launch_message(lang.get(), kind, &outcome))
    };
    let running_id = move || match last.get() {
        Some((_, LaunchOutcome::AlreadyRunning { task_id })) => task_id,
        _ => None,
    };
    let failed = move || !matches!(last.get(), Some((_, LaunchOutcome::Started { .. })) | None);

    view! {
        <div
            class="tsw tsw-launcher"
            part="launcher"
            role="group"
            aria-label=move || i18n::text(lang.get(), Text::LauncherLabel)
            data-testid="launcher"
        >
            <div class="tsw-launcher-buttons">
                <button
                    type="button"
                    class="tsw-retry"
                    data-testid="launch-trips"
                    disabled=move || busy.get()
                    on:click=move |_| launch(RetryKind::Trips)
                >
                    {move || i18n::launch_button(lang.get(), RetryKind::Trips)}
                </button>
                <button
                    type="button"
                    class="tsw-retry"
                    data-testid="launch-crashes"
                    disabled=move || busy.get()
                    on:click=move |_| launch(RetryKind::Crashes)
                >
                    {move || i18n::launch_button(lang.get(), RetryKind::Crashes)}
                </button>
            </div>
            <p
                class="tsw-launcher-message"
                class:tsw-error=failed
                role="status"
                data-testid="launch-message"
            >
                {message}
            </p>
            <Show when=move || running_id().is_some()>
                <button
                    type="button"
                    class="tsw-retry"
                    data-testid="watch-running"
                    on:click=move |_| {
                        if let Some(id) = running_id() {
                            on_watch.run(id);
                        }
                    }
                >
                    {move || i18n::text(lang.get(), Text::WatchRunning)}
                </button>
            </Show>
        </div>
    }
}

/// Sends the retry request and reads its response.
async fn post_retry(url: &str, api_key: Option<&str>) -> LaunchOutcome {
    let mut request = gloo_net::http::Request::post(url)
        .header("accept", "application/json")
        .redirect(web_sys::RequestRedirect::Error);
    if let Some(key) = api_key.filter(|key| !key.is_empty()) {
        request = request.header(API_KEY_HEADER, key);
    }
    let Ok(response) = request.send().await else {
        return LaunchOutcome::Network;
    };
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let value = js_sys::JSON::parse(&body)
        .ok()
        .filter(|value| value.is_object());
    let task_id = value
        .as_ref()
        .and_then(|value| string_field(value, "taskId"));
    let nb_items = value
        .as_ref()
        .and_then(|value| js_sys::Reflect::get(value, &"nbItems".into()).ok())
        .and_then(|count| count.as_f64())
        .filter(|count| count.is_finite())
        .map(|count| count as i64);
    classify_launch(status, task_id, nb_items)
}
