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
