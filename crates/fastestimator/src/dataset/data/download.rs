//! Where loaders keep their files, and how they fetch them: FE's `root_dir` convention,
//! checksum-verified atomic downloads, and the error that says what to put where when offline.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use md5::{Digest, Md5};

pub use crate::error::{missing_message, MissingFile};
use crate::error::{FeError, Result};

/// Connect timeout for downloads.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Read timeout for downloads (per read call, not for the whole file).
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// A file a loader needs, and where it is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteFile {
    /// The file name inside the dataset folder.
    pub name: &'static str,
    /// Download locations, tried in order.
    pub urls: &'static [&'static str],
    /// The published MD5 (lowercase hex), when one exists. Without one, a download is only
    /// size-checked and the loader's parser validates the content.
    pub md5: Option<&'static str>,
    /// The largest size accepted for a download, in bytes.
    pub max_bytes: u64,
}

/// `~/fastestimator_data` (or `./fastestimator_data` without a home directory).
pub fn data_home() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join("fastestimator_data"))
        .unwrap_or_else(|| PathBuf::from("fastestimator_data"))
}

/// FE's folder convention: `root_dir/<name>` when a root is given, else
/// `~/fastestimator_data/<name>`.
pub fn dataset_dir(root_dir: Option<&Path>, name: &str) -> PathBuf {
    match root_dir {
        Some(root) => root.join(name),
        None => data_home().join(name),
    }
}

/// Build [`FeError::MissingData`] for `files`.
pub fn missing_error(dataset: &str, dir: &Path, files: &[RemoteFile], cause: Option<String>) -> FeError {
    FeError::MissingData {
        dataset: dataset.to_string(),
        dir: dir.to_path_buf(),
        files: files
            .iter()
            .map(|f| MissingFile {
                name: f.name.to_string(),
                source: f.urls.first().copied().unwrap_or("").to_string(),
            })
            .collect(),
        cause,
    }
}

/// Make sure every file in `files` is in `dir`: those present are used as they are (the cache);
/// missing ones are downloaded when `download` is true, else the error lists them.
/// Returns the paths, in the order of `files`.
pub fn ensure_files(dataset: &str, dir: &Path, files: &[RemoteFile], download: bool) -> Result<Vec<PathBuf>> {
    let missing: Vec<RemoteFile> = files.iter().copied().filter(|f| !dir.join(f.name).is_file()).collect();
    if !missing.is_empty() {
        if !download {
            return Err(missing_error(dataset, dir, &missing, None));
        }
        std::fs::create_dir_all(dir).map_err(|e| FeError::io("cannot create", dir, e))?;
        for (i, file) in missing.iter().enumerate() {
            let mut failures = Vec::new();
            let mut stored = false;
            for url in file.urls {
                match download_to(url, dir, file.name, file.md5, file.max_bytes) {
                    Ok(()) => {
                        stored = true;
                        break;
                    }
                    Err(e @ FeError::Checksum { .. }) => return Err(e),
                    Err(e) => failures.push(e.to_string()),
                }
            }
            if !stored {
                return Err(missing_error(
                    dataset,
                    dir,
                    &missing[i..],
                    Some(format!("Download failed: {}", failures.join("; "))),
                ));
            }
        }
    }
    Ok(files.iter().map(|f| dir.join(f.name)).collect())
}

/// Where `file` is in `dir`, if it is there. A gzip-compressed file (`name` ending in `.gz`) may
/// also sit there uncompressed, without the suffix; that form is preferred.
pub fn find_file(dir: &Path, file: &RemoteFile) -> Option<PathBuf> {
    let plain = file.name.strip_suffix(".gz").map(|stem| dir.join(stem)).filter(|p| p.is_file());
    plain.or_else(|| Some(dir.join(file.name)).filter(|p| p.is_file()))
}

/// [`ensure_files`] for files that may also be present uncompressed (see [`find_file`]): only
/// files found in neither form are missing. Returns the paths, in the order of `files`.
pub fn ensure_gz_files(dataset: &str, dir: &Path, files: &[RemoteFile], download: bool) -> Result<Vec<PathBuf>> {
    let missing: Vec<RemoteFile> = files.iter().copied().filter(|f| find_file(dir, f).is_none()).collect();
    if !missing.is_empty() {
        ensure_files(dataset, dir, &missing, download)?;
    }
    Ok(files.iter().map(|f| find_file(dir, f).unwrap_or_else(|| dir.join(f.name))).collect())
}

/// Download `url` into `dir/name`: streamed into a temporary file in `dir` while the MD5 is
/// computed, fsynced, verified, then renamed into place. Nothing is left behind on failure.
pub fn download_to(url: &str, dir: &Path, name: &str, md5: Option<&str>, max_bytes: u64) -> Result<()> {
    let agent = ureq::AgentBuilder::new().timeout_connect(CONNECT_TIMEOUT).timeout_read(READ_TIMEOUT).build();
    // ureq's message already names the URL.
    let response =
        agent.get(url).call().map_err(|e| FeError::User { context: "download".into(), reason: e.to_string() })?;
    crate::output::emit(
        crate::output::Channel::Notice,
        &format!("FastEstimator: downloading {url} to {}", dir.join(name).display()),
    );
    store_stream(response.into_reader(), url, dir, name, md5, max_bytes)
}

/// Write `reader` atomically to `dir/name`, checking its size and MD5 (see [`download_to`]).
pub fn store_stream(
    mut reader: impl Read,
    source: &str,
    dir: &Path,
    name: &str,
    md5: Option<&str>,
    max_bytes: u64,
) -> Result<()> {
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.part-"))
        .tempfile_in(dir)
        .map_err(|e| FeError::io("cannot create a temporary file in", dir, e))?;
    let mut hasher = Md5::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    {
        let mut file = tmp.as_file();
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(FeError::User { context: source.to_string(), reason: e.to_string() }),
            };
            total += n as u64;
            if total > max_bytes {
                return Err(FeError::User {
                    context: source.to_string(),
                    reason: format!("larger than the expected maximum of {max_bytes} bytes"),
                });
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n]).map_err(|e| FeError::io("cannot write", tmp.path(), e))?;
        }
        file.sync_all().map_err(|e| FeError::io("cannot write", tmp.path(), e))?;
    }
    if let Some(expected) = md5 {
        let actual = hex(&hasher.finalize());
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(FeError::Checksum { url: source.to_string(), expected: expected.to_string(), actual });
        }
    }
    let dest = dir.join(name);
    tmp.persist(&dest).map_err(|e| FeError::io("cannot write", &dest, e.error))?;
    Ok(())
}

/// The lowercase hex MD5 of a file.
pub fn md5_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| FeError::io("cannot read", path, e))?;
    let mut hasher = Md5::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| FeError::io("cannot read", path, e))?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: RemoteFile = RemoteFile {
        name: "a.bin",
        urls: &["https://example.invalid/a.bin"],
        md5: Some("900150983cd24fb0d6963f7d28e17f72"),
        max_bytes: 10,
    };

    #[test]
    fn dataset_dir_follows_fe() {
        assert_eq!(dataset_dir(Some(Path::new("/data")), "USPS"), PathBuf::from("/data/USPS"));
        assert!(dataset_dir(None, "USPS").ends_with("fastestimator_data/USPS"));
    }

    #[test]
    fn offline_error_lists_files_and_folder() {
        let dir = tempfile::tempdir().unwrap();
        let err = ensure_files("demo", dir.path(), &[FILE], false).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, FeError::MissingData { .. }));
        assert!(msg.contains("a.bin") && msg.contains("https://example.invalid/a.bin"), "{msg}");
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
        // Present files are the cache.
        std::fs::write(dir.path().join("a.bin"), b"abc").unwrap();
        assert_eq!(ensure_files("demo", dir.path(), &[FILE], false).unwrap(), vec![dir.path().join("a.bin")]);
    }

    #[test]
    fn gz_files_may_be_present_uncompressed() {
        const GZ: RemoteFile = RemoteFile { name: "b.bin.gz", urls: &["https://example.invalid/b.bin.gz"], ..FILE };
        let dir = tempfile::tempdir().unwrap();
        let err = ensure_gz_files("demo", dir.path(), &[FILE, GZ], false).unwrap_err();
        assert!(matches!(&err, FeError::MissingData { files, .. } if files.len() == 2), "{err}");
        std::fs::write(dir.path().join("a.bin"), b"abc").unwrap();
        std::fs::write(dir.path().join("b.bin.gz"), b"gz").unwrap();
        assert_eq!(find_file(dir.path(), &GZ), Some(dir.path().join("b.bin.gz")));
        // The uncompressed form wins over the .gz file.
        std::fs::write(dir.path().join("b.bin"), b"plain").unwrap();
        let paths = ensure_gz_files("demo", dir.path(), &[FILE, GZ], false).unwrap();
        assert_eq!(paths, vec![dir.path().join("a.bin"), dir.path().join("b.bin")]);
        // Only the .gz form is missing-listed when neither form is there.
        std::fs::remove_file(dir.path().join("b.bin")).unwrap();
        std::fs::remove_file(dir.path().join("b.bin.gz")).unwrap();
        let err = ensure_gz_files("demo", dir.path(), &[FILE, GZ], false).unwrap_err();
        assert!(
            matches!(&err, FeError::MissingData { files, .. } if files.iter().map(|f| f.name.as_str()).eq(["b.bin.gz"])),
            "{err}"
        );
    }

    #[test]
    fn store_checks_md5_and_size_atomically() {
        let dir = tempfile::tempdir().unwrap();
        store_stream(&b"abc"[..], "test://a", dir.path(), "a.bin", FILE.md5, 10).unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), b"abc");
        assert_eq!(md5_file(&dir.path().join("a.bin")).unwrap(), "900150983cd24fb0d6963f7d28e17f72");
        let err = store_stream(&b"abd"[..], "test://b", dir.path(), "b.bin", FILE.md5, 10).unwrap_err();
        assert!(matches!(err, FeError::Checksum { .. }), "{err}");
        let err = store_stream(&[0u8; 11][..], "test://c", dir.path(), "c.bin", None, 10).unwrap_err();
        assert!(err.to_string().contains("maximum"), "{err}");
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, vec!["a.bin".to_string()]);
    }
}
