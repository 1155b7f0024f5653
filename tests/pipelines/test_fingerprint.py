"""The one hash recipe: invisible characters CMS editors and Word pastes leave behind change nothing."""

from __future__ import annotations

from pipelines.text.fingerprint import fingerprint, hash_form, tidy
from tests.support import CORPUS

# The first paragraphs of the real Pingtan 2023 report, as its archive's page.txt has them (third-party text).
GOLD = (CORPUS / "realpages" / "fj_pingtan_zfxxgknb_2023_annual_report_detail_trs.gold.txt").read_text(
    encoding="utf-8").split("==================== 正文 ====================", 1)[1].strip()
# zero-width space, zero-width non-joiner/joiner, BOM, soft hyphen, word joiner, LRM, variation selector 16
INVISIBLE = "\u200b\u200c\u200d\ufeff\u00ad\u2060\u200e\ufe0f"


def sprinkle(text: str) -> str:
    return "\ufeff" + "".join(c + INVISIBLE[i % len(INVISIBLE)] if i % 11 == 3 else c for i, c in enumerate(text))


def test_invisible_characters_do_not_change_the_hash() -> None:
    copy = sprinkle(GOLD)
    assert copy != GOLD and len(copy) > len(GOLD) + 100
    assert hash_form(copy) == hash_form(GOLD)
    assert fingerprint(copy) == fingerprint(GOLD)


def test_invisible_characters_are_not_stored() -> None:
    assert tidy(sprinkle(GOLD)) == tidy(GOLD)
    assert not set(INVISIBLE) & set(tidy(sprinkle(GOLD)))
