//! Progress reporting: an indicatif bar on a terminal, plain log lines otherwise, so a
//! batch job's log stays readable.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    label: &'static str,
    total: u64,
    done: AtomicU64,
    /// The tenths of `total` logged so far, when not on a terminal.
    tenths_logged: AtomicU64,
    quiet: bool,
    start: Instant,
}

impl Progress {
    /// `quiet` suppresses everything (for `--json` output on stdout).
    pub fn new(label: &'static str, unit: &'static str, total: u64, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{label:>10} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec:1}}, ETA {{eta}})"
                ))
                .expect("static template")
                .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            label,
            total,
            done: AtomicU64::new(0),
            tenths_logged: AtomicU64::new(0),
            quiet,
            start: Instant::now(),
        }
    }

    /// Times the lines it logs from `start` (the command's, when its work began before the
    /// units could be counted), not from its making.
    pub fn timed_from(self, start: Instant) -> Progress {
        Progress { start, ..self }
    }

    /// Marks one unit done; logs a line as each 10 % is passed when not on a terminal.
    pub fn inc(&self) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.bar {
            Some(bar) => bar.inc(1),
            None => {
                self.log_passed_tenth(n);
            }
        }
    }

    /// Moves the bar to `n` units done (for work that reports its own position); logs a
    /// line as each 10 % is passed when not on a terminal.
    pub fn set(&self, n: u64) {
        self.done.store(n, Ordering::Relaxed);
        match &self.bar {
            Some(bar) => bar.set_position(n),
            None => {
                self.log_passed_tenth(n);
            }
        }
    }

    /// Logs `n` when it passes a tenth of the total not logged yet (each once, whichever
    /// worker passes it), so a job's log has ten lines, the last at the total, however
    /// the work moves: one unit at a time or many. Returns whether it logged.
    fn log_passed_tenth(&self, n: u64) -> bool {
        if self.quiet || self.total == 0 {
            return false;
        }
        let tenths = n.min(self.total) * 10 / self.total;
        let passed = self.tenths_logged.fetch_max(tenths, Ordering::Relaxed) < tenths;
        if passed {
            self.log(n);
        }
        passed
    }

    fn log(&self, n: u64) {
        log_line(self.label, format_args!("{n}/{}", self.total), self.start);
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A line of a job's log on stderr: what is `done`, and the seconds since `start`
/// (`load: rows written (6.1s)`, `ocr: 4/20 (10.6s)`), the one form of every step and
/// tenth a long command logs.
pub fn log_line(label: &str, done: impl std::fmt::Display, start: Instant) {
    eprintln!("{label}: {done} ({:.1}s)", start.elapsed().as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job's progress as its log sees it: no terminal on stderr.
    fn in_a_log(total: u64, quiet: bool) -> Progress {
        Progress {
            bar: None,
            ..Progress::new("test", "units", total, quiet)
        }
    }

    /// The units at which a job's log gets a line, for `total` units done one at a time
    /// (`inc`), or moved to in steps of `by` (`set`).
    fn logged(total: u64, by: Option<u64>) -> Vec<u64> {
        let p = in_a_log(total, false);
        let mut lines = Vec::new();
        let step = by.unwrap_or(1);
        for n in (step..=total).step_by(step as usize) {
            let before = p.tenths_logged.load(Ordering::Relaxed);
            match by {
                None => p.inc(),
                Some(_) => p.set(n),
            }
            if p.tenths_logged.load(Ordering::Relaxed) > before {
                lines.push(n);
            }
        }
        lines
    }

    #[test]
    fn a_job_logs_each_tenth_once_however_its_work_moves() {
        assert_eq!(logged(20, None), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
        // Not a multiple of ten: still ten lines, the last at the total (one at every
        // multiple of 2 had made 13).
        assert_eq!(logged(25, None), [3, 5, 8, 10, 13, 15, 18, 20, 23, 25]);
        assert_eq!(logged(5, None), [1, 2, 3, 4, 5]);
        assert_eq!(logged(1000, Some(300)), [300, 600, 900]);
        assert!(logged(0, None).is_empty());
    }

    #[test]
    fn a_quiet_job_logs_nothing() {
        let p = in_a_log(10, true);
        assert!((1..=10).all(|n| !p.log_passed_tenth(n)));
    }
}
