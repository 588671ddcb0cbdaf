//! A drawing as a list of shapes in pixels ([`Scene`]), rendered two ways: as a PNG through
//! plotters (drawn twice the size, then scaled down, as the log charts are) and as inline SVG
//! for the HTML page, where each shape can carry a tooltip and a trial number for highlighting.
//! The charts are laid out once, so the PNG and the page show the same picture.

use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use crate::error::{FeError, Result};
use crate::summary::logs::plot::{downsample, encode_png, escape, Rgb, FAMILY};

/// Scale of the PNG's first drawing.
const SUPERSAMPLE: u32 = 2;

/// Where a text's anchor point sits on the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// Left end, vertically centred.
    Left,
    /// Centre.
    Middle,
    /// Right end, vertically centred.
    Right,
}

/// One shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// A polyline.
    Line { points: Vec<(f64, f64)>, color: Rgb, width: f64 },
    /// A filled rectangle, optionally outlined.
    Rect { from: (f64, f64), to: (f64, f64), fill: Rgb, stroke: Option<Rgb> },
    /// A filled circle.
    Circle { center: (f64, f64), radius: f64, fill: Rgb },
    /// A line of text; `vertical` turns it to read bottom-up.
    Text { at: (f64, f64), text: String, size: f64, color: Rgb, anchor: Anchor, vertical: bool, bold: bool },
}

/// A shape with what the page shows on hover.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub shape: Shape,
    /// The tooltip.
    pub tip: Option<String>,
    /// The trial the shape belongs to (the page highlights a trial's shapes together).
    pub trial: Option<usize>,
}

/// A drawing.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Scene {
    pub width: u32,
    pub height: u32,
    pub items: Vec<Item>,
}

pub(crate) const BLACK_TEXT: Rgb = [31, 41, 51];
pub(crate) const GREY: Rgb = [188, 204, 220];

impl Scene {
    pub fn new(width: u32, height: u32) -> Scene {
        Scene { width, height, items: Vec::new() }
    }

    pub fn push(&mut self, shape: Shape) {
        self.items.push(Item { shape, tip: None, trial: None });
    }

    pub fn push_tip(&mut self, shape: Shape, tip: String, trial: Option<usize>) {
        self.items.push(Item { shape, tip: Some(tip), trial });
    }

    pub fn line(&mut self, points: Vec<(f64, f64)>, color: Rgb, width: f64) {
        self.push(Shape::Line { points, color, width });
    }

    pub fn text(&mut self, at: (f64, f64), text: impl Into<String>, size: f64, anchor: Anchor) {
        self.styled_text(at, text.into(), size, anchor, false, false);
    }

    pub fn vertical_text(&mut self, at: (f64, f64), text: impl Into<String>, size: f64) {
        self.styled_text(at, text.into(), size, Anchor::Middle, true, false);
    }

    pub fn title(&mut self, at: (f64, f64), text: impl Into<String>, size: f64) {
        self.styled_text(at, text.into(), size, Anchor::Middle, false, true);
    }

    fn styled_text(&mut self, at: (f64, f64), text: String, size: f64, anchor: Anchor, vertical: bool, bold: bool) {
        self.push(Shape::Text { at, text, size, color: BLACK_TEXT, anchor, vertical, bold });
    }

    /// The scene as an encoded PNG (the font must be registered).
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let (big_w, big_h) = (self.width * SUPERSAMPLE, self.height * SUPERSAMPLE);
        let mut big = vec![255u8; big_w as usize * big_h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut big, (big_w, big_h)).into_drawing_area();
            self.draw(&root, f64::from(SUPERSAMPLE)).map_err(|e| drawing_error(&e.to_string()))?;
            root.present().map_err(|e| drawing_error(&e.to_string()))?;
        }
        let pixels = downsample(&big, self.width as usize, self.height as usize, SUPERSAMPLE as usize);
        encode_png(&pixels, self.width, self.height, "visualize_search")
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        k: f64,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let p = |(x, y): (f64, f64)| ((x * k).round() as i32, (y * k).round() as i32);
        let rgb = |c: Rgb| RGBColor(c[0], c[1], c[2]);
        for item in &self.items {
            match &item.shape {
                Shape::Line { points, color, width } => {
                    let style = rgb(*color).stroke_width((width * k).round().max(1.0) as u32);
                    root.draw(&PathElement::new(points.iter().map(|&q| p(q)).collect::<Vec<_>>(), style))?;
                }
                Shape::Rect { from, to, fill, stroke } => {
                    root.draw(&Rectangle::new([p(*from), p(*to)], rgb(*fill).filled()))?;
                    if let Some(stroke) = stroke {
                        root.draw(&Rectangle::new([p(*from), p(*to)], rgb(*stroke).stroke_width(k as u32)))?;
                    }
                }
                Shape::Circle { center, radius, fill } => {
                    root.draw(&Circle::new(p(*center), (radius * k).round() as i32, rgb(*fill).filled()))?;
                }
                Shape::Text { at, text, size, color, anchor, vertical, bold } => {
                    let style = if *bold { FontStyle::Bold } else { FontStyle::Normal };
                    let mut font = (FAMILY, size * k, style).into_font();
                    if *vertical {
                        font = font.transform(FontTransform::Rotate270);
                    }
                    let h = match anchor {
                        Anchor::Left => HPos::Left,
                        Anchor::Middle => HPos::Center,
                        Anchor::Right => HPos::Right,
                    };
                    let style =
                        TextStyle { font, color: rgb(*color).to_backend_color(), pos: Pos::new(h, VPos::Center) };
                    root.draw(&Text::new(text.clone(), p(*at), style))?;
                }
            }
        }
        Ok(())
    }

    /// The scene as an SVG element for the page: shapes with a tooltip carry `data-tip`, and
    /// those of a trial `data-trial`.
    pub fn to_svg(&self) -> String {
        let mut out = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="DejaVu Sans, sans-serif">"#,
            w = self.width,
            h = self.height
        );
        out.push_str(r##"<rect x="0" y="0" width="100%" height="100%" fill="#fff"/>"##);
        let css = |c: &Rgb| format!("rgb({},{},{})", c[0], c[1], c[2]);
        for item in &self.items {
            let mut attrs = String::new();
            if let Some(tip) = &item.tip {
                let _ = write!(attrs, r#" class="hot" data-tip="{}""#, escape(tip));
            }
            if let Some(trial) = item.trial {
                let _ = write!(attrs, r#" data-trial="{trial}""#);
            }
            let _ = match &item.shape {
                Shape::Line { points, color, width } => {
                    let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                    write!(
                        out,
                        r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{width}" stroke-linejoin="round"{attrs}/>"#,
                        pts.join(" "),
                        css(color)
                    )
                }
                Shape::Rect { from, to, fill, stroke } => write!(
                    out,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"{}{attrs}/>"#,
                    from.0.min(to.0),
                    from.1.min(to.1),
                    (to.0 - from.0).abs(),
                    (to.1 - from.1).abs(),
                    css(fill),
                    stroke.map_or(String::new(), |s| format!(r#" stroke="{}""#, css(&s)))
                ),
                Shape::Circle { center, radius, fill } => write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="{radius}" fill="{}"{attrs}/>"#,
                    center.0,
                    center.1,
                    css(fill)
                ),
                Shape::Text { at, text, size, color, anchor, vertical, bold } => {
                    let anchor = match anchor {
                        Anchor::Left => "start",
                        Anchor::Middle => "middle",
                        Anchor::Right => "end",
                    };
                    let rotate = if *vertical {
                        format!(r#" transform="rotate(-90 {:.1} {:.1})""#, at.0, at.1)
                    } else {
                        String::new()
                    };
                    write!(
                        out,
                        r#"<text x="{:.1}" y="{:.1}" font-size="{size}" fill="{}" text-anchor="{anchor}" dominant-baseline="central"{}{rotate}{attrs}>{}</text>"#,
                        at.0,
                        at.1,
                        css(color),
                        if *bold { r#" font-weight="bold""# } else { "" },
                        escape(text)
                    )
                }
            };
        }
        out.push_str("</svg>");
        out
    }
}

fn drawing_error(reason: &str) -> FeError {
    FeError::InvalidValue {
        consumer: "visualize_search".into(),
        key: "PNG".into(),
        reason: format!("drawing failed: {reason}"),
    }
}
