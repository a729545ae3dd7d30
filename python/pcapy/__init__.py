"""pcapy, written in Go: libpcap for Python, a drop-in replacement for pcapy.

``import pcapy`` gives pcapy's API (open_offline, open_live, Reader, Pkthdr,
Dumper, BPFProgram, compile, PcapError, BPFError, DLT_* ...), reading
packets in batches through Go, plus iteration over readers, os.PathLike file
names and nanosecond timestamps.
"""

from ._bpf import BPFProgram, compile
from . import _constants
from ._constants import *  # noqa: F403  (the DLT_*, PCAP_D_*, PACKET_FANOUT_* constants)
from ._dumper import Dumper
from ._errors import BPFError, PcapError
from ._open import create, findalldevs, lib_version, lookupdev, open_live, open_offline
from ._pkthdr import Pkthdr, PkthdrNs
from ._reader import Reader

from ._version import __version__ as __version__  # noqa: F401  (re-exported)

# The public classes live in private modules; they report the package, as
# pcapy's do, so tracebacks and logs say pcapy.PcapError, not pcapy._errors.PcapError.
for _cls in (BPFError, BPFProgram, Dumper, PcapError, Pkthdr, PkthdrNs, Reader):
    _cls.__module__ = __name__
del _cls

# pcapy-ng's TypeError messages for the arguments it refuses.
from . import _signatures  # noqa: E402

_signatures.apply(globals(), Reader, Dumper, BPFProgram)

# Imported on first use, so `import pcapy` stays light (pcapy-ng's takes
# milliseconds): the columnar, flow and Arrow readers, and the device
# listing (its namedtuples and json). Which module defines each name:
_LAZY = {
    "read_columns": "_columns", "read_dataframe": "_columns",
    "iter_columns": "_chunks", "iter_dataframes": "_chunks",
    "read_flows": "_flows", "merge_flows": "_flows",
    "read_arrow": "_arrow", "to_parquet": "_arrow",
    "Address": "_devices", "Interface": "_devices", "interfaces": "_devices",
    "datalink_name": "_devices", "datalink_description": "_devices", "datalink_value": "_devices",
}


TYPE_CHECKING = False
if TYPE_CHECKING:  # what __getattr__ gives, for type checkers (pcapy is py.typed)
    from ._arrow import read_arrow as read_arrow, to_parquet as to_parquet
    from ._chunks import iter_columns as iter_columns, iter_dataframes as iter_dataframes
    from ._columns import read_columns as read_columns, read_dataframe as read_dataframe
    from ._devices import (
        Address as Address,
        Interface as Interface,
        datalink_description as datalink_description,
        datalink_name as datalink_name,
        datalink_value as datalink_value,
        interfaces as interfaces,
    )
    from ._flows import merge_flows as merge_flows, read_flows as read_flows
del TYPE_CHECKING


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    try:
        value = getattr(import_module(f"{__name__}.{module}"), name)
    except OSError as err:
        import errno  # built in: no file to open

        if err.errno not in (errno.EMFILE, errno.ENFILE):
            raise
        # Out of descriptors, the module's file cannot be read: the error
        # every pcapy call reports then. Nothing is kept: a later use retries.
        raise PcapError(f"{err.strerror} (loading {__name__}.{module})") from None
    globals()[name] = value  # later reads are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BPFError",
    "BPFProgram",
    "Dumper",
    "PcapError",
    "Pkthdr",
    "PkthdrNs",
    "Reader",
    "compile",
    "create",
    "findalldevs",
    "lib_version",
    "lookupdev",
    "open_live",
    "open_offline",
]
# The lazy names too (a literal list above lets linters see the eager ones used).
__all__ = sorted(__all__ + list(_LAZY)) + sorted(name for name in vars(_constants) if name.isupper())
