"""pcapy's TypeError wording for the calls whose arguments it refuses.

pcapy-ng's functions are C functions: CPython's argument parser words their
errors ("setfilter() argument 1 must be str, not bytes", "function takes
exactly 1 argument (0 given)"), and programs print those. Ours are Python
functions, whose own checks and signatures word them otherwise. Each call
listed here runs unchanged; only when it raises TypeError are its arguments
run through the C parser's rules (_args.parse_c_tuple), and if pcapy-ng
would have refused them too, its TypeError is raised instead. Calls pcapy-ng
accepts and we refuse keep our message; a call that succeeds pays one
wrapper frame. next() and the Pkthdr getters, called per packet, keep
Python's wording (README: compatibility).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from ._args import no_args, parse_c_args, parse_c_tuple

# Reader methods: (format or None for METH_NOARGS, the C function's name)
READER = {
    "loop": ("iO", "loop"), "dispatch": ("iO", "dispatch"), "setfilter": ("s", "setfilter"),
    "dump_open": ("s", None), "setdirection": ("i", None), "setnonblock": ("i", None),
    "set_snaplen": ("i", None), "set_promisc": ("i", None), "set_timeout": ("i", None),
    "set_buffer_size": ("i", None), "set_rfmon": ("i", None), "sendpacket": ("y#", None),
    "next_batch": ("i", "next_batch"),
    "stats": (None, None), "close": (None, None), "activate": (None, None), "__enter__": (None, None),
}
MODULE = {
    "open_live": ("siii", "open_live"), "open_offline": ("s", None),
    "create": ("s", "pcap_create"), "compile": ("iisiI", "compile"),
}
_FANOUT = (("group_id", "i"), ("fanout_type", "i"))


def _c_error(check: Callable[[tuple, dict], None], args: tuple, kwargs: dict) -> Optional[BaseException]:
    """The error pcapy-ng raises for these arguments, None if it takes them."""
    try:
        check(args, kwargs)
    except (TypeError, OverflowError) as err:
        return err
    return None


def _wrap(func: Callable, check: Callable[[tuple, dict], None], method: bool) -> Callable:
    if method:
        @functools.wraps(func)
        def call_method(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return func(self, *args, **kwargs)
            except TypeError:
                err = _c_error(check, args, kwargs)
                if err is None:
                    raise
            raise err
        return call_method

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TypeError:
            err = _c_error(check, args, kwargs)
            if err is None:
                raise
        raise err
    return call


def _tuple_check(qualname: str, formats: Optional[str], fname: Optional[str]) -> Callable[[tuple, dict], None]:
    def check(args: tuple, kwargs: dict) -> None:
        if formats is None:
            no_args(qualname, args, kwargs)
            return
        if kwargs:
            raise TypeError(f"{qualname}() takes no keyword arguments")
        parse_c_tuple(fname, formats, args)
    return check


def apply(namespace: dict, reader: type, dumper: type, bpfprogram: type) -> None:
    """Wrap the calls of the pcapy package namespace and its classes."""
    for name, (formats, fname) in MODULE.items():
        namespace[name] = _wrap(namespace[name], _tuple_check(name, formats, fname), method=False)
    for name, (formats, fname) in READER.items():
        check = _tuple_check(f"Reader.{name}", formats, fname)
        setattr(reader, name, _wrap(reader.__dict__[name], check, method=True))
    reader.set_fanout = _wrap(reader.__dict__["set_fanout"], lambda a, k: parse_c_args(
        "set_fanout", _FANOUT, 1, a, k, (0,)), method=True)
    dumper.dump = _wrap(dumper.__dict__["dump"], _tuple_check("Dumper.dump", "Oy#", None), method=True)
    bpfprogram.__init__ = _wrap(bpfprogram.__dict__["__init__"],
                                _tuple_check("BPFProgram", "s|i", None), method=True)
    bpfprogram.filter = _wrap(bpfprogram.__dict__["filter"], _tuple_check("BPFProgram.filter", "y#", "filter"),
                              method=True)
    bpfprogram.get_bpf = _wrap(bpfprogram.__dict__["get_bpf"], _tuple_check("BPFProgram.get_bpf", None, None),
                               method=True)
