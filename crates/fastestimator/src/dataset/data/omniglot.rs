//! Omniglot (Lake et al.): 1 623 handwritten characters from 50 alphabets, 20 drawings each,
//! as 105×105 PNGs in `images_background/` (30 alphabets, for training) and
//! `images_evaluation/` (20 alphabets), each `<alphabet>/<character>/<file>.png`.

use std::path::{Path, PathBuf};

use super::archive::ensure_from_zip;
use super::download::RemoteFile;
use crate::dataset::{image_reader, ImageColor, SiameseDirDataset};
use crate::error::Result;

/// The folder name under the data root (FE's).
pub const NAME: &str = "Omniglot";

/// The background (training) alphabets, with the MD5 torchvision checks.
pub const BACKGROUND: RemoteFile = RemoteFile {
    name: "images_background.zip",
    urls: &["https://github.com/brendenlake/omniglot/raw/master/python/images_background.zip"],
    md5: Some("68d2efa1b9178cc56df9314c21c6e718"),
    max_bytes: 64 << 20,
};

/// The evaluation alphabets.
pub const EVALUATION: RemoteFile = RemoteFile {
    name: "images_evaluation.zip",
    urls: &["https://github.com/brendenlake/omniglot/raw/master/python/images_evaluation.zip"],
    md5: Some("6b91aef0f799c5bb55b94e3f2daec811"),
    max_bytes: 64 << 20,
};

/// Loader options (see [`load_data`]).
#[derive(Debug, Clone)]
pub struct Omniglot {
    root_dir: Option<PathBuf>,
    download: bool,
    read_images: bool,
    seed: Option<u64>,
}

impl Default for Omniglot {
    fn default() -> Self {
        Omniglot { root_dir: None, download: true, read_images: false, seed: None }
    }
}

loader_options!(
    Omniglot,
    NAME,
    read_images = "Return decoded images (`u8` `[105, 105, 1]`) instead of paths.",
    seed = "The seed of the pair draws.",
);

impl Omniglot {
    /// FE's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// `(train, eval)` [`SiameseDirDataset`]s (keys `x_a`, `x_b`, `y`); each character
    /// (`alphabet/character` folder) is a class.
    pub fn load(&self) -> Result<(SiameseDirDataset, SiameseDirDataset)> {
        let dir = self.dir();
        let mut out = Vec::new();
        for (archive, folder) in [(BACKGROUND, "images_background"), (EVALUATION, "images_evaluation")] {
            ensure_from_zip("omniglot", &dir, archive, folder, |n| n.starts_with(folder), self.download)?;
            let mut b = SiameseDirDataset::builder(dir.join(folder)).file_extension(".png");
            if self.read_images {
                b = b.read_with(image_reader(ImageColor::Gray));
            }
            if let Some(seed) = self.seed {
                b = b.seed(seed);
            }
            out.push(b.build()?);
        }
        let eval = out.pop().unwrap_or_else(|| unreachable!("two folders"));
        let train = out.pop().unwrap_or_else(|| unreachable!("two folders"));
        Ok((train, eval))
    }
}

/// FE's `omniglot.load_data(root_dir)`.
pub fn load_data(root_dir: Option<&Path>) -> Result<(SiameseDirDataset, SiameseDirDataset)> {
    let mut loader = Omniglot::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::data::cifair10::tests::zip;
    use crate::dataset::{write_png, Dataset};
    use crate::value::Value;

    fn png() -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.png");
        write_png(&p, &ndarray::ArrayD::from_elem(ndarray::IxDyn(&[105, 105]), 255u8)).unwrap();
        std::fs::read(p).unwrap()
    }

    #[test]
    fn extracts_alphabets_into_siamese_datasets() {
        let root = tempfile::tempdir().unwrap();
        let loader = Omniglot::new().root_dir(root.path()).download(false).seed(1).read_images(true);
        std::fs::create_dir_all(loader.dir()).unwrap();
        for (archive, folder, alphabets) in [(BACKGROUND, "images_background", 2), (EVALUATION, "images_evaluation", 1)]
        {
            let mut members = Vec::new();
            for a in 0..alphabets {
                for c in 0..2 {
                    for i in 0..2 {
                        members.push((format!("{folder}/Alphabet_{a}/character{c:02}/{i}.png"), png()));
                    }
                }
            }
            zip(&loader.dir().join(archive.name), &members);
        }
        let (train, eval) = loader.load().unwrap();
        assert_eq!((train.len(), train.num_classes()), (8, 4));
        assert_eq!((eval.len(), eval.num_classes()), (4, 2));
        assert!(train.get_mapping().contains_key("Alphabet_1/character01"));
        let s = train.get(0).unwrap();
        assert_eq!(s["x_a"].shape(), &[105, 105, 1]);
        assert!(matches!(s["y"], Value::I64(_)));
        let msg = Omniglot::new().root_dir(root.path().join("none")).download(false).load().unwrap_err().to_string();
        assert!(msg.contains("images_background.zip"), "{msg}");
    }
}
