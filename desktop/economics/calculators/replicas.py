"""Replica sizing with Erlang C: each concurrency slot of a continuous-batching engine is one server.

Queue wait grows steeply near full load, so the calculator finds the fewest slots whose p-th percentile
wait meets the target. A fleet that cannot carry the offered load (rho >= 1) is reported as unstable rather
than raising: an officer exploring numbers should see "unstable", not a crash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from desktop.domain.errors import FieldError
from desktop.economics import sources
from desktop.economics.params import Source, inp, out, validate_inputs

MAX_OFFERED_LOAD = 1_000_000.0  # Erlangs; the recursion is O(slots), this keeps a run under a second


@dataclass(frozen=True)
class ReplicasInputs:
    arrival_rate: float | None = inp(None, "requests/s", "Mean arrival rate (Poisson)", required=True, minimum=0)
    service_time_s: float | None = inp(None, "s", "Mean time one request holds a slot (TTFT + TPOT x output)",
                                       required=True, above=0)
    slots_per_replica: int | None = inp(None, "concurrent sequences", "Slots one replica serves at the SLO",
                                        required=True, minimum=1, whole=True)
    p95_wait_s: float = inp(1.0, "s", "Target queue wait at the percentile", minimum=0)
    percentile: float = inp(0.95, "share 0-1", "Percentile of the queue wait the target applies to", above=0,
                            maximum=0.9999)
    replicas: int | None = inp(None, "replicas", "Evaluate this fleet instead of sizing one", minimum=1,
                               whole=True)

    def __post_init__(self) -> None:
        validate_inputs(self)


@dataclass(frozen=True)
class ReplicasResult:
    offered_load_erlangs: float = out("Erlangs", "Offered load (arrival rate x service time)")
    slots_needed: int = out("slots", "Fewest slots that meet the wait target")
    replicas: int = out("replicas", "Replicas")
    slots: int = out("slots", "Slots in the fleet (replicas x slots per replica)")
    utilization: float = out("share 0-1", "Slot utilization (rho = offered load / slots)")
    stable: bool = out("", "Stable (rho < 1)")
    wait_probability: float | None = out("share 0-1", "Probability a request waits (Erlang C)")
    mean_wait_s: float | None = out("s", "Mean queue wait")
    percentile_wait_s: float | None = out("s", "Queue wait at the percentile")
    mean_latency_s: float | None = out("s", "Mean latency (wait + service)")
    meets_target: bool = out("", "Meets the wait target")
    notes: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class _Queue:
    wait_probability: float
    mean_wait_s: float
    percentile_wait_s: float


def erlang_b(servers: int, load: float) -> float:
    """Erlang B by the stable recursion B(k) = A B(k-1) / (k + A B(k-1))."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float | None:
    """Probability an arrival waits; None when the load is not below the servers (no steady state)."""
    if servers <= 0 or load >= servers:
        return None
    if load == 0:
        return 0.0
    b = erlang_b(servers, load)
    rho = load / servers
    return b / (1 - rho + rho * b)


def _queue(c: int, b: float, load: float, arrival: float, service: float, p: float) -> _Queue:
    rho = load / c
    wait_prob = b / (1 - rho + rho * b) if load > 0 else 0.0
    drain = c / service - arrival  # c mu - lambda, > 0 when stable
    mean_wait = wait_prob / drain
    tail = 0.0 if wait_prob <= 1 - p else math.log(wait_prob / (1 - p)) / drain
    return _Queue(wait_prob, mean_wait, tail)


def slots_needed(load: float, arrival: float, service: float, percentile: float, target_s: float) -> int:
    """The fewest slots whose percentile wait is within the target (at least 1)."""
    if load == 0:
        return 1
    c = math.floor(load) + 1
    b = erlang_b(c, load)
    while _queue(c, b, load, arrival, service, percentile).percentile_wait_s > target_s:
        c += 1
        b = load * b / (c + load * b)
    return c


def replicas(inputs: ReplicasInputs) -> ReplicasResult:
    arrival, service, slots_per = inputs.arrival_rate, inputs.service_time_s, inputs.slots_per_replica
    load = arrival * service
    if load > MAX_OFFERED_LOAD:
        raise FieldError("--arrival-rate", arrival, f"with this service time offers {load:,.0f} Erlangs; "
                         f"the calculator handles up to {MAX_OFFERED_LOAD:,.0f}")
    assumptions = (
        "Poisson arrivals; exponential service times (M/M/c); each concurrency slot is one server.",
        "Service time is measured at the target concurrency (time per token grows with concurrency).",
        f"Target: {inputs.percentile:.2%} of requests wait at most {inputs.p95_wait_s:g} s in the queue.",
    )
    needed = slots_needed(load, arrival, service, inputs.percentile, inputs.p95_wait_s)
    count = inputs.replicas if inputs.replicas is not None else math.ceil(needed / slots_per)
    c = count * slots_per
    notes = []
    if load == 0:
        notes.append("No traffic: one replica is the floor.")
    if load >= c:
        notes.append(f"Offered load {load:g} Erlangs is not below the fleet's {c} slots: the queue grows "
                     f"without bound (rho = {load / c:.2f}); at least {needed} slots are needed.")
        return ReplicasResult(load, needed, count, c, load / c, False, None, None, None, None, False,
                              tuple(notes), assumptions, (sources.ERLANG_C,))
    queue = _queue(c, erlang_b(c, load), load, arrival, service, inputs.percentile)
    if inputs.replicas is None and c != needed:
        notes.append(f"{needed} slots are needed; {count} replicas of {slots_per} give {c}.")
    return ReplicasResult(load, needed, count, c, load / c, True, queue.wait_probability, queue.mean_wait_s,
                          queue.percentile_wait_s, queue.mean_wait_s + service,
                          queue.percentile_wait_s <= inputs.p95_wait_s, tuple(notes), assumptions,
                          (sources.ERLANG_C,))
