"""Every user-facing string, in one place for editors to review (plain words, 您, no jargon)."""

GREETING = (
    "您好！我是扶贫政策问答小助手。\n"
    "看病报销、娃上学补助、危房改造、小额贷款、低保这些政策，直接打字问我就行，"
    "也可以点下面的分类看看。"
)
HELP = (
    "直接打字问，比如「娃上中专有啥补助」。\n"
    "点 /menu 按分类找政策。\n"
    "具体到您家的情况，请问帮扶责任人或驻村工作队。"
)
MENU_PROMPT = "请选一个分类："
CATEGORY_PROMPT = "「{name}」里有这些，点一下看回答："
CLARIFY_PROMPT = "您是想问："
NONE_OF_THESE = "都不是"
NONE_OF_THESE_REPLY = (
    "好的，这个问题已经记下来，交给工作人员补充。"
    "您也可以换个说法再问，或者直接问您家的帮扶责任人、驻村工作队。"
)
UNKNOWN = (
    "这个问题我还答不上来，已经记下来交给工作人员补充。\n"
    "您可以先问您家的帮扶责任人、村里的驻村工作队，或者到乡镇扶贫办当面问。"
)
EMPTY_QUESTION = "请把您想问的事打成字发给我，比如「低保咋申请」，或者点 /menu 按分类找。"
SOURCE_LINE = "依据：{source}（{updated}核对）"
# After the source line of an answer whose source is dated: when that was the policy.
SOURCE_DATED = "这是{years}的政策；现在的规定，以上面说的部门或驻村工作队说的为准。"
USEFUL = "👍有用"
NOT_USEFUL = "👎没用"
FEEDBACK_THANKS = "谢谢您的反馈！"
FEEDBACK_ASK = "哪里不对？可以再说说"
COMMENT_THANKS = "收到，谢谢！工作人员会看。"
BACK = "⬅ 返回"
MENU_BUTTON = "📋 分类菜单"
RELATED_PREFIX = "相关："
NON_TEXT = "我只能看懂文字。请把问题打成字发给我，或者点 /menu 按分类找。"
STALE_BUTTON = "这个按钮已经失效了，请重新打字问，或者点 /menu。"
ERROR = "抱歉，刚才出了点问题，请过一会儿再试。"
SLOW_DOWN = "您发得太快了，请歇一会儿再问，我一条一条回答。"
ADMIN_ONLY = "抱歉，这个功能只对工作人员开放。"
EDITOR_REPLY = "您之前问过：「{question}」\n工作人员的回答：{answer}"
# An answer corrected after it was sent: the villager gets it as a new message, marked.
CORRECTION = "【更正】前面发给您的回答有误，以这条为准：{answer}"
CONSOLE_CHOICE_HINT = "（回复数字选择）"
CONSOLE_CHOICE_RANGE = "请回复 1 到 {n} 之间的数字选择，或者直接打字问。"
CONSOLE_NO_CHOICE = "现在没有可选的按钮。请把问题打成字，比如「低保咋申请」，或输入 /menu 看分类。"
# A follow-up (「那要啥材料」) answered with the part of the topic just answered that fits it.
FOLLOWUP_PREFIX = "关于「{title}」："
FOLLOWUP_NOT_WRITTEN = "这一点我这里没有写明。"
FULL_ANSWER = "看完整回答"
# A person when needed: 「我要找人工」, or 「都不是」 after the choices.
HANDOFF_OFFER = "要是愿意，我可以把您的问题转给工作人员，他们会在这个聊天里回复您。"
HANDOFF_BUTTON = "🙋 转给工作人员"
HANDOFF_DONE = (
    "好的，已经转给工作人员了。他们看到后会在这个聊天里回复您，可能要等一阵子，请留意消息。"
    "着急的话，也可以直接问帮扶责任人或驻村工作队。"
)
STAFF_HANDOFF = "🙋 有村民要找人工（问题 #{id}）：\n「{question}」\n回答请发：/reply {id} 回答内容"
# Small talk that is not a question: a short reply, never queued for editors.
CHAT_BYE = "好的，再见！以后有不明白的政策随时来问。"
CHAT_OK = "好的。还有不明白的随时问我，也可以点 /menu 按分类找。"
CHAT_LAUGH = "😊 还有啥想问的，直接打字就行。"
RELOAD_OK = "知识库已重新加载，共 {entries} 条。"
RELOAD_FAILED = "知识库有错误，没有换上，仍在用原来的版本。请改好这些地方再 /reload：\n{problems}"

# Staff and editors: /stats, /unanswered, /report, `policybot log …` (bot/stats.py, review.py,
# report.py, suggest.py). No emoji in REPORT_*: the chart font has none.
STATS_HEADER = "📊 问答统计（{now}）"
STATS_TODAY = "今天"
STATS_PERIOD = "近{days}天"
STATS_LINE = "{label}：{questions} 问，答上 {answered}%，让选 {clarified}%，没答上 {unknown}%"
STATS_FEEDBACK = "反馈：👍 {useful}　👎 {not_useful}"
STATS_OPEN = "待补充的问题：{open} 个"
STATS_HANDOFFS = "转给工作人员：{handoffs} 问（用 /unanswered 看）"
STATS_ENTRY_FEEDBACK = "各条回答的反馈："
STATS_ENTRY_LINE = "{title}（{id}）👍{useful} 👎{not_useful}"
STATS_TOPICS = "问得最多："
STATS_TOPIC = "{rank}. {title}（{count}次）"
UNANSWERED_HEADER = "没答上的问题：{groups} 组，共 {questions} 问（多的在前）"
UNANSWERED_NONE = "没有待处理的问题。"
UNANSWERED_GROUP = "#{id} ×{count}（{first}～{last}）{examples}"
UNANSWERED_NEAREST = "　最接近：{title}（{score:.0f}分）"
UNANSWERED_DISLIKED = "　👎 不满意 {count} 问 {comments}"
UNANSWERED_MORE = "……还有 {more} 组"
SUGGEST_ADD = (
    "# 第 {id} 组（{count} 问，{first}～{last}）最接近「{title}」（{entry_id}，{score:.0f}分）。\n"
    "# 如果问的是同一件事，把下面的问法加进这一条的 questions："
)
SUGGEST_NEW = (
    "# 第 {id} 组（{count} 问，{first}～{last}）知识库里还没有这个话题。\n"
    "# 新条目草稿：改好 id 和 category，补全 answer、source，再放进 entries："
)
SUGGEST_CATEGORIES = "# category 从这些里选一个：{names}"
SUGGEST_TODO_CATEGORY = "待选"
SUGGEST_TODO_ANSWER = "待补充：先说结论，再两三句；写清依据，本地的事写清问谁。"
SUGGEST_TODO_SOURCE = "待补充：政策文件名称和日期"
SUGGEST_NONE = "# 没有待处理的问题。"
REPORT_TITLE = "扶贫政策问答 · 近{days}天（{first}～{last}）"
REPORT_SUMMARY = "共 {questions} 问，答上 {answered}%，让选 {clarified}%，没答上 {unknown}%"
REPORT_FEEDBACK = "村民反馈：有用 {useful}，没用 {not_useful}；待补充的问题 {open} 个"
REPORT_DAILY = "每天的问题"
REPORT_ANSWERED = "答上"
REPORT_CLARIFIED = "让选"
REPORT_UNKNOWN = "没答上"
REPORT_SHARE = "答上的比例"
REPORT_TOPICS = "问得最多的话题"
REPORT_UNANSWERED = "没答上的问题（按需求归组）"
REPORT_EMPTY = "暂无"
REPLY_USAGE = (
    "用法：/reply 问题编号 回答内容（编号见 /unanswered 里的 #号）。"
    "发之前会先给您看预览，点「确认发送」才发出。"
)
REPLY_TOO_LONG = "回答太长了，请压到 {limit} 字以内。"
REPLY_NOT_FOUND = "没有找到待处理的问题 #{id}，请用 /unanswered 看看编号。"
REPLY_DONE = (
    "问题 #{id} 已解决（同组 {questions} 问）：已发给 {sent} 位群众，"
    "{failed} 位收不到，{pending} 位稍后再发。"
)

REPLY_CORRECTED = (
    "问题 #{id} 的【更正】已发出（同组 {questions} 问）：已发给 {sent} 位群众，"
    "{failed} 位收不到，{pending} 位稍后再发。原来的回答留在记录里。"
)
IGNORE_USAGE = "用法：/ignore 问题编号（编号见 /unanswered 里的 #号）"
IGNORE_DONE = "问题 #{id} 这一组已忽略（{questions} 问），不给群众发消息。"

# Answering (and ignoring) forgives mistakes: first a preview of the group's questions and the
# exact message each villager gets, then a confirmation (`log resolve`, /reply, /ignore).
PREVIEW_ANSWER = "第 {id} 组共 {questions} 问，确认后发给 {people} 位群众。"
PREVIEW_CORRECT = (
    "第 {id} 组已经回答过（{questions} 问）。这次不会改掉原来的回答，而是作为一条新的"
    "【更正】消息发给 {people} 位群众；原来的回答留在记录里。"
)
PREVIEW_EARLIER = "原来的回答：{answer}"
PREVIEW_IGNORE = "第 {id} 组共 {questions} 问，确认后忽略，不给群众发消息。"
PREVIEW_QUESTIONS = "群众问的（个人号码已遮挡）："
PREVIEW_QUESTION = "· 「{text}」"
PREVIEW_MESSAGE = "—— 第 {n} 位群众会收到 ——\n{text}"
PREVIEW_SILENT = "另有 {count} 问不用发消息（控制台上问的，或同一位群众又问了一次）。"
PREVIEW_NOBODY = "这一组没有能收到消息的群众（都是控制台上问的，或聊天已过期）。"
PREVIEW_MORE = "……还有 {more} 条"
# A slip: `--answer y`, or 「好」 typed where the answer should be, would reach every villager.
ANSWER_SLIP = "回答只有「{answer}」，像是误输入，没有发送。请写上完整的回答。"
CONFIRM_SEND = "确认发送吗？输入 y 发送，直接回车取消 [y/N] "
CONFIRM_IGNORE = "确认忽略吗？输入 y 忽略，直接回车取消 [y/N] "
CONFIRM_CANCELLED = "已取消，什么也没有发送。"
CONFIRM_NO_TERMINAL = (
    "没有发送：要在终端里看过预览再确认；脚本里请加 --yes"
    "（not sent: confirm on a terminal, or pass --yes）"
)
IGNORE_NOT_OPEN = (
    "问题 {id} 不在待回答的队列里（已经回答或忽略过，或者没有这个编号），什么也没有改。"
    "请用 policybot log unanswered 查看编号（question {id} is not open in the unanswered queue）"
)
CONFIRM_IGNORE_CANCELLED = "已取消，没有忽略任何问题。"
CONFIRM_IGNORE_NO_TERMINAL = (
    "没有忽略：要在终端里看过上面的问题再确认；脚本里请加 --yes"
    "（not ignored: confirm on a terminal, or pass --yes）"
)
CONFIRM_IGNORE_CHANGED = (
    "第 {id} 组在您确认之前有了变化（有新问题，或已被别人处理），没有忽略。请重新运行看看。"
)
CONFIRM_CHANGED = (
    "第 {id} 组在您确认之前有了变化（有新问题，或已被别人处理），没有发送。请重新预览。"
)
# `log resolve` when Telegram answers 401: the answer is stored, its messages stay pending.
TOKEN_REJECTED = (
    "Telegram 拒绝了机器人令牌（TELEGRAM_BOT_TOKEN），{pending} 位群众的消息没有发出。"
    "回答已经保存，令牌改对后正在运行的机器人会补发。请用 @BotFather 核对令牌"
    "（the token was rejected: {pending} message(s) not sent, kept for the running bot）"
)
CONFIRM_BUTTON = "确认发送"
CONFIRM_IGNORE_BUTTON = "确认忽略"
CANCEL_BUTTON = "取消"
CONFIRM_STALE = (
    "这个确认按钮已经失效了（已经用过、超时或不是您的），什么也没有发送。请重新发命令。"
)
STAFF_CANCELLED = "已取消，什么也没有发送。"
STAFF_REPORT_MISSING = "这台服务器没有装画报表图片的组件（policybot[report]），请联系管理员安装。"
STAFF_REPORT_CAPTION = "近 {days} 天的问答报表"
STAFF_EXPORT_CAPTION = "问答记录（{count} 问，北京时间），用 Excel 打开。"
STAFF_EXPORT_EMPTY = "还没有问答记录，没有可导出的。"

# `policybot kb init DIR`, for editors (the English half of each line is in bot/cli.py)
KB_INIT_EXISTS = "{path} 已经存在，不会覆盖它；没有复制任何文件。"
KB_INIT_UNWRITABLE = "无法写入 {path}；没有复制任何文件。"
KB_INIT_DONE = "已复制知识库。编辑后设置 POLICYBOT_KB={path}，再运行 policybot kb check 检查。"
# `policybot kb check`'s last line, and the line after the problems when chat or serve refuse
# to start (the English half of each is in bot/cli.py; scripts/wheel-smoke reads "ok")
KB_CHECK_ERRORS = "有 {count} 个错误：请按上面各行改好，再运行 policybot kb check"
KB_CHECK_OK = "没有问题：共 {entries} 条、{questions} 句例句"
# `policybot kb eval`: one line per question the bot did not answer right, for editors
KB_EVAL_MISS = {
    "clarify": "没直接答（让群众选，选项里有对的）：问题「{q}」应为 {expected}，给的选项 {got}",
    "clarify-none": (
        "没答对（让群众选，选项里没有对的）：问题「{q}」应为 {expected}，给的选项 {got}"
    ),
    "answer": "答错了：问题「{q}」应为 {expected}，实际答了 {got}",
    "unknown": "没答上（说不知道）：问题「{q}」应为 {expected}，最接近的 {got}",
    "oos-answered": "不该答却答了：问题「{q}」不归知识库管，实际答了 {got}",
}
KB_EVAL_NOTHING = "（没有）"
KB_EVAL_SUMMARY = (
    "共 {in_scope} 个该答的问题、{out_of_scope} 个不该答的：答对 {correct:.1f}%，"
    "答对或选项里有对的 {helpful:.1f}%，答错 {wrong:.1f}%，不该答却答了 {oos_false:.1f}%"
)
KB_HAS_ERRORS = "知识库有错误，没有启动：请运行 policybot kb check 查看并改正"

# The workbench (`policybot web`): notices and errors; the pages' own words are in
# bot/web/templates/.
WEB_BAD_CSRF = "这个表单已经过期或不是从本页提交的。请回到上一页，刷新后再提交一次。"
WEB_LOGIN_FIRST = "请先登录。"
WEB_NOT_FOUND = "没有这个页面。"
WEB_TOO_LARGE = "提交的内容太长了。"
WEB_BAD = "这个请求不对，请回到上一页再试。"
WEB_LOCKED = "登录失败次数太多，请 15 分钟后再试。"
WEB_BAD_LOGIN = "用户名或密码不对。"
WEB_NO_GROUP = "没有找到待回答的第 {id} 组，可能已经有人处理了。"
WEB_EMPTY_ANSWER = "回答是空的，请写上回答。"
WEB_LONG_ANSWER = "回答太长了，请压到 {limit} 字以内。"
WEB_GROUP_CHANGED = (
    "这一组在您预览之后有了变化（有新问题，或已被别人处理）。请再看一遍下面的预览。"
)
WEB_SENT = (
    "第 {id} 组已回答（{questions} 问）：已发给 {sent} 位群众，{failed} 位收不到，"
    "{pending} 位由机器人稍后发送。"
)
WEB_IGNORED = "第 {id} 组已忽略（{questions} 问）。"
WEB_IGNORE_CHANGED = "第 {id} 组在您看过之后有了变化，没有忽略。请看看下面现在的样子。"
WEB_NO_ANSWERED = "没有找到已回答的第 {id} 组，可能刚被更正过，请看下面的列表。"
WEB_GROUP_CHANGED_BACK = "这一组在您预览之后有了变化，没有发送。请在下面重新写更正。"
WEB_CORRECTED = (
    "第 {id} 组的更正已保存（{questions} 问）：已发给 {sent} 位群众，{failed} 位收不到，"
    "{pending} 位由机器人稍后发送。"
)

# 问答记录 and its export (CSV and .xlsx): column headers and the names of stored codes.
RECORD_HEADERS = (
    "编号",
    "提问时间（北京时间）",
    "渠道",
    "问题",
    "结果",
    "回答的条目",
    "条目标题",
    "得分",
    "待回答状态",
    "工作人员的回答",
    "送达",
    "有用",
    "没用",
)
OUTCOME_NAMES = {
    "answer": "答上",
    "clarify": "让选",
    "unknown": "没答上",
    "empty": "空消息",
    "tap": "点按钮",
}
QUEUE_NAMES = {"open": "待回答", "resolved": "已回答", "ignored": "已忽略"}
DELIVERY_NAMES = {"pending": "待发送", "sent": "已送达", "failed": "收不到", "skipped": "不用发"}
CHANNEL_NAMES = {"telegram": "Telegram", "console": "控制台"}
WEB_BAD_DATE = "日期要写成 2026-11-01 这样，写错的那个没有用上。"
WEB_KB_SAVED = "「{title}」已保存。正在运行的机器人几秒钟内会换上新的知识库。"

# The workbench's 知识库 page (bot/review/kbedit.py): why an edit was not saved.
KB_EDIT_NO_LINE = "文件里没有找到「- id: {id}」这一行，请直接改文件。"
KB_EDIT_UNUSUAL = "这一条里有注释或不常见的写法，网页改不了，请直接改文件。"
KB_EDIT_CHANGED = "知识库文件在您打开这一页之后被改过了，没有保存。请重新打开这一条再改。"
KB_EDIT_PROBLEMS = "没有保存，知识库检查发现这些问题：\n{problems}"
KB_EDIT_MISMATCH = "没有保存：写进文件的内容和填写的不一致，请直接改文件。"
KB_EDIT_NO_ENTRY = "知识库里没有「{id}」这一条，或者文件现在有错误，请先用 policybot kb check 查。"
KB_EDIT_UNPRINTABLE = (
    "没有保存：填写的内容里有看不见的控制字符（多半是从别处复制时带进来的），"
    "请删掉重新输入那几个字再保存。"
)
KB_EDIT_TOO_LONG = "没有保存：「{field}」写得太长了（超过 {limit} 个字），请删短一些再保存。"
KB_EDIT_NOT_LAST = "文件里 entries: 不是最后一部分，网页没法加新条目，请直接改文件。"
WEB_KB_ADDED = "新条目「{title}」已加进知识库。正在运行的机器人几秒钟内会换上新的知识库。"
WEB_KB_BAD_ID = "编号只能用小写英文字母、数字和下划线，写成「分类.名字」，例如 social.winter_aid。"
