//! How a model's 4-D weights are laid out in memory: PyTorch's default (NCHW, "contiguous") or
//! channels-last (NHWC strides behind the same NCHW shape).
//!
//! On the CPU, libtorch's convolutions run through oneDNN, whose native layout is channels-last.
//! Given NCHW tensors, every convolution (forward and both backward passes) reorders its
//! operands to that layout and back; given a channels-last weight, oneDNN keeps its output in
//! channels-last too, so the reorders disappear from the whole network. On the 2-core machine
//! class this makes FE's LeNet train about 1.3–1.6× faster, with the same shapes, the same
//! names and the same saved files. That is why [`MemoryFormat::Auto`], the default of
//! [`super::build`], uses channels-last on the CPU.
//!
//! Only the layout changes: every shape, name, saved file and value a user reads stays as with
//! NCHW. Two things a user may notice: `Tensor::view` on a channels-last weight (or on an
//! activation computed from one) fails where `reshape` works, and a convolution gives results
//! that differ from the NCHW kernel's in the last bits (another summation order), as any change
//! of kernel does. [`MemoryFormat::Contiguous`] keeps PyTorch's default layout.

use tch::{nn, Device, Tensor};

/// The memory layout of a model's 4-D floating-point variables (its 2-D convolution weights),
/// chosen when it is built ([`super::BuildOptions::memory_format`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemoryFormat {
    /// Channels-last on the CPU, where oneDNN's convolutions are faster in it; PyTorch's default
    /// layout on CUDA.
    #[default]
    Auto,
    /// Channels-last on every device.
    ChannelsLast,
    /// PyTorch's default layout (NCHW), as a model built in PyTorch has.
    Contiguous,
}

impl MemoryFormat {
    /// Whether a model on `device` lays its 4-D weights out channels-last.
    pub fn channels_last_on(self, device: Device) -> bool {
        match self {
            MemoryFormat::Auto => device == Device::Cpu,
            MemoryFormat::ChannelsLast => true,
            MemoryFormat::Contiguous => false,
        }
    }
}

/// Lay every 4-D floating-point variable of `vs` out channels-last, in place: the variables
/// keep their identity (modules and the optimizer hold the same tensors), their values, their
/// shapes and their `requires_grad`. [`super::build`] does this by default on the CPU; a
/// hand-written tch program can call it on its own `VarStore`.
///
/// ```
/// use tch::{nn, Device, Kind, Tensor};
/// let vs = nn::VarStore::new(Device::Cpu);
/// let conv = nn::conv2d(vs.root() / "conv", 3, 8, 3, Default::default());
/// fastestimator::model::to_channels_last(&vs);
/// let y = Tensor::ones([2, 3, 6, 6], (Kind::Float, Device::Cpu)).apply(&conv);
/// assert_eq!(y.size(), [2, 8, 4, 4]);
/// assert_eq!(y.stride(), [128, 1, 32, 8]); // NHWC in memory
/// ```
pub fn to_channels_last(vs: &nn::VarStore) {
    tch::no_grad(|| {
        for (_, mut var) in vs.variables() {
            if var.dim() == 4 && var.is_floating_point() {
                let laid_out = channels_last_copy(&var);
                var.set_data(&laid_out);
            }
        }
    });
}

/// A copy of the 4-D tensor `t` with channels-last strides (PyTorch's
/// `t.contiguous(memory_format=torch.channels_last)`). Built from the strides themselves:
/// `permute → contiguous → permute` leaves a one-channel tensor in NCHW strides, which oneDNN
/// then treats as NCHW.
pub(super) fn channels_last_copy(t: &Tensor) -> Tensor {
    let size = t.size();
    let (c, h, w) = (size[1], size[2], size[3]);
    let strides = [h * w * c, 1, w * c, c];
    let mut out = Tensor::empty_strided(&size, strides, (t.kind(), t.device()));
    out.copy_(t);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    #[test]
    fn auto_is_channels_last_on_the_cpu_only() {
        assert!(MemoryFormat::Auto.channels_last_on(Device::Cpu));
        assert!(!MemoryFormat::Auto.channels_last_on(Device::Cuda(0)));
        assert!(MemoryFormat::ChannelsLast.channels_last_on(Device::Cuda(0)));
        assert!(!MemoryFormat::Contiguous.channels_last_on(Device::Cpu));
    }

    #[test]
    fn variables_keep_values_and_identity_and_get_channels_last_strides() {
        let vs = nn::VarStore::new(Device::Cpu);
        let conv = nn::conv2d(vs.root() / "conv", 3, 8, 3, Default::default());
        let one_channel = nn::conv2d(vs.root() / "first", 1, 4, 3, Default::default());
        let linear = nn::linear(vs.root() / "fc", 5, 2, Default::default());
        let before: Vec<(String, Tensor)> = vs.variables().into_iter().map(|(k, v)| (k, v.copy())).collect();
        to_channels_last(&vs);
        for (name, old) in &before {
            let now = &vs.variables()[name];
            assert!(now.equal(old), "{name} changed value");
            assert!(now.requires_grad(), "{name}");
        }
        assert_eq!(conv.ws.stride(), [27, 1, 9, 3]);
        // One input channel: NHWC strides, which oneDNN reads as channels-last.
        assert_eq!(one_channel.ws.stride(), [9, 1, 3, 1]);
        assert_eq!(linear.ws.stride(), [5, 1]);
        // A convolution through the module gives a channels-last output.
        let y = Tensor::ones([2, 3, 6, 6], (Kind::Float, Device::Cpu)).apply(&conv);
        assert_eq!(y.stride(), [128, 1, 32, 8]);
    }
}
