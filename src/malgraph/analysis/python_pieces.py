"""A Python file parsed in pieces for the code scan: the top-level stretches holding a line with
a trigger word become `ast` trees; the others are only checked by the parser, and stand in the
module's body as one Unparsed statement each, parsed if an alias found later makes them live.

Why it gives the tree the scan would walk: a piece starts on a line at column 0 with a name or a
decorator (not `else`, `elif`, `except`, `finally`), and the first piece at the file's start. A
piece that parses alone ends with every bracket, string and continuation closed (the parser
fails at the end of the text otherwise), so the tokens of the next piece are those of the whole
file from there, and its statements end where the piece does: a statement goes on past its last
line only into one of the four keywords above, which no piece starts with. So, piece by piece,
the body of the whole file is the pieces' bodies in order, and each piece parsed below as many
blank lines as come before it has the whole file's line and column numbers. A piece that fails
alone is joined to the next (a candidate start inside a string or brackets); anything else that
fails, or a future import that changes the grammar of later pieces, sends the whole file to
`ast.parse` as before, so its errors and fallbacks are what they were."""

from __future__ import annotations

import ast
import re
from collections.abc import Set
from dataclasses import dataclass

from malgraph.analysis.scanning import parse_python_ast, python_syntax_holds

# Where a top-level statement may start (a candidate: strings and brackets can hold such lines).
_START = re.compile(r"^(?=[A-Za-z_@])(?!(?:else|elif|except|finally)\b)", re.MULTILINE)
# A piece that fails alone is joined to the next at most this many times before the whole file
# is parsed instead (a symtable error of a piece that the joins would carry to the end).
_MAX_JOINS = 8
# More pieces than this and the file is parsed whole: each live piece is parsed below as many
# blank lines as come before it, so a file cut at every other line would cost the square of
# its length.
_MAX_PIECES = 100


class Unparsed(ast.stmt):
    """Top-level statements, from line `lineno` to `end_lineno`, checked by the parser and not
    turned into a tree; `parse` gives them as the whole file's tree has them."""

    _fields = ()

    def __init__(self, text: str, lineno: int, end_lineno: int) -> None:
        super().__init__()
        self.text = text
        self.lineno = lineno
        self.end_lineno = end_lineno

    def parse(self, filename: str) -> ast.Module:
        return parse_python_ast("\n" * (self.lineno - 1) + self.text, filename)


@dataclass(slots=True)
class _Piece:
    """text[start:end], from line `lineno` to `end_lineno`; live if one of them has a hit."""

    lineno: int
    end_lineno: int
    start: int
    end: int
    live: bool


def parse_in_pieces(text: str, filename: str, hits: Set[int]) -> ast.Module | None:
    """The module the scan walks, with an Unparsed in place of each stretch of top-level
    statements on no line of `hits`; None when the file is to be parsed whole (no such stretch,
    or a piece that could not be told apart)."""
    if "barry_as_FLUFL" in text:  # the one future import that changes how later lines parse
        return None
    pieces = _pieces(text, hits)
    if len(pieces) > _MAX_PIECES or all(piece.live for piece in pieces):
        return None
    body: list[ast.stmt] = []
    try:
        at = 0
        while at < len(pieces):
            piece, joins = pieces[at], 0
            while not _read(text, piece, filename, body):
                at += 1
                joins += 1
                if at == len(pieces) or joins > _MAX_JOINS:
                    return None
                more = pieces[at]
                live = piece.live or more.live
                piece = _Piece(piece.lineno, more.end_lineno, piece.start, more.end, live)
            at += 1
    except (ValueError, RecursionError, MemoryError):  # null bytes, deep nesting: as a whole
        return None
    return ast.Module(body=body, type_ignores=[])


def _read(text: str, piece: _Piece, filename: str, body: list[ast.stmt]) -> bool:
    """Whether the piece parses alone; its statements (or its Unparsed) go into `body`."""
    own = text[piece.start : piece.end]
    if not piece.live:  # (blank lines before it would change no answer of the check)
        if not python_syntax_holds(own, filename):
            return False
        body.append(Unparsed(own, piece.lineno, piece.end_lineno))
        return True
    try:
        body += parse_python_ast("\n" * (piece.lineno - 1) + own, filename).body
    except SyntaxError:
        return False
    return True


def _pieces(text: str, hits: Set[int]) -> list[_Piece]:
    """The text cut at the candidate starts where a stretch of lines with no hit begins or
    ends: live stretches (holding a hit line) and dead ones alternate. A start right after a
    decorator's line is no place to cut."""
    pieces: list[_Piece] = []
    line, last = 1, 0
    for match in _START.finditer(text):
        start = match.start()
        if start == 0 or text.startswith("@", text.rfind("\n", 0, start - 1) + 1):
            continue
        lines = text.count("\n", last, start)
        _add(pieces, _Piece(line, line + lines - 1, last, start, False), hits)
        line, last = line + lines, start
    end_line = line + text.count("\n", last, len(text) - 1)
    _add(pieces, _Piece(line, end_line, last, len(text), False), hits)
    return pieces


def _add(pieces: list[_Piece], piece: _Piece, hits: Set[int]) -> None:
    """Appends a piece, or grows the last one when both are live or both dead."""
    piece.live = any(number in hits for number in range(piece.lineno, piece.end_lineno + 1))
    if pieces and pieces[-1].live == piece.live:
        pieces[-1].end, pieces[-1].end_lineno = piece.end, piece.end_lineno
    else:
        pieces.append(piece)
