"""Reusable widgets of the assessment pages: note editors, checklist items, evidence picker, facts panel."""
