//! The task id that the proxy accepts in `GET /v1/enterprise/task/{taskId}`.

use std::fmt;

/// Task id checked against the proxy's strict character set: 1 to
/// [`TaskId::MAX_LEN`] ASCII letters, digits, `-` or `_`.
///
/// The set contains no character that needs escaping in a URL path, so a
/// `TaskId` is copied into the upstream URL as is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskId(String);

/// Error of a task id outside the accepted character set or length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task id of {length} bytes is empty, longer than 64 bytes or has a character other than A-Z, a-z, 0-9, '-' and '_'")]
pub struct InvalidTaskId {
    /// Length in bytes of the rejected id.
    pub length: usize,
}

impl TaskId {
    /// Maximum length of a task id, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Checks an id that was already percent-decoded from the path.
    ///
    /// # Errors
    ///
    /// Returns [`InvalidTaskId`] for an empty or too long id, or one with a
    /// character outside the set.
    pub fn parse(decoded: &str) -> Result<Self, InvalidTaskId> {
        let is_valid = (1..=Self::MAX_LEN).contains(&decoded.len())
            && decoded
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        if is_valid {
            Ok(Self(decoded.to_owned()))
        } else {
            Err(InvalidTaskId {
                length: decoded.len(),
            })
        }
    }

    /// Returns the id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::TaskId;

    #[test]
    fn task_id_accepts_letters_digits_dash_underscore() {
        let parsed = TaskId::parse("Ab-9_z");

        assert_eq!(parsed.map(|id| id.to_string()), Ok("Ab-9_z".to_owned()));
    }

    #[test]
    fn task_id_accepts_max_length() {
        let id = "a".repeat(TaskId::MAX_LEN);

        assert!(TaskId::parse(&id).is_ok());
    }

    #[test]
    fn task_id_rejects_over_max_length() {
        let id = "a".repeat(TaskId::MAX_LEN + 1);

        assert!(TaskId::parse(&id).is_err());
    }

    #[test]
    fn task_id_rejects_empty() {
        assert!(TaskId::parse("").is_err());
    }

    #[test]
    fn task_id_rejects_path_characters() {
        for id in [
            "..", ".", "a/b", "a\\b", "a%2Fb", "a b", "a?b", "a#b", "é", "a\0b",
        ] {
            assert!(TaskId::parse(id).is_err(), "{id:?} was accepted");
        }
    }
}
