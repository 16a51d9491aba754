//! Size experiments, measured once by hand in a scratch clone.
//!
//! `cargo xtask bench` prints them but does not rerun them: each one
//! changes the widget's code, and none of those changes is in the
//! repository. The figures therefore describe the commit they started from.

/// Commit of the scratch clone, and the day of the measurement.
const BASE_COMMIT: &str = "9c6a8aa";
const MEASURED_ON: &str = "2026-12-04";

/// One build of the standalone page, in bytes.
struct Variant {
    change: &'static str,
    wasm_raw: u64,
    wasm_gzip: u64,
    glue_gzip: u64,
}

const BASELINE: Variant = Variant {
    change: "none: the baseline",
    wasm_raw: 432_088,
    wasm_gzip: 177_496,
    glue_gzip: 10_021,
};

const NO_TIME: Variant = Variant {
    change: "Parse the two date formats (RFC 3339 with a `+0000` offset, and HTTP dates) by \
             hand in about 60 lines, and drop `time`",
    wasm_raw: 426_552,
    wasm_gzip: 174_497,
    glue_gzip: 10_019,
};

const NO_SERDE_WASM_BINDGEN: Variant = Variant {
    change: "Read the task's fields with `js_sys::Reflect::get` in `parse_task` instead of \
             `serde_wasm_bindgen::from_value`, and drop serde-wasm-bindgen (serde's derive code \
             is then unused in the wasm)",
    wasm_raw: 411_942,
    wasm_gzip: 168_420,
    glue_gzip: 9_410,
};

const NO_ELEMENT: Variant = Variant {
    change: "Leave the `<task-status>` element and `mount` out of the page's build. The page \
             uses neither, but links both, with the 9.3 kB stylesheet that the element embeds, \
             because `#[wasm_bindgen]` exports are kept",
    wasm_raw: 406_765,
    wasm_gzip: 167_746,
    glue_gzip: 8_806,
};

const JS_NUMBERS: Variant = Variant {
    change: "In `format_number_with`, turn option values into numbers with JavaScript's \
             `Number` and format the fallback with `Number.prototype.toString`, so no Rust float \
             parsing or `f64` `Display` code is linked",
    wasm_raw: 414_706,
    wasm_gzip: 162_305,
    glue_gzip: 10_082,
};

const ALL_FOUR: Variant = Variant {
    change: "All four changes above",
    wasm_raw: 353_404,
    wasm_gzip: 136_164,
    glue_gzip: 8_191,
};

const OPT_LEVEL_S: Variant = Variant {
    change: "`opt-level = \"s\"` instead of `\"z\"` in the release profile",
    wasm_raw: 509_517,
    wasm_gzip: 193_696,
    glue_gzip: 10_001,
};

const VARIANTS: &[&Variant] = &[
    &BASELINE,
    &NO_TIME,
    &NO_SERDE_WASM_BINDGEN,
    &NO_ELEMENT,
    &JS_NUMBERS,
    &ALL_FOUR,
    &OPT_LEVEL_S,
];

impl Variant {
    /// Returns the gzip bytes of the wasm and its glue.
    fn gzip(&self) -> u64 {
        self.wasm_gzip + self.glue_gzip
    }
}

/// Returns the gzip bytes that all four changes together saved on the wasm
/// and its glue.
pub fn combined_saving_gzip() -> u64 {
    BASELINE.gzip() - ALL_FOUR.gzip()
}

/// Returns the commit that the experiments started from.
pub fn base_commit() -> &'static str {
    BASE_COMMIT
}

/// Formats a saving in bytes as kB, or the growth when the build grew.
fn saving(before: u64, after: u64) -> String {
    if after <= before {
        format!("{:.1} kB", (before - after) as f64 / 1000.0)
    } else {
        format!("none, {:.1} kB larger", (after - before) as f64 / 1000.0)
    }
}

/// Returns the Markdown of the experiments and the recommendations.
pub fn markdown() -> String {
    let mut text = format!(
        "### Size experiments\n\n\
         Measured once on {MEASURED_ON} in a scratch clone of commit {BASE_COMMIT}, not by \
         `cargo xtask bench`, so these figures do not follow later changes, and the \
         repository contains none of the changes. Each variant was built as Trunk builds the \
         page: `cargo build --release --target wasm32-unknown-unknown --bin \
         task-status-widget`, then `wasm-bindgen --target web`, then `wasm-opt -Oz`, measured \
         with `gzip -9 -n`. A saving is the baseline's bytes minus the variant's.\n\n\
         | change | wasm raw | wasm gzip | glue gzip | saved, gzip (wasm + glue) |\n\
         | --- | ---: | ---: | ---: | ---: |\n"
    );
    for variant in VARIANTS {
        let saved = if variant.change == BASELINE.change {
            "–".to_owned()
        } else {
            saving(BASELINE.gzip(), variant.gzip())
        };
        text.push_str(&format!(
            "| {} | {:.1} kB | {:.1} kB | {:.1} kB | {saved} |\n",
            variant.change,
            variant.wasm_raw as f64 / 1000.0,
            variant.wasm_gzip as f64 / 1000.0,
            variant.glue_gzip as f64 / 1000.0,
        ));
    }
    text.push_str(&format!(
        "\nThe crate's 83 native unit tests, its date tests among them, passed with the \
         hand-written date parser. The other three changes run only in the browser and were \
         compiled but not tested, so they are size estimates of work still to do, not \
         finished code.\n\n\
         Recommendations, largest saving first:\n\n\
         1. Format and parse numbers through JavaScript in `format_number_with`: {} gzip. \
         The widget already formats through `Intl.NumberFormat`; only the fallback and the \
         option parsing link Rust's float code.\n\
         2. Build the standalone page without the custom element and `mount`, for example \
         behind a cargo feature that the package build turns on: {} gzip for the page, while \
         the package keeps both.\n\
         3. Replace serde-wasm-bindgen with `js_sys::Reflect` reads of the seven fields, \
         keeping the rule that a field of the wrong type becomes `None`: {} gzip.\n\
         4. Replace `time` with a small parser of the two date formats: {} gzip.\n\
         5. Keep `opt-level = \"z\"`: `\"s\"` made the wasm and glue {:.1} kB larger \
         (gzip).\n\n\
         Together the four changes saved {:.1} kB gzip.\n\n",
        saving(BASELINE.gzip(), JS_NUMBERS.gzip()),
        saving(BASELINE.gzip(), NO_ELEMENT.gzip()),
        saving(BASELINE.gzip(), NO_SERDE_WASM_BINDGEN.gzip()),
        saving(BASELINE.gzip(), NO_TIME.gzip()),
        (OPT_LEVEL_S.gzip() - BASELINE.gzip()) as f64 / 1000.0,
        combined_saving_gzip() as f64 / 1000.0,
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_saving_of_four_changes() {
        assert_eq!(combined_saving_gzip(), 177_496 + 10_021 - 136_164 - 8_191);
    }

    #[test]
    fn saving_or_growth() {
        assert_eq!(saving(10_000, 8_500), "1.5 kB");
        assert_eq!(saving(10_000, 12_000), "none, 2.0 kB larger");
    }
}
