"""The house import rules (STYLE.md §2), enforced by walking every module's AST."""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

CORE_LIBS = {
    "normalize": {"opencc"},
    "segment": {"jieba"},
    "phonetic": {"pypinyin"},
    "match": {"rapidfuzz"},
    "knowledge": set(),
    "entries": set(),
    "kbyaml": {"yaml"},
    "reply": set(),
    "messages": set(),
    "config": set(),
    "privacy": set(),
}
THIRD_PARTY = {
    "telegram",
    "jieba",
    "rapidfuzz",
    "aiosqlite",
    "yaml",
    "opencc",
    "pypinyin",
    "matplotlib",
    "httpx",
    "PIL",
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mods: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            mods.add(node.module)
    return mods


@pytest.mark.parametrize("name", sorted(CORE_LIBS))
def test_core_modules_use_only_their_one_library(name: str) -> None:
    roots = imported_roots(ROOT / "bot" / f"{name}.py")
    assert roots & THIRD_PARTY <= CORE_LIBS[name], roots & THIRD_PARTY


def test_only_the_store_package_imports_aiosqlite() -> None:
    users = {
        p.relative_to(ROOT).parent.as_posix()
        for p in (ROOT / "bot").rglob("*.py")
        if "aiosqlite" in imported_roots(p)
    }
    assert users == {"bot/store"}


def test_handlers_never_import_matching_or_sql_libraries() -> None:
    for path in (ROOT / "handlers").glob("*.py"):
        assert not imported_roots(path) & {"jieba", "rapidfuzz", "aiosqlite"}, path.name


def test_core_never_imports_telegram_or_handlers() -> None:
    for path in (ROOT / "bot").rglob("*.py"):
        if path.name in ("cli.py", "__main__.py"):
            continue  # the composition root
        roots = imported_roots(path)
        if path.name == "review.py":
            roots.discard("telegram")  # sending an editor's answer through the Bot API
        assert "telegram" not in roots, path.name
        assert not any(m.startswith("handlers") for m in imported_modules(path)), path.name


def test_nothing_but_the_entry_point_reads_the_environment() -> None:
    for path in (*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")):
        if path.name == "cli.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        reads = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in ("environ", "getenv")
        ]
        assert not reads, path.name
