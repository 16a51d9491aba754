//! The `TaskStatus` component: a badge, a progress bar and the task's details.

use std::rc::Rc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::events::Announcer;
use super::format::{
    format_ago, format_count, format_date, format_duration, format_percent, format_rate,
    format_time, locale_for, page_lang,
};
use super::hook::{use_task_status, UseTaskStatusOptions};
use super::icons::StatusIcon;
use super::launcher::Launcher;
use crate::core::date::ApiDate;
use crate::core::i18n::{self, Lang, Text};
use crate::core::policy::{Phase, Problem, Watcher};
use crate::core::progress::Progress;
use crate::core::task::TaskStatus as Status;

/// Watches one task of the DriveQuant Enterprise API until it ends.
///
/// The widget sends `GET {base_url}/v1/enterprise/task/{task_id}` at once,
/// then again `poll_interval_ms` after each response, and stops for good at
/// COMPLETED, CANCELED or FAILED, on 401, 403 and 404. Server errors and
/// network failures are retried with backoff. Changing any prop stops the
/// current watch and starts a new one; unmounting stops everything.
#[component]
pub fn TaskStatus(
    /// The task id to watch. It is sent as one percent-encoded path segment and shown as text only.
    #[prop(into)]
    task_id: Signal<String>,
    /// Origin (and optional path prefix) of the API, such as `https://service.drivequant.com`.
    /// Defaults to the page's own origin, for a same-origin proxy.
    #[prop(into, optional)]
    base_url: MaybeProp<String>,
    /// The enterprise API key, sent only as the `x-dq-enterprise-api-key` header.
    /// Defaults to none, for a proxy that adds the key itself.
    #[prop(into, optional)]
    api_key: MaybeProp<String>,
    /// Time between the end of one request and the start of the next while the
    /// task runs, in milliseconds. Defaults to 2000.
    #[prop(into, optional)]
    poll_interval_ms: MaybeProp<u64>,
    /// Time after which a request is aborted and retried, in milliseconds.
    /// Defaults to 15000.
    #[prop(into, optional)]
    request_timeout_ms: MaybeProp<u64>,
    /// Language of the widget's words, a BCP 47 tag such as `fr` or `en-GB`.
    /// Defaults to the page's `lang` attribute, then the browser's language;
    /// languages other than French give English.
    #[prop(into, optional)]
    lang: MaybeProp<String>,
    /// Shows only the badge, the bar and the counts, for narrow places. Defaults to false.
    #[prop(into, optional)]
    compact: Signal<bool>,
    /// `light` or `dark` to force a theme. Defaults to following `prefers-color-scheme`.
    #[prop(into, optional)]
    theme: Signal<String>,
    /// Shows buttons that start a retry of failed trips or crashes and then
    /// watch the new task. Defaults to false.
    #[prop(into, optional)]
    launcher: Signal<bool>,
) -> impl IntoView {
    let options = UseTaskStatusOptions {
        task_id,
        base_url,
        api_key,
        poll_interval_ms,
        request_timeout_ms,
    };
    let lang = Signal::derive(move || {
        lang.get()
            .map(|tag| Lang::from_tag(&tag))
            .unwrap_or_else(page_lang)
    });
    let display = Display {
        lang,
        compact,
        theme,
        launcher,
    };
    let (view, _refresh) = task_status_view(options, display);
    view
}

/// Display settings of a widget, and the features it offers besides the watch.
#[derive(Clone, Copy)]
pub struct Display {
    /// Language of the widget's words.
    pub lang: Signal<Lang>,
    /// Shows only the badge, the bar and the counts.
    pub compact: Signal<bool>,
    /// `light` or `dark` to force a theme; empty follows `prefers-color-scheme`.
    pub theme: Signal<String>,
    /// Shows the buttons that start a retry of failed trips or crashes.
    pub launcher: Signal<bool>,
}

/// Builds the watched widget and returns it with its refresh action; shared
/// by the [`TaskStatus`] component and the custom element.
pub fn task_status_view(
    mut options: UseTaskStatusOptions,
    display: Display,
) -> (AnyView, UnsyncCallback<()>) {
    // A task started from the launcher is watched until the given id changes.
    let given = options.task_id;
    let launched = RwSignal::new(None::<String>);
    Effect::new(move |previous: Option<String>| {
        let id = given.get();
        if previous.is_some_and(|previous| previous != id) {
            launched.set(None);
        }
        id
    });
    let task_id = Signal::derive(move || launched.get().unwrap_or_else(|| given.get()));
    options.task_id = task_id;
    let base_url = options.base_url;
    let api_key = options.api_key;

    let state = use_task_status(options);
    let root = NodeRef::<leptos::html::Section>::new();
    let lang = display.lang;

    // Tell the page about status changes, the end and errors, from the widget's root.
    let announcer = Rc::new(Announcer::default());
    Effect::new(move |_| {
        let watch = state.watch.get();
        let lang = lang.get_untracked();
        if let (Some(watch), Some(root)) = (watch, root.get()) {
            announcer.announce(&root, &watch, lang);
        }
    });

    let on_watch = UnsyncCallback::new(move |id: String| launched.set(Some(id)));
    // With the launcher and no id yet, only the buttons show.
    let show_watch = move || !(display.launcher.get() && task_id.get().trim().is_empty());
    let view = view! {
        <Show when=move || display.launcher.get()>
            <Launcher
                base_url=Signal::derive(move || base_url.get().unwrap_or_default())
                api_key=Signal::derive(move || api_key.get())
                lang
                on_watch
            />
        </Show>
        <Show when=show_watch>
            <TaskView
                watch=state.watch
                rejected_id=state.rejected_id
                task_id
                lang
                retry=state.refresh
                compact=display.compact
                root
                theme=display.theme
            />
        </Show>
    }
    .into_any();
    (view, state.refresh)
}

/// Renders a watch: the part of the widget that only reads state.
#[component]
pub fn TaskView(
    /// The watcher's latest state; `None` before the first response.
    watch: Signal<Option<Watcher>>,
    /// Whether the task id was rejected before sending.
    rejected_id: Signal<bool>,
    /// The id being watched.
    task_id: Signal<String>,
    /// Language of the widget's words.
    lang: Signal<Lang>,
    /// Called by the "Retry now" and "Check again" button; without it the button is hidden.
    #[prop(optional)]
    retry: Option<UnsyncCallback<()>>,
    /// Shows only the badge, the bar and the counts. Defaults to false.
    #[prop(into, optional)]
    compact: Signal<bool>,
    /// Reference to the root element, where events are dispatched.
    #[prop(optional)]
    root: NodeRef<leptos::html::Section>,
    /// `light` or `dark` to force a theme; empty follows `prefers-color-scheme`.
    #[prop(into, optional)]
    theme: Signal<String>,
) -> impl IntoView {
    let task = move || watch.get().and_then(|watch| watch.task().cloned());
    let status = Memo::new(move |_| task().and_then(|task| task.status));
    let progress = Memo::new(move |_| task().map(|task| Progress::of(&task)));
    let polling = move || match watch.get().map(|watch| watch.phase()) {
        _ if rejected_id.get() => "stopped",
        Some(Phase::Stopped) => "stopped",
        Some(Phase::Waiting) => "waiting",
        Some(Phase::Active) | None => "active",
    };
    let badge = Memo::new(move |_| {
        let watch = watch.get();
        let failed = rejected_id.get()
            || watch
                .as_ref()
                .is_some_and(|watch| watch.problem().is_some());
        match (task(), status.get()) {
            (_, Some(status)) => BadgeState::Status(status),
            (Some(_), None) => BadgeState::StatusMissing,
            (None, None) if failed => BadgeState::Unavailable,
            (None, None) => BadgeState::Loading,
        }
    });
    // An indeterminate bar moves only while requests go out and nothing is wrong.
    let moving = Memo::new(move |_| {
        let Some(watch) = watch.get() else {
            return !rejected_id.get();
        };
        let ended = status.get().is_some_and(|status| status.is_terminal());
        watch.phase() == Phase::Active && watch.problem().is_none() && !ended
    });
    let status_attr = move || {
        status
            .get()
            .map(|status| status.as_str().to_owned())
            .unwrap_or_default()
    };
    let locale = Memo::new(move |_| locale_for(lang.get()));

    // "Updated n s ago" and the elapsed time move every second without a request.
    let now = RwSignal::new(js_sys::Date::now());
    let ticker = SendWrapper::new(gloo_timers::callback::Interval::new(1_000, move || {
        now.try_set(js_sys::Date::now());
    }));
    on_cleanup(move || drop(ticker));

    // The live region's text changes only when the status or the problem does.
    let announcement = Memo::new(move |_| {
        let watch = watch.get()?;
        if let Some(problem) = watch.problem() {
            return Some(i18n::problem_message(lang.get(), problem));
        }
        let status = watch.task()?.status.clone()?;
        Some(i18n::status_announcement(lang.get(), &status))
    });

    view! {
        <section
            node_ref=root
            class="tsw"
            class:tsw--compact=move || compact.get()
            part="widget"
            data-testid="task-status"
            data-status=status_attr
            data-polling=polling
            lang=move || lang.get().tag()
            aria-busy=move || (watch.get().is_none() && !rejected_id.get()).to_string()
            data-theme=move || theme.get()
        >
            <div class="tsw-head">
                <Badge state=badge.into() lang />
                <span class="tsw-type" part="type" data-testid="task-type">
                    {move || {
                        task().and_then(|task| task.task_type).map(|kind| i18n::type_name(lang.get(), &kind))
                    }}
                </span>
            </div>
            <Bar progress=progress.into() moving=moving.into() lang locale=locale.into() />
            <p class="tsw-counts" part="text">
                <span data-testid="progress-text">
                    {move || counts_text(progress.get(), lang.get(), &locale.get())}
                </span>
                <span class="tsw-percent" data-testid="progress-percent">
                    {move || {
                        let percent = progress.get().and_then(|progress| progress.percent)?;
                        Some(format_percent(percent, &locale.get()))
                    }}
                </span>
            </p>
            <dl class="tsw-details" part="details">
                <div>
                    <dt>{move || i18n::text(lang.get(), Text::Created)}</dt>
                    <dd data-testid="created-at">
                        {move || date_view(task().and_then(|task| task.created_at), lang.get(), &locale.get())}
                    </dd>
                </div>
                <Show when=move || task().is_some_and(|task| task.completed_at.is_some())>
                    <div>
                        <dt>{move || i18n::text(lang.get(), Text::CompletedAt)}</dt>
                        <dd data-testid="completed-at">
                            {move || date_view(task().and_then(|task| task.completed_at), lang.get(), &locale.get())}
                        </dd>
                    </div>
                </Show>
                <Timing watch now=now.into() lang locale=locale.into() />
                <div>
                    <dt>{move || i18n::text(lang.get(), Text::TaskId)}</dt>
                    <dd class="tsw-id" data-testid="task-id">{move || task_id.get()}</dd>
                </div>
            </dl>
            <ErrorLine watch rejected_id lang locale=locale.into() retry />
            <p class="tsw-updated" data-testid="updated">
                {move || {
                    let last = watch.get()?.last_success_ms()?;
                    let ago = (now.get() as u64).saturating_sub(last);
                    Some(i18n::updated(lang.get(), &format_ago(ago, &locale.get())))
                }}
            </p>
            // Screen readers hear each status change and each new problem once,
            // never each percent.
            <p class="tsw-sr-only" role="status" aria-live="polite" data-testid="announcement">
                {move || announcement.get()}
            </p>
        </section>
    }
}

/// State shown by the badge.
#[derive(Debug, Clone, PartialEq, Eq)]
enum BadgeState {
    /// No response yet.
    Loading,
    /// No task to show because the requests failed.
    Unavailable,
    /// A task without a status field.
    StatusMissing,
    /// A task with a status.
    Status(Status),
}

/// The lifecycle badge: an icon of its own shape per status, the status in words, and `data-status`.
#[component]
fn Badge(state: Signal<BadgeState>, lang: Signal<Lang>) -> impl IntoView {
    let kind = move || match state.get() {
        BadgeState::Loading => "loading",
        BadgeState::Unavailable => "unavailable",
        BadgeState::StatusMissing => "unknown",
        BadgeState::Status(status) => status_class(&status),
    };
    let label = move || match state.get() {
        BadgeState::Loading => i18n::text(lang.get(), Text::Loading).to_owned(),
        BadgeState::Unavailable => i18n::text(lang.get(), Text::NoData).to_owned(),
        BadgeState::StatusMissing => i18n::text(lang.get(), Text::StatusMissing).to_owned(),
        BadgeState::Status(status) => i18n::status_name(lang.get(), &status),
    };
    let status_attr = move || match state.get() {
        BadgeState::Status(status) => status.as_str().to_owned(),
        _ => String::new(),
    };
    view! {
        <span
            class=move || format!("tsw-badge tsw-badge--{}", kind())
            part="badge"
            data-testid="status-badge"
            data-status=status_attr
        >
            <StatusIcon kind=Signal::derive(kind) />
            <span class="tsw-badge-text">{label}</span>
        </span>
    }
}

/// The progress bar; indeterminate bars have no `aria-valuenow`.
#[component]
fn Bar(
    progress: Signal<Option<Progress>>,
    moving: Signal<bool>,
    lang: Signal<Lang>,
    locale: Signal<String>,
) -> impl IntoView {
    let percent = move || progress.get().and_then(|progress| progress.percent);
    let value_text = move || {
        let progress = progress.get()?;
        let percent = progress.percent?;
        let percent = format_percent(percent, &locale.get());
        Some(
            match counts_text(Some(progress), lang.get(), &locale.get()) {
                Some(counts) => format!("{counts}, {percent}"),
                None => percent,
            },
        )
    };
    let class = move || {
        let mut class = String::from("tsw-bar");
        if percent().is_none() {
            class.push_str(" tsw-bar--indeterminate");
            if moving.get() {
                class.push_str(" tsw-bar--moving");
            }
        }
        class
    };
    view! {
        <div
            class=class
            part="bar"
            role="progressbar"
            data-testid="progress"
            aria-label=move || i18n::text(lang.get(), Text::ProgressLabel)
            aria-valuemin="0"
            aria-valuemax="100"
            aria-valuenow=move || percent().map(|percent| percent.to_string())
            aria-valuetext=value_text
        >
            <div
                class="tsw-bar-fill"
                part="bar-fill"
                style:width=move || percent().map(|percent| format!("{percent}%"))
            ></div>
        </div>
    }
}

/// The lines under the bar when the last request failed or the id is unusable:
/// what failed, how old the data on screen is, when the next try is, and a
/// button to try at once.
#[component]
fn ErrorLine(
    watch: Signal<Option<Watcher>>,
    rejected_id: Signal<bool>,
    lang: Signal<Lang>,
    locale: Signal<String>,
    retry: Option<UnsyncCallback<()>>,
) -> impl IntoView {
    let problem = move || watch.get().and_then(|watch| watch.problem().cloned());
    let message = move || {
        if rejected_id.get() {
            return Some(i18n::text(lang.get(), Text::InvalidTaskId).to_owned());
        }
        Some(i18n::problem_message(lang.get(), &problem()?))
    };
    let stale = move || {
        let watch = watch.get()?;
        let last = watch.last_success_ms().filter(|_| watch.is_stale())?;
        let label = i18n::text(lang.get(), Text::LastUpdated);
        let label = i18n::with_colon(lang.get(), label);
        Some(format!("{label} {}", format_time(last, &locale.get())))
    };
    let next_try = move || {
        let watch = watch.get()?;
        watch.problem()?;
        let next = watch
            .next_fetch_ms()
            .filter(|_| watch.phase() == Phase::Active)?;
        let label = i18n::text(lang.get(), Text::NextTry);
        let label = i18n::with_colon(lang.get(), label);
        Some(format!("{label} {}", format_time(next, &locale.get())))
    };
    let button_text = move || match problem() {
        Some(Problem::NotFound) => i18n::text(lang.get(), Text::CheckAgain),
        _ => i18n::text(lang.get(), Text::RetryNow),
    };
    let can_retry = move || retry.is_some() && problem().is_some() && !rejected_id.get();
    view! {
        <Show when=move || message().is_some()>
            <div class="tsw-problem">
                <p class="tsw-error" part="error" data-testid="error">{message}</p>
                <Show when=move || stale().is_some() || next_try().is_some()>
                    <p class="tsw-meta">
                        <span data-testid="stale">{stale}</span>
                        " "
                        <span data-testid="next-try">{next_try}</span>
                    </p>
                </Show>
                <Show when=can_retry>
                    <button
                        type="button"
                        class="tsw-retry"
                        part="retry"
                        data-testid="retry"
                        on:click=move |_| {
                            if let Some(retry) = retry {
                                retry.run(());
                            }
                        }
                    >
                        {button_text}
                    </button>
                </Show>
            </div>
        </Show>
    }
}

fn counts_text(progress: Option<Progress>, lang: Lang, locale: &str) -> Option<String> {
    let progress = progress?;
    let done = format_count(progress.done?, locale);
    let total = format_count(progress.total?, locale);
    Some(i18n::items_done(lang, &done, &total))
}

/// The time rows: elapsed time while the task runs, total duration once it
/// completed, and the pace and time left once the estimate is stable.
#[component]
fn Timing(
    watch: Signal<Option<Watcher>>,
    now: Signal<f64>,
    lang: Signal<Lang>,
    locale: Signal<String>,
) -> impl IntoView {
    let task = move || watch.get().and_then(|watch| watch.task().cloned());
    let created = move || {
        task()
            .and_then(|task| task.created_at)
            .and_then(|date| date.millis())
    };
    // Elapsed time and pace only mean something once items are being handled.
    let running = move || task().is_some_and(|task| task.status == Some(Status::InProgress));
    let elapsed = move || {
        if !running() {
            return None;
        }
        let since = (now.get() as i64).saturating_sub(created()?);
        Some(format_duration(u64::try_from(since).ok()?, &locale.get()))
    };
    let duration = move || {
        let task = task()?;
        let completed = task.completed_at?.millis()?;
        let took = completed.saturating_sub(task.created_at?.millis()?);
        Some(format_duration(u64::try_from(took).ok()?, &locale.get()))
    };
    let estimate = move || watch.get()?.estimate().filter(|_| running());
    let pace = move || {
        let rate = format_rate(estimate()?.items_per_minute, &locale.get());
        Some(i18n::items_per_minute(lang.get(), &rate))
    };
    let time_left = move || {
        let left = format_duration(estimate()?.remaining_ms, &locale.get());
        Some(i18n::about(lang.get(), &left))
    };

    view! {
        <Show when=move || elapsed().is_some()>
            <div>
                <dt>{move || i18n::text(lang.get(), Text::Elapsed)}</dt>
                <dd data-testid="elapsed">{elapsed}</dd>
            </div>
        </Show>
        <Show when=move || duration().is_some()>
            <div>
                <dt>{move || i18n::text(lang.get(), Text::Duration)}</dt>
                <dd data-testid="duration">{duration}</dd>
            </div>
        </Show>
        <Show when=move || pace().is_some()>
            <div>
                <dt>{move || i18n::text(lang.get(), Text::Pace)}</dt>
                <dd data-testid="pace">{pace}</dd>
            </div>
            <div>
                <dt>{move || i18n::text(lang.get(), Text::TimeLeft)}</dt>
                <dd data-testid="time-left">{time_left}</dd>
            </div>
        </Show>
    }
}

fn date_view(date: Option<ApiDate>, lang: Lang, locale: &str) -> impl IntoView {
    match date {
        Some(ApiDate::Instant(millis)) => {
            let shown = format_date(millis, locale);
            view! { <time datetime=shown.iso>{shown.text}</time> }.into_any()
        }
        Some(ApiDate::Invalid(_)) => {
            view! { <span class="tsw-placeholder">{i18n::text(lang, Text::InvalidDate)}</span> }
                .into_any()
        }
        None => view! { <span class="tsw-placeholder">"—"</span> }.into_any(),
    }
}

/// CSS modifier for a status; unknown statuses share one neutral look.
fn status_class(status: &Status) -> &'static str {
    match status {
        Status::Pending => "pending",
        Status::InProgress => "in-progress",
        Status::Completed => "completed",
        Status::Canceled => "canceled",
        Status::Failed => "failed",
        Status::Unknown(_) => "unknown",
    }
}
