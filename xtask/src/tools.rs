//! Finding and installing the programs that the page build and the tests need.
//!
//! Every check is cheap when the tool is already there in the right version,
//! so each command calls these functions first and a second run installs
//! nothing.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{bail, Context, Result};
use crate::process::{self, find_program};

/// Trunk 0.22 declares rust-version 1.96.1, newer than the toolchain that
/// this project builds with, so xtask pins the last 0.21 release.
const TRUNK_VERSION: &str = "0.21.14";

/// The rustc target that the widget and the page compile to.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Folder, relative to the repository root, for tools installed with npm.
/// It is listed in `.gitignore`, and xtask deletes and refills it whenever
/// its wasm-opt or its axe-core has the wrong version.
const LOCAL_TOOLS_DIR: &str = ".tools";

/// Version of the npm package `axe-core`, whose `axe.min.js` the end-to-end
/// tests run in pages to find accessibility violations.
const AXE_CORE_VERSION: &str = "4.14.1";

/// Paths of Chromium and ChromeDriver as Debian's packages `chromium` and
/// `chromium-driver` install them.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The repository root and the PATH that xtask gives to every child process.
///
/// The PATH puts the project-local npm tools first and cargo's install folder
/// second, so the tools that xtask installed win over other copies.
pub struct Tools {
    root: PathBuf,
    search_path: OsString,
}

impl Tools {
    fn new(root: &Path) -> Result<Self> {
        let mut directories = vec![
            root.join(LOCAL_TOOLS_DIR).join("node_modules").join(".bin"),
            cargo_install_bin_dir()?,
        ];
        if let Some(path) = env::var_os("PATH") {
            directories.extend(env::split_paths(&path));
        }
        let search_path =
            env::join_paths(directories).context("failed to build PATH for child processes")?;

        Ok(Self {
            root: root.to_path_buf(),
            search_path,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Returns a command for `program`, looked up on the tool PATH, that runs
    /// in the repository root with that PATH.
    pub fn command(&self, program: &str) -> Result<Command> {
        let Some(path) = find_program(program, &self.search_path) else {
            bail!(
                "`{program}` not found on PATH ({})",
                self.search_path.to_string_lossy()
            );
        };
        Ok(self.command_at(path))
    }

    /// Returns a cargo command that runs in the repository root.
    ///
    /// It uses the cargo that started xtask (the CARGO variable), so every
    /// step builds with the same toolchain.
    pub fn cargo(&self) -> Command {
        let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        self.command_at(PathBuf::from(cargo))
    }

    fn command_at(&self, program: PathBuf) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(&self.root)
            .env("PATH", &self.search_path);
        command
    }

    /// Returns the version that `program --version` prints as its
    /// `word_index`-th word, or `None` when the program is missing or fails.
    fn installed_version(&self, program: &str, word_index: usize) -> Option<(PathBuf, String)> {
        let path = find_program(program, &self.search_path)?;
        let text = process::output(self.command_at(path.clone()).arg("--version")).ok()?;
        let version = text.split_whitespace().nth(word_index)?.to_string();
        Some((path, version))
    }
}

/// Returns the folder where `cargo install` puts binaries:
/// `$CARGO_INSTALL_ROOT/bin`, else `$CARGO_HOME/bin`, else `~/.cargo/bin`.
///
/// NOTE: an `install.root` set in a cargo config file is not read here.
fn cargo_install_bin_dir() -> Result<PathBuf> {
    for variable in ["CARGO_INSTALL_ROOT", "CARGO_HOME"] {
        if let Some(directory) = env::var_os(variable) {
            return Ok(PathBuf::from(directory).join("bin"));
        }
    }
    match env::var_os("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".cargo").join("bin")),
        None => bail!("cannot find cargo's install folder: CARGO_HOME and HOME are both unset"),
    }
}

/// Ensures the tools for `trunk build`: the wasm32 target, trunk,
/// wasm-bindgen-cli in the version of wasm-bindgen in Cargo.lock, and
/// wasm-opt in the version that Trunk.toml requires.
pub fn ensure_page_tools(root: &Path) -> Result<Tools> {
    let tools = Tools::new(root)?;

    ensure_wasm_target(&tools).context("failed to install the wasm32 target")?;

    ensure_cargo_tool(&tools, "trunk", &["trunk"], TRUNK_VERSION, true)
        .context("failed to install trunk")?;

    let bindgen_version = wasm_bindgen_version_in_lockfile(root)?;
    // The test runner comes from the same package and must match too, because
    // it runs the wasm-bindgen that generated the test bindings.
    ensure_cargo_tool(
        &tools,
        "wasm-bindgen-cli",
        &["wasm-bindgen", "wasm-bindgen-test-runner"],
        &bindgen_version,
        // With --locked, the install fails on a dependency that its lockfile
        // pins to a yanked version, so cargo resolves the dependencies anew.
        false,
    )
    .context("failed to install wasm-bindgen-cli")?;

    ensure_wasm_opt(&tools).context("failed to install wasm-opt")?;

    Ok(tools)
}

fn ensure_wasm_target(tools: &Tools) -> Result<()> {
    let sysroot = process::output(tools.command("rustc")?.args(["--print", "sysroot"]))?;
    let target_dir = Path::new(sysroot.trim())
        .join("lib")
        .join("rustlib")
        .join(WASM_TARGET);
    if target_dir.is_dir() {
        println!("    {WASM_TARGET} target: installed");
        return Ok(());
    }

    process::run(
        tools
            .command("rustup")?
            .args(["target", "add", WASM_TARGET]),
    )
}

/// Installs `package` with `cargo install` unless every binary in `binaries`
/// already prints `version`.
fn ensure_cargo_tool(
    tools: &Tools,
    package: &str,
    binaries: &[&str],
    version: &str,
    locked: bool,
) -> Result<()> {
    let mismatches = version_mismatches(tools, binaries, version);
    if mismatches.is_empty() {
        return Ok(());
    }
    for mismatch in &mismatches {
        println!("    {mismatch}");
    }

    let mut install = tools.cargo();
    install.args(["install", package, "--version", version]);
    if locked {
        install.arg("--locked");
    }
    // --force replaces binaries of another version, or ones that cargo did not
    // install itself.
    install.arg("--force");
    process::run(&mut install)?;

    let mismatches = version_mismatches(tools, binaries, version);
    if let Some(first) = mismatches.first() {
        bail!("`cargo install {package}` finished, but {first}: check the order of PATH");
    }
    Ok(())
}

/// Prints the binaries that match `version` and returns a description of
/// each one that is missing or has another version.
fn version_mismatches(tools: &Tools, binaries: &[&str], version: &str) -> Vec<String> {
    let mut mismatches = Vec::new();
    for binary in binaries {
        match tools.installed_version(binary, 1) {
            Some((path, found)) if found == version => {
                println!("    {binary} {found}: {}", path.display());
            }
            Some((path, found)) => mismatches.push(format!(
                "{binary} {found} at {} is not the required {version}",
                path.display()
            )),
            None => mismatches.push(format!("{binary} {version} is not installed")),
        }
    }
    mismatches
}

fn ensure_wasm_opt(tools: &Tools) -> Result<()> {
    let binaryen_version = required_binaryen_version(tools.root())?;

    // wasm-opt prints `wasm-opt version 132 (version_132)`.
    match tools.installed_version("wasm-opt", 2) {
        Some((path, found)) if found == binaryen_version => {
            println!("    wasm-opt version {found}: {}", path.display());
            return Ok(());
        }
        Some((path, found)) => println!(
            "    wasm-opt version {found} at {} is not the required {binaryen_version}",
            path.display()
        ),
        None => println!("    wasm-opt version {binaryen_version} is not installed"),
    }

    install_local_npm_tools(tools, &binaryen_version)?;

    match tools.installed_version("wasm-opt", 2) {
        Some((path, found)) if found == binaryen_version => {
            println!("    wasm-opt version {found}: {}", path.display());
            Ok(())
        }
        Some((path, found)) => bail!(
            "installed binaryen@{binaryen_version}, but {} reports version {found}",
            path.display()
        ),
        None => bail!("installed binaryen@{binaryen_version}, but wasm-opt does not run"),
    }
}

/// Ensures `axe.min.js` of the npm package `axe-core` in the version
/// [`AXE_CORE_VERSION`] under [`LOCAL_TOOLS_DIR`], and returns its absolute
/// path.
pub fn ensure_axe_core(tools: &Tools) -> Result<PathBuf> {
    let script = tools
        .root()
        .join(LOCAL_TOOLS_DIR)
        .join("node_modules")
        .join("axe-core")
        .join("axe.min.js");
    match axe_core_version(&script) {
        Some(found) if found == AXE_CORE_VERSION => {
            println!("    axe-core {found}: {}", script.display());
            return Ok(script);
        }
        Some(found) => println!(
            "    axe-core {found} at {} is not the required {AXE_CORE_VERSION}",
            script.display()
        ),
        None => println!("    axe-core {AXE_CORE_VERSION} is not installed"),
    }

    let binaryen_version = required_binaryen_version(tools.root())?;
    install_local_npm_tools(tools, &binaryen_version)?;

    match axe_core_version(&script) {
        Some(found) if found == AXE_CORE_VERSION => {
            println!("    axe-core {found}: {}", script.display());
            Ok(script)
        }
        Some(found) => bail!(
            "installed axe-core@{AXE_CORE_VERSION}, but {} reports version {found}",
            script.display()
        ),
        None => bail!(
            "installed axe-core@{AXE_CORE_VERSION}, but {} is missing or has no version banner",
            script.display()
        ),
    }
}

/// Returns the version in the banner that starts `axe.min.js`, such as
/// `/*! axe v4.14.1`, or `None` when the file is missing or starts otherwise.
fn axe_core_version(script: &Path) -> Option<String> {
    let mut first_line = String::new();
    BufReader::new(fs::File::open(script).ok()?)
        .read_line(&mut first_line)
        .ok()?;
    version_in_axe_banner(&first_line)
}

fn version_in_axe_banner(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("/*! axe v")?;
    let version = rest.split_whitespace().next()?;
    Some(version.to_string())
}

/// Reads the binaryen version that Trunk.toml requires, such as `132` from
/// `wasm_opt = "version_132"` in its `[tools]` table.
fn required_binaryen_version(root: &Path) -> Result<String> {
    let trunk_toml = root.join("Trunk.toml");
    let text = fs::read_to_string(&trunk_toml)
        .with_context(|| format!("failed to read {}", trunk_toml.display()))?;
    let Some(required) = toml_string_value(&text, "tools", "wasm_opt") else {
        bail!(
            "{} has no `wasm_opt = \"version_N\"` in [tools]",
            trunk_toml.display()
        );
    };
    let Some(binaryen_version) = required.strip_prefix("version_") else {
        bail!("Trunk.toml sets wasm_opt = {required:?}, expected the form \"version_N\"");
    };
    Ok(binaryen_version.to_string())
}

/// Empties [`LOCAL_TOOLS_DIR`] and installs `binaryen@{binaryen_version}`
/// and `axe-core@`[`AXE_CORE_VERSION`] into it with one `npm install`, so
/// that refreshing one of them never drops the other.
fn install_local_npm_tools(tools: &Tools, binaryen_version: &str) -> Result<()> {
    // Debian's binaryen is older than trunk accepts, and the npm package
    // `binaryen` ships a wasm-opt that runs on Node.js. The folder contains
    // only these two packages, so xtask installs both anew. npm alone reports
    // a damaged install as up to date when its lockfile lists the right
    // version.
    let local_dir = tools.root().join(LOCAL_TOOLS_DIR);
    if local_dir.exists() {
        fs::remove_dir_all(&local_dir)
            .with_context(|| format!("failed to remove {}", local_dir.display()))?;
    }
    fs::create_dir_all(&local_dir)
        .with_context(|| format!("failed to create {}", local_dir.display()))?;
    let binaryen = format!("binaryen@{binaryen_version}");
    let axe_core = format!("axe-core@{AXE_CORE_VERSION}");
    process::run(tools.command("npm")?.args([
        "install",
        "--prefix",
        LOCAL_TOOLS_DIR,
        "--save-exact",
        "--no-audit",
        "--no-fund",
        &binaryen,
        &axe_core,
    ]))
}

/// Ensures Debian's Chromium and ChromeDriver at [`CHROMIUM`] and
/// [`CHROMEDRIVER`], installing both with apt-get when either is missing.
pub fn ensure_browser(tools: &Tools) -> Result<()> {
    let is_installed = || Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file();
    if !is_installed() {
        install_browser_packages(tools).context(
            "failed to install Chromium and ChromeDriver with apt-get (this needs root)",
        )?;
        if !is_installed() {
            bail!("apt-get installed chromium and chromium-driver, but {CHROMIUM} or {CHROMEDRIVER} is missing");
        }
    }

    for program in [CHROMIUM, CHROMEDRIVER] {
        let version = process::output(tools.command_at(PathBuf::from(program)).arg("--version"))?;
        println!("    {}", version.trim());
    }
    Ok(())
}

fn install_browser_packages(tools: &Tools) -> Result<()> {
    process::run(tools.command("apt-get")?.arg("update"))?;
    process::run(
        tools
            .command("apt-get")?
            .args(["install", "--yes", "chromium", "chromium-driver"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// Reads the version of the `wasm-bindgen` package from Cargo.lock.
///
/// trunk and wasm-bindgen-test-runner need a wasm-bindgen CLI of exactly the
/// version that the crate links, because the two share a schema.
fn wasm_bindgen_version_in_lockfile(root: &Path) -> Result<String> {
    let lockfile = root.join("Cargo.lock");
    let text = fs::read_to_string(&lockfile)
        .with_context(|| format!("failed to read {}", lockfile.display()))?;
    match locked_package_version(&text, "wasm-bindgen") {
        Some(version) => Ok(version),
        None => bail!(
            "{} has no `wasm-bindgen` package; run `cargo generate-lockfile`",
            lockfile.display()
        ),
    }
}

/// Returns the version of the first `[[package]]` named `name` in the text
/// of a Cargo.lock.
fn locked_package_version(lockfile: &str, name: &str) -> Option<String> {
    let mut current_name = None;
    for line in lockfile.lines().map(str::trim) {
        if line == "[[package]]" {
            current_name = None;
        } else if let Some(value) = key_string_value(line, "name") {
            current_name = Some(value);
        } else if let Some(value) = key_string_value(line, "version") {
            if current_name.as_deref() == Some(name) {
                return Some(value);
            }
        }
    }
    None
}

/// Returns the string value of `key` in the table `[section]` of a TOML text.
///
/// This reads only the `key = "value"` form on one line, which is all that
/// xtask needs from Trunk.toml.
fn toml_string_value(text: &str, section: &str, key: &str) -> Option<String> {
    let header = format!("[{section}]");
    let mut in_section = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == header;
        } else if in_section {
            if let Some(value) = key_string_value(line, key) {
                return Some(value);
            }
        }
    }
    None
}

/// Parses `key = "value"` with an optional trailing `# comment`.
fn key_string_value(line: &str, key: &str) -> Option<String> {
    let rest = line.strip_prefix(key)?.trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let (value, after) = rest.split_once('"')?;
    let after = after.trim_start();
    if after.is_empty() || after.starts_with('#') {
        Some(value.to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCKFILE: &str = r#"
[[package]]
name = "wasm-bindgen-backend"
version = "0.2.130"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    #[test]
    fn lockfile_version_of_exact_name() {
        assert_eq!(
            locked_package_version(LOCKFILE, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
    }

    #[test]
    fn lockfile_version_of_missing_package() {
        assert_eq!(locked_package_version(LOCKFILE, "trunk"), None);
    }

    #[test]
    fn toml_value_only_in_its_section() {
        let text = "[build]\nwasm_opt = \"wrong\"\n\n[tools]\n# pinned\nwasm_opt = \"version_132\" # binaryen\n";

        assert_eq!(
            toml_string_value(text, "tools", "wasm_opt").as_deref(),
            Some("version_132")
        );
        assert_eq!(toml_string_value(text, "serve", "wasm_opt"), None);
    }

    #[test]
    fn axe_banner_version() {
        assert_eq!(
            version_in_axe_banner("/*! axe v4.14.1\n").as_deref(),
            Some("4.14.1")
        );
        assert_eq!(
            version_in_axe_banner("(function axeFunction(window) {"),
            None
        );
    }

    #[test]
    fn key_value_rejects_other_keys() {
        assert_eq!(key_string_value("wasm_opt_extra = \"1\"", "wasm_opt"), None);
        assert_eq!(key_string_value("wasm_opt = 132", "wasm_opt"), None);
        assert_eq!(
            key_string_value("wasm_opt=\"version_1\"", "wasm_opt").as_deref(),
            Some("version_1")
        );
    }
}
