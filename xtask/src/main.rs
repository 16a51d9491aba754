//! Project tasks, run as `cargo xtask <command>` (an alias in .cargo/config.toml).
//!
//! xtask uses only the standard library so that it compiles in seconds.

mod bench;
mod build;
mod demo;
mod error;
mod json;
mod package;
mod process;
mod server;
mod signal;
mod test;
mod tools;

use std::path::Path;
use std::process::ExitCode;

use bench::BenchOptions;
use demo::DemoOptions;
use error::{bail, Context, Error, Result};
use test::TestOptions;

const USAGE: &str = "\
Usage: cargo xtask <command> [options]

Commands:
  build               Build the release page into dist/ with trunk, with the
                      package under dist/pkg/ and the example portal under
                      dist/portal/.
  dist                Build the package into pkg/: an ES module, the wasm,
                      TypeScript declarations, the CSS and a package.json.
  demo                Build the page, serve it with the task server in release
                      mode and print its URLs; runs until Ctrl-C.
    --port N          Port on 127.0.0.1 for the server (default 8080, 0 picks
                      a free port).
    --api-key KEY     API key that the server accepts (default: the server's
                      own, demo-key).
  test                Run every CI check in order and stop at the first
                      failure: cargo fmt, clippy (native and wasm32), native
                      tests, wasm tests in headless Chromium, the release page
                      build and the end-to-end tests.
    --quick           Skip cargo fmt and clippy.
  bench               Build the page, the package and the server, measure size,
                      start-up, requests, memory, scale and the proxy, and
                      rewrite docs/benchmarks.md (about 10 minutes). Not part
                      of `test`.
    --smoke           Run every benchmark briefly (about a minute after the
                      builds) and write to a temporary file instead.
  help                Print this help (also -h, --help).

Each command first installs what is missing: the wasm32-unknown-unknown
target, trunk, wasm-bindgen-cli in the version that Cargo.lock pins, and
wasm-opt from the npm package binaryen (into .tools/) in the version that
Trunk.toml pins. `test` also installs Chromium and ChromeDriver with apt-get,
which needs root.
";

/// The default port of `cargo xtask demo`.
const DEFAULT_DEMO_PORT: u16 = 8080;

enum Task {
    Build,
    Dist,
    Demo(DemoOptions),
    Test(TestOptions),
    Bench(BenchOptions),
    Help,
}

fn main() -> ExitCode {
    let task = match parse_arguments(std::env::args().skip(1)) {
        Ok(task) => task,
        Err(error) => {
            eprintln!("error: {error}\n\nRun `cargo xtask --help` for the commands and options.");
            return ExitCode::from(2);
        }
    };

    match run(task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(task: Task) -> Result<()> {
    // xtask is always built from <root>/xtask, so the workspace root is the
    // parent of its manifest folder.
    let Some(root) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() else {
        bail!("xtask's manifest folder has no parent folder");
    };

    match task {
        Task::Build => {
            let tools = tools::ensure_page_tools(root)?;
            let dist = build::build_page(&tools)?;
            println!("    page written to {}", dist.display());
            Ok(())
        }
        Task::Dist => {
            let tools = tools::ensure_page_tools(root)?;
            let package = package::build_package(&tools)?;
            println!("    package written to {}", package.display());
            Ok(())
        }
        Task::Demo(options) => demo::run(root, &options),
        Task::Test(options) => test::run(root, &options),
        Task::Bench(options) => bench::run(root, &options),
        Task::Help => {
            print!("{USAGE}");
            Ok(())
        }
    }
}

fn parse_arguments(mut arguments: impl Iterator<Item = String>) -> Result<Task> {
    let Some(command) = arguments.next() else {
        bail!("missing command");
    };
    let options: Vec<String> = arguments.collect();
    if options
        .iter()
        .any(|option| option == "-h" || option == "--help")
    {
        return Ok(Task::Help);
    }

    match command.as_str() {
        "build" => {
            reject_options(&command, &options)?;
            Ok(Task::Build)
        }
        "dist" => {
            reject_options(&command, &options)?;
            Ok(Task::Dist)
        }
        "demo" => parse_demo_options(&options).map(Task::Demo),
        "test" => {
            let (quick, rest): (Vec<&String>, Vec<&String>) =
                options.iter().partition(|option| *option == "--quick");
            if let Some(unknown) = rest.first() {
                bail!("unknown option `{unknown}` for `test`");
            }
            Ok(Task::Test(TestOptions {
                quick: !quick.is_empty(),
            }))
        }
        "bench" => {
            let (smoke, rest): (Vec<&String>, Vec<&String>) =
                options.iter().partition(|option| *option == "--smoke");
            if let Some(unknown) = rest.first() {
                bail!("unknown option `{unknown}` for `bench`");
            }
            Ok(Task::Bench(BenchOptions {
                smoke: !smoke.is_empty(),
            }))
        }
        "help" | "-h" | "--help" => Ok(Task::Help),
        _ => bail!("unknown command `{command}`"),
    }
}

fn reject_options(command: &str, options: &[String]) -> Result<()> {
    match options.first() {
        Some(unknown) => bail!("unknown option `{unknown}` for `{command}`"),
        None => Ok(()),
    }
}

fn parse_demo_options(options: &[String]) -> Result<DemoOptions> {
    let mut demo = DemoOptions {
        port: DEFAULT_DEMO_PORT,
        api_key: None,
    };

    let mut options = options.iter();
    while let Some(option) = options.next() {
        // Both `--port 9000` and `--port=9000` are accepted.
        let (name, inline_value) = match option.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (option.as_str(), None),
        };
        let mut value = || -> Result<String> {
            match inline_value.clone().or_else(|| options.next().cloned()) {
                Some(value) => Ok(value),
                None => Err(Error::new(format!("missing value for `{name}`"))),
            }
        };

        match name {
            "--port" => {
                let text = value()?;
                demo.port = text.parse().with_context(|| {
                    format!("invalid --port value `{text}`: expected a number from 0 to 65535")
                })?;
            }
            "--api-key" => {
                let key = value()?;
                if key.is_empty() {
                    bail!("--api-key must not be empty");
                }
                demo.api_key = Some(key);
            }
            _ => bail!("unknown option `{option}` for `demo`"),
        }
    }
    Ok(demo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(arguments: &[&str]) -> Result<Task> {
        parse_arguments(arguments.iter().map(|argument| argument.to_string()))
    }

    #[test]
    fn demo_defaults() {
        let Ok(Task::Demo(options)) = parse(&["demo"]) else {
            panic!("`demo` should parse as the demo command");
        };

        assert_eq!(options.port, DEFAULT_DEMO_PORT);
        assert_eq!(options.api_key, None);
    }

    #[test]
    fn demo_port_and_key_in_both_forms() {
        let Ok(Task::Demo(options)) = parse(&["demo", "--port=0", "--api-key", "k1"]) else {
            panic!("the options should parse");
        };

        assert_eq!(options.port, 0);
        assert_eq!(options.api_key.as_deref(), Some("k1"));
    }

    #[test]
    fn demo_rejects_bad_values() {
        for arguments in [
            &["demo", "--port", "70000"][..],
            &["demo", "--port"],
            &["demo", "--api-key="],
            &["demo", "--verbose"],
        ] {
            assert!(parse(arguments).is_err(), "{arguments:?} should fail");
        }
    }

    #[test]
    fn test_quick_flag() {
        let Ok(Task::Test(plain)) = parse(&["test"]) else {
            panic!("`test` should parse");
        };
        let Ok(Task::Test(quick)) = parse(&["test", "--quick"]) else {
            panic!("`test --quick` should parse");
        };

        assert!(!plain.quick);
        assert!(quick.quick);
    }

    #[test]
    fn help_and_unknown_commands() {
        assert!(matches!(parse(&["--help"]), Ok(Task::Help)));
        assert!(matches!(parse(&["demo", "-h"]), Ok(Task::Help)));
        assert!(parse(&[]).is_err());
        assert!(parse(&["deploy"]).is_err());
        assert!(parse(&["build", "--release"]).is_err());
        assert!(parse(&["test", "--slow"]).is_err());
    }
}
