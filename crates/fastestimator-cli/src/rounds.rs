//! Summaries of benchmark rounds.
//!
//! The machines these benchmarks run on change speed from one moment to the next, so the best
//! round of one configuration and the best round of another often come from different speed
//! phases. The two runs inside a round are back to back, so the median of the rounds' own ratios
//! is the steadier comparison; the benchmarks print it beside the best-round figures.

/// The median of the per-round ratios and the sorted ratios, as `"1.82x median of the 5 rounds'
/// ratios (1.15, 1.23, 1.82, 1.85, 2.06)"`.
pub fn median_of_ratios(ratios: &[f64]) -> String {
    let mut sorted = ratios.to_vec();
    sorted.sort_by(f64::total_cmp);
    let Some(median) = sorted.get(sorted.len() / 2) else {
        return "no rounds".into();
    };
    let list: Vec<String> = sorted.iter().map(|r| format!("{r:.2}")).collect();
    format!("{median:.2}x median of the {} rounds' ratios ({})", sorted.len(), list.join(", "))
}

/// The lowest and highest of some figures, and how far the highest lies above the lowest, in
/// percent (`None` without figures).
pub fn spread(values: &[f64]) -> Option<(f64, f64, f64)> {
    let lo = values.iter().copied().reduce(f64::min)?;
    let hi = values.iter().copied().reduce(f64::max)?;
    Some((lo, hi, 100.0 * (hi / lo - 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_list() {
        assert_eq!(median_of_ratios(&[2.06, 1.15, 1.85]), "1.85x median of the 3 rounds' ratios (1.15, 1.85, 2.06)");
        assert_eq!(median_of_ratios(&[]), "no rounds");
    }

    #[test]
    fn spread_in_percent() {
        let (lo, hi, pct) = spread(&[90.0, 100.0, 99.0]).unwrap();
        assert_eq!((lo, hi), (90.0, 100.0));
        assert!((pct - 11.111).abs() < 1e-3);
        assert!(spread(&[]).is_none());
    }
}
