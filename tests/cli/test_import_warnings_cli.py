"""`ipw import` with more plausibility warnings than it lists: one closing line says how many more there are
and where they are kept (the import's provenance keeps the first 200 and the count of all)."""

import csv


from desktop.domain.trace import FIELD_NAMES
from desktop.resources import playbook

GOOD = dict(playbook().template_rows[0])


def odd_rows(count, odd):
    """`count` rows, the first `odd` with a p50 latency above their p95 (one warning each)."""
    p95 = float(GOOD["latencyP95Ms"])
    return [dict(GOOD, model=f"m{i}", latencyP50Ms=str(p95 + 1000) if i < odd else GOOD["latencyP50Ms"])
            for i in range(count)]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FIELD_NAMES))
        writer.writeheader()
        writer.writerows(rows)
    return path


def warning_lines(err):
    return [line for line in err.splitlines() if line.startswith("warning: ")]


def test_more_warnings_than_listed_end_with_the_count_and_where_they_are(empty, tmp_path, ipw):
    source = write_csv(tmp_path / "odd.csv", odd_rows(260, odd=250))
    result = ipw("import", empty, source, "--accept-warnings", "a known clock bug in the harness")
    assert result.code == 0, result.err
    lines = warning_lines(result.err)
    assert len(lines) == 201
    assert lines[199].startswith("warning: odd.csv: valid row 200: latencyP50Ms:")
    assert lines[200] == (f"warning: odd.csv: 50 more plausibility warnings not listed (250 in all); the import's "
                          f"provenance (ipw traces {empty} --imports --json) keeps the first 200 and the count of "
                          f"all 250")
    (imported,) = ipw("traces", empty, "--imports", "--json").json["imports"]
    assert len(imported["details"]["warnings"]) == 200 and imported["details"]["warningCount"] == 250
    assert imported["details"]["warnings"][-1]["row"] == 200


def test_no_closing_line_when_every_warning_is_listed(empty, tmp_path, ipw):
    result = ipw("import", empty, write_csv(tmp_path / "odd.csv", odd_rows(210, odd=200)))
    assert result.code == 0, result.err
    lines = warning_lines(result.err)
    assert len(lines) == 200 and all("valid row" in line for line in lines)
    (imported,) = ipw("traces", empty, "--imports", "--json").json["imports"]
    assert imported["details"]["warningCount"] == 200


def test_a_refused_import_says_the_warnings_were_not_kept(empty, tmp_path, ipw):
    rows = [*odd_rows(230, odd=205), dict(GOOD, inputTokens="-1")]
    result = ipw("import", empty, write_csv(tmp_path / "odd.csv", rows))
    assert result.code == 1
    assert warning_lines(result.err)[-1] == \
        "warning: odd.csv: 5 more plausibility warnings not listed (205 in all); nothing was imported"


def test_json_output_counts_every_warning(empty, tmp_path, ipw):
    result = ipw("import", empty, write_csv(tmp_path / "odd.csv", odd_rows(240, odd=230)), "--json")
    assert result.code == 0, result.err
    assert len(result.json["warnings"]) == 200 and result.json["warningCount"] == 230
