//! Start-up: the time from navigation to the first task status on screen.

use std::time::Duration;

use serde_json::Value;

use super::browser::BenchBrowser;
use super::sim::SimControl;
use super::stats::Summary;
use crate::error::Result;
use crate::simulator::encode_component;

/// Maximum wait for the first status of one load.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Returns `null` until the probe saw the first status, then the times of
/// the steps before it, in milliseconds since the navigation started, and
/// the bytes of the page's files that came over the network.
const TIMING_SCRIPT: &str = r#"
const bench = window.__bench;
if (!bench || bench.firstStatusMs === null) return null;
const resources = performance.getEntriesByType("resource");
const find = (test) => resources.find((entry) => test(new URL(entry.name).pathname)) ?? null;
const wasm = find((path) => path.endsWith(".wasm"));
const probe = find((path) => path === "/sim/tasks");
const task = find((path) => path.startsWith("/v1/enterprise/task/"));
const navigation = performance.getEntriesByType("navigation")[0] ?? null;
const files = resources.filter((entry) => !new URL(entry.name).pathname.match(/^\/(sim|v1)\//));
return {
  firstStatusMs: bench.firstStatusMs,
  htmlEndMs: navigation?.responseEnd ?? null,
  wasmEndMs: wasm?.responseEnd ?? null,
  appStartedMs: bench.appStartedMs,
  probeEndMs: probe?.responseEnd ?? null,
  taskStartMs: task?.startTime ?? null,
  taskEndMs: task?.responseEnd ?? null,
  fileCount: files.length,
  transferredBytes: files.reduce((sum, entry) => sum + entry.transferSize, 0),
};
"#;

/// The steps of one load, in milliseconds since navigation started.
const STEPS: &[(&str, &str)] = &[
    ("htmlEndMs", "HTML received"),
    ("wasmEndMs", "wasm received"),
    (
        "appStartedMs",
        "wasm instantiated, app started (`TrunkApplicationStarted`)",
    ),
    ("probeEndMs", "simulator probe `GET /sim/tasks` answered"),
    ("taskStartMs", "first task request sent"),
    ("taskEndMs", "first task response received"),
    ("firstStatusMs", "status in the DOM"),
];

/// Loads of one kind: each load's timing object.
struct LoadSeries {
    loads: Vec<Value>,
}

impl LoadSeries {
    fn values(&self, field: &str) -> Vec<f64> {
        self.loads
            .iter()
            .filter_map(|load| load[field].as_f64())
            .collect()
    }

    fn summary(&self, field: &str) -> Option<Summary> {
        Summary::of(&self.values(field))
    }

    /// Summarises the time from step `from` to step `to` of each load.
    fn gap_summary(&self, from: &str, to: &str) -> Option<Summary> {
        let gaps: Vec<f64> = self
            .loads
            .iter()
            .filter_map(|load| Some(load[to].as_f64()? - load[from].as_f64()?))
            .collect();
        Summary::of(&gaps)
    }
}

/// Results of the start-up benchmark.
pub struct Startup {
    cold: LoadSeries,
    warm: LoadSeries,
}

/// Loads the standalone page `loads` times in a new browser each (fresh
/// profile, empty cache), then `loads` times more in one browser (warm
/// cache), each time on a new IN_PROGRESS task.
pub async fn run(sim: &SimControl, loads: usize) -> Result<Startup> {
    let mut cold = Vec::new();
    for index in 0..loads {
        let browser = BenchBrowser::start(&[]).await?;
        let timing = load_once(&browser, sim).await?;
        println!(
            "    start-up, fresh profile, load {}/{loads}: {:.0} ms",
            index + 1,
            timing["firstStatusMs"].as_f64().unwrap_or(f64::NAN)
        );
        cold.push(timing);
    }

    let browser = BenchBrowser::start(&[]).await?;
    // The first load fills the cache and is not counted.
    load_once(&browser, sim).await?;
    let mut warm = Vec::new();
    for index in 0..loads {
        let timing = load_once(&browser, sim).await?;
        println!(
            "    start-up, warm cache, load {}/{loads}: {:.0} ms",
            index + 1,
            timing["firstStatusMs"].as_f64().unwrap_or(f64::NAN)
        );
        warm.push(timing);
    }

    Ok(Startup {
        cold: LoadSeries { loads: cold },
        warm: LoadSeries { loads: warm },
    })
}

async fn load_once(browser: &BenchBrowser, sim: &SimControl) -> Result<Value> {
    let task_id = sim.create_long_task(1.0).await?;
    let url = format!("{}/?taskId={}", sim.base_url(), encode_component(&task_id));
    browser.goto(&url).await?;
    browser
        .wait_for_value("the first task status", TIMING_SCRIPT, LOAD_TIMEOUT)
        .await
}

impl Startup {
    /// Returns the rows of the summary table: measure, result, target.
    pub fn summary_rows(&self) -> Vec<[String; 3]> {
        [("fresh profile", &self.cold), ("warm cache", &self.warm)]
            .into_iter()
            .map(|(name, series)| {
                let result = series.summary("firstStatusMs").map_or_else(
                    || "not measured".to_owned(),
                    |s| {
                        format!(
                            "{:.0} ms median, p10–p90 {:.0}–{:.0} ms, {} loads",
                            s.median, s.p10, s.p90, s.count
                        )
                    },
                );
                [
                    format!("Start-up to first status, {name}"),
                    result,
                    "–".to_owned(),
                ]
            })
            .collect()
    }

    /// Returns the Markdown section.
    pub fn markdown(&self) -> String {
        let mut text = String::from("## Start-up\n\n");
        text.push_str(
            "Time from the start of navigation to the first task status in the DOM of the \
             standalone page (`dist/index.html`), in milliseconds. The page was served by the \
             simulator in-process on 127.0.0.1 and opened in headless Chromium through \
             chromedriver, with the flags of the end-to-end tests. A script added as the first \
             element of the page's `<head>` (in a temporary copy of `dist/`) watches \
             `[data-testid=task-status]` with a `MutationObserver` and records \
             `performance.now()`, which counts from the navigation start (`timeOrigin`), when \
             its `data-status` becomes non-empty. Each load watches a new IN_PROGRESS task.\n\n\
             - Fresh profile: a new Chromium process and an empty profile for every load, so \
             nothing is cached.\n\
             - Warm cache: one Chromium session loads the page again and again after one load \
             that is not counted. The simulator serves files with `Last-Modified` and no \
             `Cache-Control`, so Chromium may reuse them by its heuristic.\n\n",
        );

        text.push_str(
            "| load | loads | median | p10 | p90 | min | max | bytes over the network, median |\n",
        );
        text.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (name, series) in [("fresh profile", &self.cold), ("warm cache", &self.warm)] {
            let Some(summary) = series.summary("firstStatusMs") else {
                text.push_str(&format!("| {name} | 0 | not measured | | | | | |\n"));
                continue;
            };
            let bytes = series.summary("transferredBytes").map_or_else(
                || "–".to_owned(),
                |s| format!("{:.1} kB", s.median / 1000.0),
            );
            text.push_str(&format!(
                "| {name} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {bytes} |\n",
                summary.count, summary.median, summary.p10, summary.p90, summary.min, summary.max
            ));
        }

        text.push_str(
            "\nWhere the time goes: the median time at which each step ended, in milliseconds \
             since navigation start, from the Navigation and Resource Timing entries of the \
             same loads.\n\n",
        );
        text.push_str("| step | fresh profile | warm cache |\n| --- | ---: | ---: |\n");
        for (field, label) in STEPS {
            text.push_str(&format!(
                "| {label} | {} | {} |\n",
                median_or_dash(self.cold.summary(field)),
                median_or_dash(self.warm.summary(field)),
            ));
        }
        text.push_str(&format!(
            "\nThe standalone page asks the simulator for its demo key (`GET /sim/tasks`) before \
             the widget starts, so that the first task request carries the key. Each poller also \
             waits a random 0 to 250 ms before its first request, so that widgets on different \
             ids do not fire together, and a page with one widget pays that delay too. From the \
             probe's answer to the first task request, the median load waited {} ms with a \
             fresh profile and {} ms with a warm cache. The random wait is 125 ms on average, \
             and the first poller of a page could skip it.\n\n",
            median_or_dash(self.cold.gap_summary("probeEndMs", "taskStartMs")),
            median_or_dash(self.warm.gap_summary("probeEndMs", "taskStartMs")),
        ));
        text
    }
}

fn median_or_dash(summary: Option<Summary>) -> String {
    summary.map_or_else(|| "–".to_owned(), |s| format!("{:.0}", s.median))
}
