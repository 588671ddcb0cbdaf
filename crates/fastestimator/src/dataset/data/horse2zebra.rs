//! horse2zebra (Zhu et al., CycleGAN): unpaired 256×256 JPEGs of horses (`trainA`, `testA`)
//! and zebras (`trainB`, `testB`), from `horse2zebra.zip`. FE returns [`BatchDataset`]s that
//! pair a batch of horses (key `A`) with a batch of zebras (key `B`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::archive::ensure_from_zip;
use super::download::RemoteFile;
use crate::dataset::{image_reader, BatchDataset, Dataset, DirDataset, ImageColor};
use crate::error::{FeError, Result};

/// The folder name under the data root (FE's).
pub const NAME: &str = "horse2zebra";

/// The archive (no published checksum; the content is checked after extraction).
pub const ARCHIVE: RemoteFile = RemoteFile {
    name: "horse2zebra.zip",
    urls: &["https://people.eecs.berkeley.edu/~taesung_park/CycleGAN/datasets/horse2zebra.zip"],
    md5: None,
    max_bytes: 512 << 20,
};

/// Loader options (see [`load_data`]).
#[derive(Debug, Clone)]
pub struct Horse2Zebra {
    root_dir: Option<PathBuf>,
    download: bool,
    batch_size: usize,
    read_images: bool,
    seed: Option<u64>,
}

loader_options!(
    Horse2Zebra,
    NAME,
    read_images = "Decode the JPEGs (`u8` `[256, 256, 3]`) instead of returning paths.",
    seed = "The seed of the batch sampling.",
);

impl Horse2Zebra {
    /// Batches of `batch_size` horses and as many zebras (FE's required argument).
    pub fn new(batch_size: usize) -> Self {
        Horse2Zebra { root_dir: None, download: true, batch_size, read_images: false, seed: None }
    }

    /// `(train, test)` [`BatchDataset`]s of `{A: [batch_size, ...], B: [batch_size, ...]}`.
    /// The archive's `horse2zebra/` folder is extracted to `images/`, as FE does.
    pub fn load(&self) -> Result<(BatchDataset, BatchDataset)> {
        if self.batch_size == 0 {
            return Err(FeError::param("horse2zebra", "batch_size", "must be positive"));
        }
        let dir = self.dir();
        let images = dir.join("images");
        if !images.is_dir() {
            ensure_from_zip(
                "horse2zebra",
                &dir,
                ARCHIVE,
                "horse2zebra",
                |n| n.starts_with("horse2zebra/"),
                self.download,
            )?;
            std::fs::rename(dir.join("horse2zebra"), &images)
                .map_err(|e| FeError::io("cannot move into place", &images, e))?;
        }
        let folder = |name: &str, key: &str| -> Result<Arc<dyn Dataset>> {
            let mut b =
                DirDataset::builder(images.join(name)).data_key(key).file_extension(".jpg").recursive_search(false);
            if self.read_images {
                b = b.read_with(image_reader(ImageColor::Rgb));
            }
            let ds = b.build()?;
            if ds.is_empty() {
                return Err(FeError::Format { path: images.join(name), reason: "no .jpg images".into() });
            }
            Ok(Arc::new(ds))
        };
        let pair = |a: &str, b: &str| -> Result<BatchDataset> {
            let ds = BatchDataset::new(vec![folder(a, "A")?, folder(b, "B")?], [self.batch_size, self.batch_size])?;
            Ok(match self.seed {
                Some(s) => ds.seed(s),
                None => ds,
            })
        };
        Ok((pair("trainA", "trainB")?, pair("testA", "testB")?))
    }
}

/// FE's `horse2zebra.load_data(batch_size, root_dir)`.
pub fn load_data(batch_size: usize, root_dir: Option<&Path>) -> Result<(BatchDataset, BatchDataset)> {
    let mut loader = Horse2Zebra::new(batch_size);
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::data::cifair10::tests::zip;
    use crate::value::Value;

    fn jpeg(v: u8) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(8, 8, image::Rgb([v, v, v]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn unpaired_batches_of_horses_and_zebras() {
        let root = tempfile::tempdir().unwrap();
        let loader = Horse2Zebra::new(2).root_dir(root.path()).download(false).seed(0).read_images(true);
        std::fs::create_dir_all(loader.dir()).unwrap();
        let mut members = Vec::new();
        for (folder, n, v) in [("trainA", 3, 10u8), ("trainB", 5, 200), ("testA", 1, 10), ("testB", 2, 200)] {
            for i in 0..n {
                members.push((format!("horse2zebra/{folder}/{i}.jpg"), jpeg(v)));
            }
        }
        zip(&loader.dir().join(ARCHIVE.name), &members);
        let (train, test) = loader.load().unwrap();
        assert!(loader.dir().join("images/trainA/0.jpg").is_file());
        assert_eq!((train.len(), test.len()), (3, 1));
        let batch = train.get(0).unwrap();
        assert_eq!(batch["A"].shape(), &[2, 8, 8, 3]);
        let Value::U8(b) = &batch["B"] else { panic!() };
        assert!(b[[1, 4, 4, 0]] > 150, "zebra pixels are bright");
        assert!(Horse2Zebra::new(0).root_dir(root.path()).load().is_err());
    }
}
