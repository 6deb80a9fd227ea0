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
        message = (
            "这不是一个普通文件，读不了：请给出 policies.yaml 文件的路径"
            " (cannot read file: not a regular file)"
        )
        return None, [Problem(name, 0, message)]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [Problem(name, 0, "找不到文件：请检查路径和文件名 (file not found)")]
    except OSError as exc:
        message = f"文件读不了（{exc.__class__.__name__}）：请检查文件权限 (cannot read file)"
        return None, [Problem(name, 0, message)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(name, _line_at(data, exc.start), _not_utf8(data))]
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        message = (
            "YAML 格式错误：请检查这一行和上一行的缩进、冒号、引号和括号"
            f" (YAML syntax error: {exc.problem or exc.context})"
        )
        return None, [Problem(name, line, message)]
    except yaml.YAMLError as exc:
        return None, [Problem(name, 0, f"YAML 格式错误，请检查文件 (YAML error: {exc})")]
    if node is None:
        return None, [Problem(name, 1, "文件是空的：请写上内容 (file is empty)")]
    return node, duplicate_keys(node, name)


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _not_utf8(data: bytes) -> str:
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return "文件不是 UTF-8 编码，请用 UTF-8 另存 (not UTF-8 text: save it as UTF-8)"
    return (
        "文件是 GBK 编码，请在编辑器里选「另存为 → UTF-8」再保存 (saved as GBK: save it as UTF-8)"
    )


def duplicate_keys(root: yaml.Node, name: str) -> list[Problem]:
    """A key written twice in one mapping: YAML keeps the last silently, so the first edit is
    lost without a word; report the later one, where the editor most likely just typed."""
    problems, stack = [], [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                k = str(key.value)
                if k in seen:
                    problems.append(
                        Problem(
                            name,
                            line_of(key),
                            f"键 {k!r} 写了两次（第 {seen[k]} 行已有），只有后写的算数："
                            "请把两处合成一处"
                            f" (duplicate key {k!r}, first at line {seen[k]})",
                        )
                    )
                seen.setdefault(k, line_of(key))
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(problems, key=lambda p: p.line)


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
    try:
        return SafeConstructor().construct_object(node, deep=True)
    except ValueError:  # a date YAML cannot build (2026-13-45): the text, for the checks
        return node.value


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
