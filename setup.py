"""Packaging for pcapy (gopcapy): builds the Go extension, ships a platform wheel."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build as gobuild  # noqa: E402  (the project's build.py, not PyPA build)


class BuildWithGo(build_py):
    """Compile the Go extension before the package files are collected."""

    def run(self):
        gobuild.build()
        super().run()


class BinaryDistribution(Distribution):
    """The wheel holds a compiled extension: give it a platform tag."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithGo}, distclass=BinaryDistribution)
