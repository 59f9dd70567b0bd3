"""Adapter around the CEL engine (cel-expr-python), so the engine can be swapped behind three calls.

Engine quirks handled here (see ../shared/notes/expression-engines.md and the README design notes):
- a runtime error comes back as a value of type ERROR, not an exception: anything that is not the
  expected type becomes an :class:`EvalFailure`, never a pass;
- timestamps travel as RFC 3339 strings inside documents; ``now`` is a typed, UTC-aware variable;
- converting a document is the expensive part, so one :class:`Activation` per resource serves every
  policy; parameters are bound into each compiled program (``cel.bind``) instead of the activation;
- a CEL null converted to Python comes back as ``None`` without its reference counted (0.1.3): see
  :func:`plain`.
"""

from __future__ import annotations

import ctypes
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from sys import intern
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext import ext_bindings, ext_optional, ext_strings

from auditor.policies.functions import FunctionDoc, catalog
from auditor.release_calendar import ReleaseCalendar

_TYPES = {
    "string": cel.Type.STRING,
    "int": cel.Type.INT,
    "bool": cel.Type.BOOL,
    "timestamp": cel.Type.TIMESTAMP,
    "list<string>": cel.Type.List(cel.Type.STRING),
    "list<dyn>": cel.Type.List(cel.Type.DYN),
}
_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*)")


class ExpressionError(Exception):
    """An expression that does not compile; ``line``/``column`` are 1-based positions in the source."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class EvalFailure:
    """An expression that evaluated to an error or to a value of the wrong type."""

    reason: str


def _compile_error(raw: str) -> ExpressionError:
    # "INVALID_ARGUMENT: ERROR: <input>:1:5: Syntax error: ...\n | expr\n | ....^"
    match = _POSITION.search(raw)
    if not match:
        return ExpressionError(raw.strip().splitlines()[0])
    message = match.group(3).split("\n")[0].strip()
    return ExpressionError(message, int(match.group(1)), int(match.group(2)))


def cel_literal(value: Any) -> str:
    """Render a parameter value as a CEL literal (JSON's scalars, lists and maps are valid CEL)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"parameter value {value!r} is not a finite number")
    return json.dumps(value)


class Program:
    """A compiled expression; ``evaluate`` returns a plain Python value or an :class:`EvalFailure`."""

    def __init__(self, expression: Any, source: str) -> None:
        self._expression = expression
        self.source = source

    def evaluate(self, activation: Activation) -> Any:
        """The value as JSON's values (:func:`plain`), or an :class:`EvalFailure`."""
        value = self._expression.eval(activation.native)
        kind = value.type()
        if kind == cel.Type.ERROR:
            return EvalFailure(_runtime_reason(str(value.value())))
        return plain(value, kind)

    def evaluate_bool(self, activation: Activation) -> bool | EvalFailure:
        value = self._expression.eval(activation.native)
        kind = value.type()
        if kind == cel.Type.BOOL:
            return bool(value.value())
        if kind == cel.Type.ERROR:
            return EvalFailure(_runtime_reason(str(value.value())))
        return EvalFailure(f"expected true or false, got {kind.name().lower()} {plain(value, kind)!r}")


#: ``Py_IncRef``: one reference to None given back per null the engine converted (see :func:`plain`).
_give_back = ctypes.pythonapi.Py_IncRef
_give_back.argtypes = [ctypes.py_object]
_give_back.restype = None
_NULL = cel.Type.NULL
_SCALARS = frozenset({int, float, bool})


def plain(value: Any, kind: Any) -> Any:
    """``value`` (of CEL type ``kind``) as JSON's values, as evidence must be: timestamps become RFC 3339
    strings, durations seconds, bytes hex. Strings are interned: an estate repeats the same versions,
    channels and names in hundreds of thousands of findings (measured at 500 clusters: 1,686 -> 1,490
    bytes held a finding).

    cel-expr-python 0.1.3 converts each CEL null — the value itself, or one inside a list or map — to
    ``None`` without counting the reference it hands over, so every null converted takes one from None's
    reference count for good. Python aborts when that count reaches zero ("Fatal Python error:
    none_dealloc"), which a 100,000-cluster scan did as its objects were freed at exit — exit 134 after
    every report was written. A null alone is answered without converting it; each ``None`` met in a
    converted list or map gets its reference given back (tests/policies/test_engine.py counts them)."""
    if kind == _NULL:
        return None
    return _json(value.plain_value())


def _json(value: Any) -> Any:
    """A value the engine converted, as JSON's values (see :func:`plain`); only for those: each ``None`` in
    it is a reference the engine did not count."""
    if type(value) is str:
        return intern(value)
    if type(value) in _SCALARS:
        return value
    if value is None:
        _give_back(None)
        return None
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _runtime_reason(raw: str) -> str:
    # "UNKNOWN: cannot read ..." / "NOT_FOUND: Key not found in map : \"x\"" -> the part after the code.
    code, _, rest = raw.partition(": ")
    return rest if code.isupper() and rest else raw


@dataclass(frozen=True)
class Activation:
    """The converted input of one resource, shared by every policy evaluated on it."""

    native: Any


class Environment:
    """A CEL environment for one resource kind: its variables, ``now``, ``params`` and our functions (those
    that read the release calendar read ``calendar``, the packaged one when None)."""

    def __init__(
        self, variables: Iterable[str], now: datetime, calendar: ReleaseCalendar | None = None
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("the scan time must be timezone-aware (naive datetimes read as local time)")
        self.now = now
        self.variables = tuple(variables)
        declared: dict[str, Any] = dict.fromkeys(self.variables, cel.Type.DYN)
        declared["now"] = cel.Type.TIMESTAMP
        declared["params"] = cel.Type.DYN
        self.functions: tuple[FunctionDoc, ...] = catalog(now, calendar)
        self._env = cel.NewEnv(
            variables=declared,
            extensions=[ext_optional.ExtOptional(), ext_bindings.ExtBindings(), ext_strings.ExtStrings()],
            functions=[_declare(function) for function in self.functions],
        )

    def compile(
        self,
        source: str,
        params: Mapping[str, Any] | None = None,
        lets: Sequence[tuple[str, str]] = (),
    ) -> Program:
        """Compile ``source`` with ``params`` bound as a constant map and ``lets`` as named sub-expressions.

        Both are bound with ``cel.bind`` around the expression, on its first line, so a compile error's
        column is mapped back to the author's source. Errors inside a let are reported by compiling the
        lets one by one first (see :meth:`compile_lets`).
        """
        prefix, suffix = _binding_prefix(params, lets)
        try:
            return Program(self._env.compile(prefix + source + suffix), source)
        except RuntimeError as error:
            raised = _compile_error(str(error))
        if raised.line == 1 and raised.column is not None:
            raised.column = max(1, raised.column - len(prefix))
        raise raised

    def compile_lets(self, params: Mapping[str, Any] | None, lets: Sequence[tuple[str, str]]) -> None:
        """Compile each let in the context of the earlier ones; raises (index, ExpressionError)."""
        for index, (_, source) in enumerate(lets):
            try:
                self.compile(source, params, lets[:index])
            except ExpressionError as error:
                raise LetError(index, error) from None

    def activation(self, document: Mapping[str, Any]) -> Activation:
        data = dict(document)
        data["now"] = self.now
        return Activation(self._env.Activation(data))


class LetError(Exception):
    def __init__(self, index: int, error: ExpressionError) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


def _binding_prefix(params: Mapping[str, Any] | None, lets: Sequence[tuple[str, str]]) -> tuple[str, str]:
    prefix, depth = "", 0
    if params is not None:
        literal = "{" + ", ".join(f"{cel_literal(k)}: {cel_literal(v)}" for k, v in params.items()) + "}"
        prefix += f"cel.bind(params, {literal}, "
        depth += 1
    for name, source in lets:
        prefix += f"cel.bind({name}, ({' '.join(source.splitlines())}), "
        depth += 1
    return prefix + "(", ")" + ")" * depth


def _declare(function: FunctionDoc) -> Any:
    overload = cel.Overload(
        f"{function.name}_{'_'.join(p.replace('<', '_').replace('>', '') for p in function.params)}",
        return_type=_TYPES[function.returns],
        parameters=[_TYPES[param] for param in function.params],
        impl=function.impl,
    )
    return cel.FunctionDecl(function.name, [overload])
