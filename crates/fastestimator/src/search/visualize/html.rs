//! The interactive page of a search chart: the chart as inline SVG, a tooltip with the values
//! under the pointer, and the hovered trial highlighted (its line, cell or markers) while the
//! others fade. One self-contained file: no external script, style or font.

use super::SearchPlot;
use crate::summary::logs::plot::escape;

/// The whole page.
pub(crate) fn page(plot: &SearchPlot) -> String {
    let svg = plot.scene.to_svg().replace('\n', "&#10;");
    let what = match plot.kind {
        super::SearchPlotKind::Cartesian => "results against the parameter",
        super::SearchPlotKind::Heatmap => "results over two parameters",
        super::SearchPlotKind::ParallelCoordinates => "parallel coordinates: one line per trial",
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>FastEstimator search: {title}</title>
<style>/*<![CDATA[*/{CSS}/*]]>*/</style>
</head>
<body>
<header><h1>FastEstimator search: {title}</h1><p class="sub">{what} · parameters: {params} · results: {results}</p></header>
<p class="hint">Hover a point, cell or line to read its values; its trial is highlighted.</p>
<main id="chart">{svg}</main>
<div id="tip" class="tip" hidden="hidden"></div>
<script>//<![CDATA[
{JS}
//]]></script>
</body>
</html>
"#,
        title = escape(&plot.title),
        params = escape(&plot.params.join(", ")),
        results = escape(&plot.results.join(", ")),
    )
}

const CSS: &str = r#"
body { margin: 0; padding: 16px 24px 32px; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2933; background: #fff; }
h1 { font-size: 20px; margin: 0 0 2px; }
.sub { margin: 0 0 8px; color: #52606d; }
.hint { margin: 0 0 12px; color: #7b8794; font-size: 12px; }
#chart svg { max-width: 100%; height: auto; }
.hot { cursor: pointer; transition: opacity 0.12s; }
svg.focus .hot { opacity: 0.18; }
svg.focus .hot.on { opacity: 1; }
polyline.hot.on { stroke-width: 5; }
.tip { position: fixed; pointer-events: none; background: rgba(31, 41, 51, 0.94); color: #fff; padding: 6px 9px; border-radius: 4px; font-size: 12px; white-space: pre; z-index: 10; }
"#;

const JS: &str = r#"
(function () {
  var svg = document.querySelector('#chart svg');
  var tip = document.getElementById('tip');
  if (!svg) { return; }
  function clear() {
    svg.classList.remove('focus');
    Array.prototype.forEach.call(svg.querySelectorAll('.on'), function (e) { e.classList.remove('on'); });
    tip.hidden = true;
  }
  svg.addEventListener('mousemove', function (ev) {
    var el = ev.target.closest ? ev.target.closest('.hot') : null;
    if (!el) { clear(); return; }
    var trial = el.getAttribute('data-trial');
    Array.prototype.forEach.call(svg.querySelectorAll('.on'), function (e) { e.classList.remove('on'); });
    if (trial !== null) {
      Array.prototype.forEach.call(svg.querySelectorAll('[data-trial="' + trial + '"]'), function (e) { e.classList.add('on'); });
    } else {
      el.classList.add('on');
    }
    if (el.tagName.toLowerCase() === 'polyline') { el.parentNode.appendChild(el); }
    svg.classList.add('focus');
    tip.textContent = el.getAttribute('data-tip');
    tip.hidden = false;
    tip.style.left = (ev.clientX + 14) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  });
  svg.addEventListener('mouseleave', clear);
})();
"#;
