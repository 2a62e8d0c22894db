"""Gemfile.lock: GEM, GIT and PATH specs, platforms, DEPENDENCIES and chains."""

from __future__ import annotations

import pytest

from malgraph.check.inputs.gemfile_lock import parse_gemfile_lock
from malgraph.check.inputs.problems import UnreadableInput
from malgraph.core.check_inputs import Dependency

GEMFILE_LOCK = """\
GIT
  remote: https://github.com/example/my_fork.git
  revision: 0123abcdef
  branch: main
  specs:
    my_fork (0.5.0)
      rack (>= 2.0)

PATH
  remote: .
  specs:
    myapp (0.1.0)
      rake (~> 13.0)

GEM
  remote: https://rubygems.org/
  specs:
    actionpack (7.1.3)
      rack (>= 2.2.4)
      rack-test (>= 0.6.3)
    mini_portile2 (2.8.5)
    nokogiri (1.16.2-arm64-darwin)
      racc (~> 1.4)
    nokogiri (1.16.2-x86_64-linux)
      racc (~> 1.4)
    racc (1.7.3)
    rack (2.2.8)
    rack-test (2.1.0)
      rack (>= 1.3)
    rake (13.1.0)

PLATFORMS
  arm64-darwin
  x86_64-linux

DEPENDENCIES
  actionpack (~> 7.1)
  my_fork!
  myapp!
  nokogiri

CHECKSUMS
  nokogiri (1.16.2-x86_64-linux) sha256=0000

BUNDLED WITH
   2.5.6
"""


def test_specs_platforms_sources_and_chains() -> None:
    found = {d.name: d for d in parse_gemfile_lock("Gemfile.lock", GEMFILE_LOCK.encode())}
    assert {(d.name, d.version) for d in found.values()} == {
        ("my_fork", None),
        ("actionpack", "7.1.3"),
        ("mini_portile2", "2.8.5"),
        ("nokogiri", "1.16.2"),  # two platform variants, one version
        ("racc", "1.7.3"),
        ("rack", "2.2.8"),
        ("rack-test", "2.1.0"),
        ("rake", "13.1.0"),
    }  # the PATH gem is the project itself
    assert len(found) == 8
    assert found["nokogiri"] == Dependency(
        "RubyGems", "nokogiri", "1.16.2", "Gemfile.lock", direct=True
    )
    assert found["my_fork"].spec == "git: https://github.com/example/my_fork.git@0123abcdef"
    assert found["rake"].direct is True  # what the project's own gemspec depends on
    assert found["racc"].path == ("nokogiri",)
    assert found["rack-test"].path == ("actionpack",)
    assert found["mini_portile2"].direct is None  # nothing in this lockfile reaches it


def test_not_a_gemfile_lock() -> None:
    with pytest.raises(UnreadableInput):
        parse_gemfile_lock("Gemfile.lock", b"source 'https://rubygems.org'\ngem 'rails'\n")
