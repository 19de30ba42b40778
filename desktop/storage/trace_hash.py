"""The content hash of a workbook's visible trace rows, computed column-wise and kept up to date at write time.

The hash is the one the decision content has always carried (`desktop.domain.canonical.rows_hash` of the rows
without their ids): SHA-256 over each row's canonical JSON and a newline, in id order. `frame_content_hash` writes
exactly those bytes from polars columns (1M rows: about 1 s, against 5 s for row dicts); the few values whose text
polars writes differently (numbers below 1e-4 or from 1e16 up, -0.0, texts that JSON escapes or that are not ASCII)
and rows carrying extra fields are written by the row-dict code, so the bytes stay identical.

Kept up to date: every write to the trace rows in `desktop.storage` drops the stored record
(`WorkbookStore.traces_changed`); `refresh_traces_hash` computes and stores it after a write commits (the CLI after each
command that changed rows, the GUI in the background). `current_traces_hash` answers from the stored record when
it is there and still names the visible rows' count and highest id, and otherwise computes it. The record is
a description, not proof: a file edited outside the app can carry a record that no longer matches its rows, so
`ipw verify` recomputes (`compute_traces_hash`) rather than trusting it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
from json.encoder import encode_basestring
from typing import Any

from desktop.domain.canonical import canonical_bytes
from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind
from desktop.storage.errors import DamagedTracesError
from desktop.storage.file_versions import remember_rows_hash, remembered_rows_hash
from desktop.storage.workbook_file import TRACES_HASH_KEY, WorkbookStore

RECORD_KEY = TRACES_HASH_KEY
_SORTED_FIELDS = tuple(sorted(FIELD_NAMES))
# Rows hashed at a time. Each field's text is built at once for the slice, with polars' intermediate columns:
# about 75 MB at this size, 300 MB at four times it, for the same speed (the slices lie beside a whole frame).
_SLICE = 32_768
# JSON leaves these characters as they are; any other (quote, backslash, control, non-ASCII) goes the row way.
_PLAIN_TEXT = r"^[ !#-\[\]-~]*$"


def stored_traces_hash(store: WorkbookStore) -> tuple[str, int] | None:
    """The stored (sha256, count) when the record is there and matches the visible rows' count and highest id."""
    raw = store.get_meta(RECORD_KEY)
    if raw is None:
        return None
    try:
        record = json.loads(raw)
        sha, count, highest = str(record["sha256"]), int(record["count"]), int(record["maxId"])
    except (ValueError, KeyError, TypeError):
        return None
    if len(sha) != 64 or (count, highest) != store.visible_shape():
        return None
    return sha, count


def current_traces_hash(store: WorkbookStore) -> tuple[str, int]:
    """(sha256, count) of the visible rows: the stored record when current, else `rows_hash` (a file without a
    record, e.g. written by an older version, opened read-only)."""
    stored = stored_traces_hash(store)
    if stored is not None:
        return stored
    return rows_hash(store)


def rows_hash(store: WorkbookStore) -> tuple[str, int]:
    """(sha256, count) of the visible rows as they are, as this app computed it: never the record a file
    carries about itself (a file edited with another tool can keep its record and change its rows). Known for
    this version of the file when this app computed it before (here, or when it wrote the file), else computed
    now (a million rows: 1.2 s) and remembered for it."""
    known = known_rows_hash(store)
    return known if known is not None else compute_traces_hash(store)


def known_rows_hash(store: WorkbookStore) -> tuple[str, int] | None:
    """`rows_hash` when it needs no pass over the rows, else None."""
    known = store.known_rows_hash()
    if known is None and store.version_key() is not None:
        known = remembered_rows_hash(store.path)
        if known is not None:
            store.note_rows_hash(*known)
    return known


def decision_traces_hash(store: WorkbookStore, *, signed: bool) -> tuple[str, int]:
    """The (sha256, count) a decision's content carries. A signed-off workbook's fingerprint must change with
    any of its rows, so it is `rows_hash`; a draft's is the record kept at write time (`current_traces_hash`)."""
    return rows_hash(store) if signed else current_traces_hash(store)


def known_decision_traces_hash(store: WorkbookStore, *, signed: bool) -> tuple[str, int] | None:
    """`decision_traces_hash` when a signed-off workbook's needs no pass over its rows (else None)."""
    return known_rows_hash(store) if signed else current_traces_hash(store)


def refresh_traces_hash(store: WorkbookStore) -> tuple[str, int]:
    """Compute the hash if the record is not current and store it (its own short transaction); the store must be
    writable and outside a transaction (so the rows are read column-wise)."""
    stored = stored_traces_hash(store)
    if stored is not None:
        return stored
    sha, count = compute_traces_hash(store)
    _, highest = store.visible_shape()
    with store.transaction():
        store.set_meta(RECORD_KEY, json.dumps({"sha256": sha, "count": count, "maxId": highest}))
    return sha, count


# ---------------------------------------------------------------------------------------------- at import

class ImportHash:
    """The record an import leaves, computed from the frame it stores instead of reading its rows back.

    The hash runs over the visible rows in id order, and an import's rows take ids above every existing row, so
    the new record is the old rows' bytes followed by the new rows' bytes. The old rows are hashed through the
    transaction's own connection (row by row, as the driver cannot read inside it); that is worth it only while
    they are no more than the rows coming in, otherwise the column-wise refresh after the commit is quicker.
    Anything unexpected (ids not above the old rows, a count that differs, a value storage would change) leaves
    no record, and the refresh after the commit computes it from the stored rows as before.
    (Hashing on a thread of its own while storage writes was tried: on two cores it was slower, 4.2 s against
    3.7 s for a million-row import, as polars already keeps both cores busy.)
    """

    def __init__(self, digest: Any, count: int, highest: int) -> None:
        self._digest, self._count, self._highest = digest, count, highest

    @classmethod
    def before_import(cls, store: WorkbookStore, incoming_rows: int) -> ImportHash | None:
        """Hash the visible rows as they are, before an import of `incoming_rows` rows writes into the caller's
        transaction; None when the refresh after the commit would be quicker."""
        count, highest = store.visible_shape()
        if count > incoming_rows:
            return None
        digest, hashed = _digest_visible_rows(store)
        return cls(digest, count, highest) if hashed == count else None

    def record_import(self, store: WorkbookStore, import_id: int, frame: Any) -> bool:
        """Right after import `import_id` stored `frame` (columns TRACE_INSERT_COLUMNS, visible), with nothing
        else written since `before_import`, store the record of the visible rows in the same transaction; False
        when it was left to the refresh after the commit."""
        first, last, stored = store.conn.execute(
            "SELECT min(id), max(id), count(*) FROM traces WHERE import_id = ?", (import_id,)).fetchone()
        if stored != frame.height or (stored and first <= self._highest):
            return False
        digest = self._digest.copy()
        for start in range(0, frame.height, _SLICE):  # bounded: a big import keeps its names as categoricals
            exact = _as_stored(frame.slice(start, _SLICE))
            if exact is None:
                return False
            _hash_slice(digest, exact)
        # Nothing but this import's rows (visible, ids above the old ones) was written since `before_import`
        # looked: the visible rows are the old ones and these, without another pass over the table to say so.
        count, highest = self._count + stored, (last if stored else self._highest)
        sha = digest.hexdigest()
        store.set_meta(RECORD_KEY, json.dumps({"sha256": sha, "count": count, "maxId": highest}))
        store.note_visible_shape(count, highest)
        store.note_rows_hash(sha, count)
        return True


def _as_stored(frame: Any) -> Any:
    """The frame with each field as `read_exact_frame` reads it back from storage, or None when some value
    would not come back as it is (NaN is stored as NULL; SQLite text stops at a NUL character)."""
    import polars as pl

    columns = []
    for name in FIELD_NAMES:
        kind = FIELDS_BY_NAME[name].kind
        if kind is Kind.BOOLEAN:
            columns.append(pl.col(name).cast(pl.Int64) != 0)
        elif kind in (Kind.ROUTE, Kind.TEXT):
            columns.append(pl.col(name).cast(pl.String))
        else:
            columns.append(pl.col(name).cast(pl.Float64))
    columns.append(pl.col("extras").cast(pl.String))
    try:
        exact = frame.select(columns)
    except pl.exceptions.PolarsError:
        return None
    numbers = [n for n in FIELD_NAMES if FIELDS_BY_NAME[n].kind in (Kind.NUMBER, Kind.RATE)]
    texts = [n for n in FIELD_NAMES if FIELDS_BY_NAME[n].kind in (Kind.ROUTE, Kind.TEXT)] + ["extras"]
    changed = exact.select(pl.any_horizontal(
        *(pl.col(n).is_nan().any() for n in numbers),
        *(pl.col(n).str.contains("\x00", literal=True).any() for n in texts))).item()
    return None if changed else exact


def compute_traces_hash(store: WorkbookStore) -> tuple[str, int]:
    """Hash every visible row now, a part at a time (bounded memory): column-wise where the part's stored types
    allow, row by row for a part holding a cell of another type. Both write the same bytes."""
    state, identity = store.change_state(), store.version_key()
    digest, count = _digest_visible_rows(store)
    sha = digest.hexdigest()
    # Known for the rows as they are only when nothing wrote to the file while they were read.
    if store.change_state() == state:
        store.note_rows_hash(sha, count)
    if identity is not None and store.version_key() == identity:
        remember_rows_hash(store.path, (sha, count))
    return sha, count


def _digest_visible_rows(store: WorkbookStore) -> tuple[Any, int]:
    from desktop.storage.trace_frame import iter_exact_parts

    digest = hashlib.sha256()
    count = 0
    for frame, first, last in iter_exact_parts(store):
        if frame is not None:
            _hash_frame(digest, frame)
            count += frame.height
        else:
            for row in store.iter_traces(after_id=first - 1, up_to_id=last):
                digest.update(_row_bytes({k: v for k, v in row.items() if k not in ("id", "importId")}))
                count += 1
    return digest, count


def _row_bytes(content: dict[str, Any]) -> bytes:
    try:
        return canonical_bytes(content) + b"\n"
    except (TypeError, ValueError):  # a blob or an infinity: no canonical form, and no tool writes one
        odd = next((f"{'a blob' if isinstance(v, bytes) else 'an infinity'} (column '{k}')"
                    for k, v in content.items()
                    if isinstance(v, bytes) or isinstance(v, float) and not math.isfinite(v)), "a value of no type")
        raise DamagedTracesError(odd) from None


# ---------------------------------------------------------------------------------------------- column-wise

def frame_content_hash(frame: Any) -> str:
    """The rows' content hash from a frame as `read_exact_frame` gives it (same bytes as the row-dict hash)."""
    digest = hashlib.sha256()
    _hash_frame(digest, frame)
    return digest.hexdigest()


def _hash_frame(digest: Any, frame: Any) -> None:
    for start in range(0, frame.height, _SLICE):
        _hash_slice(digest, frame.slice(start, _SLICE))


def _hash_slice(digest: Any, part: Any) -> None:
    """Feed the slice's rows as canonical JSON lines. One polars pass writes each field as its `"name":value`
    text and polars' CSV writer joins them with commas and newlines (quoting nothing), which is quicker than
    building each line and joining the lines. Rows whose values polars writes differently than Python (a number
    below 1e-4 or from 1e16 up, a text that JSON escapes or that is not ASCII, extra fields) are written by the
    row-dict code, in place, when a slice holds any."""
    result = part.select(_pair_expressions())
    unusual_rows = result["__odd"].arg_true()
    pairs = result.drop("__odd")
    if not len(unusual_rows):
        buffer = io.BytesIO()
        pairs.write_csv(buffer, include_header=False, separator=",", quote_style="never", line_terminator="\n")
        digest.update(buffer.getbuffer())
        return
    import polars as pl

    from desktop.storage.trace_frame import frame_rows

    lines = pairs.select(pl.concat_str(pl.all(), separator=",") + "\n").to_series()
    texts = [_row_bytes({k: v for k, v in row.items() if k not in ("id", "importId")}).decode("utf-8")
             for row in frame_rows(part[unusual_rows])]
    digest.update(lines.scatter(unusual_rows, texts).str.join("").item().encode("utf-8"))


@functools.cache
def _pair_expressions() -> list[Any]:
    """Each field's `"name":value` text (the first with "{", the last with "}") and whether the row is unusual;
    built once (building them takes longer than hashing a small slice)."""
    import polars as pl

    last = len(_SORTED_FIELDS) - 1
    pairs: list[Any] = []
    odd: list[Any] = [pl.col("extras").is_not_null()]
    for i, name in enumerate(_SORTED_FIELDS):
        opening, closing = ("{" if i == 0 else ""), ("}" if i == last else "")
        text, unusual = _field_expressions(name, opening + encode_basestring(name) + ":", closing)
        pairs.append(text.alias(name))
        odd.append(unusual)
    return [*pairs, pl.any_horizontal(odd).alias("__odd")]


def _field_expressions(name: str, prefix: str, suffix: str) -> tuple[Any, Any]:
    """(`prefix`, the column's canonical JSON text and `suffix` when the value is usual, whether the value is
    unusual). One concatenation per field, null when the value is, then the null text: quicker than choosing
    between texts row by row."""
    import polars as pl

    column = pl.col(name)
    kind = FIELDS_BY_NAME[name].kind
    if kind is Kind.BOOLEAN:
        value, unusual = column.cast(pl.String), pl.lit(False)  # "true" / "false"
    elif kind in (Kind.ROUTE, Kind.TEXT):
        value, unusual = pl.lit('"') + column + pl.lit('"'), ~column.str.contains(_PLAIN_TEXT).fill_null(True)
    else:
        number = column.cast(pl.Float64)
        magnitude = number.abs()
        unusual = (((magnitude < 1e-4) & (magnitude > 0)) | (magnitude >= 1e16) | ~number.is_finite()).fill_null(False)
        # + 0.0 turns -0.0 into 0.0 (IEEE addition), which polars writes "0.0": "0" once the ".0" goes
        value = pl.lit('"') + (number + 0.0).cast(pl.String).str.strip_suffix(".0") + pl.lit('"')
    text = pl.concat_str([pl.lit(prefix), value, pl.lit(suffix)]).fill_null(pl.lit(prefix + "null" + suffix))
    return text, unusual
