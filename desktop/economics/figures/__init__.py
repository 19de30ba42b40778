"""Figure models: what each chart draws, as plain frozen data (titles, axis titles, units, bars, series,
labels), so that any renderer can draw it: pyqtgraph in `desktop.ui` and vector SVG in `desktop.exports`.

No Qt and no drawing here (numpy is allowed).
"""

from desktop.economics.figures.plan import (WATERFALL_COLORS, Tornado, TornadoRow, Waterfall, WaterfallBar,
                                            WaterfallStep)

__all__ = ["Waterfall", "WaterfallStep", "WaterfallBar", "Tornado", "TornadoRow", "WATERFALL_COLORS"]
