"""The container recipe without docker: the Dockerfile parsed, its CMD and HEALTHCHECK run in
this environment against the Bot API stand-in; compose.yaml, the settings template, the guide."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.cli import build_parser
from bot.config import Settings
from tests.conftest import ROOT
from tests.fakes.botapi import TOKEN, message_update, running_fake, wait_until

DOCKERFILE = ROOT / "Dockerfile"
VOLUME = "/data"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str]:
        """The JSON array of a CMD (or of HEALTHCHECK's CMD); a shell form is a failure."""
        text = self.args.split("CMD", 1)[1] if self.keyword == "HEALTHCHECK" else self.args
        argv = json.loads(text)
        assert isinstance(argv, list), f"{self.keyword} is not in exec form"
        return [str(a) for a in argv]


def stages(path: Path = DOCKERFILE) -> list[list[Instruction]]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped, by stage."""
    found: list[list[Instruction]] = []
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        logical += line.removesuffix("\\").strip() + " "
        if line.endswith("\\"):
            continue
        keyword, _, args = logical.strip().partition(" ")
        logical = ""
        if keyword.upper() == "FROM":
            found.append([])
        assert found, "the Dockerfile starts with FROM"
        found[-1].append(Instruction(keyword.upper(), args.strip()))
    return found


def one(stage: list[Instruction], keyword: str) -> Instruction:
    matching = [i for i in stage if i.keyword == keyword]
    assert len(matching) == 1, f"{len(matching)} {keyword} in the final stage"
    return matching[0]


def image_env(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(instruction.args))
    return env


FINAL = stages()[-1]


def test_every_stage_is_a_slim_python_3_11_and_the_final_one_runs_as_a_user() -> None:
    for stage in stages():
        image = stage[0].args.split()[0]
        assert image.startswith("python:3.11-slim"), image
    users = [i.args for i in FINAL if i.keyword == "USER"]
    assert users, "the final stage names a USER"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_the_image_keeps_the_log_on_its_volume_and_carries_the_knowledge_base() -> None:
    assert image_env(FINAL)["POLICYBOT_DB"] == f"{VOLUME}/policybot.sqlite3"
    assert json.loads(one(FINAL, "VOLUME").args) == [VOLUME]
    copied = {
        source
        for stage in stages()[:-1]
        for i in stage
        if i.keyword == "COPY"
        for source in i.args.split()[:-1]  # the last one is the destination
    }
    # what the wheel is built from: knowledge/ becomes its bot/data/ (pyproject.toml)
    assert {"pyproject.toml", "README.md", "bot", "handlers", "knowledge"} <= copied
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"!bot/", "!handlers/", "!knowledge/", "!pyproject.toml", "!README.md"} <= set(ignore)


def test_the_health_check_is_policybot_health_and_the_command_is_serve() -> None:
    check = one(FINAL, "HEALTHCHECK")
    assert check.exec_form() == ["policybot", "health"]
    assert "--start-period=" in check.args
    assert one(FINAL, "CMD").exec_form() == ["policybot", "serve"]


def in_this_environment(argv: list[str]) -> list[str]:
    """The image's command line run on this checkout (`policybot` is `python -m bot`)."""
    assert argv[0] == "policybot"
    return [sys.executable, "-m", "bot", *argv[1:]]


def container_env(tmp_path: Path, base_url: str) -> dict[str, str]:
    """This machine's environment with the image's ENV, the volume a temporary folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYBOT_", "TELEGRAM_"))}
    volume = tmp_path / "data"
    volume.mkdir()
    for name, value in image_env(FINAL).items():
        env[name] = value.replace(VOLUME, str(volume), 1) if value.startswith(VOLUME) else value
    env.update(
        PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN=TOKEN, POLICYBOT_TELEGRAM_BASE_URL=base_url
    )
    return env


@pytest.mark.slow  # a fresh venv-like run of the image's CMD: ~12 s
def test_the_images_command_answers_and_its_health_check_passes(tmp_path: Path) -> None:
    home = tmp_path / "home"  # the image's WORKDIR: no checkout, no knowledge/ around
    home.mkdir()
    with running_fake() as fake, (tmp_path / "serve.log").open("wb") as log:
        env = container_env(tmp_path, fake.base_url)
        serve = subprocess.Popen(
            in_this_environment(one(FINAL, "CMD").exec_form()),
            cwd=home,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            assert wait_until(lambda: bool(fake.calls("getUpdates")), timeout=60)
            fake.push(message_update(5201, text="低保咋申请"))
            assert wait_until(lambda: bool(fake.messages(5201)), timeout=30)
            check = subprocess.run(
                in_this_environment(one(FINAL, "HEALTHCHECK").exec_form()),
                cwd=home,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            serve.send_signal(signal.SIGTERM)
            code = serve.wait(timeout=30)
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait()
    assert (check.returncode, check.stderr) == (0, ""), check.stderr
    assert check.stdout.startswith("ok: knowledge base ")
    assert f"question log {tmp_path / 'data' / 'policybot.sqlite3'}" in check.stdout
    assert "低保" in fake.messages(5201)[0].text
    assert code == 0, (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert sorted(p.name for p in home.iterdir()) == []  # the log went to the volume


def test_compose_runs_the_image_with_the_log_on_a_named_volume() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    bot = compose["services"]["bot"]
    assert bot["build"] == "."
    assert bot["environment"]["POLICYBOT_DB"] == image_env(FINAL)["POLICYBOT_DB"]
    [volume] = bot["volumes"]
    name, target = volume.split(":")
    assert (target, name in compose["volumes"]) == (VOLUME, True)
    assert bot["env_file"] == "policybot.env"
    assert "policybot.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_the_settings_template_names_only_real_settings_and_they_parse() -> None:
    # the template promises what it is (compose's env_file, systemd's EnvironmentFile=)
    assert not (ROOT / ".env.example").exists()
    text = (ROOT / "policybot.env.example").read_text(encoding="utf-8")
    values = dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    commented = {
        line[2:].split("=", 1)[0]
        for line in text.splitlines()
        if line.startswith("# ") and "=" in line and line[2:].split("=", 1)[0].isupper()
    }
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in {*values, *commented}:
        assert f"| `{name}` |" in readme, f"{name} is not a setting the README explains"
    Settings.from_env(values)  # every value given is a valid one


def test_the_deploy_guide_names_real_settings_and_commands_that_parse() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in set(re.findall(r"\b(?:POLICYBOT_[A-Z_]+|TELEGRAM_BOT_TOKEN)\b", guide)):
        assert f"| `{name}` |" in readme, name
    # on a line of their own in a code block, and `inline`; "log …" names the group
    commands = re.findall(
        r"^(?:docker compose exec bot )?policybot (.+?)(?:\s+#.*)?$", guide, re.M
    )
    commands += re.findall(r"`(?:docker compose exec bot )?policybot ([^`]+)`", guide)
    commands = [c.replace("--before …", "--before 2026-06-01") for c in commands if c != "log …"]
    assert {"health", "serve", "log purge --before 2026-06-01"} <= set(commands)
    for command in commands:
        build_parser().parse_args(shlex.split(command))
    assert "**In webhook mode there is also `GET /healthz`**" in guide
    assert 'sqlite3 policybot.sqlite3 ".backup backup.sqlite3"' in guide
    assert "ExecStart=/opt/policybot/bin/policybot serve" in guide
