"""`policybot kb check|eval|init`: the editors' knowledge-base commands, wired to review/."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from bot import messages
from bot.config import Settings
from bot.knowledge import load_knowledge
from bot.shipped import ShippedCopyError, copy_shipped


def run_kb(args: argparse.Namespace, settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    """Run `policybot kb check|eval|init`; return the exit code."""
    from bot.review import check_knowledge, load_eval_set, print_eval, run_eval
    from bot.understand import Matcher

    if args.kb_command == "init":
        return _kb_init(args.dir, stdout, stderr)
    if args.kb_command == "check":
        path = args.file or settings.kb_path
        kb, problems = check_knowledge(path)
        for problem in problems:
            stdout.write(f"{problem}\n")
        errors = [p for p in problems if p.severity == "error"]
        if errors or kb is None:
            chinese = messages.KB_CHECK_ERRORS.format(count=len(errors))
            stdout.write(f"{path}: {chinese} ({len(errors)} error(s))\n")
            return 1
        n_questions = sum(len(e.questions) for e in kb.entries)
        chinese = messages.KB_CHECK_OK.format(entries=len(kb.entries), questions=n_questions)
        english = f"ok, {len(kb.entries)} entries, {n_questions} example questions"
        stdout.write(f"{path}: {english}（{chinese}）\n")
        return 0
    try:
        items = load_eval_set(args.file)
    except (OSError, ValueError) as exc:
        stdout.write(f"policybot: cannot read the set: {exc}\n")
        return 1
    matcher = Matcher(load_knowledge(settings.kb_path))
    titles = {e.id: e.title for e in matcher.kb.entries}
    result = run_eval(matcher, items)
    print_eval(result, stdout, name=args.file.name, show_misses=args.show_misses, titles=titles)
    return 0


def _kb_init(target: Path, stdout: TextIO, stderr: TextIO) -> int:
    try:
        copies = copy_shipped(target)
    except ShippedCopyError as exc:
        chinese = messages.KB_INIT_EXISTS if exc.exists else messages.KB_INIT_UNWRITABLE
        stderr.write(f"policybot: {exc}; nothing was copied. {chinese.format(path=exc.path)}\n")
        return 1
    for copy in copies:
        stdout.write(f"wrote {copy}\n")
    kb = copies[0].resolve()
    stdout.write(f"edit it, then: export POLICYBOT_KB={kb} && policybot kb check\n")
    stdout.write(messages.KB_INIT_DONE.format(path=kb) + "\n")
    return 0
