"""The data contract's tables and constants, importable without pandas (the command line's fast path)."""
from __future__ import annotations

__all__ = ["ABSURD_AMOUNT", "ATTRIBUTE_TABLES", "BENEFIT_DIMENSIONS", "CHANNEL_ALIASES", "CONTACT_CHANNELS",
           "DIMENSION_ALIASES", "EVENT_KINDS", "TABLES", "attribute_columns", "looks_binary"]

TABLES: dict[str, dict[str, list[str]]] = {
    "transactions": {
        "required": ["customer_id", "timestamp", "amount"],
        "optional": ["order_id", "category", "brand", "channel", "store"],
    },
    "members": {
        "required": ["customer_id", "joined_at"],
        "optional": ["tier", "fee", "ended_at"],
    },
    # referred_id: on a referral row, the customer id of the new customer the referral brought (a
    # referral code, an invite link, a "who recommended you" field); read by the id rules
    "events": {
        "required": ["customer_id", "timestamp", "kind"],
        "optional": ["channel", "referred_id"],
    },
    "cohorts": {
        "required": ["cohort", "period", "active"],
        "optional": [],
    },
    "benefits": {
        "required": ["benefit_id", "name", "dimension", "cost_per_member", "cost_share_of_spend",
                     "perceived_value"],
        "optional": ["min_tier", "name_zh", "uptake", "uses_per_year"],
    },
    # a choice-based conjoint survey: one row per alternative shown; every other column is an
    # attribute of the alternative (a benefit id, 1 when the offer holds it)
    "choices": {
        "required": ["respondent", "task", "alternative", "chosen", "price"],
        "optional": ["none"],
    },
    # one row per contact of a customer through a channel (a message, a call, an ad shown to them):
    # the input of measuring each channel's conversion to member
    "contacts": {
        "required": ["customer_id", "timestamp", "channel"],
        "optional": ["cost", "campaign"],
    },
}
# tables whose columns beyond the listed ones are kept (as attributes) instead of dropped
ATTRIBUTE_TABLES = ("choices",)
# The six benefit dimensions of the method (key -> English, Chinese).
BENEFIT_DIMENSIONS = {
    "exclusive_price": ("exclusive price", "独家价格"),
    "discount": ("discounts", "优惠折扣"),
    "exclusive_product": ("exclusive products", "独家产品"),
    "service": ("preferential services", "优惠服务"),
    "spend_discount": ("spend-based discounts", "消费折扣"),
    "customised": ("customised offers", "定制优惠"),
}
# What a catalog may write for a dimension: the key, its English or Chinese name, a few variants.
DIMENSION_ALIASES = {
    **{k: k for k in BENEFIT_DIMENSIONS},
    **{en: k for k, (en, _) in BENEFIT_DIMENSIONS.items()},
    **{zh: k for k, (_, zh) in BENEFIT_DIMENSIONS.items()},
    "price": "exclusive_price", "member price": "exclusive_price", "会员价": "exclusive_price",
    "discounts": "discount", "优惠": "discount", "折扣": "discount",
    "product": "exclusive_product", "products": "exclusive_product",
    "services": "service", "服务": "service",
    "rebate": "spend_discount", "rebates": "spend_discount", "points": "spend_discount", "积分": "spend_discount",
    "customized": "customised", "custom": "customised", "定制": "customised",
}
# The channels through which the method reaches customers (key -> English, Chinese, the method's
# channel number 1..7); its fifth channel is split in two routes whose rules and costs differ.
CONTACT_CHANNELS = {
    "own_media": ("own media accounts", "自有新媒体", 1),
    "online_shops": ("online shops", "线上店铺", 2),
    "app": ("own app and mini-program", "自有App与小程序", 3),
    "stores": ("offline stores", "线下门店", 4),
    "phone": ("phone", "电话", 5),
    "sms_email": ("SMS / e-mail", "短信/邮件", 5),
    "alliances": ("cross-industry alliances", "异业联盟", 6),
    "paid_ads": ("paid advertising", "付费广告", 7),
}
# What a contacts table may write for a channel: the key, its English or Chinese name, a few variants
# (compared in lower case with runs of spaces, underscores and hyphens read as one space).
CHANNEL_ALIASES = {
    **{k: k for k in CONTACT_CHANNELS},
    **{en: k for k, (en, _, _) in CONTACT_CHANNELS.items()},
    **{zh: k for k, (_, zh, _) in CONTACT_CHANNELS.items()},
    "new media": "own_media", "social media": "own_media", "social": "own_media",
    "wechat": "own_media", "weixin": "own_media", "official account": "own_media", "weibo": "own_media",
    "douyin": "own_media", "xiaohongshu": "own_media", "微信": "own_media", "公众号": "own_media",
    "企业微信": "own_media", "微博": "own_media", "抖音": "own_media", "小红书": "own_media", "新媒体": "own_media",
    "online shop": "online_shops", "e-commerce": "online_shops", "ecommerce": "online_shops",
    "tmall": "online_shops", "taobao": "online_shops", "jd": "online_shops", "jd.com": "online_shops",
    "pinduoduo": "online_shops", "天猫": "online_shops", "淘宝": "online_shops", "京东": "online_shops",
    "拼多多": "online_shops", "电商": "online_shops", "网店": "online_shops",
    "own app": "app", "app push": "app", "push": "app", "mini program": "app",
    "miniprogram": "app", "小程序": "app", "app推送": "app",
    "store": "stores", "offline store": "stores", "in store": "stores",
    "门店": "stores", "线下": "stores", "店员": "stores",
    "call": "phone", "calls": "phone", "phone call": "phone", "telephone": "phone", "telemarketing": "phone",
    "电话营销": "phone", "外呼": "phone",
    "sms": "sms_email", "text": "sms_email", "text message": "sms_email", "email": "sms_email",
    "e-mail": "sms_email", "edm": "sms_email", "sms/email": "sms_email",
    "短信": "sms_email", "邮件": "sms_email", "电子邮件": "sms_email",
    "alliance": "alliances", "partner": "alliances", "partners": "alliances", "partnership": "alliances",
    "co-branding": "alliances", "异业合作": "alliances", "联名": "alliances",
    "ads": "paid_ads", "ad": "paid_ads", "advertising": "paid_ads",
    "paid media": "paid_ads", "广告": "paid_ads", "投放": "paid_ads", "信息流": "paid_ads",
}
EVENT_KINDS = ("feedback", "share", "referral", "review", "complaint")
# An amount this large on one transaction is almost surely a unit or parsing error (cents, ids).
ABSURD_AMOUNT = 1e9


def attribute_columns(columns, table: str = "choices") -> list[str]:
    """The attribute columns of an attribute table (for ``choices``: the benefits shown), in order."""
    listed = set(TABLES[table]["required"]) | set(TABLES[table]["optional"])
    return [str(c) for c in columns if c not in listed]


def looks_binary(head: bytes) -> bool:
    """True for bytes that are not CSV text (NULs, zip/xls signatures, many control bytes)."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    if head[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):  # xlsx (zip) / xls (OLE)
        return True
    text_chars = bytes(range(32, 127)) + b"\n\r\t\f\b"
    nontext = sum(1 for b in head if b not in text_chars and b < 128)
    return nontext / len(head) > 0.1
