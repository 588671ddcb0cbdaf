//! Names on charts: FE's `prettify_metric_name`, and the natural order of experiment names.

use std::cmp::Ordering;

/// FE's `prettify_metric_name`: a space between a lower-case letter and the capital after it,
/// underscores to spaces, then every word capitalised (Python's `string.capwords`: first
/// letter upper case, the rest lower case, runs of spaces collapsed).
///
/// ```
/// use fastestimator::summary::prettify_metric_name;
/// assert_eq!(prettify_metric_name("myUgly_loss"), "My Ugly Loss");
/// assert_eq!(prettify_metric_name("max_accuracy"), "Max Accuracy");
/// assert_eq!(prettify_metric_name("epoch_time(sec)"), "Epoch Time(sec)");
/// ```
pub fn prettify_metric_name(metric: &str) -> String {
    let mut spaced = String::with_capacity(metric.len() + 4);
    let mut prev: Option<char> = None;
    for c in metric.chars() {
        if prev.is_some_and(|p| p.is_ascii_lowercase()) && c.is_ascii_uppercase() {
            spaced.push(' ');
        }
        spaced.push(if c == '_' { ' ' } else { c });
        prev = Some(c);
    }
    spaced
        .split_whitespace()
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One piece of a name for natural ordering: a number, or text compared without case.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Piece {
    Number(u128),
    Text(String),
}

/// Natural, case-insensitive order (`natsort.humansorted`, which FE sorts experiments with so
/// that each keeps its colour from one plot to the next): `run_2 < run_10`.
pub(crate) fn natural_order(a: &str, b: &str) -> Ordering {
    sort_key(a).cmp(&sort_key(b)).then_with(|| a.cmp(b))
}

fn sort_key(name: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = name;
    while let Some(first) = rest.chars().next() {
        let digits = first.is_ascii_digit();
        let end = rest.find(|c: char| c.is_ascii_digit() != digits).unwrap_or(rest.len());
        let (piece, tail) = rest.split_at(end);
        pieces.push(match piece.parse::<u128>() {
            Ok(n) if digits => Piece::Number(n),
            _ => Piece::Text(piece.to_lowercase()),
        });
        rest = tail;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_names_match_python_capwords() {
        assert_eq!(prettify_metric_name("ce"), "Ce");
        assert_eq!(prettify_metric_name("steps/sec"), "Steps/sec");
        assert_eq!(prettify_metric_name("aBcD__x"), "A Bc D X");
        assert_eq!(prettify_metric_name("F1Score"), "F1score");
        assert_eq!(prettify_metric_name("acc|ds1"), "Acc|ds1");
    }

    #[test]
    fn natural_order_puts_2_before_10() {
        let mut names = vec!["run_10", "Run_2", "run_1", "alpha"];
        names.sort_by(|a, b| natural_order(a, b));
        assert_eq!(names, vec!["alpha", "run_1", "Run_2", "run_10"]);
    }
}
