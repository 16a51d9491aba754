//! Running child processes, printing each one as it starts.

use std::env;
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{bail, Context, Result};

/// Prints `==> <command>`, runs it with the terminal's stdin, stdout and
/// stderr, and fails unless it exits with status 0.
pub fn run(command: &mut Command) -> Result<()> {
    let description = describe(command);
    announce(&description);

    let status = command
        .status()
        .with_context(|| format!("failed to start `{description}`"))?;
    if !status.success() {
        bail!("`{description}` failed ({status})");
    }
    Ok(())
}

/// Runs a command quietly and returns its stdout.
///
/// Used for version checks, so it prints nothing unless the command fails,
/// and then the error contains the command's stderr.
pub fn output(command: &mut Command) -> Result<String> {
    let description = describe(command);
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("failed to start `{description}`"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!(
            "`{description}` failed ({}): {}",
            output.status,
            stderr.trim()
        );
    }
    String::from_utf8(output.stdout)
        .with_context(|| format!("`{description}` printed output that is not UTF-8"))
}

/// Prints the start of a step in the form that every step of xtask uses.
pub fn announce(step: &str) {
    println!("==> {step}");
    // The child writes to the same terminal, so the line is flushed before
    // the child starts.
    let _ = std::io::stdout().flush();
}

/// Formats a command as a shell line: the environment variables that it sets
/// (other than PATH), the program's file name and the arguments.
pub fn describe(command: &Command) -> String {
    let mut words = Vec::new();
    for (key, value) in command.get_envs() {
        if key == "PATH" {
            continue;
        }
        if let Some(value) = value {
            words.push(format!(
                "{}={}",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            ));
        }
    }

    let program = Path::new(command.get_program());
    let program_name = program.file_name().unwrap_or(program.as_os_str());
    words.push(quote(&program_name.to_string_lossy()));

    for argument in command.get_args() {
        words.push(quote(&argument.to_string_lossy()));
    }
    words.join(" ")
}

/// Quotes a word for display when a shell would split it.
fn quote(word: &str) -> String {
    let is_plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if is_plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Returns the first executable file named `name` in the directories of
/// `search_path`, which has the format of the PATH variable.
pub fn find_program(name: &str, search_path: &OsStr) -> Option<PathBuf> {
    env::split_paths(search_path)
        .map(|directory| directory.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_shows_env_program_and_args() {
        let mut command = Command::new("/usr/bin/cargo");
        command
            .args(["clippy", "--", "-D", "warnings"])
            .env("PATH", "/bin")
            .env("TASK_SERVER_URL", "http://127.0.0.1:4000");

        assert_eq!(
            describe(&command),
            "TASK_SERVER_URL=http://127.0.0.1:4000 cargo clippy -- -D warnings"
        );
    }

    #[test]
    fn describe_quotes_words_with_spaces() {
        let mut command = Command::new("echo");
        command.args(["two words", "it's", ""]);

        assert_eq!(describe(&command), r"echo 'two words' 'it'\''s' ''");
    }

    #[test]
    fn find_program_skips_missing_directories() {
        let search_path = env::join_paths(["/nonexistent-xtask-dir", "/bin", "/usr/bin"])
            .expect("test paths contain no separator");

        let found = find_program("sh", &search_path);

        assert!(found.is_some(), "sh should be in /bin or /usr/bin");
        assert_eq!(find_program("no-such-program-xtask", &search_path), None);
    }
}
