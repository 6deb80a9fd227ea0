"""The house import rules (STYLE.md §2), enforced by walking every module's AST."""

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CORE_LIBS = {
    "understand/normalize": {"opencc"},
    "understand/segment": {"jieba"},
    "understand/phonetic": set(),
    "understand/pinyin": {"pypinyin"},
    "understand/match": set(),
    "understand/index": set(),
    "understand/build": set(),
    "understand/snapshot": set(),
    "understand/score": {"rapidfuzz"},
    "understand/decide": set(),
    "understand/tuning": set(),
    "understand/analyze": set(),
    "understand/context": set(),
    "understand/cache": set(),
    "understand/weigh": set(),
    "knowledge/load": set(),
    "knowledge/entries": set(),
    "knowledge/parse": {"yaml"},
    "knowledge/checks": {"yaml"},
    "knowledge/lexicon": {"yaml"},
    "knowledge/facts": set(),
    "knowledge/opening": set(),
    "dialogue/reply": set(),
    "dialogue/context": set(),
    "dialogue/excerpt": set(),
    "dialogue/chitchat": set(),
    "dialogue/followup": set(),
    "dialogue/journal": set(),
    "messages": set(),
    "config": set(),
    "privacy": set(),
    "logsummary": set(),
    "shipped": set(),
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
    "aiohttp",
    "jinja2",
}


# Which parts of bot/ each part may use: the arrows run one way, from the adapters and the
# command line down to the leaves. A package is named by its folder, a top-level module by its
# stem; the handlers/ adapter is "handlers".
ALLOWED = {
    "shipped": set(),
    "config": {"shipped"},
    "messages": set(),
    "privacy": set(),
    "logsummary": set(),
    "knowledge": {"shipped"},
    "understand": {"knowledge"},
    "store": {"privacy", "config"},
    "dialogue": {"understand", "knowledge", "store", "messages"},
    "review": {"understand", "knowledge", "store", "messages", "privacy", "config"},
    "console": {"dialogue", "messages"},
    "health": {"config", "knowledge", "store"},
    # `policybot kb …`, wiring like cli (split off it to keep cli under 300 lines)
    "kbcommand": {"config", "knowledge", "messages", "review", "shipped", "understand"},
    "handlers": {
        "config",
        "dialogue",
        "knowledge",
        "messages",
        "privacy",
        "review",
        "store",
        "understand",
    },
    "web": {"config", "dialogue", "knowledge", "messages", "review", "store", "understand"},
}
PACKAGES = sorted(p.name for p in (ROOT / "bot").iterdir() if (p / "__init__.py").is_file())


def part_of(path: Path) -> str:
    """The part of the code a file belongs to: its package, or its own stem at bot/'s top."""
    rel = path.relative_to(ROOT).parts
    if rel[0] == "handlers":
        return "handlers"
    return rel[1] if len(rel) > 2 else Path(rel[1]).stem


def bot_imports(path: Path) -> list[str]:
    """Every `bot…` module a file imports, `from bot import x` counted as `bot.x`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "bot":
                found += [f"bot.{alias.name}" for alias in node.names]
            elif node.module.startswith("bot."):
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("bot.")]
    return found


def library_files() -> list[Path]:
    return [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]


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


def test_every_part_uses_only_the_parts_below_it() -> None:
    for path in library_files():
        part = part_of(path)
        if part in ("cli", "__main__", "__init__"):
            continue  # the composition root and the version
        used = {module.split(".")[1] for module in bot_imports(path)} - {part}
        assert used <= ALLOWED[part], f"{path.relative_to(ROOT)} uses {used - ALLOWED[part]}"


def test_other_parts_import_a_package_only_through_its_face() -> None:
    for path in library_files():
        part = part_of(path)
        for module in bot_imports(path):
            names = module.split(".")
            if names[1] in PACKAGES and names[1] != part:
                assert len(names) == 2, f"{path.relative_to(ROOT)} reaches into {module}"


@pytest.mark.parametrize("package", PACKAGES)
def test_each_face_names_its_public_names_and_imports_only_its_own_modules(
    package: str,
) -> None:
    face = ROOT / "bot" / package / "__init__.py"
    tree = ast.parse(face.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"bot/{package}/__init__.py says what the package owns"
    exported = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert exported, f"bot/{package}/__init__.py lists its public names in __all__"
    for module in bot_imports(face):
        assert module.startswith(f"bot.{package}."), f"bot/{package} face imports {module}"


def test_no_module_over_300_lines_and_no_function_over_50() -> None:
    for path in library_files():
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 300, f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                assert length <= 50, (
                    f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length}"
                )


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


def test_the_matcher_starts_without_pkg_resources() -> None:
    # jieba would import setuptools' pkg_resources (~0.1 s at every start) to open its files
    code = "import sys, bot.understand; print('pkg_resources' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_a_warm_start_does_not_load_pypinyin(tmp_path: Path) -> None:
    # its phrase dictionary is ~50 MB; the readings the matcher needs are cached on disk
    code = (
        "import sys\n"
        "from bot.knowledge import load_knowledge\n"
        "from bot.understand import Matcher\n"
        "m = Matcher(load_knowledge('tests/data/mini_kb/policies.yaml'))\n"
        "print(m.best_match('底保咋申请').outcome, 'pypinyin' in sys.modules)\n"
    )
    env = {**os.environ, "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}  # a cold cache
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs[0] == [runs[1][0], "True"]  # the first start computes and writes the tables
    assert runs[1][1] == "False"


@pytest.mark.parametrize("package", ["review", "store"])
def test_a_lazy_face_gives_each_public_name_from_its_own_module(package: str) -> None:
    """bot.review and bot.store import a name's module on first use (PEP 562): every name of
    `__all__` must resolve to that module's object, and none may share a submodule's name
    (importing the submodule would bind the module over the name)."""
    face = importlib.import_module(f"bot.{package}")
    home: dict[str, str] = face._HOME  # type: ignore[attr-defined]
    assert set(home) == set(face.__all__)
    modules = {p.stem for p in (ROOT / "bot" / package).glob("*.py")}
    assert not set(home) & modules, "a public name that is also a module's name"
    for name, module in home.items():
        own = importlib.import_module(f"bot.{package}.{module}")
        assert getattr(face, name) is getattr(own, name), name
    with pytest.raises(AttributeError):
        _ = face.no_such_name
