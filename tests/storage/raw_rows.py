"""A sample workbook file with extra trace rows written straight through SQL, as another tool could write them
(any cell type, any extras text), for the tests of the readers that must take such rows."""

import sqlite3

from desktop.domain.sample import sample_traces, sample_workbook
from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind
from desktop.resources import playbook
from desktop.storage.workbook_file import create_workbook_file


def workbook_with_raw_rows(tmp_path, rows, extras=None):
    """The sample workbook at `tmp_path`/w.ipwb plus `rows` (dicts of the sixteen fields) in import 1, row i
    carrying the extras text `extras[i]` when given; returns its path."""
    book = playbook()
    path = tmp_path / "w.ipwb"
    create_workbook_file(path, book, sample_workbook(book), sample_traces(book))
    conn = sqlite3.connect(path)
    columns = ", ".join(f'"{n}"' for n in FIELD_NAMES)
    conn.executemany(f"INSERT INTO traces (import_id, {columns}, extras) VALUES (1, {', '.join('?' * 17)})",
                     [(*(r[n] for n in FIELD_NAMES), (extras or {}).get(i)) for i, r in enumerate(rows)])
    conn.commit()
    conn.close()
    return path


REQUIRED = {"inputTokens", "outputTokens", "concurrency"}  # NOT NULL in the schema


def random_row(rng, *, numbers, texts, exponent=6):
    """One row of the sixteen fields: booleans as 0/1, names from `texts`, numbers random (up to 10**`exponent`
    either way), whole, or one of `numbers`, or null where the schema allows it."""
    row = {}
    for name in FIELD_NAMES:
        kind = FIELDS_BY_NAME[name].kind
        if kind is Kind.BOOLEAN:
            row[name] = rng.choice([0, 1])
        elif kind in (Kind.ROUTE, Kind.TEXT):
            row[name] = rng.choice(texts)
        else:
            values = [rng.random() * 10 ** rng.randint(-exponent, exponent), rng.randint(0, 5000) * 1.0,
                      rng.choice(numbers)]
            row[name] = rng.choice(values + ([] if name in REQUIRED else [None]))
    return row


def tripled_cost_log_beside(path, tmp_path):
    """Put beside `path` a write-ahead log in which row 1 costs three times as much (made on a copy in WAL mode
    and copied while the copy's log is still there), without touching `path` itself: SQLite lays a log it
    finds beside a database over it whatever the file's header says, as for a log another tool left or an
    attacker put there. Returns the log's path."""
    import shutil

    donor = tmp_path / "donor.ipwb"
    shutil.copyfile(path, donor)
    conn = sqlite3.connect(donor)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE traces SET costUsd = costUsd * 3 WHERE id = 1")
    conn.commit()
    log = path.with_name(path.name + "-wal")
    shutil.copyfile(donor.with_name(donor.name + "-wal"), log)
    conn.close()
    return log
