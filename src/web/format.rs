//! Formatting through the browser: the viewer's locale and time zone.

use wasm_bindgen::JsValue;

use crate::core::i18n::Lang;

/// Picks the locale for dates: the browser's own tag when it is of the widget's
/// language (so an `en-GB` reader gets day-first dates), else the language's tag.
pub fn locale_for(lang: Lang) -> String {
    let browser = web_sys::window().and_then(|window| window.navigator().language());
    match browser {
        Some(tag) if Lang::from_tag(&tag) == lang && is_plain_tag(&tag) => tag,
        _ => lang.tag().to_owned(),
    }
}

/// Tells whether a tag is safe to hand to `Intl`, which throws on a malformed one.
fn is_plain_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 35
        && tag.split('-').all(|part| {
            !part.is_empty()
                && part.len() <= 8
                && part.bytes().all(|byte| byte.is_ascii_alphanumeric())
        })
}

/// A date as shown: the readable text and the ISO form for `<time datetime>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownDate {
    /// Medium date and time in the viewer's time zone.
    pub text: String,
    /// ISO 8601 in UTC.
    pub iso: String,
}

/// Formats milliseconds since the Unix epoch for `locale`.
pub fn format_date(millis: i64, locale: &str) -> ShownDate {
    let date = js_sys::Date::new(&JsValue::from_f64(millis as f64));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"medium".into());
    ShownDate {
        text: date.to_locale_string(locale, &options).into(),
        iso: date.to_iso_string().into(),
    }
}

/// Formats the time of day of milliseconds since the Unix epoch for `locale`.
pub fn format_time(millis: u64, locale: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(millis as f64));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"medium".into());
    date.to_locale_string(locale, &options).into()
}

/// The language of the page: the root element's `lang`, else the browser's.
pub fn page_lang() -> Lang {
    let document_lang = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
        .and_then(|root| root.get_attribute("lang"))
        .filter(|tag| !tag.trim().is_empty());
    let browser_lang = || web_sys::window().and_then(|window| window.navigator().language());
    document_lang
        .or_else(browser_lang)
        .map(|tag| Lang::from_tag(&tag))
        .unwrap_or_default()
}
