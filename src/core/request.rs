//! Building the request URL for a task id.

/// Reason a task id cannot be requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TaskIdError {
    /// The id is empty or only white space.
    #[error("the task id is empty")]
    Empty,
    /// The id is `.` or `..`, which URL parsers resolve as a path step even when
    /// encoded (`%2e%2e`), so it would reach another path.
    #[error("the task id {0:?} is a relative path step")]
    DotSegment(&'static str),
}

/// Returns the URL of `GET {base}/v1/enterprise/task/{taskId}`.
///
/// The id becomes exactly one percent-encoded path segment: every byte outside
/// the URL's unreserved set (letters, digits, `-`, `.`, `_`, `~`) is encoded, so
/// `/`, `?`, `#` and `%` cannot change the path. An empty `base` gives a path on
/// the page's own origin; a trailing `/` on `base` is dropped.
pub fn task_url(base: &str, task_id: &str) -> Result<String, TaskIdError> {
    if task_id.trim().is_empty() {
        return Err(TaskIdError::Empty);
    }
    match task_id {
        "." => return Err(TaskIdError::DotSegment(".")),
        ".." => return Err(TaskIdError::DotSegment("..")),
        _ => {}
    }

    let base = base.trim().trim_end_matches('/');
    Ok(format!(
        "{base}/v1/enterprise/task/{}",
        encode_segment(task_id)
    ))
}

/// Percent-encodes every byte outside the unreserved set of RFC 3986.
fn encode_segment(segment: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";

    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_url_same_origin() {
        let url = task_url("", "6753030831fe9826412bac5c");
        assert_eq!(
            url.as_deref(),
            Ok("/v1/enterprise/task/6753030831fe9826412bac5c")
        );
    }

    #[test]
    fn task_url_drops_trailing_slash() {
        let url = task_url("http://127.0.0.1:8080/", "abc");
        assert_eq!(
            url.as_deref(),
            Ok("http://127.0.0.1:8080/v1/enterprise/task/abc")
        );
    }

    #[test]
    fn task_url_encodes_path_traversal() {
        let url = task_url("", "../../admin");
        assert_eq!(url.as_deref(), Ok("/v1/enterprise/task/..%2F..%2Fadmin"));
    }

    #[test]
    fn task_url_encodes_reserved_characters() {
        let url = task_url("", "a b?c#d%2Fe\\f/é");
        assert_eq!(
            url.as_deref(),
            Ok("/v1/enterprise/task/a%20b%3Fc%23d%252Fe%5Cf%2F%C3%A9")
        );
    }

    #[test]
    fn task_url_rejects_dot_segments() {
        assert_eq!(task_url("", ".."), Err(TaskIdError::DotSegment("..")));
        assert_eq!(task_url("", "."), Err(TaskIdError::DotSegment(".")));
    }

    #[test]
    fn task_url_rejects_empty_id() {
        assert_eq!(task_url("", ""), Err(TaskIdError::Empty));
        assert_eq!(task_url("", "  "), Err(TaskIdError::Empty));
    }
}
