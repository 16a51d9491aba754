//! Runs the browser and proxy benchmarks and writes their Markdown sections
//! and summary table rows to files. `cargo xtask bench` runs it; see
//! `e2e::bench`.
//!
//! Usage: `bench --output FILE --summary FILE [--smoke] [--server-binary PATH]`, with
//! `TASK_STATUS_DIST` set to the built page, and `CHROMIUM` and
//! `CHROMEDRIVER` when the binaries are not at their Debian paths.

use std::path::PathBuf;
use std::process::ExitCode;

use e2e::bench::{self, Plan};

struct Arguments {
    output: PathBuf,
    summary: PathBuf,
    smoke: bool,
    server_binary: Option<PathBuf>,
}

fn parse_arguments(arguments: impl IntoIterator<Item = String>) -> Result<Arguments, String> {
    let mut output = None;
    let mut summary = None;
    let mut smoke = false;
    let mut server_binary = None;
    let mut arguments = arguments.into_iter();
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--smoke" => smoke = true,
            "--output" => output = arguments.next().map(PathBuf::from),
            "--summary" => summary = arguments.next().map(PathBuf::from),
            "--server-binary" => server_binary = arguments.next().map(PathBuf::from),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let (Some(output), Some(summary)) = (output, summary) else {
        return Err("missing `--output FILE` or `--summary FILE`".to_owned());
    };
    Ok(Arguments {
        output,
        summary,
        smoke,
        server_binary,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let arguments = match parse_arguments(std::env::args().skip(1)) {
        Ok(arguments) => arguments,
        Err(error) => {
            eprintln!(
                "error: {error}\nusage: bench --output FILE --summary FILE [--smoke] \
                 [--server-binary PATH]"
            );
            return ExitCode::from(2);
        }
    };
    let plan = if arguments.smoke {
        Plan::smoke()
    } else {
        Plan::full()
    };

    let measured = async {
        let dist = bench::dist_from_env()?;
        bench::run(&plan, &dist, arguments.server_binary.as_deref()).await
    }
    .await;
    let report = match measured {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    for (path, text) in [
        (&arguments.output, report.sections.clone()),
        (&arguments.summary, report.summary_markdown()),
    ] {
        if let Err(error) = std::fs::write(path, text) {
            eprintln!("error: failed to write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
