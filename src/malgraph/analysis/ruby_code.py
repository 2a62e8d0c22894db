"""Ruby source: requires and sensitive calls, read with tree-sitter queries around trigger words.

Tree-sitter rather than regexes: Ruby's comments, heredocs, `%` literals and optional parentheses
make a regex see `system` in a comment or miss `exec cmd`; the tree gets them right, tolerates
broken files, and costs no new dependency."""

from __future__ import annotations

import re

import tree_sitter_ruby
from tree_sitter import Language, Node, Query

from malgraph.analysis.hints import Hints, HintScanner
from malgraph.analysis.scanning import (
    CodeScan,
    CodeText,
    Collector,
    credential_stores,
    first_error_line,
    merge_spans,
    over_budget_problem,
    parse,
    ranged_captures,
    startup_location,
)
from malgraph.core.kinds import FindingCategory, ImportKind

_LANGUAGE = Language(tree_sitter_ruby.language())
_QUERY = Query(
    _LANGUAGE,
    """
    (call method: (_)) @call
    (subshell) @subshell
    (scope_resolution) @scope
    ((constant) @constant
      (#any-of? @constant "ENV" "TCPSocket" "UDPSocket" "Socket" "RestClient" "Faraday" "HTTParty"))
    (string) @string
    """,
)
_WORDS = """require require_relative load system exec spawn popen Open3 PTY eval instance_eval
    class_eval module_eval Net URI open TCPSocket UDPSocket Socket RestClient Faraday HTTParty ENV
    Base64 pack unpack unpack1 Zlib File IO FileUtils Kernel Process""".split()  # noqa: SIM905
HINTS = HintScanner(_WORDS, "ascii", loose=("`", "%x"))

_KERNEL = (None, "Kernel")
_NAMES = frozenset({"constant", "identifier", "scope_resolution", "self"})
_PROCESS = {"Process.spawn", "Process.exec", "IO.popen", "PTY.spawn", "Kernel.spawn"}
_EVALS = {"instance_eval", "class_eval", "module_eval"}
_DECODERS = {f"Base64.{f}" for f in ("decode64", "strict_decode64", "urlsafe_decode64")} | {
    "Zlib.inflate",
    "Zlib.gunzip",
}
_SCOPES = {
    "Net::HTTP": FindingCategory.NETWORK,
    "Net::HTTPS": FindingCategory.NETWORK,
    "Net::FTP": FindingCategory.NETWORK,
    "Net::SMTP": FindingCategory.NETWORK,
    "Net::Telnet": FindingCategory.NETWORK,
    "Zlib::Inflate": FindingCategory.DECODE,
    "Zlib::GzipReader": FindingCategory.DECODE,
}
_WRITERS = {"File.write", "IO.write", "File.binwrite"} | {
    f"FileUtils.{f}" for f in ("cp", "copy", "mv", "move", "ln_s", "install")
}
_OPENERS = {"File.open", "File.new", "IO.open"}
# Every method name a rule below can match (`Open3.*` aside).
_METHODS = frozenset(
    {"require", "require_relative", "load", "system", "exec", "spawn", "eval", "open", "popen"}
    | {"pack", "unpack", "unpack1", "inflate", "gunzip"}
    | _EVALS
    | {name.rsplit(".", 1)[1] for name in _PROCESS | _DECODERS | _WRITERS | _OPENERS}
)
# unpack('m') / unpack1('m0') read base64, 'H*' and pack('H*') turn hex into bytes, 'u' is uuencode.
# pack('m') is left out on purpose: it *encodes* base64.
_UNPACK_FORMATS = re.compile(r"[mu]0?\*?|[Hh]\*?\d*")
_PACK_FORMATS = re.compile(r"[Hh]\*?\d*")


def scan_ruby(path: str, text: str, hints: Hints | None = None) -> CodeScan:
    """Imports and findings of one Ruby file (gemspec, Rakefile and Gemfile included).
    `hints`: HINTS.scan(text), if made already."""
    if hints is None:
        hints = HINTS.scan(text)
    source = hints.data
    spans = merge_spans([(start, end) for start, end, _word in hints.words] + list(hints.fragments))
    if not spans:
        return CodeScan((), (), ())
    tree = parse(_LANGUAGE, source)
    if tree is None:
        return CodeScan((), (), (over_budget_problem(path, "ruby", source),))
    scan = _Scan(path, text, source)
    captures = ranged_captures(_QUERY, tree.root_node, spans)
    for node in captures.get("call", []):
        scan.call(node)
    for node in captures.get("subshell", []):
        body = scan.src.head(node)
        scan.finding(FindingCategory.PROCESS, "%x" if body.startswith("%") else "backticks", node)
        location = startup_location(body)
        if location is not None:
            scan.finding(FindingCategory.STARTUP_WRITE, location, node)
    for node in captures.get("scope", []):
        parts = "".join(scan.src.text(node).split()).lstrip(":").split("::")
        category = _SCOPES.get("::".join(parts[:2]))
        if category is not None:
            scan.finding(category, "::".join(parts[:2]), node)
    for node in captures.get("constant", []):
        parent = node.parent
        if (
            parent is not None
            and parent.type == "scope_resolution"
            and parent.named_child_count > 1
        ):
            continue  # `Foo::Socket` is someone else's Socket
        name = scan.src.text(node)
        scan.finding(FindingCategory.ENV if name == "ENV" else FindingCategory.NETWORK, name, node)
    for node in captures.get("string", []):
        stores = credential_stores(scan.src.text(node))
        if stores and not scan.is_required(node):  # (second: parents cost a walk from the root)
            for store in stores:
                scan.finding(FindingCategory.CREDENTIALS, store, node)
    problems = []
    if tree.root_node.has_error:
        line = first_error_line(tree.root_node)
        where = f" at line {line}" if line is not None else ""
        problems.append(f"{path}: ruby syntax error{where}, read tolerantly")
    return scan.out.scan(problems)


def _literal(src: CodeText, node: Node | None) -> str | None:
    """A string literal's content, unless it interpolates."""
    if node is None or node.type != "string":
        return None
    if any(child.type == "interpolation" for child in node.named_children):
        return None
    return "".join(src.text(c) for c in node.named_children if c.type == "string_content")


class _Scan:
    def __init__(self, path: str, text: str, source: bytes) -> None:
        self.out = Collector(path, text)
        self.src = CodeText(source)

    def finding(self, category: FindingCategory, api: str, node: Node) -> None:
        self.out.finding(category, api, node.start_point.row + 1, node.start_point.column)

    def is_required(self, node: Node) -> bool:
        """`require 'wallet'` names a library, not a wallet file."""
        args = node.parent
        call = args.parent if args is not None else None
        if args is None or call is None or args.type != "argument_list" or call.type != "call":
            return False
        method = self.src.text(call.child_by_field_name("method"))
        return method in ("require", "require_relative", "load", "gem")

    def call(self, node: Node) -> None:
        method = self.src.text(node.child_by_field_name("method"))
        receiver_node = node.child_by_field_name("receiver")
        if method not in _METHODS and (
            receiver_node is None or self.src.text(receiver_node) != "Open3"
        ):
            return  # most calls: nothing below can match
        receiver = self._receiver(receiver_node)
        args_node = node.child_by_field_name("arguments")
        args = [a for a in args_node.named_children if a.type != "comment"] if args_node else []
        name = f"{receiver}.{method}" if receiver is not None else method
        first = _literal(self.src, args[0]) if args else None

        if receiver in _KERNEL and method in ("require", "require_relative", "load"):
            if first is not None:
                relative = method == "require_relative" or first.startswith(("./", "../"))
                self.out.import_(first, ImportKind(method), relative, node.start_point.row + 1)
            elif args and method != "require_relative":
                self.finding(FindingCategory.DYNAMIC_IMPORT, method, node)
            return
        category, name = _category(receiver, method, name, first)
        if category is not None:
            self.finding(category, name, node)
        writes = name in _WRITERS or category == FindingCategory.PROCESS
        if name in _OPENERS and len(args) > 1:
            mode = _literal(self.src, args[1])
            writes = mode is not None and any(c in mode for c in "wa+")
        if writes and args_node is not None:
            location = startup_location(self.src.head(args_node))
            if location is not None:
                self.finding(FindingCategory.STARTUP_WRITE, location, node)

    def _receiver(self, node: Node | None) -> str | None:
        """A call's receiver as a name (`IO`, `Net::HTTP`, `binding`), '?' for anything else."""
        if node is None:
            return None
        # Only names matter; reading long receivers, such as a chain of 10,000 calls, would make
        # the scan quadratic.
        simple = node.type in _NAMES and node.end_byte - node.start_byte < 100
        return "".join(self.src.text(node).split()) if simple else "?"


def _category(
    receiver: str | None, method: str, name: str, first: str | None
) -> tuple[FindingCategory | None, str]:
    """The finding category of a call (None: not sensitive) and the API name it is filed under."""
    if (
        (receiver in _KERNEL and method in ("system", "exec", "spawn"))
        or name in _PROCESS
        or receiver == "Open3"
    ):
        return FindingCategory.PROCESS, name
    if (receiver in _KERNEL and method == "eval") or name == "binding.eval":
        return FindingCategory.EVAL, name
    if method in _EVALS:
        return FindingCategory.EVAL, method
    if name == "URI.open" or (
        receiver in _KERNEL
        and method == "open"
        and first is not None
        and first.startswith(("http://", "https://", "ftp://"))
    ):
        return FindingCategory.NETWORK, name
    if name in _DECODERS:
        return FindingCategory.DECODE, name
    if method in ("unpack", "unpack1") and first and _UNPACK_FORMATS.fullmatch(first):
        return FindingCategory.DECODE, f"{method}('{first}')"
    if method == "pack" and first and _PACK_FORMATS.fullmatch(first):
        return FindingCategory.DECODE, f"pack('{first}')"
    return None, name
