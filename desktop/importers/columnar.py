"""Columnar (Parquet, Arrow IPC / Feather) and compressed (.gz, .zst) request logs and trace tables.

Recognised by their first bytes, never by the file name. A compressed file is decompressed in memory (with
the same caps as a workbook: total size and expansion ratio, so a bomb is refused before it fills memory)
and then read exactly as the plain CSV/TSV/JSON it holds, with the same checks and messages; provenance
keeps the SHA-256 of the file as received. A columnar file is read with polars; its column names play the
part of a header row, and whether it is a request log or a trace table is decided by the same classifier
as for CSV. Row numbers in problems are record numbers (1 = the first record).
"""

from __future__ import annotations

import gzip
import io
import zlib
from typing import Any

import polars as pl

from desktop.importers.preflight import HEAD_BYTES, Limits, SourceFile
from desktop.importers.result import ImportFailed

# ---- Constants

PARQUET_MAGIC = b"PAR1"
ARROW_MAGIC = b"ARROW1"
ARROW_STREAM_MAGIC = b"\xff\xff\xff\xff"
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
MiB = 1024 * 1024


# ---- Public API

def binary_kind(head: bytes) -> str | None:
    """'parquet', 'arrow', 'gzip' or 'zstd' from the first bytes, else None."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(ARROW_MAGIC) or head.startswith(ARROW_STREAM_MAGIC):
        return "arrow"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


def decompressed(source: SourceFile, kind: str, limits: Limits) -> tuple[SourceFile, str]:
    """The file inside a .gz/.zst as a SourceFile (same name and SHA-256 as the received file), and a note."""
    cap = limits.max_unzipped_bytes
    try:
        if kind == "gzip":
            reader = gzip.GzipFile(fileobj=io.BytesIO(source.data))
        else:
            import zstandard
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(source.data))
        with reader:
            data = reader.read(cap + 1)
    except (OSError, EOFError, zlib.error, ValueError) as error:
        raise ImportFailed(f"{source.name} is a damaged {kind} file ({str(error)[:120]})") from None
    except Exception as error:  # zstandard.ZstdError and the like: still one clear line
        raise ImportFailed(f"{source.name} is a damaged {kind} file ({type(error).__name__})") from None
    if len(data) > cap:
        raise ImportFailed(f"{source.name} expands to more than {cap / MiB:,.0f} MiB; decompress it and "
                           f"import the file itself")
    if source.size > limits.ratio_floor_bytes and len(data) > source.size * limits.max_ratio * 10:
        raise ImportFailed(f"{source.name} expands {len(data) / source.size:,.0f} times: refused as a "
                           f"compression bomb")
    if binary_kind(data[:8]) in ("gzip", "zstd"):
        raise ImportFailed(f"{source.name} is compressed twice; decompress it once and import that")
    inner = SourceFile(source.path, len(data), data[:HEAD_BYTES])
    inner._data = data
    inner._digest = (source.sha256, data.count(b"\n"), data.endswith(b"\n"))
    return inner, f"decompressed from {kind} ({source.size:,} bytes to {len(data):,} bytes)"


def column_count(source: SourceFile, kind: str) -> int:
    """How many columns the file declares, from its schema alone (0 when unreadable: read_frame then says why)."""
    target: Any = source.path if not source.in_memory else io.BytesIO(source.data)
    try:
        schema = pl.read_parquet_schema(target) if kind == "parquet" else pl.read_ipc_schema(target)
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return 0
    return len(schema)


def read_frame(source: SourceFile, kind: str) -> pl.DataFrame:
    """A Parquet or Arrow IPC file as a DataFrame (every column; the caller keeps what it uses)."""
    target: Any = source.path if not source.in_memory else io.BytesIO(source.data)
    try:
        if kind == "parquet":
            frame = pl.read_parquet(target)
        else:
            try:
                frame = pl.read_ipc(target)
            except pl.exceptions.PolarsError:
                frame = pl.read_ipc_stream(io.BytesIO(source.data))
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise ImportFailed(f"{source.name} is not a readable {kind.capitalize()} file "
                           f"({str(error).splitlines()[0][:160]})") from None
    if frame.width == 0:
        raise ImportFailed(f"{source.name} holds no columns")
    return frame


def label(kind: str) -> str:
    return {"parquet": "Parquet", "arrow": "Arrow IPC"}.get(kind, kind)
