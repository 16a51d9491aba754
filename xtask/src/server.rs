//! Building and running the task server (`task-status-server`) that the demo
//! and the browser tests talk to.

use std::env;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{bail, Context, Result};
use crate::json;
use crate::process;
use crate::signal;
use crate::tools::Tools;

const SERVER_PACKAGE: &str = "task-status-server";

/// The only line that the server prints to stdout, once its socket is bound.
const LISTENING_PREFIX: &str = "listening on ";

/// How long the server may take from start to its `listening on` line. The
/// binary is already built, so this only guards against a hang.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the server may take to exit after SIGINT before xtask kills it.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy)]
pub enum Profile {
    Debug,
    Release,
}

/// Builds the task server and returns the path of its binary.
pub fn build_server(tools: &Tools, profile: Profile) -> Result<PathBuf> {
    let mut build = tools.cargo();
    build.args(["build", "--package", SERVER_PACKAGE]);
    if let Profile::Release = profile {
        build.arg("--release");
    }
    process::run(&mut build)?;

    let profile_dir = match profile {
        Profile::Debug => "debug",
        Profile::Release => "release",
    };
    let binary = format!("{SERVER_PACKAGE}{}", env::consts::EXE_SUFFIX);
    Ok(target_directory(tools)?.join(profile_dir).join(binary))
}

/// Returns cargo's target directory, which CARGO_TARGET_DIR or a config file
/// may move away from `<root>/target`.
pub fn target_directory(tools: &Tools) -> Result<PathBuf> {
    let metadata =
        process::output(
            tools
                .cargo()
                .args(["metadata", "--format-version", "1", "--no-deps"]),
        )?;
    match json::first_scalar_field(&metadata, "target_directory") {
        Some(directory) => Ok(PathBuf::from(directory)),
        None => bail!("`cargo metadata` printed no target_directory"),
    }
}

/// Settings for one run of the task server.
pub struct ServerOptions<'a> {
    pub binary: &'a Path,
    /// Port on 127.0.0.1, or 0 for any free port.
    pub port: u16,
    /// API key that the server accepts; the server's default when `None`.
    pub api_key: Option<&'a str>,
    /// Folder of the built page to serve; no page when `None`.
    pub dist: Option<&'a Path>,
    /// File for the server's log output; the terminal when `None`.
    pub log_file: Option<&'a Path>,
}

/// A running task server. Dropping it kills the process.
pub struct TaskServer {
    child: Child,
    url: String,
}

impl TaskServer {
    /// Starts the server and waits for the `listening on <url>` line.
    pub fn start(tools: &Tools, options: &ServerOptions<'_>) -> Result<Self> {
        let mut arguments = vec![
            "--host".to_string(),
            "127.0.0.1".to_string(),
            "--port".to_string(),
            options.port.to_string(),
        ];
        if let Some(dist) = options.dist {
            arguments.push("--dist".to_string());
            arguments.push(dist.display().to_string());
        }

        // The key is passed but not shown in the printed command line.
        let mut shown = Command::new(options.binary);
        shown.args(&arguments);
        let mut command = Command::new(options.binary);
        command.args(&arguments);
        if let Some(api_key) = options.api_key {
            shown.args(["--api-key", "<hidden>"]);
            command.args(["--api-key", api_key]);
        }
        process::announce(&process::describe(&shown));

        let log: Box<dyn Write + Send> = match options.log_file {
            Some(path) => {
                let file = File::create(path)
                    .with_context(|| format!("failed to create {}", path.display()))?;
                let stderr = file
                    .try_clone()
                    .with_context(|| format!("failed to open {} twice", path.display()))?;
                command.stderr(stderr);
                Box::new(file)
            }
            None => Box::new(std::io::stdout()),
        };

        let mut child = command
            .current_dir(tools.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("failed to start {}", options.binary.display()))?;
        let Some(stdout) = child.stdout.take() else {
            bail!("task server has no stdout pipe (this is a bug in xtask)");
        };

        let (url_sender, url_receiver) = mpsc::channel();
        thread::spawn(move || forward_stdout(stdout, url_sender, log));

        let mut server = Self {
            child,
            url: String::new(),
        };
        server.url = match url_receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(url) => url,
            Err(mpsc::RecvTimeoutError::Timeout) => bail!(
                "task server printed no `{LISTENING_PREFIX}` line within {} s",
                STARTUP_TIMEOUT.as_secs()
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = server
                    .child
                    .wait()
                    .context("failed to wait for the task server")?;
                bail!("task server exited before it printed its address ({status})");
            }
        };
        println!("    task server listening on {}", server.url);
        Ok(server)
    }

    /// Returns the base URL from the `listening on` line, such as
    /// `http://127.0.0.1:8080`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits until Ctrl-C (SIGINT) or SIGTERM, forwards it to the server as
    /// SIGINT, and waits for the server to exit.
    ///
    /// Fails if the server exits on its own before any interrupt.
    pub fn run_until_interrupted(mut self) -> Result<()> {
        signal::catch_interrupts()?;
        let mut interrupt_sent_at: Option<Instant> = None;

        loop {
            if let Some(status) = self.try_wait()? {
                if interrupt_sent_at.is_some() || signal::interrupted() {
                    println!("    task server stopped ({status})");
                    return Ok(());
                }
                bail!("task server exited unexpectedly ({status})");
            }

            match interrupt_sent_at {
                None if signal::interrupted() => {
                    println!();
                    process::announce("stopping the task server");
                    signal::send_interrupt(self.child.id())?;
                    interrupt_sent_at = Some(Instant::now());
                }
                Some(sent_at) if sent_at.elapsed() > SHUTDOWN_TIMEOUT => {
                    println!(
                        "    task server still running {} s after SIGINT, so xtask kills it",
                        SHUTDOWN_TIMEOUT.as_secs()
                    );
                    self.kill_and_wait()?;
                    println!("    task server stopped");
                    return Ok(());
                }
                _ => {}
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the server and waits for it to exit.
    pub fn stop(mut self) -> Result<()> {
        self.kill_and_wait()
    }

    fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        self.child
            .try_wait()
            .context("failed to check whether the task server is running")
    }

    fn kill_and_wait(&mut self) -> Result<()> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        self.child
            .kill()
            .context("failed to kill the task server")?;
        self.child
            .wait()
            .context("failed to wait for the task server")?;
        Ok(())
    }
}

impl Drop for TaskServer {
    fn drop(&mut self) {
        if let Err(error) = self.kill_and_wait() {
            eprintln!("warning: {error}");
        }
    }
}

/// Sends the URL of the `listening on` line to `url_sender`, then copies the
/// rest of the server's stdout to `log` until the server closes it.
///
/// Reading on keeps the pipe from filling up and blocking the server.
fn forward_stdout(
    stdout: ChildStdout,
    url_sender: mpsc::Sender<String>,
    mut log: Box<dyn Write + Send>,
) {
    let mut url_sender = Some(url_sender);
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else {
            break;
        };
        if let Some(url) = line.strip_prefix(LISTENING_PREFIX) {
            if let Some(sender) = url_sender.take() {
                // Sending fails only when start() has already timed out and
                // dropped the receiver.
                let _ = sender.send(url.trim().to_string());
                continue;
            }
        }
        let _ = writeln!(log, "{line}");
    }
}
