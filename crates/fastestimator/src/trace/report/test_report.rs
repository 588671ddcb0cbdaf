//! [`TestReport`] and [`TestCase`]: automated tests of a trained model, run in test mode, written
//! as a JSON result and a self-contained HTML report (FE's `fe.trace.io.TestReport`; FE writes a
//! PDF through LaTeX, this writes HTML).

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Map, Value as Json};
use tch::{Kind, Tensor};

use super::html::{badge, img_tag, write_atomic, Badge, HtmlPage};
use crate::error::{FeError, Result};
use crate::op::{impl_has_io, Keys, OpIo};
use crate::summary::{LogValue, System};
use crate::trace::io::encode_image_png;
use crate::trace::{Data, Trace};
use crate::util::missing_key;

/// An image as a person should see it: floats (often normalised, so outside [0, 1]) are
/// stretched to their own range; integers are shown as they are.
fn for_display(image: &Tensor) -> Tensor {
    if !image.is_floating_point() || image.numel() == 0 {
        return image.shallow_clone();
    }
    let image = image.to_kind(tch::Kind::Float);
    let (lo, hi) = (image.min(), image.max());
    (&image - &lo) / (hi - &lo).clamp_min(1e-12)
}

/// How many failing instances of one case the HTML report shows in detail (values and images);
/// the JSON lists every failing id.
const SHOWN_FAILURES: usize = 24;
/// An instance's input is shown as numbers when it holds at most this many elements.
const SHOWN_ELEMENTS: i64 = 8;

type AggregateFn = dyn Fn(&[&LogValue]) -> bool + Send;
type InstanceFn = dyn Fn(&[&Tensor]) -> Vec<bool> + Send;

enum Criteria {
    Aggregate(Box<AggregateFn>),
    PerInstance(Box<InstanceFn>),
}

/// One test of a [`TestReport`] (FE's `TestCase(description, criteria, aggregate, fail_threshold)`).
///
/// * An **aggregate** case ([`TestCase::aggregate`]) is judged once, at the end of the test
///   epoch, on the values the metric traces wrote with log (`accuracy`, `f1_score`, ...): its
///   criteria gets them in the order of `inputs` and returns whether the test passes.
/// * A **per-instance** case ([`TestCase::per_instance`]) is judged on every test batch: its
///   criteria gets the batch tensors named by `inputs` (pipeline keys, predictions) and returns
///   one `bool` per instance of the batch (`true`: passes). The case passes when at most
///   `fail_threshold` instances fail.
pub struct TestCase {
    description: String,
    inputs: Vec<String>,
    criteria: Criteria,
    fail_threshold: usize,
    show: Vec<String>,
    rejected: Option<(String, String)>,
}

impl TestCase {
    /// An aggregate case: `criteria` gets the epoch's logged values of `inputs`, in order.
    ///
    /// ```
    /// use fastestimator::trace::io::TestCase;
    /// let case = TestCase::aggregate("accuracy above 0.9", "accuracy", |v| v[0].as_f64() > Some(0.9));
    /// assert!(case.is_aggregate());
    /// ```
    pub fn aggregate(
        description: impl Into<String>,
        inputs: impl Into<Keys>,
        criteria: impl Fn(&[&LogValue]) -> bool + Send + 'static,
    ) -> Self {
        TestCase::build(description.into(), inputs.into().0, Criteria::Aggregate(Box::new(criteria)))
    }

    /// A per-instance case: `criteria` gets the batch tensors under `inputs`, in order, and
    /// returns one result per instance (`true`: the instance passes).
    pub fn per_instance(
        description: impl Into<String>,
        inputs: impl Into<Keys>,
        criteria: impl Fn(&[&Tensor]) -> Vec<bool> + Send + 'static,
    ) -> Self {
        TestCase::build(description.into(), inputs.into().0, Criteria::PerInstance(Box::new(criteria)))
    }

    fn build(description: String, inputs: Vec<String>, criteria: Criteria) -> Self {
        let rejected =
            inputs.is_empty().then(|| ("inputs".to_string(), "a test case needs at least one input key".to_string()));
        TestCase { description, inputs, criteria, fail_threshold: 0, show: Vec::new(), rejected }
    }

    /// How many failing instances a per-instance case tolerates (default 0). An aggregate case
    /// cannot have one (FE's ValueError): the [`TestReport`] reports it as an
    /// [`FeError::InvalidParameter`].
    pub fn fail_threshold(mut self, n: usize) -> Self {
        if self.is_aggregate() && n > 0 {
            self.reject("fail_threshold", "fail_threshold cannot be set in an aggregate test");
        }
        self.fail_threshold = n;
        self
    }

    /// Show the image under `key` for each failing instance of a per-instance case in the
    /// HTML report (an `[H, W]`, `[C, H, W]` or `[H, W, C]` tensor per instance, 1 or 3
    /// channels). May be given several times.
    pub fn show(mut self, key: impl Into<String>) -> Self {
        if self.is_aggregate() {
            self.reject("show", "only a per-instance test has instances to show");
        }
        self.show.push(key.into());
        self
    }

    /// The test's description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Whether the case is judged once per test epoch on logged values.
    pub fn is_aggregate(&self) -> bool {
        matches!(self.criteria, Criteria::Aggregate(_))
    }

    /// The keys the criteria reads, in order.
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    fn reject(&mut self, param: &str, reason: &str) {
        if self.rejected.is_none() {
            self.rejected = Some((param.to_string(), reason.to_string()));
        }
    }
}

/// A failing instance kept for the HTML report.
struct Failure {
    id: Option<Json>,
    values: Vec<(String, String)>,
    images: Vec<(String, Vec<u8>)>,
}

/// What a case found during one test run.
#[derive(Default)]
struct Outcome {
    /// Aggregate: the verdict and the values it was given.
    verdict: Option<bool>,
    inputs: Map<String, Json>,
    /// Per-instance: instances judged, failures, their ids and the first few in detail.
    judged: usize,
    failed: usize,
    fail_ids: Vec<Json>,
    shown: Vec<Failure>,
}

/// Run [`TestCase`]s during `Estimator::test` and write a report (FE's
/// `TestReport(test_cases, save_path, test_title=None, data_id=None)`).
///
/// At the end of the test it writes `<save_path>/<name>_TestReport.json` (title, timestamp,
/// execution time, a summary of passes and failures, and per test: its type, description,
/// verdict, and for a per-instance test the threshold, the failure count and, with
/// [`TestReport::data_id`], the failing instance ids) and `<save_path>/<name>_TestReport.html`,
/// a self-contained page with the same results, the logged values of aggregate tests, and the
/// first failing instances of each per-instance test with their ids, input values and images
/// ([`TestCase::show`]). `<name>` is the title in lower case, with spaces as `_` and other
/// punctuation removed (as FE names its report). It prints
/// `FastEstimator-TestReport: Report written to <path>`.
pub struct TestReport {
    io: OpIo,
    cases: Vec<TestCase>,
    outcomes: Vec<Outcome>,
    save_path: PathBuf,
    title: Option<String>,
    data_id: Option<String>,
    started: Option<Instant>,
    ran: bool,
    report: Option<Json>,
}
impl_has_io!(TestReport);

impl TestReport {
    /// Run `test_cases` in test mode and write the report into the folder `save_path`.
    pub fn new(test_cases: impl IntoIterator<Item = TestCase>, save_path: impl AsRef<Path>) -> Self {
        let cases: Vec<TestCase> = test_cases.into_iter().collect();
        let mut inputs: Vec<String> = Vec::new();
        for key in cases.iter().flat_map(|c| c.inputs.iter().chain(&c.show)) {
            if !inputs.contains(key) {
                inputs.push(key.clone());
            }
        }
        let mut io = OpIo::new(inputs, ()).with_default_mode("test");
        if cases.is_empty() {
            io.reject("test_cases", "give at least one test case");
        }
        for case in &cases {
            if let Some((param, reason)) = &case.rejected {
                io.reject(param, format!("test case {:?}: {reason}", case.description));
            }
        }
        let outcomes = cases.iter().map(|_| Outcome::default()).collect();
        TestReport {
            io,
            cases,
            outcomes,
            save_path: save_path.as_ref().to_path_buf(),
            title: None,
            data_id: None,
            started: None,
            ran: false,
            report: None,
        }
    }

    /// The report's title (default: the experiment's name).
    pub fn test_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The key holding each instance's id: per-instance tests then list their failing ids.
    pub fn data_id(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        if !self.io.inputs.contains(&key) {
            self.io.inputs.push(key.clone());
        }
        self.data_id = Some(key);
        self
    }

    /// The JSON of the last report written (`None` before the first test ends).
    pub fn report(&self) -> Option<&Json> {
        self.report.as_ref()
    }

    /// The report's file stem for `title`: lower case, spaces as `_`, other punctuation
    /// dropped, runs of `_` collapsed, then `_TestReport` (FE's naming).
    pub fn report_name(title: &str) -> String {
        let kept: String = title
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '_')
            .map(|c| if c == ' ' { '_' } else { c })
            .collect::<String>()
            .trim_end_matches('_')
            .to_lowercase();
        let mut name = String::with_capacity(kept.len());
        for c in kept.chars() {
            if !(c == '_' && name.ends_with('_')) {
                name.push(c);
            }
        }
        format!("{name}_TestReport")
    }

    fn consumer(case: &TestCase) -> String {
        format!("TestReport (test case {:?})", case.description)
    }

    /// Judge every per-instance case on one batch.
    fn judge_batch(&mut self, data: &Data, system: &System) -> Result<()> {
        let missing = |consumer: String, key: &str| {
            missing_key(
                consumer,
                key,
                data.batch().keys().map(String::as_str),
                system.mode,
                system.epoch_idx,
                &system.ds_id,
            )
        };
        let ids = match &self.data_id {
            Some(key) => {
                let t = data.tensor(key).ok_or_else(|| missing("TestReport".into(), key))?;
                Some(instance_ids(t, key)?)
            }
            None => None,
        };
        for (case, outcome) in self.cases.iter().zip(self.outcomes.iter_mut()) {
            let Criteria::PerInstance(criteria) = &case.criteria else { continue };
            let consumer = TestReport::consumer(case);
            let mut tensors = Vec::with_capacity(case.inputs.len());
            for key in &case.inputs {
                tensors.push(data.tensor(key).ok_or_else(|| missing(consumer.clone(), key))?);
            }
            let n = batch_size(tensors[0], &case.inputs[0], &consumer)?;
            let results = criteria(&tensors);
            if results.len() != n {
                return Err(FeError::LengthMismatch {
                    context: consumer,
                    what: format!("results from the criteria (one per instance of the batch of {:?})", case.inputs[0]),
                    expected: n,
                    got: results.len(),
                });
            }
            if let Some(ids) = &ids {
                if ids.len() != n {
                    return Err(FeError::LengthMismatch {
                        context: consumer,
                        what: format!("ids in {:?} (one per instance)", self.data_id.as_deref().unwrap_or_default()),
                        expected: n,
                        got: ids.len(),
                    });
                }
            }
            outcome.judged += n;
            for (i, _) in results.iter().enumerate().filter(|(_, passed)| !**passed) {
                outcome.failed += 1;
                let id = ids.as_ref().map(|ids| ids[i].clone());
                if let Some(id) = &id {
                    outcome.fail_ids.push(id.clone());
                }
                if outcome.shown.len() < SHOWN_FAILURES {
                    let mut failure = Failure { id, values: Vec::new(), images: Vec::new() };
                    for (key, t) in case.inputs.iter().zip(&tensors) {
                        if self.data_id.as_ref() == Some(key) {
                            continue; // the id has its own column
                        }
                        if let Some(text) = instance_text(t, i) {
                            failure.values.push((key.clone(), text));
                        }
                    }
                    for key in &case.show {
                        let t = data.tensor(key).ok_or_else(|| missing(consumer.clone(), key))?;
                        if batch_size(t, key, &consumer)? != n {
                            return Err(FeError::LengthMismatch {
                                context: consumer,
                                what: format!("images in {key:?} (one per instance)"),
                                expected: n,
                                got: t.size()[0] as usize,
                            });
                        }
                        failure.images.push((key.clone(), encode_image_png(&for_display(&t.get(i as i64)), key)?));
                    }
                    outcome.shown.push(failure);
                }
            }
        }
        Ok(())
    }

    /// Judge every aggregate case on the epoch's logged values.
    fn judge_epoch(&mut self, data: &Data, system: &System) -> Result<()> {
        for (case, outcome) in self.cases.iter().zip(self.outcomes.iter_mut()) {
            let Criteria::Aggregate(criteria) = &case.criteria else { continue };
            let mut values = Vec::with_capacity(case.inputs.len());
            for key in &case.inputs {
                values.push(data.log(key).ok_or_else(|| FeError::MissingMetric {
                    trace: TestReport::consumer(case),
                    metric: key.clone(),
                    mode: system.mode.to_string(),
                    epoch: system.epoch_idx,
                    written: data.read_logs().keys().cloned().collect(),
                })?);
            }
            outcome.verdict = Some(criteria(&values));
            outcome.inputs = case.inputs.iter().zip(&values).map(|(k, v)| (k.clone(), log_value_json(v))).collect();
        }
        Ok(())
    }

    fn passed(case: &TestCase, outcome: &Outcome) -> bool {
        match case.criteria {
            Criteria::Aggregate(_) => outcome.verdict.unwrap_or(false),
            Criteria::PerInstance(_) => outcome.failed <= case.fail_threshold,
        }
    }

    fn json(&self, title: &str, timestamp: &str, seconds: f64) -> Json {
        let tests: Vec<Json> = self
            .cases
            .iter()
            .zip(&self.outcomes)
            .map(|(case, outcome)| {
                let passed = TestReport::passed(case, outcome);
                match case.criteria {
                    Criteria::Aggregate(_) => json!({
                        "test_type": "aggregate",
                        "description": case.description,
                        "passed": passed,
                        "inputs": outcome.inputs,
                    }),
                    Criteria::PerInstance(_) => {
                        let mut test = json!({
                            "test_type": "per-instance",
                            "description": case.description,
                            "passed": passed,
                            "fail_threshold": case.fail_threshold,
                            "fail_number": outcome.failed,
                            "instances": outcome.judged,
                        });
                        if self.data_id.is_some() {
                            test["fail_id"] = Json::Array(outcome.fail_ids.clone());
                        }
                        test
                    }
                }
            })
            .collect();
        let passed = tests.iter().filter(|t| t["passed"] == Json::Bool(true)).count();
        json!({
            "title": title,
            "timestamp": timestamp,
            "execution_time(s)": seconds,
            "summary": {"total": tests.len(), "passed": passed, "failed": tests.len() - passed},
            "tests": tests,
        })
    }

    fn html(&self, report: &Json) -> String {
        let title = report["title"].as_str().unwrap_or_default();
        let mut page = HtmlPage::new(format!("{title} — Test Report"));
        page.subtitle(&format!(
            "{} · execution time {:.2} s",
            report["timestamp"].as_str().unwrap_or_default(),
            report["execution_time(s)"].as_f64().unwrap_or(0.0)
        ));
        let count = |k: &str| report["summary"][k].as_u64().unwrap_or(0);
        let failed = count("failed");
        page.section("summary", "Test Summary", |p| {
            p.stats(&[
                ("Total tests", count("total").to_string(), Badge::Info),
                ("Passed", count("passed").to_string(), Badge::Pass),
                ("Failed", failed.to_string(), if failed > 0 { Badge::Fail } else { Badge::Pass }),
            ]);
            let rows = self
                .cases
                .iter()
                .zip(&self.outcomes)
                .enumerate()
                .map(|(i, (case, outcome))| {
                    let passed = TestReport::passed(case, outcome);
                    vec![
                        format!("<a href=\"#test-{}\">{}</a>", i + 1, i + 1),
                        super::html::escape(&case.description),
                        if case.is_aggregate() { "aggregate" } else { "per-instance" }.to_string(),
                        verdict_badge(passed),
                    ]
                })
                .collect();
            p.table_html(&["Test ID", "Description", "Type", "Result"], rows);
        });
        for (wanted, id, heading) in [(false, "failed", "Failed Tests"), (true, "passed", "Passed Tests")] {
            let chosen: Vec<usize> = (0..self.cases.len())
                .filter(|&i| TestReport::passed(&self.cases[i], &self.outcomes[i]) == wanted)
                .collect();
            if chosen.is_empty() {
                continue;
            }
            page.section(id, heading, |p| {
                for i in chosen {
                    self.case_html(p, i);
                }
            });
        }
        page.finish()
    }

    fn case_html(&self, page: &mut HtmlPage, i: usize) {
        let (case, outcome) = (&self.cases[i], &self.outcomes[i]);
        let passed = TestReport::passed(case, outcome);
        page.raw(&format!(
            "<h3 id=\"test-{}\">{} Test {}: {}</h3>",
            i + 1,
            verdict_badge(passed),
            i + 1,
            super::html::escape(&case.description)
        ));
        if case.is_aggregate() {
            let rows = outcome.inputs.iter().map(|(k, v)| vec![k.clone(), json_text(v)]).collect();
            page.table(&["Input", "Value"], rows);
            return;
        }
        let mut facts = vec![
            vec!["Instances tested".to_string(), outcome.judged.to_string()],
            vec!["Failures".to_string(), outcome.failed.to_string()],
            vec!["Failures allowed".to_string(), format!("≤ {}", case.fail_threshold)],
        ];
        if self.data_id.is_some() && !outcome.fail_ids.is_empty() {
            let ids: Vec<String> = outcome.fail_ids.iter().map(json_text).collect();
            facts.push(vec!["Failing ids".to_string(), ids.join(", ")]);
        }
        page.table(&["Measure", "Value"], facts);
        if outcome.shown.is_empty() {
            return;
        }
        if outcome.failed > outcome.shown.len() {
            page.paragraph(&format!("The first {} of {} failing instances:", outcome.shown.len(), outcome.failed));
        } else {
            page.paragraph("Failing instances:");
        }
        let mut headers: Vec<String> = Vec::new();
        if self.data_id.is_some() {
            headers.push(self.data_id.clone().unwrap_or_default());
        }
        headers.extend(outcome.shown[0].values.iter().map(|(k, _)| k.clone()));
        headers.extend(case.show.iter().cloned());
        let rows = outcome
            .shown
            .iter()
            .map(|f| {
                let mut row = Vec::new();
                if self.data_id.is_some() {
                    row.push(f.id.as_ref().map(json_text).map(|t| super::html::escape(&t)).unwrap_or_default());
                }
                row.extend(f.values.iter().map(|(_, v)| format!("<code>{}</code>", super::html::escape(v))));
                let id = f.id.as_ref().map(json_text).unwrap_or_default();
                row.extend(f.images.iter().map(|(k, png)| img_tag(png, &format!("{k} of instance {id}"))));
                row
            })
            .collect();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        page.table_html(&headers, rows);
    }

    fn write(&mut self, system: &System) -> Result<()> {
        let title = match self.title.clone().filter(|t| !t.is_empty()) {
            Some(t) => t,
            None if !system.summary.name.is_empty() => system.summary.name.clone(),
            None => {
                return Err(FeError::param(
                    "TestReport",
                    "test_title",
                    "no title was given and the experiment has no name",
                ))
            }
        };
        let seconds = self.started.map(|s| s.elapsed().as_secs_f64()).unwrap_or(0.0);
        let report = self.json(&title, &readable_time(&system.experiment_time), seconds);
        let name = TestReport::report_name(&title);
        create_dir(&self.save_path)?;
        let json_path = self.save_path.join(format!("{name}.json"));
        let html_path = self.save_path.join(format!("{name}.html"));
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| FeError::State { owner: "TestReport".into(), reason: e.to_string() })?;
        write_atomic(&json_path, text.as_bytes())?;
        write_atomic(&html_path, self.html(&report).as_bytes())?;
        crate::output::log(&format!("FastEstimator-TestReport: Report written to {}", html_path.display()));
        self.report = Some(report);
        Ok(())
    }
}

/// `YYYYmmdd-HHMMSS` (the experiment time, UTC) as `YYYY-mm-dd HH:MM:SS UTC`.
fn readable_time(stamp: &str) -> String {
    let digits: Vec<char> = stamp.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 14 {
        return format!("{stamp} UTC");
    }
    let part = |a: usize, b: usize| digits[a..b].iter().collect::<String>();
    format!("{}-{}-{} {}:{}:{} UTC", part(0, 4), part(4, 6), part(6, 8), part(8, 10), part(10, 12), part(12, 14))
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| FeError::io("TestReport: cannot create save_path", dir, e))
}

fn verdict_badge(passed: bool) -> String {
    if passed {
        badge(Badge::Pass, "PASS")
    } else {
        badge(Badge::Fail, "FAIL")
    }
}

/// The number of instances in a batch tensor (its first axis).
fn batch_size(t: &Tensor, key: &str, consumer: &str) -> Result<usize> {
    match t.size().first() {
        Some(&n) => Ok(n as usize),
        None => Err(FeError::UnexpectedShape {
            op: consumer.to_string(),
            key: key.to_string(),
            expected: "a batch (rank 1 or more)".into(),
            got: t.size(),
        }),
    }
}

/// Each instance's id as JSON: an integer when the key holds integers, else a number.
fn instance_ids(t: &Tensor, key: &str) -> Result<Vec<Json>> {
    batch_size(t, key, "TestReport")?;
    let flat = t.detach().to_device(tch::Device::Cpu).reshape([-1]);
    if matches!(t.kind(), Kind::Float | Kind::Double | Kind::Half | Kind::BFloat16) {
        let v = Vec::<f64>::try_from(flat.to_kind(Kind::Double)).map_err(|e| FeError::torch("TestReport ids", e))?;
        Ok(v.into_iter().map(|x| if x.fract() == 0.0 && x.abs() < 9e15 { json!(x as i64) } else { json!(x) }).collect())
    } else {
        let v = Vec::<i64>::try_from(flat.to_kind(Kind::Int64)).map_err(|e| FeError::torch("TestReport ids", e))?;
        Ok(v.into_iter().map(|x| json!(x)).collect())
    }
}

/// A small instance's values as text (`3`, `[0.1, 0.9]`), or `None` for a large one (an image).
fn instance_text(t: &Tensor, i: usize) -> Option<String> {
    let item = t.get(i as i64);
    if item.numel() as i64 > SHOWN_ELEMENTS {
        return None;
    }
    let values =
        Vec::<f64>::try_from(item.detach().to_device(tch::Device::Cpu).to_kind(Kind::Double).reshape([-1])).ok()?;
    let text: Vec<String> = values.iter().map(|&x| LogValue::F64(x).to_string()).collect();
    Some(if item.dim() == 0 { text.concat() } else { format!("[{}]", text.join(", ")) })
}

/// A logged value as JSON: numbers as numbers, arrays as nested lists, a value with error as
/// `[low, mid, high]`.
fn log_value_json(v: &LogValue) -> Json {
    match v {
        LogValue::F32(x) => json!(f64::from(*x)),
        LogValue::F64(x) => json!(x),
        LogValue::Int(x) => json!(x),
        LogValue::Text(s) => json!(s),
        LogValue::Array(a) if a.ndim() == 0 || a.len() == 1 => json!(a.iter().next().copied().unwrap_or(f64::NAN)),
        LogValue::Array(a) => array_json(&a.view()),
        LogValue::ValWithError(l, m, h) => json!([l, m, h]),
    }
}

fn array_json(a: &ndarray::ArrayViewD<f64>) -> Json {
    if a.ndim() <= 1 {
        return json!(a.iter().copied().collect::<Vec<f64>>());
    }
    Json::Array(a.outer_iter().map(|row| array_json(&row)).collect())
}

/// JSON shown as text (strings without quotes).
fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Trace for TestReport {
    fn writes_files(&self) -> bool {
        true
    }

    fn name(&self) -> String {
        "TestReport".into()
    }

    fn bind(&mut self, _network: &crate::network::Network) -> Result<()> {
        create_dir(&self.save_path)?;
        tempfile::tempfile_in(&self.save_path)
            .map(drop)
            .map_err(|e| FeError::io("TestReport: cannot write into save_path", &self.save_path, e))
    }

    fn on_begin(&mut self, _data: &mut Data, _system: &mut System) -> Result<()> {
        self.io.validate("TestReport")?;
        self.outcomes = self.cases.iter().map(|_| Outcome::default()).collect();
        self.started = Some(Instant::now());
        self.ran = false;
        Ok(())
    }

    fn on_batch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        self.judge_batch(data, system)
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> Result<()> {
        self.ran = true;
        self.judge_epoch(data, system)
    }

    fn on_end(&mut self, _data: &mut Data, system: &mut System) -> Result<()> {
        if self.ran {
            self.write(system)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::TensorMap;

    fn batch(pairs: Vec<(&str, Tensor)>) -> Data {
        let mut map = TensorMap::new();
        for (k, v) in pairs {
            map.insert(k.to_string(), v);
        }
        Data::new(map)
    }

    /// Drive a report by hand through one test epoch of `batches`, with `logs` at epoch end.
    fn run(report: &mut TestReport, batches: Vec<Data>, logs: Vec<(&str, LogValue)>) -> Result<()> {
        let mut system = System::standalone();
        system.mode = crate::util::Mode::Test;
        system.epoch_idx = 1;
        report.on_begin(&mut Data::default(), &mut system)?;
        for mut b in batches {
            report.on_batch_end(&mut b, &mut system)?;
        }
        let mut end = Data::default();
        for (k, v) in logs {
            end.write_with_log(k, v);
        }
        report.on_epoch_end(&mut end, &mut system)?;
        report.on_end(&mut Data::default(), &mut system)
    }

    fn positive_cases() -> Vec<TestCase> {
        vec![
            TestCase::aggregate("accuracy above 0.5", "accuracy", |v| v[0].as_f64() > Some(0.5)),
            TestCase::aggregate("accuracy above 0.99", "accuracy", |v| v[0].as_f64() > Some(0.99)),
            TestCase::per_instance("x is positive", "x", |t| {
                Vec::<f64>::try_from(t[0].to_kind(Kind::Double)).unwrap().iter().map(|&x| x > 0.0).collect()
            })
            .fail_threshold(1)
            .show("img"),
        ]
    }

    fn image_batch(xs: &[f64], ids: &[i64]) -> Data {
        let n = xs.len() as i64;
        batch(vec![
            ("x", Tensor::from_slice(xs)),
            ("id", Tensor::from_slice(ids)),
            ("img", Tensor::rand([n, 1, 6, 6], (Kind::Float, tch::Device::Cpu))),
        ])
    }

    #[test]
    fn verdicts_ids_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut report = TestReport::new(positive_cases(), dir.path()).test_title("My Model v2!").data_id("id");
        let batches = vec![image_batch(&[1.0, -1.0, 2.0], &[10, 11, 12]), image_batch(&[-3.0, 4.0], &[13, 14])];
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = lines.clone();
        crate::output::with_sink(
            move |_, l| seen.lock().unwrap().push(l.to_string()),
            || run(&mut report, batches, vec![("accuracy", LogValue::F64(0.75))]),
        )
        .unwrap();
        let json = report.report().unwrap().clone();
        assert_eq!(json["title"], "My Model v2!");
        assert_eq!(json["summary"], json!({"total": 3, "passed": 1, "failed": 2}));
        let tests = json["tests"].as_array().unwrap();
        assert_eq!(tests[0]["passed"], true);
        assert_eq!(tests[0]["inputs"], json!({"accuracy": 0.75}));
        assert_eq!(tests[1]["passed"], false);
        assert_eq!(tests[2]["test_type"], "per-instance");
        assert_eq!(tests[2]["fail_number"], 2);
        assert_eq!(tests[2]["fail_id"], json!([11, 13]));
        assert_eq!(tests[2]["passed"], false);
        let stem = dir.path().join("my_model_v2_TestReport");
        let on_disk: Json = serde_json::from_slice(&std::fs::read(stem.with_extension("json")).unwrap()).unwrap();
        assert_eq!(on_disk["tests"], json["tests"]);
        let html = std::fs::read_to_string(stem.with_extension("html")).unwrap();
        assert_eq!(html.matches("<img src=\"data:image/png;base64,").count(), 2);
        assert!(html.contains("0.75") && html.contains("x is positive"));
        assert!(roxmltree::Document::parse(html.trim_start_matches("<!DOCTYPE html>")).is_ok());
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("FastEstimator-TestReport: Report written to "), "{lines:?}");
    }

    #[test]
    fn a_threshold_lets_a_case_pass_and_names_follow_fe() {
        let dir = tempfile::tempdir().unwrap();
        let case = TestCase::per_instance("few negatives", "x", |t| {
            Vec::<f64>::try_from(t[0].to_kind(Kind::Double)).unwrap().iter().map(|&x| x > 0.0).collect()
        })
        .fail_threshold(2);
        let mut report = TestReport::new([case], dir.path());
        crate::output::with_sink(crate::output::silent, || {
            run(&mut report, vec![batch(vec![("x", Tensor::from_slice(&[1.0f32, -1.0, -2.0]))])], vec![])
        })
        .unwrap();
        let json = report.report().unwrap();
        // Without data_id there are no ids; the title defaults to the experiment's name.
        assert_eq!(json["tests"][0]["passed"], true);
        assert!(json["tests"][0].get("fail_id").is_none());
        assert_eq!(json["title"], "run");
        assert!(dir.path().join("run_TestReport.json").is_file());
        assert_eq!(TestReport::report_name("A  b__c-d "), "a_b_cd_TestReport");
        assert_eq!(readable_time("20261130-081043"), "2026-11-30 08:10:43 UTC");
        assert_eq!(readable_time("odd"), "odd UTC");
    }

    #[test]
    fn bad_cases_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        // fail_threshold on an aggregate case (FE's ValueError), and no cases at all.
        let bad = TestCase::aggregate("acc", "accuracy", |_| true).fail_threshold(3);
        let mut report = TestReport::new([bad], dir.path());
        let err = run(&mut report, vec![], vec![]).unwrap_err();
        assert!(matches!(&err, FeError::InvalidParameter { param, .. } if param == "fail_threshold"), "{err}");
        let err = run(&mut TestReport::new([], dir.path()), vec![], vec![]).unwrap_err();
        assert!(matches!(&err, FeError::InvalidParameter { param, .. } if param == "test_cases"), "{err}");

        // A per-instance key missing from the batch.
        let case = TestCase::per_instance("needs y", "y_pred", |_| vec![]);
        let err = run(
            &mut TestReport::new([case], dir.path()),
            vec![batch(vec![("y_pred_", Tensor::from_slice(&[1i64]))])],
            vec![],
        )
        .unwrap_err();
        match &err {
            FeError::MissingKey { key, consumer, closest, .. } => {
                assert_eq!(key, "y_pred");
                assert!(consumer.contains("needs y"));
                assert_eq!(closest.as_deref(), Some("y_pred_"));
            }
            other => panic!("{other}"),
        }

        // A criteria that returns the wrong number of results.
        let case = TestCase::per_instance("short", "x", |_| vec![true]);
        let err = run(
            &mut TestReport::new([case], dir.path()),
            vec![batch(vec![("x", Tensor::from_slice(&[1i64, 2, 3]))])],
            vec![],
        )
        .unwrap_err();
        assert!(matches!(err, FeError::LengthMismatch { expected: 3, got: 1, .. }), "{err}");

        // An aggregate input nothing logged.
        let case = TestCase::aggregate("f1", "f1_score", |_| true);
        let err =
            run(&mut TestReport::new([case], dir.path()), vec![], vec![("accuracy", LogValue::F64(1.0))]).unwrap_err();
        assert!(matches!(&err, FeError::MissingMetric { metric, .. } if metric == "f1_score"), "{err}");

        // A save_path below a file cannot be created.
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let case = TestCase::aggregate("acc", "accuracy", |_| true);
        let mut report = TestReport::new([case], file.join("reports"));
        let err = run(&mut report, vec![], vec![("accuracy", LogValue::F64(1.0))]).unwrap_err();
        assert!(matches!(&err, FeError::Io { path, .. } if path.ends_with("reports")), "{err}");
    }
}
