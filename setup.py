"""Packaging for pcapy (gopcapy): builds the Go extension, ships a platform wheel.

The metadata is in pyproject.toml; this file only adds the Go build. The
extension is built per interpreter (gopy output is not abi3) into
build/ext/<cache tag>/ and copied into the wheel's pcapy/_gopcapy/, so a
development build in python/pcapy/_gopcapy/ and wheels for other Pythons never
mix. `make wheels` (tools/wheels.py) runs this with zig cc and a static libpcap.
"""

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
import build as gobuild  # noqa: E402  (the project's build.py, not PyPA build)


class BuildWithGo(build_py):
    """Compile the Go extension and put it beside the package's Python files."""

    def run(self):
        ext = gobuild.build(out=ROOT / "build" / "ext" / sys.implementation.cache_tag)
        super().run()
        dest = Path(self.build_lib) / "pcapy" / "_gopcapy"
        shutil.rmtree(dest, ignore_errors=True)  # build/lib outlives builds for other Pythons
        dest.mkdir(parents=True)
        shutil.copy2(ext, dest / ext.name)
        hot = gobuild.hotpath_target(ext.parent)  # the C part, built with it
        shutil.copy2(hot, dest / hot.name)
        shutil.copy2(ext.with_name("__init__.py"), dest / "__init__.py")


class BinaryDistribution(Distribution):
    """The wheel holds a compiled extension: give it a platform tag."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithGo}, distclass=BinaryDistribution)
