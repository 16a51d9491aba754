//! The npm-style package of the widget: an ES module that registers the
//! `<task-status>` element and exports `mount`, for portals without Rust.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};
use crate::process;
use crate::tools::Tools;

/// Output folder of the package, relative to the repository root.
const PACKAGE_DIR: &str = "pkg";

/// Name of the files wasm-bindgen writes (`task_status_widget.js`, `_bg.wasm`, `.d.ts`).
const OUT_NAME: &str = "task_status_widget";

const INDEX_JS: &str = include_str!("package/index.js");
const INDEX_D_TS: &str = include_str!("package/index.d.ts");
const PACKAGE_JSON: &str = include_str!("package/package.json");
const README: &str = include_str!("package/README.md");

/// Builds the package into `pkg/` and returns its absolute path.
///
/// The library is compiled for wasm32 in release mode, wasm-bindgen writes
/// the ES module glue for `--target web`, and wasm-opt shrinks the wasm with
/// `-Oz`. The entry `index.js` loads the wasm next to it and defines the element.
pub fn build_package(tools: &Tools) -> Result<PathBuf> {
    let root = tools.root();
    let package = root.join(PACKAGE_DIR);

    process::run(tools.cargo().args([
        "build",
        "--release",
        "--lib",
        "--package",
        "task-status-widget",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;

    if package.exists() {
        fs::remove_dir_all(&package)
            .with_context(|| format!("failed to clear {}", package.display()))?;
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let wasm = target.join("wasm32-unknown-unknown/release/task_status_widget.wasm");
    let mut bindgen = tools.command("wasm-bindgen")?;
    bindgen
        .args(["--target", "web", "--out-name", OUT_NAME, "--out-dir"])
        .arg(&package)
        .arg(&wasm);
    process::run(&mut bindgen)?;

    let optimized = package.join(format!("{OUT_NAME}_bg.wasm"));
    let mut optimize = tools.command("wasm-opt")?;
    optimize
        .arg("-Oz")
        .arg(&optimized)
        .arg("-o")
        .arg(&optimized);
    process::run(&mut optimize)?;

    write(&package, "index.js", INDEX_JS)?;
    write(&package, "index.d.ts", INDEX_D_TS)?;
    write(&package, "package.json", PACKAGE_JSON)?;
    write(&package, "README.md", README)?;
    let stylesheet = fs::read_to_string(root.join("style/widget.css"))
        .context("failed to read style/widget.css")?;
    write(&package, "task-status.css", &stylesheet)?;
    Ok(package)
}

/// Copies the package and the example portal into the built page, so the
/// task server serves them at `/pkg/` and `/portal/`.
pub fn add_to_page(root: &Path, package: &Path, dist: &Path) -> Result<()> {
    copy_folder(package, &dist.join("pkg"))?;
    copy_folder(&root.join("examples/portal"), &dist.join("portal"))
}

fn write(folder: &Path, name: &str, text: &str) -> Result<()> {
    let path = folder.join(name);
    fs::write(&path, text).with_context(|| format!("failed to write {}", path.display()))
}

fn copy_folder(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("failed to create {}", to.display()))?;
    let entries =
        fs::read_dir(from).with_context(|| format!("failed to read {}", from.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to read {}", from.display()))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_folder(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("failed to copy to {}", target.display()))?;
        }
    }
    Ok(())
}
