//! Reading the Content-Security-Policy violations of the current page,
//! and the browser's console log, which reports them too.

use fantoccini::wd::WebDriverCompatibleCommand;
use hyper::Method;
use serde::Deserialize;
use serde_json::{json, Value};
use url::{ParseError, Url};

use crate::browser::Browser;
use crate::error::{Error, Result};

/// Collects the `csp-violation` reports of the current document through a
/// `ReportingObserver` with `buffered: true`, which also receives the
/// reports queued before it was created, from the start of the document.
const VIOLATIONS_SCRIPT: &str = r#"
const observer = new ReportingObserver(() => {}, { types: ["csp-violation"], buffered: true });
observer.observe();
const reports = observer.takeRecords();
observer.disconnect();
return reports.map(({ body }) => ({
  directive: body.effectiveDirective ?? "",
  blockedUrl: body.blockedURL ?? "",
  sourceFile: body.sourceFile ?? null,
  lineNumber: body.lineNumber ?? null,
  sample: body.sample ?? null,
}));
"#;

/// One `csp-violation` report of the page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CspViolation {
    /// The directive that blocked the resource, such as `style-src-elem`.
    pub directive: String,
    /// What was blocked: a URL, or `inline`, `eval` or `wasm-eval`.
    pub blocked_url: String,
    /// The file whose code caused the violation, when known.
    pub source_file: Option<String>,
    /// The line in `source_file`, when known.
    pub line_number: Option<u64>,
    /// The first characters of a blocked inline script or style.
    pub sample: Option<String>,
}

/// One entry of the browser's console log, as chromedriver returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO` or `DEBUG`.
    pub level: String,
    /// The message, starting with its source, such as a URL.
    pub message: String,
}

/// chromedriver's log command: `POST /session/{id}/se/log` with a log type.
/// It returns the entries logged since the previous call and clears them.
#[derive(Debug)]
struct LogCommand {
    log_type: &'static str,
}

impl WebDriverCompatibleCommand for LogCommand {
    fn endpoint(&self, base_url: &Url, session_id: Option<&str>) -> Result<Url, ParseError> {
        // fantoccini sends commands only once the session exists.
        let session_id = session_id.unwrap_or_default();
        base_url
            .join(&format!("session/{session_id}/"))?
            .join("se/log")
    }

    fn method_and_body(&self, _request_url: &Url) -> (Method, Option<String>) {
        let body = json!({ "type": self.log_type });
        (Method::POST, Some(body.to_string()))
    }
}

impl Browser {
    /// Returns the Content-Security-Policy violations that the current
    /// document reported since it started loading.
    ///
    /// NOTE: Chromium keeps at most 100 buffered reports of each type per
    /// document, so a page with more violations than that lists the first
    /// 100 only.
    pub async fn csp_violations(&self) -> Result<Vec<CspViolation>> {
        let value = self.execute(VIOLATIONS_SCRIPT, Vec::new()).await?;
        serde_json::from_value(value.clone()).map_err(|error| {
            Error::Setup(format!(
                "the CSP report script returned {value}, which is not a list of reports: {error}"
            ))
        })
    }

    /// Returns the browser's console entries logged since the previous
    /// call. With no `goog:loggingPrefs` in the session, chromedriver 156
    /// records WARNING and SEVERE entries only, which include CSP
    /// violations.
    pub async fn take_console_log(&self) -> Result<Vec<LogEntry>> {
        let value: Value = self
            .client()
            .issue_cmd(LogCommand {
                log_type: "browser",
            })
            .await
            .map_err(|error| Error::webdriver("reading the browser's console log", error))?;
        serde_json::from_value(value.clone()).map_err(|error| {
            Error::Setup(format!(
                "chromedriver returned {value} as the console log, which is not a list of entries: {error}"
            ))
        })
    }
}
