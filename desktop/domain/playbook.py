"""The playbook: routes, levers, gates, procurement routes, readiness dimensions and the trace kit.

Loaded from `resources/playbook.json` (see `desktop.resources`); this module turns the parsed JSON into
frozen dataclasses and names the exact field when something is missing or has the wrong type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop.domain.errors import PlaybookError
from desktop.domain.slugs import resolve, slugify


@dataclass(frozen=True)
class TraceRoute:
    slug: str
    name: str
    best_for: str
    cost_drivers: tuple[str, ...]
    watchouts: str
    buyer_decision: str
    matrix_routes: tuple[str, ...]  # slugs of the procurement routes this trace route is evidence for


@dataclass(frozen=True)
class Lever:
    slug: str
    name: str
    question: str
    evidence: str
    impact: str


@dataclass(frozen=True)
class Source:
    label: str
    url: str
    signal: str


@dataclass(frozen=True)
class ChecklistItem:
    number: int  # 1-based, as the officer sees it
    text: str


@dataclass(frozen=True)
class Gate:
    slug: str
    name: str
    buyer_question: str
    evidence_needed: str
    checklist: tuple[ChecklistItem, ...]
    failure_if_skipped: str


@dataclass(frozen=True)
class ProcurementRoute:
    slug: str
    name: str
    stage: str
    use_when: str
    minimum_evidence: str
    avoid_when: str
    owner: str


@dataclass(frozen=True)
class ReadinessDimension:
    slug: str
    name: str
    reference_score: int
    note: str


@dataclass(frozen=True)
class TraceFieldSpec:
    name: str
    description: str
    type: str  # route | string | number | rate | boolean
    unit: str | None
    required: bool
    minimum: float | None
    default: Any


@dataclass(frozen=True)
class Metric:
    name: str
    formula: str
    why: str


@dataclass(frozen=True)
class Playbook:
    version: str
    generated_at: str
    purpose: str
    routes: tuple[TraceRoute, ...]
    levers: tuple[Lever, ...]
    sources: tuple[Source, ...]
    matrix_purpose: str
    gates: tuple[Gate, ...]
    procurement_routes: tuple[ProcurementRoute, ...]
    readiness: tuple[ReadinessDimension, ...]
    matrix_artifacts: dict[str, str]
    trace_kit_purpose: str
    trace_fields: tuple[TraceFieldSpec, ...]
    metrics: tuple[Metric, ...]
    template_rows: tuple[dict[str, str], ...]
    trace_kit_artifacts: dict[str, str]
    recommended_metric: str

    def gate(self, query: str) -> Gate:
        return resolve(query, self.gates, slug=lambda g: g.slug, name=lambda g: g.name, kind="gate")

    def dimension(self, query: str) -> ReadinessDimension:
        return resolve(query, self.readiness, slug=lambda d: d.slug, name=lambda d: d.name,
                       kind="readiness dimension")

    def procurement_route(self, query: str) -> ProcurementRoute:
        return resolve(query, self.procurement_routes, slug=lambda r: r.slug, name=lambda r: r.name,
                       kind="procurement route")

    def trace_route_names(self) -> tuple[str, ...]:
        return tuple(route.name for route in self.routes)

    def trace_route_aliases(self) -> dict[str, str]:
        """Case-folded accepted spellings of a trace row's route -> the canonical trace route name.

        The trace route's own name and slug, and the name and slug of the first procurement route it is
        evidence for ('Dedicated hosted endpoint' means 'Dedicated endpoint', 'Cloud GPU self-hosting' means
        'Self-hosted GPU stack'). 'Owned hardware' is no alias: a trace cannot tell it from cloud GPUs.
        """
        aliases: dict[str, str] = {}
        for route in self.routes:
            aliases[route.name.casefold()] = route.name
            aliases[route.slug] = route.name
            matrix = self.procurement_route(route.matrix_routes[0])
            aliases[matrix.name.casefold()] = route.name
            aliases[matrix.slug] = route.name
        return aliases

    def matrix_routes_for(self, trace_route: str) -> tuple[ProcurementRoute, ...]:
        route = resolve(trace_route, self.routes, slug=lambda r: r.slug, name=lambda r: r.name,
                        kind="trace route")
        return tuple(self.procurement_route(slug) for slug in route.matrix_routes)


class _Reader:
    """Walks parsed JSON and reports the dotted path of the first bad field."""

    def __init__(self, data: Any, path: str = "") -> None:
        self.data = data
        self.path = path

    def _sub(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def obj(self, key: str) -> _Reader:
        value = self._get(key)
        if not isinstance(value, dict):
            raise PlaybookError(self._sub(key), "must be an object")
        return _Reader(value, self._sub(key))

    def items(self, key: str, *, min_items: int = 1) -> list[_Reader]:
        value = self._get(key)
        if not isinstance(value, list):
            raise PlaybookError(self._sub(key), "must be a list")
        if len(value) < min_items:
            raise PlaybookError(self._sub(key), f"must have at least {min_items} entries")
        sub = _Reader(value, self._sub(key))
        result = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise PlaybookError(sub._sub(index), "must be an object")
            result.append(_Reader(item, sub._sub(index)))
        return result

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value.strip():
            raise PlaybookError(self._sub(key), "must be non-empty text")
        return value

    def optional_text(self, key: str) -> str | None:
        if not isinstance(self.data, dict) or self.data.get(key) is None:
            return None
        return self.text(key)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise PlaybookError(self._sub(key), "must be a list of non-empty texts")
        return tuple(value)

    def integer(self, key: str, low: int, high: int | None = None) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (
                high is not None and value > high):
            bounds = f"{low} to {high}" if high is not None else f"at least {low}"
            raise PlaybookError(self._sub(key), f"must be a whole number {bounds}")
        return value

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise PlaybookError(self._sub(key), "must be true or false")
        return value

    def slug(self, key: str, name: str) -> str:
        value = self.text(key)
        if value != slugify(name):
            raise PlaybookError(self._sub(key), f"must be '{slugify(name)}', the slug of '{name}'")
        return value

    def raw(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def string_map(self, key: str) -> dict[str, str]:
        value = self._get(key)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise PlaybookError(self._sub(key), "must be an object of texts")
        return dict(value)

    def _get(self, key: str) -> Any:
        if not isinstance(self.data, dict) or key not in self.data:
            raise PlaybookError(self._sub(key), "is missing")
        return self.data[key]


_FIELD_TYPES = {"route", "string", "number", "rate", "boolean"}


def parse_playbook(data: Any) -> Playbook:
    """Validate parsed playbook JSON and build the frozen model; raises PlaybookError naming the field."""
    root = _Reader(data)
    matrix = root.obj("hardwareProcurementMatrix")
    kit = root.obj("traceKit")

    procurement_routes = tuple(
        ProcurementRoute(slug=r.slug("slug", r.text("route")), name=r.text("route"), stage=r.text("stage"),
                         use_when=r.text("useWhen"), minimum_evidence=r.text("minimumEvidence"),
                         avoid_when=r.text("avoidWhen"), owner=r.text("owner"))
        for r in matrix.items("routes"))
    matrix_by_name = {r.name: r.slug for r in procurement_routes}

    mapping: dict[str, tuple[str, ...]] = {}
    for entry in root.items("traceRouteMapping"):
        targets = entry.texts("matrixRoutes")
        for index, target in enumerate(targets):
            if target not in matrix_by_name:
                raise PlaybookError(f"{entry.path}.matrixRoutes[{index}]",
                                    f"'{target}' is not a procurement route")
        mapping[entry.text("traceRoute")] = tuple(matrix_by_name[t] for t in targets)

    routes = []
    for r in root.items("routes"):
        name = r.text("route")
        if name not in mapping:
            raise PlaybookError(f"{r.path}.route", f"'{name}' has no entry in traceRouteMapping")
        routes.append(TraceRoute(slug=r.slug("slug", name), name=name, best_for=r.text("bestFor"),
                                 cost_drivers=r.texts("costDrivers"), watchouts=r.text("watchouts"),
                                 buyer_decision=r.text("buyerDecision"), matrix_routes=mapping[name]))

    gates = []
    for g in matrix.items("decisionGates"):
        items = []
        for expected, item in enumerate(g.items("checklist"), start=1):
            number = item.integer("number", 1)
            if number != expected:
                raise PlaybookError(f"{item.path}.number", f"must be {expected} (items are numbered 1, 2, ...)")
            items.append(ChecklistItem(number=number, text=item.text("text")))
        gates.append(Gate(slug=g.slug("slug", g.text("gate")), name=g.text("gate"),
                          buyer_question=g.text("buyerQuestion"), evidence_needed=g.text("evidenceNeeded"),
                          checklist=tuple(items), failure_if_skipped=g.text("failureIfSkipped")))

    fields = []
    for f in kit.items("fields"):
        field_type = f.text("type")
        if field_type not in _FIELD_TYPES:
            raise PlaybookError(f"{f.path}.type", f"must be one of {', '.join(sorted(_FIELD_TYPES))}")
        minimum = f.raw("minimum")
        fields.append(TraceFieldSpec(name=f.text("field"), description=f.text("description"), type=field_type,
                                     unit=f.optional_text("unit"), required=f.boolean("required"),
                                     minimum=float(minimum) if minimum is not None else None,
                                     default=f.raw("default")))

    return Playbook(
        version=root.text("version"),
        generated_at=root.text("generatedAt"),
        purpose=root.text("purpose"),
        routes=tuple(routes),
        levers=tuple(Lever(slug=lv.slug("slug", lv.text("lever")), name=lv.text("lever"),
                           question=lv.text("question"), evidence=lv.text("evidence"), impact=lv.text("impact"))
                     for lv in root.items("levers")),
        sources=tuple(Source(label=s.text("label"), url=s.text("url"), signal=s.text("signal"))
                      for s in root.items("sourceTrail")),
        matrix_purpose=matrix.text("purpose"),
        gates=tuple(gates),
        procurement_routes=procurement_routes,
        readiness=tuple(ReadinessDimension(slug=d.slug("slug", d.text("dimension")), name=d.text("dimension"),
                                           reference_score=d.integer("score", 0, 100), note=d.text("note"))
                        for d in matrix.items("readinessScores")),
        matrix_artifacts=matrix.string_map("artifacts"),
        trace_kit_purpose=kit.text("purpose"),
        trace_fields=tuple(fields),
        metrics=tuple(Metric(name=m.text("metric"), formula=m.text("formula"), why=m.text("why"))
                      for m in kit.items("metrics")),
        template_rows=tuple(dict(row.data) for row in kit.items("templateRows")),
        trace_kit_artifacts=kit.string_map("artifacts"),
        recommended_metric=root.text("recommendedMetric"),
    )
