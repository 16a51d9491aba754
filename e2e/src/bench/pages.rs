//! A temporary copy of the built page with the benchmarks' probes added.
//!
//! The copy's `index.html` gets [`PROBE_SCRIPT`] as the first script of its
//! head, so the probe runs before the page's module. The copy also gets
//! `bench/elements.html`, a page of `<task-status>` elements from
//! `pkg/index.js`. The built `dist/` itself is never changed.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Path of the element page inside the copy.
pub const ELEMENTS_PAGE: &str = "/bench/elements.html";

/// Records into `window.__bench` what the benchmarks read:
///
/// - `firstStatusMs`: `performance.now()` (milliseconds since the
///   navigation started) when `[data-testid=task-status]` in the light DOM
///   first gets a non-empty `data-status`, seen by a `MutationObserver`;
/// - `shown`, `firstShownMs`, `allShownMs`: how many `<task-status>`
///   elements fired their first `task-status-change` event, and when the
///   first and the latest did (their status sits in a shadow root, out of
///   the observer's reach);
/// - `endedEpochMs`, `endedStatus`: `Date.now()` and the status of the
///   latest `task-status-end` event;
/// - `appStartedMs` and `wasmMemory`: the time of Trunk's
///   `TrunkApplicationStarted` event and the module's `WebAssembly.Memory`;
/// - `longTasks`: `[startTime, duration]` of every long task (over 50 ms).
pub const PROBE_SCRIPT: &str = r#"<script>
(() => {
  const bench = (window.__bench = {
    firstStatusMs: null, shown: 0, firstShownMs: null, allShownMs: null,
    changeEvents: 0, endedEpochMs: null, endedStatus: null,
    appStartedMs: null, wasmMemory: null, longTasks: [],
  });
  const observer = new MutationObserver(() => {
    const root = document.querySelector('[data-testid="task-status"][data-status]');
    if (root !== null && root.getAttribute("data-status") !== "") {
      bench.firstStatusMs = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"],
  });
  addEventListener("TrunkApplicationStarted", (event) => {
    bench.appStartedMs = performance.now();
    bench.wasmMemory = event.detail?.wasm?.memory ?? null;
  });
  const seen = new WeakSet();
  document.addEventListener("task-status-change", (event) => {
    bench.changeEvents += 1;
    if (seen.has(event.target)) return;
    seen.add(event.target);
    const now = performance.now();
    bench.shown += 1;
    bench.firstShownMs ??= now;
    bench.allShownMs = now;
  });
  document.addEventListener("task-status-end", (event) => {
    bench.endedEpochMs = Date.now();
    bench.endedStatus = event.detail?.status ?? null;
  });
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (error) {
    bench.longTaskError = String(error);
  }
})();
</script>
"#;

/// The element page, with these query parameters:
///
/// - `ids`: task ids separated by commas;
/// - `copies`: elements per id, default 1;
/// - `interval`: the `poll-interval` attribute, left out when absent;
/// - `key`: set as the `apiKey` property before the element is added;
/// - `timings=off`: the browser keeps no Resource Timing entries, so
///   thousands of requests do not grow the heap by themselves.
const ELEMENTS_HTML: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Benchmark: task-status elements</title>
    PROBE
  </head>
  <body>
    <main id="widgets"></main>
    <script type="module">
      import { ready } from "/pkg/index.js";
      import init from "/pkg/task_status_widget.js";

      const params = new URLSearchParams(location.search);
      performance.setResourceTimingBufferSize(params.get("timings") === "off" ? 0 : 100000);
      await ready;
      // The module is already initialised, so init() returns its exports.
      window.__bench.wasmMemory = (await init()).memory;

      const ids = (params.get("ids") ?? "").split(",").filter((id) => id !== "");
      const copies = Number(params.get("copies") ?? "1");
      const container = document.getElementById("widgets");
      for (let copy = 0; copy < copies; copy += 1) {
        for (const id of ids) {
          const element = document.createElement("task-status");
          element.apiKey = params.get("key") ?? undefined;
          if (params.has("interval")) element.setAttribute("poll-interval", params.get("interval"));
          element.setAttribute("task-id", id);
          container.append(element);
        }
      }
      window.__bench.mountedMs = performance.now();
    </script>
  </body>
</html>
"#;

/// A copy of the built page under the system's temporary folder, removed on
/// drop.
pub struct BenchDist {
    path: PathBuf,
}

impl BenchDist {
    /// Copies `dist` and adds the probes.
    pub fn create(dist: &Path) -> Result<Self> {
        let path = std::env::temp_dir().join(format!("task-status-bench-{}", std::process::id()));
        if path.exists() {
            fs::remove_dir_all(&path)
                .map_err(|error| Error::io(format!("failed to empty {}", path.display()), error))?;
        }
        copy_folder(dist, &path)?;
        let copy = Self { path };

        let index = copy.path.join("index.html");
        let html = read(&index)?;
        write(&index, &inject_probe(&html)?)?;

        let bench = copy.path.join("bench");
        fs::create_dir_all(&bench)
            .map_err(|error| Error::io(format!("failed to create {}", bench.display()), error))?;
        write(
            &bench.join("elements.html"),
            &ELEMENTS_HTML.replace("PROBE", PROBE_SCRIPT),
        )?;
        Ok(copy)
    }

    /// Returns the folder to serve.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for BenchDist {
    fn drop(&mut self) {
        if let Err(error) = fs::remove_dir_all(&self.path) {
            eprintln!("failed to remove {}: {error}", self.path.display());
        }
    }
}

/// Puts [`PROBE_SCRIPT`] right after `<head>`, before Trunk's module script.
fn inject_probe(html: &str) -> Result<String> {
    let Some(start) = html.find("<head>") else {
        return Err(Error::Setup(
            "the built index.html has no <head> for the benchmark probe".to_owned(),
        ));
    };
    let end = start + "<head>".len();
    Ok(format!("{}\n{PROBE_SCRIPT}{}", &html[..end], &html[end..]))
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path)
        .map_err(|error| Error::io(format!("failed to read {}", path.display()), error))
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text)
        .map_err(|error| Error::io(format!("failed to write {}", path.display()), error))
}

fn copy_folder(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)
        .map_err(|error| Error::io(format!("failed to create {}", to.display()), error))?;
    let entries = fs::read_dir(from)
        .map_err(|error| Error::io(format!("failed to read {}", from.display()), error))?;
    for entry in entries {
        let entry = entry
            .map_err(|error| Error::io(format!("failed to read {}", from.display()), error))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_folder(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target).map_err(|error| {
                Error::io(format!("failed to copy to {}", target.display()), error)
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_goes_first_in_head() {
        let html = "<html><head><script type=\"module\">x</script></head></html>";

        let injected = inject_probe(html).unwrap();

        let probe = injected.find("window.__bench").unwrap();
        let module = injected.find("type=\"module\"").unwrap();
        assert!(probe < module, "{injected}");
    }

    #[test]
    fn page_without_head_is_rejected() {
        assert!(inject_probe("<html></html>").is_err());
    }
}
