//! `Traceability`: one self-contained HTML page per run that says what was run, on what, and
//! what came out (FE's `fe.trace.io.Traceability`, which writes LaTeX; this writes HTML).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::html::{badge, write_atomic, Badge, HtmlPage};
use super::key_flow;
use super::run_description::RunDescription;
use crate::error::{FeError, Result};
use crate::network::Network;
use crate::op::{impl_has_io, OpIo};
use crate::summary::{Figure, LogPlotOptions, Summary, System};
use crate::trace::{Data, Trace};
use crate::util::Mode;

/// Writes `<save_dir>/<experiment>_traceability.html` at the end of every run (`fit`, then
/// `test`, each rewriting the page with everything so far): the run's settings and
/// hyperparameters, its datasets, its pipeline ops, network ops and traces as tables, a diagram
/// of how keys flow between them, each model's tensors and parameter counts, the training
/// curves, the final metrics, the pictures traces made (saliency maps, tracker plots), the
/// system it ran on and how long it took.
///
/// The page is one file with everything embedded (styles, PNGs, the SVG diagram): it opens
/// anywhere and loads nothing from the network. With [`Traceability::pdf`] the same page is
/// also printed to PDF by headless Chromium when one is installed.
///
/// The Estimator gives the trace the run's description before it starts and calls its
/// `on_end` after every other trace's, the Logger's included (as FE does).
///
/// ```
/// use fastestimator as fe;
/// let trace = fe::trace::io::Traceability::new("reports").extra("dataset version", "v3");
/// ```
pub struct Traceability {
    io: OpIo,
    save_dir: PathBuf,
    extra: Vec<(String, String)>,
    pdf: bool,
    run: RunDescription,
    summary: Summary,
    figures: Vec<Figure>,
    started: Option<Instant>,
    elapsed: Duration,
    experiment_time: String,
    report: Option<PathBuf>,
}
impl_has_io!(Traceability);

impl Traceability {
    /// A report written into `save_dir` (created if missing).
    pub fn new(save_dir: impl AsRef<Path>) -> Self {
        Traceability {
            io: OpIo::new("*", ()),
            save_dir: save_dir.as_ref().to_path_buf(),
            extra: Vec::new(),
            pdf: false,
            run: RunDescription::default(),
            summary: Summary::default(),
            figures: Vec::new(),
            started: None,
            elapsed: Duration::ZERO,
            experiment_time: String::new(),
            report: None,
        }
    }

    /// Add a line to the report's configuration (FE's `extra_objects`): a name and a value.
    pub fn extra(mut self, name: impl Into<String>, value: impl std::fmt::Display) -> Self {
        self.extra.push((name.into(), value.to_string()));
        self
    }

    /// Also print the page to `<experiment>_traceability.pdf` with headless Chromium, when a
    /// `chromium` (or `chromium-browser`, `google-chrome`) is on the PATH; without one the
    /// report says so in a log line and stays HTML only.
    pub fn pdf(mut self, pdf: bool) -> Self {
        self.pdf = pdf;
        self
    }

    /// The page written by the last run, if any.
    pub fn report_path(&self) -> Option<&Path> {
        self.report.as_deref()
    }

    /// The run's description (the Estimator calls this before each run).
    pub fn set_run_description(&mut self, run: RunDescription) {
        self.run = run;
    }

    fn html_path(&self) -> PathBuf {
        self.save_dir.join(format!("{}_traceability.html", file_stem(&self.run.experiment)))
    }

    /// The whole page.
    fn page(&self) -> String {
        let run = &self.run;
        let mut page = HtmlPage::new(format!("{} — Traceability", run.experiment));
        page.subtitle(&format!("Run started {} UTC; written by fastestimator-rs", pretty_time(&self.experiment_time)));
        let epochs =
            self.summary.history.values().flat_map(|keys| keys.get("epoch_time(sec)")).map(|s| s.len()).sum::<usize>();
        let mut stats: Vec<(String, String, Badge)> = vec![
            ("elapsed".into(), format!("{:.1} s", self.elapsed.as_secs_f64()), Badge::Info),
            ("training steps".into(), self.summary.train_steps.to_string(), Badge::Info),
            ("epochs trained".into(), epochs.to_string(), Badge::Info),
        ];
        for (mode, key, value) in headline_metrics(&self.summary) {
            stats.push((format!("{mode} {key}"), value, Badge::Pass));
        }
        let stats: Vec<(&str, String, Badge)> = stats.iter().map(|(l, v, b)| (l.as_str(), v.clone(), *b)).collect();
        page.stats(&stats);
        page.section("configuration", "Configuration", |p| {
            let mut rows: Vec<Vec<String>> = run.settings.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect();
            rows.extend(self.extra.iter().map(|(k, v)| vec![k.clone(), v.clone()]));
            p.table(&["setting", "value"], rows);
            if !run.hyperparameters.is_empty() {
                p.heading(3, "Hyperparameters");
                let rows = run.hyperparameters.iter().map(|(k, v)| vec![k.clone(), v.to_string()]).collect();
                p.table(&["hyperparameter", "value"], rows);
            }
        });
        page.section("datasets", "Datasets", |p| {
            let rows = run
                .datasets
                .iter()
                .map(|d| {
                    let keys =
                        d.keys.iter().map(|k| format!("{}: {} {:?}", k.key, k.dtype, k.shape)).collect::<Vec<_>>();
                    vec![
                        d.mode.to_string(),
                        if d.ds_id.is_empty() { "—".into() } else { d.ds_id.clone() },
                        d.kind.clone(),
                        d.len.to_string(),
                        d.batch_size.map_or("—".into(), |b| b.to_string()),
                        keys.join("; "),
                    ]
                })
                .collect();
            p.table(&["mode", "ds_id", "type", "samples", "batch size", "keys (dtype, shape)"], rows);
        });
        page.section("steps", "Pipeline, network and traces", |p| {
            let rows = run
                .steps
                .iter()
                .map(|s| {
                    vec![
                        s.stage.to_string(),
                        s.name.clone(),
                        s.inputs.join(", "),
                        s.outputs.join(", "),
                        s.modes.clone(),
                        s.ds_ids.clone(),
                    ]
                })
                .collect();
            p.table(&["stage", "name", "inputs", "outputs", "modes", "ds_ids"], rows);
            p.heading(3, "Key flow");
            p.paragraph("Each arc carries a key from the step that writes it to a later step that reads it.");
            p.raw(&format!("<div class=\"diagram\">{}</div>", key_flow::svg(&run.steps)));
        });
        page.section("models", "Models", |p| {
            for m in &run.models {
                p.heading(3, &m.name);
                let total: i64 = m.tensors.iter().map(|(_, s, _)| s.iter().product::<i64>()).sum();
                p.table(
                    &["optimizer", "input shape", "trainable parameters", "all tensors' elements", "device"],
                    vec![vec![
                        m.optimizer.clone().unwrap_or_else(|| "— (not trained)".into()),
                        m.input_shape.as_ref().map_or("—".into(), |s| format!("{s:?}")),
                        m.trainable_parameters.to_string(),
                        total.to_string(),
                        m.device.clone(),
                    ]],
                );
                let rows = m
                    .tensors
                    .iter()
                    .map(|(name, shape, trainable)| {
                        let count: i64 = shape.iter().product();
                        vec![
                            name.clone(),
                            format!("{shape:?}"),
                            count.to_string(),
                            if *trainable { "yes" } else { "no (buffer)" }.into(),
                        ]
                    })
                    .collect();
                p.raw(&format!("<details><summary>{} tensors</summary>", m.tensors.len()));
                p.table(&["tensor", "shape", "elements", "trainable"], rows);
                p.raw("</details>");
            }
        });
        page.section("curves", "Training curves", |p| match curves(&self.summary) {
            Ok(Some(png)) => {
                p.image_png(&png, "every logged value by step (train, eval and test)");
            }
            Ok(None) => {
                p.paragraph("Nothing numeric was logged.");
            }
            Err(e) => {
                p.paragraph(&format!("The curves could not be drawn: {e}"));
            }
        });
        page.section("metrics", "Final metrics", |p| {
            let rows = final_values(&self.summary);
            if rows.is_empty() {
                p.paragraph("Nothing was logged.");
            } else {
                p.table(&["mode", "key", "step", "value"], rows);
            }
        });
        if !self.figures.is_empty() {
            page.section("figures", "Figures from the traces", |p| {
                for f in &self.figures {
                    p.image_png(&f.png, &f.title);
                }
            });
        }
        page.section("system", "System", |p| {
            p.table(&["", ""], system_rows());
        });
        page.raw(&format!(
            "<p class=\"sub\">{}</p>",
            badge(Badge::Info, "self-contained: nothing here loads from the network")
        ));
        page.finish()
    }
}

/// A file name from an experiment name: letters, digits, `-`, `_` and `.` kept.
fn file_stem(name: &str) -> String {
    let stem: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    if stem.is_empty() {
        "run".into()
    } else {
        stem
    }
}

/// `YYYYmmdd-HHMMSS` as `YYYY-mm-dd HH:MM:SS`.
fn pretty_time(t: &str) -> String {
    if t.len() == 15 {
        format!("{}-{}-{} {}:{}:{}", &t[0..4], &t[4..6], &t[6..8], &t[9..11], &t[11..13], &t[13..15])
    } else {
        t.to_string()
    }
}

/// The last value of each logged key, by mode: `[mode, key, step, value]` rows.
fn final_values(summary: &Summary) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (mode, keys) in &summary.history {
        for (key, steps) in keys {
            if let Some((step, value)) = steps.iter().next_back() {
                rows.push(vec![mode.to_string(), key.clone(), step.to_string(), value.to_string()]);
            }
        }
    }
    rows
}

/// The values worth a headline: the last eval and test value of each metric (not times, rates
/// or learning rates).
fn headline_metrics(summary: &Summary) -> Vec<(Mode, String, String)> {
    let skip = |k: &str| k.contains("time") || k.contains("steps/sec") || k.ends_with("_lr") || k.contains('|');
    let mut out = Vec::new();
    for mode in [Mode::Eval, Mode::Test] {
        let Some(keys) = summary.history.get(&mode) else { continue };
        for (key, steps) in keys.iter().filter(|(k, _)| !skip(k)) {
            if let Some(v) = steps.values().next_back().and_then(|v| v.as_f64()) {
                out.push((mode, key.clone(), format!("{v:.4}")));
            }
        }
    }
    out.truncate(6);
    out
}

/// The training curves as a PNG (`None` if nothing numeric was logged).
fn curves(summary: &Summary) -> Result<Option<Vec<u8>>> {
    let numeric = summary.history.values().flat_map(|k| k.values()).any(|s| s.values().any(|v| v.as_f64().is_some()));
    if !numeric {
        return Ok(None);
    }
    let options = LogPlotOptions::new().ignore_metrics(["epoch_time(sec)", "total_time(sec)"]);
    crate::summary::plot_logs(std::slice::from_ref(summary), &options)?.to_png().map(Some)
}

/// What the run ran on.
fn system_rows() -> Vec<Vec<String>> {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string());
    let meminfo = read("/proc/meminfo");
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0));
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string());
    let gpus = tch::Cuda::device_count();
    let row = |k: &str, v: String| vec![k.to_string(), v];
    vec![
        row(
            "operating system",
            format!(
                "{} (Linux {})",
                os.unwrap_or_else(|| std::env::consts::OS.into()),
                read("/proc/sys/kernel/osrelease").trim()
            ),
        ),
        row(
            "CPU",
            format!("{} — {} logical cores", cpu.unwrap_or_else(|| std::env::consts::ARCH.into()), num_cpus::get()),
        ),
        row("memory", memory.unwrap_or_else(|| "unknown".into())),
        row("GPUs (CUDA)", if gpus > 0 { format!("{gpus} visible") } else { "none: ran on the CPU".into() }),
        row("libtorch threads", tch::get_num_threads().to_string()),
        row("fastestimator-rs", env!("CARGO_PKG_VERSION").into()),
        row("backend", "tch 0.24 on libtorch 2.11.0".into()),
        row("host", read("/proc/sys/kernel/hostname").trim().to_string()),
    ]
}

/// Print `html` to `pdf` with headless Chromium, if one is installed: into a temporary file
/// beside it, then renamed, so a reader never sees half a PDF.
fn print_pdf(html: &Path, pdf: &Path) -> std::result::Result<(), String> {
    let name = pdf.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let partial = pdf.with_file_name(format!(".{name}.partial.pdf"));
    let printed = print_with_chromium(html, &partial);
    let result = printed.and_then(|()| std::fs::rename(&partial, pdf).map_err(|e| e.to_string()));
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn print_with_chromium(html: &Path, pdf: &Path) -> std::result::Result<(), String> {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
        .ok_or("no chromium on the PATH")?;
    let html = std::fs::canonicalize(html).map_err(|e| e.to_string())?;
    let out = std::process::Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() && pdf.is_file() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("failed").to_string())
    }
}

impl Trace for Traceability {
    fn writes_files(&self) -> bool {
        true
    }

    fn name(&self) -> String {
        "Traceability".into()
    }

    fn bind(&mut self, _network: &Network) -> Result<()> {
        std::fs::create_dir_all(&self.save_dir)
            .map_err(|e| FeError::io("Traceability: cannot create save_dir", &self.save_dir, e))
    }

    fn on_begin(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        self.started = Some(Instant::now());
        if self.experiment_time.is_empty() {
            self.experiment_time = system.experiment_time.clone();
        }
        Ok(())
    }

    fn on_end(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        if let Some(started) = self.started.take() {
            self.elapsed += started.elapsed();
        }
        self.summary.merge(&system.summary);
        self.summary.train_steps = self.summary.train_steps.max(system.global_step);
        for figure in &system.figures {
            match self.figures.iter_mut().find(|f| f.title == figure.title) {
                Some(f) => f.png = figure.png.clone(),
                None => self.figures.push(figure.clone()),
            }
        }
        let path = self.html_path();
        write_atomic(&path, self.page().as_bytes())?;
        crate::output::log(&format!("FastEstimator-Traceability: Report written to {}", path.display()));
        if self.pdf {
            let pdf = path.with_extension("pdf");
            match print_pdf(&path, &pdf) {
                Ok(()) => crate::output::log(&format!("FastEstimator-Traceability: PDF written to {}", pdf.display())),
                Err(why) => {
                    crate::output::log(&format!("FastEstimator-Traceability: no PDF ({why}); the HTML report stands"))
                }
            }
        }
        self.report = Some(path);
        Ok(())
    }
}
