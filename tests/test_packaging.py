"""Packaging: the knowledge base inside the wheel, `kb init`, `--version`, light commands."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

import bot
from bot.cli import main
from bot.config import DEFAULT_KB
from bot.shipped import FILES, shipped_file
from tests.conftest import ROOT, SHIPPED_KB

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, env=env or {}, stdin=io.StringIO(""), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def python(code: str, *, cwd: Path = ROOT, stdin: str = "", **env: str) -> str:
    """Run `code` in a fresh interpreter on this checkout and return what it printed."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("POLICYBOT_")}
    environ.update({"PYTHONPATH": str(ROOT), **env})
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_package_of_the_tree_is_listed_and_knowledge_is_package_data() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    tree = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("bot", "handlers")
        for p in (ROOT / top).rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == tree | {"bot.data"}
    assert setuptools["package-dir"] == {"bot.data": "knowledge"}
    assert set(setuptools["package-data"]["bot.data"]) == set(FILES)


def test_a_checkout_serves_its_own_knowledge_folder() -> None:
    assert DEFAULT_KB == SHIPPED_KB
    assert shipped_file("lexicon.yaml") == ROOT / "knowledge" / "lexicon.yaml"


def test_an_installed_package_reads_its_package_data(tmp_path: Path) -> None:
    # the layout a wheel installs: bot/ with data/ inside and no knowledge/ beside it
    site = tmp_path / "site"
    shutil.copytree(ROOT / "bot", site / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "bot" / "data").mkdir()
    for name in FILES:
        shutil.copy(ROOT / "knowledge" / name, site / "bot" / "data" / name)
    printed = python(
        "from bot.config import DEFAULT_KB; from bot.knowledge.entries import BUNDLED_LEXICON;"
        "print(DEFAULT_KB); print(BUNDLED_LEXICON)",
        cwd=tmp_path,
        PYTHONPATH=str(site),
    )
    assert printed.split() == [str(site / "bot" / "data" / name) for name in FILES]


def test_policybot_kb_overrides_the_bundled_file(tmp_path: Path) -> None:
    code, out, _ = run(["kb", "check"], env={"POLICYBOT_KB": str(tmp_path / "none.yaml")})
    assert code == 1
    assert "none.yaml" in out


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"policybot {bot.__version__}"
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "bot.__version__"}


def test_kb_init_copies_a_knowledge_base_that_checks_clean(tmp_path: Path) -> None:
    target = tmp_path / "county" / "kb"
    code, out, err = run(["kb", "init", str(target)])
    assert (code, err) == (0, "")
    for name in FILES:
        assert (target / name).read_bytes() == (ROOT / "knowledge" / name).read_bytes()
    assert "POLICYBOT_KB=" in out
    code, out, _ = run(["kb", "check"], env={"POLICYBOT_KB": str(target / "policies.yaml")})
    assert code == 0, out


@pytest.mark.parametrize("existing", ["policies.yaml", "lexicon.yaml"])
def test_kb_init_never_overwrites_an_editors_file(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_text("# mine\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    code, out, err = run(["kb", "init", str(tmp_path)])
    assert (code, out) == (1, "")
    [line] = err.splitlines()
    assert f"{tmp_path / existing} already exists; nothing was copied" in line
    assert "已经存在，不会覆盖" in line
    assert (tmp_path / existing).read_text(encoding="utf-8") == "# mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([existing, "notes.txt"])


def test_kb_init_into_a_path_that_cannot_be_a_folder_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, _, err = run(["kb", "init", str(blocker / "kb")])
    assert code == 1
    [line] = err.splitlines()
    assert f"cannot write {blocker / 'kb'}" in line
    assert "无法写入" in line


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's sysfs")
def test_kb_init_into_a_folder_not_even_root_can_write_says_so() -> None:
    # sysfs refuses new files to everyone: the unwritable folder a test run as root can have
    code, out, err = run(["kb", "init", "/sys/kernel"])
    assert (code, out) == (1, "")
    [line] = err.splitlines()
    assert line.startswith("policybot: cannot write /sys/kernel: ")
    assert "nothing was copied. 无法写入 /sys/kernel" in line
    assert not Path("/sys/kernel/policies.yaml").exists()


LOADED = """
    import sys
    from bot.cli import main
    try:
        code = main({argv!r})
    except SystemExit as exit:
        code = exit.code
    heavy = ("telegram", "matplotlib", "jieba", "pypinyin", "httpx", "aiohttp", "jinja2")
    print(code, *sorted(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def loaded_by(argv: list[str], stdin: str = "") -> list[str]:
    """The exit code and which heavy libraries `policybot ARGV` imported, in a fresh process."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("POLICYBOT_")}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(LOADED.format(argv=argv))],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    return done.stderr.splitlines()[-1].split()


def test_help_imports_neither_telegram_nor_the_matcher_libraries() -> None:
    assert loaded_by(["--help"]) == ["0"]


@pytest.mark.parametrize(
    ("argv", "stdin"), [(["kb", "check"], ""), (["match"], '{"q": "低保咋申请"}\n')]
)
def test_kb_check_and_match_import_neither_telegram_nor_matplotlib(
    argv: list[str], stdin: str
) -> None:
    loaded = loaded_by(argv, stdin)
    # jieba builds the matcher; pypinyin only on a cold start (its readings are cached)
    assert loaded[:2] == ["0", "jieba"]
    assert set(loaded[2:]) <= {"pypinyin"}


def test_the_report_without_its_extra_says_how_to_install_it(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    python("import sys; from bot.cli import main; main(['chat'])", stdin="低保咋申请\n",
           POLICYBOT_DB=str(db))  # fmt: skip
    blocked = python(
        """
        import io, sys
        sys.modules["matplotlib"] = None  # as if the report extra were not installed
        from bot.cli import main
        err = io.StringIO()
        print(main(["log", "report", "--out", "r.png"], stderr=err), err.getvalue())
        """,
        cwd=tmp_path,
        POLICYBOT_DB=str(db),
    )
    assert blocked.startswith("1 policybot: the report picture needs matplotlib")
    assert "pip install 'policybot[report]'" in blocked
    assert not (tmp_path / "r.png").exists()


@pytest.mark.slow  # builds, installs and runs the wheel in a fresh venv (half a minute)
@pytest.mark.timeout(600)
def test_the_wheel_installed_outside_the_checkout_answers_a_question() -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "wheel-smoke")],
        capture_output=True,
        text=True,
        timeout=590,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "site-packages/bot/data/policies.yaml: ok" in done.stdout
    assert "ok: answered from the bundled knowledge base" in done.stdout
