"""Re-entrant callbacks under whichever pcapy the interpreter has (pcapy-ng or
ours): prints a JSON trace of which packets (by timestamp second) each
callback and nested read got. test_threads_reentry.py compares the traces.

usage: python reentry_probe.py CAPTURE   (packet i has timestamp i s, i % 3 == 0 is UDP)
"""

import json
import sys

import pcapy


def sec(hdr):
    return hdr.getts()[0]


def next_in_dispatch(r, trace):
    def cb(hdr, data):
        trace.append(sec(hdr))
        if sec(hdr) % 4 == 0:
            trace.append(["nested", sec(r.next()[0])])

    trace.append(["returned", r.dispatch(-1, cb)])


def setfilter_in_loop(r, trace):
    def cb(hdr, data):
        trace.append(sec(hdr))
        if sec(hdr) == 5:
            r.setfilter("udp")
            trace.append(["nested", sec(r.next()[0])])

    r.loop(-1, cb)


def loop_count_with_next(r, trace):
    def cb(hdr, data):
        trace.append(sec(hdr))
        r.next()

    r.loop(6, cb)
    trace.append(["after", sec(r.next()[0])])


def dispatch_in_dispatch(r, trace):
    def inner(hdr, data):
        trace.append(["inner", sec(hdr)])

    def cb(hdr, data):
        trace.append(sec(hdr))
        if sec(hdr) == 3:
            trace.append(["inner returned", r.dispatch(2, inner)])

    trace.append(["returned", r.dispatch(10, cb)])
    trace.append(["after", sec(r.next()[0])])


def stopiteration(r, trace):
    def cb(hdr, data):
        trace.append(sec(hdr))
        if sec(hdr) == 2:
            raise StopIteration("x")

    try:
        r.loop(-1, cb)
        trace.append("returned")
    except StopIteration as err:
        trace.append(["raised", list(err.args)])
    trace.append(["after", sec(r.next()[0])])


def main(path):
    out = {}
    for case in (next_in_dispatch, setfilter_in_loop, loop_count_with_next, dispatch_in_dispatch,
                 stopiteration):
        r = pcapy.open_offline(path)
        out[case.__name__] = trace = []
        case(r, trace)
        r.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
