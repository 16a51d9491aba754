//! Requests: how many a scripted lifecycle costs, and that none are sent
//! after the end or while the page is hidden.

use std::time::Duration;

use serde_json::{json, Value};

use super::browser::BenchBrowser;
use super::pages::ELEMENTS_PAGE;
use super::sim::SimControl;
use crate::error::{Error, Result};
use crate::simulator::encode_component;

/// `poll-interval` of the widget in these runs, in milliseconds. It is
/// shorter than the default 2,000 ms so that a run takes seconds, and a
/// request sent by mistake would show up many times over.
const INTERVAL_MS: u64 = 250;

/// IN_PROGRESS steps between PENDING and COMPLETED.
const PROGRESS_STEPS: u64 = 10;

/// Requests that the lifecycle needs: PENDING, the IN_PROGRESS steps and
/// COMPLETED.
const EXPECTED_REQUESTS: u64 = PROGRESS_STEPS + 2;

/// Maximum wait for the widget to reach COMPLETED.
const LIFECYCLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Hides the page the only way headless Chromium allows: it overrides
/// `document.hidden` and `document.visibilityState` on the document and
/// fires `visibilitychange`. Returns `Date.now()` and `performance.now()`.
const HIDE_SCRIPT: &str = r#"
Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
document.dispatchEvent(new Event("visibilitychange"));
return { epochMs: Date.now(), perfMs: performance.now() };
"#;

/// Removes the overrides of [`HIDE_SCRIPT`] and fires `visibilitychange`.
const SHOW_SCRIPT: &str = r#"
delete document.hidden;
delete document.visibilityState;
document.dispatchEvent(new Event("visibilitychange"));
return { epochMs: Date.now(), perfMs: performance.now() };
"#;

/// Returns the start times (`performance.now()`) of the page's task
/// requests, from Resource Timing.
const TASK_REQUEST_STARTS_SCRIPT: &str = r#"
return performance.getEntriesByType("resource")
  .filter((entry) => new URL(entry.name).pathname.startsWith("/v1/enterprise/task/"))
  .map((entry) => entry.startTime);
"#;

/// One run of the scripted lifecycle.
struct LifecycleRun {
    total: u64,
    after_end: u64,
    ended_status: String,
    max_in_flight: u64,
}

/// One run of the hidden page.
struct HiddenRun {
    before: usize,
    while_hidden_page: usize,
    while_hidden_server: usize,
    hidden_for: Duration,
    resume_ms: Option<f64>,
}

/// Results of the request benchmarks.
pub struct Requests {
    lifecycle: Vec<LifecycleRun>,
    hidden: Vec<HiddenRun>,
    observe: Duration,
}

/// Runs the lifecycle and the hidden page `runs` times each, and watches
/// for `observe` after the end and while hidden.
pub async fn run(sim: &SimControl, runs: usize, observe: Duration) -> Result<Requests> {
    let mut lifecycle = Vec::new();
    let mut hidden = Vec::new();
    for index in 0..runs {
        let browser = BenchBrowser::start(&[]).await?;
        let run = lifecycle_once(&browser, sim, observe).await?;
        println!(
            "    lifecycle run {}/{runs}: {} requests, {} after the end",
            index + 1,
            run.total,
            run.after_end
        );
        lifecycle.push(run);

        let run = hidden_once(&browser, sim, observe).await?;
        println!(
            "    hidden run {}/{runs}: {} requests while hidden for {:.1} s",
            index + 1,
            run.while_hidden_server,
            run.hidden_for.as_secs_f64()
        );
        hidden.push(run);
    }
    Ok(Requests {
        lifecycle,
        hidden,
        observe,
    })
}

/// Returns the script: PENDING, then IN_PROGRESS in [`PROGRESS_STEPS`] steps, then
/// COMPLETED, then an IN_PROGRESS step repeated for every later request, so
/// that a widget that polled on after the end would show it.
fn lifecycle_script() -> Value {
    let items = PROGRESS_STEPS;
    let mut steps = vec![json!({ "task": {
        "status": "PENDING", "nbItems": items, "nbRemainingItems": items, "completedAt": null,
    }})];
    for done in 0..PROGRESS_STEPS {
        steps.push(json!({ "task": {
            "status": "IN_PROGRESS", "nbItems": items, "nbRemainingItems": items - done,
            "completedAt": null,
        }}));
    }
    steps.push(json!({ "task": {
        "status": "COMPLETED", "nbItems": items, "nbRemainingItems": 0,
        "completedAt": "2024-12-09T14:20:00.000+0000",
    }}));
    steps.push(json!({ "task": {
        "status": "IN_PROGRESS", "nbItems": items, "nbRemainingItems": 5, "completedAt": null,
    }}));
    json!({ "steps": steps, "then": "repeat-last" })
}

async fn lifecycle_once(
    browser: &BenchBrowser,
    sim: &SimControl,
    observe: Duration,
) -> Result<LifecycleRun> {
    let task_id = sim
        .create_task(&json!({ "nbItems": PROGRESS_STEPS, "pendingMs": 3_600_000 }))
        .await?;
    sim.script_task(&task_id, &lifecycle_script()).await?;

    browser
        .goto(&element_page_url(sim, &task_id, INTERVAL_MS))
        .await?;
    let ended = browser
        .wait_for_value(
            "the widget to reach the end of the scripted lifecycle",
            "return window.__bench?.endedStatus ?? null;",
            LIFECYCLE_TIMEOUT,
        )
        .await?;
    tokio::time::sleep(observe).await;

    let log = sim.requests(&task_id).await?;
    // Step EXPECTED_REQUESTS is the repeated IN_PROGRESS step: only a
    // request after COMPLETED can take it.
    let after_end = log
        .requests
        .iter()
        .filter(|request| request.step.is_some_and(|step| step >= EXPECTED_REQUESTS))
        .count() as u64;
    Ok(LifecycleRun {
        total: log.count,
        after_end,
        ended_status: ended.as_str().unwrap_or_default().to_owned(),
        max_in_flight: log.max_in_flight,
    })
}

async fn hidden_once(
    browser: &BenchBrowser,
    sim: &SimControl,
    observe: Duration,
) -> Result<HiddenRun> {
    let task_id = sim.create_long_task(1.0).await?;
    browser
        .goto(&element_page_url(sim, &task_id, INTERVAL_MS))
        .await?;
    // A few cycles first, so that the widget polls at its pace when hidden.
    let before = wait_for_requests(sim, &task_id, 4).await?;

    let hidden_at = browser.execute(HIDE_SCRIPT, Vec::new()).await?;
    let hidden_epoch_ms = hidden_at["epochMs"].as_i64().unwrap_or_default();
    let hidden_perf_ms = hidden_at["perfMs"].as_f64().unwrap_or_default();
    tokio::time::sleep(observe).await;
    let shown_at = browser.execute(SHOW_SCRIPT, Vec::new()).await?;
    let shown_epoch_ms = shown_at["epochMs"].as_i64().unwrap_or_default();
    let shown_perf_ms = shown_at["perfMs"].as_f64().unwrap_or_default();
    // Time for the request that the visible page sends again.
    tokio::time::sleep(Duration::from_millis(2 * INTERVAL_MS + 500)).await;

    let starts: Vec<f64> = browser
        .execute(TASK_REQUEST_STARTS_SCRIPT, Vec::new())
        .await?
        .as_array()
        .map(|starts| starts.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let while_hidden_page = starts
        .iter()
        .filter(|start| (hidden_perf_ms..shown_perf_ms).contains(*start))
        .count();
    let resume_ms = starts
        .iter()
        .filter(|start| **start >= shown_perf_ms)
        .map(|start| start - shown_perf_ms)
        .reduce(f64::min);

    let log = sim.requests(&task_id).await?;
    // A request sent just before the page was hidden can arrive a moment
    // after it, so the simulator's count starts 50 ms later.
    let while_hidden_server = log.count_between(hidden_epoch_ms + 50, shown_epoch_ms);
    Ok(HiddenRun {
        before: before as usize,
        while_hidden_page,
        while_hidden_server,
        hidden_for: Duration::from_millis((shown_epoch_ms - hidden_epoch_ms).max(0) as u64),
        resume_ms,
    })
}

/// Waits until the simulator logged at least `count` requests for the id.
async fn wait_for_requests(sim: &SimControl, task_id: &str, count: u64) -> Result<u64> {
    let started = std::time::Instant::now();
    loop {
        let seen = sim.requests(task_id).await?.count;
        if seen >= count {
            return Ok(seen);
        }
        if started.elapsed() > LIFECYCLE_TIMEOUT {
            return Err(Error::Setup(format!(
                "the widget sent {seen} requests for {task_id} in {LIFECYCLE_TIMEOUT:?}, \
                 expected at least {count}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Formats a number of runs, such as `1 run` or `3 runs`.
fn runs(count: usize) -> String {
    if count == 1 {
        "1 run".to_owned()
    } else {
        format!("{count} runs")
    }
}

/// Returns the URL of the element page with one widget on `task_id`.
pub fn element_page_url(sim: &SimControl, task_id: &str, interval_ms: u64) -> String {
    format!(
        "{}{ELEMENTS_PAGE}?ids={}&key={}&interval={interval_ms}",
        sim.base_url(),
        encode_component(task_id),
        task_status_server::DEMO_API_KEY
    )
}

impl Requests {
    /// Returns the rows of the summary table: measure, result, target.
    pub fn summary_rows(&self) -> Vec<[String; 3]> {
        let totals: Vec<String> = self
            .lifecycle
            .iter()
            .map(|run| run.total.to_string())
            .collect();
        let after_end: u64 = self.lifecycle.iter().map(|run| run.after_end).sum();
        let hidden_page: usize = self.hidden.iter().map(|run| run.while_hidden_page).sum();
        let hidden_server: usize = self.hidden.iter().map(|run| run.while_hidden_server).sum();
        vec![
            [
                "Requests for the scripted lifecycle".to_owned(),
                format!("{} (per run)", totals.join(", ")),
                EXPECTED_REQUESTS.to_string(),
            ],
            [
                "Requests after COMPLETED".to_owned(),
                format!("{after_end} ({})", runs(self.lifecycle.len())),
                "0".to_owned(),
            ],
            [
                format!(
                    "Requests while hidden for {:.0} s",
                    self.observe.as_secs_f64()
                ),
                format!(
                    "{hidden_page} seen by the page, {hidden_server} by the simulator ({})",
                    runs(self.hidden.len())
                ),
                "0".to_owned(),
            ],
        ]
    }

    /// Returns the Markdown section.
    pub fn markdown(&self) -> String {
        let observe = self.observe.as_secs_f64();
        let mut text = String::from("## Requests\n\n");
        text.push_str(&format!(
            "One `<task-status poll-interval=\"{INTERVAL_MS}\">` element from `dist/pkg/index.js` \
             on a page of its own, in headless Chromium, against the simulator in-process. The \
             counts come from the simulator's request log (`GET /sim/requests/{{id}}`).\n\n\
             **Lifecycle.** The task's script (`POST /sim/tasks/{{id}}/script`) answers PENDING, \
             then IN_PROGRESS in {PROGRESS_STEPS} steps, then COMPLETED, then repeats an \
             IN_PROGRESS step for every later request (`\"then\": \"repeat-last\"`), so a request \
             after the end would be answered and logged with that step's index. After \
             `task-status-end` the run watches for {observe:.0} s more. Expected: \
             {EXPECTED_REQUESTS} requests, 0 after the end.\n\n"
        ));
        text.push_str("| run | requests | after COMPLETED | max in flight | final status |\n");
        text.push_str("| ---: | ---: | ---: | ---: | --- |\n");
        for (index, run) in self.lifecycle.iter().enumerate() {
            text.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                index + 1,
                run.total,
                run.after_end,
                run.max_in_flight,
                run.ended_status
            ));
        }

        text.push_str(&format!(
            "\n**Hidden page.** Headless Chromium has no tab to switch to and keeps \
             `document.hidden` false, so the run overrides `document.hidden` and \
             `document.visibilityState` from a script and fires `visibilitychange`, which is \
             what the widget listens to. The widget polls an IN_PROGRESS task until it sent at \
             least 4 requests, then the page is hidden for {observe:.0} s, then shown again the \
             same way. Requests while hidden are counted twice: by the page's Resource Timing \
             entries that started in that time, and by the simulator's log from 50 ms after \
             the page was hidden (a request sent just before can arrive a moment later). \
             Expected: 0.\n\n"
        ));
        text.push_str(
            "| run | requests before | hidden for | requests while hidden (page / simulator) | first request after shown |\n",
        );
        text.push_str("| ---: | ---: | ---: | ---: | ---: |\n");
        for (index, run) in self.hidden.iter().enumerate() {
            let resume = run
                .resume_ms
                .map_or_else(|| "none".to_owned(), |ms| format!("{ms:.0} ms"));
            text.push_str(&format!(
                "| {} | {} | {:.1} s | {} / {} | {resume} |\n",
                index + 1,
                run.before,
                run.hidden_for.as_secs_f64(),
                run.while_hidden_page,
                run.while_hidden_server
            ));
        }
        text.push('\n');
        text
    }
}
