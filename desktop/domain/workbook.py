"""The workbook: buyer context, gate assessments, readiness scores and sign-off state.

Trace rows are not held here: a workbook may carry millions, so they stay in storage and are read in
bulk by the importers, metrics and exports. Everything here is small and immutable; an edit builds a new
value and hands it to `Workbook`, which refuses it while the workbook is signed off.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field, replace
from enum import Enum

from desktop.domain.errors import FieldError, SignedWorkbookError
from desktop.domain.playbook import Playbook

DEFAULT_READINESS_THRESHOLD = 70
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_FX_SOURCE = 200


@dataclass(frozen=True)
class Workload:
    name: str
    monthly_requests: float

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise FieldError("workload", self.name, "needs a name")
        if not math.isfinite(self.monthly_requests) or self.monthly_requests < 0:
            raise FieldError("monthlyRequests", self.monthly_requests, "must be a non-negative number")


@dataclass(frozen=True)
class BuyerContext:
    organisation: str = ""
    title: str = ""
    prepared_by: str = ""
    sponsor: str = ""
    currency: str = "USD"
    fx_to_usd: float = 1.0  # USD per one unit of `currency`; amounts are stored in USD
    fx_date: str | None = None
    fx_source: str | None = None  # where the officer took the rate from ("ECB reference rate")
    reviewer_rate_usd_per_hour: float | None = None
    target_p95_ms: float | None = None
    workloads: tuple[Workload, ...] = ()
    readiness_threshold: int = DEFAULT_READINESS_THRESHOLD

    def __post_init__(self) -> None:
        if not _CURRENCY.match(self.currency):
            raise FieldError("currency", self.currency, "must be a three-letter code such as USD or EUR")
        if not math.isfinite(self.fx_to_usd) or self.fx_to_usd <= 0:
            raise FieldError("fxToUsd", self.fx_to_usd, "must be a positive number")
        if self.fx_date is not None:
            try:
                dt.date.fromisoformat(self.fx_date)
            except ValueError:
                raise FieldError("fxDate", self.fx_date, "must be a date as YYYY-MM-DD") from None
        if self.fx_source is not None and len(self.fx_source) > MAX_FX_SOURCE:
            raise FieldError("fxSource", self.fx_source, f"must be at most {MAX_FX_SOURCE} characters")
        rate = self.reviewer_rate_usd_per_hour
        if rate is not None and (not math.isfinite(rate) or rate < 0):
            raise FieldError("reviewerRateUsdPerHour", rate, "must be a non-negative number")
        target = self.target_p95_ms
        if target is not None and (not math.isfinite(target) or target <= 0):
            raise FieldError("targetP95Ms", target, "must be a positive number of milliseconds")
        threshold = self.readiness_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, int) or not 0 <= threshold <= 100:
            raise FieldError("readinessThreshold", threshold, "must be a whole number from 0 to 100")
        names = [w.name.casefold() for w in self.workloads]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise FieldError("workloads", duplicates[0], "is listed twice")

    def with_workload(self, name: str, monthly_requests: float) -> BuyerContext:
        """Add the workload or change its volume (matched by name, ignoring case)."""
        kept = tuple(w for w in self.workloads if w.name.casefold() != name.strip().casefold())
        if len(kept) == len(self.workloads):
            return replace(self, workloads=self.workloads + (Workload(name.strip(), monthly_requests),))
        updated = tuple(Workload(w.name, monthly_requests) if w.name.casefold() == name.strip().casefold()
                        else w for w in self.workloads)
        return replace(self, workloads=updated)


# ---------------------------------------------------------------------------------------------- plan inputs

WORKBOOK_WIDE = "*"  # the workload name of a constraint or lever that applies to every workload
LEVER_KINDS = ("batch", "cache", "utilization", "peak", "acceptance", "review-minutes", "fallback-share")
_SHARE_LEVERS = {"batch", "cache", "utilization", "acceptance", "fallback-share"}
MAX_PEAK_FACTOR = 100.0
MAX_REVIEW_MINUTES = 24 * 60.0


@dataclass(frozen=True)
class PlanLever:
    """One what-if input of the plan: KIND for one workload (or "*" for all) set to VALUE.

    batch, cache, acceptance and fallback-share are shares 0-1, utilization is a share above 0 up to 1,
    peak is the peak-to-average factor (1 or more), review-minutes are minutes per output.
    """

    kind: str
    workload: str
    value: float

    def __post_init__(self) -> None:
        if self.kind not in LEVER_KINDS:
            raise FieldError("lever", self.kind, f"must be one of {', '.join(LEVER_KINDS)}")
        if not self.workload.strip():
            raise FieldError("lever", self.workload, "needs a workload name (or * for every workload)")
        value = self.value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise FieldError(self.kind, value, "must be a finite number")
        if self.kind in _SHARE_LEVERS and not 0 <= value <= 1:
            raise FieldError(self.kind, value, "must be a share from 0 to 1")
        if self.kind == "utilization" and value == 0:
            raise FieldError(self.kind, value, "must be above 0")
        if self.kind == "peak" and not 1 <= value <= MAX_PEAK_FACTOR:
            raise FieldError(self.kind, value, f"must be a peak-to-average factor from 1 to {MAX_PEAK_FACTOR:g}")
        if self.kind == "review-minutes" and not 0 <= value <= MAX_REVIEW_MINUTES:
            raise FieldError(self.kind, value, "must be minutes per output from 0 to 1440")

    def applies_to(self, workload: str) -> bool:
        return self.workload == WORKBOOK_WIDE or self.workload.casefold() == workload.casefold()


@dataclass(frozen=True)
class PlanConstraint:
    """What the officer allows for one workload (or "*" for the whole workbook).

    `allowed_routes` (procurement route slugs; None: every route) expresses a data boundary such as
    "data stays in our cloud"; `monthly_budget_usd` (None: no cap) is compared with the plan's monthly cost.
    """

    workload: str
    allowed_routes: tuple[str, ...] | None = None
    monthly_budget_usd: float | None = None

    def __post_init__(self) -> None:
        if not self.workload.strip():
            raise FieldError("constraint", self.workload, "needs a workload name (or * for the whole workbook)")
        if self.allowed_routes is not None:
            if not self.allowed_routes:
                raise FieldError("allow", "", "needs at least one route")
            if any(not isinstance(r, str) or not r.strip() for r in self.allowed_routes):
                raise FieldError("allow", self.allowed_routes, "names an empty route")
        budget = self.monthly_budget_usd
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                                   or not math.isfinite(budget) or budget < 0):
            raise FieldError("budget", budget, "must be a non-negative amount")

    @property
    def empty(self) -> bool:
        return self.allowed_routes is None and self.monthly_budget_usd is None


@dataclass(frozen=True)
class PlanSettings:
    """The plan's stored inputs: constraints per workload (or workbook-wide) and the saved levers."""

    constraints: tuple[PlanConstraint, ...] = ()
    levers: tuple[PlanLever, ...] = ()
    # stored entries that could not be read (in words); shown with the plan, never part of the content
    problems: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        names = [c.workload.casefold() for c in self.constraints]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise FieldError("constraints", duplicate, "lists one workload twice")

    def constraint(self, workload: str) -> PlanConstraint | None:
        return next((c for c in self.constraints if c.workload.casefold() == workload.casefold()), None)

    def with_constraint(self, constraint: PlanConstraint) -> PlanSettings:
        """The settings with this workload's constraint replaced (an empty constraint removes it)."""
        kept = tuple(c for c in self.constraints if c.workload.casefold() != constraint.workload.casefold())
        return replace(self, constraints=kept if constraint.empty else kept + (constraint,))

    def with_levers(self, levers: tuple[PlanLever, ...] | list[PlanLever]) -> PlanSettings:
        """The settings with these levers saved: each replaces a saved lever of the same kind and workload."""
        merged = merge_levers(self.levers, levers)
        return replace(self, levers=merged)

    def without_lever(self, kind: str, workload: str) -> PlanSettings:
        return replace(self, levers=tuple(lv for lv in self.levers if not (
            lv.kind == kind and lv.workload.casefold() == workload.casefold())))

    @property
    def empty(self) -> bool:
        return not self.constraints and not self.levers


def merge_levers(base: tuple[PlanLever, ...] | list[PlanLever],
                 extra: tuple[PlanLever, ...] | list[PlanLever]) -> tuple[PlanLever, ...]:
    """`base` with each lever of `extra` replacing the one of the same kind and workload (order kept)."""
    result = list(base)
    for lever in extra:
        key = (lever.kind, lever.workload.casefold())
        index = next((i for i, lv in enumerate(result) if (lv.kind, lv.workload.casefold()) == key), None)
        if index is None:
            result.append(lever)
        else:
            result[index] = lever
    return tuple(result)


class GateStatus(str, Enum):
    NOT_ASSESSED = "not-assessed"
    PASSED = "passed"
    AT_RISK = "at-risk"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()


@dataclass(frozen=True)
class EvidenceRef:
    """A file attached as evidence (by path, hash and size; optionally embedded), or a document id / URL as text.

    `path` is relative to the workbook's folder when the file lies beside it, absolute otherwise.
    """

    kind: str  # "file" | "text"
    text: str = ""  # the document id or URL, for kind "text"
    path: str = ""
    sha256: str = ""
    size: int = 0
    attached_at: str = ""
    embedded: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("file", "text"):
            raise FieldError("evidence", self.kind, "must be a file or a text reference")
        if self.kind == "text" and not self.text.strip():
            raise FieldError("evidence", self.text, "needs a document id or URL")

    @property
    def label(self) -> str:
        return self.text if self.kind == "text" else self.path


@dataclass(frozen=True)
class ItemState:
    done: bool = False
    note: str = ""
    owner: str = ""
    evidence: EvidenceRef | None = None


@dataclass(frozen=True)
class GateAssessment:
    slug: str
    status: GateStatus = GateStatus.NOT_ASSESSED
    items: tuple[ItemState, ...] = ()
    note: str = ""
    justification: str = ""  # why the gate passed with open items; shown as an exception in exports

    @property
    def items_done(self) -> int:
        return sum(1 for item in self.items if item.done)

    @property
    def open_items(self) -> tuple[int, ...]:
        return tuple(n for n, item in enumerate(self.items, start=1) if not item.done)

    @property
    def is_exception(self) -> bool:
        return self.status is GateStatus.PASSED and bool(self.open_items)


@dataclass(frozen=True)
class ReadinessScore:
    slug: str
    score: int | None = None  # None: not yet scored
    note: str = ""

    def __post_init__(self) -> None:
        score = self.score
        if score is not None and (isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100):
            raise FieldError("score", score, "must be a whole number from 0 to 100, or not scored")


@dataclass(frozen=True)
class SignOff:
    approver: str
    role: str
    decision: str  # approve | approve-with-conditions | reject
    conditions: str
    date: str
    fingerprint: str
    signed_at: str
    draft_fingerprint: str | None = None
    signature: str | None = None  # Ed25519, hex
    public_key: str | None = None  # hex


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the append-only, hash-chained audit log (filled by sign-off and revoke)."""

    sequence: int
    action: str
    actor: str
    at: str
    detail: dict
    previous_hash: str
    entry_hash: str


@dataclass
class Workbook:
    """The decision content of one `.ipwb` file, minus its trace rows."""

    context: BuyerContext
    gates: dict[str, GateAssessment]
    scores: dict[str, ReadinessScore]
    signoff: SignOff | None = None
    audit: list[AuditEntry] = field(default_factory=list)
    plan: PlanSettings = field(default_factory=lambda: PlanSettings())

    @classmethod
    def empty(cls, playbook: Playbook) -> Workbook:
        return cls(
            context=BuyerContext(),
            gates={g.slug: GateAssessment(g.slug, items=tuple(ItemState() for _ in g.checklist))
                   for g in playbook.gates},
            scores={d.slug: ReadinessScore(d.slug) for d in playbook.readiness},
        )

    @property
    def signed(self) -> bool:
        return self.signoff is not None

    def ensure_editable(self) -> None:
        if self.signed:
            raise SignedWorkbookError()

    def set_context(self, context: BuyerContext) -> None:
        self.ensure_editable()
        self.context = context

    def set_gate(self, assessment: GateAssessment) -> None:
        self.ensure_editable()
        if assessment.slug not in self.gates:
            raise FieldError("gate", assessment.slug, "is not a gate of this workbook")
        self.gates[assessment.slug] = assessment

    def set_score(self, score: ReadinessScore) -> None:
        self.ensure_editable()
        if score.slug not in self.scores:
            raise FieldError("dimension", score.slug, "is not a readiness dimension")
        self.scores[score.slug] = score

    def set_plan(self, plan: PlanSettings) -> None:
        """Replace the plan's constraints and saved levers (one undoable edit in the GUI)."""
        self.ensure_editable()
        self.plan = plan
