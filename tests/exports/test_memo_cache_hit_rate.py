"""The memo reports the recommended metric with the cache hit rate of the row it rests on; a cache hit rate the
traces do not record reads "not observed", never 0% (issue 13)."""

import subprocess

from export_helpers import rich_sample

from desktop.cli import main


def _appendix_lines(tmp_path):
    workbook = rich_sample(tmp_path / "rich.ipwb")
    memo = tmp_path / "memo.pdf"
    assert main(["export", str(workbook), "--pdf", str(memo)]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(memo), "-"], capture_output=True, text=True,
                          check=True).stdout
    start = text.index("Its cache")
    return text[start:text.index("Imports", start)].splitlines()


def test_the_trace_summary_names_each_best_rows_cache_hit_rate(tmp_path):
    lines = _appendix_lines(tmp_path)
    # export_helpers.edge_rows: the self-hosted vLLM row records no cacheHitRate (None) and is its group's best
    self_hosted = next(line for line in lines if "vLLM on H100" in line)
    assert self_hosted.rstrip().endswith("not observed") and "$2.02" in self_hosted
    # export_helpers.base_row: the support-policy dedicated rows record cacheHitRate 0.2
    dedicated = next(line for line in lines if "Dedicated endpoint" in line and "$0.0625" in line)
    assert dedicated.rstrip().endswith("20%")
    # a group without a row at target has no row whose cache hit rate could be reported
    none_at_target = [line for line in lines if "none at target" in line]
    assert none_at_target and all(line.rstrip().endswith("\u2013") for line in none_at_target)
    assert not any(line.rstrip().endswith(" 0%") for line in lines)
