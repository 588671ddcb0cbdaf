//! Charts of past runs (`fe::summary::{plot_logs, visualize_logs}`): the interactive HTML page
//! (well-formed, offline, every series with its points), the PNG (decodes, expected size, not
//! blank) and the SVG (names every experiment); grouping, smoothing, names and filters.

use std::collections::BTreeMap;
use std::path::PathBuf;

use fastestimator as fe;
use fe::summary::{
    parse_log_dir, parse_log_text, plot_logs, visualize_logs, LogChartKind, LogPlotOptions, LogValue, Summary,
};
use fe::Mode;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs")
}

/// Two repeats of `alpha` and one `beta`: train ce every 10 steps, eval ce and accuracy per
/// epoch, a per-dataset metric, a test value, FE's `epoch` and a `None`.
fn runs() -> Vec<Summary> {
    [("alpha_1", 1.0), ("alpha_2", 1.3), ("beta_1", 0.6)]
        .iter()
        .map(|&(name, scale)| {
            let mut text = String::new();
            for step in (10..=60).step_by(10) {
                text.push_str(&format!("FastEstimator-Train: step: {step}; ce: {};\n", scale * 3.0 / f64::from(step)));
            }
            for (epoch, step) in [(1, 30), (2, 60)] {
                let acc = 0.6 + 0.1 * f64::from(epoch) * scale;
                text.push_str(&format!(
                    "FastEstimator-Eval: step: {step}; epoch: {epoch}; ce: {}; accuracy: {acc}; accuracy|usps: {}; lr: None;\n",
                    scale / f64::from(epoch),
                    acc - 0.05
                ));
            }
            text.push_str(&format!("FastEstimator-Test: step: 60; epoch: 2; accuracy: {};\n", 0.8 * scale));
            parse_log_text(name, &text)
        })
        .collect()
}

/// The page's data: the JSON in `<script id="fe-log-data">`, found by parsing the page as XML.
fn page_data(html: &str) -> Value {
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(html, options)
        .unwrap_or_else(|e| panic!("the page is not well-formed: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "html");
    let script = doc
        .descendants()
        .find(|n| n.has_tag_name("script") && n.attribute("id") == Some("fe-log-data"))
        .expect("the data script");
    assert_eq!(script.attribute("type"), Some("application/json"));
    serde_json::from_str(script.text().expect("data")).expect("the data is JSON")
}

/// Every numeric (experiment, metric, mode) series the summaries hold, `epoch` aside.
fn numeric_series(runs: &[Summary]) -> BTreeMap<(String, String, String), Vec<(u64, f64)>> {
    let mut out = BTreeMap::new();
    for run in runs {
        for (mode, keys) in &run.history {
            for (key, steps) in keys {
                let points: Vec<(u64, f64)> = steps
                    .iter()
                    .filter_map(|(s, v)| match v {
                        LogValue::Text(_) | LogValue::Array(_) => None,
                        v => v.as_f64().map(|x| (*s, x)),
                    })
                    .collect();
                if key != "epoch" && !points.is_empty() {
                    out.insert((run.name.clone(), key.clone(), mode.to_string()), points);
                }
            }
        }
    }
    out
}

#[test]
fn html_is_well_formed_offline_and_holds_every_series() {
    let runs = runs();
    let html = plot_logs(&runs, &LogPlotOptions::new()).unwrap().to_html();
    for banned in
        ["http://", "https://", "src=", "href=", "@import", "url(", "fetch(", "XMLHttpRequest", "<link", "<iframe"]
    {
        assert!(!html.contains(banned), "the page contains {banned:?}");
    }
    let data = page_data(&html);
    let mut found = BTreeMap::new();
    for chart in data["charts"].as_array().unwrap() {
        assert_eq!(chart["kind"], "lines", "{chart}");
        for s in chart["series"].as_array().unwrap() {
            let metric = match s["ds_id"].as_str() {
                Some(ds) => format!("{}|{ds}", chart["metric"].as_str().unwrap()),
                None => chart["metric"].as_str().unwrap().to_string(),
            };
            let key = (s["experiment"].as_str().unwrap().to_string(), metric, s["mode"].as_str().unwrap().to_string());
            let steps = s["steps"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap());
            let values = s["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap());
            assert!(found.insert(key.clone(), steps.zip(values).collect::<Vec<_>>()).is_none(), "{key:?} twice");
        }
    }
    assert_eq!(found, numeric_series(&runs), "every experiment × metric × mode, with its points");
    // Train and eval of one metric share its chart; the line styles differ.
    let ce = data["charts"].as_array().unwrap().iter().find(|c| c["metric"] == "ce").unwrap();
    let dashes: BTreeMap<&str, &str> = ce["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["mode"].as_str().unwrap(), s["dash"].as_str().unwrap()))
        .collect();
    assert_eq!(dashes.len(), 2);
    assert_ne!(dashes["train"], dashes["eval"]);
    let legend: Vec<&str> = data["legend"].as_array().unwrap().iter().map(|e| e["label"].as_str().unwrap()).collect();
    assert!(legend.contains(&"alpha_1 (train)") && legend.contains(&"beta_1 (usps eval)"), "{legend:?}");
}

#[test]
fn png_decodes_with_the_expected_size_and_is_not_blank() {
    let plot = plot_logs(&runs(), &LogPlotOptions::new()).unwrap();
    // ce and accuracy (accuracy|usps joins it): a 2 × 1 grid of 460 × 320 cells, plus the
    // 300-pixel legend.
    assert_eq!((plot.rows, plot.cols), (2, 1));
    assert_eq!(plot.size(), (760, 640));
    let png = plot.to_png().unwrap();
    let image = image::load_from_memory(&png).unwrap().to_rgb8();
    assert_eq!(image.dimensions(), plot.size());
    let colored = image.pixels().filter(|p| p.0.iter().max().unwrap() - p.0.iter().min().unwrap() > 60).count();
    assert!(colored > 2000, "only {colored} coloured pixels");
    let dark = image.pixels().filter(|p| p.0.iter().all(|&c| c < 80)).count();
    assert!(dark > 500, "only {dark} dark (text) pixels");
    // The first experiment's colour (FE's first colour-blind colour) is drawn.
    assert!(image.pixels().any(|p| p.0 == [1, 115, 178]));
}

#[test]
fn svg_names_every_experiment() {
    let runs = runs();
    let svg = plot_logs(&runs, &LogPlotOptions::new()).unwrap().to_svg().unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    roxmltree::Document::parse(&svg).expect("well-formed SVG");
    for run in &runs {
        assert!(svg.contains(&run.name), "{} missing", run.name);
    }
}

#[test]
fn visualize_logs_writes_png_svg_and_html_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("charts");
    let runs = parse_log_dir(fixtures(), ".txt", true).unwrap();
    let files = visualize_logs(&runs, &out, &LogPlotOptions::new()).unwrap();
    assert_eq!(files.png, out.join("logs.png"));
    assert_eq!(files.svg, out.join("logs.svg"));
    assert_eq!(files.html, out.join("logs.html"));
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["logs.html", "logs.png", "logs.svg"], "no temporary file is left behind");
    let data = page_data(&std::fs::read_to_string(&files.html).unwrap());
    assert_eq!(data["experiments"], serde_json::json!(["mnist_1", "mnist_2", "other_run"]));
    // A later save replaces the files whole.
    let again = visualize_logs(&runs[..1], &out, &LogPlotOptions::new()).unwrap();
    assert_eq!(
        page_data(&std::fs::read_to_string(&again.html).unwrap())["experiments"],
        serde_json::json!(["mnist_1"])
    );
}

#[test]
fn group_by_averages_repeated_runs_into_a_line_with_a_band() {
    let plot = plot_logs(&runs(), &LogPlotOptions::new().group_by("_n")).unwrap();
    assert_eq!(plot.experiments, ["alpha", "beta_1"]);
    let ce = plot.charts.iter().find(|c| c.metric == "ce").unwrap();
    let alpha = ce.series().iter().find(|s| s.experiment == "alpha" && s.mode == Mode::Train).unwrap();
    let band = alpha.band.as_ref().expect("averaged runs have a band");
    // ce at step 10: runs give 0.3 and 0.39 → mean 0.345 ± 0.045.
    assert!((alpha.values[0] - 0.345).abs() < 1e-12);
    assert!((band[0].0 - 0.3).abs() < 1e-12 && (band[0].1 - 0.39).abs() < 1e-12, "{band:?}");
    let beta = ce.series().iter().find(|s| s.experiment == "beta_1").unwrap();
    assert!(beta.band.is_none(), "a run alone has no band");
    let legend = plot.legend();
    assert!(legend.iter().any(|e| e.label == "alpha (train)" && e.band && e.line));
    let html = plot.to_html();
    let data = page_data(&html);
    let series = &data["charts"][1]["series"][0];
    assert!(series["low"].is_array() && series["high"].is_array(), "{series}");
}

#[test]
fn smoothing_names_and_metric_filters_follow_fe() {
    let runs = runs();
    let plot = plot_logs(&runs, &LogPlotOptions::new().smooth_factor(1.0).pretty_names(true)).unwrap();
    let titles: Vec<&str> = plot.charts.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Accuracy", "Ce"]);
    let ce = plot.charts[1].series().iter().find(|s| s.mode == Mode::Train).unwrap();
    assert_eq!(ce.values.len(), ce.drawn.len());
    assert!(ce.values.iter().zip(&ce.drawn).any(|(v, d)| (v - d).abs() > 1e-6), "smoothed");
    assert!((ce.values[0] - 0.3).abs() < 1e-12, "the logged values are kept");

    let only = plot_logs(&runs, &LogPlotOptions::new().include_metrics(["ce"])).unwrap();
    assert_eq!(only.charts.iter().map(|c| c.metric.as_str()).collect::<Vec<_>>(), ["ce"]);
    let per_ds = plot_logs(&runs, &LogPlotOptions::new().include_metrics(["accuracy|usps"])).unwrap();
    assert!(per_ds.charts[0].series().iter().all(|s| s.ds_id.as_deref() == Some("usps")));
    let ignored = plot_logs(&runs, &LogPlotOptions::new().ignore_metrics(["accuracy"])).unwrap();
    assert_eq!(ignored.charts.iter().map(|c| c.metric.as_str()).collect::<Vec<_>>(), ["ce"], "and accuracy|usps");
}

#[test]
fn one_experiment_is_coloured_by_mode_and_single_values_become_text() {
    let run = fe::summary::parse_log_file(fixtures().join("mnist_1.txt")).unwrap();
    let plot = plot_logs(std::slice::from_ref(&run), &LogPlotOptions::new()).unwrap();
    let ce = plot.charts.iter().find(|c| c.metric == "ce").unwrap();
    let colors: Vec<_> = ce.series().iter().map(|s| (s.label.as_str(), s.color)).collect();
    assert_eq!(colors, [("train", [1, 115, 178]), ("eval", [222, 143, 5])]);
    // total_time(sec) was logged once: it is written as text, and such charts come last.
    let lines = plot.charts.iter().filter(|c| matches!(c.kind, LogChartKind::Lines(_))).count();
    assert!(plot.charts[lines..].iter().all(|c| matches!(c.kind, LogChartKind::Values(_))));
    let total = plot.charts.iter().find(|c| c.metric == "total_time(sec)").unwrap();
    let LogChartKind::Values(texts) = &total.kind else { panic!("{total:?}") };
    assert_eq!((texts[0].label.as_str(), texts[0].text.as_str()), ("train", "57.84000"));
    // So is an array logged once (FE writes it as text too).
    let f1 = plot.charts.iter().find(|c| c.metric == "f1_score").unwrap();
    assert!(matches!(&f1.kind, LogChartKind::Values(t) if t[0].text.contains("0.99")), "{f1:?}");
    plot.to_png().unwrap();
    let data = page_data(&plot.to_html());
    let values = data["charts"].as_array().unwrap().iter().find(|c| c["metric"] == "total_time(sec)").unwrap();
    assert_eq!(values["kind"], "values");
    assert_eq!(values["values"][0]["text"], "57.84000");
}

#[test]
fn nothing_to_draw_and_a_missing_font_are_errors() {
    let err = plot_logs(&[], &LogPlotOptions::new()).unwrap_err();
    assert!(matches!(err, fe::FeError::InvalidValue { .. }), "{err}");
    let only_epoch = parse_log_text("run", "FastEstimator-Train: step: 5; epoch: 1;\n");
    let err = plot_logs(&[only_epoch], &LogPlotOptions::new()).unwrap_err();
    assert!(err.to_string().contains("no metric"), "{err}");
    let err = plot_logs(&runs(), &LogPlotOptions::new().smooth_factor(-2.0)).unwrap_err();
    assert!(matches!(err, fe::FeError::InvalidParameter { .. }), "{err}");
    let plot = plot_logs(&runs(), &LogPlotOptions::new().font("/nonexistent/font.ttf")).unwrap();
    let err = plot.to_png().unwrap_err();
    assert!(matches!(err, fe::FeError::Io { .. }), "{err}");
    assert!(
        err.to_string().contains("/nonexistent/font.ttf") && err.to_string().contains("fonts-dejavu-core"),
        "{err}"
    );
    assert!(!plot.to_html().is_empty(), "the page needs no font");
}
