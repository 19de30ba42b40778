"""Charts as vector SVG text for the exports (the memo): figure models from desktop.economics.figures drawn
with plain string building, no Qt and no matplotlib, so WeasyPrint prints vectors with real text."""

from desktop.exports.svg_charts.figures import figure_svg
from desktop.exports.svg_charts.memo import MEMO_CHARTS, memo_charts
from desktop.exports.svg_charts.plan import tornado_svg, waterfall_svg

__all__ = ["figure_svg", "memo_charts", "MEMO_CHARTS", "waterfall_svg", "tornado_svg"]
