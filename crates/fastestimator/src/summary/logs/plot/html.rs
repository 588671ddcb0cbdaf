//! The interactive HTML page of a [`LogPlot`]: one self-contained file. The values travel as
//! JSON in a `<script type="application/json">`; an inline script draws each chart as inline
//! SVG, shows the nearest value under the pointer, and shows or hides series from the legend.
//! The page links to nothing: no external script, style, font or image.
//!
//! The page is also well-formed XML (every element closed, style and script in CDATA sections,
//! the JSON with `<`, `>` and `&` escaped), so strict parsers read it as well as browsers.

use serde_json::{json, Value};

use super::series::{LogChart, LogChartKind, LogSeries};
use super::style::{dash_pattern, ds_marker, point_marker, Rgb};
use super::{LegendEntry, LogPlot};
use crate::util::Mode;

/// The marker radius the page draws with, in SVG units.
const MARKER: f64 = 6.0;

/// The whole page.
pub(crate) fn page(plot: &LogPlot) -> String {
    let data = payload(plot);
    let names = plot.experiments.join(", ");
    let summary = format!(
        "{} experiment{} · {} chart{}",
        plot.experiments.len(),
        if plot.experiments.len() == 1 { "" } else { "s" },
        plot.charts.len(),
        if plot.charts.len() == 1 { "" } else { "s" }
    );
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>FastEstimator logs: {title}</title>
<style>/*<![CDATA[*/{css}/*]]>*/</style>
</head>
<body>
<header><h1>FastEstimator logs</h1><p class="sub">{summary}: {names}</p></header>
<nav id="legend" class="legend" aria-label="Series"></nav>
<p class="hint">Hover a chart to read values. Click a legend entry to hide or show it; double-click it to show it alone.</p>
<noscript><p class="hint">This page draws its charts with JavaScript, which is turned off.</p></noscript>
<main id="grid" class="grid" style="--cols: {cols}"></main>
<div id="tip" class="tip" hidden="hidden"></div>
<script type="application/json" id="fe-log-data">{data}</script>
<script>//<![CDATA[
{js}
//]]></script>
</body>
</html>
"#,
        title = escape(&names),
        css = CSS,
        summary = escape(&summary),
        names = escape(&names),
        cols = plot.cols,
        data = script_safe(&data.to_string()),
        js = JS,
    )
}

/// The values the script draws.
fn payload(plot: &LogPlot) -> Value {
    let charts: Vec<Value> = plot.charts.iter().map(chart_json).collect();
    let legend: Vec<Value> = plot.legend().iter().map(legend_json).collect();
    json!({
        "experiments": plot.experiments,
        "cols": plot.cols,
        "steps": plot.step_range().map(|(lo, hi)| [lo, hi]),
        "legend": legend,
        "charts": charts,
    })
}

fn chart_json(chart: &LogChart) -> Value {
    match &chart.kind {
        LogChartKind::Lines(series) => json!({
            "metric": chart.metric,
            "title": chart.title,
            "kind": "lines",
            "series": series.iter().map(series_json).collect::<Vec<_>>(),
        }),
        LogChartKind::Values(texts) => json!({
            "metric": chart.metric,
            "title": chart.title,
            "kind": "values",
            "values": texts.iter().map(|t| json!({"label": t.label, "color": css_color(t.color), "text": t.text})).collect::<Vec<_>>(),
        }),
    }
}

fn series_json(s: &LogSeries) -> Value {
    let (low, high): (Option<Vec<f64>>, Option<Vec<f64>>) = match &s.band {
        Some(band) => (Some(band.iter().map(|b| b.0).collect()), Some(band.iter().map(|b| b.1).collect())),
        None => (None, None),
    };
    json!({
        "label": s.label,
        "experiment": s.experiment,
        "mode": s.mode.as_str(),
        "ds_id": s.ds_id,
        "color": css_color(s.color),
        "dash": dash(s.mode),
        "marker": marker_path(s.mode),
        "ds_marker": ds_path(s.ds_marker),
        "steps": s.steps,
        "values": s.values,
        "drawn": s.drawn,
        "low": low,
        "high": high,
    })
}

fn legend_json(e: &LegendEntry) -> Value {
    json!({
        "label": e.label,
        "color": css_color(e.color),
        "dash": dash(e.mode),
        "marker": marker_path(e.mode),
        "ds_marker": ds_path(e.ds_marker),
        "line": e.line,
        "band": e.band,
    })
}

fn css_color(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// The SVG `stroke-dasharray` of a mode ("" for solid).
fn dash(mode: Mode) -> String {
    dash_pattern(mode).iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" ")
}

/// The single-step marker of a mode as an SVG path around the origin ("" for a circle).
fn marker_path(mode: Mode) -> String {
    point_marker(mode, MARKER).map_or_else(String::new, |shape| {
        let points: Vec<String> = shape.iter().map(|(x, y)| format!("{x:.2} {y:.2}")).collect();
        format!("M{}Z", points.join("L"))
    })
}

/// A dataset marker as an SVG path around the origin ("" for none).
fn ds_path(index: usize) -> String {
    ds_marker(index, MARKER).iter().map(|[(x0, y0), (x1, y1)]| format!("M{x0:.2} {y0:.2}L{x1:.2} {y1:.2}")).collect()
}

/// Text for an element or attribute.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// JSON that can sit inside a `<script>` (and a CDATA-free XML text node): `<`, `>` and `&`
/// only occur inside JSON strings, where their `\u` escapes mean the same.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

const CSS: &str = r##"
:root { color-scheme: light; }
body { margin: 0; padding: 16px 24px 32px; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2933; background: #fff; }
header h1 { font-size: 20px; margin: 0 0 2px; }
.sub { margin: 0 0 12px; color: #52606d; }
.hint { margin: 4px 0 12px; color: #7b8794; font-size: 12px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 8px; position: sticky; top: 0; z-index: 2; background: rgba(255,255,255,0.95); padding: 6px 0; border-bottom: 1px solid #e4e9f0; }
.legend button { display: inline-flex; align-items: center; gap: 6px; border: 1px solid #d9e2ec; background: #fff; border-radius: 4px; padding: 2px 8px 2px 4px; font: inherit; font-size: 13px; cursor: pointer; color: #1f2933; }
.legend button:hover { background: #f0f4f8; }
.legend button.off { opacity: 0.4; text-decoration: line-through; }
.legend svg { width: 40px; height: 16px; flex: none; }
.grid { display: grid; grid-template-columns: repeat(var(--cols), minmax(0, 1fr)); gap: 12px; max-width: calc(var(--cols) * 560px); }
@media (max-width: 800px) { .grid { grid-template-columns: minmax(0, 1fr); } }
.cell { border: 1px solid #e4e9f0; border-radius: 6px; padding: 4px; position: relative; min-width: 0; }
.cell svg { display: block; width: 100%; height: auto; }
.cell svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
.cell.values { align-self: start; }
.values h2 { font-size: 15px; text-align: center; margin: 8px 0; }
.values ul { list-style: none; margin: 0; padding: 0 12px 8px; }
.values li { margin: 2px 0; font-weight: 500; }
.values li.off { display: none; }
.tip { position: fixed; z-index: 5; pointer-events: none; background: rgba(31,41,51,0.92); color: #fff; padding: 6px 8px; border-radius: 4px; font-size: 12px; white-space: nowrap; }
.tip b { display: block; margin-bottom: 2px; }
"##;

const JS: &str = r##"
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('fe-log-data').textContent);
  var W = 460, H = 300, M = { l: 64, r: 16, t: 36, b: 44 };
  var hidden = {};
  var grid = document.getElementById('grid');
  var tip = document.getElementById('tip');
  var legend = document.getElementById('legend');

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function num(v) { return Math.round(v * 100) / 100; }
  function padded(lo, hi, share) {
    if (hi > lo) { var p = (hi - lo) * share; return [lo - p, hi + p]; }
    var q = lo === 0 ? 1 : Math.abs(lo) * 0.05;
    return [lo - q, hi + q];
  }
  function ticks(lo, hi, n) {
    var span = hi - lo;
    var step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var ratio = span / n / step;
    if (ratio >= 7.5) { step *= 10; } else if (ratio >= 3.5) { step *= 5; } else if (ratio >= 1.5) { step *= 2; }
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) { out.push(v); }
    return { values: out, step: step };
  }
  function tickText(v, step) {
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-4)) { return v.toExponential(1); }
    var d = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9)));
    var s = v.toFixed(d);
    return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
  }
  function valueText(v) {
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-4)) { return v.toExponential(4); }
    return String(parseFloat(v.toPrecision(6)));
  }
  function linePath(points) {
    return points.map(function (p, i) { return (i ? 'L' : 'M') + num(p[0]) + ' ' + num(p[1]); }).join('');
  }
  function markerSvg(s, x, y, size) {
    var t = 'transform="translate(' + num(x) + ' ' + num(y) + ')' + (size ? ' scale(' + size + ')' : '') + '"';
    var shape = s.marker
      ? '<path d="' + s.marker + '" ' + t + ' fill="' + s.color + '" stroke="#fff" stroke-width="1.5"/>'
      : '<circle r="6" ' + t + ' fill="' + s.color + '" stroke="#fff" stroke-width="1.5"/>';
    return shape + dsSvg(s, x, y);
  }
  function dsSvg(s, x, y) {
    return s.ds_marker ? '<path d="' + s.ds_marker + '" transform="translate(' + num(x) + ' ' + num(y) +
      ')" fill="none" stroke="#2f4f4f" stroke-width="2"/>' : '';
  }
  function markerIndices(n) {
    if (n <= 10) { return Array.from({ length: n }, function (_, i) { return i; }); }
    return Array.from({ length: 10 }, function (_, i) { return Math.floor(i * (n - 1) / 9); });
  }

  function drawLines(cell, chart) {
    var shown = chart.series.filter(function (s) { return !hidden[s.label]; });
    var lo = Infinity, hi = -Infinity;
    (shown.length ? shown : chart.series).forEach(function (s) {
      [s.drawn, s.low || [], s.high || []].forEach(function (vs) {
        vs.forEach(function (v) { lo = Math.min(lo, v); hi = Math.max(hi, v); });
      });
    });
    var y = isFinite(lo) ? padded(lo, hi, 0.06) : [0, 1];
    var x = data.steps ? padded(data.steps[0], data.steps[1], 0.02) : [0, 1];
    var pw = W - M.l - M.r, ph = H - M.t - M.b;
    function px(v) { return M.l + (v - x[0]) / (x[1] - x[0]) * pw; }
    function py(v) { return M.t + ph - (v - y[0]) / (y[1] - y[0]) * ph; }
    var out = ['<svg viewBox="0 0 ' + W + ' ' + H + '" role="img" aria-label="' + esc(chart.title) + '">'];
    out.push('<text x="' + (W / 2) + '" y="22" text-anchor="middle" font-size="15" font-weight="bold" fill="#1f2933">' +
      esc(chart.title) + '</text>');
    var yt = ticks(y[0], y[1], 5), xt = ticks(x[0], x[1], 5);
    yt.values.forEach(function (v) {
      out.push('<line x1="' + M.l + '" x2="' + (W - M.r) + '" y1="' + num(py(v)) + '" y2="' + num(py(v)) +
        '" stroke="#e4e9f0"/><text x="' + (M.l - 6) + '" y="' + num(py(v) + 4) +
        '" text-anchor="end" font-size="11" fill="#52606d">' + tickText(v, yt.step) + '</text>');
    });
    xt.values.forEach(function (v) {
      out.push('<line y1="' + M.t + '" y2="' + (H - M.b) + '" x1="' + num(px(v)) + '" x2="' + num(px(v)) +
        '" stroke="#e4e9f0"/><text y="' + (H - M.b + 16) + '" x="' + num(px(v)) +
        '" text-anchor="middle" font-size="11" fill="#52606d">' + tickText(v, xt.step) + '</text>');
    });
    out.push('<path d="M' + M.l + ' ' + M.t + 'V' + (H - M.b) + 'H' + (W - M.r) + '" fill="none" stroke="#bcccdc"/>');
    out.push('<text x="' + (M.l + pw / 2) + '" y="' + (H - 6) + '" text-anchor="middle" font-size="12" fill="#323f4b">Steps</text>');
    var points = [];
    shown.forEach(function (s) {
      if (s.low && s.steps.length > 1) {
        var upper = s.steps.map(function (st, i) { return [px(st), py(s.high[i])]; });
        var lower = s.steps.map(function (st, i) { return [px(st), py(s.low[i])]; }).reverse();
        out.push('<path d="' + linePath(upper.concat(lower)) + 'Z" fill="' + s.color + '" fill-opacity="0.3" stroke="none"/>');
      }
    });
    shown.forEach(function (s) {
      var pts = s.steps.map(function (st, i) { return [px(st), py(s.drawn[i])]; });
      pts.forEach(function (p, i) { points.push({ x: p[0], y: p[1], s: s, i: i }); });
      if (pts.length > 1) {
        out.push('<path d="' + linePath(pts) + '" fill="none" stroke="' + s.color + '" stroke-width="2"' +
          (s.dash ? ' stroke-dasharray="' + s.dash + '"' : '') + ' stroke-linejoin="round"/>');
        markerIndices(pts.length).forEach(function (i) { out.push(dsSvg(s, pts[i][0], pts[i][1])); });
      }
    });
    shown.forEach(function (s) {
      if (s.steps.length !== 1) { return; }
      var cx = px(s.steps[0]), cy = py(s.drawn[0]);
      if (s.low) {
        var top = py(s.high[0]), bottom = py(s.low[0]);
        out.push('<path d="M' + num(cx) + ' ' + num(top) + 'V' + num(bottom) + 'M' + num(cx - 5) + ' ' + num(top) + 'h10M' +
          num(cx - 5) + ' ' + num(bottom) + 'h10" stroke="' + s.color + '" stroke-width="2"/>');
      }
      out.push(markerSvg(s, cx, cy));
    });
    out.push('<circle class="hl" r="5" fill="none" stroke-width="2.5" visibility="hidden"/></svg>');
    cell.innerHTML = out.join('');
    var svg = cell.firstChild, hl = svg.querySelector('.hl');
    svg.addEventListener('mousemove', function (ev) {
      var r = svg.getBoundingClientRect();
      var mx = (ev.clientX - r.left) * W / r.width, my = (ev.clientY - r.top) * H / r.height;
      var best = null, bestD = 30 * 30;
      points.forEach(function (p) {
        var d = (p.x - mx) * (p.x - mx) + (p.y - my) * (p.y - my);
        if (d < bestD) { bestD = d; best = p; }
      });
      if (!best) { hide(); return; }
      var s = best.s, i = best.i;
      hl.setAttribute('cx', num(best.x)); hl.setAttribute('cy', num(best.y));
      hl.setAttribute('stroke', s.color); hl.setAttribute('visibility', 'visible');
      var text = '<b style="color:' + s.color + '">' + esc(s.label) + '</b>step ' + s.steps[i] + ': ' + valueText(s.values[i]);
      if (s.drawn[i] !== s.values[i]) { text += ' (smoothed ' + valueText(s.drawn[i]) + ')'; }
      if (s.low) { text += '<br/>band ' + valueText(s.low[i]) + ' to ' + valueText(s.high[i]); }
      tip.innerHTML = text;
      tip.hidden = false;
      var left = ev.clientX + 14, topPx = ev.clientY + 14;
      if (left + tip.offsetWidth > window.innerWidth - 8) { left = ev.clientX - tip.offsetWidth - 14; }
      if (topPx + tip.offsetHeight > window.innerHeight - 8) { topPx = ev.clientY - tip.offsetHeight - 14; }
      tip.style.left = left + 'px'; tip.style.top = topPx + 'px';
    });
    svg.addEventListener('mouseleave', hide);
    function hide() { tip.hidden = true; hl.setAttribute('visibility', 'hidden'); }
  }

  function drawValues(cell, chart) {
    cell.classList.add('values');
    cell.innerHTML = '<h2>' + esc(chart.title) + '</h2><ul>' + chart.values.map(function (v) {
      return '<li' + (hidden[v.label] ? ' class="off"' : '') + ' style="color:' + v.color + '">' +
        esc(v.label) + ': ' + esc(v.text) + '</li>';
    }).join('') + '</ul>';
  }

  function drawAll() {
    grid.innerHTML = '';
    data.charts.forEach(function (chart) {
      var cell = document.createElement('section');
      cell.className = 'cell';
      cell.setAttribute('data-metric', chart.metric);
      grid.appendChild(cell);
      if (chart.kind === 'lines') { drawLines(cell, chart); } else { drawValues(cell, chart); }
    });
    Array.prototype.forEach.call(legend.children, function (b) {
      b.classList.toggle('off', !!hidden[b.getAttribute('data-label')]);
      b.setAttribute('aria-pressed', hidden[b.getAttribute('data-label')] ? 'false' : 'true');
    });
  }

  data.legend.forEach(function (e) {
    var b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('data-label', e.label);
    var sample = '<svg viewBox="0 0 40 16" aria-hidden="true">' +
      (e.band && e.line ? '<rect x="0" y="2" width="40" height="12" fill="' + e.color + '" fill-opacity="0.3"/>' : '') +
      (e.line ? '<path d="M0 8H40" stroke="' + e.color + '" stroke-width="2"' + (e.dash ? ' stroke-dasharray="' + e.dash + '"' : '') + '/>' + dsSvg(e, 20, 8)
        : (e.band ? '<path d="M20 0V16M16 0.5h8M16 15.5h8" stroke="' + e.color + '" stroke-width="1.5"/>' : '') +
          markerSvg(e, 20, 8, 0.9)) + '</svg>';
    b.innerHTML = sample + '<span>' + esc(e.label) + '</span>';
    b.addEventListener('click', function () {
      hidden[e.label] = !hidden[e.label];
      drawAll();
    });
    b.addEventListener('dblclick', function () {
      var alone = data.legend.every(function (o) { return o.label === e.label ? !hidden[o.label] : hidden[o.label]; });
      data.legend.forEach(function (o) { hidden[o.label] = alone ? false : o.label !== e.label; });
      drawAll();
    });
    legend.appendChild(b);
  });
  drawAll();
})();
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_elements_and_scripts() {
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
        let safe = script_safe(&json!({"name": "</script><b>&"}).to_string());
        assert!(!safe.contains('<') && !safe.contains('&') && !safe.contains('>'));
        let back: Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["name"], "</script><b>&");
        assert!(!JS.contains("]]>") && !CSS.contains("]]>"));
    }

    #[test]
    fn markers_become_svg_paths() {
        assert_eq!(marker_path(Mode::Train), "");
        assert!(marker_path(Mode::Eval).starts_with('M') && marker_path(Mode::Eval).ends_with('Z'));
        assert_eq!(ds_path(0), "");
        assert_eq!(dash(Mode::Eval), "9 5");
        assert_eq!(dash(Mode::Train), "");
    }
}
