//! Parsing of the API's timestamps.
//!
//! The task endpoint writes dates as `2024-12-09T14:14:17.574+0000`: RFC 3339
//! except for the offset, which has no colon. `Z` and `+00:00` are accepted too,
//! so a server that switches to strict RFC 3339 keeps working.

use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::OffsetDateTime;

/// A timestamp from the API: the instant when it parsed, or the raw text when it did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiDate {
    /// Milliseconds since the Unix epoch.
    Instant(i64),
    /// The text as received, because it is not a date this parser understands.
    Invalid(String),
}

impl ApiDate {
    /// Parses `text`, keeping it as [`ApiDate::Invalid`] when it is not a date.
    pub fn parse(text: &str) -> Self {
        match parse_millis(text) {
            Some(millis) => ApiDate::Instant(millis),
            None => ApiDate::Invalid(text.to_owned()),
        }
    }

    /// Milliseconds since the Unix epoch, when the date parsed.
    pub fn millis(&self) -> Option<i64> {
        match self {
            ApiDate::Instant(millis) => Some(*millis),
            ApiDate::Invalid(_) => None,
        }
    }
}

/// Parses an API timestamp into milliseconds since the Unix epoch.
pub fn parse_millis(text: &str) -> Option<i64> {
    let text = text.trim();
    let normalized = insert_offset_colon(text);
    let parsed = OffsetDateTime::parse(normalized.as_deref().unwrap_or(text), &Rfc3339).ok()?;
    let millis = parsed.unix_timestamp_nanos() / 1_000_000;
    i64::try_from(millis).ok()
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, the form of
/// `Retry-After`) into milliseconds since the Unix epoch.
pub fn parse_http_date_millis(text: &str) -> Option<i64> {
    let parsed = OffsetDateTime::parse(text.trim(), &Rfc2822).ok()?;
    let millis = parsed.unix_timestamp_nanos() / 1_000_000;
    i64::try_from(millis).ok()
}

/// Rewrites a trailing `+HHMM` or `-HHMM` offset as `+HH:MM`, or returns `None`
/// when the text does not end with such an offset.
fn insert_offset_colon(text: &str) -> Option<String> {
    let split = text.len().checked_sub(5)?;
    if !text.is_char_boundary(split) {
        return None;
    }
    let (head, offset) = text.split_at(split);
    let bytes = offset.as_bytes();
    let signed = bytes[0] == b'+' || bytes[0] == b'-';
    let digits = bytes[1..].iter().all(u8::is_ascii_digit);
    // The time part must come right before, so a bare date such as `2024-1209` is left alone.
    if !signed || !digits || !head.contains('T') {
        return None;
    }
    Some(format!("{head}{}:{}", &offset[..3], &offset[3..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATED_MILLIS: i64 = 1_733_753_657_574;

    #[test]
    fn parse_offset_without_colon() {
        assert_eq!(
            parse_millis("2024-12-09T14:14:17.574+0000"),
            Some(CREATED_MILLIS)
        );
    }

    #[test]
    fn parse_zulu_and_colon_offset() {
        assert_eq!(
            parse_millis("2024-12-09T14:14:17.574Z"),
            Some(CREATED_MILLIS)
        );
        assert_eq!(
            parse_millis("2024-12-09T14:14:17.574+00:00"),
            Some(CREATED_MILLIS)
        );
    }

    #[test]
    fn parse_other_offset_same_instant() {
        // 16:14 at +02:00 is 14:14 UTC.
        assert_eq!(
            parse_millis("2024-12-09T16:14:17.574+0200"),
            Some(CREATED_MILLIS)
        );
        assert_eq!(
            parse_millis("2024-12-09T12:14:17.574-0200"),
            Some(CREATED_MILLIS)
        );
    }

    #[test]
    fn parse_without_fraction() {
        assert_eq!(
            parse_millis("2024-12-09T14:14:17+0000"),
            Some(CREATED_MILLIS - 574)
        );
    }

    #[test]
    fn parse_rejects_garbage() {
        for text in [
            "not-a-date",
            "",
            "+0000",
            "2024-12-09",
            "2024-13-09T14:14:17+0000",
            "ééééé",
        ] {
            assert_eq!(parse_millis(text), None, "{text:?} should not parse");
        }
    }

    #[test]
    fn parse_http_date_gmt() {
        assert_eq!(
            parse_http_date_millis("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(parse_http_date_millis("yesterday"), None);
    }

    #[test]
    fn api_date_keeps_invalid_text() {
        assert_eq!(
            ApiDate::parse("not-a-date"),
            ApiDate::Invalid("not-a-date".into())
        );
        assert_eq!(ApiDate::parse("not-a-date").millis(), None);
    }
}
