"""Text for a terminal: values written by anyone with access to a cluster (names, tags, API messages)
must not drive the user's terminal (``ESC[2J``, ``ESC]0;title BEL``) or split a line.

:func:`printable` shows every control character escaped (``\\x1b``, ``\\n``, ``\\u202e``): C0 and C1
controls, DEL, and the Unicode line/paragraph separators and bidirectional overrides that can make text
read differently from what it is. Everything the CLI prints or logs passes through it.
"""

from __future__ import annotations

import logging
import re

#: Control characters other than the newline: C0 (but \n), DEL, C1, line/paragraph separators,
#: bidirectional marks, embeddings, overrides and isolates.
_OTHER_CONTROLS = "\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE = re.compile(f"[\n{_OTHER_CONTROLS}]")
_UNPRINTABLE_BUT_NEWLINE = re.compile(f"[{_OTHER_CONTROLS}]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control characters escaped; ``keep_newlines`` leaves ``\\n`` as a line break."""
    pattern = _UNPRINTABLE_BUT_NEWLINE if keep_newlines else _UNPRINTABLE
    return pattern.sub(_escape, text) if pattern.search(text) else text


class PrintableFormatter(logging.Formatter):
    """A log formatter whose lines are :func:`printable` (one record, one line)."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))
