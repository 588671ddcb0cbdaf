//! The font of the PNG and SVG charts. plotters draws text through `ab_glyph` from a TrueType
//! file read at run time, so building needs no system font library; drawing needs the file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{FeError, Result};

/// The family name the charts ask plotters for (and the SVG's `font-family`).
pub(crate) const FAMILY: &str = "sans-serif";

/// The environment variable that names another font file.
pub const FONT_ENV: &str = "FE_PLOT_FONT";

/// Where DejaVu Sans lives on common systems; the first is Debian's `fonts-dejavu-core`.
const CANDIDATES: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// The font file registered with plotters so far.
static REGISTERED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The font file to use: the one given, else `FE_PLOT_FONT`, else the first DejaVu Sans found.
fn font_path(explicit: Option<&Path>) -> PathBuf {
    if let Some(path) = explicit {
        return path.to_path_buf();
    }
    if let Some(path) = std::env::var_os(FONT_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    CANDIDATES.iter().map(PathBuf::from).find(|p| p.is_file()).unwrap_or_else(|| PathBuf::from(CANDIDATES[0]))
}

/// Make sure plotters has a font (registering it once per file). A missing file is an
/// [`FeError::Io`] that names it and the package that provides it.
pub(crate) fn ensure_font(explicit: Option<&Path>) -> Result<()> {
    let path = font_path(explicit);
    let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    if registered.as_deref() == Some(path.as_path()) {
        return Ok(());
    }
    let bytes = std::fs::read(&path).map_err(|e| {
        FeError::io(
            format!(
                "PNG and SVG charts need a TrueType font (install Debian's fonts-dejavu-core, or set {FONT_ENV} \
                 to a .ttf file); cannot read"
            ),
            &path,
            e,
        )
    })?;
    // plotters keeps fonts for the life of the program; each file is read once.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font(FAMILY, plotters::style::FontStyle::Normal, bytes)
        .map_err(|_| FeError::Format { path: path.clone(), reason: "not a TrueType or OpenType font".into() })?;
    let bold = path.with_file_name(bold_name(&path));
    if let Ok(bold_bytes) = std::fs::read(&bold) {
        let bold_bytes: &'static [u8] = Box::leak(bold_bytes.into_boxed_slice());
        // A bold face is optional: titles fall back to the regular one.
        let _ = plotters::style::register_font(FAMILY, plotters::style::FontStyle::Bold, bold_bytes);
    }
    *registered = Some(path);
    Ok(())
}

/// `DejaVuSans.ttf` → `DejaVuSans-Bold.ttf`.
fn bold_name(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "ttf".into());
    format!("{stem}-Bold.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_font_names_the_file_and_the_package() {
        let err = ensure_font(Some(Path::new("/nonexistent/NoSuchFont.ttf"))).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/nonexistent/NoSuchFont.ttf") && text.contains("fonts-dejavu-core"), "{text}");
        assert_eq!(bold_name(Path::new("/a/DejaVuSans.ttf")), "DejaVuSans-Bold.ttf");
    }
}
