"""pcapy, written in Go: libpcap for Python, a drop-in replacement for pcapy.

``import pcapy`` gives pcapy's API (open_offline, open_live, Reader, Pkthdr,
Dumper, BPFProgram, compile, PcapError, BPFError, DLT_* ...), reading
packets in batches through Go, plus iteration over readers, os.PathLike file
names and nanosecond timestamps.
"""

from ._bpf import BPFProgram, compile
from ._columns import read_columns, read_dataframe  # numpy/pandas only when called
from ._chunks import iter_columns, iter_dataframes  # numpy/pandas only when called
from ._flows import merge_flows, read_flows  # numpy/pandas only when called
from ._arrow import read_arrow, to_parquet  # pyarrow only when called
from . import _constants
from ._constants import *  # noqa: F403  (the DLT_*, PCAP_D_*, PACKET_FANOUT_* constants)
from ._devices import Address, Interface, datalink_description, datalink_name, datalink_value, interfaces
from ._dumper import Dumper
from ._errors import BPFError, PcapError
from ._open import create, findalldevs, lib_version, lookupdev, open_live, open_offline
from ._pkthdr import Pkthdr, PkthdrNs
from ._reader import Reader

from ._version import __version__ as __version__  # noqa: F401  (re-exported)

# The public classes live in private modules; they report the package, as
# pcapy's do, so tracebacks and logs say pcapy.PcapError, not pcapy._errors.PcapError.
for _cls in (Address, BPFError, BPFProgram, Dumper, Interface, PcapError, Pkthdr, PkthdrNs, Reader):
    _cls.__module__ = __name__
del _cls

# pcapy-ng's TypeError messages for the arguments it refuses.
from . import _signatures  # noqa: E402

_signatures.apply(globals(), Reader, Dumper, BPFProgram)

__all__ = [
    "Address",
    "BPFError",
    "BPFProgram",
    "Dumper",
    "Interface",
    "PcapError",
    "Pkthdr",
    "PkthdrNs",
    "Reader",
    "compile",
    "create",
    "datalink_description",
    "datalink_name",
    "datalink_value",
    "findalldevs",
    "interfaces",
    "iter_columns",
    "iter_dataframes",
    "lib_version",
    "lookupdev",
    "merge_flows",
    "open_live",
    "open_offline",
    "read_arrow",
    "read_columns",
    "read_dataframe",
    "read_flows",
    "to_parquet",
] + sorted(name for name in vars(_constants) if name.isupper())
