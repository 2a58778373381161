"""docs/policies.md states the schema as pyaudit/_policy/schema.py does:
every key of every table, in order, with what it takes, what it means and
its default."""

import os

from pyaudit._policy import schema
from support import ROOT

DOC = os.path.join(ROOT, "docs", "policies.md")


def row(key, actions=False):
    cells = ["`%s`" % key.name, key.takes, key.meaning]
    if actions:
        cells.append(", ".join(key.actions) if key.actions else "all")
    cells.append("" if key.default is None else "`%s`" % (key.default,))
    return "| %s |" % " | ".join(cells)


def table_after(heading):
    """The rows of the first table after ``heading`` in the doc."""
    with open(DOC) as file:
        lines = file.read().splitlines()
    start = lines.index(heading)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    return rows[2:]     # without the header and its rule


def test_the_top_level_table_is_the_schema():
    assert table_after("### Top level") == [
        row(key) for key in schema.TOP_KEYS]


def test_the_output_table_is_the_schema():
    assert table_after("### `[output]`: defaults for the rules") == [
        row(key) for key in schema.OUTPUT_KEYS]


def test_the_rule_table_is_the_schema():
    assert table_after("### `[[rule]]`") == [
        row(key, True) for key in schema.RULE_KEYS]


def test_the_actions_table_is_the_schema():
    assert table_after("### The actions") == [
        "| `%s` | %s | `%s` |" % (action, meaning, kind)
        for action, (kind, meaning) in schema.ACTIONS.items()]
