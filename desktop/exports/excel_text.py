"""Text safety for Excel cells: every user or imported string goes through `clean_text`.

Control characters become a visible U+FFFD, line ends are unified, and text over Excel's 32,767-character
cell limit (counted in UTF-16 units, as Excel counts) is cut with a visible marker saying how much is
missing (reliability.md 2.3). `unescape_cell_text` undoes OOXML's _xHHHH_ escapes when a cell is read back.
"""

from __future__ import annotations

import re
from typing import Any

EXCEL_CELL_LIMIT = 32_767  # UTF-16 code units
CONTROL_MARK = "\ufffd"

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


# ---------------------------------------------------------------------------------------------- text

def truncation_marker(removed: int) -> str:
    return f" \u2026 [truncated: {removed:,} more characters not shown]"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clean_text(value: Any, limit: int = EXCEL_CELL_LIMIT) -> str:
    """User or imported text made safe for a cell: line ends unified, control characters replaced by a
    visible U+FFFD, and text over `limit` UTF-16 units cut with a visible marker saying how much is missing."""
    text = value if isinstance(value, str) else str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(CONTROL_MARK, text)
    if len(text) > limit // 2 and _utf16_len(text) > limit:
        # Room for the marker, measured with the longest count it could show.
        keep = limit - _utf16_len(truncation_marker(len(text)))
        head = text.encode("utf-16-le")[:2 * keep].decode("utf-16-le", "ignore")
        text = head + truncation_marker(len(text) - len(head))
    return text


def unescape_cell_text(text: str) -> str:
    """Undo OOXML's _xHHHH_ escapes (openpyxl hands them back as written)."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
