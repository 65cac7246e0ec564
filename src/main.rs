//! `ledgerline`: the batch command line. Each subcommand is a thin layer over a crate.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// Indexing and linkage allocate many small buffers from several threads at once, where
/// glibc's allocator measured 9 % slower on a million-record index (`bench search`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Settings that the libraries read only when the process starts, each with the reason
/// it is set. Whoever starts the binary may set any of them otherwise.
const PROCESS_ENVIRONMENT: &[(&str, &str)] = &[
    // Tesseract's OpenMP threads fight our rayon workers (measured: 2.9x slower on two
    // threads).
    ("OMP_THREAD_LIMIT", "1"),
    // mimalloc hands freed memory back to the system 10 ms after it is freed, and the
    // kernel zeroes every page again when it is touched next: a million-record load
    // spent 16 % of its time clearing pages it had just given back (11.9 s -> 10.5 s on
    // PostgreSQL without the purging). The memory is kept for the next allocation.
    ("MIMALLOC_PURGE_DELAY", "-1"),
];

/// Re-executes the binary with [`PROCESS_ENVIRONMENT`] when any of it is unset.
fn ensure_process_environment() {
    use std::os::unix::process::CommandExt;
    let missing: Vec<_> = PROCESS_ENVIRONMENT
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .envs(missing.iter().map(|&&(name, value)| (name, value)))
        .exec();
    eprintln!("ledgerline: warning: could not restart with {missing:?} set ({err}); OCR and loads may be slow");
}

/// The exit status of a command whose output was piped to a reader that stopped reading:
/// 128 + SIGPIPE, as a shell reports a Unix tool that signal ended.
const CLOSED_PIPE_STATUS: i32 = 141;

/// Output piped to a reader that stops early (`ledgerline audit log | head`) ends the
/// command quietly, as it ends `grep` or `ls`. Rust ignores SIGPIPE and its `println!`
/// panics on the closed pipe, which printed a panic message and a backtrace hint after
/// the lines the reader wanted. (SIGPIPE is not restored instead: `serve` and the benches
/// write to sockets and children, where a closed end is an error to handle, not a death.)
fn end_quietly_on_closed_stdout() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(CLOSED_PIPE_STATUS);
        }
        report(info);
    }));
}

fn main() -> ExitCode {
    ensure_process_environment();
    end_quietly_on_closed_stdout();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            let text = format!("{e:#}");
            eprintln!("ledgerline: error: {text}");
            if let Some(hint) = hint(&text) {
                eprintln!("ledgerline: {hint}");
            }
            ExitCode::from(2)
        }
    }
}

/// What to do about failures of the machine rather than of the input. Every store write
/// is a transaction, so what committed before the failure is kept and a re-run goes on.
fn hint(error: &str) -> Option<&'static str> {
    if error.contains("No space left on device") {
        Some("the disk is full. Work committed before this is kept: free some space and run the same command again to go on")
    } else if error.contains("Read-only file system") {
        Some("that file system is mounted read-only; nothing was changed. Use a writable workspace or remount it")
    } else {
        None
    }
}
