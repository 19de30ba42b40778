"""The import dialog speaks the playbook's words ("Input tokens", "Cost (USD)") with the field's name in the
tooltip, and imports rows with plausibility warnings only with the officer's reason, recorded like the CLI's
--accept-warnings."""

from PySide6.QtCore import Qt

from desktop.domain.trace import FIELD_NAMES
from desktop.ui.import_dialog import NEEDS_REASON_TIP

GOOD = dict(zip(FIELD_NAMES, ["Managed frontier API", "OpenAI", "m1", "coding", "6200", "1200", "0.35", "false",
                              "4", "1900", "14800", "28200", "48", "0.84", "0.215", "3.5"], strict=True))


def write_csv(path, rows, header=FIELD_NAMES):
    lines = [",".join(header)] + [",".join(str(row[name]) for name in FIELD_NAMES if name in header) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def renamed_header(path, renames):
    """`path` with some header cells spelled another way (the rows unchanged)."""
    header, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(",".join(renames.get(cell, cell) for cell in header.split(",")) + "\n" + rest, encoding="utf-8")
    return path


def p50_above_p95_rows(count, odd):
    """`count` good rows, the first `odd` of them with a p50 (30000 ms) above their p95 (28200 ms)."""
    return [dict(GOOD, latencyP50Ms="30000" if i < odd else GOOD["latencyP50Ms"]) for i in range(count)]


def read(qtbot, dialog, paths):
    dialog.set_paths(paths)
    assert dialog.start_parse()
    qtbot.waitUntil(lambda: dialog.stage != "parsing", timeout=30_000)
    return dialog.stage


def column_cells(dialog, role):
    model = dialog.problem_model
    return [model.data(model.index(r, 2), role) for r in range(model.rowCount())]


def test_values_for_fields_the_files_do_not_record_are_named_in_the_playbooks_words(dialog):
    checks = dialog.set_checks
    assert {name: check.text() for name, check in checks.items()} == {
        "route": "Route", "provider": "Provider", "workload": "Workload", "batchEligible": "Batch eligible",
        "acceptedOutputRate": "Accepted output rate", "costUsd": "Cost (USD)", "reviewMinutes": "Review minutes",
        "concurrency": "Concurrency"}
    assert checks["costUsd"].toolTip() == "costUsd (USD per request), may be not observed"
    assert checks["acceptedOutputRate"].toolTip() == "acceptedOutputRate (share 0-1), may be not observed"
    assert checks["concurrency"].toolTip() == "concurrency (concurrent requests), required"
    assert dialog.set_editors["costUsd"].accessibleName() == "Value for Cost (USD)"
    hint = next(label.text() for label in dialog.findChildren(type(dialog.rows_label))
                if label.text().startswith("Tick a field"))
    assert "For Accepted output rate, Cost (USD), Review minutes an empty value means 'not observed'" in hint
    assert "costUsd" not in hint


def test_the_problems_table_names_the_field_and_keeps_the_header_as_written_in_the_tooltip(qtbot, dialog, tmp_path):
    rows = [dict(GOOD), dict(GOOD, inputTokens="-5"), dict(GOOD, acceptedOutputRate="1.4")]
    source = renamed_header(write_csv(tmp_path / "bad.csv", rows), {"inputTokens": "prompt_tokens"})
    assert read(qtbot, dialog, [source]) == "preview"
    assert column_cells(dialog, Qt.ItemDataRole.DisplayRole) == ["Input tokens", "Accepted output rate"]
    assert column_cells(dialog, Qt.ItemDataRole.ToolTipRole) == [
        "'prompt_tokens' in the file; inputTokens (tokens), required",
        "acceptedOutputRate (share 0-1), may be not observed"]


def test_a_field_the_file_does_not_record_is_named_in_the_playbooks_words(qtbot, dialog, tmp_path):
    lacking = [name for name in FIELD_NAMES if name != "costUsd"]
    assert read(qtbot, dialog, [write_csv(tmp_path / "nocost.csv", [GOOD, GOOD], header=lacking)]) == "preview"
    model = dialog.problem_model
    (row,) = [r for r in range(model.rowCount()) if model.data(model.index(r, 2)) == "Cost (USD)"]
    assert model.data(model.index(row, 1)) == "1"  # the header row, where the column is missing
    assert model.data(model.index(row, 2), Qt.ItemDataRole.ToolTipRole) == \
        "costUsd (USD per request), may be not observed"
    assert model.data(model.index(row, 4)) == (
        "column missing: add it, give one value for every row (tick 'Cost (USD)' under Values for fields the files "
        "do not record), or declare it not observed (tick 'Cost (USD)' under Values for fields the files do not "
        "record and leave its value empty)")
    tooltip = model.data(model.index(row, 4), Qt.ItemDataRole.ToolTipRole)  # the whole line, for a narrow cell
    assert tooltip.startswith("nocost.csv:1:costUsd: column missing: add it, give one value for every row (tick ")
    assert "--set" not in tooltip


def test_a_field_the_dialog_cannot_give_keeps_the_command_line_hint(qtbot, dialog, tmp_path):
    lacking = [name for name in FIELD_NAMES if name != "model"]
    assert read(qtbot, dialog, [write_csv(tmp_path / "nomodel.csv", [GOOD], header=lacking)]) == "preview"
    model = dialog.problem_model
    (row,) = [r for r in range(model.rowCount()) if model.data(model.index(r, 2)) == "Model"]
    assert "(--set model=VALUE)" in model.data(model.index(row, 4))


def test_preview_headers_use_the_playbooks_words_with_the_field_name_in_the_tooltip(qtbot, dialog, tmp_path):
    assert read(qtbot, dialog, [write_csv(tmp_path / "clean.csv", [GOOD])]) == "preview"
    table = dialog.preview_table
    headers = {table.horizontalHeaderItem(c).text(): table.horizontalHeaderItem(c).toolTip()
               for c in range(table.columnCount())}
    assert headers["Input tokens"] == "inputTokens (tokens), required"
    assert headers["Accepted output rate"] == "acceptedOutputRate (share 0-1), may be not observed"
    assert headers["Cost (USD)"] == "costUsd (USD per request), may be not observed"
    assert "inputTokens" not in headers and "costUsd" not in headers


def test_rows_with_warnings_import_only_with_a_reason_and_the_reason_is_recorded(qtbot, dialog, document,
                                                                                 tmp_path):
    source = write_csv(tmp_path / "odd.csv", p50_above_p95_rows(3, odd=1))
    assert read(qtbot, dialog, [source]) == "preview"
    assert dialog.warnings_host.isVisibleTo(dialog)
    assert "1 plausibility warning(s).</b> To import these rows, say below why they are right" in \
        dialog.summary_label.text()
    assert not dialog.import_button.isEnabled() and not dialog.valid_only_button.isEnabled()
    assert dialog.import_button.toolTip() == NEEDS_REASON_TIP
    qtbot.keyClicks(dialog.warnings_reason, "   ")  # blanks are no reason
    assert not dialog.import_button.isEnabled()
    dialog.warnings_reason.clear()
    qtbot.keyClicks(dialog.warnings_reason, "vendor swapped the columns; confirmed by mail")
    assert dialog.import_button.isEnabled() and dialog.import_button.toolTip() == ""
    imports_before = len(document.store.imports())
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stage == "done", timeout=60_000)
    assert len(document.store.imports()) == imports_before + 1
    details = document.store.imports()[-1]["details"]
    assert details["warningsAcceptedBecause"] == "vendor swapped the columns; confirmed by mail"
    assert [(w["row"], w["column"]) for w in details["warnings"]] == [(1, "latencyP50Ms")]
    assert details["warningCount"] == 1


def test_valid_rows_only_with_warnings_also_needs_the_reason(qtbot, dialog, document, tmp_path):
    rows = [*p50_above_p95_rows(3, odd=1), dict(GOOD, inputTokens="-5")]
    assert read(qtbot, dialog, [write_csv(tmp_path / "both.csv", rows)]) == "preview"
    assert not dialog.valid_only_button.isEnabled() and dialog.valid_only_button.toolTip() == NEEDS_REASON_TIP
    assert not dialog.start_store(valid_only=True)  # refused without a reason, nothing started
    assert dialog.stage == "preview"
    qtbot.keyClicks(dialog.warnings_reason, "re-measured: the p50 is right")
    assert dialog.valid_only_button.isEnabled() and not dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.valid_only_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stage == "done", timeout=60_000)
    details = document.store.imports()[-1]["details"]
    assert details["importedValidRowsOnly"] is True
    assert details["warningsAcceptedBecause"] == "re-measured: the p50 is right"


def test_a_clean_file_asks_no_reason(qtbot, dialog, document, tmp_path):
    assert read(qtbot, dialog, [write_csv(tmp_path / "clean.csv", [GOOD, GOOD])]) == "preview"
    assert not dialog.warnings_host.isVisibleTo(dialog) and dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stage == "done", timeout=60_000)
    details = document.store.imports()[-1]["details"]
    assert details["warningsAcceptedBecause"] is None and details["warningCount"] == 0


def test_a_reason_given_for_one_preview_is_not_carried_to_the_next(qtbot, dialog, tmp_path):
    source = write_csv(tmp_path / "odd.csv", p50_above_p95_rows(3, odd=1))
    read(qtbot, dialog, [source])
    qtbot.keyClicks(dialog.warnings_reason, "for the first file")
    dialog.back_button.click()
    assert read(qtbot, dialog, [source]) == "preview"
    assert dialog.warnings_reason.text() == "" and not dialog.import_button.isEnabled()


def test_the_preview_says_how_many_warnings_it_does_not_list(qtbot, dialog, tmp_path):
    assert read(qtbot, dialog, [write_csv(tmp_path / "odd.csv", p50_above_p95_rows(10, odd=8))]) == "preview"
    text = dialog.summary_label.text()
    assert text.count("Warning</b>") == 6
    assert ("odd.csv: 2 more plausibility warnings not listed; all 8 are kept in the import&#x27;s provenance "
            "once imported") in text
