//! The crate breakdown of the page's wasm, from `twiggy` on a build that
//! keeps its function names.
//!
//! The shipped wasm has no names. This module runs wasm-bindgen with
//! `--keep-debug` and wasm-opt with `-Oz -g` on the same compiled binary
//! that Trunk used, so the file matches the shipped one except for the
//! added "name" section, then groups twiggy's items by crate.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{bail, Context, Result};
use crate::process;
use crate::tools::Tools;

/// The twiggy release that `cargo xtask bench` installs when it is missing.
const TWIGGY_VERSION: &str = "0.8.0";

/// Items listed by retained size.
const TOP_ITEMS: usize = 15;

/// One item of twiggy's output.
struct Item {
    name: String,
    shallow: u64,
    retained: u64,
}

/// A crate group and its share of the wasm.
pub struct Group {
    pub label: String,
    pub bytes: u64,
    /// The group's largest item by shallow size.
    pub largest: String,
}

/// The crate breakdown of the page's wasm.
pub struct Breakdown {
    /// Size of the file with names, names included.
    pub file_bytes: u64,
    /// Size of the name section, which the shipped file lacks.
    pub names_bytes: u64,
    /// Groups, largest first.
    pub groups: Vec<Group>,
    /// The largest items by retained size: name, group, retained, shallow.
    pub top: Vec<(String, String, u64, u64)>,
}

/// Installs twiggy with `cargo install` when `twiggy --version` fails.
pub fn ensure_twiggy(tools: &Tools) -> Result<()> {
    if let Ok(mut command) = tools.command("twiggy") {
        if let Ok(version) = process::output(command.arg("--version")) {
            println!("    {}", version.lines().next().unwrap_or_default().trim());
            return Ok(());
        }
    }
    process::run(
        tools
            .cargo()
            .args(["install", "twiggy", "--locked", "--version", TWIGGY_VERSION]),
    )
}

/// Builds the names-kept copy of the page's wasm from `compiled` (the
/// output of cargo for the page's binary) into `work_dir` and returns the
/// crate breakdown.
pub fn analyse(tools: &Tools, compiled: &Path, work_dir: &Path) -> Result<Breakdown> {
    if work_dir.exists() {
        fs::remove_dir_all(work_dir)
            .with_context(|| format!("failed to clear {}", work_dir.display()))?;
    }
    fs::create_dir_all(work_dir)
        .with_context(|| format!("failed to create {}", work_dir.display()))?;

    let mut bindgen = tools.command("wasm-bindgen")?;
    bindgen
        .args(["--target", "web", "--no-typescript", "--keep-debug"])
        .args(["--out-name", "page", "--out-dir"])
        .arg(work_dir)
        .arg(compiled);
    process::run(&mut bindgen)?;

    let named = work_dir.join("page-names.wasm");
    let mut optimize = tools.command("wasm-opt")?;
    optimize
        .args(["-Oz", "-g"])
        .arg(work_dir.join("page_bg.wasm"))
        .arg("-o")
        .arg(&named);
    process::run(&mut optimize)?;

    let shallow = twiggy_csv(tools, &named, false)?;
    let retained = twiggy_csv(tools, &named, true)?;
    let file_bytes = fs::metadata(&named)
        .with_context(|| format!("failed to read {}", named.display()))?
        .len();
    Ok(breakdown(file_bytes, &shallow, &retained))
}

/// Returns the path of the page's compiled wasm under cargo's target folder.
pub fn compiled_page_wasm(target_dir: &Path) -> PathBuf {
    target_dir.join("wasm32-unknown-unknown/release/task-status-widget.wasm")
}

fn twiggy_csv(tools: &Tools, wasm: &Path, retained: bool) -> Result<Vec<Item>> {
    let mut command = tools.command("twiggy")?;
    command.arg("top").args(["-f", "csv"]);
    if retained {
        command.arg("--retained");
    }
    command.arg(wasm);
    let text = process::output(&mut command)?;
    let mut items = Vec::new();
    for line in text.lines().skip(1) {
        let fields = split_csv_line(line);
        if fields.len() < 4 {
            bail!("unexpected twiggy output line: {line}");
        }
        items.push(Item {
            name: fields[0].clone(),
            shallow: fields[1].parse().unwrap_or(0),
            retained: fields[3].parse().unwrap_or(0),
        });
    }
    Ok(items)
}

/// Splits one CSV line with double-quoted fields, where `""` is a quote.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut characters = line.chars().peekable();
    while let Some(character) = characters.next() {
        match (character, quoted) {
            ('"', true) if characters.peek() == Some(&'"') => {
                field.push('"');
                characters.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (other, _) => field.push(other),
        }
    }
    fields.push(field);
    fields
}

fn breakdown(file_bytes: u64, shallow: &[Item], retained: &[Item]) -> Breakdown {
    let mut names_bytes = 0;
    let mut groups: BTreeMap<String, (u64, String, u64)> = BTreeMap::new();
    for item in shallow {
        if is_name_section(&item.name) {
            names_bytes += item.shallow;
            continue;
        }
        let label = group_of(&item.name);
        let entry = groups.entry(label).or_default();
        entry.0 += item.shallow;
        if item.shallow > entry.2 {
            entry.1 = clean_name(&item.name);
            entry.2 = item.shallow;
        }
    }
    let mut groups: Vec<Group> = groups
        .into_iter()
        .map(|(label, (bytes, largest, _))| Group {
            label,
            bytes,
            largest,
        })
        .collect();
    groups.sort_by_key(|group| std::cmp::Reverse(group.bytes));

    let mut top: Vec<&Item> = retained
        .iter()
        .filter(|item| !is_name_section(&item.name) && !is_call_table(&item.name))
        .collect();
    top.sort_by_key(|item| std::cmp::Reverse(item.retained));
    let top = top
        .into_iter()
        .take(TOP_ITEMS)
        .map(|item| {
            (
                clean_name(&item.name),
                group_of(&item.name),
                item.retained,
                item.shallow,
            )
        })
        .collect();

    Breakdown {
        file_bytes,
        names_bytes,
        groups,
        top,
    }
}

/// Returns whether the item is a subsection of the "name" custom section,
/// such as `"function names" subsection`.
fn is_name_section(name: &str) -> bool {
    name.ends_with("names\" subsection") || name.ends_with("name\" subsection")
}

/// Returns whether the item is the function table or its element segment,
/// which retain every function called through a pointer (closures, trait
/// objects) and would head the list without showing which code is large.
fn is_call_table(name: &str) -> bool {
    name.starts_with("table[") || name.starts_with("elem[")
}

/// Crates of Leptos and the small crates that come only with it.
const LEPTOS_CRATES: &[&str] = &[
    "leptos",
    "leptos_dom",
    "leptos_macro",
    "leptos_config",
    "leptos_server",
    "tachys",
    "reactive_graph",
    "reactive_stores",
    "any_spawner",
    "or_poisoned",
    "throw_error",
    "oco_ref",
    "either_of",
    "next_tuple",
    "slotmap",
    "guardian",
    "hydration_context",
    "send_wrapper",
];

const SERDE_CRATES: &[&str] = &["serde", "serde_core", "serde_wasm_bindgen", "serde_json"];

const TIME_CRATES: &[&str] = &["time", "time_core", "deranged", "powerfmt", "num_conv"];

const GLUE_CRATES: &[&str] = &[
    "wasm_bindgen",
    "wasm_bindgen_futures",
    "js_sys",
    "web_sys",
    "gloo_net",
    "gloo_timers",
    "gloo_utils",
    "http",
];

const STD_CRATES: &[&str] = &[
    "core",
    "alloc",
    "std",
    "dlmalloc",
    "compiler_builtins",
    "__rustc",
];

/// Types whose inherent methods std defines, as in `<char>::escape_debug_ext`.
const PRIMITIVE_TYPES: &[&str] = &[
    "bool", "char", "str", "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16",
    "u32", "u64", "u128", "usize",
];

const STRUCTURE_GROUP: &str = "wasm structure (types, imports, exports, headers)";

/// Returns the group label of a twiggy item.
fn group_of(name: &str) -> String {
    if name.starts_with("data segment") {
        return "data segments (string constants, tables)".to_owned();
    }
    if name.starts_with("import ") || name.starts_with("export ") {
        return STRUCTURE_GROUP.to_owned();
    }
    if name.starts_with("code[") {
        return "functions without a name".to_owned();
    }
    let cleaned = clean_name(name);
    let Some(krate) = crate_of(&cleaned) else {
        return STRUCTURE_GROUP.to_owned();
    };
    let krate = krate.as_str();
    if LEPTOS_CRATES.contains(&krate) {
        "Leptos: leptos, tachys, reactive_graph and helpers".to_owned()
    } else if SERDE_CRATES.contains(&krate) {
        "serde and serde-wasm-bindgen".to_owned()
    } else if TIME_CRATES.contains(&krate) {
        "time".to_owned()
    } else if GLUE_CRATES.contains(&krate) {
        "glue: wasm-bindgen, js-sys, web-sys, gloo".to_owned()
    } else if krate == "task_status_widget" {
        "this crate (task_status_widget)".to_owned()
    } else if STD_CRATES.contains(&krate) && is_formatting(&cleaned) {
        "std formatting (core::fmt)".to_owned()
    } else if STD_CRATES.contains(&krate) {
        "std other (core, alloc, dlmalloc)".to_owned()
    } else {
        format!("other: {krate}")
    }
}

/// Returns whether a std item belongs to formatting: `core::fmt`,
/// `alloc::fmt`, or the float-to-decimal code that `Display` of floats uses.
fn is_formatting(name: &str) -> bool {
    name.contains("::fmt") || name.contains("flt2dec")
}

/// Returns the crate of a demangled Rust symbol: the first path segment
/// followed by `::`, looking inside `drop_in_place<T>` at `T`, and `core`
/// for methods of primitive types. Returns `None` for items that are not
/// Rust functions.
fn crate_of(name: &str) -> Option<String> {
    if let Some(inner) = name.strip_prefix("core::ptr::drop_in_place<") {
        if let Some(krate) = crate_of(inner) {
            return Some(krate);
        }
    }
    let primitive = name
        .strip_prefix('<')
        .and_then(|rest| rest.split_once(">::"))
        .is_some_and(|(type_name, _)| PRIMITIVE_TYPES.contains(&type_name));
    if primitive {
        return Some("core".to_owned());
    }
    let bytes = name.as_bytes();
    let mut start = None;
    for (index, byte) in bytes.iter().enumerate() {
        let is_identifier = byte.is_ascii_alphanumeric() || *byte == b'_';
        match (start, is_identifier) {
            (None, true) => start = Some(index),
            (Some(from), false) => {
                if name[index..].starts_with("::") && !bytes[from].is_ascii_digit() {
                    return Some(name[from..index].to_owned());
                }
                start = None;
            }
            _ => {}
        }
    }
    None
}

/// Removes the crate disambiguators (`core[c5930c85a12de822]`) and the
/// trailing symbol hash (`::h28130f430ef50370`) of a demangled name.
fn clean_name(name: &str) -> String {
    let mut cleaned = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let hash_length = after
            .bytes()
            .take_while(|byte| byte.is_ascii_hexdigit())
            .count();
        cleaned.push_str(&rest[..open]);
        if hash_length == 16 && after[hash_length..].starts_with(']') {
            rest = &after[hash_length + 1..];
        } else {
            cleaned.push('[');
            rest = after;
        }
    }
    cleaned.push_str(rest);

    if let Some(position) = cleaned.rfind("::h") {
        let hash = &cleaned[position + 3..];
        if hash.len() == 16 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            cleaned.truncate(position);
        }
    }
    cleaned
}

impl Breakdown {
    /// Returns the Markdown of the breakdown, with `shipped_bytes`, the
    /// size of the shipped page wasm, for comparison.
    pub fn markdown(&self, shipped_bytes: u64) -> String {
        let code_and_data = self.file_bytes - self.names_bytes;
        let mut text = format!(
            "Without its name section ({names} bytes) the analysed file has {code_and_data} \
             bytes, against {shipped_bytes} bytes for the shipped page wasm. Sizes below are \
             raw bytes of the uncompressed wasm; each item is counted once (its shallow size), \
             in the group of the crate that its symbol names first. Generic code is named \
             after the crate that defines it, not the one that uses it, so for example a \
             `core::ptr::drop_in_place` is counted under the crate of the type it drops, and \
             closures called through `FnOnce` shims count as std.\n\n",
            names = self.names_bytes
        );
        text.push_str("| group | bytes | share | largest item |\n| --- | ---: | ---: | --- |\n");
        for group in &self.groups {
            text.push_str(&format!(
                "| {} | {} | {:.1} % | `{}` |\n",
                group.label,
                group.bytes,
                100.0 * group.bytes as f64 / code_and_data as f64,
                shorten(&group.largest)
            ));
        }

        text.push_str(&format!(
            "\nThe {TOP_ITEMS} largest items by retained size (the item and everything only it \
             keeps alive), leaving out the function table and its element segment, which \
             retain every function called through a pointer:\n\n\
             | item | group | retained | shallow |\n| --- | --- | ---: | ---: |\n"
        ));
        for (name, group, retained, shallow) in &self.top {
            text.push_str(&format!(
                "| `{}` | {group} | {retained} | {shallow} |\n",
                shorten(name)
            ));
        }
        text.push('\n');
        text
    }
}

/// Shortens a symbol for a table cell and escapes the characters that
/// Markdown tables treat specially.
fn shorten(name: &str) -> String {
    const MAX_CHARACTERS: usize = 110;
    let mut short: String = name.chars().take(MAX_CHARACTERS).collect();
    if name.chars().count() > MAX_CHARACTERS {
        short.push('…');
    }
    short.replace('|', "\\|").replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_line_with_quotes_and_commas() {
        let fields = split_csv_line(r#""tachys::On<E,F>::attach",2374,0.3,3087,0.4"#);

        assert_eq!(fields[0], "tachys::On<E,F>::attach");
        assert_eq!(fields[3], "3087");
        assert_eq!(
            split_csv_line(r#""""function names"" subsection",1,2,,"#)[0],
            "\"function names\" subsection"
        );
    }

    #[test]
    fn clean_name_drops_hashes() {
        assert_eq!(
            clean_name("<f64 as core[c5930c85a12de822]::fmt::Display>::fmt"),
            "<f64 as core::fmt::Display>::fmt"
        );
        assert_eq!(
            clean_name("task_status_widget::main::h35f13962dbcab22c"),
            "task_status_widget::main"
        );
        assert_eq!(clean_name("table[0]"), "table[0]");
    }

    #[test]
    fn groups_by_first_crate() {
        assert_eq!(
            group_of("<f64 as core[c5930c85a12de822]::fmt::Display>::fmt"),
            "std formatting (core::fmt)"
        );
        assert_eq!(
            group_of("<T as tachys::view::any_view::IntoAny>::into_any::build::hd4df0372e419bae0"),
            "Leptos: leptos, tachys, reactive_graph and helpers"
        );
        assert_eq!(
            group_of("core::ptr::drop_in_place<task_status_widget::core::task::Task>"),
            "this crate (task_status_widget)"
        );
        assert_eq!(
            group_of("data segment \".rodata.49\""),
            "data segments (string constants, tables)"
        );
        assert_eq!(
            group_of("import ./page_bg.js::__wbg_new_1"),
            STRUCTURE_GROUP
        );
        assert_eq!(
            group_of("<char>::escape_debug_ext"),
            "std other (core, alloc, dlmalloc)"
        );
        assert_eq!(
            group_of("type[12]: (i32) -> nil"),
            "wasm structure (types, imports, exports, headers)"
        );
    }
}
