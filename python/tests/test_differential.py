"""Differential tests: our pcapy against pcapy-ng 2.1.0, the reference.

diff_probe.py runs the same calls under both implementations on the same capture
files and prints a trace of ``[step, result]``; each test below compares one
group of steps and reports the first difference.

The reference interpreter is ``$PCAPY_REF_PYTHON`` or ``<repo>/.venv-ref/bin/python``
(made by ``tools/refenv.sh``). Without it the tests skip, except under CI (``$CI``
set), where they fail: CI must never silently lose its ground truth. Our side is
``$PCAPY_OURS_PYTHON`` or the interpreter running pytest; pointing both at the
reference checks the harness itself.

Where we differ from pcapy-ng on purpose the step is allow-listed, and the test
asserts our documented behaviour instead of pcapy-ng's: ``BETTER`` holds the
**better** cells of the contract (shared/PCAPY_API.md), ``CONTRACT_OVER_REFERENCE``
the few places where pcapy-ng breaks a rule the contract states as pcapy's.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, NamedTuple

import pytest

import capgen

pytestmark = [pytest.mark.differential]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROBE = HERE / "diff_probe.py"
PINGS = REPO.parent / "shared" / "data" / "96pings.pcap"  # used in place, never copied
PROBE_TIMEOUT = 300  # seconds; the probe takes a few seconds per implementation


# ------------------------------------------------------------ interpreters


def reference_python() -> str:
    """The interpreter with pcapy-ng; skip (fail under CI) when there is none."""
    path = os.environ.get("PCAPY_REF_PYTHON") or str(REPO / ".venv-ref" / "bin" / "python")
    if Path(path).exists():
        return path
    reason = f"reference interpreter {path} not found: run tools/refenv.sh or set PCAPY_REF_PYTHON"
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI must not skip the differential tests)", pytrace=False)
    pytest.skip(reason)


def ours_python() -> str:
    return os.environ.get("PCAPY_OURS_PYTHON") or sys.executable


def checking_the_harness() -> bool:
    """Both sides are pcapy-ng (PCAPY_OURS_PYTHON pointed at the reference): then
    allow-listed steps must simply match too, which shows the harness is sound."""
    return os.path.abspath(ours_python()) == os.path.abspath(reference_python())


# ---------------------------------------------------------------- captures


def write_captures(directory: Path) -> dict[str, str]:
    """Capture files covering every format and breakage the probe should see.
    Names double as step names, so keep them short."""
    d = directory
    frames = list(capgen.mixed_traffic(60, seed=7, start_ns=1_700_000_000_123_456_789))
    # A few fixed packets so that every probe filter matches something.
    m1, m2 = capgen.mac("02:00:00:00:00:01"), capgen.mac("02:00:00:00:00:02")
    ip = capgen.ETH_P_IP
    fixed = [
        capgen.ethernet(m1, m2, ip, capgen.ipv4("10.0.0.2", "10.0.0.1", 1,
                                                 capgen.icmp_echo(1, 1, b"ping"))),
        capgen.ethernet(m2, m1, ip, capgen.ipv4("10.0.0.1", "10.0.0.2", 1,
                                                 capgen.icmp_echo(1, 1, b"ping", reply=True))),
        capgen.ethernet(m1, m2, ip, capgen.ipv4("10.0.0.2", "10.0.0.1", 6,
                                                 capgen.tcp("10.0.0.2", "10.0.0.1", 40000, 80, b"GET /"))),
        capgen.ethernet(m1, m2, ip, capgen.ipv4("10.0.0.2", "10.0.0.9", 17,
                                                 capgen.udp("10.0.0.2", "10.0.0.9", 5353, 53, b"q"))),
    ]
    t0 = 1_700_000_001_000_000_999  # sub-microsecond part: ns files must truncate it
    eth = frames + [(t0 + i * 1_001, f) for i, f in enumerate(fixed)]
    # (ts, ip packet, ethertype) of the IPv4/IPv6 frames, for the other link types
    l3 = [(t, f[14:], int.from_bytes(f[12:14], "big")) for t, f in eth
          if int.from_bytes(f[12:14], "big") in (capgen.ETH_P_IP, capgen.ETH_P_IPV6)]

    files: dict[str, str] = {}

    def path(name: str) -> str:
        files[name] = str(d / f"{name}.pcap")
        return files[name]

    if PINGS.exists():
        files["pings96"] = str(PINGS)
    capgen.write_pcap(path("eth_us"), eth)
    capgen.write_pcap(path("eth_ns"), eth, nanosecond=True)
    capgen.write_pcap(path("eth_be"), eth, big_endian=True)
    capgen.write_pcapng(path("pcapng"), eth)
    capgen.write_pcapng(path("pcapng_ns"), eth, nanosecond=True)
    capgen.write_pcap(path("sll"), [(t, capgen.linux_sll(p, et)) for t, p, et in l3],
                      linktype=capgen.LINKTYPE_LINUX_SLL)
    capgen.write_pcap(path("raw"), [(t, p) for t, p, _ in l3], linktype=capgen.LINKTYPE_RAW)
    families = {capgen.ETH_P_IP: capgen.AF_INET, capgen.ETH_P_IPV6: capgen.AF_INET6_BSD}
    capgen.write_pcap(path("null"), [(t, capgen.loopback_null(p, families[et])) for t, p, et in l3],
                      linktype=capgen.LINKTYPE_NULL)
    capgen.write_pcap(path("snaplen64"), eth, snaplen=64)
    capgen.write_pcap(path("header_only"), [])
    capgen.write_pcap(path("cut_mid_packet"), eth[:5])
    capgen.truncate_file(files["cut_mid_packet"], 7)
    capgen.write_pcap(path("cut_header"), [])
    capgen.truncate_file(files["cut_header"], 14)
    capgen.write_pcap(path("cut_magic"), [])
    capgen.truncate_file(files["cut_magic"], 22)
    Path(path("empty")).write_bytes(b"")
    capgen.write_bad_magic(path("bad_magic"))
    return files


# ------------------------------------------------------------------ traces


class Trace:
    """One probe run: the ordered ``(step, result)`` pairs."""

    def __init__(self, steps: list[tuple[str, Any]]):
        self.steps = steps
        self._by_name = dict(steps)

    def __repr__(self) -> str:  # keeps pytest's failure output short
        return f"<Trace of {len(self.steps)} steps>"

    def group(self, name: str) -> list[tuple[str, Any]]:
        return [(s, r) for s, r in self.steps if s.split(":", 1)[0] == name]

    def result(self, step: str) -> Any:
        return self._by_name.get(step, "<missing step>")


def run_probe(python: str, files: dict[str, str], tmpdir: Path, env: dict[str, str]) -> Trace:
    tmpdir.mkdir()
    job = json.dumps({"files": files, "tmpdir": str(tmpdir), "reference_file": files["eth_us"],
                      "classify": str(tmpdir.parent / "captures" / "classify.pcap")})
    proc = subprocess.run([python, str(PROBE), job], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=PROBE_TIMEOUT, cwd=tmpdir, env=env)
    if proc.returncode != 0:
        pytest.fail(f"diff_probe.py failed under {python} (exit {proc.returncode}):\n"
                    f"{proc.stderr[-4000:]}", pytrace=False)
    doc = json.loads(proc.stdout)
    return Trace([tuple(step) for step in doc["trace"]])


@pytest.fixture(scope="module")
def traces(tmp_path_factory) -> tuple[Trace, Trace]:
    """(reference, ours) traces on the same captures; each side dumps to its own dir."""
    ref = reference_python()
    root = tmp_path_factory.mktemp("differential")
    (root / "captures").mkdir()
    files = write_captures(root / "captures")
    # loop_filtered's capture: not in `files`, the probe's every-call tour would take long on it
    capgen.write_pcap(root / "captures" / "classify.pcap", capgen.classifier_traffic(6000))
    # Nothing on PYTHONPATH may shadow pcapy-ng on the reference side.
    ref_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return (run_probe(ref, files, root / "ref", ref_env),
            run_probe(ours_python(), files, root / "ours", dict(os.environ)))


# -------------------------------------------------------------- allow-list
#
# A check gets our result and a Ctx (the step's name and our whole trace, so a
# check can say "equals what next() gave at that position").


class Ctx(NamedTuple):
    step: str
    ours: Trace

    @property
    def file(self) -> str:
        return self.step.split(":")[1]

    def ours_at(self, step: str) -> Any:
        return self.ours.result(step)


Check = Callable[[Any, Ctx], bool]


def raises(kind: str, message: str | None = None) -> Check:
    return lambda r, _: (isinstance(r, list) and r[:2] == ["raise", kind]
                         and (message is None or r[2] == message))


def either(*checks: Check) -> Check:
    return lambda r, ctx: any(check(r, ctx) for check in checks)


def equals(value: Any) -> Check:
    return lambda r, _: r == value


def equals_ours(step_template: str) -> Check:
    """Our result equals our own result of another step (``{file}`` filled in)."""
    return lambda r, ctx: r == ctx.ours_at(step_template.format(file=ctx.file))


def is_bytecode(r: Any, _: Ctx) -> bool:
    """get_bpf()'s result: a non-empty list of (code, jt, jf, k)."""
    insns = r.get("list") if isinstance(r, dict) else None
    return bool(insns) and all(isinstance(i, list) and len(i) == 4 for i in insns)


def keyword_loop(r: Any, _: Ctx) -> bool:
    return (r == {"return": ["raise", "TypeError", "<TypeError>"], "calls": []}
            or r["return"] is None and len(r["calls"]) == 1)


class Divergence(NamedTuple):
    pattern: str  # fnmatch pattern over step names
    why: str  # the contract cell that makes us differ
    ours: Check  # what our result must satisfy instead of equalling pcapy-ng's


def ref_batches_then_more(r: Any, ctx: Ctx) -> bool:
    """next_batch on a damaged file: ours returns the packets before the damage
    (pcapy-ng drops the batch they were in), then raises the same PcapError."""
    if not isinstance(r, dict) or not isinstance(r.get("end"), dict):
        return False
    end, batches = r["end"]["list"], r["batches"]["list"]
    return (end[:2] == ["raise", "PcapError"] and "truncated dump file" in end[2]
            and len(batches) >= 1)


# The **better** cells of the contract. Everything not allow-listed must equal pcapy-ng.
BETTER = [
    Divergence("open:pathlike", "open_offline accepts os.PathLike (pcapy: TypeError)",
           equals(["opened", "Reader"])),
    Divergence("dump:*:dump_short_data",
           "Dumper.dump with data shorter than caplen raises ValueError (pcapy reads past the buffer)",
           raises("ValueError")),
    # "Arguments are positional (pcapy rejects keywords); accepting keywords as well is fine."
    Divergence("open:keyword", "keywords may be accepted",
           either(equals(["opened", "Reader"]), raises("TypeError"))),
    Divergence("args:setfilter_keyword", "keywords may be accepted",
           either(equals(None), raises("TypeError"))),
    Divergence("args:loop_keywords", "keywords may be accepted", keyword_loop),
    Divergence("compile:keywords", "keywords may be accepted", either(is_bytecode, raises("TypeError"))),
    # pcapy-ng parses BPFProgram's arguments positionally and silently ignores keywords,
    # so BPFProgram("tcp", linktype=12) compiles for Ethernet; honouring it is the fix.
    Divergence("bpfprogram:keyword_linktype", "keywords may be accepted (and then must be honoured)",
           either(equals_ours("bpfprogram:'tcp'(12,):get_bpf"), raises("TypeError"))),
    # Every packet is delivered before a read error is raised ("packets before the
    # damage are delivered, then PcapError"); pcapy-ng loses the batch with the damage.
    Divergence("batch:cut_mid_packet:next_batch(10):all",
           "packets before the damage are delivered, then PcapError", ref_batches_then_more),
    Divergence("batch:cut_mid_packet:next_batch(0)", "packets before the damage first",
           lambda r, _: isinstance(r, dict) and len(r["records"]["list"]) >= 1),
    Divergence("batch:cut_mid_packet:next_batch(-1)", "packets before the damage first",
           lambda r, _: isinstance(r, dict) and len(r["records"]["list"]) >= 1),
    Divergence("batch:cut_mid_packet:next_batch(0):then_next", "then the PcapError",
           raises("PcapError")),
    Divergence("batch:cut_mid_packet:next_batch(-1):then_next", "then the PcapError",
           raises("PcapError")),
    # Any bytes-like object is data (pcapy-ng insists on read-only bytes).
    Divergence("dump:*:dump_bytearray", "bytes-like data accepted", equals(None)),
    Divergence("dump:*:dump_memoryview", "bytes-like data accepted", equals(None)),
    Divergence("dump:*:misc_reread", "the bytearray and memoryview packets were written too",
           lambda r, _: isinstance(r, dict) and len(r["list"]) == 4
           and all(x == r["list"][0] for x in r["list"])),
    Divergence("bpfprogram:filter_bytearray", "bytes-like packets accepted",
           lambda r, _: isinstance(r, int)),
    Divergence("bpfprogram:filter_memoryview", "bytes-like packets accepted",
           lambda r, _: isinstance(r, int)),
]


# Extra arguments pcapy-ng's C methods never parse (r.getnet(1), findalldevs(1),
# hdr.getts(1) work there): ours refuses them with a TypeError, and next(),
# called per packet, keeps Python's wording (README: compatibility).
STRICTER = [
    Divergence("signatures:findalldevs:arg", "extra arguments are refused", raises("TypeError")),
    Divergence("signatures:lookupdev:arg", "extra arguments are refused", raises("TypeError")),
    Divergence("signatures:reader:get*:arg", "extra arguments are refused", raises("TypeError")),
    Divergence("signatures:reader:datalink:arg", "extra arguments are refused", raises("TypeError")),
    Divergence("signatures:dumper:close_arg", "extra arguments are refused", raises("TypeError")),
    Divergence("signatures:pkthdr:getts_arg", "extra arguments are refused", raises("TypeError")),
    Divergence("signatures:reader:next:*", "next() keeps Python's wording", raises("TypeError")),
]


def _raising_step(step: str) -> str:
    return step.rsplit(":", 1)[0]


def _consumed(ctx: Ctx) -> int:
    """Packets delivered by the raising loop/dispatch this step follows."""
    raising = ctx.ours_at(_raising_step(ctx.step))
    return len(raising["calls"]) if isinstance(raising, dict) else -1  # -1: no such packet


def resumes_with_next_packet(r: Any, ctx: Ctx) -> bool:
    """next() after a raising callback returns the packet after the last one delivered."""
    return r == ctx.ours_at(f"read:{ctx.file}:next#{_consumed(ctx)}")


def continues_after_that(method: str, count: int | None) -> Check:
    """The following loop/dispatch(count) delivers what the full-file call delivers,
    minus the packets already consumed (the callback's and next()'s)."""

    def check(r: Any, ctx: Ctx) -> bool:
        consumed = _consumed(ctx) + 1  # the callback's packets, then next()'s
        full = ctx.ours_at(f"{method}:{ctx.file}:{method}(-1)")
        if not isinstance(full, dict):
            return False
        calls = full["calls"][consumed:]
        if count is not None:
            if len(calls) < count:  # too close to the end of the file to say more
                return True
            calls = calls[:count]
            ret = None if method == "loop" else count
        else:
            ret = len(calls) if isinstance(full["return"], int) else full["return"]
        return r == {"return": ret, "calls": calls}

    return check


def reraises_the_callback_error(r: Any, ctx: Ctx) -> bool:
    first = ctx.ours_at(f"read:{ctx.file}:next#0")
    if first[0] is None:  # no packet: the callback never ran
        return r == {"return": None, "calls": []}
    return r == {"return": ["raise", "ValueError", "x"], "calls": [first]}


# Steps where pcapy-ng breaks the contract's "callback raises: loop/dispatch stop and
# re-raise the original exception; the reader resumes at the next packet on the next
# call". pcapy-ng calls pcap_breakloop() and libpcap leaves the break flag set when
# the read already delivered packets, so (a) after a raising dispatch() the next call
# reports a false end of file ((None, b'') from next()), and (b) loop(cnt) raising on
# its cnt-th packet returns None with the exception set: SystemError. We follow the
# contract; these checks assert it.
CONTRACT_OVER_REFERENCE = [
    Divergence("callback:*:dispatch:*:then_next", "next() resumes after a raising dispatch()",
           resumes_with_next_packet),
    Divergence("callback:*:dispatch:*:then_dispatch", "dispatch() resumes after a raising dispatch()",
           continues_after_that("dispatch", None)),
    Divergence("callback:*:loop(1):ValueError", "loop(1) re-raises the callback's exception",
           reraises_the_callback_error),
    Divergence("callback:*:loop(1):ValueError:then_next", "next() resumes after a raising loop(1)",
           resumes_with_next_packet),
    Divergence("callback:*:loop(1):ValueError:then_loop(1)", "loop(1) resumes after a raising loop(1)",
           continues_after_that("loop", 1)),
    Divergence("callback:*:dispatch(1):ValueError:then_next",
           "next() resumes after a raising dispatch(1)", resumes_with_next_packet),
    Divergence("callback:*:dispatch(1):ValueError:then_dispatch(1)",
           "dispatch(1) resumes after a raising dispatch(1)", continues_after_that("dispatch", 1)),
]


def allowed(step: str) -> Divergence | None:
    return next((b for b in BETTER + CONTRACT_OVER_REFERENCE + STRICTER
                 if fnmatch.fnmatchcase(step, b.pattern)), None)


# -------------------------------------------------------------- comparing


def first_difference(a: Any, b: Any, where: str = "") -> str | None:
    """Path to the first element where two normalized results differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}.{key} (only on one side)"
            found = first_difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and a[:1] != ["raise"] and b[:1] != ["raise"]:
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None if len(a) == len(b) else f"{where} (length {len(a)} vs {len(b)})"
    return None if a == b else (where or "result")


def show(value: Any, limit: int = 1500) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + " ..."


def assert_group_matches(traces: tuple[Trace, Trace], group: str) -> None:
    """Compare one group's steps in order; fail on the first difference."""
    __tracebackhide__ = True
    ref, ours = (t.group(group) for t in traces)
    if not ref:
        pytest.fail(f"the reference trace has no {group!r} steps", pytrace=False)
    self_check = checking_the_harness()
    for i, ((ref_step, ref_result), (our_step, our_result)) in enumerate(zip(ref, ours)):
        if our_step != ref_step:
            pytest.fail(f"step #{i} of {group!r}: pcapy-ng ran {ref_step!r}, ours ran {our_step!r} "
                        f"(an earlier result changed what the probe did)", pytrace=False)
        better = None if self_check else allowed(ref_step)
        if better:
            if not better.ours(our_result, Ctx(ref_step, traces[1])):
                pytest.fail(f"{ref_step}: {better.why}\n  ours:     {show(our_result)}\n"
                            f"  pcapy-ng: {show(ref_result)}", pytrace=False)
            continue
        where = first_difference(ref_result, our_result)
        if where is not None:
            pytest.fail(f"{ref_step} differs at {where}\n  pcapy-ng: {show(ref_result)}\n"
                        f"  ours:     {show(our_result)}", pytrace=False)
    if len(ours) != len(ref):
        extra = (ref[len(ours):] or ours[len(ref):])[0][0]
        pytest.fail(f"{group!r}: pcapy-ng ran {len(ref)} steps, ours {len(ours)}; "
                    f"first unmatched: {extra!r}", pytrace=False)


# ------------------------------------------------------------------- tests


def test_module_constants_and_exception_classes_match(traces):
    assert_group_matches(traces, "module")


def test_open_offline_errors_and_argument_types_match(traces):
    assert_group_matches(traces, "open")


def test_next_reads_every_capture_like_pcapy_ng(traces):
    """Headers, bytes, EOF as (None, b''), libpcap's errors for broken files."""
    assert_group_matches(traces, "read")


def test_loop_delivers_the_same_packets(traces):
    assert_group_matches(traces, "loop")


def test_dispatch_counts_and_packets_match(traces):
    assert_group_matches(traces, "dispatch")


def test_raising_callback_stops_the_loop_and_the_reader_resumes(traces):
    assert_group_matches(traces, "callback")


def test_setfilter_selects_the_same_packets_and_fails_the_same_way(traces):
    assert_group_matches(traces, "filter")


def test_live_only_methods_on_a_savefile_match(traces):
    assert_group_matches(traces, "handle")


def test_next_batch_returns_the_same_data_and_meta(traces):
    assert_group_matches(traces, "batch")


def test_dumper_round_trip_and_errors_match(traces):
    assert_group_matches(traces, "dump")


def test_every_method_after_close_matches(traces):
    assert_group_matches(traces, "closed")


def test_context_manager_matches(traces):
    assert_group_matches(traces, "context")


def test_bpfprogram_filter_on_real_packets_matches(traces):
    assert_group_matches(traces, "bpf")


def test_compile_bytecode_and_errors_match(traces):
    assert_group_matches(traces, "compile")


def test_bpfprogram_construction_and_filter_arguments_match(traces):
    assert_group_matches(traces, "bpfprogram")


def test_wrong_argument_types_raise_the_same_exceptions(traces):
    assert_group_matches(traces, "args")


def test_loop_filtered_and_loop_to_buffer_give_the_same_packets_classes_and_counts(traces):
    """Every classifier configuration, on the classifier capture and the others;
    filtered_stats() after each run and inside callbacks; cnt, read-ahead,
    setfilter and raising callbacks around the calls."""
    assert_group_matches(traces, "filtered")


def test_filtered_calls_reject_bad_arguments_with_the_same_errors(traces):
    assert_group_matches(traces, "filtered_args")


def test_every_call_refuses_bad_arguments_with_pcapy_ngs_words(traces):
    """Wrong counts, types and int ranges for every function and method: the
    same exception type and message (CPython's argument parser's, for pcapy-ng)."""
    assert_group_matches(traces, "signatures")


def test_device_calls_without_privileges_match(traces):
    assert_group_matches(traces, "live")


def test_probe_setup_never_failed(traces):
    """A fresh reader for a sub-probe could always be opened on both sides."""
    for trace in traces:
        assert trace.group("setup") == []


def test_both_sides_ran_the_same_steps(traces):
    ref, ours = ([s for s, _ in t.steps] for t in traces)
    for i, (a, b) in enumerate(zip(ref, ours)):
        if a != b:
            pytest.fail(f"step #{i}: pcapy-ng ran {a!r}, ours ran {b!r}", pytrace=False)
    assert len(ref) == len(ours), f"pcapy-ng ran {len(ref)} steps, ours {len(ours)}"
