"""Go owns the column spec (gopcapy/column_spec.go); pcapy's copy must say
the same, in the same order."""

from pcapy._column_spec import DTYPES, FIELDS
from pcapy._core import call, go


def test_python_columns_are_gos():
    spec = [line.split(" ") for line in call(go.pybridge_ColumnsSpec).split("\n")]
    assert [(name, dtype) for name, dtype in spec] == list(DTYPES.items())
    assert FIELDS == tuple(name for name, _ in spec)
