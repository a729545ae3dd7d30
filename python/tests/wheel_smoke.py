"""The API smoke set test_wheels.py runs in a fresh virtualenv with an installed
wheel, where the system libpcap is hidden. Stdlib only (numpy when importable).

usage: python wheel_smoke.py CAPTURE OUTDIR   -> prints a JSON report
"""

import ctypes
import json
import sys
from pathlib import Path

capture, outdir = Path(sys.argv[1]), Path(sys.argv[2])
report = {"python": "%d.%d" % sys.version_info[:2]}

try:  # what any program linked with the system libpcap would get here
    ctypes.CDLL("libpcap.so.0.8")
    report["system_libpcap"] = "loadable"
except OSError as e:
    report["system_libpcap"] = f"hidden ({e})"

import pcapy  # noqa: E402

report["file"] = pcapy.__file__
report["version"] = pcapy.__version__
report["lib_version"] = pcapy.lib_version()

reader = pcapy.open_offline(str(capture))
packets = list(reader)
report["read"] = len(packets)
report["linktype"] = reader.datalink()
reader.close()

reader = pcapy.open_offline(str(capture))
reader.setfilter("udp")
report["udp"] = sum(1 for _ in reader)
reader.close()

copy = outdir / "copy.pcap"
reader = pcapy.open_offline(str(capture))
with reader.dump_open(str(copy)) as dumper:
    for hdr, data in reader:
        dumper.dump(hdr, data)
reader.close()
reread = list(pcapy.open_offline(str(copy)))
report["dump_reread_equal"] = [(h.getts(), d) for h, d in reread] == [(h.getts(), d) for h, d in packets]

program = pcapy.compile(pcapy.DLT_EN10MB, 65535, "icmp", 1, 0)
report["bpf_icmp"] = sum(program.filter(d) != 0 for _, d in packets)

try:
    import numpy  # noqa: F401
except ImportError:
    report["columns"] = None
else:
    report["columns"] = len(pcapy.read_columns(str(capture))["caplen"])

# Every libpcap mapped into this process (the extension has it built in: none).
maps = Path("/proc/self/maps").read_text().splitlines()
report["libpcap_mapped"] = sorted({line.split()[-1] for line in maps if "libpcap" in line})
print(json.dumps(report))
