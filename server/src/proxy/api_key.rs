//! The enterprise API key that the proxy adds to upstream requests, read
//! from an environment variable or a file, never from the command line.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use axum::http::HeaderValue;

/// Environment variable that contains the key unless another is chosen.
pub const DEFAULT_KEY_ENV: &str = "DQ_ENTERPRISE_API_KEY";

/// The enterprise API key, as a header value marked sensitive.
///
/// `Debug` prints `<redacted>`, so a logged config never shows the key.
#[derive(Clone)]
pub struct ApiKey(HeaderValue);

/// Source that [`ApiKey::load`] reads the key from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySource {
    /// Environment variable read when `file` is `None`. Defaults to
    /// [`DEFAULT_KEY_ENV`].
    pub env_var: String,
    /// File whose content is the key, with one trailing newline removed.
    /// When set, the environment variable is not read. Defaults to `None`.
    pub file: Option<PathBuf>,
}

impl Default for KeySource {
    fn default() -> Self {
        Self {
            env_var: DEFAULT_KEY_ENV.to_owned(),
            file: None,
        }
    }
}

/// Error of a key that is missing, unreadable or not a valid header value.
/// The messages name where the key was read, never the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The variable is unset or empty and no file was given.
    #[error(
        "no API key: the environment variable {env_var} is unset or empty. \
         Set it to the enterprise API key, or pass --key-file PATH to read the key from a file"
    )]
    MissingEnv {
        /// Name of the variable read.
        env_var: String,
    },
    /// The variable is set but is not valid Unicode.
    #[error(
        "the environment variable {env_var} is not valid Unicode. Set it to the enterprise API key"
    )]
    NotUnicodeEnv {
        /// Name of the variable read.
        env_var: String,
    },
    /// The key file could not be read.
    #[error("failed to read the API key file {}: {source}. Check the --key-file path and its permissions", path.display())]
    UnreadableFile {
        /// Path of the file.
        path: PathBuf,
        /// Error of the read.
        source: std::io::Error,
    },
    /// The key file is empty, or holds only a newline.
    #[error("the API key file {} is empty. Write the enterprise API key into it", path.display())]
    EmptyFile {
        /// Path of the file.
        path: PathBuf,
    },
    /// The key has a character that an HTTP header cannot carry, such as a
    /// control character or a second line.
    #[error("the API key from {origin} has a character that an HTTP header cannot carry, such as a second line or a control character")]
    InvalidHeaderValue {
        /// The variable or file the key came from.
        origin: String,
    },
}

impl ApiKey {
    /// Wraps a key given in code, such as in tests.
    ///
    /// # Errors
    ///
    /// Returns [`KeyError::InvalidHeaderValue`] when `key` is empty or has
    /// a character that a header cannot carry.
    pub fn new(key: &str) -> Result<Self, KeyError> {
        Self::from_text(key, "the program")
    }

    /// Reads the key from `source`, looking environment variables up in
    /// the process environment.
    ///
    /// # Errors
    ///
    /// Returns a [`KeyError`] when no non-empty, valid key is found.
    pub fn load(source: &KeySource) -> Result<Self, KeyError> {
        Self::load_with(source, |name| std::env::var_os(name))
    }

    /// Reads the key from `source`, looking environment variables up with
    /// `lookup`, so tests need not change the process environment.
    ///
    /// # Errors
    ///
    /// Returns a [`KeyError`] when no non-empty, valid key is found.
    pub fn load_with(
        source: &KeySource,
        lookup: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Self, KeyError> {
        match &source.file {
            Some(path) => Self::read_file(path),
            None => Self::read_env(&source.env_var, lookup),
        }
    }

    /// Returns the value of the `x-dq-enterprise-api-key` header.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }

    fn read_env(
        env_var: &str,
        lookup: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Self, KeyError> {
        let missing = || KeyError::MissingEnv {
            env_var: env_var.to_owned(),
        };
        let value = lookup(env_var).ok_or_else(missing)?;
        let text = value.into_string().map_err(|_| KeyError::NotUnicodeEnv {
            env_var: env_var.to_owned(),
        })?;
        if text.is_empty() {
            return Err(missing());
        }
        Self::from_text(&text, &format!("the environment variable {env_var}"))
    }

    fn read_file(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::UnreadableFile {
            path: path.to_owned(),
            source,
        })?;
        // Editors and `echo` end files with a newline, which is not part
        // of the key.
        let key = text
            .strip_suffix('\n')
            .map(|rest| rest.strip_suffix('\r').unwrap_or(rest))
            .unwrap_or(&text);
        if key.is_empty() {
            return Err(KeyError::EmptyFile {
                path: path.to_owned(),
            });
        }
        Self::from_text(key, &format!("the file {}", path.display()))
    }

    fn from_text(key: &str, origin: &str) -> Result<Self, KeyError> {
        let invalid = || KeyError::InvalidHeaderValue {
            origin: origin.to_owned(),
        };
        // `HeaderValue` accepts tabs and bytes above 0x7F, which no API key
        // contains, so only visible ASCII and spaces are let through.
        let is_visible_ascii = key
            .bytes()
            .all(|byte| byte == b' ' || byte.is_ascii_graphic());
        if key.trim().is_empty() || !is_visible_ascii {
            return Err(invalid());
        }
        let mut value = HeaderValue::from_str(key).map_err(|_| invalid())?;
        value.set_sensitive(true);
        Ok(Self(value))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::path::PathBuf;

    use super::{ApiKey, KeyError, KeySource, DEFAULT_KEY_ENV};

    fn env_with(value: Option<&str>) -> impl Fn(&str) -> Option<OsString> + '_ {
        move |name| {
            assert_eq!(name, DEFAULT_KEY_ENV);
            value.map(OsString::from)
        }
    }

    fn temp_file(name: &str, content: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "task-status-server-key-{}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, content).expect("key file is written");
        path
    }

    #[test]
    fn key_env_is_read() {
        let key = ApiKey::load_with(&KeySource::default(), env_with(Some("key-1")));

        assert_eq!(key.expect("key loads").header_value(), "key-1");
    }

    #[test]
    fn key_env_value_is_sensitive() {
        let key = ApiKey::load_with(&KeySource::default(), env_with(Some("key-1")));

        assert!(key.expect("key loads").header_value().is_sensitive());
    }

    #[test]
    fn key_env_unset_names_variable_and_file_option() {
        let error = ApiKey::load_with(&KeySource::default(), env_with(None))
            .expect_err("key is missing")
            .to_string();

        assert!(error.contains(DEFAULT_KEY_ENV), "{error}");
        assert!(error.contains("--key-file"), "{error}");
    }

    #[test]
    fn key_env_empty_is_missing() {
        let error = ApiKey::load_with(&KeySource::default(), env_with(Some("")));

        assert!(
            matches!(error, Err(KeyError::MissingEnv { .. })),
            "{error:?}"
        );
    }

    #[test]
    fn key_env_name_is_configurable() {
        let source = KeySource {
            env_var: "PORTAL_KEY".to_owned(),
            file: None,
        };

        let key = ApiKey::load_with(&source, |name| {
            (name == "PORTAL_KEY").then(|| OsString::from("key-2"))
        });

        assert_eq!(key.expect("key loads").header_value(), "key-2");
    }

    #[test]
    fn key_file_trailing_newline_is_trimmed() {
        let path = temp_file("newline", "key-3\n");
        let source = KeySource {
            file: Some(path.clone()),
            ..KeySource::default()
        };

        let key = ApiKey::load_with(&source, env_with(Some("ignored")));
        let _ = std::fs::remove_file(&path);

        assert_eq!(key.expect("key loads").header_value(), "key-3");
    }

    #[test]
    fn key_file_crlf_is_trimmed() {
        let path = temp_file("crlf", "key-4\r\n");
        let source = KeySource {
            file: Some(path.clone()),
            ..KeySource::default()
        };

        let key = ApiKey::load_with(&source, env_with(None));
        let _ = std::fs::remove_file(&path);

        assert_eq!(key.expect("key loads").header_value(), "key-4");
    }

    #[test]
    fn key_file_with_only_newline_is_empty() {
        let path = temp_file("empty", "\n");
        let source = KeySource {
            file: Some(path.clone()),
            ..KeySource::default()
        };

        let key = ApiKey::load_with(&source, env_with(Some("ignored")));
        let _ = std::fs::remove_file(&path);

        assert!(matches!(key, Err(KeyError::EmptyFile { .. })), "{key:?}");
    }

    #[test]
    fn key_file_missing_names_path() {
        let path = std::env::temp_dir().join("task-status-server-no-such-key-file");
        let source = KeySource {
            file: Some(path.clone()),
            ..KeySource::default()
        };

        let error = ApiKey::load_with(&source, env_with(None))
            .expect_err("file is missing")
            .to_string();

        assert!(error.contains(&path.display().to_string()), "{error}");
    }

    #[test]
    fn key_with_second_line_is_rejected() {
        let key = ApiKey::load_with(&KeySource::default(), env_with(Some("key\nmore")));

        assert!(
            matches!(key, Err(KeyError::InvalidHeaderValue { .. })),
            "{key:?}"
        );
    }

    #[test]
    fn key_debug_is_redacted() {
        let key = ApiKey::new("secret-5").expect("key is valid");

        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
    }
}
