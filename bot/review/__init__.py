"""What editors and staff do with the question log and the knowledge base: the grouped queue of
unanswered questions and the answers sent back, statistics, the CSV export, the report picture,
draft entries, `kb check`/`kb eval`, and the `policybot log` command line around them.

Other packages use only these names. The report picture (`report`, matplotlib) is imported only
when `render_report` is called.
"""

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
