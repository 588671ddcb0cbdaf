//! [`HtmlPage`]: a small builder of self-contained HTML report pages.
//!
//! Everything a page shows is inside the one file: the stylesheet is embedded, pictures are
//! `data:image/png;base64,` URLs, and nothing is loaded from the network (no scripts, fonts or
//! stylesheets from elsewhere). Text given to the builder is escaped; only [`HtmlPage::raw`] and
//! the `*_html` table cells take markup as it is. The page is also well-formed XML (void
//! elements are self-closed), so a test can parse it with an XML parser.

use std::path::Path;

use base64::Engine as _;

use crate::error::Result;

/// Escape text for an HTML element or a double-quoted attribute (`&`, `<`, `>`, `"`).
pub fn escape(text: &str) -> String {
    crate::summary::logs::plot::escape(text)
}

/// Write `bytes` to `path` atomically: into a temporary file in the same folder, synced, then
/// renamed into place, so a reader sees the old file or the whole new one. The folder must
/// exist; a folder that cannot be written is an [`crate::error::FeError::Io`] naming it.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    crate::summary::logs::plot::write_atomically(path.as_ref(), bytes)
}

/// The `data:` URL of an encoded PNG, for an `<img src=...>` that needs no other file.
pub fn png_data_url(png: &[u8]) -> String {
    format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png))
}

/// An `<img>` element showing an encoded PNG inline; `alt` is its text alternative.
pub fn img_tag(png: &[u8], alt: &str) -> String {
    format!(r#"<img src="{}" alt="{}" />"#, png_data_url(png), escape(alt))
}

/// The look of a [`badge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Badge {
    /// Green: a test that passed.
    Pass,
    /// Red: a test that failed.
    Fail,
    /// Grey: neutral information (a count, a type).
    Info,
}

/// A small coloured label (`PASS` / `FAIL`, or any text) as an HTML fragment, for a table cell
/// given to [`HtmlPage::table_html`] or for [`HtmlPage::raw`].
pub fn badge(kind: Badge, text: &str) -> String {
    let class = match kind {
        Badge::Pass => "pass",
        Badge::Fail => "fail",
        Badge::Info => "info",
    };
    format!(r#"<span class="badge {class}">{}</span>"#, escape(text))
}

/// A self-contained HTML page, built top to bottom. Each method appends to the body and returns
/// the page for chaining; [`HtmlPage::finish`] gives the whole document.
///
/// ```
/// use fastestimator::trace::report::html::{badge, Badge, HtmlPage};
///
/// let mut page = HtmlPage::new("Model tests");
/// page.heading(2, "Summary")
///     .paragraph("2 tests, 1 failed")
///     .table_html(&["test", "result"], vec![vec!["accuracy > 0.9".into(), badge(Badge::Fail, "FAIL")]]);
/// let html = page.finish();
/// assert!(html.starts_with("<!DOCTYPE html>"));
/// assert!(html.contains("<title>Model tests</title>"));
/// ```
#[derive(Debug, Clone)]
pub struct HtmlPage {
    title: String,
    subtitle: Option<String>,
    body: String,
}

impl HtmlPage {
    /// An empty page; `title` is the browser title and the page's top heading.
    pub fn new(title: impl Into<String>) -> Self {
        HtmlPage { title: title.into(), subtitle: None, body: String::new() }
    }

    /// A grey line under the top heading (a date, a run name).
    pub fn subtitle(&mut self, text: &str) -> &mut Self {
        self.subtitle = Some(text.to_string());
        self
    }

    /// A heading; `level` is clamped to 1..=6 (the page title is the one level-1 heading, so
    /// sections use 2 and below).
    pub fn heading(&mut self, level: u8, text: &str) -> &mut Self {
        let level = level.clamp(1, 6);
        self.body.push_str(&format!("<h{level}>{}</h{level}>\n", escape(text)));
        self
    }

    /// A paragraph of text.
    pub fn paragraph(&mut self, text: &str) -> &mut Self {
        self.body.push_str(&format!("<p>{}</p>\n", escape(text)));
        self
    }

    /// A bulleted list of text items.
    pub fn list(&mut self, items: &[String]) -> &mut Self {
        self.body.push_str("<ul>\n");
        for item in items {
            self.body.push_str(&format!("<li>{}</li>\n", escape(item)));
        }
        self.body.push_str("</ul>\n");
        self
    }

    /// A table of text cells (escaped). Rows shorter than `headers` are padded with empty cells.
    pub fn table(&mut self, headers: &[&str], rows: Vec<Vec<String>>) -> &mut Self {
        let rows = rows.into_iter().map(|row| row.iter().map(|cell| escape(cell)).collect()).collect();
        self.table_html(headers, rows)
    }

    /// A table whose cells are HTML fragments, taken as they are (badges, images, links within
    /// the page); the headers are text.
    pub fn table_html(&mut self, headers: &[&str], rows: Vec<Vec<String>>) -> &mut Self {
        self.body.push_str("<table>\n<thead><tr>");
        for header in headers {
            self.body.push_str(&format!("<th>{}</th>", escape(header)));
        }
        self.body.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            self.body.push_str("<tr>");
            let width = row.len().max(headers.len());
            for i in 0..width {
                self.body.push_str(&format!("<td>{}</td>", row.get(i).map(String::as_str).unwrap_or("")));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody>\n</table>\n");
        self
    }

    /// A row of summary figures (label above a large value), e.g. tests / passed / failed; a
    /// [`Badge`] colours each value.
    pub fn stats(&mut self, items: &[(&str, String, Badge)]) -> &mut Self {
        self.body.push_str("<div class=\"stats\">\n");
        for (label, value, kind) in items {
            let class = match kind {
                Badge::Pass => "pass",
                Badge::Fail => "fail",
                Badge::Info => "info",
            };
            self.body.push_str(&format!(
                "<div class=\"stat {class}\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>\n",
                escape(label),
                escape(value)
            ));
        }
        self.body.push_str("</div>\n");
        self
    }

    /// An encoded PNG shown inline (a `data:` URL) in a figure with a caption.
    pub fn image_png(&mut self, png: &[u8], caption: &str) -> &mut Self {
        self.body.push_str(&format!(
            "<figure>{}<figcaption>{}</figcaption></figure>\n",
            img_tag(png, caption),
            escape(caption)
        ));
        self
    }

    /// A gallery of small inline PNGs, each with its caption (failing instances, samples).
    pub fn gallery(&mut self, images: &[(Vec<u8>, String)]) -> &mut Self {
        self.body.push_str("<div class=\"gallery\">\n");
        for (png, caption) in images {
            self.body.push_str(&format!(
                "<figure>{}<figcaption>{}</figcaption></figure>\n",
                img_tag(png, caption),
                escape(caption)
            ));
        }
        self.body.push_str("</div>\n");
        self
    }

    /// A pre-formatted block of text (JSON, a configuration).
    pub fn preformatted(&mut self, text: &str) -> &mut Self {
        self.body.push_str(&format!("<pre>{}</pre>\n", escape(text)));
        self
    }

    /// An HTML fragment taken as it is (an inline SVG, a badge). The caller keeps it
    /// self-contained and well-formed.
    pub fn raw(&mut self, html: &str) -> &mut Self {
        self.body.push_str(html);
        if !html.ends_with('\n') {
            self.body.push('\n');
        }
        self
    }

    /// A `<section>` with an id (for links within the page) and a level-2 heading, whose content
    /// `fill` writes. Sections may nest.
    pub fn section(&mut self, id: &str, title: &str, fill: impl FnOnce(&mut HtmlPage)) -> &mut Self {
        self.body.push_str(&format!("<section id=\"{}\">\n<h2>{}</h2>\n", escape(&anchor(id)), escape(title)));
        fill(self);
        self.body.push_str("</section>\n");
        self
    }

    /// The whole document.
    pub fn finish(&self) -> String {
        let subtitle =
            self.subtitle.as_deref().map(|s| format!("<p class=\"sub\">{}</p>\n", escape(s))).unwrap_or_default();
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n\
             <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
             <header><h1>{title}</h1>\n{subtitle}</header>\n{body}</main>\n</body>\n</html>\n",
            title = escape(&self.title),
            body = self.body,
        )
    }
}

/// An id usable in a URL fragment: letters, digits, `-` and `_`; anything else becomes `-`.
pub fn anchor(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect()
}

const CSS: &str = r#"
:root { color-scheme: light; }
body { margin: 0; background: #f5f7fa; color: #1f2933; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; min-height: 100vh; box-sizing: border-box; }
header { border-bottom: 2px solid #e4e9f0; margin-bottom: 16px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #e4e9f0; }
h3 { font-size: 17px; margin: 20px 0 6px; }
h4, h5, h6 { font-size: 15px; margin: 16px 0 4px; }
.sub { margin: 0 0 12px; color: #616e7c; }
p { margin: 6px 0 10px; }
table { border-collapse: collapse; margin: 8px 0 16px; width: 100%; font-size: 14px; }
th, td { border: 1px solid #cbd2d9; padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #eef2f7; font-weight: 600; }
tbody tr:nth-child(even) { background: #fafbfc; }
td code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
pre { background: #f5f7fa; border: 1px solid #e4e9f0; border-radius: 4px; padding: 8px 10px; overflow-x: auto; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px; font-weight: 700; letter-spacing: 0.04em; color: #fff; white-space: nowrap; }
.badge.pass { background: #2f9e44; }
.badge.fail { background: #e03131; }
.badge.info { background: #7b8794; }
.stats { display: flex; gap: 12px; flex-wrap: wrap; margin: 12px 0 16px; }
.stat { flex: 1 1 140px; border: 1px solid #e4e9f0; border-top-width: 4px; border-radius: 6px; padding: 8px 14px; }
.stat .label { color: #616e7c; font-size: 13px; }
.stat .value { font-size: 26px; font-weight: 700; }
.stat.pass { border-top-color: #2f9e44; } .stat.pass .value { color: #2b8a3e; }
.stat.fail { border-top-color: #e03131; } .stat.fail .value { color: #c92a2a; }
.stat.info { border-top-color: #7b8794; }
figure { margin: 8px 0 16px; }
figure img { max-width: 100%; height: auto; border: 1px solid #e4e9f0; }
figcaption { color: #616e7c; font-size: 13px; margin-top: 2px; }
.gallery { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 16px; }
.gallery figure { margin: 0; text-align: center; }
.gallery img { width: 96px; height: 96px; object-fit: contain; image-rendering: pixelated; background: #000; }
td img { height: 64px; width: auto; max-width: 160px; image-rendering: pixelated; vertical-align: middle; }
section { margin-bottom: 8px; }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_markup_is_kept_only_where_asked() {
        let mut page = HtmlPage::new("a < b & \"c\"");
        page.heading(2, "<script>x</script>").paragraph("1 < 2").raw("<b>bold</b>");
        page.table(&["k<"], vec![vec!["<i>".into()]]);
        page.table_html(&["v"], vec![vec![badge(Badge::Pass, "PASS")]]);
        let html = page.finish();
        assert!(html.contains("<title>a &lt; b &amp; &quot;c&quot;</title>"));
        assert!(html.contains("<h2>&lt;script&gt;x&lt;/script&gt;</h2>"));
        assert!(!html.contains("<script"));
        assert!(html.contains("<p>1 &lt; 2</p>"));
        assert!(html.contains("<b>bold</b>"));
        assert!(html.contains("<th>k&lt;</th>") && html.contains("<td>&lt;i&gt;</td>"));
        assert!(html.contains(r#"<td><span class="badge pass">PASS</span></td>"#));
    }

    #[test]
    fn the_page_is_well_formed_and_self_contained() {
        let mut page = HtmlPage::new("Report");
        page.subtitle("today").stats(&[("Tests", "3".into(), Badge::Info), ("Failed", "1".into(), Badge::Fail)]);
        page.section("summary one", "Summary", |p| {
            p.list(&["a".into(), "b".into()]).preformatted("{\"x\": 1}");
            p.section("inner", "Inner", |p| {
                p.table(&["a", "b"], vec![vec!["1".into()]]);
            });
        });
        page.image_png(&[137, 80, 78, 71], "a picture").gallery(&[(vec![1, 2, 3], "id 7".into())]);
        let html = page.finish();
        let xml = html.trim_start_matches("<!DOCTYPE html>");
        let doc = roxmltree::Document::parse(xml).expect("well-formed");
        let sections: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("section")).collect();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].attribute("id"), Some("summary-one"));
        let imgs: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("img")).collect();
        assert_eq!(imgs.len(), 2);
        assert_eq!(imgs[0].attribute("src"), Some("data:image/png;base64,iVBORw=="));
        assert_eq!(imgs[1].attribute("alt"), Some("id 7"));
        // A short row is padded to the header's width.
        let cells = doc.descendants().filter(|n| n.has_tag_name("td")).count();
        assert_eq!(cells, 2);
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script") && !html.contains("<link"));
    }

    #[test]
    fn headings_clamp_their_level_and_anchors_are_url_safe() {
        let mut page = HtmlPage::new("t");
        page.heading(0, "zero").heading(9, "nine");
        let html = page.finish();
        assert!(html.contains("<h1>zero</h1>") && html.contains("<h6>nine</h6>"));
        assert_eq!(anchor("a b/c_d-1"), "a-b-c_d-1");
    }

    #[test]
    fn write_atomic_writes_the_whole_file_and_names_a_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.html");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two two");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1);
        let missing = dir.path().join("no/such/folder/page.html");
        let err = write_atomic(&missing, b"x").unwrap_err();
        assert!(matches!(err, crate::error::FeError::Io { .. }), "{err}");
        assert!(err.to_string().contains("no/such/folder"), "{err}");
    }
}
