//! FE's IMDB sentiment model (the apphub `imdb` job's `ReviewSentiment`).

use tch::nn::{self, RNN};
use tch::Tensor;

use super::layers::{fe_model, Kept};
use super::torch_init;

/// FE's `ReviewSentiment`: embedding (64) → conv1d (32 filters, kernel 3, same padding) → ReLU →
/// max-pool 4 → LSTM (64 units) → tanh → dense 250 → ReLU → dense 1 → sigmoid. Input is a batch
/// of token ids, `[batch, max_len]` (int64, `max_len` divisible by 4); the output is the
/// probability of the positive class, `[batch, 1]`.
///
/// The state dict is FE's PyTorch module's, name for name and shape for shape (`embedding`,
/// `conv1d`, `lstm` with `weight_ih_l0` `[256, max_len / 4]`, `fc1`, `fc2`), so weights move
/// between the two both ways. FE's module feeds its `[batch, 32, max_len / 4]` tensor to a
/// sequence-first LSTM, which makes the LSTM run *across the batch*: a review's prediction then
/// depends on the other reviews in its batch. This model reads the same tensor batch-first (a
/// sequence of the 32 filter maps, each step seeing the `max_len / 4` pooled positions), so
/// a prediction depends on its own review only; its outputs equal those of FE's module built
/// with `batch_first=True`.
///
/// ```
/// use fastestimator::architecture::ReviewSentiment;
/// let model = fastestimator::build(|p| ReviewSentiment::new(p, 1000, 500), "adam")?;
/// let tokens = tch::Tensor::randint(1000, [4, 500], (tch::Kind::Int64, tch::Device::Cpu));
/// let p = model.forward("x", &tokens, false)?;
/// assert_eq!(p.size(), [4, 1]);
/// # Ok::<(), fastestimator::FeError>(())
/// ```
#[derive(Debug)]
pub struct ReviewSentiment {
    embedding: nn::Embedding,
    conv1d: nn::Conv1D,
    lstm: nn::LSTM,
    fc1: nn::Linear,
    fc2: nn::Linear,
    input_shape: [i64; 1],
}

impl ReviewSentiment {
    /// FE's defaults: embedding size and LSTM units 64.
    pub const EMBEDDING_SIZE: i64 = 64;
    /// FE's LSTM units.
    pub const HIDDEN_UNITS: i64 = 64;

    /// The model for a vocabulary of `max_words` token ids and reviews padded to `max_len`
    /// tokens (FE: 10 000 and 500).
    ///
    /// # Panics
    /// If `max_len` is not a positive multiple of 4 (the pooled length would not match the
    /// LSTM's input size). Inside [`crate::build`] that panic is returned as
    /// [`crate::FeError::Model`].
    pub fn new(vs: &nn::Path, max_words: i64, max_len: i64) -> ReviewSentiment {
        assert!(
            max_len >= 4 && max_len % 4 == 0,
            "ReviewSentiment needs max_len a positive multiple of 4, got {max_len}"
        );
        let conv = nn::ConvConfig { padding: 1, ..Default::default() };
        ReviewSentiment {
            embedding: torch_init::embedding(vs / "embedding", max_words, Self::EMBEDDING_SIZE),
            conv1d: torch_init::conv1d(vs / "conv1d", Self::EMBEDDING_SIZE, 32, 3, conv),
            lstm: nn::lstm(
                vs / "lstm",
                max_len / 4,
                Self::HIDDEN_UNITS,
                torch_init::lstm_config(Self::HIDDEN_UNITS, true),
            ),
            fc1: torch_init::linear(vs / "fc1", Self::HIDDEN_UNITS, 250),
            fc2: torch_init::linear(vs / "fc2", 250, 1),
            input_shape: [max_len],
        }
    }
}

impl ReviewSentiment {
    const LAYERS: [&'static str; 4] = ["embedding", "conv1d", "lstm", "fc1"];

    /// The forward pass, noting the outputs of the named layers.
    fn run(&self, xs: &Tensor, _train: bool, kept: &mut Kept) -> Tensor {
        let x = xs.to_kind(tch::Kind::Int64).apply(&self.embedding);
        kept.note("embedding", &x);
        let x = x.permute([0, 2, 1]).apply(&self.conv1d).relu();
        kept.note("conv1d", &x);
        let x = x.max_pool1d([4], [4], [0], [1], false);
        let (out, _) = self.lstm.seq(&x);
        let x = out.select(1, -1).tanh();
        kept.note("lstm", &x);
        let x = x.apply(&self.fc1).relu();
        kept.note("fc1", &x);
        x.apply(&self.fc2).sigmoid()
    }
}

fe_model!(ReviewSentiment, "ReviewSentiment", input_shape);
