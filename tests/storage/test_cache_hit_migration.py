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



# The traces table exactly as release 0.1.0 (schema 2) wrote it: `git show 78301ca:desktop/storage/schema.py`
# run with `migrate`, its sqlite_master text copied here.
RELEASE_0_1_TRACES_SQL = """CREATE TABLE traces (
    id INTEGER PRIMARY KEY,
    import_id INTEGER REFERENCES imports(id),
    "route" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "workload" TEXT NOT NULL,
    "inputTokens" REAL NOT NULL,
    "outputTokens" REAL NOT NULL,
    "cacheHitRate" REAL NOT NULL,
    "batchEligible" INTEGER NOT NULL,
    "concurrency" REAL NOT NULL,
    "ttftMs" REAL,
    "latencyP50Ms" REAL,
    "latencyP95Ms" REAL,
    "outputTokensPerSecond" REAL,
    "acceptedOutputRate" REAL,
    "costUsd" REAL,
    "reviewMinutes" REAL,
    extras TEXT,
    defaulted TEXT,
    edited TEXT,
    active INTEGER NOT NULL DEFAULT 1
)"""


def test_the_version_2_schema_rebuilt_for_the_received_file_check_is_the_previous_releases():
    """Received files are compared with the schema rebuilt from the migrations (storage/received.py): the
    version-1 migration must still create cacheHitRate NOT NULL, as 0.1.0 did, or every older workbook
    would be refused as foreign."""
    from desktop.storage.received import expected_schema, normalised_sql

    traces = [sql for kind, name, _table, sql in expected_schema(2) if kind == "table" and name == "traces"]
    assert traces == [normalised_sql(RELEASE_0_1_TRACES_SQL)]
