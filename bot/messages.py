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
USEFUL = "👍有用"
NOT_USEFUL = "👎没用"
FEEDBACK_THANKS = "谢谢您的反馈！"
FEEDBACK_SORRY = "谢谢您告诉我们，工作人员会改进这条回答。具体情况也可以问帮扶责任人。"
BACK = "⬅ 返回"
MENU_BUTTON = "📋 分类菜单"
RELATED_PREFIX = "相关："
NON_TEXT = "我只能看懂文字。请把问题打成字发给我，或者点 /menu 按分类找。"
STALE_BUTTON = "这个按钮已经失效了，请重新打字问，或者点 /menu。"
ERROR = "抱歉，刚才出了点问题，请过一会儿再试。"
SLOW_DOWN = "您发得太快了，请歇一会儿再问，我一条一条回答。"
ADMIN_ONLY = "抱歉，这个功能只对工作人员开放。"
EDITOR_REPLY = "您之前问过：「{question}」\n工作人员的回答：{answer}"
CONSOLE_CHOICE_HINT = "（回复数字选择）"
RELOAD_OK = "知识库已重新加载，共 {entries} 条。"
RELOAD_FAILED = "知识库有错误，没有换上，仍在用原来的版本。请改好这些地方再 /reload：\n{problems}"
