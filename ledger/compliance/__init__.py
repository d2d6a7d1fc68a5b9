"""Compliance rules as data and pure calculators: versioned rule sets with effective dates
(``rulesets``), the spending-ratio checks (``ratios``) and disclosure deadlines (``deadlines``).

Pure: no database, web or task-queue code, so the overseer's scan, the public site and the
report builders all count the same way, and a regulator can recompute from an export.
"""
