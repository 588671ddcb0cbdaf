//! FE's IMDB sentiment job (apphub `NLP/imdb`), line for line: `ReviewSentiment` (embedding →
//! conv1d → max-pool → LSTM → dense), Adam, batch 64, 10 epochs, binary cross-entropy,
//! Accuracy and BestModelSaver, with FE's job command line (`fe::cli`).
//!
//! Data: the Stanford IMDB reviews when `aclImdb_v1.tar.gz` (or its extracted `aclImdb/`) is in
//! `~/fastestimator_data/IMDB` (or with `--data real`, which downloads it where the internet is
//! reachable); otherwise an embedded generated corpus of two-class reviews, written as
//! `aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt` files and read by the same loader and
//! tokenizer as the real reviews.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example imdb
//! ./fe cargo run --release -p fastestimator --example imdb -- --data real
//! ./fe cargo run --release -p fastestimator --example imdb -- --help
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fastestimator as fe;
use fe::architecture::ReviewSentiment;
use fe::dataset::data::imdb_review::{self, ImdbReview};
use fe::dataset::NumpyDataset;
use fe::op::numpy::univariate::Reshape;
use fe::op::tensor::{CrossEntropy, ModelOp, UpdateOp};
use fe::trace::io::BestModelSaver;
use fe::trace::metric::Accuracy;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Hyperparameters {
    /// Vocabulary size: words ranked below it keep their index, the rest become "unknown".
    max_words: usize,
    /// Tokens per review (cut or padded; a multiple of 4).
    max_len: usize,
    /// Training epochs.
    epochs: usize,
    /// Batch size.
    batch_size: usize,
    /// Cut every training epoch to this many steps.
    train_steps_per_epoch: Option<usize>,
    /// Cut every eval epoch to this many steps.
    eval_steps_per_epoch: Option<usize>,
    /// `auto` (the real reviews when present), `real` or `synthetic`.
    data: String,
    /// The data root holding `IMDB/` (default `~/fastestimator_data`).
    root_dir: Option<PathBuf>,
    /// Reviews of the generated corpus: [train, eval].
    sizes: [usize; 2],
    /// Where BestModelSaver writes (default: a new temporary folder).
    save_dir: Option<PathBuf>,
    /// Seed for the generated corpus, shuffling and initialisation.
    seed: u64,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters {
            max_words: 10000,
            max_len: 500,
            epochs: 10,
            batch_size: 64,
            train_steps_per_epoch: None,
            eval_steps_per_epoch: None,
            data: "auto".into(),
            root_dir: None,
            sizes: [4000, 1000],
            save_dir: None,
            seed: 42,
        }
    }
}

fn main() {
    fe::cli::main(get_estimator);
}

/// FE's `get_estimator`: the whole job from its hyperparameters.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    // step 1. prepare data
    let (train_data, eval_data) = load(&args)?;
    let pipeline = fe::Pipeline::builder()
        .train_data(train_data)
        .eval_data(eval_data)
        .batch_size(args.batch_size)
        .ops(vec![Box::new(Reshape::new("y", "y", &[1])?)])
        .build()?;
    // step 2. prepare model
    let (max_words, max_len) = (args.max_words as i64, args.max_len as i64);
    let model = fe::build(|p| ReviewSentiment::new(p, max_words, max_len), "adam")?;
    let network = fe::Network::new(vec![
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "loss")),
        Box::new(UpdateOp::new(&model, "loss")),
    ])?;
    // step 3. prepare estimator
    let save_dir = match &args.save_dir {
        Some(d) => d.clone(),
        None => temporary_folder("fe_imdb_")?.keep(),
    };
    let traces: Vec<Box<dyn fe::trace::Trace>> =
        vec![Box::new(Accuracy::new("y", "y_pred")), Box::new(BestModelSaver::new(&model, &save_dir))];
    let mut builder = fe::Estimator::builder(pipeline, network, args.epochs).traces(traces).experiment_name("imdb");
    if let Some(n) = args.train_steps_per_epoch {
        builder = builder.train_steps_per_epoch(n);
    }
    if let Some(n) = args.eval_steps_per_epoch {
        builder = builder.eval_steps_per_epoch(n);
    }
    builder.build()
}

/// The real reviews or the generated corpus, as the `imdb_review` loader gives them.
fn load(args: &Hyperparameters) -> fe::Result<(NumpyDataset, NumpyDataset)> {
    let mut loader = ImdbReview::new(args.max_len, args.max_words);
    if let Some(root) = &args.root_dir {
        loader = loader.root_dir(root);
    }
    let present = loader.dir().join("aclImdb/train").is_dir() || loader.dir().join(imdb_review::ARCHIVE.name).is_file();
    let use_real = match args.data.as_str() {
        "real" => true,
        "synthetic" => false,
        "auto" => present,
        other => {
            return Err(fe::FeError::param("imdb", "data", format!("expects auto, real or synthetic, got {other:?}")))
        }
    };
    if use_real {
        println!("Data: the IMDB reviews in {}", loader.dir().display());
        return loader.load();
    }
    let folder = temporary_folder("fe_imdb_corpus_")?;
    let [train, eval] = args.sizes;
    write_generated_corpus(&folder.path().join(imdb_review::NAME).join("aclImdb"), train, eval, args.seed)?;
    println!(
        "Data: a generated two-class corpus ({train} train / {eval} eval reviews; no IMDB files in {})",
        loader.dir().display()
    );
    loader.root_dir(folder.path()).download(false).load()
}

fn temporary_folder(prefix: &str) -> fe::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))
}

/// The generated corpus's words: a Zipf-distributed neutral vocabulary of 600 words, and a
/// lexicon of 8 words for each sentiment. (The model reads its pooled positions as features, so
/// it learns a few telling words quickly and many rare ones slowly: with 100 words per
/// sentiment it stays at chance for 10 epochs on 4 000 reviews.)
struct Lexicon {
    neutral: Vec<String>,
    positive: Vec<String>,
    negative: Vec<String>,
}

impl Lexicon {
    fn new(rng: &mut ChaCha8Rng) -> Lexicon {
        const ONSETS: [&str; 16] = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st"];
        const VOWELS: [&str; 6] = ["a", "e", "i", "o", "u", "ai"];
        let mut seen = BTreeSet::new();
        let mut words = Vec::new();
        while words.len() < 616 {
            let syllables = rng.gen_range(1..=3);
            let word: String = (0..syllables)
                .map(|_| {
                    format!("{}{}", ONSETS[rng.gen_range(0..ONSETS.len())], VOWELS[rng.gen_range(0..VOWELS.len())])
                })
                .collect();
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        let negative = words.split_off(608);
        let positive = words.split_off(600);
        Lexicon { neutral: words, positive, negative }
    }

    /// One review: mostly neutral words, with sentiment words that mostly (not always) agree
    /// with its label, so that the label is learnable but not written on every review.
    fn review(&self, positive: bool, rng: &mut ChaCha8Rng) -> String {
        let len = rng.gen_range(80..480);
        let mut text = String::new();
        for i in 0..len {
            let word = if rng.gen_bool(0.1) {
                let agree = rng.gen_bool(0.7);
                let lexicon = if positive == agree { &self.positive } else { &self.negative };
                &lexicon[rng.gen_range(0..lexicon.len())]
            } else {
                // Zipf-like ranks: common words are common.
                let rank = (self.neutral.len() as f64).powf(rng.gen::<f64>()) as usize - 1;
                &self.neutral[rank.min(self.neutral.len() - 1)]
            };
            text.push_str(word);
            text.push_str(if i % 13 == 12 {
                ". "
            } else if i % 37 == 36 {
                "<br /><br />"
            } else {
                " "
            });
        }
        text
    }
}

/// Write `train` and `eval` generated reviews (half of each positive) in the Stanford layout:
/// `{train,test}/{pos,neg}/<id>_<rating>.txt`.
fn write_generated_corpus(root: &Path, train: usize, eval: usize, seed: u64) -> fe::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let lexicon = Lexicon::new(&mut rng);
    for (split, n) in [("train", train), ("test", eval)] {
        for label in ["pos", "neg"] {
            let dir = root.join(split).join(label);
            std::fs::create_dir_all(&dir).map_err(|e| fe::FeError::io("cannot create", &dir, e))?;
        }
        for id in 0..n {
            let positive = id % 2 == 0;
            let rating = if positive { rng.gen_range(7..=10) } else { rng.gen_range(1..=4) };
            let path = root.join(split).join(if positive { "pos" } else { "neg" }).join(format!("{id}_{rating}.txt"));
            std::fs::write(&path, lexicon.review(positive, &mut rng))
                .map_err(|e| fe::FeError::io("cannot write", &path, e))?;
        }
    }
    Ok(())
}
