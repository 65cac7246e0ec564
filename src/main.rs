//! `ledgerline`: the batch command line. Each subcommand is a thin layer over a crate.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// Indexing and linkage allocate many small buffers from several threads at once, where
/// glibc's allocator measured 9 % slower on a million-record index (`bench search`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tesseract's OpenMP threads fight our rayon workers (measured: 2.9x slower on two
/// threads), and OpenMP reads the limit only at process start, so the binary re-executes
/// itself with OMP_THREAD_LIMIT=1 unless whoever started it set a limit.
fn ensure_single_threaded_openmp() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("OMP_THREAD_LIMIT", "1")
        .exec();
    eprintln!("ledgerline: warning: could not restart with OMP_THREAD_LIMIT=1 ({err}); OCR may be slow");
}

fn main() -> ExitCode {
    ensure_single_threaded_openmp();
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
