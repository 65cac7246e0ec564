//! Crash safety, short form: `ledgerline bench chaos` with 10 trials per command
//! (`run`, `merge`, `dedupe`, `index`, `load`, `exchange export`, `exchange import`,
//! `live import`, `unload`), each killed with SIGKILL at a random moment and re-run. Nothing may be left half done by a one-transaction command,
//! and every re-run must end where the uninterrupted run did. The long form is
//! `ledgerline bench chaos` (100 trials per command).

mod common;

use common::*;

#[test]
fn killed_commands_rerun_to_the_uninterrupted_end_state() {
    let report = run_json(&[
        "bench", "chaos", "--trials", "10", "--pages", "1", "--seed", "3", "--json",
    ]);
    let commands = report.as_array().expect("one report per command");
    let names: Vec<&str> = commands.iter().map(|c| c["command"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "run",
            "merge",
            "dedupe",
            "index",
            "load",
            "exchange-export",
            "exchange-import",
            "live-import",
            "unload"
        ]
    );
    for c in commands {
        assert_eq!(c["trials"], 10, "{c}");
        assert_eq!(c["half_done"], 0, "{c}");
        assert_eq!(c["rerun_mismatches"], 0, "{c}");
        assert!(c["failures"].as_array().unwrap().is_empty(), "{c}");
        // The kills must land while the command runs, or nothing was shown.
        assert!(c["killed_while_running"].as_u64().unwrap() >= 5, "{c}");
    }
}
