//! Learning-rate schedules, as plain functions of the step or epoch.

use std::f64::consts::PI;

/// SGDR cosine decay with restarts (FE's `cosine_decay`). Before `start` the rate is `init_lr`
/// (or a linear ramp with `warmup`); then each cycle follows
/// `(init - min)/2 · cos(π · t_in_cycle) + (init + min)/2`, cycles growing by `cycle_multiplier`.
///
/// ```
/// use fastestimator::schedule::cosine_decay;
/// assert!((cosine_decay(5, 10, 0.01, 0.0, 1, 1.0, false) - 0.005).abs() < 1e-12);
/// ```
pub fn cosine_decay(
    time: u64,
    cycle_length: u64,
    init_lr: f64,
    min_lr: f64,
    start: u64,
    cycle_multiplier: f64,
    warmup: bool,
) -> f64 {
    if time < start {
        return if warmup { init_lr * time as f64 / start as f64 } else { init_lr };
    }
    let t = (time - start + 1) as f64;
    let length = cycle_length.max(1) as f64;
    let (cycle, done) = if cycle_multiplier > 1.0 {
        let idx = ((t * (cycle_multiplier - 1.0) / length + 1.0).ln() / cycle_multiplier.ln()).ceil() - 1.0;
        (idx, length * (cycle_multiplier.powf(idx) - 1.0) / (cycle_multiplier - 1.0))
    } else {
        let idx = (t / length).ceil() - 1.0;
        (idx, idx * length)
    };
    let current_length = length * cycle_multiplier.max(1.0).powf(cycle);
    let in_cycle = (t - done) / current_length;
    (init_lr - min_lr) / 2.0 * (in_cycle * PI).cos() + (init_lr + min_lr) / 2.0
}

/// Linear decay from `init_lr` at `start` to `end_lr` at `end`, constant outside.
pub fn linear_decay(time: u64, init_lr: f64, end_lr: f64, start: u64, end: u64) -> f64 {
    if time <= start || end <= start {
        return if time <= start { init_lr } else { end_lr };
    }
    if time >= end {
        return end_lr;
    }
    init_lr + (end_lr - init_lr) * (time - start) as f64 / (end - start) as f64
}

/// Step decay: `init_lr · factor^⌊(time - 1) / step_size⌋`.
pub fn step_decay(time: u64, init_lr: f64, factor: f64, step_size: u64) -> f64 {
    init_lr * factor.powi((time.saturating_sub(1) / step_size.max(1)) as i32)
}

/// Linear warmup to `base_lr` over `warmup_steps`, then `base_lr`.
pub fn warmup(time: u64, base_lr: f64, warmup_steps: u64) -> f64 {
    if time >= warmup_steps || warmup_steps == 0 {
        base_lr
    } else {
        base_lr * time as f64 / warmup_steps as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fe_cosine_facts() {
        assert!((cosine_decay(5, 10, 0.01, 0.0, 1, 1.0, false) - 0.005).abs() < 1e-12);
        assert!((cosine_decay(1001, 1000, 0.01, 0.0, 1, 1.0, false) - 0.01).abs() < 1e-6);
        assert!((cosine_decay(5, 10, 0.01, 0.0, 1, 2.0, false) - 0.005).abs() < 1e-12);
        assert!(cosine_decay(10, 10, 0.01, 0.0, 1, 2.0, false).abs() < 1e-12);
        assert!((cosine_decay(3, 3750, 1e-3, 1e-6, 1, 1.0, false) - 0.0009999973).abs() < 2e-9);
    }

    #[test]
    fn other_schedules() {
        assert_eq!(linear_decay(5, 1.0, 0.0, 0, 10), 0.5);
        assert_eq!(step_decay(11, 1.0, 0.5, 10), 0.5);
        assert_eq!(warmup(5, 1.0, 10), 0.5);
    }
}
