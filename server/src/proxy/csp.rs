//! The Content-Security-Policy of the proxy's responses, with the hashes
//! of the inline scripts of the widget page.
//!
//! Trunk writes the page's bootstrap as an inline `<script type="module">`
//! that imports the JavaScript glue and starts the wasm module. Allowing
//! it by its SHA-256 hash keeps `'unsafe-inline'` out of `script-src`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::config::FrameAncestors;

/// Builds the policy sent with every response.
///
/// `script_hashes` are CSP hash sources such as `'sha256-…'`, from
/// [`inline_script_hashes`], and `style_hashes` those of the `<style>`
/// elements that scripts create, from [`sha256_source`].
/// `'wasm-unsafe-eval'` lets the page compile its wasm module without
/// allowing `eval` of JavaScript. `style-src` has no `'unsafe-inline'`:
/// the widget sets the bar's width through the CSSOM, which CSP does not
/// restrict, and the page has no `style` attributes.
pub fn content_security_policy(
    script_hashes: &[String],
    style_hashes: &[String],
    frame_ancestors: &FrameAncestors,
) -> String {
    let script_src = source_list("'self' 'wasm-unsafe-eval'", script_hashes);
    let style_src = source_list("'self'", style_hashes);
    format!(
        "default-src 'none'; script-src {script_src}; style-src {style_src}; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; \
         base-uri 'none'; object-src 'none'; frame-ancestors {}",
        frame_ancestors.as_str()
    )
}

fn source_list(keywords: &str, hashes: &[String]) -> String {
    let mut list = keywords.to_owned();
    for hash in hashes {
        list.push(' ');
        list.push_str(hash);
    }
    list
}

/// Returns the CSP hash source, `'sha256-<base64>'`, of `bytes` as they
/// are, such as the text that a script puts in a `<style>` element.
pub fn sha256_source(bytes: &[u8]) -> String {
    format!("'sha256-{}'", BASE64.encode(Sha256::digest(bytes)))
}

/// Returns the CSP hash source, `'sha256-<base64>'`, of every inline
/// script of `html`, in document order.
///
/// A script is inline when its start tag has no `src` attribute. The hash
/// covers the text between the start and end tags after the newline
/// normalization of HTML parsers, which turns CR LF and lone CR into LF,
/// because browsers hash the parsed text.
///
/// NOTE: this is a scanner, not an HTML parser. It finds `<script` inside
/// comments too, which only adds a hash that matches no running script.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(script) = next_script(rest) {
        if !script.has_src {
            hashes.push(hash_source(script.text));
        }
        rest = script.after;
    }
    hashes
}

/// One `<script>` element found by [`next_script`].
struct ScriptElement<'a> {
    has_src: bool,
    /// Raw text between the start tag and `</script`.
    text: &'a str,
    /// The document after the element's text.
    after: &'a str,
}

/// Finds the next `<script` start tag in `html` and the text it encloses.
fn next_script(html: &str) -> Option<ScriptElement<'_>> {
    let mut search_from = 0;
    loop {
        let start = search_from + find_ignore_case(&html[search_from..], "<script")?;
        let after_name = start + "<script".len();
        // `<scripts>` or `<script-x>` is another element.
        let next = html[after_name..].bytes().next();
        if !matches!(
            next,
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
        ) {
            search_from = after_name;
            continue;
        }

        let (has_src, tag_end) = scan_attributes(html, after_name)?;
        let text_end = tag_end + find_ignore_case(&html[tag_end..], "</script")?;
        return Some(ScriptElement {
            has_src,
            text: &html[tag_end..text_end],
            after: &html[text_end..],
        });
    }
}

/// Reads the attributes of a start tag from `position`, just after the tag
/// name. Returns whether one is named `src`, and the index just after the
/// closing `>`. Quoted values may contain `>`.
fn scan_attributes(html: &str, mut position: usize) -> Option<(bool, usize)> {
    let bytes = html.as_bytes();
    let mut has_src = false;
    loop {
        while bytes
            .get(position)
            .is_some_and(|byte| byte.is_ascii_whitespace() || *byte == b'/')
        {
            position += 1;
        }
        if *bytes.get(position)? == b'>' {
            return Some((has_src, position + 1));
        }

        let name_start = position;
        while bytes
            .get(position)
            .is_some_and(|byte| !byte.is_ascii_whitespace() && !matches!(byte, b'=' | b'>' | b'/'))
        {
            position += 1;
        }
        if html[name_start..position].eq_ignore_ascii_case("src") {
            has_src = true;
        }

        while bytes.get(position).is_some_and(u8::is_ascii_whitespace) {
            position += 1;
        }
        if bytes.get(position) != Some(&b'=') {
            continue;
        }
        position += 1;
        while bytes.get(position).is_some_and(u8::is_ascii_whitespace) {
            position += 1;
        }
        match bytes.get(position)? {
            quote @ (b'"' | b'\'') => {
                let close = html[position + 1..].find(char::from(*quote))?;
                position += close + 2;
            }
            _ => {
                while bytes
                    .get(position)
                    .is_some_and(|byte| !byte.is_ascii_whitespace() && *byte != b'>')
                {
                    position += 1;
                }
            }
        }
    }
}

/// Returns the byte index of the first ASCII case-insensitive match of
/// `needle`, which must be ASCII, in `haystack`.
fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Returns `'sha256-<base64>'` of `text` after newline normalization.
fn hash_source(text: &str) -> String {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    sha256_source(normalized.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::{content_security_policy, hash_source, inline_script_hashes, sha256_source};
    use crate::proxy::config::FrameAncestors;

    #[test]
    fn hash_matches_known_digest() {
        // `printf 'alert(1);' | sha256sum | xxd -r -p | base64`
        assert_eq!(
            hash_source("alert(1);"),
            "'sha256-5jFwrAK0UV47oFbVg/iCCBbxD8X1w+QvoOUepu4C2YA='"
        );
    }

    #[test]
    fn sha256_source_keeps_carriage_returns() {
        assert_ne!(sha256_source(b"a\r\nb"), sha256_source(b"a\nb"));
    }

    #[test]
    fn inline_scripts_hashed_in_order() {
        let html = "<script>one()</script><p></p><SCRIPT type=module>two()</SCRIPT>";

        let hashes = inline_script_hashes(html);

        assert_eq!(hashes, vec![hash_source("one()"), hash_source("two()")]);
    }

    #[test]
    fn scripts_with_src_are_skipped() {
        let html =
            r#"<script src="/a.js"></script><script defer SRC=/b.js></script><script>c()</script>"#;

        let hashes = inline_script_hashes(html);

        assert_eq!(hashes, vec![hash_source("c()")]);
    }

    #[test]
    fn quoted_greater_than_stays_in_tag() {
        let html = r#"<script data-note="a > b" type="module">d()</script>"#;

        let hashes = inline_script_hashes(html);

        assert_eq!(hashes, vec![hash_source("d()")]);
    }

    #[test]
    fn other_elements_starting_with_script_are_skipped() {
        let html = "<scripts>x</scripts><script>e()</script>";

        let hashes = inline_script_hashes(html);

        assert_eq!(hashes, vec![hash_source("e()")]);
    }

    #[test]
    fn crlf_is_hashed_as_lf() {
        let hashes = inline_script_hashes("<script>\r\nf()\r</script>");

        assert_eq!(hashes, vec![hash_source("\nf()\n")]);
    }

    #[test]
    fn unclosed_script_is_ignored() {
        assert!(inline_script_hashes("<script>g()").is_empty());
    }

    #[test]
    fn policy_lists_hashes_after_keywords() {
        let policy = content_security_policy(
            &["'sha256-abc='".to_owned()],
            &["'sha256-def='".to_owned()],
            &FrameAncestors::default(),
        );

        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc=';"),
            "{policy}"
        );
        assert!(
            policy.contains("style-src 'self' 'sha256-def=';"),
            "{policy}"
        );
        assert!(policy.ends_with("frame-ancestors 'self'"), "{policy}");
    }
}
