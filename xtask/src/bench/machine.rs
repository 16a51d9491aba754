//! The machine, tools and source that a benchmark run used.

use std::fs;
use std::path::Path;

use crate::process;
use crate::tools::{Tools, CHROMIUM};

/// Facts about the run, each as a label and a value.
pub struct Machine {
    pub facts: Vec<(&'static str, String)>,
}

/// Collects the facts. A fact that cannot be read is shown as `unknown` or
/// `not found` instead of failing the run.
pub fn describe(tools: &Tools) -> Machine {
    let unknown = || "unknown".to_owned();
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = first_value(&cpuinfo, "model name").unwrap_or_else(unknown);
    let cores = std::thread::available_parallelism()
        .map(|count| count.to_string())
        .unwrap_or_else(|_| unknown());
    let memory = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| first_value(&text, "MemTotal"))
        .and_then(|value| value.trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(unknown, |kib| {
            format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0))
        });
    let system = fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| first_value_eq(&text, "PRETTY_NAME"))
        .unwrap_or_else(unknown);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|_| unknown());

    let version = |program: &str, arguments: &[&str]| -> String {
        let Ok(mut command) = tools.command(program) else {
            return "not found".to_owned();
        };
        process::output(command.args(arguments))
            .map(|text| text.lines().next().unwrap_or_default().trim().to_owned())
            .unwrap_or_else(|_| unknown())
    };
    let chromium = process::output(std::process::Command::new(CHROMIUM).arg("--version"))
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|_| unknown());

    Machine {
        facts: vec![
            ("date", date_utc()),
            ("source", source_state(tools.root())),
            ("CPU", cpu),
            ("cores", cores),
            ("memory", memory),
            ("system", format!("{system}, Linux {kernel}")),
            ("Chromium", chromium),
            ("rustc", version("rustc", &["--version"])),
            ("wasm-bindgen", version("wasm-bindgen", &["--version"])),
            ("wasm-opt", version("wasm-opt", &["--version"])),
            ("twiggy", version("twiggy", &["--version"])),
            ("gzip", version("gzip", &["--version"])),
            ("brotli", version("brotli", &["--version"])),
            ("wrk", wrk_version()),
        ],
    }
}

/// Returns the first line of `wrk -v`, which exits with status 1 after
/// printing its version.
fn wrk_version() -> String {
    match std::process::Command::new("wrk").arg("-v").output() {
        Ok(output) => String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap_or("unknown")
            .trim()
            .to_owned(),
        Err(_) => "not found".to_owned(),
    }
}

/// Returns the commit and whether the working tree had changes, which the
/// measured build then includes.
fn source_state(root: &Path) -> String {
    let git = |arguments: &[&str]| {
        process::output(
            std::process::Command::new("git")
                .current_dir(root)
                .args(arguments),
        )
    };
    let Ok(commit) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown (git failed)".to_owned();
    };
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
        .map(|text| !text.trim().is_empty())
        .unwrap_or(false);
    if dirty {
        format!(
            "commit {}, with uncommitted changes in the working tree",
            commit.trim()
        )
    } else {
        format!("commit {}", commit.trim())
    }
}

fn date_utc() -> String {
    process::output(std::process::Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Returns the value of the first `key : value` line.
fn first_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == key).then(|| value.trim().to_owned())
    })
}

/// Returns the value of the first `KEY=value` line, without quotes.
fn first_value_eq(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == key).then(|| value.trim().trim_matches('"').to_owned())
    })
}

impl Machine {
    /// Returns the Markdown list of the facts.
    pub fn markdown(&self) -> String {
        let mut text = String::from("| | |\n| --- | --- |\n");
        for (label, value) in &self.facts {
            text.push_str(&format!("| {label} | {value} |\n"));
        }
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_from_proc_and_os_release() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nmodel name\t: other\n";
        let os_release = "NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\n";

        assert_eq!(
            first_value(cpuinfo, "model name").as_deref(),
            Some("AMD EPYC 7B13")
        );
        assert_eq!(
            first_value_eq(os_release, "PRETTY_NAME").as_deref(),
            Some("Debian GNU/Linux 13 (trixie)")
        );
        assert_eq!(first_value(cpuinfo, "flags"), None);
    }
}
