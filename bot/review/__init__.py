"""What editors and staff do with the question log and the knowledge base: the grouped queue of
unanswered questions and the answers sent back, statistics, the CSV export, the report picture,
draft entries, `kb check`/`kb eval`, and the `policybot log` command line around them.

Other packages use only these names. Each is imported from its module on first use (PEP 562),
so a command that uses none of them (`policybot match`, `chat`, `--help`) does not load the
queue, statistics and delivery code (~0.1 s of every start); the report picture (`report`,
matplotlib) is imported only when `render_report` is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.review.answering import (
        AnswerPlan,
        GroupChanged,
        best_guesses,
        ignore_as_shown,
        plan_answer,
        plan_correction,
        send_correction,
        send_plan,
        sent_notice,
        waiting_villagers,
    )
    from bot.review.cli import run_log_command
    from bot.review.confirmation import (
        Action,
        ProbableSlip,
        Proposal,
        carry_out,
        preview_text,
        probable_slip,
        propose_answer,
        propose_ignore,
        record_action,
    )
    from bot.review.dbcommand import add_db_parser, add_review_parsers, run_db_command
    from bot.review.delivery import (
        Delivery,
        Recipient,
        Sender,
        deliver,
        editor_reply,
        mark_failed,
        mark_sent,
        pending_replies,
    )
    from bot.review.export import COLUMNS, export_csv
    from bot.review.kbcheck import (
        check_knowledge,
        evaluate,
        load_eval_set,
        print_eval,
        referral_problems,
        run_eval,
    )
    from bot.review.kbedit import (
        EditError,
        EntryEdit,
        add_entry,
        file_digest,
        save_entry,
    )
    from bot.review.logargs import add_log_parser
    from bot.review.picture import REPORT_EXTRA_MISSING, render_report
    from bot.review.records import (
        MAX_EXPORT,
        RecordQuery,
        find_records,
        neutralize,
        record_rows,
        records_csv,
        records_xlsx,
    )
    from bot.review.stats import LOCAL_TZ, Stats, collect_stats, local_day_start, utc_iso
    from bot.review.suggest import suggest_yaml
    from bot.review.unanswered import (
        MAX_ANSWER,
        Cluster,
        ReviewError,
        format_clusters,
        ignore,
        ignore_group,
        resolve,
        resolve_group,
        unanswered_clusters,
    )

# the module of each public name
_HOME = {
    "Action": "confirmation",
    "AnswerPlan": "answering",
    "COLUMNS": "export",
    "Cluster": "unanswered",
    "Delivery": "delivery",
    "EditError": "kbedit",
    "EntryEdit": "kbedit",
    "GroupChanged": "answering",
    "LOCAL_TZ": "stats",
    "MAX_ANSWER": "unanswered",
    "MAX_EXPORT": "records",
    "ProbableSlip": "confirmation",
    "Proposal": "confirmation",
    "REPORT_EXTRA_MISSING": "picture",
    "Recipient": "delivery",
    "RecordQuery": "records",
    "ReviewError": "unanswered",
    "Sender": "delivery",
    "Stats": "stats",
    "add_db_parser": "dbcommand",
    "add_entry": "kbedit",
    "add_log_parser": "logargs",
    "add_review_parsers": "dbcommand",
    "best_guesses": "answering",
    "carry_out": "confirmation",
    "check_knowledge": "kbcheck",
    "collect_stats": "stats",
    "deliver": "delivery",
    "editor_reply": "delivery",
    "evaluate": "kbcheck",
    "export_csv": "export",
    "file_digest": "kbedit",
    "find_records": "records",
    "format_clusters": "unanswered",
    "ignore": "unanswered",
    "ignore_as_shown": "answering",
    "ignore_group": "unanswered",
    "load_eval_set": "kbcheck",
    "local_day_start": "stats",
    "mark_failed": "delivery",
    "mark_sent": "delivery",
    "neutralize": "records",
    "pending_replies": "delivery",
    "plan_answer": "answering",
    "plan_correction": "answering",
    "preview_text": "confirmation",
    "print_eval": "kbcheck",
    "probable_slip": "confirmation",
    "propose_answer": "confirmation",
    "propose_ignore": "confirmation",
    "record_action": "confirmation",
    "record_rows": "records",
    "records_csv": "records",
    "records_xlsx": "records",
    "referral_problems": "kbcheck",
    "render_report": "picture",
    "resolve": "unanswered",
    "resolve_group": "unanswered",
    "run_db_command": "dbcommand",
    "run_eval": "kbcheck",
    "run_log_command": "cli",
    "save_entry": "kbedit",
    "send_correction": "answering",
    "send_plan": "answering",
    "sent_notice": "answering",
    "suggest_yaml": "suggest",
    "unanswered_clusters": "unanswered",
    "utc_iso": "stats",
    "waiting_villagers": "answering",
}

__all__ = [
    "COLUMNS",
    "LOCAL_TZ",
    "MAX_ANSWER",
    "MAX_EXPORT",
    "REPORT_EXTRA_MISSING",
    "Action",
    "AnswerPlan",
    "Cluster",
    "Delivery",
    "EditError",
    "EntryEdit",
    "GroupChanged",
    "ProbableSlip",
    "Proposal",
    "Recipient",
    "RecordQuery",
    "ReviewError",
    "Sender",
    "Stats",
    "add_db_parser",
    "add_entry",
    "add_log_parser",
    "add_review_parsers",
    "best_guesses",
    "carry_out",
    "check_knowledge",
    "collect_stats",
    "deliver",
    "editor_reply",
    "evaluate",
    "export_csv",
    "file_digest",
    "find_records",
    "format_clusters",
    "ignore",
    "ignore_as_shown",
    "ignore_group",
    "load_eval_set",
    "local_day_start",
    "mark_failed",
    "mark_sent",
    "neutralize",
    "pending_replies",
    "plan_answer",
    "plan_correction",
    "preview_text",
    "print_eval",
    "probable_slip",
    "propose_answer",
    "propose_ignore",
    "record_action",
    "record_rows",
    "records_csv",
    "records_xlsx",
    "referral_problems",
    "render_report",
    "resolve",
    "resolve_group",
    "run_db_command",
    "run_eval",
    "run_log_command",
    "save_entry",
    "send_correction",
    "send_plan",
    "sent_notice",
    "suggest_yaml",
    "unanswered_clusters",
    "utc_iso",
    "waiting_villagers",
]


def __getattr__(name: str) -> object:
    """A public name, imported from its module the first time it is asked for."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
