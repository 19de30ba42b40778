"""Calculator inputs are named with unit and default (what `--help` lists), and scenarios round-trip as JSON."""

from __future__ import annotations

import json
import shlex

import pytest

from desktop.domain.errors import FieldError, UnknownNameError
from desktop.economics.calculators import CALCULATORS, calculator
from desktop.economics.params import REQUIRED, figures, to_json
from desktop.economics.scenarios import latest, make_scenario, run_scenario, scenario_from_json

ISSUE_EXAMPLES = {
    "dedicated": "--gpu-hour-usd 2.69 --gpus 1 --tokens-per-second 14539.5 --utilization 0.5 "
                 "--api-usd-per-million 0.20",
    "owned": "--capex-usd 270000 --gpus 8 --years 4 --power-kw 10.2 --load-factor 0.75 --pue 1.25 "
             "--usd-per-kwh 0.083 --colo-usd-per-kw-month 184.06 --support-usd-per-year 27000 "
             "--rental-gpu-hour-usd 2.69",
    "memory": "--model llama-3.1-70b --weights fp8 --kv-dtype bf16 --gpu h100-sxm --gpus 2 --context 8192 "
              "--memory-utilization 0.90 --reserve-gb 4",
    "replicas": "--arrival-rate 10 --service-time-s 15.5 --slots-per-replica 64 --p95-wait-s 1.0",
}


def _options(text: str) -> dict[str, str]:
    words = shlex.split(text)
    return dict(zip(words[::2], words[1::2], strict=True))


@pytest.mark.parametrize("kind", list(CALCULATORS))
def test_every_input_has_an_option_unit_or_choices_and_a_default(kind):
    for spec in calculator(kind).specs():
        assert spec.option.startswith("--") and spec.help
        assert spec.unit or spec.choices or spec.text or spec.option in ("--price",)
        assert spec.default == REQUIRED or spec.default is None or isinstance(spec.default, (int, float, str))
        assert spec.describe()


@pytest.mark.parametrize("kind", list(ISSUE_EXAMPLES))
def test_issue_examples_parse_as_written(kind):
    """The CLI passes option strings; the calculators take them by --option name."""
    result = calculator(kind).run_mapping(_options(ISSUE_EXAMPLES[kind]))
    data = to_json(result)
    json.dumps(data, allow_nan=False)
    assert data["assumptions"] and data["sources"]
    assert all(f.label for f in figures(result))


def test_scenario_round_trip_and_run():
    scenario = make_scenario("H100 rental", "dedicated", _options(ISSUE_EXAMPLES["dedicated"]),
                             saved_at="2026-11-28T10:00:00Z")
    data = scenario.to_json()
    assert data == {"name": "H100 rental", "kind": "dedicated", "savedAt": "2026-11-28T10:00:00Z",
                    "inputs": {"gpuHourUsd": 2.69, "gpus": 1, "tokensPerSecond": 14539.5, "utilization": 0.5,
                               "apiUsdPerMillion": 0.2, "hoursPerMonth": 730.0}}
    again = scenario_from_json(json.loads(json.dumps(data)))
    assert again == scenario
    assert run_scenario(again).break_even_utilization == pytest.approx(0.256963, rel=1e-5)


def test_scenario_from_an_inputs_dataclass():
    inputs = calculator("fallback").inputs(fallback_share=0.1, primary_cost_usd=1, fallback_cost_usd=2)
    scenario = make_scenario("blend", "fallback", inputs)
    assert scenario.saved_at.endswith("Z")
    assert run_scenario(scenario).blended_cost_usd == pytest.approx(1.1)


def test_bad_scenarios_are_refused():
    with pytest.raises(UnknownNameError, match="dedicated"):
        make_scenario("x", "teleport", {})
    with pytest.raises(FieldError, match="not an input"):
        make_scenario("x", "fallback", {"fallbackShare": 0.1, "colour": "red"})
    with pytest.raises(FieldError, match="name"):
        make_scenario("  ", "fallback", {})
    with pytest.raises(FieldError, match="must be a number"):
        make_scenario("x", "fallback", {"fallbackShare": "lots", "primaryCostUsd": 1, "fallbackCostUsd": 1})
    with pytest.raises(FieldError, match="savedAt"):
        scenario_from_json({"name": "x", "kind": "fallback", "inputs": {}})


def test_latest_scenario_of_a_kind():
    older = make_scenario("a", "fallback", {"fallbackShare": 0.1, "primaryCostUsd": 1, "fallbackCostUsd": 2},
                          saved_at="2026-01-01T00:00:00Z")
    newer = make_scenario("b", "fallback", {"fallbackShare": 0.2, "primaryCostUsd": 1, "fallbackCostUsd": 2},
                          saved_at="2026-02-01T00:00:00Z")
    assert latest([newer, older], "fallback") is newer
    assert latest([older], "memory") is None
