import csv
import json


from desktop.domain.trace import FIELD_NAMES
from desktop.resources import playbook
from tests.importers.request_logs import write_request_log

GOOD_ROWS = [dict(r) for r in playbook().template_rows]


def write_csv(path, rows, header=FIELD_NAMES):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def test_import_valid_csv_and_list_traces(empty, tmp_path, ipw):
    source = write_csv(tmp_path / "traces.csv", GOOD_ROWS)
    result = ipw("import", empty, source, "--json")
    assert result.code == 0, result.err
    data = result.json
    assert data["problems"] == []
    (imp,) = data["imports"]
    assert {"importId", "source", "format", "sha256", "rowsRead", "rowsImported", "rowsRejected"} <= set(imp)
    assert (imp["format"], imp["rowsRead"], imp["rowsImported"], imp["rowsRejected"]) == ("csv", 3, 3, 0)
    traces = ipw("traces", empty, "--json").json["traces"]
    assert len(traces) == 3
    assert set(FIELD_NAMES) | {"id", "importId"} <= set(traces[0])
    assert traces[0]["costUsd"] == 0.215 and traces[1]["batchEligible"] is True
    assert ipw("info", empty, "--json").json["traceCount"] == 3


def test_invalid_row_without_skip_changes_nothing(empty, tmp_path, ipw):
    rows = [dict(GOOD_ROWS[0]), dict(GOOD_ROWS[1], cacheHitRate="1.4"), dict(GOOD_ROWS[2], inputTokens="-1")]
    source = write_csv(tmp_path / "bad.csv", rows)
    before = empty.read_bytes()
    result = ipw("import", empty, source)
    assert result.code == 1
    assert "bad.csv:3:cacheHitRate: must be between 0 and 1 (value '1.4')" in result.err
    assert "bad.csv:4:inputTokens: must not be negative (value '-1')" in result.err
    assert empty.read_bytes() == before


def test_skip_invalid_imports_the_rest_and_records_the_choice(empty, tmp_path, ipw):
    rows = [dict(GOOD_ROWS[0]), dict(GOOD_ROWS[1], route="Owned hardware")]
    source = write_csv(tmp_path / "mixed.csv", rows)
    result = ipw("import", empty, source, "--skip-invalid", "--json")
    assert result.code == 0
    assert result.json["imports"][0]["rowsImported"] == 1
    assert result.json["imports"][0]["rowsRejected"] == 1
    assert result.json["problems"][0]["column"] == "route"
    imports = ipw("traces", empty, "--imports", "--json").json["imports"]
    assert imports[0]["details"]["importedValidRowsOnly"] is True


def test_several_sources_are_one_transaction(empty, tmp_path, ipw):
    good = write_csv(tmp_path / "good.csv", GOOD_ROWS)
    bad = write_csv(tmp_path / "bad.csv", [dict(GOOD_ROWS[0], concurrency="0")])
    result = ipw("import", empty, good, bad)
    assert result.code == 1
    assert ipw("info", empty, "--json").json["traceCount"] == 0


def test_duplicate_needs_allow_duplicate(empty, tmp_path, ipw):
    source = write_csv(tmp_path / "t.csv", GOOD_ROWS)
    assert ipw("import", empty, source).code == 0
    result = ipw("import", empty, source)
    assert result.code == 1 and "already imported" in result.err
    assert ipw("import", empty, source, "--allow-duplicate").code == 0
    assert ipw("info", empty, "--json").json["traceCount"] == 6


def test_missing_column_needs_set(empty, tmp_path, ipw):
    header = [f for f in FIELD_NAMES if f != "workload"]
    rows = [{k: v for k, v in r.items() if k != "workload"} for r in GOOD_ROWS]
    source = write_csv(tmp_path / "noworkload.csv", rows, header)
    result = ipw("import", empty, source)
    assert result.code == 1 and "workload" in result.err
    result = ipw("import", empty, source, "--set", "workload=chat")
    assert result.code == 0, result.err
    traces = ipw("traces", empty, "--json").json["traces"]
    assert {t["workload"] for t in traces} == {"chat"}


def test_delete_import(empty, tmp_path, ipw):
    source = write_csv(tmp_path / "t.csv", GOOD_ROWS)
    import_id = ipw("import", empty, source, "--json").json["imports"][0]["importId"]
    assert ipw("traces", empty, "--delete-import", import_id).code == 0
    assert ipw("info", empty, "--json").json["traceCount"] == 0
    result = ipw("traces", empty, "--delete-import", 999)
    assert result.code == 1 and "no import 999" in result.err


def test_missing_source_and_bad_set(empty, tmp_path, ipw):
    assert ipw("import", empty, tmp_path / "nope.csv").code == 1
    source = write_csv(tmp_path / "t.csv", GOOD_ROWS)
    assert ipw("import", empty, source, "--set", "novalue").code == 2


def test_templates_round_trip(empty, tmp_path, ipw):
    paths = {kind: tmp_path / f"template.{ext}" for kind, ext in
             (("csv", "csv"), ("xlsx", "xlsx"), ("schema", "json"), ("runbook", "md"))}
    result = ipw("template", *[a for kind, p in paths.items() for a in (f"--{kind}", p)])
    assert result.code == 0, result.err
    assert all(p.exists() and p.stat().st_size > 0 for p in paths.values())
    json.loads(paths["schema"].read_text())
    assert ipw("import", empty, paths["csv"]).code == 0
    assert ipw("import", empty, paths["xlsx"], "--allow-duplicate").code == 0
    assert ipw("info", empty, "--json").json["traceCount"] == 6
    assert ipw("template").code == 2


def test_plausibility_warnings_and_not_observed_cache_hits(empty, tmp_path, ipw):
    """A row with p50 above p95 imports with a warning on stderr and in --json; a blank cache-hit cell
    is null in `ipw traces --json`, not 0."""
    rows = [dict(GOOD_ROWS[0], latencyP50Ms="5000", latencyP95Ms="4000", cacheHitRate=""), dict(GOOD_ROWS[1])]
    source = write_csv(tmp_path / "odd.csv", rows)
    result = ipw("import", empty, source, "--accept-warnings", "vendor swapped the columns; confirmed by mail")
    assert result.code == 0, result.err
    assert "warning: odd.csv: valid row 1: latencyP50Ms: p50 latency is above the p95 latency (4000 ms)" in result.err
    traces = ipw("traces", empty, "--json").json["traces"]
    assert traces[0]["cacheHitRate"] is None and traces[1]["cacheHitRate"] == float(GOOD_ROWS[1]["cacheHitRate"])
    (imported,) = ipw("traces", empty, "--imports", "--json").json["imports"]
    assert imported["details"]["warningsAcceptedBecause"] == "vendor swapped the columns; confirmed by mail"
    assert imported["details"]["warnings"][0]["column"] == "latencyP50Ms"
    again = ipw("import", empty, source, "--allow-duplicate", "--json")
    assert [(w["row"], w["column"]) for w in again.json["warnings"]] == [(1, "latencyP50Ms")]


LANE = ("--set", "batchEligible=false", "--set", "reviewMinutes=")


def test_a_request_log_says_how_many_requests_it_summarised_into_how_many_trace_rows(empty, tmp_path, ipw):
    log = write_request_log(tmp_path / "log.csv", 1200)
    result = ipw("import", empty, log, *LANE)
    assert result.code == 0, result.err
    assert result.out == "summarised 1,200 requests into 3 trace rows from log.csv (requests) as import 1\n"
    (imp,) = ipw("traces", empty, "--imports", "--json").json["imports"]
    assert (imp["rowsRead"], imp["rowsImported"]) == (1200, 3)


def test_rejected_requests_show_as_part_of_those_read(empty, tmp_path, ipw):
    log = write_request_log(tmp_path / "log.csv", 1200, bad_latency_every=240)  # requests 0, 240, ... 960
    result = ipw("import", empty, log, *LANE, "--skip-invalid")
    assert result.code == 0, result.err
    assert "summarised 1,195 of 1,200 requests into 3 trace rows from log.csv (requests) as import 1\n" == result.out
    assert result.err.count("latency_ms: must not be negative") == 5


def test_a_trace_table_is_still_imported_row_for_row(empty, tmp_path, ipw):
    source = write_csv(tmp_path / "traces.csv", GOOD_ROWS)
    assert ipw("import", empty, source).out == "imported 3 of 3 rows from traces.csv (csv) as import 1\n"
