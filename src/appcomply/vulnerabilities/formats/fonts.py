"""Finding a font that can set the Chinese authority report: the configured file, else the usual places of the
Debian, Red Hat and macOS CJK font packages, else what fontconfig offers for Chinese. A candidate counts only if
it really has the report's Chinese glyphs (fontconfig answers with DejaVu when no Chinese font is installed)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fontTools.ttLib import TTCollection, TTFont, TTLibError

from appcomply.vulnerabilities.errors import ReportFontUnavailable

# Where the packaged CJK fonts land. A collection (.ttc) is searched for its first member with the glyphs.
KNOWN_FONTS: Final[tuple[str, ...]] = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian/Ubuntu fonts-wqy-zenhei
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",  # Fedora/RHEL wqy-zenhei-fonts
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "/usr/share/fonts/truetype/arphic/ukai.ttc",  # fonts-arphic-ukai
    "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",  # fonts-arphic-gbsn00lp
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora google-noto-sans-cjk-fonts
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
    "/System/Library/Fonts/Supplemental/Songti.ttc",  # macOS
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)
# Characters every report prints: a font without them would set the headings as empty boxes.
SAMPLE: Final = "网络产品安全漏洞报告名称型号版本技术特点危害影响范围修复措施待补充"
INSTALL_HINT: Final = (
    "install a Chinese font (Debian/Ubuntu: apt-get install fonts-wqy-zenhei; RHEL/Fedora: dnf install "
    "wqy-zenhei-fonts) or set APPCOMPLY_VULNERABILITIES__REPORT_FONT to a .ttf/.otf/.ttc file with Chinese glyphs"
)


@dataclass(frozen=True, slots=True)
class CjkFont:
    """A font file and, for a collection, the number of its member that has the Chinese glyphs."""

    path: Path
    collection_index: int = 0


def find_cjk_font(
    configured: str | None, *, candidates: tuple[str, ...] = KNOWN_FONTS, fc_match: str | None = "fc-match"
) -> CjkFont:
    """The font for the report. A configured path must exist and have the glyphs (no silent fallback from an
    operator's explicit choice); otherwise the first usable candidate, then fontconfig's answer for zh-CN
    (`fc_match=None` skips it). ReportFontUnavailable, telling the operator what to install or set."""
    if configured:
        found = _usable(configured)
        if found is None:
            raise ReportFontUnavailable(
                f"vulnerabilities.report_font {configured!r} is not a readable font with Chinese glyphs; "
                + INSTALL_HINT,
                font=configured,
            )
        return found
    for path in (*candidates, *_fontconfig(fc_match)):
        found = _usable(path)
        if found is not None:
            return found
    raise ReportFontUnavailable("no font with Chinese glyphs was found on this machine; " + INSTALL_HINT)


def _fontconfig(executable: str | None) -> tuple[str, ...]:
    command = shutil.which(executable) if executable else None
    if command is None:
        return ()
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, the executable resolved on PATH
            [command, "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    return (done.stdout.strip(),) if done.returncode == 0 and done.stdout.strip() else ()


# Fonts found usable, by path: reading the character map of a 16 MB collection costs about 0.1 s, for every
# report. Only finds are kept, so a font installed while the server runs is found by the next report.
_FOUND: dict[str, CjkFont] = {}


def _usable(path: str) -> CjkFont | None:
    file = Path(path)
    if not file.is_file():
        return None
    if path in _FOUND:
        return _FOUND[path]
    found = _inspect(file)
    if found is not None:
        _FOUND[path] = found
    return found


def _inspect(file: Path) -> CjkFont | None:
    # Lazy: only the character maps are read, from a handle of ours, closed even when the file is no font.
    try:
        with file.open("rb") as handle:
            if file.suffix.lower() in (".ttc", ".otc"):
                return _covering(file, list(TTCollection(handle, lazy=True).fonts))
            return _covering(file, [TTFont(handle, lazy=True)])
    except (TTLibError, OSError, ValueError, AssertionError, KeyError, struct.error):
        return None


def _covering(file: Path, fonts: list[TTFont]) -> CjkFont | None:
    for index, font in enumerate(fonts):
        cmap = font.getBestCmap() or {}
        if all(ord(char) in cmap for char in SAMPLE):
            return CjkFont(path=file, collection_index=index)
    return None
