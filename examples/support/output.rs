//! How the examples end, shared by them (`#[path]`-included): a closed
//! standard output (`… | head -c1`) or any other failure stops the program
//! with exit status 1 and one `error:` line on standard error, never a
//! panic.

// Each example uses the part it needs.
#![allow(dead_code)]

use std::fmt::Display;
use std::io::Write;

/// Writes `text` and a newline to standard output and flushes it, so that a
/// closed output is an error here rather than a panic in `println!`.
///
/// # Errors
///
/// The write's error, e.g. a broken pipe.
pub fn print_line(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Ends the program for an error: one line `error: …` on standard error
/// (line breaks in the message become spaces) and exit status `code`.
pub fn fail(message: impl Display, code: i32) -> ! {
    let line = message.to_string().replace(['\n', '\r'], " ");
    // Standard error may be closed as well; then there is no one to tell.
    let _ = writeln!(std::io::stderr(), "error: {line}");
    std::process::exit(code)
}

/// [`fail`] with status 1 for an example's error, saying so when it is a
/// failed write (most likely a closed standard output).
pub fn fail_on(error: &(dyn std::error::Error + 'static)) -> ! {
    match error.downcast_ref::<std::io::Error>() {
        Some(e) => fail(format_args!("cannot write the output: {e}"), 1),
        None => fail(error, 1),
    }
}
