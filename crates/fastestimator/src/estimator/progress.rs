//! The progress bar of an epoch: when standard output is a terminal (and no application sink
//! took the output), the steps of the current mode and epoch are drawn with their rate and ETA
//! (`indicatif`). Anywhere else nothing is drawn, and the output is exactly FE's lines.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::util::Mode;

/// The bar of one epoch of one mode; it disappears when dropped.
pub(super) struct StepProgress {
    bar: Option<ProgressBar>,
    shown: bool,
}

impl StepProgress {
    /// A bar over `steps` steps of `mode` at `epoch`, drawn on the terminal when standard output
    /// is one; otherwise an inert value. `FE_PROGRESS=0` turns the bar off.
    pub(super) fn start(mode: Mode, epoch: usize, steps: usize) -> Self {
        let wanted = std::env::var("FE_PROGRESS").map_or(true, |v| v != "0");
        if !(wanted && crate::output::prints_to_terminal()) {
            return StepProgress { bar: None, shown: false };
        }
        let bar = Self::bar(mode, epoch, steps, ProgressDrawTarget::stdout());
        crate::output::show_progress(bar.clone());
        StepProgress { bar: Some(bar), shown: true }
    }

    /// The bar itself, drawn on `target`.
    fn bar(mode: Mode, epoch: usize, steps: usize, target: ProgressDrawTarget) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(steps as u64), target);
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} steps, {msg}, ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("{} epoch {epoch}", mode.title()));
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    }

    /// One step done.
    pub(super) fn step(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!("{:.1} steps/s", bar.per_sec()));
        }
    }
}

impl Drop for StepProgress {
    fn drop(&mut self) {
        if self.shown {
            crate::output::hide_progress();
        } else if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_counts_the_steps_of_its_mode_and_epoch() {
        let progress =
            StepProgress { bar: Some(StepProgress::bar(Mode::Eval, 3, 5, ProgressDrawTarget::hidden())), shown: false };
        for _ in 0..4 {
            progress.step();
        }
        let bar = progress.bar.as_ref().unwrap();
        assert_eq!((bar.position(), bar.length()), (4, Some(5)));
        assert_eq!(bar.prefix(), "Eval epoch 3");
        assert!(bar.message().ends_with(" steps/s"), "{}", bar.message());
    }

    #[test]
    fn no_bar_is_drawn_when_the_output_is_not_a_terminal() {
        // Under the test harness, standard output is captured (not a terminal), and a scoped
        // sink takes the lines anyway.
        crate::output::with_sink(crate::output::silent, || {
            let progress = StepProgress::start(Mode::Train, 1, 10);
            assert!(progress.bar.is_none());
        });
    }
}
