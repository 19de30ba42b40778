"""What the screens show about a workbook's traces, read through storage (the GUI runs no SQL of its own)."""

from __future__ import annotations

from desktop.storage.trace_queries import RouteUtilization, change_marker, is_closed, original_file, route_utilization

__all__ = ["RouteUtilization", "change_marker", "is_closed", "original_file", "route_utilization"]
