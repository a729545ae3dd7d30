"""Where our pcapy differs from pcapy-ng on purpose: the allow-list of
test_differential.py. Each Divergence names a step pattern, why, and the check
our result must pass instead of matching pcapy-ng's."""

from __future__ import annotations

import fnmatch
from typing import Any, Callable, NamedTuple



from differential import Trace

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
