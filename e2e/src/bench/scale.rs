//! Scale: one page with many widgets, several on each task id.

use std::time::Duration;

use serde_json::Value;

use super::browser::{BenchBrowser, MEMORY_FLAGS};
use super::memory::{kib, MEASURE_SCRIPT};
use super::pages::ELEMENTS_PAGE;
use super::sim::SimControl;
use super::stats::{median_range_or_none, Summary};
use crate::error::Result;
use crate::simulator::encode_component;

/// Distinct task ids on the page.
pub const DISTINCT_IDS: usize = 50;

/// Widgets per task id.
pub const COPIES: usize = 4;

/// Maximum wait for every widget to show its first status.
const SHOWN_TIMEOUT: Duration = Duration::from_secs(60);

/// Returns the long tasks that started from `arguments[0]` up to
/// `arguments[1]` (both `performance.now()` values), as
/// `[count, total duration, total blocking time]` in milliseconds. The blocking time of a long task is its duration over
/// 50 ms.
const LONG_TASKS_SCRIPT: &str = r#"
const [from, to] = arguments;
const tasks = window.__bench.longTasks.filter(([start]) => start >= from && start < to);
return [
  tasks.length,
  tasks.reduce((sum, [, duration]) => sum + duration, 0),
  tasks.reduce((sum, [, duration]) => sum + Math.max(0, duration - 50), 0),
];
"#;

/// One run of the page.
struct ScaleRun {
    mount_to_all_shown_ms: f64,
    startup_long_tasks: [f64; 3],
    window: Duration,
    requests: usize,
    ids_polled: usize,
    requests_per_id: Option<Summary>,
    /// Time between two requests of one id, over every id.
    gaps_ms: Option<Summary>,
    max_in_flight: u64,
    window_long_tasks: [f64; 3],
    js_heap_bytes: Option<f64>,
    wasm_bytes: Option<f64>,
}

impl ScaleRun {
    /// Returns the poll cycles in the window: its length over the median
    /// time between two requests of one id.
    fn cycles(&self) -> Option<f64> {
        let gap_ms = self.gaps_ms?.median;
        (gap_ms > 0.0).then(|| self.window.as_secs_f64() * 1000.0 / gap_ms)
    }

    /// Returns the requests in the window divided by its poll cycles.
    fn requests_per_cycle(&self) -> Option<f64> {
        Some(self.requests as f64 / self.cycles()?)
    }
}

/// Results of the scale benchmark.
pub struct Scale {
    runs: Vec<ScaleRun>,
}

/// Opens the page of [`DISTINCT_IDS`] × [`COPIES`] widgets `runs` times and
/// watches each for `window` once every widget shows a status.
pub async fn run(sim: &SimControl, runs: usize, window: Duration) -> Result<Scale> {
    let mut all = Vec::new();
    for index in 0..runs {
        let run = run_once(sim, window).await?;
        println!(
            "    scale run {}/{runs}: {} requests in {:.1} s over {} ids, {:.1} per cycle",
            index + 1,
            run.requests,
            run.window.as_secs_f64(),
            run.ids_polled,
            run.requests_per_cycle().unwrap_or(f64::NAN)
        );
        all.push(run);
    }
    Ok(Scale { runs: all })
}

async fn run_once(sim: &SimControl, window: Duration) -> Result<ScaleRun> {
    let mut ids = Vec::new();
    for _ in 0..DISTINCT_IDS {
        // One item a second and a poll every 2 s: every response changes.
        ids.push(sim.create_long_task(1.0).await?);
    }
    let encoded: Vec<String> = ids.iter().map(|id| encode_component(id)).collect();
    let url = format!(
        "{}{ELEMENTS_PAGE}?ids={}&copies={COPIES}&key={}",
        sim.base_url(),
        encoded.join(","),
        task_status_server::DEMO_API_KEY
    );

    let browser = BenchBrowser::start(MEMORY_FLAGS).await?;
    browser.goto(&url).await?;
    let expected = DISTINCT_IDS * COPIES;
    let shown = browser
        .wait_for_value(
            &format!("all {expected} widgets to show a status"),
            &format!(
                "const b = window.__bench; return b.shown >= {expected} \
                 ? [b.mountedMs, b.allShownMs, performance.now(), Date.now()] : null;"
            ),
            SHOWN_TIMEOUT,
        )
        .await?;
    let number = |index: usize| shown[index].as_f64().unwrap_or(f64::NAN);
    let (mounted_ms, all_shown_ms, start_perf_ms, start_epoch_ms) =
        (number(0), number(1), number(2), number(3));
    let startup_long_tasks = long_tasks(&browser, 0.0, start_perf_ms).await?;

    tokio::time::sleep(window).await;
    let end = browser
        .execute("return [performance.now(), Date.now()];", Vec::new())
        .await?;
    let end_perf_ms = end[0].as_f64().unwrap_or(f64::NAN);
    let end_epoch_ms = end[1].as_f64().unwrap_or(f64::NAN);
    let window_long_tasks = long_tasks(&browser, start_perf_ms, end_perf_ms).await?;
    let memory = browser.execute(MEASURE_SCRIPT, Vec::new()).await?;

    let mut requests = 0;
    let mut per_id = Vec::new();
    let mut gaps = Vec::new();
    let mut max_in_flight = 0;
    let window_ms = start_epoch_ms as i64..end_epoch_ms as i64;
    for id in &ids {
        let log = sim.requests(id).await?;
        let times: Vec<i64> = log
            .requests
            .iter()
            .map(|request| request.at_ms)
            .filter(|at_ms| window_ms.contains(at_ms))
            .collect();
        requests += times.len();
        per_id.push(times.len() as f64);
        gaps.extend(times.windows(2).map(|pair| (pair[1] - pair[0]) as f64));
        max_in_flight = max_in_flight.max(log.max_in_flight);
    }

    Ok(ScaleRun {
        mount_to_all_shown_ms: all_shown_ms - mounted_ms,
        startup_long_tasks,
        window: Duration::from_secs_f64(((end_epoch_ms - start_epoch_ms) / 1000.0).max(0.0)),
        requests,
        ids_polled: per_id.iter().filter(|count| **count > 0.0).count(),
        requests_per_id: Summary::of(&per_id),
        gaps_ms: Summary::of(&gaps),
        max_in_flight,
        window_long_tasks,
        js_heap_bytes: memory["jsHeapBytes"].as_f64(),
        wasm_bytes: memory["wasmBytes"].as_f64(),
    })
}

async fn long_tasks(browser: &BenchBrowser, from: f64, to: f64) -> Result<[f64; 3]> {
    let value = browser
        .execute(LONG_TASKS_SCRIPT, vec![Value::from(from), Value::from(to)])
        .await?;
    let number = |index: usize| value[index].as_f64().unwrap_or(f64::NAN);
    Ok([number(0), number(1), number(2)])
}

impl Scale {
    /// Returns the rows of the summary table: measure, result, target.
    pub fn summary_rows(&self) -> Vec<[String; 3]> {
        let per_cycle: Vec<String> = self
            .runs
            .iter()
            .map(|run| {
                run.requests_per_cycle()
                    .map_or_else(|| "–".to_owned(), |value| format!("{value:.1}"))
            })
            .collect();
        let blocking: Vec<String> = self
            .runs
            .iter()
            .map(|run| {
                let cycles = run.cycles().unwrap_or(f64::NAN);
                format!("{:.1} ms", run.window_long_tasks[2] / cycles)
            })
            .collect();
        vec![
            [
                format!(
                    "Requests per cycle, {} widgets on {DISTINCT_IDS} ids",
                    DISTINCT_IDS * COPIES
                ),
                format!("{} (per run)", per_cycle.join(", ")),
                DISTINCT_IDS.to_string(),
            ],
            [
                "Blocking time per update cycle, same page".to_owned(),
                format!("{} (per run)", blocking.join(", ")),
                "–".to_owned(),
            ],
        ]
    }

    /// Returns the Markdown section.
    pub fn markdown(&self) -> String {
        let total = DISTINCT_IDS * COPIES;
        let mut text = String::from("## Scale\n\n");
        text.push_str(&format!(
            "A generated page of {total} `<task-status>` elements on {DISTINCT_IDS} distinct \
             IN_PROGRESS tasks, {COPIES} elements per id, with the default 2,000 ms poll \
             interval. Each task finishes one item a second, so every response changes the \
             view. Headless Chromium runs with `--enable-precise-memory-info` and \
             `--js-flags=--expose-gc`. Once every element fired its first \
             `task-status-change`, the run watches a window of time. Requests per id come from \
             the simulator's log, long tasks (main-thread tasks over 50 ms) from a \
             `PerformanceObserver` of type `longtask`, and memory is read after `gc()` at the \
             end of the window.\n\n\
             The window's poll cycles are its length over the median time between two \
             requests of one id, and requests per cycle are the window's requests over its \
             cycles. Widgets that share a poller make that equal the number of distinct ids \
             ({DISTINCT_IDS}). They also keep the shortest time between two requests of one id \
             near the interval, while widgets that polled on their own would send {COPIES} \
             requests per id and cycle, some of them close together. Total blocking time is the sum of \
             each long task's time over 50 ms.\n\n"
        ));

        text.push_str(
            "| run | window | requests | ids polled | requests per id | time between requests of one id, median (min) | requests per cycle | max in flight per id |\n",
        );
        text.push_str("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (index, run) in self.runs.iter().enumerate() {
            let gaps = run.gaps_ms.map_or_else(
                || "–".to_owned(),
                |gaps| format!("{:.0} ms ({:.0} ms)", gaps.median, gaps.min),
            );
            text.push_str(&format!(
                "| {} | {:.1} s | {} | {} | {} | {gaps} | {} | {} |\n",
                index + 1,
                run.window.as_secs_f64(),
                run.requests,
                run.ids_polled,
                median_range_or_none(run.requests_per_id, 0),
                run.requests_per_cycle()
                    .map_or_else(|| "–".to_owned(), |value| format!("{value:.1}")),
                run.max_in_flight
            ));
        }

        text.push_str(
            "\n| run | mount to all shown | long tasks at start-up (count, total, blocking) | long tasks per update cycle (count, blocking) | JS heap | wasm memory |\n",
        );
        text.push_str("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (index, run) in self.runs.iter().enumerate() {
            let cycles = run.cycles().unwrap_or(f64::NAN);
            let [start_count, start_total, start_blocking] = run.startup_long_tasks;
            let [count, _, blocking] = run.window_long_tasks;
            text.push_str(&format!(
                "| {} | {:.0} ms | {start_count:.0}, {start_total:.0} ms, {start_blocking:.0} ms | {:.2}, {:.1} ms | {} | {} |\n",
                index + 1,
                run.mount_to_all_shown_ms,
                count / cycles,
                blocking / cycles,
                kib(run.js_heap_bytes),
                kib(run.wasm_bytes)
            ));
        }
        text.push_str(&format!(
            "\nThe pollers are spread over time, so one update cycle is {DISTINCT_IDS} updates \
             that do not come together, each shown by {COPIES} elements.\n\n"
        ));
        text
    }
}
