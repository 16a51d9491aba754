//! Formatting through the browser: the viewer's locale and time zone.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::prelude::*;

use crate::core::i18n::Lang;

#[wasm_bindgen]
extern "C" {
    /// `Intl.getCanonicalLocales`, which throws a `RangeError` on a malformed
    /// tag; caught here so the `Intl` constructors below never see one.
    #[wasm_bindgen(catch, js_namespace = Intl, js_name = getCanonicalLocales)]
    fn canonical_locales(tag: &str) -> Result<js_sys::Array, JsValue>;
}

/// Picks the locale for numbers and dates: the browser's own tag when it is
/// of the widget's language (so an `en-GB` reader gets day-first dates), else
/// the language's tag.
pub fn locale_for(lang: Lang) -> String {
    let browser = web_sys::window().and_then(|window| window.navigator().language());
    match browser {
        Some(tag) if Lang::from_tag(&tag) == lang && canonical_locales(&tag).is_ok() => tag,
        _ => lang.tag().to_owned(),
    }
}

thread_local! {
    /// `Intl.NumberFormat` format functions by locale and options, because
    /// building a formatter costs far more than using one.
    static NUMBER_FORMATS: RefCell<HashMap<String, js_sys::Function>> = RefCell::new(HashMap::new());
}

/// Formats `value` with `Intl.NumberFormat(locale, options)`, where
/// `options` lists option names and values (numbers are passed as numbers).
fn format_number_with(value: f64, locale: &str, options: &[(&str, &str)]) -> String {
    let key = format!("{locale}|{options:?}");
    let format = NUMBER_FORMATS.with(|formats| {
        let mut formats = formats.borrow_mut();
        let format = formats.entry(key).or_insert_with(|| {
            let settings = js_sys::Object::new();
            for (name, setting) in options {
                let setting = match setting.parse::<f64>() {
                    Ok(number) => JsValue::from_f64(number),
                    Err(_) => JsValue::from_str(setting),
                };
                let _ = js_sys::Reflect::set(&settings, &JsValue::from_str(name), &setting);
            }
            let locales = js_sys::Array::of1(&JsValue::from_str(locale));
            js_sys::Intl::NumberFormat::new(&locales, &settings).format()
        });
        format.clone()
    });
    format
        .call1(&JsValue::NULL, &JsValue::from_f64(value))
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| value.to_string())
}

/// Formats a count of items: "1,234" in English, "1 234" in French.
pub fn format_count(value: u64, locale: &str) -> String {
    format_number_with(value as f64, locale, &[])
}

/// Formats a whole percent: "74%" in English, "74 %" in French.
pub fn format_percent(percent: u8, locale: &str) -> String {
    let options = [("style", "percent"), ("maximumFractionDigits", "0")];
    format_number_with(f64::from(percent) / 100.0, locale, &options)
}

/// Formats a rate with at most one decimal.
pub fn format_rate(value: f64, locale: &str) -> String {
    format_number_with(value, locale, &[("maximumFractionDigits", "1")])
}

/// Formats a duration as its two largest units, such as "1 hr 5 min" or
/// "2 min 3 sec", through `Intl.NumberFormat` unit styles.
pub fn format_duration(millis: u64, locale: &str) -> String {
    let seconds = millis / 1_000;
    let (hours, minutes, seconds) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
    let unit = |value: u64, unit: &str| {
        let options = [("style", "unit"), ("unit", unit), ("unitDisplay", "short")];
        format_number_with(value as f64, locale, &options)
    };
    match (hours, minutes) {
        (0, 0) => unit(seconds, "second"),
        (0, _) if seconds == 0 => unit(minutes, "minute"),
        (0, _) => format!("{} {}", unit(minutes, "minute"), unit(seconds, "second")),
        (_, 0) => unit(hours, "hour"),
        _ => format!("{} {}", unit(hours, "hour"), unit(minutes, "minute")),
    }
}

/// Formats how long ago `millis_ago` was, such as "3 seconds ago" or
/// "il y a 3 minutes", through `Intl.RelativeTimeFormat`.
pub fn format_ago(millis_ago: u64, locale: &str) -> String {
    let seconds = millis_ago / 1_000;
    let (value, unit) = match seconds {
        0..=59 => (seconds, "second"),
        60..=3_599 => (seconds / 60, "minute"),
        3_600..=86_399 => (seconds / 3_600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"numeric".into(), &"auto".into());
    let locales = js_sys::Array::of1(&JsValue::from_str(locale));
    let format = js_sys::Intl::RelativeTimeFormat::new(&locales, &options);
    format.format(-(value as f64), unit).into()
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
