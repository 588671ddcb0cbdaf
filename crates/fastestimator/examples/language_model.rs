//! FE's word-level language model (apphub `NLP/language_modeling`, `ptb_torch.py`), line for
//! line: `LanguageModel` (embedding 300 → LSTM 600 → dropout → dense), SGD with momentum 0.9
//! at FE's stepped learning rate, sparse cross-entropy from logits, a Perplexity trace,
//! BestModelSaver on perplexity (reloading the best model at the end) and EarlyStopping, with
//! FE's job command line (`fe::cli`).
//!
//! Data: Penn Treebank when `ptb.{train,valid,test}.txt` are in
//! `~/fastestimator_data/PennTreeBank` (or with `--data real`, which downloads them where the
//! internet is reachable); otherwise an embedded generated corpus with learnable structure (a
//! small grammar: determiners, adjectives, nouns with the verbs that agree with them,
//! prepositions), written as `ptb.*.txt` files and read by the same loader. For the generated
//! corpus the job also prints the perplexity of the generator itself, the floor no model can
//! beat.
//!
//! ```text
//! ./fe cargo run --release -p fastestimator --example language_model
//! ./fe cargo run --release -p fastestimator --example language_model -- --data real
//! ./fe cargo run --release -p fastestimator --example language_model -- --help
//! ```

use std::path::PathBuf;

use fastestimator as fe;
use fe::architecture::LanguageModel;
use fe::dataset::data::penn_treebank::{self, PennTreebank};
use fe::dataset::NumpyDataset;
use fe::model::OptimizerSpec;
use fe::op::numpy::Batch;
use fe::op::numpy::LambdaOp;
use fe::op::tensor::loss::CrossEntropyForm;
use fe::op::tensor::{CrossEntropy, LambdaOp as TensorLambdaOp, ModelOp, UpdateOp};
use fe::op::{HasIo, OpIo};
use fe::summary::System;
use fe::trace::adapt::{EarlyStopping, LRScheduler};
use fe::trace::io::BestModelSaver;
use fe::trace::{Data, Trace};
use fe::util::BestMode;
use fe::Value;
use ndarray::s;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The job's hyperparameters (`--name value` on the command line; `--help` lists them).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Hyperparameters {
    /// Most epochs to train (early stopping may end sooner).
    epochs: usize,
    /// Batch size.
    batch_size: usize,
    /// Words per training sequence.
    seq_length: usize,
    /// Words the model predicts over (default: the loaded vocabulary's size; PTB has 10 000).
    vocab_size: Option<usize>,
    /// Embedding width.
    embedding_dim: i64,
    /// LSTM units.
    rnn_units: i64,
    /// Cut every training epoch to this many steps.
    train_steps_per_epoch: Option<usize>,
    /// Cut every eval epoch to this many steps.
    eval_steps_per_epoch: Option<usize>,
    /// `auto` (Penn Treebank when present), `real` or `synthetic`.
    data: String,
    /// The data root holding `PennTreeBank/` (default `~/fastestimator_data`).
    data_dir: Option<PathBuf>,
    /// Sentences of the generated corpus: [train, eval, test].
    sizes: [usize; 3],
    /// Where BestModelSaver writes (default: a new temporary folder).
    save_dir: Option<PathBuf>,
    /// Seed for the generated corpus, shuffling and initialisation.
    seed: u64,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Hyperparameters {
            epochs: 30,
            batch_size: 128,
            seq_length: 20,
            vocab_size: None,
            embedding_dim: 300,
            rnn_units: 600,
            train_steps_per_epoch: None,
            eval_steps_per_epoch: None,
            data: "auto".into(),
            data_dir: None,
            sizes: [6000, 600, 600],
            save_dir: None,
            seed: 42,
        }
    }
}

fn main() {
    fe::cli::main(get_estimator);
}

/// FE's learning rate: up by 70 % over the first 1725 steps, then down linearly, never below
/// 0.01.
fn lr_schedule(step: u64, init_lr: f64) -> f64 {
    let step = step as f64;
    if step <= 1725.0 {
        init_lr + 0.7 * init_lr * (step - 1.0) / 1725.0
    } else {
        (1.7 * init_lr * ((2415.0 - step + 1725.0) / 2415.0)).max(0.01)
    }
}

/// FE's `get_estimator`: the whole job from its hyperparameters.
fn get_estimator(args: Hyperparameters) -> fe::Result<fe::Estimator> {
    fe::enable_deterministic(args.seed);
    let (train_data, eval_data, vocab) = load(&args)?;
    let vocab_size = args.vocab_size.unwrap_or(vocab.len());
    if vocab_size < vocab.len() {
        return Err(fe::FeError::param(
            "language_model",
            "vocab_size",
            format!("{vocab_size} is smaller than the data's vocabulary of {} words", vocab.len()),
        ));
    }
    let pipeline = fe::Pipeline::builder()
        .train_data(train_data)
        .eval_data(eval_data)
        .ops(vec![
            Box::new(LambdaOp::new("x", ["x", "y"], create_input_and_target)),
            Box::new(Batch::new(args.batch_size)?.drop_last(true)),
        ])
        .build()?;
    // step 2
    let (embedding_dim, rnn_units) = (args.embedding_dim, args.rnn_units);
    let sgd = OptimizerSpec::Sgd { lr: 1.0, momentum: 0.9, nesterov: false, weight_decay: 0.0 };
    let model = fe::build(|p| LanguageModel::new(p, vocab_size as i64, embedding_dim, rnn_units), sgd)?;
    let network = fe::Network::new(vec![
        // FE's DimesionAdjust: the model is sequence-first.
        Box::new(TensorLambdaOp::new(["x", "y"], ["x", "y"], |v| Ok(vec![v[0].tr(), v[1].tr().reshape([-1])]))),
        Box::new(ModelOp::new(&model, "x", "y_pred")),
        Box::new(CrossEntropy::new(["y_pred", "y"], "ce").form(CrossEntropyForm::Sparse).from_logits(true)),
        Box::new(UpdateOp::new(&model, "ce")),
    ])?;
    // step 3
    let save_dir = match &args.save_dir {
        Some(d) => d.clone(),
        None => temporary_folder("fe_language_model_")?.keep(),
    };
    let traces: Vec<Box<dyn Trace>> = vec![
        Box::new(Perplexity { io: OpIo::new("ce", "perplexity").with_default_mode("eval") }),
        Box::new(LRScheduler::by_step(&model, |step| lr_schedule(step, 1.0))),
        Box::new(
            BestModelSaver::new(&model, &save_dir)
                .metric("perplexity")
                .save_best_mode(BestMode::Min)
                .load_best_final(true),
        ),
        Box::new(EarlyStopping::new("perplexity").patience(5).compare(BestMode::Min)),
    ];
    let mut builder =
        fe::Estimator::builder(pipeline, network, args.epochs).traces(traces).experiment_name("language_model");
    if let Some(n) = args.train_steps_per_epoch {
        builder = builder.train_steps_per_epoch(n);
    }
    if let Some(n) = args.eval_steps_per_epoch {
        builder = builder.eval_steps_per_epoch(n);
    }
    builder.build()
}

/// FE's `CreateInputAndTarget`: a sequence's words without its last one, and without its first.
fn create_input_and_target(v: Vec<Value>) -> Result<Vec<Value>, String> {
    let Value::I64(words) = &v[0] else { return Err("x must be int64 word ids".into()) };
    let words = words.view().into_dimensionality::<ndarray::Ix1>().map_err(|e| format!("x must be 1-D: {e}"))?;
    let (x, y) = (words.slice(s![..-1]).to_owned(), words.slice(s![1..]).to_owned());
    Ok(vec![Value::I64(x.into_dyn()), Value::I64(y.into_dyn())])
}

/// FE's `Perplexity` trace: e to the epoch's mean cross-entropy.
struct Perplexity {
    io: OpIo,
}

impl HasIo for Perplexity {
    fn io(&self) -> &OpIo {
        &self.io
    }
    fn io_mut(&mut self) -> &mut OpIo {
        &mut self.io
    }
}

impl Trace for Perplexity {
    fn name(&self) -> String {
        "Perplexity".into()
    }

    fn on_epoch_end(&mut self, data: &mut Data, system: &mut System) -> fe::Result<()> {
        let ce = data.log(&self.io.inputs[0]).and_then(|v| v.as_f64());
        let ce = ce.ok_or_else(|| fe::FeError::MissingKey {
            consumer: "Perplexity".into(),
            key: self.io.inputs[0].clone(),
            mode: system.mode.to_string(),
            epoch: system.epoch_idx,
            ds_id: String::new(),
            closest: None,
        })?;
        data.write_with_log(self.io.outputs[0].clone(), ce.exp());
        Ok(())
    }
}

/// Penn Treebank or the generated corpus, as the `penn_treebank` loader gives them:
/// `(train, eval, vocabulary)`, sequences of `seq_length + 1` words.
fn load(args: &Hyperparameters) -> fe::Result<(NumpyDataset, NumpyDataset, Vec<String>)> {
    let mut loader = PennTreebank::new().seq_length(args.seq_length + 1);
    if let Some(root) = &args.data_dir {
        loader = loader.root_dir(root);
    }
    let present = penn_treebank::FILES.iter().all(|f| loader.dir().join(f.name).is_file());
    let use_real = match args.data.as_str() {
        "real" => true,
        "synthetic" => false,
        "auto" => present,
        other => {
            return Err(fe::FeError::param(
                "language_model",
                "data",
                format!("expects auto, real or synthetic, got {other:?}"),
            ))
        }
    };
    if use_real {
        println!("Data: Penn Treebank in {}", loader.dir().display());
        let (train, eval, _test, vocab) = loader.load()?;
        return Ok((train, eval, vocab));
    }
    let folder = temporary_folder("fe_ptb_corpus_")?;
    let generated = loader.clone().root_dir(folder.path()).download(false);
    let dir = generated.dir();
    std::fs::create_dir_all(&dir).map_err(|e| fe::FeError::io("cannot create", &dir, e))?;
    let grammar = Grammar::new();
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let mut floor = 0.0;
    for (file, sentences) in penn_treebank::FILES.iter().zip(args.sizes) {
        let (mut text, nats_per_word) = grammar.text(sentences, &mut rng);
        if file.name.contains("valid") {
            floor = nats_per_word.exp();
        }
        if file.name.contains("train") {
            // Every word once, so that the eval and test words are in the training vocabulary
            // however few sentences are drawn (the loader refuses unknown words).
            text.insert_str(0, &format!(" {}\n", grammar.words().join(" ")));
        }
        let path = dir.join(file.name);
        std::fs::write(&path, text).map_err(|e| fe::FeError::io("cannot write", &path, e))?;
    }
    println!(
        "Data: a generated corpus ({:?} sentences; no Penn Treebank files in {}); the generator's own \
         perplexity on the eval text is {floor:.2}",
        args.sizes,
        loader.dir().display()
    );
    let (train, eval, _test, vocab) = generated.load()?;
    Ok((train, eval, vocab))
}

fn temporary_folder(prefix: &str) -> fe::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| fe::FeError::io("cannot create", std::env::temp_dir(), e))
}

/// Word classes of the generated grammar.
#[derive(Clone, Copy, PartialEq)]
enum Class {
    Start,
    Det,
    Adj,
    Noun,
    Verb,
    Prep,
}

/// A first-order grammar: the next word's class depends on the current word's class, nouns and
/// adjectives follow Zipf's law, and each noun takes one of its own five verbs. Because the
/// next word depends on the current word only, the probability of each word of a text is known
/// exactly, and so is the best perplexity any model can reach.
struct Grammar {
    det: Vec<String>,
    adj: Vec<String>,
    noun: Vec<String>,
    verb: Vec<String>,
    prep: Vec<String>,
}

impl Grammar {
    const VERBS_PER_NOUN: usize = 5;

    fn new() -> Grammar {
        let words = |prefix: &str, n: usize| (0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();
        Grammar {
            det: words("the", 6),
            adj: words("adj", 60),
            noun: words("noun", 200),
            verb: words("verb", 100),
            prep: words("prep", 10),
        }
    }

    /// Every word of the grammar.
    fn words(&self) -> Vec<&str> {
        [&self.det, &self.adj, &self.noun, &self.verb, &self.prep].into_iter().flatten().map(String::as_str).collect()
    }

    /// The classes that may follow `class`, with their probabilities (`None`: the sentence ends).
    fn next(class: Class) -> &'static [(Option<Class>, f64)] {
        match class {
            Class::Det => &[(Some(Class::Adj), 0.3), (Some(Class::Noun), 0.7)],
            Class::Adj => &[(Some(Class::Noun), 1.0)],
            Class::Noun => &[(Some(Class::Verb), 0.6), (Some(Class::Prep), 0.2), (None, 0.2)],
            Class::Verb => &[(Some(Class::Det), 0.7), (None, 0.3)],
            Class::Prep | Class::Start => &[(Some(Class::Det), 1.0)],
        }
    }

    /// Draw a word of `class` after the noun `after_noun` (if the last word was one); returns
    /// the word and its probability within its class.
    fn word(&self, class: Class, after_noun: Option<usize>, rng: &mut ChaCha8Rng) -> (String, usize, f64) {
        let zipf = |n: usize, rng: &mut ChaCha8Rng| {
            let total: f64 = (1..=n).map(|i| 1.0 / i as f64).sum();
            let mut u = rng.gen::<f64>() * total;
            for i in 0..n {
                u -= 1.0 / (i + 1) as f64;
                if u <= 0.0 {
                    return (i, 1.0 / (i + 1) as f64 / total);
                }
            }
            (n - 1, 1.0 / n as f64 / total)
        };
        let uniform = |n: usize, rng: &mut ChaCha8Rng| (rng.gen_range(0..n), 1.0 / n as f64);
        let (list, (i, p)) = match class {
            Class::Det => (&self.det, uniform(self.det.len(), rng)),
            Class::Adj => (&self.adj, zipf(self.adj.len(), rng)),
            Class::Noun => (&self.noun, zipf(self.noun.len(), rng)),
            Class::Prep => (&self.prep, uniform(self.prep.len(), rng)),
            Class::Verb => {
                let noun = after_noun.unwrap_or(0);
                let k = rng.gen_range(0..Self::VERBS_PER_NOUN);
                let verb = (noun * 7 + k * 13) % self.verb.len();
                (&self.verb, (verb, 1.0 / Self::VERBS_PER_NOUN as f64))
            }
            Class::Start => (&self.det, (0, 1.0)),
        };
        (list[i].clone(), i, p)
    }

    /// `sentences` lines of text, and the mean negative log-likelihood (nats) of its words
    /// (the `<eos>` the loader adds after each line included) under this grammar.
    fn text(&self, sentences: usize, rng: &mut ChaCha8Rng) -> (String, f64) {
        let (mut text, mut nll, mut words) = (String::new(), 0.0, 0usize);
        for _ in 0..sentences {
            let (mut class, mut noun) = (Class::Start, None);
            loop {
                let choices = Self::next(class);
                let mut u = rng.gen::<f64>();
                let (next, p_class) = choices
                    .iter()
                    .copied()
                    .find(|(_, p)| {
                        u -= p;
                        u <= 0.0
                    })
                    .unwrap_or(choices[choices.len() - 1]);
                nll -= p_class.ln();
                words += 1;
                let Some(next) = next else { break };
                let (word, index, p_word) = self.word(next, noun, rng);
                nll -= p_word.ln();
                noun = (next == Class::Noun).then_some(index);
                class = next;
                text.push(' ');
                text.push_str(&word);
            }
            text.push('\n');
        }
        (text, nll / words.max(1) as f64)
    }
}
