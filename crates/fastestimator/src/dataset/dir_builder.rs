//! The builder setters the directory datasets share ([`super::DirDataset`],
//! [`super::LabeledDirDataset`], [`super::SiameseDirDataset`]), written once.

/// `file_extension` and `read_with` for a builder with fields `file_extension: Option<String>`
/// and `reader: Option<FileReader>`.
macro_rules! dir_builder_options {
    ($t:ty) => {
        impl $t {
            /// Only files whose names end with this (for example `.png`).
            pub fn file_extension(mut self, extension: &str) -> Self {
                self.file_extension = Some(extension.to_string());
                self
            }

            /// Read each file with `reader` when a sample that names it is requested (both
            /// files of a Siamese pair).
            pub fn read_with(mut self, reader: $crate::dataset::FileReader) -> Self {
                self.reader = Some(reader);
                self
            }
        }
    };
}

/// `label_mapping` for a builder with a field `label_mapping: Option<IndexMap<String, i64>>`.
macro_rules! label_mapping_option {
    ($t:ty) => {
        impl $t {
            /// Class folder name → label value (FE's `label_mapping`); it must cover every
            /// class folder. Default: the sorted folder names numbered from 0.
            pub fn label_mapping<S: Into<String>>(mut self, mapping: impl IntoIterator<Item = (S, i64)>) -> Self {
                self.label_mapping = Some(mapping.into_iter().map(|(k, v)| (k.into(), v)).collect());
                self
            }
        }
    };
}

pub(super) use {dir_builder_options, label_mapping_option};
