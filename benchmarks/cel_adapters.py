"""Adapters for benchmarks/cel_engines.py: each CEL engine behind compile / convert / run.

Imports of the engines happen inside the factory functions, so a process only loads the engine it measures
and its import time can be timed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cel_workload import NOW, Check, minor_gap, minor_of, node_image_date


@dataclass(frozen=True)
class Engine:
    distribution: str | None
    compile: Callable[[Check], Any]
    convert: Callable[[dict[str, Any]], Any]
    run: Callable[[Any, Any], bool | str]
    run_per_call: Callable[[Any, dict[str, Any]], bool | str]
    # For an engine that converts variables lazily, on first use: reads every variable of a converted input.
    touch: Callable[[Any], object] | None = None


def _python_engine() -> Engine:
    def run(fn: Callable[[dict[str, Any]], bool], doc: dict[str, Any]) -> bool | str:
        return fn(doc)

    return Engine(None, lambda check: check.python, lambda doc: doc, run, run)


def _cel_expr_python() -> Engine:
    from cel_expr_python import cel

    def overload(name: str, returns: Any, params: list[Any], impl: Callable[..., Any]) -> Any:
        return cel.FunctionDecl(name, [cel.Overload(f"{name}_overload", returns, params, impl=impl)])

    string = cel.Type.STRING
    env = cel.NewEnv(
        variables={"resource": cel.Type.DYN, "catalog": cel.Type.DYN, "now": cel.Type.TIMESTAMP},
        functions=[
            overload("minorOf", string, [string], minor_of),
            overload("minorGap", cel.Type.INT, [string, string], minor_gap),
            overload("nodeImageDate", cel.Type.TIMESTAMP, [string], node_image_date),
        ],
    )
    boolean = cel.Type.BOOL
    # env.Activation(dict) only wraps the dict: each variable is converted when an expression first reads
    # it, then kept in the activation. This reads them all, so conversion can be timed.
    reads_all = env.compile("[resource, catalog, now]")

    def variables(doc: dict[str, Any]) -> dict[str, Any]:
        return {"resource": doc["resource"], "catalog": doc["catalog"], "now": NOW}

    def result(value: Any) -> bool | str:
        return value.value() if value.type() == boolean else f"{value.type().name()}: {value.value()}"

    return Engine(
        "cel-expr-python",
        lambda check: env.compile(check.cel),
        lambda doc: env.Activation(variables(doc)),
        lambda program, activation: result(program.eval(activation)),
        lambda program, doc: result(program.eval(data=variables(doc))),
        touch=reads_all.eval,
    )


def _common_expression_language() -> Engine:
    import cel

    functions = {"minorOf": minor_of, "minorGap": minor_gap, "nodeImageDate": node_image_date}

    def convert(doc: dict[str, Any]) -> Any:
        variables = {"resource": doc["resource"], "catalog": doc["catalog"], "now": NOW}
        return cel.Context(variables=variables, functions=functions)

    def run(program: Any, context: Any) -> bool | str:
        try:
            value = program.execute(context)
        except Exception as error:  # the library raises KeyError/ValueError/RuntimeError on eval errors
            return f"{type(error).__name__}: {error}"
        return value if isinstance(value, bool) else f"not a bool: {value!r}"

    return Engine(
        "common-expression-language",
        lambda check: cel.compile(check.cel),
        convert,
        run,
        lambda program, doc: run(program, convert(doc)),
    )


def _cel_python(compiled: bool) -> Engine:
    import celpy
    from celpy import celtypes
    from celpy.adapter import json_to_cel

    logging.getLogger("celpy").setLevel(logging.CRITICAL)  # compiled mode logs every failed evaluation
    env = celpy.Environment(runner_class=celpy.CompiledRunner if compiled else celpy.InterpretedRunner)
    functions = {
        "minorOf": lambda v: celtypes.StringType(minor_of(v)),
        "minorGap": lambda a, b: celtypes.IntType(minor_gap(a, b)),
        "nodeImageDate": lambda v: celtypes.TimestampType(node_image_date(v)),
    }
    now = celtypes.TimestampType(NOW)

    def convert(doc: dict[str, Any]) -> dict[str, Any]:
        return {"resource": json_to_cel(doc["resource"]), "catalog": json_to_cel(doc["catalog"]), "now": now}

    def run(program: Any, activation: dict[str, Any]) -> bool | str:
        try:
            value = program.evaluate(activation)
        except Exception as error:  # CELEvalError, or a Python error from inside the runner
            return f"{type(error).__name__}: {str(error)[:300]}"
        return bool(value) if isinstance(value, celtypes.BoolType) else f"not a bool: {value!r}"[:300]

    def compile_check(check: Check) -> Any:
        try:
            return env.program(env.compile(check.cel), functions=functions)
        except Exception as error:
            if compiled and any(f"{name}(" in check.cel for name in functions):
                raise RuntimeError(
                    "custom functions are not supported in compiled mode (the transpiler writes them into"
                    f" generated Python as module.qualname, run in celpy.evaluation's globals): {error}"
                ) from error
            raise

    return Engine(
        "cel-python",
        compile_check,
        convert,
        run,
        lambda program, doc: run(program, convert(doc)),
    )


ENGINES: dict[str, Callable[[], Engine]] = {
    "python": _python_engine,
    "cel-expr-python": _cel_expr_python,
    "common-expression-language": _common_expression_language,
    "cel-python-interpreted": lambda: _cel_python(compiled=False),
    "cel-python-compiled": lambda: _cel_python(compiled=True),
}
