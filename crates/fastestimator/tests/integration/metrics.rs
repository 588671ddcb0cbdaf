//! Metric traces driven by hand: FE's numbers (FE_REFERENCE §8 cases 4–7) and first-principles
//! values (hand computations, or scikit-learn / nltk / uncertainty-calibration / pycocotools
//! results for the same inputs, quoted where used).

use fastestimator as fe;
use fe::network::TensorMap;
use fe::summary::{LogValue, System};
use fe::trace::metric::{
    AUCScore, Accuracy, Average, BleuScore, CalibrationError, CalibrationMethod, ConfusionMatrix, Dice, F1Score,
    MeanAveragePrecision, MultiClass, Normalize, Precision, Recall, MCC,
};
use fe::trace::{Data, Trace};
use tch::Tensor;

fn t2(rows: &[&[f64]]) -> Tensor {
    let cols = rows[0].len() as i64;
    let flat: Vec<f64> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_slice(&flat).reshape([rows.len() as i64, cols])
}

fn labels(v: &[i64]) -> Tensor {
    Tensor::from_slice(v)
}

/// Run one epoch of `trace` over `batches` of (ds_id, [(key, tensor)]) and return the epoch-end
/// data, or the first error.
fn epoch(trace: &mut dyn Trace, batches: Vec<(&str, Vec<(&str, Tensor)>)>) -> fe::Result<Data> {
    let mut sys = System::standalone();
    trace.on_epoch_begin(&mut Data::default(), &mut sys)?;
    for (ds, items) in batches {
        sys.ds_id = ds.to_string();
        let mut batch = TensorMap::new();
        for (k, t) in items {
            batch.insert(k.to_string(), t);
        }
        trace.on_batch_end(&mut Data::new(batch), &mut sys)?;
    }
    let mut data = Data::default();
    trace.on_epoch_end(&mut data, &mut sys)?;
    Ok(data)
}

/// One batch of y / y_pred on the default dataset.
fn one(trace: &mut dyn Trace, y: Tensor, pred: Tensor) -> Data {
    epoch(trace, vec![("", vec![("y", y), ("y_pred", pred)])]).unwrap()
}

fn scalar(data: &Data, key: &str) -> f64 {
    data.log(key).and_then(LogValue::as_f64).unwrap_or_else(|| panic!("{key}: {:?}", data.log(key)))
}

fn array(data: &Data, key: &str) -> Vec<f64> {
    match data.log(key) {
        Some(LogValue::Array(a)) => a.iter().copied().collect(),
        other => panic!("{key}: expected an array, got {other:?}"),
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

// FE_REFERENCE §8 cases 4-7 -------------------------------------------------------------------

fn binary_pred() -> Tensor {
    t2(&[&[0.2], &[0.6], &[0.8], &[0.1]]) // -> [0, 1, 1, 0]
}
fn binary_labels() -> Tensor {
    labels(&[0, 1, 0, 1])
}
fn one_hot_labels() -> Tensor {
    t2(&[&[1.0, 0.0], &[0.0, 1.0], &[0.0, 1.0], &[0.0, 1.0]]) // -> [0, 1, 1, 1]
}
fn multi_pred() -> Tensor {
    let rows: Vec<[f64; 3]> = [0usize, 1, 2, 0, 1, 2]
        .iter()
        .map(|&c| {
            let mut r = [0.1; 3];
            r[c] = 0.8;
            r
        })
        .collect();
    t2(&rows.iter().map(|r| &r[..]).collect::<Vec<_>>())
}
fn multi_labels() -> Tensor {
    labels(&[0, 0, 0, 1, 1, 2])
}

#[test]
fn case_4_precision_binary_and_one_hot() {
    let d = one(&mut Precision::new("y", "y_pred"), binary_labels(), binary_pred());
    assert_eq!(scalar(&d, "precision"), 0.5);
    let d = one(&mut Precision::new("y", "y_pred"), one_hot_labels(), binary_pred());
    assert_eq!(scalar(&d, "precision"), 1.0);
}

#[test]
fn case_4_forbidden_kwargs_are_construction_errors() {
    for name in ["average", "y_true", "y_pred"] {
        // the setter never fails; the trace reports the parameter when bound (or validated)
        let err = Precision::new("y", "y_pred").kwarg(name, "macro").validate().expect_err("must fail");
        assert!(matches!(&err, fe::FeError::InvalidParameter { param, .. } if param == name), "{err}");
        assert!(Recall::new("y", "y_pred").kwarg(name, 1).validate().is_err());
        assert!(F1Score::new("y", "y_pred").kwarg(name, 1).validate().is_err());
    }
    assert!(MCC::new("y", "y_pred").kwarg("y_true", 1).validate().is_err());
    assert!(ConfusionMatrix::new("y", "y_pred", 2).unwrap().kwarg("labels", vec![0i64, 1]).validate().is_err());
    assert!(Precision::new("y", "y_pred").kwarg("bogus", 1).validate().is_err());
    // extra kwargs are forwarded: zero_division=1 when nothing is predicted positive
    let mut p = Precision::new("y", "y_pred").kwarg("zero_division", 1.0);
    let d = one(&mut p, labels(&[0, 1]), t2(&[&[0.1], &[0.2]]));
    assert_eq!(scalar(&d, "precision"), 1.0);
    let mut p = Precision::new("y", "y_pred").kwarg("pos_label", 0);
    let d = one(&mut p, binary_labels(), binary_pred()); // class 0: tp 1, fp 1
    assert_eq!(scalar(&d, "precision"), 0.5);
}

#[test]
fn case_5_precision_multi_class_per_class() {
    let d = one(&mut Precision::new("y", "y_pred"), multi_labels(), multi_pred());
    assert_eq!(array(&d, "precision"), vec![0.5, 0.5, 0.5]);
}

#[test]
fn case_6_mcc() {
    let d = one(&mut MCC::new("y", "y_pred"), binary_labels(), binary_pred());
    assert_eq!(scalar(&d, "mcc"), 0.0);
    let d = one(&mut MCC::new("y", "y_pred"), one_hot_labels(), binary_pred());
    let (tp, tn, fp, fn_) = (2.0f64, 1.0, 0.0, 1.0);
    let formula = (tp * tn - fp * fn_) / ((tp + fp) * (tp + fn_) * (tn + fp) * (tn + fn_)).sqrt();
    assert!(close(scalar(&d, "mcc"), 0.5773502691896258, 1e-15));
    assert!(close(scalar(&d, "mcc"), formula, 1e-15));
}

#[test]
fn case_7_confusion_matrix() {
    let d = one(&mut ConfusionMatrix::new("y", "y_pred", 2).unwrap(), binary_labels(), binary_pred());
    assert_eq!(array(&d, "confusion_matrix"), vec![1.0, 1.0, 1.0, 1.0]);
    let d = one(&mut ConfusionMatrix::new("y", "y_pred", 2).unwrap(), one_hot_labels(), binary_pred());
    assert_eq!(array(&d, "confusion_matrix"), vec![1.0, 0.0, 1.0, 2.0]);
    match d.log("confusion_matrix") {
        Some(LogValue::Array(a)) => assert_eq!(a.shape(), &[2, 2]),
        other => panic!("{other:?}"),
    }
    // normalize="true": rows sum to 1
    let mut cm = ConfusionMatrix::new("y", "y_pred", 2).unwrap().kwarg("normalize", "true");
    let d = one(&mut cm, one_hot_labels(), binary_pred());
    assert_eq!(array(&d, "confusion_matrix"), vec![1.0, 0.0, 1.0 / 3.0, 2.0 / 3.0]);
    let mut cm = ConfusionMatrix::new("y", "y_pred", 2).unwrap().normalize(Normalize::True);
    let d = one(&mut cm, one_hot_labels(), binary_pred());
    assert_eq!(array(&d, "confusion_matrix"), vec![1.0, 0.0, 1.0 / 3.0, 2.0 / 3.0]);
    assert!(ConfusionMatrix::new("y", "y_pred", 0).is_err());
}

// Recall, F1 by hand ----------------------------------------------------------------------------

#[test]
fn recall_and_f1_by_hand() {
    // binary: tp 1, fp 1, fn 1
    assert_eq!(scalar(&one(&mut Recall::new("y", "y_pred"), binary_labels(), binary_pred()), "recall"), 0.5);
    assert_eq!(scalar(&one(&mut F1Score::new("y", "y_pred"), binary_labels(), binary_pred()), "f1_score"), 0.5);
    // one-hot: tp 2, fp 0, fn 1
    let r = scalar(&one(&mut Recall::new("y", "y_pred"), one_hot_labels(), binary_pred()), "recall");
    assert!(close(r, 2.0 / 3.0, 1e-15));
    let f = scalar(&one(&mut F1Score::new("y", "y_pred"), one_hot_labels(), binary_pred()), "f1_score");
    assert!(close(f, 0.8, 1e-15));
    // multi-class: class 0 tp 1 fp 1 fn 2, class 1 tp 1 fp 1 fn 1, class 2 tp 1 fp 1 fn 0
    let r = array(&one(&mut Recall::new("y", "y_pred"), multi_labels(), multi_pred()), "recall");
    assert_eq!(r, vec![1.0 / 3.0, 0.5, 1.0]);
    let f = array(&one(&mut F1Score::new("y", "y_pred"), multi_labels(), multi_pred()), "f1_score");
    assert_eq!(f, vec![2.0 / 5.0, 0.5, 2.0 / 3.0]);
    // a multi-class target with single-column predictions is an error, not a panic
    let err = epoch(
        &mut F1Score::new("y", "y_pred"),
        vec![("", vec![("y", labels(&[0, 1, 2])), ("y_pred", t2(&[&[0.1], &[0.9], &[2.0]]))])],
    );
    assert!(err.is_err());
}

// per_ds ----------------------------------------------------------------------------------------

#[test]
fn metrics_write_per_dataset_results() {
    let batches = || {
        vec![
            ("ds1", vec![("y", labels(&[0, 1])), ("y_pred", t2(&[&[0.2], &[0.6]]))]),
            ("ds2", vec![("y", labels(&[0, 1])), ("y_pred", t2(&[&[0.8], &[0.1]]))]),
        ]
    };
    let d = epoch(&mut Precision::new("y", "y_pred"), batches()).unwrap();
    assert_eq!(scalar(&d, "precision|ds1"), 1.0);
    assert_eq!(scalar(&d, "precision|ds2"), 0.0);
    assert_eq!(scalar(&d, "precision"), 0.5);
    let d = epoch(&mut Accuracy::new("y", "y_pred"), batches()).unwrap();
    assert_eq!((scalar(&d, "accuracy|ds1"), scalar(&d, "accuracy|ds2"), scalar(&d, "accuracy")), (1.0, 0.0, 0.5));
    let d = epoch(&mut MCC::new("y", "y_pred").per_ds(false), batches()).unwrap();
    assert_eq!(d.read_logs().keys().collect::<Vec<_>>(), ["mcc"]);
    let d = epoch(&mut ConfusionMatrix::new("y", "y_pred", 2).unwrap().output_name("cm|x"), batches()).unwrap();
    assert_eq!(d.read_logs().keys().collect::<Vec<_>>(), ["cm|x"]);
}

// Dice ------------------------------------------------------------------------------------------

/// Two instances, two channels, 2x2 masks:
/// - instance 0: channel 0 dice 2·1/(2+2) = 0.5; channel 1 dice 2·2/(2+3) = 0.8
/// - instance 1: channel 0 empty in both masks (no score); channel 1 dice 2·1/(1+1) = 1.0
fn dice_batch() -> Vec<(&'static str, Tensor)> {
    let y =
        Tensor::from_slice(&[1.0f32, 1., 0., 0., 0., 0., 1., 1., 0., 0., 0., 0., 1., 0., 0., 0.]).reshape([2, 2, 2, 2]);
    let p = Tensor::from_slice(&[0.9f32, 0.2, 0.7, 0.1, 0.1, 0.8, 0.9, 0.6, 0.1, 0.2, 0.3, 0.4, 1.0, 0.0, 0.0, 0.0])
        .reshape([2, 2, 2, 2]);
    vec![("mask", y), ("pred", p)]
}

#[test]
fn dice_by_hand() {
    let d = epoch(&mut Dice::new("mask", "pred"), vec![("", dice_batch())]).unwrap();
    // channel means 0.5 and 0.9
    assert!(close(scalar(&d, "Dice"), 0.7, 1e-6));
    assert!(d.log("Dice_0").is_none());

    let mut named = Dice::new("mask", "pred").channel_mapping([(0, "bg"), (1, "cell")]).include_std(true);
    let d = epoch(&mut named, vec![("ds1", dice_batch())]).unwrap();
    let Some(LogValue::ValWithError(lo, mid, hi)) = d.log("Dice_cell").cloned() else {
        panic!("{:?}", d.log("Dice_cell"))
    };
    assert!(close(lo, 0.8, 1e-6) && close(mid, 0.9, 1e-6) && close(hi, 1.0, 1e-6));
    let Some(LogValue::ValWithError(lo, mid, hi)) = d.log("Dice").cloned() else { panic!() };
    // mean of channel means 0.7, mean of channel stds (0 + 0.1) / 2
    assert!(close(lo, 0.65, 1e-6) && close(mid, 0.7, 1e-6) && close(hi, 0.75, 1e-6));
    assert!(close(scalar(&d, "Dice_bg|ds1"), 0.5, 1e-6));
    assert!(d.log("Dice|ds1").is_some());

    let d = epoch(&mut Dice::new("mask", "pred").exclude_channels([0]), vec![("", dice_batch())]).unwrap();
    assert!(close(scalar(&d, "Dice"), 0.9, 1e-6));
}

#[test]
fn dice_per_instance_log_and_range_check() {
    let mut dice = Dice::new("mask", "pred").channel_mapping([(1, "cell")]);
    let mut sys = System::standalone();
    dice.on_epoch_begin(&mut Data::default(), &mut sys).unwrap();
    let mut batch = TensorMap::new();
    for (k, t) in dice_batch() {
        batch.insert(k.into(), t);
    }
    let mut data = Data::new(batch);
    dice.on_batch_end(&mut data, &mut sys).unwrap();
    let logs = data.read_per_instance_logs();
    let cell = &logs["Dice_cell"];
    assert!(close(cell[0], 0.8, 1e-6) && close(cell[1], 1.0, 1e-6));
    assert!(logs["Dice_0"][1].is_nan());
    assert!(close(logs["Dice"][0], 0.65, 1e-6));

    let mut batch = TensorMap::new();
    batch.insert("mask".into(), Tensor::zeros([1, 1, 2, 2], (tch::Kind::Float, tch::Device::Cpu)));
    batch.insert("pred".into(), Tensor::ones([1, 1, 2, 2], (tch::Kind::Float, tch::Device::Cpu)) * 1.5);
    let err = dice.on_batch_end(&mut Data::new(batch), &mut sys).unwrap_err();
    assert!(err.to_string().contains("range from 0 to 1"), "{err}");
}

// CalibrationError ------------------------------------------------------------------------------

/// 120 three-class rows with rational probabilities; labels are the first argmax except every
/// fourth, which is `(7i) % 3` (the reference script builds the same data).
fn calibration_data(n: usize) -> (Vec<i64>, Vec<f64>) {
    let (mut y, mut p) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (a, b, c) = ((i * 7 % 11 + 1) as f64, (i * 5 % 13 + 1) as f64, (i * 3 % 7 + 1) as f64);
        let s = a + b + c;
        let row = [a / s, b / s, c / s];
        let mut best = 0;
        for j in 1..3 {
            if row[j] > row[best] {
                best = j;
            }
        }
        y.push(if i % 4 != 0 { best as i64 } else { (i * 7 % 3) as i64 });
        p.extend_from_slice(&row);
    }
    (y, p)
}

fn calibration(trace: &mut CalibrationError, y: &[i64], p: &[f64], width: i64) -> Data {
    let pred = Tensor::from_slice(p).reshape([y.len() as i64, width]);
    // two batches, to check accumulation
    let half = (y.len() / 2) as i64;
    let batches = vec![
        ("", vec![("y", labels(&y[..half as usize])), ("y_pred", pred.narrow(0, 0, half))]),
        ("", vec![("y", labels(&y[half as usize..])), ("y_pred", pred.narrow(0, half, y.len() as i64 - half))]),
    ];
    epoch(trace, batches).unwrap()
}

#[test]
fn calibration_error_matches_the_library() {
    // uncertainty-calibration 0.1.4: get_calibration_error(P, L, mode=...) = 0.2058621242786559
    // (marginal) and 0.316234204351335 (top-label); FE rounds to 4 decimals.
    let (y, p) = calibration_data(120);
    let d = calibration(&mut CalibrationError::new("y", "y_pred"), &y, &p, 3);
    assert_eq!(d.log("calibration_error"), Some(&LogValue::F64(0.2059)));
    let d = calibration(&mut CalibrationError::new("y", "y_pred").method("top-label".parse().unwrap()), &y, &p, 3);
    assert_eq!(d.log("calibration_error"), Some(&LogValue::F64(0.3162)));
    // binary, continuous: p_i = ((13i) % 37 + 1) / 39, y_i = (5i) % 7 < 3 -> 0.3951322123847671
    let pb: Vec<f64> = (0..40).map(|i| ((i * 13) % 37 + 1) as f64 / 39.0).collect();
    let yb: Vec<i64> = (0..40).map(|i| i64::from((i * 5 % 7) < 3)).collect();
    let d = calibration(&mut CalibrationError::new("y", "y_pred"), &yb, &pb, 1);
    assert_eq!(d.log("calibration_error"), Some(&LogValue::F64(0.3951)));
    // binary, discrete (two values): 0.2955814964652416
    let pd: Vec<f64> = (0..40).map(|i| if i % 2 == 0 { 0.2 } else { 0.8 }).collect();
    let yd: Vec<i64> = (0..40).map(|i| i64::from((i * 3 % 5) < 2)).collect();
    let d = calibration(&mut CalibrationError::new("y", "y_pred"), &yd, &pd, 1);
    assert_eq!(d.log("calibration_error"), Some(&LogValue::F64(0.2956)));
}

#[test]
fn calibration_error_confidence_interval() {
    let (y, p) = calibration_data(120);
    let run = || {
        let mut ce = CalibrationError::new("y", "y_pred").confidence_interval(95.0).seed(7);
        calibration(&mut ce, &y, &p, 3).log("calibration_error").cloned()
    };
    let Some(LogValue::ValWithError(low, mid, high)) = run() else { panic!("{:?}", run()) };
    assert_eq!(mid, 0.2059);
    assert!(low <= high, "{low} {high}");
    // uncertainty-calibration 0.1.4 with alpha = 1 - 95/100 over numpy seeds 0..20 gives
    // low in [0.1672, 0.1893] and high in [0.2343, 0.2543] for these data.
    assert!((0.15..=0.21).contains(&low) && (0.22..=0.27).contains(&high), "{low} {high}");
    for v in [low, high] {
        assert_eq!((v * 1e4).round() / 1e4, v);
    }
    assert_eq!(run(), Some(LogValue::ValWithError(low, mid, high)), "seeded, so reproducible");
    assert!(CalibrationError::new("y", "y_pred").confidence_interval(0.0).validate().is_err());
    assert!("ece".parse::<CalibrationMethod>().is_err());
}

// AUCScore (values from scikit-learn 1.9.1 roc_auc_score on the same inputs) ---------------------

fn auc(trace: AUCScore, y: Tensor, s: Tensor) -> fe::Result<Data> {
    let mut trace = trace;
    epoch(&mut trace, vec![("", vec![("y", y), ("y_pred", s)])])
}

#[test]
fn auc_binary() {
    let s = Tensor::from_slice(&[0.1, 0.4, 0.35, 0.8]);
    assert_eq!(scalar(&auc(AUCScore::new("y", "y_pred"), labels(&[0, 0, 1, 1]), s).unwrap(), "auc"), 0.75);
    let y = labels(&[0, 0, 1, 1, 0, 1, 0, 1]);
    let s = t2(&[&[0.1], &[0.4], &[0.35], &[0.8], &[0.5], &[0.5], &[0.2], &[0.9]]);
    assert_eq!(
        scalar(&auc(AUCScore::new("y", "y_pred"), y.shallow_clone(), s.shallow_clone()).unwrap(), "auc"),
        0.84375
    );
    let partial =
        scalar(&auc(AUCScore::new("y", "y_pred").max_fpr(0.5), y.shallow_clone(), s.shallow_clone()).unwrap(), "auc");
    assert!(close(partial, 0.7916666666666667, 1e-12), "{partial}");
    let partial = scalar(&auc(AUCScore::new("y", "y_pred").max_fpr(0.3), y, s).unwrap(), "auc");
    assert!(close(partial, 0.7916666666666666, 1e-12), "{partial}");
    // one class only: undefined, NaN as in scikit-learn
    let d = auc(AUCScore::new("y", "y_pred"), labels(&[1, 1, 1]), Tensor::from_slice(&[0.1, 0.2, 0.3])).unwrap();
    assert!(scalar(&d, "auc").is_nan());
}

fn multiclass_inputs() -> (Tensor, Tensor) {
    let y = labels(&[0, 1, 2, 2, 1, 0, 2, 1]);
    let p = t2(&[
        &[0.7, 0.2, 0.1],
        &[0.2, 0.5, 0.3],
        &[0.1, 0.3, 0.6],
        &[0.3, 0.4, 0.3],
        &[0.5, 0.3, 0.2],
        &[0.4, 0.4, 0.2],
        &[0.2, 0.2, 0.6],
        &[0.1, 0.8, 0.1],
    ]);
    (y, p)
}

#[test]
fn auc_multi_class() {
    let cases = [
        ("ovr", Some("macro"), 0.9055555555555556),
        ("ovr", Some("weighted"), 0.9041666666666668),
        ("ovr", Some("micro"), 0.91015625),
        ("ovo", Some("macro"), 0.9074074074074074),
        ("ovo", Some("weighted"), 0.90625),
    ];
    for (mc, avg, expected) in cases {
        let (y, p) = multiclass_inputs();
        let trace =
            AUCScore::new("y", "y_pred").multi_class(mc.parse().unwrap()).average(avg.map(|a| a.parse().unwrap()));
        let got = scalar(&auc(trace, y, p).unwrap(), "auc");
        assert!(close(got, expected, 1e-12), "{mc} {avg:?}: {got} vs {expected}");
    }
    let (y, p) = multiclass_inputs();
    let per_class =
        array(&auc(AUCScore::new("y", "y_pred").multi_class(MultiClass::Ovr).average(None), y, p).unwrap(), "auc");
    for (g, e) in per_class.iter().zip([0.9166666666666667, 0.8333333333333333, 0.9666666666666667]) {
        assert!(close(*g, e, 1e-12), "{per_class:?}");
    }
    // multi_class='raise' (the default) is an error for a multi-class target, as in scikit-learn
    let (y, p) = multiclass_inputs();
    let err = auc(AUCScore::new("y", "y_pred"), y, p).unwrap_err();
    assert!(err.to_string().contains("multi_class must be in"), "{err}");
    assert!("ova".parse::<MultiClass>().is_err());
    assert!("median".parse::<Average>().is_err());
}

#[test]
fn auc_multi_label() {
    let y = || t2(&[&[1., 0., 1.], &[0., 1., 0.], &[1., 1., 0.], &[0., 0., 1.], &[1., 0., 0.], &[0., 1., 1.]]);
    let s = || {
        t2(&[
            &[0.9, 0.2, 0.6],
            &[0.3, 0.7, 0.2],
            &[0.6, 0.4, 0.3],
            &[0.2, 0.1, 0.8],
            &[0.4, 0.5, 0.35],
            &[0.1, 0.6, 0.7],
        ])
    };
    let cases = [
        (Some("macro"), 0.9629629629629629),
        (Some("weighted"), 0.9629629629629631),
        (Some("micro"), 0.9753086419753086),
        (Some("samples"), 0.9166666666666666),
    ];
    for (avg, expected) in cases {
        let got = scalar(
            &auc(AUCScore::new("y", "y_pred").average(avg.map(|a: &str| a.parse().unwrap())), y(), s()).unwrap(),
            "auc",
        );
        assert!(close(got, expected, 1e-12), "{avg:?}: {got} vs {expected}");
    }
    let per_label = array(&auc(AUCScore::new("y", "y_pred").average(None), y(), s()).unwrap(), "auc");
    for (g, e) in per_label.iter().zip([1.0, 0.888888888888889, 1.0]) {
        assert!(close(*g, e, 1e-12), "{per_label:?}");
    }
}

// BleuScore (FE's computation with nltk 3.10's modified_precision, brevity_penalty, method4) ----

fn bleu(trace: BleuScore, refs: &[&[i64]], hyps: &[&[i64]]) -> Data {
    let to = |rows: &[&[i64]]| {
        let w = rows[0].len() as i64;
        Tensor::from_slice(&rows.iter().flat_map(|r| r.iter().copied()).collect::<Vec<_>>())
            .reshape([rows.len() as i64, w])
    };
    let mut trace = trace;
    epoch(&mut trace, vec![("", vec![("y", to(refs)), ("y_pred", to(hyps))])]).unwrap()
}

#[test]
fn bleu_perfect_match_is_one() {
    let d = bleu(BleuScore::new("y", "y_pred"), &[&[5, 6, 7, 8, 9, 0, 0]], &[&[5, 6, 7, 8, 9, 0, 0]]);
    assert_eq!(scalar(&d, "bleu_score"), 1.0);
}

#[test]
fn bleu_smoothed_by_hand() {
    // ref 1 2 3 4 5 6, hyp 1 2 3 7 5 6: precisions 5/6, 3/5, 1/4 and no 4-gram match out of 3,
    // smoothed to ln(6)/(5·2)/3 (method 4, first smoothed order); lengths equal, so no penalty.
    let p = [5.0 / 6.0, 3.0 / 5.0, 1.0 / 4.0, 6f64.ln() / 10.0 / 3.0];
    let by_hand = (p.iter().map(|x| x.ln()).sum::<f64>() / 4.0).exp();
    let expected = (by_hand * 1e5).round() / 1e5;
    let d = bleu(BleuScore::new("y", "y_pred"), &[&[1, 2, 3, 4, 5, 6, 0]], &[&[1, 2, 3, 7, 5, 6, 0]]);
    assert_eq!(scalar(&d, "bleu_score"), expected);
    assert_eq!(expected, 0.29395); // FE + nltk give 0.29395
}

#[test]
fn bleu_corpus_matches_fe() {
    // FE + nltk 3.10 on the same inputs: 0.25624 (BLEU-4) and 0.57893 (BLEU-2); the sentence
    // scores (per-instance log) 0.261698736230754 and 0.293945703509473.
    let refs: &[&[i64]] = &[&[1, 2, 3, 4, 5, 6], &[3, 4, 5, 6, 7, 8]];
    let hyps: &[&[i64]] = &[&[1, 2, 3, 9, 0, 0], &[3, 4, 9, 6, 7, 8]];
    assert_eq!(scalar(&bleu(BleuScore::new("y", "y_pred"), refs, hyps), "bleu_score"), 0.25624);
    assert_eq!(scalar(&bleu(BleuScore::new("y", "y_pred").n_gram(2), refs, hyps), "bleu_score"), 0.57893);

    let mut trace = BleuScore::new("y", "y_pred");
    let mut sys = System::standalone();
    trace.on_epoch_begin(&mut Data::default(), &mut sys).unwrap();
    let mut batch = TensorMap::new();
    batch.insert("y".into(), Tensor::from_slice(&[1i64, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8]).reshape([2, 6]));
    batch.insert("y_pred".into(), Tensor::from_slice(&[1i64, 2, 3, 9, 0, 0, 3, 4, 9, 6, 7, 8]).reshape([2, 6]));
    let mut data = Data::new(batch);
    trace.on_batch_end(&mut data, &mut sys).unwrap();
    let sentences = &data.read_per_instance_logs()["bleu_score"];
    assert!(close(sentences[0], 0.261698736230754, 1e-12), "{sentences:?}");
    assert!(close(sentences[1], 0.293945703509473, 1e-12), "{sentences:?}");
}

#[test]
fn bleu_argmaxes_token_scores() {
    // [batch, length, vocab] one-hot predictions of the reference tokens
    let one_hot = Tensor::from_slice(&[5i64, 6, 7, 8]).one_hot(10).to_kind(tch::Kind::Float).reshape([1, 4, 10]);
    let mut trace = BleuScore::new("y", "y_pred");
    let d = epoch(
        &mut trace,
        vec![("", vec![("y", Tensor::from_slice(&[5i64, 6, 7, 8]).reshape([1, 4])), ("y_pred", one_hot)])],
    )
    .unwrap();
    assert_eq!(scalar(&d, "bleu_score"), 1.0);
}

// MeanAveragePrecision --------------------------------------------------------------------------

/// Ground truth `[batch, boxes, 5]` and predictions `[batch, boxes, 7]`, padded with zero rows.
fn boxes(rows: &[Vec<Vec<f64>>], width: usize) -> Tensor {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let mut flat = Vec::new();
    for img in rows {
        for i in 0..n {
            match img.get(i) {
                Some(r) => flat.extend_from_slice(r),
                None => flat.extend(std::iter::repeat_n(0.0, width)),
            }
        }
    }
    Tensor::from_slice(&flat).reshape([rows.len() as i64, n as i64, width as i64])
}

/// Precision is `tp / (tp + fp + eps)` as in COCO, so a perfect AP is 1 − 2⁻⁵², as pycocotools gives.
fn near(got: (f64, f64, f64), want: (f64, f64, f64)) -> bool {
    close(got.0, want.0, 1e-12) && close(got.1, want.1, 1e-12) && close(got.2, want.2, 1e-12)
}

fn map_of(num_classes: usize, gt: &[Vec<Vec<f64>>], pred: &[Vec<Vec<f64>>]) -> (f64, f64, f64) {
    let mut trace = MeanAveragePrecision::new(num_classes).unwrap();
    let d = epoch(&mut trace, vec![("", vec![("bbox", boxes(gt, 5)), ("pred", boxes(pred, 7))])]).unwrap();
    (scalar(&d, "mAP"), scalar(&d, "AP50"), scalar(&d, "AP75"))
}

#[test]
fn map_perfect_detection_is_one() {
    let gt = vec![vec![vec![10., 10., 20., 20., 1.]], vec![vec![5., 5., 8., 8., 2.]]];
    let pred = vec![vec![vec![10., 10., 20., 20., 1., 0.9, 1.]], vec![vec![5., 5., 8., 8., 2., 0.8, 1.]]];
    let got = map_of(2, &gt, &pred);
    assert!(near(got, (1.0, 1.0, 1.0)), "{got:?}");
}

#[test]
fn map_with_a_false_positive_by_hand() {
    // The false positive outscores the true one: precision 0 then 1/2 at recall 1, so the
    // interpolated precision is 1/2 at all 101 recall points and every IoU threshold.
    let gt = vec![vec![vec![10., 10., 20., 20., 1.]]];
    let pred = vec![vec![vec![60., 60., 5., 5., 1., 0.95, 1.], vec![10., 10., 20., 20., 1., 0.9, 1.]]];
    let got = map_of(1, &gt, &pred);
    assert!(near(got, (0.5, 0.5, 0.5)), "{got:?}");
    // ranked below the true positive, the false positive does not lower AP
    let pred = vec![vec![vec![60., 60., 5., 5., 1., 0.5, 1.], vec![10., 10., 20., 20., 1., 0.9, 1.]]];
    assert!(near(map_of(1, &gt, &pred), (1.0, 1.0, 1.0)));
    // select = 0 rows are ignored
    let pred = vec![vec![vec![60., 60., 5., 5., 1., 0.95, 0.], vec![10., 10., 20., 20., 1., 0.9, 1.]]];
    assert!(near(map_of(1, &gt, &pred), (1.0, 1.0, 1.0)));
}

#[test]
fn map_partial_overlap_by_hand() {
    // IoU 68/100 = 0.68: a match at thresholds 0.50..0.65 (4 of 10), none at 0.75.
    let gt = vec![vec![vec![0., 0., 10., 10., 1.]]];
    let pred = vec![vec![vec![0., 0., 10., 6.8, 1., 0.9, 1.]]];
    let got = map_of(1, &gt, &pred);
    assert!(near(got, (0.4, 1.0, 0.0)), "{got:?}");
}

#[test]
fn map_matches_pycocotools() {
    // pycocotools 2.0 COCOeval(bbox) on the same boxes: stats[0..3] =
    // 0.5751650165016501, 0.875, 0.625 (class 3 has no ground truth and is left out).
    let gt = vec![
        vec![vec![10., 10., 20., 20., 1.], vec![40., 40., 15., 10., 2.]],
        vec![vec![5., 5., 30., 30., 1.], vec![0., 0., 8., 8., 1.], vec![50., 20., 10., 25., 2.]],
        vec![vec![20., 30., 12., 12., 2.]],
    ];
    let pred = vec![
        vec![
            vec![11., 9., 20., 21., 1., 0.9, 1.],
            vec![40., 42., 15., 10., 2., 0.8, 1.],
            vec![60., 60., 5., 5., 1., 0.95, 1.],
        ],
        vec![
            vec![6., 5., 28., 30., 1., 0.7, 1.],
            vec![0., 1., 8., 7., 1., 0.6, 1.],
            vec![48., 20., 12., 25., 2., 0.85, 1.],
            vec![5., 5., 30., 30., 2., 0.3, 1.],
        ],
        vec![vec![22., 30., 12., 12., 2., 0.5, 1.], vec![20., 31., 11., 12., 2., 0.4, 1.]],
    ];
    let (m, ap50, ap75) = map_of(3, &gt, &pred);
    assert!(close(m, 0.5751650165016501, 1e-12), "{m}");
    assert!(close(ap50, 0.875, 1e-12) && close(ap75, 0.625, 1e-12), "{ap50} {ap75}");
    // the same images split over two batches give the same result
    let mut trace = MeanAveragePrecision::new(3).unwrap();
    let d = epoch(
        &mut trace,
        vec![
            ("", vec![("bbox", boxes(&gt[..2], 5)), ("pred", boxes(&pred[..2], 7))]),
            ("", vec![("bbox", boxes(&gt[2..], 5)), ("pred", boxes(&pred[2..], 7))]),
        ],
    )
    .unwrap();
    assert!(close(scalar(&d, "mAP"), m, 1e-15));
}

#[test]
fn map_without_ground_truth_is_minus_one() {
    let gt = vec![vec![vec![0.0; 5]]];
    let pred = vec![vec![vec![1., 1., 2., 2., 1., 0.9, 1.]]];
    assert_eq!(map_of(2, &gt, &pred), (-1.0, -1.0, -1.0));
    assert!(MeanAveragePrecision::new(0).is_err());
}

// Options: FE's strings parse to enums; invalid values are InvalidParameter when bound ----------

/// The parameter named by an [`fe::FeError::InvalidParameter`], or a panic.
fn invalid_param(result: fe::Result<()>) -> String {
    match result {
        Err(fe::FeError::InvalidParameter { param, .. }) => param,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}

#[test]
fn options_parse_from_fe_strings() {
    for (s, v) in [("micro", Average::Micro), ("macro", Average::Macro), ("weighted", Average::Weighted)] {
        assert_eq!(s.parse::<Average>().unwrap(), v);
        assert_eq!(v.to_string(), s);
    }
    assert_eq!("samples".parse::<Average>().unwrap(), Average::Samples);
    for (s, v) in [("raise", MultiClass::Raise), ("ovr", MultiClass::Ovr), ("ovo", MultiClass::Ovo)] {
        assert_eq!(s.parse::<MultiClass>().unwrap(), v);
        assert_eq!(v.to_string(), s);
    }
    for (s, v) in [("marginal", CalibrationMethod::Marginal), ("top-label", CalibrationMethod::TopLabel)] {
        assert_eq!(s.parse::<CalibrationMethod>().unwrap(), v);
        assert_eq!(v.to_string(), s);
    }
    for (s, v) in
        [("true", Normalize::True), ("pred", Normalize::Pred), ("all", Normalize::All), ("None", Normalize::None)]
    {
        assert_eq!(s.parse::<Normalize>().unwrap(), v);
        assert_eq!(v.to_string(), s);
    }
    assert_eq!(invalid_param("ova".parse::<MultiClass>().map(drop)), "multi_class");
    assert_eq!(invalid_param("median".parse::<Average>().map(drop)), "average");
    assert_eq!(invalid_param("ece".parse::<CalibrationMethod>().map(drop)), "method");
    assert_eq!(invalid_param("rows".parse::<Normalize>().map(drop)), "normalize");
}

#[test]
fn invalid_options_are_reported_when_bound() {
    let network = fe::Network::new(vec![]).unwrap();
    let bound = |trace: &mut dyn Trace| trace.bind(&network);
    assert_eq!(invalid_param(bound(&mut AUCScore::new("y", "y_pred").max_fpr(0.0))), "max_fpr");
    assert_eq!(invalid_param(bound(&mut AUCScore::new("y", "y_pred").labels(vec![2, 1]))), "labels");
    assert_eq!(invalid_param(bound(&mut BleuScore::new("y", "y_pred").n_gram(0))), "n_gram");
    assert_eq!(
        invalid_param(bound(&mut CalibrationError::new("y", "y_pred").confidence_interval(100.0))),
        "confidence_interval"
    );
    let cm = || ConfusionMatrix::new("y", "y_pred", 2).unwrap();
    assert_eq!(invalid_param(bound(&mut cm().kwarg("normalize", "rows"))), "normalize");
    assert_eq!(invalid_param(bound(&mut cm().kwarg("normalize", 1))), "normalize");
    assert_eq!(invalid_param(bound(&mut cm().kwarg("labels", vec![0i64, 1]))), "labels");
    assert_eq!(invalid_param(bound(&mut MCC::new("y", "y_pred").kwarg("sample_weight", vec![1.0]))), "sample_weight");
    assert_eq!(invalid_param(bound(&mut Precision::new("y", "y_pred").kwarg("zero_division", 0.3))), "zero_division");
    let mut map = MeanAveragePrecision::new(2).unwrap().output_name("only_map");
    assert_eq!(invalid_param(bound(&mut map)), "output_names");
    // the first invalid option is the one reported; valid ones bind
    let mut p = Precision::new("y", "y_pred").kwarg("average", "macro").kwarg("bogus", 1);
    assert_eq!(invalid_param(bound(&mut p)), "average");
    assert!(bound(&mut AUCScore::new("y", "y_pred").max_fpr(1.0).labels(vec![0, 1, 2])).is_ok());
    // a trace driven without an estimator reports it at the epoch's start
    let err = epoch(&mut BleuScore::new("y", "y_pred").n_gram(0), vec![]).unwrap_err();
    assert!(matches!(&err, fe::FeError::InvalidParameter { param, .. } if param == "n_gram"), "{err}");
}

#[test]
fn batch_errors_are_typed() {
    // a key missing from the batch names the trace, the key and the closest key
    let err = epoch(
        &mut Accuracy::new("y", "y_pred"),
        vec![("", vec![("y", labels(&[0, 1])), ("y_prd", t2(&[&[0.2], &[0.6]]))])],
    )
    .unwrap_err();
    match &err {
        fe::FeError::MissingKey { consumer, key, closest, .. } => {
            assert_eq!((consumer.as_str(), key.as_str(), closest.as_deref()), ("Accuracy", "y_pred", Some("y_prd")));
        }
        other => panic!("{other}"),
    }
    // labels and predictions that do not pair up
    let err = epoch(
        &mut Accuracy::new("y", "y_pred"),
        vec![("", vec![("y", labels(&[0, 1, 1])), ("y_pred", t2(&[&[0.2], &[0.6]]))])],
    )
    .unwrap_err();
    assert!(matches!(err, fe::FeError::ShapeMismatch { .. }), "{err}");
    let err = one_err(&mut Precision::new("y", "y_pred"), labels(&[0, 1, 1]), t2(&[&[0.2], &[0.6]]));
    assert!(matches!(&err, fe::FeError::LengthMismatch { expected: 3, got: 2, .. }), "{err}");
    assert!(err.to_string().contains("\"y_pred\""), "{err}");
    let err = one_err(&mut BleuScore::new("y", "y_pred"), t2(&[&[1.0, 2.0]]), t2(&[&[1.0, 2.0], &[3.0, 4.0]]));
    assert!(matches!(err, fe::FeError::LengthMismatch { expected: 1, got: 2, .. }), "{err}");
    let err = one_err(&mut CalibrationError::new("y", "y_pred"), labels(&[0, 1]), t2(&[&[0.2, 0.8], &[1.5, -0.5]]));
    assert!(matches!(&err, fe::FeError::InvalidValue { key, .. } if key == "y_pred"), "{err}");
    let err = one_err(
        &mut AUCScore::new("y", "y_pred"),
        labels(&[0, 1]),
        Tensor::zeros([2, 1, 1], (tch::Kind::Float, tch::Device::Cpu)),
    );
    assert!(matches!(&err, fe::FeError::UnexpectedShape { key, .. } if key == "y_pred"), "{err}");
    let err = one_err(
        &mut AUCScore::new("y", "y_pred"),
        labels(&[0, 1, 2]),
        t2(&[&[0.5, 0.5, 0.0], &[0.1, 0.8, 0.1], &[0.2, 0.2, 0.6]]),
    );
    assert!(matches!(&err, fe::FeError::InvalidParameter { param, .. } if param == "multi_class"), "{err}");
    let mut map = MeanAveragePrecision::new(2).unwrap();
    let err = epoch(&mut map, vec![("", vec![("bbox", t2(&[&[0.0; 5]])), ("pred", boxes(&[vec![]], 7))])]).unwrap_err();
    assert!(matches!(&err, fe::FeError::UnexpectedShape { key, .. } if key == "bbox"), "{err}");
}

/// One batch of y / y_pred on the default dataset that must fail.
fn one_err(trace: &mut dyn Trace, y: Tensor, pred: Tensor) -> fe::FeError {
    epoch(trace, vec![("", vec![("y", y), ("y_pred", pred)])]).unwrap_err()
}
