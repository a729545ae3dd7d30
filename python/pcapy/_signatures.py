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

from ._args import INT_MAX, INT_MIN, no_args, parse_c_args, parse_c_tuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

    Args = tuple[Any, ...]
    Kwargs = dict[str, Any]
    Check = Callable[[Args, Kwargs], Any]
    Func = Callable[..., Any]

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


def _c_error(check: Check, args: Args, kwargs: Kwargs) -> Optional[BaseException]:
    """The error pcapy-ng raises for these arguments, None if it takes them."""
    try:
        check(args, kwargs)
    except (TypeError, OverflowError) as err:
        return err
    return None


def _wrap(func: Func, check: Check, *, method: bool,
          closed_first: bool = False, ints: tuple[int, ...] = ()) -> Func:
    """func, raising pcapy-ng's error where it refuses the arguments.

    method: the first argument is self. closed_first: a Reader method that,
    like pcapy-ng's, reports a closed reader before looking at its arguments.
    ints: positions of C int arguments; an int out of range fails before
    the call (pcapy-ng: OverflowError), where ours would clamp or accept it.
    """
    skip = 1 if method else 0
    positions = tuple(skip + i for i in ints)  # in args

    def c_error(args: Args, kwargs: Kwargs) -> Optional[BaseException]:
        if closed_first and args[0]._closed:
            return ValueError("pcap is closed")
        return _c_error(check, args[skip:], kwargs)

    def call(*args: Any, **kwargs: Any) -> Any:
        # A plain loop: next_batch() pays this per call (a generator costs ~1 µs)
        for i in positions:
            if i < len(args) and type(args[i]) is int and not INT_MIN <= args[i] <= INT_MAX:
                err = c_error(args, kwargs)
                if err is not None:
                    raise err
                break
        try:
            return func(*args, **kwargs)
        except TypeError:
            if c_error(args, kwargs) is None:
                raise
        err = c_error(args, kwargs)  # again outside the handler: no "during handling of" context
        raise err  # type: ignore[misc]

    return _wraps(call, func)


def _wraps(wrapper: Func, func: Func) -> Func:
    """functools.wraps(func)(wrapper), without importing functools (and
    collections with it) at `import pcapy`."""
    for attr in ("__module__", "__name__", "__qualname__", "__doc__", "__annotations__"):
        setattr(wrapper, attr, getattr(func, attr))
    wrapper.__dict__.update(func.__dict__)
    setattr(wrapper, "__wrapped__", func)  # noqa: B010 (a Callable has no such attribute for mypy)
    return wrapper


def _ints(formats: Optional[str]) -> tuple[int, ...]:
    codes = [c for c in (formats or "") if c not in "|#"]
    return tuple(i for i, c in enumerate(codes) if c == "i")


def _tuple_check(qualname: str, formats: Optional[str], fname: Optional[str]) -> Check:
    def check(args: Args, kwargs: Kwargs) -> None:
        if formats is None:
            no_args(qualname, args, kwargs)
            return
        if kwargs:
            raise TypeError(f"{qualname}() takes no keyword arguments")
        parse_c_tuple(fname, formats, args)
    return check


def apply(namespace: dict[str, Any], reader: type, dumper: type, bpfprogram: type) -> None:
    """Wrap the calls of the pcapy package namespace and its classes."""
    for name, (formats, fname) in MODULE.items():
        namespace[name] = _wrap(namespace[name], _tuple_check(name, formats, fname), method=False,
                                ints=_ints(formats))
    # getattr: some methods are the mixins' (_reader_device, _reader_linktypes);
    # the wrapped one is set on Reader itself.
    for name, (rformats, fname) in READER.items():
        check = _tuple_check(f"Reader.{name}", rformats, fname)
        setattr(reader, name, _wrap(getattr(reader, name), check, method=True, closed_first=rformats is not None,
                                    ints=_ints(rformats)))

    def fanout_check(a: Args, k: Kwargs) -> None:
        parse_c_args("set_fanout", _FANOUT, 1, a, k, (0,))

    wrapped = {
        (reader, "set_fanout"): _wrap(getattr(reader, "set_fanout"), fanout_check, method=True, closed_first=True,
                                      ints=(0, 1)),
        (dumper, "dump"): _wrap(dumper.__dict__["dump"], _tuple_check("Dumper.dump", "Oy#", None), method=True),
        (bpfprogram, "__init__"): _wrap(bpfprogram.__dict__["__init__"], _tuple_check("BPFProgram", "s|i", None),
                                        method=True, ints=(1,)),
        (bpfprogram, "filter"): _wrap(bpfprogram.__dict__["filter"],
                                      _tuple_check("BPFProgram.filter", "y#", "filter"), method=True),
        (bpfprogram, "get_bpf"): _wrap(bpfprogram.__dict__["get_bpf"],
                                       _tuple_check("BPFProgram.get_bpf", None, None), method=True),
    }
    for (cls, attr), func in wrapped.items():
        setattr(cls, attr, func)
