//! `cargo xtask bench`: measures the widget and rewrites
//! `docs/benchmarks.md`.
//!
//! xtask builds the page, the package and the release server, and measures
//! the file sizes and the crate breakdown of the wasm itself. It then runs
//! the `bench` binary of the e2e crate for the browser and proxy figures,
//! and writes one page from both. `--smoke` runs every step with fewer and
//! shorter repetitions and writes to a temporary file instead.

mod experiments;
mod machine;
mod size;
mod twiggy;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::build;
use crate::error::{Context, Result};
use crate::process;
use crate::server::{self, Profile};
use crate::tools::{self, CHROMEDRIVER, CHROMIUM};

/// Options of `cargo xtask bench`.
pub struct BenchOptions {
    /// Runs a quick pass and writes to a temporary file.
    pub smoke: bool,
}

/// The published page, relative to the repository root.
const PAGE_PATH: &str = "docs/benchmarks.md";

/// Builds, measures and writes the page.
pub fn run(root: &Path, options: &BenchOptions) -> Result<()> {
    let started = Instant::now();
    let tools = tools::ensure_page_tools(root)?;
    tools::ensure_browser(&tools)?;
    twiggy::ensure_twiggy(&tools)?;

    let dist = build::build_page(&tools)?;
    let server_binary = server::build_server(&tools, Profile::Release)?;
    let target_dir = server::target_directory(&tools)?;
    let work_dir = target_dir.join("bench");
    fs::create_dir_all(&work_dir)
        .with_context(|| format!("failed to create {}", work_dir.display()))?;

    process::announce("measure file sizes");
    let bundles = [
        size::measure_page(&tools, &dist)?,
        size::measure_package(&tools, &dist)?,
    ];
    let shipped_wasm = bundles[0]
        .files
        .iter()
        .filter(|file| file.kind == "wasm")
        .map(|file| file.raw)
        .sum();

    process::announce("analyse the page's wasm with twiggy");
    let breakdown = twiggy::analyse(
        &tools,
        &twiggy::compiled_page_wasm(&target_dir),
        &work_dir.join("names"),
    )?;

    let sections = work_dir.join("browser-sections.md");
    let summary = work_dir.join("browser-summary.md");
    let mut browser = tools.cargo();
    browser
        .args([
            "run",
            "--release",
            "--package",
            "e2e",
            "--bin",
            "bench",
            "--",
        ])
        .arg("--output")
        .arg(&sections)
        .arg("--summary")
        .arg(&summary)
        .arg("--server-binary")
        .arg(&server_binary)
        .env("TASK_STATUS_DIST", &dist)
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("CHROMIUM", CHROMIUM);
    if options.smoke {
        browser.arg("--smoke");
    }
    process::run(&mut browser)?;
    let sections = read(&sections)?;
    let summary = read(&summary)?;

    let machine = machine::describe(&tools);
    let page = Page {
        smoke: options.smoke,
        bundles: &bundles,
        breakdown: &breakdown,
        shipped_wasm,
        browser_sections: &sections,
        browser_summary: &summary,
        machine: &machine,
        minutes: started.elapsed().as_secs_f64() / 60.0,
    }
    .markdown();

    let output = if options.smoke {
        std::env::temp_dir().join("task-status-benchmarks-smoke.md")
    } else {
        root.join(PAGE_PATH)
    };
    fs::write(&output, page).with_context(|| format!("failed to write {}", output.display()))?;
    println!(
        "    benchmarks written to {} in {:.1} min",
        output.display(),
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

fn read(path: &PathBuf) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("failed to read {}", path.display()))
}

/// Everything the page shows.
struct Page<'a> {
    smoke: bool,
    bundles: &'a [size::Bundle],
    breakdown: &'a twiggy::Breakdown,
    shipped_wasm: u64,
    browser_sections: &'a str,
    browser_summary: &'a str,
    machine: &'a machine::Machine,
    minutes: f64,
}

impl Page<'_> {
    fn markdown(&self) -> String {
        let mut text = String::from("# Benchmarks\n\n");
        if self.smoke {
            text.push_str(
                "**Smoke run** (`cargo xtask bench --smoke`): too few repetitions to publish; \
                 it only checks that every benchmark runs.\n\n",
            );
        }
        let date = self
            .machine
            .facts
            .iter()
            .find(|(label, _)| *label == "date")
            .map_or("an unknown date", |(_, value)| value.as_str());
        text.push_str(&format!(
            "`cargo xtask bench` wrote this page on {date} in {:.0} minutes, builds included; \
             rerun it to refresh every figure. Each section states its method. The machine \
             (see [Machine](#machine)) is shared with other work and has 2 cores, so each \
             measure runs several times and shows its median and spread; compare figures \
             within one run rather than across runs. The benchmarks are not part of \
             `cargo xtask test`; `cargo xtask bench --smoke` runs each one briefly and writes \
             to a temporary file instead of this page.\n\n",
            self.minutes
        ));

        text.push_str("## Summary\n\n| measure | result | target |\n| --- | --- | --- |\n");
        for bundle in self.bundles {
            let (_, gzip, _) = bundle.totals();
            text.push_str(&format!(
                "| Size, {}, gzip | {} | under {} |\n",
                bundle.title,
                size::kb(gzip),
                size::kb(size::BUDGET_GZIP_BYTES)
            ));
        }
        text.push_str(self.browser_summary);
        text.push('\n');

        text.push_str(&self.size_section());
        text.push_str(self.browser_sections);
        text.push_str("## Machine\n\n");
        text.push_str(&self.machine.markdown());
        text.push_str(
            "The browser benchmarks run headless Chromium through chromedriver with the flags \
             of the end-to-end tests (`e2e/src/browser.rs`), plus \
             `--enable-precise-memory-info` and `--js-flags=--expose-gc` for the memory and \
             scale pages. Every server binds 127.0.0.1.\n",
        );
        text
    }

    fn size_section(&self) -> String {
        let mut text = String::from("## Size\n\n");
        text.push_str(
            "Bytes of the release build that `cargo xtask build` writes: the Trunk page in \
             `dist/` and the package in `dist/pkg/`. Raw is the file size, gzip is \
             `gzip -9 -n`, brotli is `brotli -q 11`; kB is 1,000 bytes. The snippets are the \
             inline JavaScript of `#[wasm_bindgen(inline_js)]`, which the glue imports. \
             `index.html` is left out. The package's `task-status.css` is for pages that \
             render the Leptos component themselves: the `<task-status>` element carries the \
             same stylesheet inside the wasm and does not load the file.\n\n",
        );
        text.push_str(&size::markdown(self.bundles));

        text.push_str(&format!(
            "### Budget\n\nThe budget is {} gzip for everything the widget downloads \
             (wasm, JavaScript and CSS).\n\n",
            size::kb(size::BUDGET_GZIP_BYTES)
        ));
        text.push_str(&size::budget_lines(self.bundles));
        text.push_str(
            "\nFor scale, the project brief quotes about 59 kB gzip for a minimal Leptos page \
             that fetches a task and draws a bar, and about 80 kB for React 19 with TanStack \
             Query. Neither figure was measured here.\n\n",
        );
        text.push_str(&self.why_missed());

        text.push_str("### What the page's wasm is made of\n\n");
        text.push_str(
            "`twiggy top` (csv output, shallow and `--retained`) on a copy of the page's wasm \
             built from the same cargo output with `wasm-bindgen --keep-debug` and \
             `wasm-opt -Oz -g`, which keeps the function names that the shipped file drops.\n\n",
        );
        text.push_str(&self.breakdown.markdown(self.shipped_wasm));
        text.push_str(&experiments::markdown());
        text
    }

    /// Explains the budget miss from the measured breakdown.
    fn why_missed(&self) -> String {
        let code_and_data = (self.breakdown.file_bytes - self.breakdown.names_bytes) as f64;
        let share = |label_start: &str| -> f64 {
            let bytes: u64 = self
                .breakdown
                .groups
                .iter()
                .filter(|group| group.label.starts_with(label_start))
                .map(|group| group.bytes)
                .sum();
            100.0 * bytes as f64 / code_and_data
        };
        let page = &self.bundles[0];
        let (_, page_gzip, _) = page.totals();
        let gap = page_gzip.saturating_sub(size::BUDGET_GZIP_BYTES);
        let saved = experiments::combined_saving_gzip();
        let mut text = format!(
            "Why: the wasm is {:.0} % of the page's gzip bytes. By raw bytes of the page's \
             wasm (next section), Leptos's renderer and reactive system are the largest part, \
             at {:.0} %. Then come the rest of std with the allocator ({:.0} %), constant data \
             ({:.0} %), this crate's own code ({:.0} %), std formatting ({:.0} %), the \
             wasm-bindgen, web-sys and gloo glue ({:.0} %), serde ({:.0} %) and `time` \
             ({:.0} %). Rust compiles each generic view and closure into code of its own, so the \
             component's size grows with every element and reactive attribute.",
            100.0 * page.wasm_gzip() as f64 / page_gzip as f64,
            share("Leptos"),
            share("std other"),
            share("data segments"),
            share("this crate"),
            share("std formatting"),
            share("glue"),
            share("serde"),
            share("time"),
        );
        if gap > 0 {
            text.push_str(&format!(
                " The size experiments below saved {} gzip with four changes on commit {}, \
                 {:.0} % of today's gap of {}.",
                size::kb(saved),
                experiments::base_commit(),
                100.0 * saved as f64 / gap as f64,
                size::kb(gap)
            ));
        }
        text.push_str("\n\n");
        text
    }
}
