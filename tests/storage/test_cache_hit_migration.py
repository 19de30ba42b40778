"""Schema 3: an unrecorded cache hit rate is not observed (null), in new files and in files written before."""

import sqlite3

from desktop.domain.trace import FIELD_NAMES
from desktop.storage.schema import SCHEMA_VERSION, migrate


def _version_2_file_with_a_not_null_cache_hit_rate() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    migrate(conn, target=2)
    columns = ", ".join(f'"{n}" {"REAL NOT NULL" if n == "cacheHitRate" else "TEXT"}' for n in FIELD_NAMES)
    conn.execute("DROP TABLE traces")  # as version 2 wrote it: cacheHitRate NOT NULL, default 0 filled in
    conn.execute(f"CREATE TABLE traces (id INTEGER PRIMARY KEY, import_id INTEGER, {columns}, extras TEXT, "
                 f"defaulted TEXT, edited TEXT, active INTEGER NOT NULL DEFAULT 1)")
    for row_id, rate, defaulted in ((1, 0.0, "cacheHitRate,batchEligible"), (2, 0.3, None),
                                    (3, 0.0, "batchEligible,cacheHitRate"), (4, 0.0, "cacheHitRate")):
        values = {n: "x" for n in FIELD_NAMES} | {"model": f"m{row_id}", "cacheHitRate": rate}
        names = ", ".join(f'"{n}"' for n in values)
        conn.execute(f"INSERT INTO traces (id, {names}, defaulted) VALUES (?, {', '.join('?' * len(values))}, ?)",
                     (row_id, *values.values(), defaulted))
    return conn


def test_defaulted_zero_rates_become_not_observed_and_measured_ones_stay():
    conn = _version_2_file_with_a_not_null_cache_hit_rate()
    assert migrate(conn) == 2
    rows = conn.execute('SELECT id, model, "cacheHitRate", defaulted FROM traces ORDER BY id').fetchall()
    assert rows == [(1, "m1", None, "batchEligible"), (2, "m2", 0.3, None), (3, "m3", None, "batchEligible"),
                    (4, "m4", None, None)]
    values = {n: "x" for n in FIELD_NAMES} | {"cacheHitRate": None}
    conn.execute(f"INSERT INTO traces ({', '.join(repr(n) for n in values)}) VALUES ({', '.join('?' * len(values))})",
                 tuple(values.values()))  # the NOT NULL is gone
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'traces'").fetchall() \
        == [("traces_import",)]
