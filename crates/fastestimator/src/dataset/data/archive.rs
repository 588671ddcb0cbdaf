//! Safe extraction of the `.tar.gz` and `.zip` archives some loaders download.
//!
//! Members are written under the destination only: absolute paths and `..` components are
//! refused, links and special files are skipped, and each member's size is capped. Extraction
//! goes to a temporary folder inside the destination first; its top-level entries are then
//! renamed into place, so a folder that exists is always complete.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use fastestimator_formats::MAX_DECOMPRESSED_BYTES;

use super::download::{ensure_files, RemoteFile};
use crate::error::{FeError, Result};

/// A relative path made only of normal components, or `None`.
fn safe_relative(name: &str) -> Option<PathBuf> {
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Copy at most [`MAX_DECOMPRESSED_BYTES`] from `reader` into a new file at `dest`.
fn write_member(reader: impl Read, dest: &Path, archive: &Path, member: &str) -> Result<()> {
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| FeError::io("cannot create", parent, e))?;
    }
    let mut file = std::fs::File::create(dest).map_err(|e| FeError::io("cannot write", dest, e))?;
    let copied = std::io::copy(&mut reader.take(MAX_DECOMPRESSED_BYTES + 1), &mut file)
        .map_err(|e| FeError::Format { path: archive.to_path_buf(), reason: format!("member {member}: {e}") })?;
    if copied > MAX_DECOMPRESSED_BYTES {
        return Err(FeError::Format {
            path: archive.to_path_buf(),
            reason: format!("member {member} is larger than {MAX_DECOMPRESSED_BYTES} bytes"),
        });
    }
    Ok(())
}

/// Move every top-level entry of `staging` into `dest` (entries already there are kept).
fn publish(staging: &Path, dest: &Path) -> Result<usize> {
    let mut moved = 0;
    for entry in std::fs::read_dir(staging).map_err(|e| FeError::io("cannot read", staging, e))? {
        let entry = entry.map_err(|e| FeError::io("cannot read", staging, e))?;
        let target = dest.join(entry.file_name());
        if target.exists() {
            continue;
        }
        std::fs::rename(entry.path(), &target).map_err(|e| FeError::io("cannot move into place", &target, e))?;
        moved += 1;
    }
    Ok(moved)
}

/// Extract the members of a `.tar.gz` for which `select` returns a destination (relative to
/// `dest`). Returns how many members were extracted.
pub fn extract_tar_gz(archive: &Path, dest: &Path, select: impl Fn(&str) -> Option<PathBuf>) -> Result<usize> {
    std::fs::create_dir_all(dest).map_err(|e| FeError::io("cannot create", dest, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".extract-")
        .tempdir_in(dest)
        .map_err(|e| FeError::io("cannot create a temporary folder in", dest, e))?;
    let file = std::fs::File::open(archive).map_err(|e| FeError::io("cannot read", archive, e))?;
    let bad =
        |e: std::io::Error| FeError::Format { path: archive.to_path_buf(), reason: format!("corrupt tar.gz: {e}") };
    let mut tar = tar::Archive::new(flate2::read::MultiGzDecoder::new(file));
    let mut count = 0;
    for entry in tar.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let Some(target) = select(&name).and_then(|t| safe_relative(&t.to_string_lossy())) else {
            continue;
        };
        write_member(entry, &staging.path().join(target), archive, &name)?;
        count += 1;
    }
    publish(staging.path(), dest)?;
    Ok(count)
}

/// Extract the members of a `.zip` whose names pass `keep`, keeping their relative paths.
/// Returns how many files were extracted.
pub fn extract_zip(archive: &Path, dest: &Path, keep: impl Fn(&str) -> bool) -> Result<usize> {
    std::fs::create_dir_all(dest).map_err(|e| FeError::io("cannot create", dest, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".extract-")
        .tempdir_in(dest)
        .map_err(|e| FeError::io("cannot create a temporary folder in", dest, e))?;
    let file = std::fs::File::open(archive).map_err(|e| FeError::io("cannot read", archive, e))?;
    let bad =
        |e: zip::result::ZipError| FeError::Format { path: archive.to_path_buf(), reason: format!("corrupt zip: {e}") };
    let mut zip = zip::ZipArchive::new(file).map_err(bad)?;
    let mut count = 0;
    for i in 0..zip.len() {
        let member = zip.by_index(i).map_err(bad)?;
        let name = member.name().to_string();
        if member.is_dir() || !keep(&name) {
            continue;
        }
        let Some(target) = safe_relative(&name) else {
            continue;
        };
        write_member(member, &staging.path().join(target), archive, &name)?;
        count += 1;
    }
    publish(staging.path(), dest)?;
    Ok(count)
}

/// Make sure the files `members` (paths relative to `dir`, as inside the archive) exist: if
/// any is missing, extract them from `archive` in `dir` (downloading it first when allowed). The
/// offline error names the archive, and also the extracted files as an alternative.
pub fn ensure_from_tar_gz(
    dataset: &str,
    dir: &Path,
    archive: RemoteFile,
    members: &[&str],
    download: bool,
) -> Result<()> {
    if members.iter().all(|m| dir.join(m).is_file()) {
        return Ok(());
    }
    let archive_path = ensure_files(dataset, dir, &[archive], download).map_err(|e| with_alternative(e, members))?;
    extract_tar_gz(&archive_path[0], dir, |name| {
        let name = name.trim_start_matches("./");
        members.contains(&name).then(|| PathBuf::from(name))
    })?;
    check_extracted(dir, &archive_path[0], members)
}

/// Make sure `folder` (relative to `dir`) exists: if not, extract `archive`'s members that pass
/// `keep` into `dir` (downloading the archive first when allowed), then check that `folder`
/// appeared.
pub fn ensure_from_zip(
    dataset: &str,
    dir: &Path,
    archive: RemoteFile,
    folder: &str,
    keep: impl Fn(&str) -> bool,
    download: bool,
) -> Result<()> {
    if dir.join(folder).is_dir() {
        return Ok(());
    }
    let archive_path = ensure_files(dataset, dir, &[archive], download).map_err(|e| with_alternative(e, &[folder]))?;
    extract_zip(&archive_path[0], dir, keep)?;
    if !dir.join(folder).is_dir() {
        return Err(FeError::Format {
            path: archive_path[0].clone(),
            reason: format!("the archive does not contain the folder {folder}/"),
        });
    }
    Ok(())
}

fn check_extracted(dir: &Path, archive: &Path, members: &[&str]) -> Result<()> {
    let absent: Vec<&str> = members.iter().copied().filter(|m| !dir.join(m).is_file()).collect();
    if absent.is_empty() {
        Ok(())
    } else {
        Err(FeError::Format { path: archive.to_path_buf(), reason: format!("the archive lacks {}", absent.join(", ")) })
    }
}

/// Mention the extracted form in a missing-archive error.
fn with_alternative(e: FeError, extracted: &[&str]) -> FeError {
    match e {
        FeError::MissingData { dataset, dir, files, cause } => {
            let note = format!("(or its extracted content: {})", extracted.join(", "));
            let cause = Some(match cause {
                Some(c) => format!("{c}\n{note}"),
                None => note,
            });
            FeError::MissingData { dataset, dir, files, cause }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn safe_relative_refuses_escapes() {
        assert_eq!(safe_relative("a/./b.png"), Some(PathBuf::from("a/b.png")));
        assert_eq!(safe_relative("../etc/passwd"), None);
        assert_eq!(safe_relative("/etc/passwd"), None);
        assert_eq!(safe_relative(""), None);
    }

    #[test]
    fn tar_gz_selected_members_only() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("x.tar.gz");
        let gz = flate2::write::GzEncoder::new(std::fs::File::create(&archive).unwrap(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        for (name, data) in [("top/a.bin", &b"aaa"[..]), ("top/skip.txt", b"s")] {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        let out = dir.path().join("out");
        let n = extract_tar_gz(&archive, &out, |n| n.ends_with(".bin").then(|| PathBuf::from(n))).unwrap();
        assert_eq!(n, 1);
        assert_eq!(std::fs::read(out.join("top/a.bin")).unwrap(), b"aaa");
        assert!(!out.join("top/skip.txt").exists());

        // A corrupt archive is a clear error naming it.
        std::fs::write(&archive, b"\x1f\x8bnot really").unwrap();
        let msg = extract_tar_gz(&archive, &out, |n| Some(PathBuf::from(n))).unwrap_err().to_string();
        assert!(msg.contains("x.tar.gz"), "{msg}");
    }

    #[test]
    fn zip_with_filter_and_escape() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("x.zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
        let opts = zip::write::FileOptions::default();
        for (name, data) in [("set/a.png", &b"A"[..]), ("__MACOSX/set/a.png", b"junk"), ("../evil", b"e")] {
            w.start_file(name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
        let out = dir.path().join("out");
        let n = extract_zip(&archive, &out, |n| !n.starts_with("__MACOSX")).unwrap();
        assert_eq!(n, 1);
        assert_eq!(std::fs::read(out.join("set/a.png")).unwrap(), b"A");
        assert!(!dir.path().join("evil").exists());
        std::fs::write(&archive, b"PK garbage").unwrap();
        assert!(extract_zip(&archive, &out, |_| true).unwrap_err().to_string().contains("x.zip"));
    }
}
