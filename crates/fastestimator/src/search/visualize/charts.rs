//! The three layouts FE chooses between: a line per result against one parameter
//! (`cartesian`), a heatmap per result over two parameters, and parallel coordinates.

use super::axis::{ColorScale, Scale};
use super::data::{format_number, Column, SearchData};
use super::scene::{Anchor, Scene, Shape, GREY};
use crate::summary::logs::plot::{colors, natural_order, Rgb};

/// The space the figure title takes.
const TITLE: f64 = 44.0;
const FONT: f64 = 13.0;
const SMALL: f64 = 11.0;
const GRID: Rgb = [236, 240, 244];

/// A plotting rectangle: left, top, width, height.
#[derive(Debug, Clone, Copy)]
struct Frame {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Frame {
    fn at(&self, fx: f64, fy: f64) -> (f64, f64) {
        (self.x + fx * self.w, self.y + (1.0 - fy) * self.h)
    }
}

/// `rows × cols` for `n` charts, rows first (FE's cartesian grid: `rows = ceil(sqrt(n))`).
fn grid(n: usize) -> (usize, usize) {
    let rows = (n as f64).sqrt().ceil().max(1.0) as usize;
    (rows, n.div_ceil(rows).max(1))
}

fn add_title(scene: &mut Scene, title: &str) {
    scene.title((f64::from(scene.width) / 2.0, TITLE / 2.0), title, 18.0);
}

/// Axis lines, grid lines and tick labels of a frame.
fn axes(scene: &mut Scene, f: Frame, x: &Scale, y: &Scale, x_name: &str, y_name: &str) {
    for (fx, label) in x.ticks() {
        let (px, _) = f.at(fx, 0.0);
        scene.line(vec![(px, f.y), (px, f.y + f.h)], GRID, 1.0);
        scene.text((px, f.y + f.h + 12.0), label, SMALL, Anchor::Middle);
    }
    for (fy, label) in y.ticks() {
        let (_, py) = f.at(0.0, fy);
        scene.line(vec![(f.x, py), (f.x + f.w, py)], GRID, 1.0);
        scene.text((f.x - 6.0, py), label, SMALL, Anchor::Right);
    }
    scene.line(vec![(f.x, f.y), (f.x, f.y + f.h), (f.x + f.w, f.y + f.h)], GREY, 1.0);
    scene.text((f.x + f.w / 2.0, f.y + f.h + 34.0), x_name, FONT, Anchor::Middle);
    scene.vertical_text((f.x - 62.0, f.y + f.h / 2.0), y_name, FONT);
}

/// One chart per result against the only parameter (FE's `plot_cartesian`): lines and markers,
/// markers only when an ignored parameter varies (the points are then not one series).
pub(crate) fn cartesian(data: &SearchData, title: &str) -> Scene {
    const CELL: (f64, f64) = (520.0, 360.0);
    let param = &data.params[0];
    let (rows, cols) = grid(data.results.len());
    let mut scene = Scene::new((cols as f64 * CELL.0) as u32, (TITLE + rows as f64 * CELL.1) as u32);
    add_title(&mut scene, title);
    let palette = colors(data.results.len());
    let x = Scale::of_param(param, 0.05);
    let mut order: Vec<usize> = (0..param.values.len()).collect();
    order.sort_by(|&a, &b| param.values[a].total_cmp(&param.values[b]));
    for (i, result) in data.results.iter().enumerate() {
        let (row, col) = (i / cols, i % cols);
        let f = Frame {
            x: col as f64 * CELL.0 + 86.0,
            y: TITLE + row as f64 * CELL.1 + 12.0,
            w: CELL.0 - 86.0 - 24.0,
            h: CELL.1 - 12.0 - 56.0,
        };
        let y = Scale::of(result, 0.08);
        axes(&mut scene, f, &x, &y, &param.name, &result.name);
        let points: Vec<(usize, (f64, f64))> = order
            .iter()
            .filter(|&&t| result.values[t].is_finite())
            .map(|&t| (t, f.at(x.fraction(param.values[t]), y.fraction(result.values[t]))))
            .collect();
        if !data.ignored_params && points.len() > 1 {
            scene.line(points.iter().map(|p| p.1).collect(), palette[i], 2.0);
        }
        for (t, p) in points {
            let tip =
                format!("{}: {}\n{}: {}", param.name, param.label(t), result.name, format_number(result.values[t]));
            scene.push_tip(Shape::Circle { center: p, radius: 5.0, fill: palette[i] }, tip, Some(t));
        }
    }
    scene
}

/// The categories of a heatmap axis: each distinct value, numbers in numeric order, text in
/// natural order.
fn heat_categories(column: &Column) -> Vec<(f64, String)> {
    let mut seen: Vec<(f64, String)> = Vec::new();
    for i in 0..column.values.len() {
        if !seen.iter().any(|(v, _)| *v == column.values[i]) {
            seen.push((column.values[i], column.label(i)));
        }
    }
    if column.categories.is_some() {
        seen.sort_by(|a, b| natural_order(&a.1, &b.1));
    } else {
        seen.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    seen
}

/// A vertical colour bar with its low, middle and high values.
fn color_bar(scene: &mut Scene, scale: &ColorScale, x: f64, y: f64, h: f64) {
    const STEPS: usize = 48;
    for s in 0..STEPS {
        let (f0, f1) = (s as f64 / STEPS as f64, (s + 1) as f64 / STEPS as f64);
        let v = scale.lo + (f0 + f1) / 2.0 * (scale.hi - scale.lo);
        let (top, bottom) = (y + (1.0 - f1) * h, y + (1.0 - f0) * h);
        scene.push(Shape::Rect { from: (x, top), to: (x + 14.0, bottom + 0.5), fill: scale.color(v), stroke: None });
    }
    for f in [0.0, 0.5, 1.0] {
        let v = scale.lo + f * (scale.hi - scale.lo);
        scene.text((x + 19.0, y + (1.0 - f) * h), format_number(v), SMALL, Anchor::Left);
    }
}

/// One heatmap per result over the two parameters (FE's `plot_heatmap`); the colours are
/// reversed when smaller is better, so the best cell is always yellow.
pub(crate) fn heatmap(data: &SearchData, title: &str, smaller_is_better: bool) -> Scene {
    let (px, py) = (&data.params[0], &data.params[1]);
    let (xs, ys) = (heat_categories(px), heat_categories(py));
    let cell = (440.0 / xs.len().max(ys.len()) as f64).clamp(36.0, 96.0);
    let (plot_w, plot_h) = (cell * xs.len() as f64, cell * ys.len() as f64);
    let margin = (96.0, 36.0, 96.0, 64.0); // left, top, right, bottom
    let n = data.results.len();
    let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
    let rows = n.div_ceil(cols);
    let cell_w = margin.0 + plot_w + margin.2;
    let cell_h = margin.1 + plot_h + margin.3;
    let width = (cols as f64 * cell_w).max(420.0);
    let mut scene = Scene::new(width as u32, (TITLE + rows as f64 * cell_h) as u32);
    add_title(&mut scene, title);
    for (i, result) in data.results.iter().enumerate() {
        let (row, col) = (i / cols, i % cols);
        let f = Frame {
            x: col as f64 * cell_w + margin.0,
            y: TITLE + row as f64 * cell_h + margin.1,
            w: plot_w,
            h: plot_h,
        };
        scene.title((f.x + f.w / 2.0, f.y - 16.0), &result.name, 14.0);
        let colors = ColorScale::of(result, smaller_is_better);
        for t in 0..result.values.len() {
            let (Some(cx), Some(cy)) =
                (xs.iter().position(|(v, _)| *v == px.values[t]), ys.iter().position(|(v, _)| *v == py.values[t]))
            else {
                continue;
            };
            let (x0, y0) = (f.x + cx as f64 * cell, f.y + (ys.len() - 1 - cy) as f64 * cell);
            let value = result.values[t];
            let fill = colors.color(value);
            let tip = format!(
                "{}: {}\n{}: {}\n{}: {}",
                px.name,
                px.label(t),
                py.name,
                py.label(t),
                result.name,
                format_number(value)
            );
            scene.push_tip(
                Shape::Rect { from: (x0, y0), to: (x0 + cell, y0 + cell), fill, stroke: Some([255, 255, 255]) },
                tip,
                Some(t),
            );
            let luminance = 0.299 * f64::from(fill[0]) + 0.587 * f64::from(fill[1]) + 0.114 * f64::from(fill[2]);
            let ink = if luminance > 140.0 { [31, 41, 51] } else { [255, 255, 255] };
            let size = (cell / 4.2).clamp(9.0, 13.0);
            scene.push(Shape::Text {
                at: (x0 + cell / 2.0, y0 + cell / 2.0),
                text: format_number(value),
                size,
                color: ink,
                anchor: Anchor::Middle,
                vertical: false,
                bold: false,
            });
        }
        for (j, (_, label)) in xs.iter().enumerate() {
            scene.text((f.x + (j as f64 + 0.5) * cell, f.y + f.h + 12.0), label.clone(), SMALL, Anchor::Middle);
        }
        for (j, (_, label)) in ys.iter().enumerate() {
            scene.text(
                (f.x - 6.0, f.y + (ys.len() - 1 - j) as f64 * cell + cell / 2.0),
                label.clone(),
                SMALL,
                Anchor::Right,
            );
        }
        scene.text((f.x + f.w / 2.0, f.y + f.h + 36.0), px.name.clone(), FONT, Anchor::Middle);
        scene.vertical_text((f.x - 80.0, f.y + f.h / 2.0), py.name.clone(), FONT);
        color_bar(&mut scene, &colors, f.x + f.w + 12.0, f.y, f.h);
    }
    scene
}

/// Parallel coordinates (FE's `plot_parallel_coordinates`): one vertical axis per parameter,
/// then per result; one line per trial, coloured by `color_by` (a result).
pub(crate) fn parallel_coordinates(data: &SearchData, title: &str, color_by: usize, smaller_is_better: bool) -> Scene {
    let columns: Vec<&Column> = data.params.iter().chain(&data.results).collect();
    let spacing = 150.0;
    let (left, right) = (90.0, 120.0);
    let width = (left + spacing * (columns.len().max(2) - 1) as f64 + right).max(640.0);
    let (top, height) = (TITLE + 40.0, 420.0);
    let mut scene = Scene::new(width as u32, (top + height + 40.0) as u32);
    add_title(&mut scene, title);
    let gap = if columns.len() > 1 { (width - left - right) / (columns.len() - 1) as f64 } else { 0.0 };
    let n_params = data.params.len();
    let scales: Vec<Scale> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| if i < n_params { Scale::of_param(c, 0.04) } else { Scale::of(c, 0.04) })
        .collect();
    let color_column = &data.results[color_by.min(data.results.len().saturating_sub(1))];
    let colors = ColorScale::of(color_column, smaller_is_better);
    let y_of = |frac: f64| top + (1.0 - frac) * height;
    for t in 0..color_column.values.len() {
        let points: Vec<(f64, f64)> = columns
            .iter()
            .zip(&scales)
            .enumerate()
            .map(|(a, (c, s))| (left + a as f64 * gap, y_of(s.fraction(c.values[t]))))
            .collect();
        let tip = columns.iter().map(|c| format!("{}: {}", c.name, c.label(t))).collect::<Vec<_>>().join("\n");
        scene.push_tip(Shape::Line { points, color: colors.color(color_column.values[t]), width: 2.5 }, tip, Some(t));
    }
    for (a, (column, scale)) in columns.iter().zip(&scales).enumerate() {
        let x = left + a as f64 * gap;
        scene.line(vec![(x, top), (x, top + height)], [82, 96, 109], 1.5);
        scene.title((x, top - 20.0), column.name.clone(), FONT);
        for (frac, label) in scale.ticks() {
            scene.line(vec![(x - 4.0, y_of(frac)), (x, y_of(frac))], [82, 96, 109], 1.0);
            scene.text((x - 7.0, y_of(frac)), label, SMALL, Anchor::Right);
        }
    }
    color_bar(&mut scene, &colors, width - right + 50.0, top, height);
    scene.vertical_text((width - right + 36.0, top + height / 2.0), color_column.name.clone(), FONT);
    scene
}
