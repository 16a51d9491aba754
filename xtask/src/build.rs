//! The release build of the standalone page with trunk.

use std::path::PathBuf;

use crate::error::Result;
use crate::package;
use crate::process;
use crate::tools::Tools;

/// Output folder of the page, relative to the repository root. Trunk.toml
/// names the same folder, so a plain `trunk build` writes there too.
const DIST_DIR: &str = "dist";

/// Builds the release page into `dist/`, adds the package and the example
/// portal to it, and returns its absolute path.
///
/// trunk runs with `--offline` so that it uses the wasm-bindgen and wasm-opt
/// on PATH instead of downloading its own. trunk then also passes `--offline`
/// to cargo, so `cargo fetch` downloads the crates first.
pub fn build_page(tools: &Tools) -> Result<PathBuf> {
    process::run(tools.cargo().arg("fetch"))?;

    process::run(tools.command("trunk")?.args([
        "build",
        "--release",
        "--offline",
        "--dist",
        DIST_DIR,
    ]))?;

    let dist = tools.root().join(DIST_DIR);
    let package = package::build_package(tools)?;
    package::add_to_page(tools.root(), &package, &dist)?;
    Ok(dist)
}
