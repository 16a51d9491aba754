//! The chromedriver process and the Chromium profile folder that one
//! browser session owns.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::wait::{wait_for, Check, WAIT_TIMEOUT};

/// Number of chromedriver starts to try, each on another port.
const START_ATTEMPTS: u32 = 3;

/// Time limit of the session deletion sent from `Drop`, which waits for
/// Chromium to quit.
const DELETE_TIMEOUT: Duration = Duration::from_secs(15);

/// A chromedriver process listening on a loopback port. Dropping it kills
/// the process and reaps it.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts `binary` on a free loopback port and waits until its status
    /// route reports ready.
    ///
    /// A free port can be taken by another process before chromedriver binds
    /// it, so a chromedriver that exits early is started again on another
    /// port, up to [`START_ATTEMPTS`] times in all.
    pub(crate) async fn start(binary: &Path, http: &HttpClient) -> Result<Self> {
        let mut attempt = 1;
        loop {
            match Self::start_on(binary, http, free_port()?).await {
                Err(Error::Setup(reason)) if attempt < START_ATTEMPTS => {
                    eprintln!(
                        "starting chromedriver again after attempt {attempt} failed: {reason}"
                    );
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn start_on(binary: &Path, http: &HttpClient, port: u16) -> Result<Self> {
        // chromedriver accepts connections from the local host only unless
        // `--allowed-ips` is given.
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| Error::io(format!("failed to start {}", binary.display()), error))?;

        let mut driver = Self { child, port };
        driver.wait_until_ready(http).await?;
        Ok(driver)
    }

    /// Returns the WebDriver URL, such as `http://127.0.0.1:9515`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_until_ready(&mut self, http: &HttpClient) -> Result<()> {
        let status_url = format!("{}/status", self.url());
        let child = &mut self.child;
        wait_for("chromedriver to report ready", WAIT_TIMEOUT, async || {
            if let Some(exit) = child
                .try_wait()
                .map_err(|error| Error::io("failed to check on chromedriver", error))?
            {
                return Err(Error::Setup(format!(
                    "chromedriver exited with {exit} before it answered on {status_url}"
                )));
            }
            let Ok(response) = http.get(&status_url).await else {
                return Ok(Check::NotYet("no answer yet".to_owned()));
            };
            if response.body["value"]["ready"] == true {
                Ok(Check::Met(()))
            } else {
                Ok(Check::NotYet(response.body.to_string()))
            }
        })
        .await
    }

    /// Deletes a session, which makes chromedriver quit its Chromium, and
    /// waits for the response.
    ///
    /// This blocks the thread, so that `Drop` can run it while a failed
    /// test unwinds and no async runtime is polling anymore.
    pub(crate) fn delete_session_blocking(&self, session_id: &str) -> std::io::Result<()> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(DELETE_TIMEOUT))?;
        stream.set_write_timeout(Some(DELETE_TIMEOUT))?;
        write!(
            stream,
            "DELETE /session/{session_id} HTTP/1.1\r\n\
             Host: 127.0.0.1:{}\r\n\
             Connection: close\r\n\
             Content-Length: 0\r\n\r\n",
            self.port
        )?;
        // chromedriver keeps the connection open despite `Connection: close`,
        // so the response ends after Content-Length bytes of body, not at EOF.
        let mut response = Vec::new();
        let mut chunk = [0_u8; 4096];
        while !is_complete_response(&response) {
            let read = stream.read(&mut chunk)?;
            if read == 0 {
                break;
            }
            response.extend_from_slice(&chunk[..read]);
        }

        let status_line = response
            .split(|byte| *byte == b'\r')
            .next()
            .unwrap_or_default();
        if !status_line.starts_with(b"HTTP/1.1 200") {
            return Err(std::io::Error::other(format!(
                "chromedriver responded with {:?}",
                String::from_utf8_lossy(&response)
            )));
        }
        Ok(())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // kill() fails only when the process was already reaped.
        let _ = self.child.kill();
        if let Err(error) = self.child.wait() {
            eprintln!("failed to reap chromedriver on port {}: {error}", self.port);
        }
    }
}

/// A fresh, empty Chromium profile folder, removed on drop.
pub(crate) struct ProfileDir {
    path: PathBuf,
}

impl ProfileDir {
    /// Creates an empty folder under the system's temporary folder, named
    /// after this process and a counter so that parallel tests never share one.
    pub(crate) fn create() -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "e2e-chromium-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);

        // A folder left by a killed run of the same process id is stale.
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .map_err(|error| Error::io(format!("failed to empty {}", path.display()), error))?;
        }
        std::fs::create_dir_all(&path)
            .map_err(|error| Error::io(format!("failed to create {}", path.display()), error))?;
        Ok(Self { path })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ProfileDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path) {
            eprintln!("failed to remove {}: {error}", self.path.display());
        }
    }
}

/// Returns whether `response` contains a whole HTTP response with a
/// `Content-Length` header: the headers and that many bytes of body.
fn is_complete_response(response: &[u8]) -> bool {
    let Some(header_end) = response.windows(4).position(|window| window == b"\r\n\r\n") else {
        return false;
    };
    let headers = String::from_utf8_lossy(&response[..header_end]);
    let content_length = headers.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            value.trim().parse::<usize>().ok()
        } else {
            None
        }
    });
    match content_length {
        Some(length) => response.len() >= header_end + 4 + length,
        None => false,
    }
}

/// Returns a loopback port that was free a moment ago.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|error| Error::io("failed to find a free loopback port", error))?;
    let address = listener
        .local_addr()
        .map_err(|error| Error::io("failed to read a loopback port", error))?;
    Ok(address.port())
}
