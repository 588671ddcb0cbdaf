//! The one implementation behind `Precision`, `Recall` and `F1Score`: they differ only in the
//! score computed from the epoch's label counts.

/// Define a precision/recall/F1 trace type: `$name` writes `$key` (scikit-learn's `$sk_fn`).
macro_rules! prf_trace {
    ($(#[$doc:meta])* $name:ident, $key:literal, $score:expr, $sk_fn:literal) => {
        $(#[$doc])*
        pub struct $name {
            io: $crate::op::OpIo,
            options: $crate::trace::metric::classification::PrfOptions,
            state: $crate::trace::metric::per_ds::PerDs<$crate::trace::metric::classification::LabelCounts>,
        }
        $crate::op::impl_has_io!($name);

        impl $name {
            #[doc = concat!(stringify!($name), " written as `\"", $key, "\"`.")]
            pub fn new(true_key: &str, pred_key: &str) -> Self {
                $name {
                    io: $crate::op::OpIo::new([true_key, pred_key], $key).with_default_mode("eval,test"),
                    options: Default::default(),
                    state: Default::default(),
                }
            }

            /// Write the result under another name.
            pub fn output_name(mut self, name: &str) -> Self {
                self.io.outputs = vec![name.to_string()];
                self
            }

            /// Also write `name|ds_id` for every dataset (default true).
            pub fn per_ds(mut self, per_ds: bool) -> Self {
                self.state.set_enabled(per_ds);
                self
            }

            /// The positive class in the binary case (scikit-learn's `pos_label`, default 1).
            pub fn pos_label(mut self, label: i64) -> Self {
                self.options.pos_label = label;
                self
            }

            /// The classes reported, in this order, in the multi-class case (scikit-learn's `labels`).
            pub fn labels(mut self, labels: Vec<i64>) -> Self {
                self.options.labels = Some(labels);
                self
            }

            #[doc = concat!("An extra keyword argument, as FE forwards `**kwargs` to `", $sk_fn, "`: `pos_label`,")]
            /// `zero_division` (`"warn"`, 0, 1 or NaN) or `labels`. `y_true`, `y_pred` and `average` are
            /// set by the trace, so passing them is an error, as in FE.
            pub fn kwarg(
                mut self,
                name: &str,
                value: impl Into<$crate::trace::metric::KwargValue>,
            ) -> $crate::error::Result<Self> {
                self.options.set(stringify!($name), name, value.into())?;
                Ok(self)
            }
        }

        impl $crate::trace::Trace for $name {
            fn name(&self) -> String {
                stringify!($name).into()
            }

            fn on_epoch_begin(
                &mut self,
                _data: &mut $crate::trace::Data,
                _system: &mut $crate::summary::System,
            ) -> $crate::error::Result<()> {
                self.state.clear();
                Ok(())
            }

            fn on_batch_end(
                &mut self,
                data: &mut $crate::trace::Data,
                system: &mut $crate::summary::System,
            ) -> $crate::error::Result<()> {
                let (y_true, y_pred, binary) = $crate::trace::metric::input::batch_labels(
                    data,
                    &self.io.inputs[0],
                    &self.io.inputs[1],
                    stringify!($name),
                )?;
                self.state.update(&system.ds_id, |counts| {
                    counts.add(&y_true, &y_pred, binary);
                    Ok(())
                })
            }

            fn on_epoch_end(
                &mut self,
                data: &mut $crate::trace::Data,
                _system: &mut $crate::summary::System,
            ) -> $crate::error::Result<()> {
                let name = self.io.outputs[0].clone();
                let options = &self.options;
                self.state.write(data, &self.io.outputs, |counts| {
                    Ok(vec![(
                        name.clone(),
                        $crate::trace::metric::classification::prf($score, counts, options, stringify!($name))?,
                    )])
                })
            }
        }
    };
}
pub(crate) use prf_trace;
