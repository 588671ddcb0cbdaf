//! The Montgomery County chest X-ray set (NLM): 138 chest radiographs with manual left and
//! right lung masks, from `NLM-MontgomeryCXRSet.zip` (`MontgomerySet/CXR_png/*.png`,
//! `MontgomerySet/ManualMask/{leftMask,rightMask}/*.png`).
//!
//! As in FE, the loader writes `montgomery.csv` (columns `image`, `mask_left`, `mask_right`,
//! paths relative to the data folder) once, and returns a [`CSVDataset`] over it whose path
//! columns resolve against the data folder.

use std::path::{Path, PathBuf};

use super::archive::ensure_from_zip;
use super::download::RemoteFile;
use crate::dataset::{image_reader, CSVDataset, ImageColor};
use crate::error::{FeError, Result};

/// The folder name under the data root (FE's).
pub const NAME: &str = "Montgomery";

/// The archive (no published checksum; the content is checked after extraction).
pub const ARCHIVE: RemoteFile = RemoteFile {
    name: "NLM-MontgomeryCXRSet.zip",
    urls: &["http://openi.nlm.nih.gov/imgs/collections/NLM-MontgomeryCXRSet.zip"],
    md5: None,
    max_bytes: 2 << 30,
};

/// The CSV index FE writes.
pub const CSV: &str = "montgomery.csv";

/// The three path columns.
pub const COLUMNS: [&str; 3] = ["image", "mask_left", "mask_right"];

/// Write `montgomery.csv` for the images under `dir/MontgomerySet/CXR_png` (atomically).
pub fn write_index(dir: &Path) -> Result<PathBuf> {
    let images = dir.join("MontgomerySet").join("CXR_png");
    let mut names: Vec<String> = std::fs::read_dir(&images)
        .map_err(|e| FeError::io("cannot read", &images, e))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".png") && !n.starts_with('.'))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(FeError::Format { path: images, reason: "no .png images".into() });
    }
    let mut text = String::from("image,mask_left,mask_right\n");
    for n in &names {
        let row = [
            format!("MontgomerySet/CXR_png/{n}"),
            format!("MontgomerySet/ManualMask/leftMask/{n}"),
            format!("MontgomerySet/ManualMask/rightMask/{n}"),
        ];
        for p in &row[1..] {
            if !dir.join(p).is_file() {
                return Err(FeError::Format { path: dir.join(p), reason: format!("the mask of {n} is missing") });
            }
        }
        let quoted: Vec<String> = row.iter().map(|p| format!("\"{}\"", p.replace('"', "\"\""))).collect();
        text.push_str(&quoted.join(","));
        text.push('\n');
    }
    let path = dir.join(CSV);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| FeError::io("cannot write in", dir, e))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(|e| FeError::io("cannot write", tmp.path(), e))?;
    tmp.persist(&path).map_err(|e| FeError::io("cannot write", &path, e.error))?;
    Ok(path)
}

/// Loader options (see [`load_data`]).
#[derive(Debug, Clone)]
pub struct Montgomery {
    root_dir: Option<PathBuf>,
    download: bool,
    read_images: bool,
}

impl Default for Montgomery {
    fn default() -> Self {
        Montgomery { root_dir: None, download: true, read_images: false }
    }
}

loader_options!(
    Montgomery,
    NAME,
    read_images = "Decode the image and masks (`u8` `[H, W, 1]`) when a sample is requested, instead of \
                   returning paths.",
);

impl Montgomery {
    /// FE's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The [`CSVDataset`] of all 138 images (FE returns a single dataset).
    pub fn load(&self) -> Result<CSVDataset> {
        let dir = self.dir();
        let csv = dir.join(CSV);
        if !csv.is_file() {
            ensure_from_zip(
                "montgomery",
                &dir,
                ARCHIVE,
                "MontgomerySet",
                |n| n.starts_with("MontgomerySet/"),
                self.download,
            )?;
            write_index(&dir)?;
        }
        let mut b = CSVDataset::builder(&csv).path_columns(COLUMNS);
        if self.read_images {
            for c in COLUMNS {
                b = b.read_with(c, image_reader(ImageColor::Gray));
            }
        }
        b.build()
    }
}

/// FE's `montgomery.load_data(root_dir)`.
pub fn load_data(root_dir: Option<&Path>) -> Result<CSVDataset> {
    let mut loader = Montgomery::new();
    loader.root_dir = root_dir.map(Path::to_path_buf);
    loader.load()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::data::cifair10::tests::zip;
    use crate::dataset::{write_png, Dataset};
    use crate::value::Value;

    #[test]
    fn extracts_indexes_and_reads_lazily() {
        let root = tempfile::tempdir().unwrap();
        let loader = Montgomery::new().root_dir(root.path()).download(false);
        std::fs::create_dir_all(loader.dir()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let png = |v: u8| {
            let p = tmp.path().join("x.png");
            write_png(&p, &ndarray::ArrayD::from_elem(ndarray::IxDyn(&[4, 6]), v)).unwrap();
            std::fs::read(p).unwrap()
        };
        let mut members = vec![("__MACOSX/MontgomerySet/._junk".to_string(), vec![0u8])];
        for n in ["MCUCXR_0001_0.png", "MCUCXR_0002_1.png"] {
            members.push((format!("MontgomerySet/CXR_png/{n}"), png(100)));
            members.push((format!("MontgomerySet/ManualMask/leftMask/{n}"), png(1)));
            members.push((format!("MontgomerySet/ManualMask/rightMask/{n}"), png(2)));
        }
        zip(&loader.dir().join(ARCHIVE.name), &members);
        let ds = loader.load().unwrap();
        assert_eq!(ds.len(), 2);
        assert!(!loader.dir().join("__MACOSX").exists());
        let s = ds.get(1).unwrap();
        assert_eq!(
            s["image"],
            Value::from(loader.dir().join("MontgomerySet/CXR_png/MCUCXR_0002_1.png").display().to_string().as_str())
        );
        let ds = loader.clone().read_images(true).load().unwrap();
        let s = ds.get(0).unwrap();
        let Value::U8(mask) = &s["mask_right"] else { panic!() };
        assert_eq!((mask.shape(), mask[[0, 0, 0]]), (&[4usize, 6, 1][..], 2));
    }

    #[test]
    fn missing_mask_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("MontgomerySet/CXR_png")).unwrap();
        std::fs::write(dir.path().join("MontgomerySet/CXR_png/a.png"), b"").unwrap();
        let msg = write_index(dir.path()).unwrap_err().to_string();
        assert!(msg.contains("leftMask/a.png"), "{msg}");
    }
}
