import copy
import json
from pathlib import Path

import jsonschema
import pytest

from desktop import paths
from desktop.domain.errors import PlaybookError, UnknownNameError
from desktop.domain.playbook import parse_playbook
from desktop.domain.slugs import slugify
from desktop.resources import load_playbook_file, playbook


@pytest.fixture
def raw():
    return json.loads(paths.resource("playbook.json").read_text(encoding="utf-8"))


@pytest.fixture
def seed():
    return json.loads((Path(__file__).parents[1] / "fixtures" / "seed_playbook.json").read_text(encoding="utf-8"))


def test_bundled_playbook_matches_its_schema(raw):
    schema = json.loads(paths.resource("playbook.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(raw, schema)


def test_playbook_carries_the_seed_content(seed):
    book = playbook()
    matrix = seed["hardwareProcurementMatrix"]
    assert book.version == seed["version"]
    assert [r.name for r in book.routes] == [r["route"] for r in seed["routes"]]
    assert [r.best_for for r in book.routes] == [r["bestFor"] for r in seed["routes"]]
    assert [lv.question for lv in book.levers] == [lv["question"] for lv in seed["levers"]]
    assert [s.url for s in book.sources] == [s["url"] for s in seed["sourceTrail"]]
    assert [g.failure_if_skipped for g in book.gates] == [g["failureIfSkipped"] for g in matrix["decisionGates"]]
    assert [g.evidence_needed for g in book.gates] == [g["evidenceNeeded"] for g in matrix["decisionGates"]]
    assert [(r.name, r.stage, r.owner) for r in book.procurement_routes] == [
        (r["route"], r["stage"], r["owner"]) for r in matrix["routes"]]
    assert [(d.name, d.reference_score, d.note) for d in book.readiness] == [
        (d["dimension"], d["score"], d["note"]) for d in matrix["readinessScores"]]
    assert [f.name for f in book.trace_fields] == [f["field"] for f in seed["traceKit"]["fields"]]
    assert [m.formula for m in book.metrics] == [m["formula"] for m in seed["traceKit"]["metrics"]]
    assert list(book.template_rows) == seed["traceKit"]["templateRows"]
    assert book.recommended_metric == seed["recommendedMetric"]


def test_checklists_split_evidence_in_seed_order():
    book = playbook()
    assert [len(g.checklist) for g in book.gates] == [5, 5, 6, 5, 5]
    memory = book.gate("memory-and-context-fit")
    assert [i.number for i in memory.checklist] == [1, 2, 3, 4, 5, 6]
    assert memory.checklist[0].text == "Model size"
    assert memory.checklist[-1].text == "Observed out-of-memory events"
    assert book.gate("demand-shape").checklist[1].text == "p95 latency target"


@pytest.mark.parametrize("name, slug", [
    ("Memory and context fit", "memory-and-context-fit"),
    ("Ops ownership", "ops-ownership"),
    ("Managed API only", "managed-api-only"),
    ("Hosted open-weight serverless", "hosted-open-weight-serverless"),
    ("  Weird -- name!! ", "weird-name"),
])
def test_slugify(name, slug):
    assert slugify(name) == slug


def test_lookup_by_slug_or_exact_name_ignoring_case():
    book = playbook()
    assert book.gate("MEMORY-AND-CONTEXT-FIT").name == "Memory and context fit"
    assert book.gate("utilization proof").slug == "utilization-proof"
    assert book.dimension("Ops Ownership").slug == "ops-ownership"
    assert book.procurement_route("owned hardware").stage == "Strategic capacity"
    with pytest.raises(UnknownNameError, match="unknown gate 'memory'"):
        book.gate("memory")


def test_trace_route_aliases_and_mapping():
    book = playbook()
    aliases = book.trace_route_aliases()
    assert aliases["managed api only"] == "Managed frontier API"
    assert aliases["dedicated hosted endpoint"] == "Dedicated endpoint"
    assert aliases["cloud gpu self-hosting"] == "Self-hosted GPU stack"
    assert "owned hardware" not in aliases
    assert [r.slug for r in book.matrix_routes_for("Self-hosted GPU stack")] == [
        "cloud-gpu-self-hosting", "owned-hardware"]


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d["hardwareProcurementMatrix"]["decisionGates"][2].pop("buyerQuestion"),
     "hardwareProcurementMatrix.decisionGates[2].buyerQuestion"),
    (lambda d: d["hardwareProcurementMatrix"]["readinessScores"][1].__setitem__("score", 140),
     "hardwareProcurementMatrix.readinessScores[1].score"),
    (lambda d: d["routes"][0].__setitem__("slug", "wrong"), "routes[0].slug"),
    (lambda d: d["traceKit"]["fields"][3].__setitem__("type", "date"), "traceKit.fields[3].type"),
    (lambda d: d["hardwareProcurementMatrix"]["decisionGates"][0]["checklist"][1].__setitem__("number", 7),
     "hardwareProcurementMatrix.decisionGates[0].checklist[1].number"),
    (lambda d: d["traceRouteMapping"][0].__setitem__("matrixRoutes", ["Nowhere"]),
     "traceRouteMapping[0].matrixRoutes[0]"),
])
def test_broken_playbook_names_the_field(raw, mutate, path):
    broken = copy.deepcopy(raw)
    mutate(broken)
    with pytest.raises(PlaybookError) as info:
        parse_playbook(broken)
    assert info.value.path == path
    assert path in str(info.value)


def test_unreadable_playbook_file(tmp_path):
    bad = tmp_path / "playbook.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(PlaybookError, match="not valid JSON"):
        load_playbook_file(bad)
