//! Settings of one proxy instance and the checks of the values that come
//! from the command line.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use axum::http::HeaderValue;
use reqwest::Url;

use super::api_key::ApiKey;

/// Default time that a task response stays cached: 1 s.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(1);

/// Default time that an upstream request may take, body included: 10 s.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// Default maximum size of an upstream response body: 1 MiB. A task is
/// well under 1 KiB.
pub const DEFAULT_MAX_UPSTREAM_BODY_BYTES: usize = 1024 * 1024;

/// Settings of one proxy instance.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Base URL of the DriveQuant API, such as
    /// `https://service.drivequant.com`.
    pub upstream: UpstreamUrl,
    /// Key sent upstream in `x-dq-enterprise-api-key`.
    pub api_key: ApiKey,
    /// Folder of the built widget page, served for paths outside `/v1` and
    /// `/sim`. Defaults to `None`, which serves no files.
    pub dist_dir: Option<PathBuf>,
    /// Time that a cacheable task response is reused. Defaults to
    /// [`DEFAULT_CACHE_TTL`]; zero disables the cache but not the sharing
    /// of concurrent requests.
    pub cache_ttl: Duration,
    /// Time that an upstream request may take, from connecting to the end
    /// of the body. Defaults to [`DEFAULT_UPSTREAM_TIMEOUT`].
    pub upstream_timeout: Duration,
    /// Maximum size of an upstream response body in bytes. Defaults to
    /// [`DEFAULT_MAX_UPSTREAM_BODY_BYTES`].
    pub max_upstream_body_bytes: usize,
    /// Whether to forward the two `POST .../failed/retry` routes. Defaults
    /// to `false`.
    pub allow_retries: bool,
    /// Origins that get CORS headers. Defaults to none, which sends no CORS
    /// headers, so only pages of the proxy's own origin can read responses.
    pub cors_origins: Vec<CorsOrigin>,
    /// Sources of the CSP `frame-ancestors` directive. Defaults to `'self'`.
    pub frame_ancestors: FrameAncestors,
}

impl ProxyConfig {
    /// Creates settings with the defaults of every other field.
    pub fn new(upstream: UpstreamUrl, api_key: ApiKey) -> Self {
        Self {
            upstream,
            api_key,
            dist_dir: None,
            cache_ttl: DEFAULT_CACHE_TTL,
            upstream_timeout: DEFAULT_UPSTREAM_TIMEOUT,
            max_upstream_body_bytes: DEFAULT_MAX_UPSTREAM_BODY_BYTES,
            allow_retries: false,
            cors_origins: Vec::new(),
            frame_ancestors: FrameAncestors::default(),
        }
    }
}

/// Error of a setting given on the command line. The text names the value
/// and the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidSetting(String);

/// Base URL of the upstream API: `http` or `https`, with a host, an
/// optional path prefix, and no credentials, query or fragment.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    /// The URL as text, without a trailing `/`.
    base: String,
}

impl UpstreamUrl {
    /// Checks `text` and removes a trailing `/`.
    ///
    /// # Errors
    ///
    /// Returns [`InvalidSetting`] for text that is not such a URL.
    pub fn parse(text: &str) -> Result<Self, InvalidSetting> {
        let invalid = |reason: &str| {
            InvalidSetting(format!(
                "invalid upstream URL {text:?}: {reason}. Expected a URL such as https://service.drivequant.com"
            ))
        };
        let url = Url::parse(text).map_err(|error| invalid(&error.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("the host is missing"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("credentials in the URL are not allowed"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a query or fragment is not allowed"));
        }
        let base = url.as_str().trim_end_matches('/').to_owned();
        Ok(Self { base })
    }

    /// Returns the URL of `path`, which must start with `/`.
    pub(crate) fn join(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Returns the URL as text, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.base
    }
}

impl fmt::Debug for UpstreamUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UpstreamUrl").field(&self.base).finish()
    }
}

/// An origin allowed by CORS, in the exact form browsers send in the
/// `Origin` header: `scheme://host` with the port only when it is not the
/// scheme's default, lowercase, with no path or trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsOrigin(HeaderValue);

impl CorsOrigin {
    /// Checks that `text` is an origin written as browsers send it.
    ///
    /// # Errors
    ///
    /// Returns [`InvalidSetting`] for any other text, with the corrected
    /// form when there is one.
    pub fn parse(text: &str) -> Result<Self, InvalidSetting> {
        let url = Url::parse(text).map_err(|error| {
            InvalidSetting(format!(
                "invalid CORS origin {text:?}: {error}. Expected an origin such as https://portal.example.com"
            ))
        })?;
        let origin = url.origin();
        if !origin.is_tuple() || !matches!(url.scheme(), "http" | "https") {
            return Err(InvalidSetting(format!(
                "invalid CORS origin {text:?}: expected an http or https origin such as https://portal.example.com"
            )));
        }
        let serialized = origin.ascii_serialization();
        if serialized != text {
            return Err(InvalidSetting(format!(
                "invalid CORS origin {text:?}: browsers send it as {serialized:?}, with no path or \
                 trailing slash, so write it that way"
            )));
        }
        let value = HeaderValue::from_str(&serialized).map_err(|_| {
            InvalidSetting(format!(
                "invalid CORS origin {text:?}: not a valid header value"
            ))
        })?;
        Ok(Self(value))
    }

    /// Returns the origin as a header value.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

/// Sources of the CSP `frame-ancestors` directive, which lists the pages
/// that may show the proxy's pages in a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameAncestors(String);

impl Default for FrameAncestors {
    fn default() -> Self {
        Self("'self'".to_owned())
    }
}

impl FrameAncestors {
    /// Checks a space-separated list of sources, such as
    /// `'self' https://portal.example.com`.
    ///
    /// Each source is `'self'`, `'none'` (alone), a scheme such as
    /// `https:`, or a host source such as `https://*.example.com:8443`.
    /// Characters that would end the directive, such as `;` and `,`, are
    /// rejected.
    ///
    /// # Errors
    ///
    /// Returns [`InvalidSetting`] naming the first invalid source.
    pub fn parse(text: &str) -> Result<Self, InvalidSetting> {
        let sources: Vec<&str> = text.split_ascii_whitespace().collect();
        if sources.is_empty() {
            return Err(InvalidSetting(
                "frame-ancestors is empty. Use 'none' to forbid every frame".to_owned(),
            ));
        }
        if sources.contains(&"'none'") && sources.len() > 1 {
            return Err(InvalidSetting(
                "frame-ancestors 'none' must be the only source".to_owned(),
            ));
        }
        for source in &sources {
            if !is_frame_source(source) {
                return Err(InvalidSetting(format!(
                    "invalid frame-ancestors source {source:?}. Expected 'self', 'none', a scheme \
                     such as https: or an origin such as https://portal.example.com"
                )));
            }
        }
        Ok(Self(sources.join(" ")))
    }

    /// Returns the sources joined by single spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Returns whether `source` is a keyword or a scheme or host source of CSP.
fn is_frame_source(source: &str) -> bool {
    if source == "'self'" || source == "'none'" {
        return true;
    }
    // Host sources use these characters only: letters, digits, `-`, `.`,
    // `*` for a wildcard, `:` before a port, `/` in the scheme and path.
    source.bytes().all(|byte| {
        byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'*' | b':' | b'/' | b'_')
    }) && !source.is_empty()
}

#[cfg(test)]
mod tests {
    use super::{CorsOrigin, FrameAncestors, UpstreamUrl};

    #[test]
    fn upstream_url_trailing_slash_is_removed() {
        let url = UpstreamUrl::parse("https://service.drivequant.com/").expect("URL is valid");

        assert_eq!(url.join("/v1/x"), "https://service.drivequant.com/v1/x");
    }

    #[test]
    fn upstream_url_keeps_path_prefix() {
        let url = UpstreamUrl::parse("http://127.0.0.1:9000/api").expect("URL is valid");

        assert_eq!(url.join("/v1/x"), "http://127.0.0.1:9000/api/v1/x");
    }

    #[test]
    fn upstream_url_rejects_other_forms() {
        for text in [
            "service.drivequant.com",
            "ftp://service.drivequant.com",
            "https://user:secret@service.drivequant.com",
            "https://service.drivequant.com/?key=1",
            "https://service.drivequant.com/#top",
        ] {
            assert!(UpstreamUrl::parse(text).is_err(), "{text} was accepted");
        }
    }

    #[test]
    fn cors_origin_accepts_browser_form() {
        let origin = CorsOrigin::parse("https://portal.example.com:8443").expect("origin is valid");

        assert_eq!(origin.header_value(), "https://portal.example.com:8443");
    }

    #[test]
    fn cors_origin_error_gives_browser_form() {
        let error = CorsOrigin::parse("https://Portal.example.com/")
            .expect_err("origin is not in browser form")
            .to_string();

        assert!(error.contains("\"https://portal.example.com\""), "{error}");
    }

    #[test]
    fn cors_origin_rejects_paths_and_default_ports() {
        for text in [
            "https://portal.example.com/app",
            "https://portal.example.com:443",
            "portal.example.com",
            "file:///tmp/page.html",
            "null",
        ] {
            assert!(CorsOrigin::parse(text).is_err(), "{text} was accepted");
        }
    }

    #[test]
    fn frame_ancestors_normalizes_spaces() {
        let sources = FrameAncestors::parse("  'self'   https://portal.example.com ")
            .expect("sources are valid");

        assert_eq!(sources.as_str(), "'self' https://portal.example.com");
    }

    #[test]
    fn frame_ancestors_rejects_directive_injection() {
        for text in [
            "'self'; script-src *",
            "https://a.example,https://b.example",
            "'unsafe-inline'",
            "",
        ] {
            assert!(
                FrameAncestors::parse(text).is_err(),
                "{text:?} was accepted"
            );
        }
    }

    #[test]
    fn frame_ancestors_none_must_be_alone() {
        assert!(FrameAncestors::parse("'none' 'self'").is_err());
    }
}
