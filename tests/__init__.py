"""The test suite. Imported before any test module or conftest imports malgraph: the compiled
pattern cache goes to a folder of this run, not the developer's own (the commands the tests
start inherit it), and is removed at the end."""

import atexit
import os
import shutil
import tempfile

if "MALGRAPH_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="malgraph-test-cache-")
    os.environ["MALGRAPH_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, True)
