"""Rules the output keeps (constraints), and rules suggested from real data."""

from __future__ import annotations

from datatwin.constraints.rules import (
    RULE_TYPES,
    Check,
    FixedCombinations,
    Formula,
    IfThen,
    Inequality,
    Negative,
    OneHot,
    Positive,
    Predicate,
    Range,
    Regex,
    Rule,
    Unique,
    rule_from_dict,
)
from datatwin.constraints.ruleset import RuleSet, as_rules
from datatwin.constraints.suggest import suggest_constraints

__all__ = [
    "RULE_TYPES",
    "Check",
    "FixedCombinations",
    "Formula",
    "IfThen",
    "Inequality",
    "Negative",
    "OneHot",
    "Positive",
    "Predicate",
    "Range",
    "Regex",
    "Rule",
    "RuleSet",
    "Unique",
    "as_rules",
    "rule_from_dict",
    "suggest_constraints",
]
