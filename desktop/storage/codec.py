"""Domain objects <-> plain JSON-able dicts, as they are stored in a workbook's `parts` table."""

from __future__ import annotations

from typing import Any

from desktop.domain.workbook import (AuditEntry, BuyerContext, EvidenceRef, GateAssessment, GateStatus, ItemState,
                                     PlanConstraint, PlanLever, PlanSettings, ReadinessScore, SignOff, Workload)


def context_to_dict(context: BuyerContext) -> dict[str, Any]:
    return {
        "organisation": context.organisation,
        "title": context.title,
        "preparedBy": context.prepared_by,
        "sponsor": context.sponsor,
        "currency": context.currency,
        "fxToUsd": context.fx_to_usd,
        "fxDate": context.fx_date,
        "fxSource": context.fx_source,
        "reviewerRateUsdPerHour": context.reviewer_rate_usd_per_hour,
        "targetP95Ms": context.target_p95_ms,
        "workloads": [{"name": w.name, "monthlyRequests": w.monthly_requests} for w in context.workloads],
        "readinessThreshold": context.readiness_threshold,
    }


def context_from_dict(data: dict[str, Any]) -> BuyerContext:
    return BuyerContext(
        organisation=data.get("organisation", ""),
        title=data.get("title", ""),
        prepared_by=data.get("preparedBy", ""),
        sponsor=data.get("sponsor", ""),
        currency=data.get("currency", "USD"),
        fx_to_usd=float(data.get("fxToUsd", 1.0)),
        fx_date=data.get("fxDate"),
        fx_source=data.get("fxSource"),
        reviewer_rate_usd_per_hour=data.get("reviewerRateUsdPerHour"),
        target_p95_ms=data.get("targetP95Ms"),
        workloads=tuple(Workload(w["name"], float(w["monthlyRequests"])) for w in data.get("workloads", [])),
        readiness_threshold=int(data.get("readinessThreshold", 70)),
    )


def plan_to_dict(plan: PlanSettings) -> dict[str, Any]:
    """The plan's stored inputs (budgets in USD, routes as procurement route slugs)."""
    return {
        "constraints": [{"workload": c.workload,
                         "allowedRoutes": list(c.allowed_routes) if c.allowed_routes is not None else None,
                         "monthlyBudgetUsd": c.monthly_budget_usd} for c in plan.constraints],
        "levers": [{"kind": lv.kind, "workload": lv.workload, "value": lv.value} for lv in plan.levers],
    }


_DAMAGED = (KeyError, TypeError, AttributeError, ValueError)  # DomainError is a ValueError


def plan_from_dict(data: Any) -> PlanSettings:
    """The stored plan inputs. An entry that does not validate is left out and named in `problems` (the file
    must still open to be repaired, and a dropped constraint such as a data boundary must not go unnoticed)."""
    if data is None:
        return PlanSettings()
    if not isinstance(data, dict):
        return PlanSettings(problems=("The saved plan constraints and levers cannot be read.",))
    constraints, levers, problems, seen = [], [], [], set()
    for raw in data.get("constraints") or []:
        try:
            routes = raw.get("allowedRoutes")
            constraint = PlanConstraint(raw["workload"], tuple(routes) if routes is not None else None,
                                        raw.get("monthlyBudgetUsd"))
            if constraint.workload.casefold() in seen:
                raise ValueError(f"{constraint.workload} is listed twice")
        except _DAMAGED as exc:
            problems.append(f"A saved plan constraint cannot be used: {exc}")
            continue
        seen.add(constraint.workload.casefold())
        constraints.append(constraint)
    for raw in data.get("levers") or []:
        try:
            levers.append(PlanLever(raw["kind"], raw["workload"], raw["value"]))
        except _DAMAGED as exc:
            problems.append(f"A saved plan lever cannot be used: {exc}")
    return PlanSettings(tuple(constraints), tuple(levers), tuple(problems))


def evidence_to_dict(evidence: EvidenceRef | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    return {"kind": evidence.kind, "text": evidence.text, "path": evidence.path, "sha256": evidence.sha256,
            "size": evidence.size, "attachedAt": evidence.attached_at, "embedded": evidence.embedded}


def evidence_from_dict(data: dict[str, Any] | None) -> EvidenceRef | None:
    if not data:
        return None
    return EvidenceRef(kind=data["kind"], text=data.get("text", ""), path=data.get("path", ""),
                       sha256=data.get("sha256", ""), size=int(data.get("size", 0)),
                       attached_at=data.get("attachedAt", ""), embedded=bool(data.get("embedded", False)))


def gate_to_dict(gate: GateAssessment) -> dict[str, Any]:
    return {
        "slug": gate.slug,
        "status": gate.status.value,
        "note": gate.note,
        "justification": gate.justification,
        "items": [{"done": i.done, "note": i.note, "owner": i.owner, "evidence": evidence_to_dict(i.evidence)}
                  for i in gate.items],
    }


def gate_from_dict(data: dict[str, Any]) -> GateAssessment:
    return GateAssessment(
        slug=data["slug"],
        status=GateStatus(data.get("status", "not-assessed")),
        note=data.get("note", ""),
        justification=data.get("justification", ""),
        items=tuple(ItemState(done=bool(i.get("done")), note=i.get("note", ""), owner=i.get("owner", ""),
                              evidence=evidence_from_dict(i.get("evidence"))) for i in data.get("items", [])),
    )


def score_to_dict(score: ReadinessScore) -> dict[str, Any]:
    return {"slug": score.slug, "score": score.score, "note": score.note}


def score_from_dict(data: dict[str, Any]) -> ReadinessScore:
    return ReadinessScore(slug=data["slug"], score=data.get("score"), note=data.get("note", ""))


_SIGNOFF_KEYS = {"approver": "approver", "role": "role", "decision": "decision", "conditions": "conditions",
                 "date": "date", "fingerprint": "fingerprint", "signed_at": "signedAt",
                 "draft_fingerprint": "draftFingerprint", "signature": "signature", "public_key": "publicKey"}


def signoff_to_dict(signoff: SignOff | None) -> dict[str, Any] | None:
    if signoff is None:
        return None
    return {key: getattr(signoff, attr) for attr, key in _SIGNOFF_KEYS.items()}


def signoff_from_dict(data: dict[str, Any] | None) -> SignOff | None:
    if not data:
        return None
    return SignOff(**{attr: data.get(key) for attr, key in _SIGNOFF_KEYS.items()})


def audit_from_row(sequence: int, action: str, actor: str, at: str, detail: dict, previous_hash: str,
                   entry_hash: str) -> AuditEntry:
    return AuditEntry(sequence, action, actor, at, detail, previous_hash, entry_hash)
