//! Transfer sizes of the built files: raw, gzip and brotli.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{bail, Context, Result};
use crate::process;
use crate::tools::Tools;

/// The size budget of everything one page downloads for the widget, gzip
/// compressed, in bytes (55 kB).
pub const BUDGET_GZIP_BYTES: u64 = 55_000;

/// One file and its sizes in bytes.
pub struct FileSize {
    /// The file's role, such as `wasm` or `JS glue`.
    pub kind: &'static str,
    /// Path relative to `dist/`.
    pub name: String,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

/// The files of one build and their totals.
pub struct Bundle {
    /// The bundle's name, such as `Trunk page`.
    pub title: &'static str,
    pub files: Vec<FileSize>,
}

impl Bundle {
    /// Returns the sums of raw, gzip and brotli sizes.
    pub fn totals(&self) -> (u64, u64, u64) {
        self.files
            .iter()
            .fold((0, 0, 0), |(raw, gzip, brotli), file| {
                (raw + file.raw, gzip + file.gzip, brotli + file.brotli)
            })
    }

    /// Returns the gzip size of the wasm files.
    pub fn wasm_gzip(&self) -> u64 {
        self.files
            .iter()
            .filter(|file| file.kind == "wasm")
            .map(|file| file.gzip)
            .sum()
    }
}

/// Measures the Trunk page's files in `dist`: the wasm, the JS glue and its
/// snippets, and the CSS. `index.html` is left out, as every page has one.
pub fn measure_page(tools: &Tools, dist: &Path) -> Result<Bundle> {
    let mut files = Vec::new();
    for path in sorted_files(dist)? {
        let kind = match path.extension().and_then(|extension| extension.to_str()) {
            Some("wasm") => "wasm",
            Some("js") => "JS glue",
            Some("css") => "CSS",
            _ => continue,
        };
        files.push(measure(tools, dist, &path, kind)?);
    }
    files.extend(measure_snippets(tools, dist, &dist.join("snippets"))?);
    Ok(Bundle {
        title: "Trunk page (`dist/`)",
        files,
    })
}

/// Measures the package in `dist/pkg`: the wasm, the wasm-bindgen glue, the
/// entry module, the snippets and the stylesheet.
pub fn measure_package(tools: &Tools, dist: &Path) -> Result<Bundle> {
    let package = dist.join("pkg");
    let mut files = Vec::new();
    for (name, kind) in [
        ("task_status_widget_bg.wasm", "wasm"),
        ("task_status_widget.js", "JS glue"),
        ("index.js", "JS entry"),
        ("task-status.css", "CSS"),
    ] {
        files.push(measure(tools, dist, &package.join(name), kind)?);
    }
    files.extend(measure_snippets(tools, dist, &package.join("snippets"))?);
    Ok(Bundle {
        title: "Package (`dist/pkg/`)",
        files,
    })
}

fn measure_snippets(tools: &Tools, dist: &Path, folder: &Path) -> Result<Vec<FileSize>> {
    let mut files = Vec::new();
    if folder.is_dir() {
        for path in all_files(folder)? {
            if path.extension().is_some_and(|extension| extension == "js") {
                files.push(measure(tools, dist, &path, "JS snippet")?);
            }
        }
    }
    Ok(files)
}

fn measure(tools: &Tools, dist: &Path, path: &Path, kind: &'static str) -> Result<FileSize> {
    let raw = fs::metadata(path)
        .with_context(|| format!("failed to read {}", path.display()))?
        .len();
    // -n leaves the file name and time out of the header, as a web server does.
    let gzip = compressed_size(tools.command("gzip")?.args(["-9", "-n", "-c"]).arg(path))?;
    let brotli = compressed_size(tools.command("brotli")?.args(["-q", "11", "-c"]).arg(path))?;
    let name = path
        .strip_prefix(dist)
        .unwrap_or(path)
        .display()
        .to_string();
    Ok(FileSize {
        kind,
        name,
        raw,
        gzip,
        brotli,
    })
}

fn compressed_size(command: &mut std::process::Command) -> Result<u64> {
    let description = process::describe(command);
    let output = command
        .output()
        .with_context(|| format!("failed to start `{description}`"))?;
    if !output.status.success() {
        bail!(
            "`{description}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout.len() as u64)
}

/// Returns the files directly in `folder`, sorted by name.
fn sorted_files(folder: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries =
        fs::read_dir(folder).with_context(|| format!("failed to read {}", folder.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("failed to read {}", folder.display()))?
            .path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Returns every file under `folder`, sorted by path.
fn all_files(folder: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(current) = folders.pop() {
        let entries = fs::read_dir(&current)
            .with_context(|| format!("failed to read {}", current.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("failed to read {}", current.display()))?
                .path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Formats bytes as kB (1,000 bytes) with one decimal.
pub fn kb(bytes: u64) -> String {
    format!("{:.1} kB", bytes as f64 / 1000.0)
}

/// Returns the Markdown tables of the bundles.
pub fn markdown(bundles: &[Bundle]) -> String {
    let mut text = String::new();
    for bundle in bundles {
        text.push_str(&format!(
            "{}:\n\n| file | kind | raw | gzip -9 | brotli -q 11 |\n| --- | --- | ---: | ---: | ---: |\n",
            bundle.title
        ));
        for file in &bundle.files {
            text.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                file.name,
                file.kind,
                kb(file.raw),
                kb(file.gzip),
                kb(file.brotli)
            ));
        }
        let (raw, gzip, brotli) = bundle.totals();
        text.push_str(&format!(
            "| **total** | | **{}** | **{}** | **{}** |\n\n",
            kb(raw),
            kb(gzip),
            kb(brotli)
        ));
    }
    text
}

/// Returns the budget verdict of each bundle, as list items.
pub fn budget_lines(bundles: &[Bundle]) -> String {
    let mut text = String::new();
    for bundle in bundles {
        let (_, gzip, _) = bundle.totals();
        let verdict = if gzip <= BUDGET_GZIP_BYTES {
            format!(
                "within the budget, {} under it",
                kb(BUDGET_GZIP_BYTES - gzip)
            )
        } else {
            format!(
                "**budget missed** by {} ({:.1} times the budget); the wasm alone is {}",
                kb(gzip - BUDGET_GZIP_BYTES),
                gzip as f64 / BUDGET_GZIP_BYTES as f64,
                kb(bundle.wasm_gzip())
            )
        };
        text.push_str(&format!(
            "- {}: {} gzip in all, {verdict}.\n",
            bundle.title,
            kb(gzip)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kb_has_one_decimal() {
        assert_eq!(kb(55_000), "55.0 kB");
        assert_eq!(kb(130_449), "130.4 kB");
    }
}
