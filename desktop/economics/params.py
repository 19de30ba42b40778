"""Named, unit-carrying inputs for the calculators, shared by the GUI panels, the CLI and saved scenarios.

Every calculator input is a dataclass field declared with `inp(...)`, so one declaration gives the CLI its
`--option`, unit, default and help line, the GUI its label, and scenarios their JSON key (camelCase).
Results are dataclasses too; `to_json` turns them into plain JSON with null, never NaN.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop.domain.camel_json import camel, to_json
from desktop.domain.errors import FieldError

REQUIRED = "required"


def inp(default: Any, unit: str, help: str, *, required: bool = False, minimum: float | None = None,
        maximum: float | None = None, above: float | None = None, whole: bool = False,
        choices: tuple[str, ...] | None = None, text: bool = False) -> Any:
    """A calculator input field; `above` is an exclusive lower bound, `minimum`/`maximum` inclusive."""
    return field(default=default, metadata={
        "input": True, "unit": unit, "help": help, "required": required, "minimum": minimum,
        "maximum": maximum, "above": above, "whole": whole, "choices": choices, "text": text or bool(choices)})


def out(unit: str, label: str) -> Any:
    """A result figure with its unit and a label for panels and memos."""
    return field(metadata={"output": True, "unit": unit, "label": label})


@dataclass(frozen=True)
class InputSpec:
    name: str  # snake_case field name
    key: str  # camelCase JSON key (scenarios)
    option: str  # --kebab-case CLI option
    unit: str
    default: Any  # REQUIRED when there is none
    help: str
    choices: tuple[str, ...] | None
    text: bool
    whole: bool

    @property
    def required(self) -> bool:
        return self.default == REQUIRED

    def describe(self) -> str:
        default = "required" if self.required else ("none" if self.default is None else f"default {self.default}")
        unit = f" [{self.unit}]" if self.unit else ""
        choices = f" (one of: {', '.join(self.choices)})" if self.choices else ""
        return f"{self.help}{unit}{choices}; {default}"


@dataclass(frozen=True)
class Figure:
    name: str
    key: str
    label: str
    unit: str
    value: Any


@dataclass(frozen=True)
class Source:
    """Where a default or a figure comes from; `date` is ISO or a phrase such as 'date not shown'."""

    label: str
    reference: str
    date: str

    def text(self) -> str:
        return f"{self.label} ({self.reference}, {self.date})"


_CAMEL_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(name: str) -> str:
    return _CAMEL_SPLIT.sub("_", name).replace("-", "_").lower()


def input_specs(cls: type) -> tuple[InputSpec, ...]:
    specs = []
    for f in dataclasses.fields(cls):
        if not f.metadata.get("input"):
            continue
        default = REQUIRED if f.metadata["required"] else f.default
        specs.append(InputSpec(name=f.name, key=camel(f.name), option="--" + f.name.replace("_", "-"),
                               unit=f.metadata["unit"], default=default, help=f.metadata["help"],
                               choices=f.metadata["choices"], text=f.metadata["text"], whole=f.metadata["whole"]))
    return tuple(specs)


def validate_inputs(obj: Any) -> None:
    """Raise FieldError (named by the CLI option) for the first input that breaks its rule."""
    for f in dataclasses.fields(obj):
        meta = f.metadata
        if not meta.get("input"):
            continue
        option = "--" + f.name.replace("_", "-")
        value = getattr(obj, f.name)
        if value is None:
            if meta["required"]:
                raise FieldError(option, value, "is required")
            continue
        if meta["text"]:
            if not isinstance(value, str) or not value.strip():
                raise FieldError(option, value, "must be non-empty text")
            if meta["choices"] and value not in meta["choices"]:
                raise FieldError(option, value, f"must be one of: {', '.join(meta['choices'])}")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FieldError(option, value, "must be a number")
        if not math.isfinite(value):
            raise FieldError(option, value, "must be a finite number")
        if meta["whole"] and not float(value).is_integer():
            raise FieldError(option, value, "must be a whole number")
        if meta["minimum"] is not None and value < meta["minimum"]:
            raise FieldError(option, value, f"must be at least {meta['minimum']:g}")
        if meta["above"] is not None and value <= meta["above"]:
            raise FieldError(option, value, f"must be greater than {meta['above']:g}")
        if meta["maximum"] is not None and value > meta["maximum"]:
            raise FieldError(option, value, f"must be at most {meta['maximum']:g}")


def _coerce(spec: InputSpec, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip() and not spec.text):
        return None
    if spec.text:
        return value.strip() if isinstance(value, str) else value
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise FieldError(spec.option, value, "must be a number") from None
    if spec.whole and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def inputs_from_mapping(cls: type, values: Mapping[str, Any]) -> Any:
    """Build inputs from camelCase, snake_case or --option keys; unknown keys are refused, not ignored."""
    specs = input_specs(cls)
    by_key: dict[str, InputSpec] = {}
    for spec in specs:
        by_key[spec.key] = by_key[spec.name] = by_key[spec.option] = by_key[spec.option[2:]] = spec
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        spec = by_key.get(key)
        if spec is None:
            known = ", ".join(s.option for s in specs)
            raise FieldError(str(key), value, f"is not an input of this calculator (inputs: {known})")
        kwargs[spec.name] = _coerce(spec, value)
    return cls(**kwargs)


def inputs_to_json(obj: Any) -> dict[str, Any]:
    return {spec.key: getattr(obj, spec.name) for spec in input_specs(type(obj))}


def figures(result: Any) -> tuple[Figure, ...]:
    """The result's output fields with label and unit, in declaration order, for panels and memos."""
    return tuple(Figure(f.name, camel(f.name), f.metadata["label"], f.metadata["unit"], getattr(result, f.name))
                 for f in dataclasses.fields(result) if f.metadata.get("output"))
