"""pnpm-lock.yaml: lockfile versions 5.4, 6.0 and 9.0."""

# ruff: noqa: E501  (fixtures keep the real lockfiles' long integrity and resolution lines)

from __future__ import annotations

import pytest

from malgraph.check.inputs.pnpm_lock import parse_pnpm_lock
from malgraph.check.inputs.problems import UnreadableInput
from malgraph.core.check_inputs import Dependency

V5 = """\
lockfileVersion: 5.4

specifiers:
  react-dom: ^18.0.0
  left-pad: ^1.3.0

dependencies:
  react-dom: 18.0.0_react@18.0.0

devDependencies:
  left-pad: 1.3.0

packages:

  /left-pad/1.3.0:
    resolution: {integrity: sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEyGHIuqtsGDMx8WFmy6QDvH/ClohBJZ0CBa1ehq6gzodqSw==}
    deprecated: use String.prototype.padStart()
    dev: true

  /react-dom/18.0.0_react@18.0.0:
    resolution: {integrity: sha512-XqX7uzmFo0pUceWFCt7Gff6IyIMzFUn7QMZrbrQfGxtaxXZIcGQzoNpRLE3fQLnS4XzLLPMZX2T9TRcSrasicw==}
    peerDependencies:
      react: ^18.0.0
    dependencies:
      react: 18.0.0
      scheduler: 0.21.0
    dev: false

  /react/18.0.0:
    resolution: {integrity: sha512-x+VL6wbT4JRVPm7EGxXhZ8w8LTROaxPXOqhlGyVSrv0sB1jkyFGgXxJ8LVoPRLvPR6/CIZGFmfzqUa2NYeMr2A==}
    dev: false

  /scheduler/0.21.0:
    resolution: {integrity: sha512-1r87x5fz9MXqswA2ERLo0EbOAU74DpIUO090gIasYTqlVoJeMcl+Z1Rg7WHz+qtPujhS/hGIt9kxZOYBV3faRQ==}
    dependencies:
      loose-envify: 1.4.0
    dev: false

  /loose-envify/1.4.0:
    resolution: {integrity: sha512-lyuxPGr/Wfhrlem2CL/UcnUc1zcqKAImBDzukY7Y5F/yQiNdko6+fRLevlw1HgMySw7f611UIY408EtxRSoK3Q==}
    dev: false

  github.com/example/from-git/0123abc:
    resolution: {tarball: https://codeload.github.com/example/from-git/tar.gz/0123abc}
    name: from-git
    version: 0.5.0
    dev: false
"""

V6 = """\
lockfileVersion: '6.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      react-dom:
        specifier: ^18.0.0
        version: 18.0.0(react@18.0.0)
      ui:
        specifier: workspace:*
        version: link:packages/ui

  packages/ui:
    dependencies:
      evil-alias:
        specifier: npm:evil-pkg@1.0.1
        version: /evil-pkg@1.0.1

packages:

  /react-dom@18.0.0(react@18.0.0):
    resolution: {integrity: sha512-XqX7uzmFo0pUceWFCt7Gff6IyIMzFUn7QMZrbrQfGxtaxXZIcGQzoNpRLE3fQLnS4XzLLPMZX2T9TRcSrasicw==}
    peerDependencies:
      react: ^18.0.0
    dependencies:
      react: 18.0.0
      scheduler: 0.21.0
    dev: false

  /react@18.0.0:
    resolution: {integrity: sha512-x+VL6wbT4JRVPm7EGxXhZ8w8LTROaxPXOqhlGyVSrv0sB1jkyFGgXxJ8LVoPRLvPR6/CIZGFmfzqUa2NYeMr2A==}
    dev: false

  /scheduler@0.21.0:
    resolution: {integrity: sha512-1r87x5fz9MXqswA2ERLo0EbOAU74DpIUO090gIasYTqlVoJeMcl+Z1Rg7WHz+qtPujhS/hGIt9kxZOYBV3faRQ==}
    dev: false

  /@scope/evil-pkg@1.0.1:
    resolution: {integrity: sha512-AAAA}
    dev: false

  /evil-pkg@1.0.1:
    resolution: {integrity: sha512-BBBB}
    dependencies:
      '@scope/evil-pkg': 1.0.1
    dev: false
"""

V9 = """\
lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      react-dom:
        specifier: ^18.0.0
        version: 18.0.0(react@18.0.0)
      string-width-cjs:
        specifier: npm:string-width@^4.2.0
        version: string-width@4.2.3
    devDependencies:
      from-git:
        specifier: github:example/from-git#0123abc
        version: https://codeload.github.com/example/from-git/tar.gz/0123abc

packages:

  react-dom@18.0.0:
    resolution: {integrity: sha512-XqX7uzmFo0pUceWFCt7Gff6IyIMzFUn7QMZrbrQfGxtaxXZIcGQzoNpRLE3fQLnS4XzLLPMZX2T9TRcSrasicw==}
    peerDependencies:
      react: ^18.0.0

  react@18.0.0:
    resolution: {integrity: sha512-x+VL6wbT4JRVPm7EGxXhZ8w8LTROaxPXOqhlGyVSrv0sB1jkyFGgXxJ8LVoPRLvPR6/CIZGFmfzqUa2NYeMr2A==}
    engines: {node: '>=0.10.0'}

  scheduler@0.21.0:
    resolution: {integrity: sha512-1r87x5fz9MXqswA2ERLo0EbOAU74DpIUO090gIasYTqlVoJeMcl+Z1Rg7WHz+qtPujhS/hGIt9kxZOYBV3faRQ==}

  string-width@4.2.3:
    resolution: {integrity: sha512-wKyQRQpjJ0sIp62ErSZdGsjMJWsap5oRNihHhu6G7JVO/9jIB6UyevL+tXuOqrng8j/cxKTWyWUwvSTriiZz/g==}
    engines: {node: '>=8'}

  from-git@https://codeload.github.com/example/from-git/tar.gz/0123abc:
    resolution: {tarball: https://codeload.github.com/example/from-git/tar.gz/0123abc}
    version: 0.5.0

snapshots:

  react-dom@18.0.0(react@18.0.0):
    dependencies:
      react: 18.0.0
      scheduler: 0.21.0

  react@18.0.0: {}

  scheduler@0.21.0: {}

  string-width@4.2.3: {}

  from-git@https://codeload.github.com/example/from-git/tar.gz/0123abc: {}
"""


def _found(text: str) -> dict[str, Dependency]:
    return {d.name: d for d in parse_pnpm_lock("pnpm-lock.yaml", text.encode())}


def test_v5_slash_keys_peer_suffixes_and_chains() -> None:
    found = _found(V5)
    assert {(d.name, d.version) for d in found.values()} == {
        ("left-pad", "1.3.0"),
        ("react-dom", "18.0.0"),
        ("react", "18.0.0"),
        ("scheduler", "0.21.0"),
        ("loose-envify", "1.4.0"),
        ("from-git", None),
    }
    assert found["react-dom"].direct is True and found["left-pad"].direct is True
    assert found["loose-envify"].path == ("react-dom", "scheduler")
    assert found["from-git"].spec == "github.com/example/from-git/0123abc"
    assert found["from-git"].direct is None  # not reached from any declared dependency


def test_v6_importers_workspace_links_and_aliases() -> None:
    found = _found(V6)
    assert len(found) == 5  # the peer variant of react-dom is one package version
    assert found["react-dom"] == Dependency(
        "npm", "react-dom", "18.0.0", "pnpm-lock.yaml", direct=True
    )
    assert found["scheduler"].path == ("react-dom",) and found["scheduler"].direct is False
    assert found["evil-pkg"].direct is True  # declared by the workspace project packages/ui
    assert found["@scope/evil-pkg"].path == ("evil-pkg",)


def test_v9_packages_and_snapshots() -> None:
    found = _found(V9)
    assert {(d.name, d.version) for d in found.values()} == {
        ("react-dom", "18.0.0"),
        ("react", "18.0.0"),
        ("scheduler", "0.21.0"),
        ("string-width", "4.2.3"),
        ("from-git", None),
    }
    assert found["string-width"].direct is True  # through the alias string-width-cjs
    assert found["react"].path == ("react-dom",)
    assert found["from-git"].direct is True
    assert (
        found["from-git"].spec
        == "from-git@https://codeload.github.com/example/from-git/tar.gz/0123abc"
    )


@pytest.mark.parametrize("text", ["packages: {}\n", "- a list\n", "lockfileVersion: [unclosed\n"])
def test_unreadable_pnpm_locks(text: str) -> None:
    with pytest.raises(UnreadableInput):
        parse_pnpm_lock("pnpm-lock.yaml", text.encode())
