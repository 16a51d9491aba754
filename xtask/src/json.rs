//! Reading single fields out of JSON text without a JSON library.
//!
//! xtask needs two values: `target_directory` from `cargo metadata` and the
//! first `taskId` from the task server. xtask has no dependencies so that it
//! compiles in seconds, so this module finds the first occurrence of a key
//! and decodes the scalar after it.

/// Returns the value of the first `"key": value` pair in `json`, where the
/// value is a string (decoded) or a number (as written).
///
/// The key is matched wherever it occurs, at any depth, so callers pick keys
/// that are unique in the document.
pub fn first_scalar_field(json: &str, key: &str) -> Option<String> {
    let quoted_key = format!("\"{key}\"");
    let mut search_from = 0;
    while let Some(offset) = json[search_from..].find(&quoted_key) {
        let after_key = search_from + offset + quoted_key.len();
        let rest = json[after_key..].trim_start();
        if let Some(value) = rest.strip_prefix(':') {
            return parse_scalar(value.trim_start());
        }
        // The match was a string value that happens to equal the key.
        search_from = after_key;
    }
    None
}

fn parse_scalar(text: &str) -> Option<String> {
    if let Some(body) = text.strip_prefix('"') {
        return parse_string_body(body);
    }
    let number: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || "+-.eE".contains(*c))
        .collect();
    (!number.is_empty()).then_some(number)
}

/// Decodes a JSON string whose opening quote was already consumed.
fn parse_string_body(body: &str) -> Option<String> {
    let mut value = String::new();
    let mut chars = body.chars();
    loop {
        match chars.next()? {
            '"' => return Some(value),
            '\\' => {
                let decoded = match chars.next()? {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        // Surrogate pairs are rejected. cargo metadata and
                        // axum's Json both serialize with serde_json, which
                        // writes non-ASCII text as UTF-8 and uses \u
                        // escapes only for control characters.
                        char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                    }
                    _ => return None,
                };
                value.push(decoded);
            }
            other => value.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_field_in_nested_array() {
        let json = r#"{"tasks":[{"taskId":"a1-b2","status":"RUNNING"},{"taskId":"c3"}]}"#;

        assert_eq!(first_scalar_field(json, "taskId").as_deref(), Some("a1-b2"));
    }

    #[test]
    fn string_field_with_escapes() {
        let json = r#"{ "target_directory" : "/work/a \"b\"\\c\u00e9" }"#;

        assert_eq!(
            first_scalar_field(json, "target_directory").as_deref(),
            Some("/work/a \"b\"\\cé")
        );
    }

    #[test]
    fn number_field_as_written() {
        assert_eq!(
            first_scalar_field(r#"{"taskId": 42}"#, "taskId").as_deref(),
            Some("42")
        );
    }

    #[test]
    fn key_text_as_value_is_skipped() {
        let json = r#"{"name":"taskId","taskId":"real"}"#;

        assert_eq!(first_scalar_field(json, "taskId").as_deref(), Some("real"));
    }

    #[test]
    fn missing_or_malformed_field() {
        assert_eq!(first_scalar_field(r#"{"tasks":[]}"#, "taskId"), None);
        assert_eq!(first_scalar_field(r#"{"taskId":"open"#, "taskId"), None);
        assert_eq!(first_scalar_field(r#"{"taskId":null}"#, "taskId"), None);
    }
}
