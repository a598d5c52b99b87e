"""HTTP benchmark: the participant list and one participant against gunicorn, as ratios of a bare
Flask JSON endpoint on the same app and server (issue #12, items 5 and 7). The benchmark itself is
bench/_http_bench.py; its docstring says what it measures.

    python bench/http.py                      # SQLite in a temporary directory
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/http.py

A script's directory comes first on sys.path, so while any script in bench/ runs, ``import http``
(http.client, werkzeug, urllib all do) finds this file before the standard library's package.
Imported under that name, this module therefore loads the standard library's ``http`` in its
place: the import system hands out whatever sys.modules holds once the module has run.
"""

import sys

if __name__ == "__main__":
    from _http_bench import main

    sys.exit(main())
else:
    import importlib.machinery
    import importlib.util
    import os

    _here = os.path.dirname(os.path.abspath(__file__))
    _path = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
    _spec = importlib.machinery.PathFinder.find_spec(__name__, _path)
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[__name__] = _module
    _spec.loader.exec_module(_module)
