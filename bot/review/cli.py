"""Staff and editor commands over the question log (`policybot log …`): the command runner
around the review functions of this package (its parser is in logargs.py)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
from collections.abc import Sequence
from typing import TextIO

from bot import messages
from bot.config import Settings
from bot.knowledge import KnowledgeError, load_knowledge
from bot.review.answering import GroupChanged
from bot.review.confirmation import (
    Action,
    carry_out,
    preview_text,
    propose_answer,
    propose_ignore,
    record_action,
)
from bot.review.delivery import Delivery, Recipient, Sender, deliver
from bot.review.export import export_csv
from bot.review.picture import render_report
from bot.review.stats import LOCAL_TZ, collect_stats, local_day_start, utc_iso
from bot.review.unanswered import (
    ReviewError,
    format_clusters,
    unanswered_clusters,
)
from bot.store import Store, StoreUnavailable
from bot.understand import Matcher

__all__ = ["run_log_command"]

logger = logging.getLogger(__name__)
CLI_ACTOR = "命令行"  # who answered, in the audit log (the workbench names its staff account)


def run_log_command(
    args: argparse.Namespace,
    settings: Settings,
    stdout: TextIO,
    stderr: TextIO,
    *,
    sender: Sender | None = None,
    now: dt.datetime | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run one `policybot log` subcommand; `sender` delivers answers (None: the bot will);
    `resolve` asks on `stdin` when it is a terminal."""
    if settings.db_url is None and not settings.db_path.exists():
        stderr.write(f"policybot: no question log at {settings.db_path} (set POLICYBOT_DB)\n")
        return 1
    command = _Command(args, settings, stdout, sender, now or dt.datetime.now(dt.UTC))
    command.stdin = stdin
    try:
        return asyncio.run(command.run())
    except GroupChanged:
        changed = (
            messages.CONFIRM_IGNORE_CHANGED
            if args.log_command == "ignore"
            else messages.CONFIRM_CHANGED
        )
        stderr.write(f"policybot: {changed.format(id=args.id)}\n")
        return 1
    except (ReviewError, StoreUnavailable) as exc:
        stderr.write(f"policybot: {exc}\n")
        return 1


class _Command:
    """One `policybot log` invocation over an open store."""

    stdin: TextIO | None = None

    def __init__(
        self,
        args: argparse.Namespace,
        settings: Settings,
        out: TextIO,
        sender: Sender | None,
        now: dt.datetime,
    ) -> None:
        self.args, self.settings, self.out, self.sender, self.now = (
            args,
            settings,
            out,
            sender,
            now,
        )

    async def run(self) -> int:
        async with await Store.open(self.settings.database) as store:
            name = self.args.log_command
            if name == "stats":
                return await self._stats(store)
            if name == "export":
                return await self._export(store)
            if name == "purge":
                return await self._purge(store)
            with_matcher = {
                "unanswered": self._unanswered,
                "resolve": self._resolve,
                "ignore": self._ignore,
                "suggest": self._suggest,
                "report": self._report,
            }
            matcher = await asyncio.to_thread(self._matcher)
            return await with_matcher[name](store, matcher)

    def _matcher(self) -> Matcher:
        return Matcher(load_knowledge(self.settings.kb_path))

    def _print(self, text: str) -> None:
        self.out.write(text if text.endswith("\n") else text + "\n")

    async def _stats(self, store: Store) -> int:
        try:
            kb = await asyncio.to_thread(load_knowledge, self.settings.kb_path)
            titles = {e.id: e.title for e in kb.entries}
        except KnowledgeError:
            logger.warning("knowledge base has errors; showing entry ids instead of titles")
            titles = {}
        stats = await collect_stats(store, days=self.args.days, now=self.now, titles=titles)
        if self.args.json:
            self._print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
        else:
            self._print(stats.to_text())
        return 0

    async def _unanswered(self, store: Store, matcher: Matcher) -> int:
        clusters = await unanswered_clusters(store, matcher, status=self.args.status)
        titles = {e.id: e.title for e in matcher.kb.entries}
        if self.args.json:
            rows = [
                c.to_dict() | {"nearest_title": titles.get(c.nearest_entry or "")}
                for c in clusters
            ]
            self._print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            self._print(format_clusters(clusters, titles=titles, limit=self.args.limit))
        return 0

    async def _export(self, store: Store) -> int:
        since = utc_iso(local_day_start(self.args.since)) if self.args.since else ""
        count = await export_csv(store, self.args.csv, since=since)
        self._print(f"wrote {count} question(s) to {self.args.csv}")
        return 0

    async def _purge(self, store: Store) -> int:
        day: dt.date = self.args.before
        if day > self.now.astimezone(LOCAL_TZ).date() + dt.timedelta(days=1):
            raise ReviewError(f"--before {day} is in the future: that would purge everything")
        done = await store.purge_before(utc_iso(local_day_start(day)), dry_run=self.args.dry_run)
        verb, zone = "would purge" if self.args.dry_run else "purged", LOCAL_TZ.tzname(None)
        self._print(
            f"{verb} {done.questions} question(s) asked before {day} ({zone})"
            f" and {done.feedback} feedback"
        )
        if done.kept_pending:
            self._print(f"kept {done.kept_pending} whose editor answer is still to be sent")
        return 0

    async def _resolve(self, store: Store, matcher: Matcher) -> int:
        proposal = await propose_answer(
            store, self.args.id, self.args.answer, matcher=matcher, now=self.now
        )
        self._print(preview_text(proposal))
        if not await self._confirmed(
            messages.CONFIRM_SEND, messages.CONFIRM_CANCELLED, messages.CONFIRM_NO_TERMINAL
        ):
            return 1
        plan = await carry_out(store, proposal, matcher=matcher, now=self.now)
        assert plan is not None
        action = proposal.action.value
        await record_action(
            store,
            CLI_ACTOR,
            action,
            proposal.group_id,
            plan.question_ids,
            plan.answer,
            now=self.now,
        )
        verb = "corrected" if proposal.action is Action.CORRECT else "resolved"
        self._print(f"{verb} {len(plan.question_ids)} question(s): {_ids(plan.question_ids)}")
        recipients = list(plan.recipients)
        if not recipients:
            self._print("no villager to notify (console questions get no reply)")
        elif self.sender is None:
            self._print(
                f"{len(recipients)} villager(s) will get the answer from the running bot"
                " (no TELEGRAM_BOT_TOKEN here)"
            )
        else:
            await self._deliver(store, recipients, self.sender)
        return 0

    async def _confirmed(self, prompt: str, cancelled: str, no_terminal: str) -> bool:
        """--yes, or a 'y' typed on a terminal after the preview; refused without a terminal
        (piped input is not someone who read the preview), and cancelled on anything else."""
        if self.args.yes:
            return True
        if self.stdin is None or not self.stdin.isatty():
            raise ReviewError(no_terminal)
        self.out.write(prompt)
        self.out.flush()
        typed = await asyncio.to_thread(self.stdin.readline)
        if typed.strip().casefold() in ("y", "yes", "是"):
            return True
        self._print(cancelled)
        return False

    async def _deliver(self, store: Store, recipients: list[Recipient], sender: Sender) -> None:
        """Send now; ReviewError (exit 1) when Telegram rejected the token."""
        try:
            done = await deliver(store, recipients, sender)
        except Exception:  # the edge of the review CLI: the answers stay pending, not lost
            logger.warning("could not send through the Bot API", exc_info=True)
            done = Delivery()
        left = len(recipients) - len(done.sent) - len(done.failed)
        self._print(
            f"sent to {len(done.sent)} villager(s); {len(done.failed)} cannot be reached;"
            f" {left} left for the running bot"
        )
        if done.rejected:  # the answer is stored; its messages stay pending for the bot
            raise ReviewError(messages.TOKEN_REJECTED.format(pending=left))

    async def _ignore(self, store: Store, matcher: Matcher) -> int:
        proposal = await propose_ignore(store, self.args.id, matcher=matcher)
        self._print(preview_text(proposal))
        if not await self._confirmed(
            messages.CONFIRM_IGNORE,
            messages.CONFIRM_IGNORE_CANCELLED,
            messages.CONFIRM_IGNORE_NO_TERMINAL,
        ):
            return 1
        await carry_out(store, proposal, matcher=matcher, now=self.now)
        ids = proposal.question_ids
        await record_action(store, CLI_ACTOR, "ignore", proposal.group_id, ids, now=self.now)
        self._print(f"ignored {len(ids)} question(s): {_ids(ids)}")
        return 0

    async def _suggest(self, store: Store, matcher: Matcher) -> int:
        from bot.review.suggest import suggest_yaml

        clusters = await unanswered_clusters(store, matcher)
        today = self.now.astimezone(LOCAL_TZ).date()
        # below the answer threshold the nearest entry is a guess, not the same need
        min_score = matcher.thresholds.answer
        self._print(suggest_yaml(clusters, matcher.kb, min_score=min_score, today=today))
        return 0

    async def _report(self, store: Store, matcher: Matcher) -> int:
        path = await render_report(
            store, self.args.out, days=self.args.days, now=self.now, matcher=matcher
        )
        self._print(f"wrote {path}")
        return 0


def _ids(ids: Sequence[int]) -> str:
    return ", ".join(map(str, ids))
