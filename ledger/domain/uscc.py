"""The unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (digits and capitals without I, O, Z, S,
V): position 1 the registering department (5 = civil affairs, 9 = market regulation, ...),
2 the kind of organisation, 3-8 the registering authority's administrative division code,
9-17 the organisation's identifier, 18 a check character. Each character stands for its index
in the alphabet; with weights ``3**i mod 31`` (1, 3, 9, 27, 19, 26, ...) the check character is
``(31 - sum(value * weight) mod 31) mod 31``.
"""

from __future__ import annotations

import operator

from ledger.domain.codes import USCC_INVALID
from ledger.errors import LedgerError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ALPHABET_SET = frozenset(ALPHABET)


def check_character(prefix: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(prefix) != 17 or not _ALPHABET_SET.issuperset(prefix):
        raise LedgerError(
            USCC_INVALID,
            code=prefix,
            detail=f"the first 17 characters must come from {ALPHABET}",
            detail_zh=f"前 17 位只能使用 {ALPHABET} 中的字符",
        )
    total = sum(map(operator.mul, map(_VALUE.__getitem__, prefix), WEIGHTS))  # both 17 long (checked above)
    return ALPHABET[(31 - total % 31) % 31]


def check_uscc(code: object) -> str:
    """Return ``code`` if it is a well-formed code with the right check character."""
    if not isinstance(code, str):
        raise LedgerError(
            USCC_INVALID, code=code, detail="write it as a text of 18 characters", detail_zh="应为 18 位字符"
        )
    if len(code) != 18:
        raise LedgerError(
            USCC_INVALID,
            code=code[:40],
            detail=f"it has {len(code)} characters instead of 18",
            detail_zh=f"共 {len(code)} 位，应为 18 位",
        )
    bad = [] if _ALPHABET_SET.issuperset(code) else sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise LedgerError(
            USCC_INVALID,
            code=code,
            detail=f"it contains {''.join(bad)!r}; only digits and capitals other than I, O, Z, S, V are used",
            detail_zh=f"含有字符 {''.join(bad)!r}；只能使用数字和除 I、O、Z、S、V 外的大写字母",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise LedgerError(
            USCC_INVALID,
            code=code,
            detail=f"the check character is {code[17]!r} but should be {expected!r}; look for a typing error",
            detail_zh=f"校验位为 {code[17]!r}，应为 {expected!r}，请检查是否输入有误",
        )
    return code


def make_uscc(prefix: str) -> str:
    """Complete a 17-character prefix with its check character (demo data and tests)."""
    return prefix + check_character(prefix)
