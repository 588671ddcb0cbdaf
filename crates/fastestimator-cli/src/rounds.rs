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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_list() {
        assert_eq!(median_of_ratios(&[2.06, 1.15, 1.85]), "1.85x median of the 3 rounds' ratios (1.15, 1.85, 2.06)");
        assert_eq!(median_of_ratios(&[]), "no rounds");
    }
}
