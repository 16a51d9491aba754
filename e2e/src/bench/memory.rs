//! Memory: the JS heap and the wasm memory after many poll cycles.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::browser::{BenchBrowser, MEMORY_FLAGS};
use super::pages::ELEMENTS_PAGE;
use super::sim::SimControl;
use crate::error::{Error, Result};
use crate::simulator::encode_component;

/// `poll-interval` of the widget, in milliseconds.
pub const INTERVAL_MS: u64 = 10;

/// Maximum time for one run to reach its last checkpoint.
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs two full garbage collections when `gc()` is exposed, then returns
/// the used JS heap and the wasm memory in bytes.
pub const MEASURE_SCRIPT: &str = r#"
const gcExposed = typeof gc === "function";
if (gcExposed) { gc(); gc(); }
return {
  gcExposed,
  jsHeapBytes: performance.memory?.usedJSHeapSize ?? null,
  wasmBytes: window.__bench?.wasmMemory?.buffer.byteLength ?? null,
};
"#;

/// Memory at one checkpoint.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Requests logged by the simulator when the sample was taken.
    pub cycles: u64,
    /// Time since the page was opened.
    pub elapsed: Duration,
    pub js_heap_bytes: Option<f64>,
    pub wasm_bytes: Option<f64>,
}

/// Results of the memory benchmark.
pub struct Memory {
    runs: Vec<Vec<Sample>>,
    checkpoints: Vec<u64>,
    long_checkpoints: Vec<u64>,
    gc_exposed: bool,
}

/// Watches one fast-polling widget `runs` times, each time in a new
/// browser, and samples memory when the simulator has logged each of
/// `checkpoints` requests. The first run goes on to `long_checkpoints`.
pub async fn run(
    sim: &SimControl,
    runs: usize,
    checkpoints: &[u64],
    long_checkpoints: &[u64],
) -> Result<Memory> {
    let mut all = Vec::new();
    let mut gc_exposed = true;
    for index in 0..runs {
        let browser = BenchBrowser::start(MEMORY_FLAGS).await?;
        let task_id = sim.create_long_task(1000.0).await?;
        let url = format!(
            "{}{ELEMENTS_PAGE}?ids={}&key={}&interval={INTERVAL_MS}&timings=off",
            sim.base_url(),
            encode_component(&task_id),
            task_status_server::DEMO_API_KEY
        );
        browser.goto(&url).await?;

        let mut run_checkpoints = checkpoints.to_vec();
        if index == 0 {
            run_checkpoints.extend_from_slice(long_checkpoints);
        }
        let started = Instant::now();
        let mut samples = Vec::new();
        for checkpoint in run_checkpoints {
            let cycles = wait_for_count(sim, &task_id, checkpoint, started).await?;
            let measured = browser.execute(MEASURE_SCRIPT, Vec::new()).await?;
            gc_exposed &= measured["gcExposed"] == Value::Bool(true);
            let sample = Sample {
                cycles,
                elapsed: started.elapsed(),
                js_heap_bytes: measured["jsHeapBytes"].as_f64(),
                wasm_bytes: measured["wasmBytes"].as_f64(),
            };
            println!(
                "    memory run {}/{runs}, {cycles} cycles in {:.0} s: JS heap {}, wasm {}",
                index + 1,
                sample.elapsed.as_secs_f64(),
                kib(sample.js_heap_bytes),
                kib(sample.wasm_bytes)
            );
            samples.push(sample);
        }
        all.push(samples);
    }
    Ok(Memory {
        runs: all,
        checkpoints: checkpoints.to_vec(),
        long_checkpoints: long_checkpoints.to_vec(),
        gc_exposed,
    })
}

async fn wait_for_count(
    sim: &SimControl,
    task_id: &str,
    count: u64,
    started: Instant,
) -> Result<u64> {
    loop {
        let seen = sim.requests(task_id).await?.count;
        if seen >= count {
            return Ok(seen);
        }
        if started.elapsed() > RUN_TIMEOUT {
            return Err(Error::Setup(format!(
                "the widget sent {seen} requests in {RUN_TIMEOUT:?}, expected {count}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Formats bytes as KiB with one decimal.
pub fn kib(bytes: Option<f64>) -> String {
    bytes.map_or_else(|| "–".to_owned(), |b| format!("{:.1} KiB", b / 1024.0))
}

/// Formats a difference of bytes as signed KiB.
fn kib_delta(from: Option<f64>, to: Option<f64>) -> String {
    match (from, to) {
        (Some(from), Some(to)) => signed_kib(to - from),
        _ => "–".to_owned(),
    }
}

/// Formats the growth between two samples per 1,000 cycles, in KiB.
fn kib_per_thousand(from: Option<f64>, to: Option<f64>, cycles: u64) -> String {
    match (from, to) {
        (Some(from), Some(to)) if cycles > 0 => signed_kib((to - from) * 1000.0 / cycles as f64),
        _ => "–".to_owned(),
    }
}

/// Formats bytes as signed KiB with one decimal, and a change that rounds
/// to zero as `0.0 KiB` rather than `-0.0 KiB`.
fn signed_kib(bytes: f64) -> String {
    let kib = bytes / 1024.0;
    if kib.abs() < 0.05 {
        "0.0 KiB".to_owned()
    } else {
        format!("{kib:+.1} KiB")
    }
}

/// Returns the sample taken at `checkpoint` cycles or just after.
fn sample_at(samples: &[Sample], checkpoint: u64) -> Option<&Sample> {
    samples.iter().find(|sample| sample.cycles >= checkpoint)
}

impl Memory {
    /// Returns the rows of the summary table: measure, result, target.
    pub fn summary_rows(&self) -> Vec<[String; 3]> {
        let first = self.checkpoints.first().copied().unwrap_or_default();
        let last = self.checkpoints.last().copied().unwrap_or_default();
        let mut growth = Vec::new();
        for samples in &self.runs {
            let (Some(from), Some(to)) = (sample_at(samples, first), sample_at(samples, last))
            else {
                continue;
            };
            growth.push(format!(
                "JS heap {}, wasm {}",
                kib_delta(from.js_heap_bytes, to.js_heap_bytes),
                kib_delta(from.wasm_bytes, to.wasm_bytes)
            ));
        }
        let mut rows = vec![[
            format!("Memory growth from {first} to {last} poll cycles"),
            format!("{} (per run)", growth.join("; ")),
            "flat".to_owned(),
        ]];
        let long_start = self.long_checkpoints.first().copied().unwrap_or(last);
        let long = self
            .runs
            .first()
            .and_then(|samples| Some((sample_at(samples, long_start)?, samples.last()?)));
        if let Some((from, to)) = long.filter(|(from, to)| to.cycles > from.cycles) {
            rows.push([
                format!(
                    "Memory growth from {} to {} poll cycles",
                    from.cycles, to.cycles
                ),
                format!(
                    "JS heap {}, wasm {} (first run)",
                    kib_delta(from.js_heap_bytes, to.js_heap_bytes),
                    kib_delta(from.wasm_bytes, to.wasm_bytes)
                ),
                "flat".to_owned(),
            ]);
        }
        rows
    }

    /// Returns the Markdown section.
    pub fn markdown(&self) -> String {
        let mut text = String::from("## Memory\n\n");
        text.push_str(&format!(
            "One `<task-status poll-interval=\"{INTERVAL_MS}\">` element on a page of its own, \
             polling an IN_PROGRESS task whose counts change on every response (1,000 items a \
             second), in headless Chromium started with `--enable-precise-memory-info` and \
             `--js-flags=--expose-gc`. The page keeps no Resource Timing entries \
             (`performance.setResourceTimingBufferSize(0)`), so the browser's own log of \
             requests does not grow the heap. When the simulator has logged each checkpoint's \
             number of requests (one request is one poll cycle), the run calls `gc()` twice and \
             reads `performance.memory.usedJSHeapSize` (Chromium only) and the `byteLength` of \
             the module's `WebAssembly.Memory`. Each run uses a new browser, and the first run \
             goes on to later checkpoints.{}\n\n",
            if self.gc_exposed {
                ""
            } else {
                " NOTE: `gc()` was not exposed in every run, so those heap figures include garbage."
            }
        ));

        text.push_str(
            "| run | cycles | time since load | JS heap | wasm memory |\n\
             | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for (index, samples) in self.runs.iter().enumerate() {
            for sample in samples {
                text.push_str(&format!(
                    "| {} | {} | {:.0} s | {} | {} |\n",
                    index + 1,
                    sample.cycles,
                    sample.elapsed.as_secs_f64(),
                    kib(sample.js_heap_bytes),
                    kib(sample.wasm_bytes)
                ));
            }
        }

        text.push_str(
            "\nGrowth between consecutive checkpoints, per 1,000 cycles, so that a steady \
             leak shows as the same figure in every row and a one-time cost only in the first:\n\n\
             | run | cycles | JS heap per 1,000 cycles | wasm memory per 1,000 cycles |\n\
             | ---: | ---: | ---: | ---: |\n",
        );
        for (index, samples) in self.runs.iter().enumerate() {
            for pair in samples.windows(2) {
                let (from, to) = (&pair[0], &pair[1]);
                let cycles = to.cycles.saturating_sub(from.cycles);
                text.push_str(&format!(
                    "| {} | {} to {} | {} | {} |\n",
                    index + 1,
                    from.cycles,
                    to.cycles,
                    kib_per_thousand(from.js_heap_bytes, to.js_heap_bytes, cycles),
                    kib_per_thousand(from.wasm_bytes, to.wasm_bytes, cycles)
                ));
            }
        }
        text.push_str(
            "\nThe wasm memory only grows, in 64 KiB pages, because a `WebAssembly.Memory` \
             never shrinks: equal sizes mean the allocator reused its free memory.\n\n",
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_kib_has_no_negative_zero() {
        assert_eq!(signed_kib(-10.0), "0.0 KiB");
        assert_eq!(signed_kib(2048.0), "+2.0 KiB");
        assert_eq!(signed_kib(-1536.0), "-1.5 KiB");
    }
}
