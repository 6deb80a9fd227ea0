"""Reading a YAML file into its node tree, and plain values out of nodes, keeping line numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor

from bot.knowledge.entries import Problem


def compose(path: Path) -> tuple[yaml.Node | None, list[Problem]]:
    """Read and parse one YAML file into its node tree, or report why it cannot be."""
    name = str(path)
    if path.exists() and not path.is_file():
        # a directory, FIFO or device: reading a FIFO would block start-up forever
        return None, [Problem(name, 0, "cannot read file: not a regular file")]
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(name, 0, "file not found")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(name, 0, f"cannot read file: {exc.__class__.__name__}")]
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        return None, [Problem(name, line, f"YAML syntax error: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return None, [Problem(name, 0, f"YAML error: {exc}")]
    if node is None:
        return None, [Problem(name, 1, "file is empty")]
    return node, []


def _compose(text: str) -> yaml.Node | None:
    """Parse with libyaml where it is installed, else with PyYAML's pure-Python parser.

    libyaml is about ten times faster and gives the same nodes and marks (line and column of
    every node of the shipped files: tests/test_knowledge.py); a file it rejects is parsed
    again by the pure-Python parser, so that errors read as they always have.
    """
    if yaml.__with_libyaml__:
        try:
            return yaml.compose(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def items(node: yaml.MappingNode) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    for key, value in node.value:
        yield str(key.value), key, value


def scalar(node: yaml.Node) -> object:
    """Construct a plain Python value from a scalar node with the safe loader's rules."""
    # the constructor alone: a whole SafeLoader per scalar cost more than parsing the file
    return SafeConstructor().construct_object(node, deep=True)


def string(node: yaml.Node) -> str | None:
    if not isinstance(node, yaml.ScalarNode):
        return None
    value = scalar(node)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return None
    return str(value).strip()


def string_list(node: yaml.Node) -> list[tuple[str, int]] | None:
    if not isinstance(node, yaml.SequenceNode):
        return None
    out: list[tuple[str, int]] = []
    for item in node.value:
        text = string(item)
        if text is None:
            return None
        out.append((text, line_of(item)))
    return out
