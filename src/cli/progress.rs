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

    /// Marks one unit done; logs a line every 10 % when not on a terminal.
    pub fn inc(&self) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.bar {
            Some(bar) => bar.inc(1),
            None if !self.quiet => {
                let step = (self.total / 10).max(1);
                if n.is_multiple_of(step) || n == self.total {
                    self.log(n);
                }
            }
            None => {}
        }
    }

    /// Moves the bar to `n` units done (for work that reports its own position); logs a
    /// line as each 10 % is passed when not on a terminal.
    pub fn set(&self, n: u64) {
        self.done.store(n, Ordering::Relaxed);
        match &self.bar {
            Some(bar) => bar.set_position(n),
            None if !self.quiet && self.total > 0 => {
                let tenths = n.min(self.total) * 10 / self.total;
                if self.tenths_logged.fetch_max(tenths, Ordering::Relaxed) < tenths {
                    self.log(n);
                }
            }
            None => {}
        }
    }

    fn log(&self, n: u64) {
        eprintln!(
            "{}: {n}/{} ({:.1}s)",
            self.label,
            self.total,
            self.start.elapsed().as_secs_f64()
        );
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
