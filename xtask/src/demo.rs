//! `cargo xtask demo`: the release page served by the task server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::build;
use crate::error::{bail, Context, Result};
use crate::json;
use crate::server::{self, Profile, ServerOptions, TaskServer};
use crate::tools;

/// Options of `cargo xtask demo`.
pub struct DemoOptions {
    /// Port on 127.0.0.1; 0 picks any free port.
    pub port: u16,
    /// API key for the server; the server's own default when `None`.
    pub api_key: Option<String>,
}

/// Read and write limit for the one request to the task server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the page and the server, starts the server, prints the page URLs
/// and runs until Ctrl-C.
pub fn run(root: &Path, options: &DemoOptions) -> Result<()> {
    let tools = tools::ensure_page_tools(root)?;
    let dist = build::build_page(&tools)?;
    let binary = server::build_server(&tools, Profile::Release)?;

    let server = TaskServer::start(
        &tools,
        &ServerOptions {
            binary: &binary,
            port: options.port,
            api_key: options.api_key.as_deref(),
            dist: Some(&dist),
            log_file: None,
        },
    )?;

    let page_url = format!("{}/", server.url());
    println!();
    println!("Page:             {page_url}");
    match live_task_id(server.url()) {
        Ok(task_id) => println!(
            "Live demo task:   {page_url}?taskId={}",
            percent_encode(&task_id)
        ),
        Err(error) => println!("Live demo task:   unavailable ({error})"),
    }
    println!("Example portal:   {page_url}portal/");
    println!();
    println!("Press Ctrl-C to stop the server.");

    server.run_until_interrupted()
}

/// Returns the id of the first task in `GET /sim/tasks`, which is the live
/// task that the server seeds and advances over time.
fn live_task_id(base_url: &str) -> Result<String> {
    let body = http_get(base_url, "/sim/tasks")?;
    match json::first_scalar_field(&body, "taskId") {
        Some(task_id) => Ok(task_id),
        None => bail!("GET /sim/tasks returned no taskId: {}", body.trim()),
    }
}

/// Sends `GET path` to an `http://host:port` URL and returns the body of a
/// 200 response.
fn http_get(base_url: &str, path: &str) -> Result<String> {
    let Some(authority) = base_url.strip_prefix("http://") else {
        bail!("task server URL {base_url:?} does not start with http://");
    };
    let authority = authority.trim_end_matches('/');

    let mut stream = TcpStream::connect(authority)
        .with_context(|| format!("failed to connect to {authority}"))?;
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .context("failed to set a read timeout")?;
    stream
        .set_write_timeout(Some(REQUEST_TIMEOUT))
        .context("failed to set a write timeout")?;

    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .with_context(|| format!("failed to send GET {path}"))?;

    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .with_context(|| format!("failed to read the response to GET {path}"))?;
    parse_response(&response).with_context(|| format!("GET {path}"))
}

/// Returns the body of an HTTP/1.1 response if its status is 200.
fn parse_response(response: &[u8]) -> Result<String> {
    let Some(head_end) = find(response, b"\r\n\r\n") else {
        bail!("response has no end of headers");
    };
    let head = String::from_utf8_lossy(&response[..head_end]);
    let body = &response[head_end + 4..];

    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status != "200" {
        bail!("unexpected status {status_line:?}, expected 200");
    }

    let is_chunked = lines.any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });
    let body = if is_chunked {
        decode_chunked(body)?
    } else {
        body.to_vec()
    };
    String::from_utf8(body).context("response body is not UTF-8")
}

/// Decodes a body in HTTP/1.1 chunked transfer encoding.
fn decode_chunked(mut body: &[u8]) -> Result<Vec<u8>> {
    let mut decoded = Vec::new();
    loop {
        let Some(line_end) = find(body, b"\r\n") else {
            bail!("chunked body ends without a last chunk");
        };
        let size_line = String::from_utf8_lossy(&body[..line_end]);
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_hex, 16) else {
            bail!("invalid chunk size {size_hex:?}");
        };
        if size == 0 {
            return Ok(decoded);
        }

        let rest = &body[line_end + 2..];
        let Some(chunk) = rest.get(..size) else {
            bail!("chunk of {size} bytes is cut short");
        };
        decoded.extend_from_slice(chunk);
        body = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Percent-encodes every byte outside the unreserved set of RFC 3986 for use
/// in a query value.
fn percent_encode(value: &str) -> String {
    let mut encoded = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_with_content_length() {
        let response = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{\"tasks\":[]}\n";

        assert_eq!(parse_response(response).unwrap(), "{\"tasks\":[]}\n");
    }

    #[test]
    fn response_with_chunked_body() {
        let response =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3;x=1\r\n\"b\"\r\n1\r\n}\r\n0\r\n\r\n";

        assert_eq!(parse_response(response).unwrap(), "{\"a\":\"b\"}");
    }

    #[test]
    fn chunk_boundary_inside_character() {
        // "é" is two bytes in UTF-8, and the chunk boundary falls between them.
        let response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\na\xc3\r\n1\r\n\xa9\r\n0\r\n\r\n";

        assert_eq!(parse_response(response).unwrap(), "aé");
    }

    #[test]
    fn response_with_error_status() {
        let error = parse_response(b"HTTP/1.1 401 Unauthorized\r\n\r\n").unwrap_err();

        assert!(error.to_string().contains("401"), "{error}");
    }

    #[test]
    fn chunked_body_cut_short() {
        assert!(decode_chunked(b"a\r\nshort").is_err());
        assert!(decode_chunked(b"zz\r\n").is_err());
    }

    #[test]
    fn percent_encode_keeps_unreserved() {
        assert_eq!(percent_encode("task-1_a.b~c"), "task-1_a.b~c");
        assert_eq!(percent_encode("a b&c=é"), "a%20b%26c%3D%C3%A9");
    }
}
