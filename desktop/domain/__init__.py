"""Pure domain model: no Qt, no file-format library (enforced by import-linter)."""
