//! FE's word-level LSTM language model (the apphub `language_modeling` job on Penn Treebank).

use tch::nn::{self, RNN};
use tch::Tensor;

use super::layers::{fe_model, Kept};
use super::torch_init;

/// FE's PTB language model (`BuildModel` in FE's `ptb_torch.py`): embedding → LSTM →
/// dropout 0.5 → dense over the vocabulary. The LSTM's two weight matrices start from
/// Xavier-uniform, as FE re-initialises them; everything else from PyTorch's defaults.
///
/// As in FE, the input is **sequence-first**, `[seq_len, batch]` token ids (int64; FE's job
/// transposes its `[batch, seq_len]` batches before the model), and the output is the logits of
/// every position, flattened to `[seq_len * batch, vocab_size]`, ready for a sparse
/// cross-entropy against the transposed, flattened targets. The state dict is FE's module's:
/// `embed_layer.weight`, `lstm_layer.{weight,bias}_{ih,hh}_l0`, `fc.{weight,bias}`.
///
/// ```
/// use fastestimator::architecture::LanguageModel;
/// let model = fastestimator::build(|p| LanguageModel::new(p, 100, 16, 32), "adam")?;
/// let tokens = tch::Tensor::randint(100, [20, 4], (tch::Kind::Int64, tch::Device::Cpu));
/// let logits = model.forward("x", &tokens, false)?;
/// assert_eq!(logits.size(), [80, 100]);
/// # Ok::<(), fastestimator::FeError>(())
/// ```
#[derive(Debug)]
pub struct LanguageModel {
    embed_layer: nn::Embedding,
    lstm_layer: nn::LSTM,
    fc: nn::Linear,
}

impl LanguageModel {
    /// FE's dropout rate between the LSTM and the dense layer.
    pub const DROPOUT: f64 = 0.5;

    /// The model for `vocab_size` words with `embedding_dim`-wide embeddings and `rnn_units`
    /// LSTM units (FE: 10 000, 300 and 600).
    pub fn new(vs: &nn::Path, vocab_size: i64, embedding_dim: i64, rnn_units: i64) -> LanguageModel {
        let xavier = |fan_in: i64, fan_out: i64| {
            let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
            nn::Init::Uniform { lo: -bound, up: bound }
        };
        let config = nn::RNNConfig {
            w_ih_init: xavier(embedding_dim, 4 * rnn_units),
            w_hh_init: xavier(rnn_units, 4 * rnn_units),
            ..torch_init::lstm_config(rnn_units, false)
        };
        LanguageModel {
            embed_layer: torch_init::embedding(vs / "embed_layer", vocab_size, embedding_dim),
            lstm_layer: nn::lstm(vs / "lstm_layer", embedding_dim, rnn_units, config),
            fc: torch_init::linear(vs / "fc", rnn_units, vocab_size),
        }
    }
}

impl LanguageModel {
    const LAYERS: [&'static str; 2] = ["embed_layer", "lstm_layer"];

    /// The forward pass, noting the outputs of the named layers.
    fn run(&self, xs: &Tensor, train: bool, kept: &mut Kept) -> Tensor {
        assert!(xs.dim() == 2, "LanguageModel takes [seq_len, batch] token ids, got shape {:?}", xs.size());
        let x = xs.to_kind(tch::Kind::Int64).apply(&self.embed_layer);
        kept.note("embed_layer", &x);
        // Sequence-first: the initial state is per batch entry, `x.size()[1]` of them. (tch's
        // `RNN::seq` sizes it by `size()[0]`, the batch-first batch, and libtorch's oneDNN LSTM
        // does not check it: a batch larger than the sequence length corrupts memory.)
        let state = self.lstm_layer.zero_state(x.size()[1]);
        let (x, _) = self.lstm_layer.seq_init(&x, &state);
        kept.note("lstm_layer", &x);
        x.flatten(0, 1).dropout(Self::DROPOUT, train).apply(&self.fc)
    }
}

fe_model!(LanguageModel, "LanguageModel");
