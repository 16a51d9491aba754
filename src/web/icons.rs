//! Status icons: each status has its own shape, so the badge never relies on colour alone.

use leptos::prelude::*;

/// An inline SVG icon for a badge modifier (`pending`, `in-progress`, `completed`,
/// `canceled`, `failed`, `unknown`, `unavailable` or `loading`). Hidden from assistive technology,
/// because the badge text says the same.
#[component]
pub fn StatusIcon(kind: Signal<&'static str>) -> impl IntoView {
    view! {
        <svg
            class="tsw-icon"
            viewBox="0 0 16 16"
            width="16"
            height="16"
            aria-hidden="true"
            focusable="false"
            fill="none"
            stroke="currentColor"
            stroke-width="1.8"
            stroke-linecap="round"
            stroke-linejoin="round"
        >
            {move || shape(kind.get())}
        </svg>
    }
}

fn shape(kind: &str) -> AnyView {
    match kind {
        // A clock: waiting.
        "pending" => view! {
            <circle cx="8" cy="8" r="6" />
            <path d="M8 4.6V8l2.4 1.5" />
        }
        .into_any(),
        // A half-filled disc: under way.
        "in-progress" => view! {
            <circle cx="8" cy="8" r="6" />
            <path d="M8 2a6 6 0 0 1 0 12z" fill="currentColor" />
        }
        .into_any(),
        // A tick: done.
        "completed" => view! {
            <circle cx="8" cy="8" r="6" />
            <path d="M5.2 8.3l1.9 1.9 3.7-4.1" />
        }
        .into_any(),
        // A barred circle: stopped from outside.
        "canceled" => view! {
            <circle cx="8" cy="8" r="6" />
            <path d="M3.8 12.2l8.4-8.4" />
        }
        .into_any(),
        // A cross: failed.
        "failed" => view! {
            <path d="M3.5 3.5l9 9M12.5 3.5l-9 9" stroke-width="2.2" />
        }
        .into_any(),
        // A ring with a bar across: nothing to show.
        "unavailable" => view! {
            <circle cx="8" cy="8" r="6" />
            <path d="M5 8h6" />
        }
        .into_any(),
        // A dotted ring: no response yet.
        "loading" => view! {
            <circle cx="8" cy="8" r="6" stroke-dasharray="2 2.7" />
        }
        .into_any(),
        // A diamond with a dot: a status this version does not know.
        _ => view! {
            <path d="M8 1.8L14.2 8 8 14.2 1.8 8z" />
            <circle cx="8" cy="8" r="1" fill="currentColor" />
        }
        .into_any(),
    }
}
