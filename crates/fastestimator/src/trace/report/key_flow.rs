//! The key-flow diagram of a run: its data, ops and traces top to bottom, and an arc from each
//! step that writes a key to each later step that reads it, as an inline SVG.

use super::html::escape;
use super::run_description::{Stage, StepDescription};

const ROW: f64 = 40.0;
const BOX_W: f64 = 380.0;
const LEFT: f64 = 10.0;
const PALETTE: [&str; 8] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

/// An arc: from the step that last wrote `key` before `to`, to `to`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) key: String,
}

/// Every key hand-over between steps: for each key a step reads, the nearest earlier step that
/// writes it (a step reading `*` reads everything and gets no arcs).
pub(crate) fn edges(steps: &[StepDescription]) -> Vec<Edge> {
    let mut out = Vec::new();
    for (to, step) in steps.iter().enumerate() {
        for key in step.inputs.iter().filter(|k| k.as_str() != "*") {
            if let Some(from) = (0..to).rev().find(|&i| steps[i].outputs.contains(key)) {
                out.push(Edge { from, to, key: key.clone() });
            }
        }
    }
    out
}

fn fill(stage: Stage) -> &'static str {
    match stage {
        Stage::Data => "#eceff1",
        Stage::Pipeline => "#e3f2fd",
        Stage::Network => "#fff3e0",
        Stage::Trace => "#e8f5e9",
    }
}

/// The diagram as an `<svg>` element (no external references): the steps as boxes top to
/// bottom, each hand-over as an arc on their right (longer hand-overs bulge further, so arcs
/// nest) ending in an arrow at the reader, coloured by key, with a legend of the keys.
pub(crate) fn svg(steps: &[StepDescription]) -> String {
    let edges = edges(steps);
    let mut keys: Vec<&str> = Vec::new();
    for e in &edges {
        if !keys.contains(&e.key.as_str()) {
            keys.push(&e.key);
        }
    }
    let colour = |key: &str| PALETTE[keys.iter().position(|k| *k == key).unwrap_or(0) % PALETTE.len()];
    let centre = |i: usize| 10.0 + ROW * i as f64 + ROW / 2.0 - 4.0;
    let reach = |e: &Edge| 16.0 + 12.0 * (e.to - e.from) as f64;
    let widest = edges.iter().map(reach).fold(0.0, f64::max);
    let right = LEFT + BOX_W;
    let legend_x = right + widest * 0.75 + 30.0;
    let width = legend_x + 160.0;
    let height = (20.0 + ROW * steps.len() as f64).max(30.0 + 18.0 * keys.len() as f64);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"keyflow\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    for (i, step) in steps.iter().enumerate() {
        let y = 10.0 + ROW * i as f64;
        let io = format!("{} → {}", step.inputs.join(", "), step.outputs.join(", "));
        let modes = if step.modes == "all" { String::new() } else { format!(" [{}]", step.modes) };
        s.push_str(&format!(
            "<g><rect x=\"{LEFT}\" y=\"{y:.0}\" width=\"{BOX_W}\" height=\"{:.0}\" rx=\"5\" fill=\"{}\" stroke=\"#90a4ae\"/>\
             <text x=\"{:.0}\" y=\"{:.0}\" font-weight=\"bold\">{}{}</text>\
             <text x=\"{:.0}\" y=\"{:.0}\" fill=\"#455a64\" font-size=\"11\">{}</text></g>\n",
            ROW - 8.0,
            fill(step.stage),
            LEFT + 8.0,
            y + 14.0,
            escape(&format!("{}: {}", step.stage, step.name)),
            escape(&modes),
            LEFT + 8.0,
            y + 27.0,
            escape(&truncate(&io, 60)),
        ));
    }
    for e in &edges {
        let (y1, y2) = (centre(e.from) - 5.0, centre(e.to) + 5.0);
        let bulge = right + reach(e);
        let c = colour(&e.key);
        s.push_str(&format!(
            "<path d=\"M {right:.0} {y1:.1} C {bulge:.0} {y1:.1}, {bulge:.0} {y2:.1}, {:.0} {y2:.1}\" fill=\"none\" \
             stroke=\"{c}\" stroke-width=\"1.6\" opacity=\"0.85\"><title>{}</title></path>\
             <path d=\"M {right:.0} {y2:.1} l 7 -4 l 0 8 z\" fill=\"{c}\"/>\n",
            right + 7.0,
            escape(&format!("{}: {} → {}", e.key, steps[e.from].name, steps[e.to].name)),
        ));
    }
    for (i, key) in keys.iter().enumerate() {
        let y = 20.0 + 18.0 * i as f64;
        s.push_str(&format!(
            "<line x1=\"{legend_x:.0}\" y1=\"{y:.0}\" x2=\"{:.0}\" y2=\"{y:.0}\" stroke=\"{}\" stroke-width=\"3\"/>\
             <text x=\"{:.0}\" y=\"{:.0}\">{}</text>\n",
            legend_x + 22.0,
            colour(key),
            legend_x + 28.0,
            y + 4.0,
            escape(key)
        ));
    }
    s.push_str("</svg>");
    s
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(stage: Stage, name: &str, inputs: &[&str], outputs: &[&str]) -> StepDescription {
        StepDescription {
            stage,
            name: name.into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: outputs.iter().map(|s| s.to_string()).collect(),
            modes: "all".into(),
            ds_ids: "all".into(),
        }
    }

    #[test]
    fn each_read_key_comes_from_the_nearest_earlier_writer() {
        let steps = vec![
            step(Stage::Data, "train", &[], &["x", "y"]),
            step(Stage::Pipeline, "Minmax", &["x"], &["x"]),
            step(Stage::Network, "ModelOp", &["x"], &["y_pred"]),
            step(Stage::Network, "CrossEntropy", &["y_pred", "y"], &["ce"]),
            step(Stage::Trace, "Logger", &["*"], &[]),
        ];
        let keys: Vec<(usize, usize, String)> = edges(&steps).into_iter().map(|e| (e.from, e.to, e.key)).collect();
        assert_eq!(keys, vec![(0, 1, "x".into()), (1, 2, "x".into()), (2, 3, "y_pred".into()), (0, 3, "y".into())]);
        let svg = svg(&steps);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<path").count(), 8, "an arc and an arrowhead per hand-over");
        assert_eq!(svg.matches("<line").count(), 3, "a legend line per key: x, y_pred, y");
        assert!(svg.contains("network: CrossEntropy"));
    }
}
