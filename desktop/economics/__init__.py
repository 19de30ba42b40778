"""Route economics: trace metrics, calculators, price catalog, route recommendation and gate facts.

Pure Python (no Qt, no storage): the GUI, CLI and exports call these and show what they return.
"""

from desktop.economics.calculators import CALCULATORS, Calculator, calculator
from desktop.economics.catalog import Catalog, CatalogError, bundled_catalog
from desktop.economics.gate_facts import Fact, GateFacts, gate_facts
from desktop.economics.metrics import MetricsReport, compute_metrics, metrics_json
from desktop.economics.recommend import Recommendation, RecommendationOverride, fallback_route_name, recommend
from desktop.economics.scenarios import Scenario, make_scenario, run_scenario, scenario_from_json

__all__ = [
    "CALCULATORS", "Calculator", "calculator", "Catalog", "CatalogError", "bundled_catalog", "Fact", "GateFacts",
    "gate_facts", "MetricsReport", "compute_metrics", "metrics_json", "Recommendation", "RecommendationOverride",
    "fallback_route_name", "recommend", "Scenario", "make_scenario", "run_scenario", "scenario_from_json",
]
