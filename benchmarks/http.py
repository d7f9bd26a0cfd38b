"""Benchmark the archive over HTTP against a bare Flask app (the code is in httpbench.py).

    .venv/bin/python benchmarks/http.py --help

This file is named like the standard library's ``http`` package. When any script in this
folder runs, the folder comes first on ``sys.path`` and ``import http.client`` (urllib does it)
would load this file instead; it then steps aside: it drops the folder from ``sys.path`` and
puts the real package in its place.
"""

import importlib
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

if __name__ == "http":  # imported in place of the standard library's package
    del sys.modules["http"]
    sys.modules["http"] = importlib.import_module("http")
elif __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(_HERE))
    from benchmarks.httpbench import main

    raise SystemExit(main())
