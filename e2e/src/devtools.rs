//! Chrome DevTools Protocol commands sent through chromedriver's
//! `POST /session/{id}/goog/cdp/execute`, for what WebDriver lacks, such as
//! emulating the `prefers-color-scheme` and `prefers-reduced-motion` media
//! features.

use fantoccini::wd::WebDriverCompatibleCommand;
use hyper::Method;
use serde_json::{json, Value};
use url::{ParseError, Url};

use crate::browser::Browser;
use crate::error::{Error, Result};

/// One DevTools command, such as `Emulation.setEmulatedMedia`, with its
/// parameters.
#[derive(Debug)]
struct DevtoolsCommand {
    method: String,
    params: Value,
}

impl WebDriverCompatibleCommand for DevtoolsCommand {
    fn endpoint(&self, base_url: &Url, session_id: Option<&str>) -> Result<Url, ParseError> {
        // A fantoccini client opens its session when it connects, before it
        // can send this command, so the id is there.
        let session_id = session_id.unwrap_or_default();
        base_url
            .join(&format!("session/{session_id}/"))?
            .join("goog/cdp/execute")
    }

    fn method_and_body(&self, _request_url: &Url) -> (Method, Option<String>) {
        let body = json!({ "cmd": self.method, "params": self.params });
        (Method::POST, Some(body.to_string()))
    }
}

impl Browser {
    /// Sends the DevTools command `method` with `params` to the current tab
    /// and returns the command's result object.
    ///
    /// chromedriver keeps one DevTools session per tab for the whole
    /// WebDriver session, so state that a command sets, such as an emulated
    /// media feature, lasts across navigations until it is changed.
    pub async fn devtools(&self, method: &str, params: Value) -> Result<Value> {
        let command = DevtoolsCommand {
            method: method.to_owned(),
            params,
        };
        self.client()
            .issue_cmd(command)
            .await
            .map_err(|error| Error::webdriver(format!("sending DevTools command {method}"), error))
    }

    /// Emulates CSS media features, such as
    /// `[("prefers-reduced-motion", "reduce")]`, in the current tab. Each
    /// call replaces the previous emulation, and an empty list ends it.
    pub async fn emulate_media_features(&self, features: &[(&str, &str)]) -> Result<()> {
        let features: Vec<Value> = features
            .iter()
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect();
        self.devtools(
            "Emulation.setEmulatedMedia",
            json!({ "media": "", "features": features }),
        )
        .await?;
        Ok(())
    }
}
