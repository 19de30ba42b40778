"""Charts as vector SVG text for the exports (the memo): figure models from desktop.economics.figures drawn
with plain string building, no Qt and no matplotlib, so WeasyPrint prints vectors with real text."""

from desktop.exports.svg_charts.figures import figure_svg
from desktop.exports.svg_charts.memo import MEMO_CHARTS, MEMO_MAX_SERIES, memo_charts, memo_figures
from desktop.exports.svg_charts.plan import tornado_svg, waterfall_svg

__all__ = ["figure_svg", "memo_charts", "memo_figures", "MEMO_CHARTS", "MEMO_MAX_SERIES", "waterfall_svg", "tornado_svg"]
