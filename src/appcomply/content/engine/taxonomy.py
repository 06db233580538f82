"""The content taxonomy of regulation §2.9 (ECO Art 6 illegal ×11, Art 7 bad ×9) plus platform categories."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Category(StrEnum):
    """What a term or detector hit is about; values are stable storage keys."""

    # ECO Art 6 — illegal information
    AGAINST_CONSTITUTION = "against_constitution"
    NATIONAL_SECURITY = "national_security"
    NATIONAL_HONOUR = "national_honour"
    HEROES_MARTYRS = "heroes_martyrs"
    TERRORISM_EXTREMISM = "terrorism_extremism"
    ETHNIC_HATRED = "ethnic_hatred"
    RELIGION_CULTS_SUPERSTITION = "religion_cults_superstition"
    RUMOURS = "rumours"
    OBSCENITY_GAMBLING_VIOLENCE = "obscenity_gambling_violence"
    INSULT_DEFAMATION = "insult_defamation"
    ILLEGAL_OTHER = "illegal_other"
    # ECO Art 7 — bad information
    CLICKBAIT_TITLE = "clickbait_title"
    SCANDAL_GOSSIP = "scandal_gossip"
    DISASTER_IMPROPER_COMMENT = "disaster_improper_comment"
    SEXUAL_INNUENDO = "sexual_innuendo"
    GORE_HORROR = "gore_horror"
    GROUP_DISCRIMINATION = "group_discrimination"
    VULGAR = "vulgar"
    MINORS_IMITATION = "minors_imitation"
    BAD_OTHER = "bad_other"
    # platform categories
    MINORS_HARMFUL = "minors_harmful"
    ADVERTISING = "advertising"
    CONTACT = "contact"
    FRAUD = "fraud"
    CUSTOM = "custom"

    @property
    def zh(self) -> str:
        return CATEGORY_LABELS[self][0]

    @property
    def en(self) -> str:
        return CATEGORY_LABELS[self][1]

    @property
    def illegal(self) -> bool:
        """True for the eleven ECO Art 6 categories."""
        return self in _ILLEGAL


class Level(StrEnum):
    """What a hit of a term asks for: `block` outright or human `review`."""

    BLOCK = "block"
    REVIEW = "review"


class Verdict(StrEnum):
    """Outcome of screening one text: block if any block-level hit, else review if any hit, else pass."""

    PASS_ = "pass"  # noqa: S105 - a verdict, not a password
    REVIEW = "review"
    BLOCK = "block"


CATEGORY_LABELS: Final[dict[Category, tuple[str, str]]] = {
    Category.AGAINST_CONSTITUTION: ("反对宪法确定的基本原则", "Against the Constitution's basic principles"),
    Category.NATIONAL_SECURITY: ("危害国家安全、颠覆国家政权", "Endangering national security or state power"),
    Category.NATIONAL_HONOUR: ("损害国家荣誉和利益", "Harming national honour and interests"),
    Category.HEROES_MARTYRS: ("歪曲、丑化、诋毁英雄烈士", "Defaming heroes and martyrs"),
    Category.TERRORISM_EXTREMISM: ("宣扬恐怖主义、极端主义", "Terrorism or extremism"),
    Category.ETHNIC_HATRED: ("煽动民族仇恨、民族歧视", "Inciting ethnic hatred or discrimination"),
    Category.RELIGION_CULTS_SUPERSTITION: ("破坏宗教政策，宣扬邪教和封建迷信", "Cults or feudal superstition"),
    Category.RUMOURS: ("散布谣言，扰乱经济秩序和社会秩序", "Rumours disturbing economic or social order"),
    Category.OBSCENITY_GAMBLING_VIOLENCE: (
        "散布淫秽、色情、赌博、暴力、凶杀、恐怖或者教唆犯罪",
        "Obscenity, pornography, gambling, violence or instigating crime",
    ),
    Category.INSULT_DEFAMATION: ("侮辱或者诽谤他人，侵害他人合法权益", "Insult or defamation of others"),
    Category.ILLEGAL_OTHER: ("法律、行政法规禁止的其他内容", "Other content prohibited by law"),
    Category.CLICKBAIT_TITLE: ("使用夸张标题，内容与标题严重不符", "Exaggerated titles at odds with the content"),
    Category.SCANDAL_GOSSIP: ("炒作绯闻、丑闻、劣迹等", "Hyping scandals, gossip or misdeeds"),
    Category.DISASTER_IMPROPER_COMMENT: ("不当评述自然灾害、重大事故等灾难", "Improper comment on disasters"),
    Category.SEXUAL_INNUENDO: ("带有性暗示、性挑逗等易使人产生性联想", "Sexual innuendo or provocation"),
    Category.GORE_HORROR: ("展现血腥、惊悚、残忍等致人身心不适", "Gore, horror or cruelty"),
    Category.GROUP_DISCRIMINATION: ("煽动人群歧视、地域歧视等", "Inciting group or regional discrimination"),
    Category.VULGAR: ("宣扬低俗、庸俗、媚俗内容", "Vulgar, kitsch or pandering content"),
    Category.MINORS_IMITATION: ("可能引发未成年人模仿不安全行为", "May lead minors to imitate unsafe acts"),
    Category.BAD_OTHER: ("其他对网络生态造成不良影响的内容", "Other content harming the online ecosystem"),
    Category.MINORS_HARMFUL: ("危害未成年人身心健康", "Harmful to minors"),
    Category.ADVERTISING: ("广告、导流", "Advertising or traffic diversion"),
    Category.CONTACT: ("联系方式", "Contact details"),
    Category.FRAUD: ("诈骗", "Fraud"),
    Category.CUSTOM: ("自定义", "Custom"),
}

_ILLEGAL: Final = frozenset(list(Category)[:11])
