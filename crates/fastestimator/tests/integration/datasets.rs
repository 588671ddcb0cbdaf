//! Datasets and loaders end to end: the tabular example on a generated breast-cancer CSV, lazy
//! file datasets in pipeline workers, batch-valued datasets in a Pipeline, and every loader's
//! offline error.

use std::path::Path;
use std::sync::Arc;

use fastestimator as fe;
use fe::dataset::data::{
    breast_cancer, cifair10, cifair100, cifar10, cifar100, fashion_mnist, horse2zebra, imdb_review, montgomery,
    omniglot, penn_treebank, shakespeare, skl_digits, svhn_cropped, usps,
};
use fe::dataset::{
    image_reader, write_png, BatchDataset, CSVDataset, Dataset, ImageColor, InterleaveDataset, NumpyDataset,
    SiameseDirDataset,
};
use fe::{FeError, Mode, Value};
use ndarray::{Array2, ArrayD, IxDyn};
use rand::{Rng, SeedableRng};

#[allow(dead_code)]
#[path = "../../examples/tabular.rs"]
mod tabular;

/// A CSV in scikit-learn's breast-cancer layout: 30 features, label 0/1, classes separated by
/// a shift of every feature (the real data is similarly easy for a small MLP).
fn write_breast_cancer_like(path: &Path, n: usize, seed: u64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let labels: Vec<i64> = (0..n).map(|i| (i % 3 != 0) as i64).collect();
    let features = Array2::from_shape_fn((n, 30), |(i, j)| {
        let base = 10.0 + j as f64 * 3.0;
        let shift = if labels[i] == 0 { 2.0 } else { 0.0 };
        base * (1.0 + shift * 0.25) + rng.gen_range(-1.0..1.0) * base * 0.1
    });
    breast_cancer::write_csv(path, &features, &labels).unwrap();
}

#[test]
fn tabular_example_runs_on_a_generated_csv() {
    let root = tempfile::tempdir().unwrap();
    let loader = breast_cancer::BreastCancer::new().root_dir(root.path()).download(false);
    std::fs::create_dir_all(loader.dir()).unwrap();
    write_breast_cancer_like(&loader.csv_path(), 500, 1);
    fe::enable_deterministic(7);
    let data = tabular::prepare_data(&loader, 7).unwrap();
    assert_eq!((data.0.len(), data.1.len(), data.2.len()), (400, 50, 50));
    // Standardised with the training statistics.
    let Some(Value::F32(x)) = data.0.column("x") else { panic!() };
    let mean0: f32 = x.index_axis(ndarray::Axis(1), 0).mean().unwrap();
    assert!(mean0.abs() < 1e-4, "train feature mean {mean0}");
    let save = tempfile::tempdir().unwrap();
    let mut estimator = tabular::get_estimator(data, 20, 32, 0, save.path()).unwrap();
    estimator.fit().unwrap();
    let summary = estimator.test().unwrap();
    let acc = summary.last(Mode::Test, "accuracy").unwrap();
    assert!(acc >= 0.9, "test accuracy {acc}");
    let saved = std::fs::read_dir(save.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned());
    assert!(saved.into_iter().any(|n| n.ends_with("_best_accuracy.safetensors")));
}

#[test]
fn tabular_example_reports_a_missing_csv() {
    let root = tempfile::tempdir().unwrap();
    let loader = breast_cancer::BreastCancer::new().root_dir(root.path()).download(false);
    let err = tabular::prepare_data(&loader, 0).unwrap_err();
    assert!(matches!(err, FeError::MissingData { .. }), "{err}");
    assert!(err.to_string().contains(&loader.csv_path().display().to_string()), "{err}");
}

/// A folder of 12 small PNGs in two classes and a CSV pointing at them with relative paths.
fn image_csv(dir: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("img")).unwrap();
    let mut text = String::from("file,label\n");
    for i in 0..12u8 {
        let pixels = ArrayD::from_shape_fn(IxDyn(&[4, 5]), |ix| i * 10 + (ix[0] + ix[1]) as u8);
        write_png(&dir.join(format!("img/{i}.png")), &pixels).unwrap();
        text.push_str(&format!("img/{i}.png,{}\n", i % 2));
    }
    let csv = dir.join("index.csv");
    std::fs::write(&csv, text).unwrap();
    csv
}

fn epoch(pipeline: &fe::Pipeline) -> Vec<fe::Sample> {
    pipeline.loader(Mode::Train, 1, "", None).unwrap().collect::<fe::Result<Vec<_>>>().unwrap()
}

#[test]
fn csv_images_are_read_lazily_by_workers_and_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let csv = image_csv(dir.path());
    let run = |workers: usize| {
        let ds = CSVDataset::builder(&csv).read_with("file", image_reader(ImageColor::Gray)).build().unwrap();
        let p = fe::Pipeline::builder().train_data(ds).batch_size(4).num_process(workers).seed(3).build().unwrap();
        epoch(&p)
    };
    let one = run(1);
    assert_eq!(one.len(), 3);
    assert_eq!(one[0]["file"].shape(), &[4, 4, 5, 1]);
    assert_eq!(one, run(3));
    // A file removed after the dataset was built is only noticed when its sample is read.
    let ds = CSVDataset::builder(&csv).read_with("file", image_reader(ImageColor::Gray)).build().unwrap();
    std::fs::remove_file(dir.path().join("img/5.png")).unwrap();
    let msg = ds.get(5).unwrap_err().to_string();
    assert!(msg.contains("5.png"), "{msg}");
}

#[test]
fn siamese_pairs_do_not_depend_on_worker_count() {
    let dir = tempfile::tempdir().unwrap();
    for c in 0..3 {
        for i in 0..4 {
            let p = dir.path().join(format!("alpha/c{c}/{i}.png"));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        }
    }
    let run = |workers: usize| {
        let ds = SiameseDirDataset::builder(dir.path()).seed(11).build().unwrap();
        let p = fe::Pipeline::builder().train_data(ds).batch_size(3).num_process(workers).seed(5).build().unwrap();
        (epoch(&p), epoch(&p))
    };
    let (a1, a2) = run(1);
    assert_eq!((a1.clone(), a2.clone()), run(3));
    assert_ne!(a1, a2, "pairs are redrawn every epoch");
}

#[test]
fn batch_datasets_feed_a_pipeline_without_batch_size() {
    let a = NumpyDataset::new([("x", Value::from(vec![0i64; 8]))]).unwrap();
    let b = NumpyDataset::new([("x", Value::from(vec![1i64; 24]))]).unwrap();
    let ds = BatchDataset::new(vec![Arc::new(a.clone()), Arc::new(b.clone())], [2, 6]).unwrap().seed(0);
    let p = fe::Pipeline::builder().train_data(ds).build().unwrap();
    let batches = epoch(&p);
    assert_eq!(batches.len(), 4);
    for batch in &batches {
        let Value::I64(x) = &batch["x"] else { panic!() };
        assert_eq!(x.iter().sum::<i64>(), 6, "6 of 8 samples come from the second dataset");
    }
    // FE case 27 through a Pipeline: items alternate 0, 1, 1.
    let ds = InterleaveDataset::with_pattern(vec![Arc::new(a), Arc::new(b)], [0, 1, 1])
        .unwrap()
        .batch_sizes([2, 3])
        .unwrap();
    let p = fe::Pipeline::builder().train_data(ds).build().unwrap();
    let got = p.get_results(Mode::Train, 1, 3).unwrap();
    let shapes: Vec<Vec<usize>> = got.iter().map(|b| b["x"].shape().to_vec()).collect();
    assert_eq!(shapes, vec![vec![2], vec![3], vec![3]]);
}

#[test]
fn every_loader_offline_lists_its_files() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let errors: Vec<(&str, FeError)> = vec![
        ("fashion_mnist", fashion_mnist::FashionMnist::new().root_dir(r).download(false).load().unwrap_err()),
        ("cifar10", cifar10::Cifar10::new().root_dir(r).download(false).load().unwrap_err()),
        ("cifar100", cifar100::Cifar100::new().root_dir(r).download(false).load().unwrap_err()),
        ("cifair10", cifair10::Cifair10::new().root_dir(r).download(false).load().unwrap_err()),
        ("cifair100", cifair100::Cifair100::new().root_dir(r).download(false).load().unwrap_err()),
        ("breast_cancer", breast_cancer::BreastCancer::new().root_dir(r).download(false).load().unwrap_err()),
        ("skl_digits", skl_digits::SklDigits::new().root_dir(r).download(false).load().unwrap_err()),
        ("usps", usps::Usps::new().root_dir(r).download(false).load().unwrap_err()),
        ("svhn_cropped", svhn_cropped::SvhnCropped::new().root_dir(r).download(false).load().unwrap_err()),
        ("imdb_review", imdb_review::ImdbReview::new(100, 1000).root_dir(r).download(false).load().unwrap_err()),
        ("penn_treebank", penn_treebank::PennTreebank::new().root_dir(r).download(false).load().unwrap_err()),
        ("shakespeare", shakespeare::Shakespeare::new().root_dir(r).download(false).load().unwrap_err()),
        ("omniglot", omniglot::Omniglot::new().root_dir(r).download(false).load().unwrap_err()),
        ("montgomery", montgomery::Montgomery::new().root_dir(r).download(false).load().unwrap_err()),
        ("horse2zebra", horse2zebra::Horse2Zebra::new(1).root_dir(r).download(false).load().unwrap_err()),
    ];
    for (name, err) in errors {
        let FeError::MissingData { dataset, dir, files, .. } = &err else { panic!("{name}: {err}") };
        assert_eq!(dataset, name);
        assert!(dir.starts_with(r), "{name}: {}", dir.display());
        assert!(!files.is_empty());
        let msg = err.to_string();
        for f in files {
            assert!(msg.contains(&f.name) && msg.contains(&f.source), "{name}: {msg}");
            assert!(f.source.starts_with("http"), "{name}: {}", f.source);
        }
        assert!(msg.contains(&dir.display().to_string()), "{name}: {msg}");
    }
}
