"""Inference Procurement Workbook: decide how to buy LLM inference, offline."""

__version__ = "0.1.0"
