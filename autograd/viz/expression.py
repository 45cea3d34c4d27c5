"""A safe little calculator: an arithmetic expression over named numbers, built out of `Value`s.

The text is parsed by Python's `ast` and then only an allow-list is accepted: numbers, the given
names, the constants pi and e (unless a variable takes the name), + - * / **, unary minus, and
Value's functions, called by name (`tanh(x)`, `atan2(y, x)`) or as micrograd's methods
(`(x*w + b).tanh()`, `y.atan2(x)`). Nothing is ever passed to `eval`; attribute access, other
calls, comprehensions, lambdas and the like are refused with one clear message. Size is bounded
(length, number of AST nodes, exponents), so no input can hang it.

>>> out = build("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.8813735870195432})
>>> round(out.data, 4)
0.7071
>>> build("(x*w + b).tanh()", {"x": 2.0, "w": -3.0, "b": 6.8813735870195432}).data == out.data
True
>>> round(build("sin(pi*x) + e", {"x": 0.5}).data, 4)       # pi and e are numbers, not inputs
3.7183
"""

from __future__ import annotations

import ast
import math
from typing import Callable

from ..value import Value

MAX_LENGTH = 1000           # characters of expression text
MAX_NODES = 500             # AST nodes: a bound on the graph it builds
MAX_EXPONENT = 1000.0       # |c| in x ** c; larger powers overflow or vanish anyway

#: the functions an expression may call: Value's methods of the same name
FUNCTIONS: dict[str, Callable[..., Value]] = {name: getattr(Value, name) for name in (
    "tanh", "exp", "log", "sqrt", "relu", "sigmoid", "abs", "sin", "cos", "tan", "asin", "acos",
    "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "hypot", "erf", "erfc", "log1p",
    "expm1")}
#: names an expression may use without giving a value: numbers, not variables (a variable of the
#: same name, e=2.0, takes their place)
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
#: how many numbers each takes: one, but two for these (atan2(y, x) is y.atan2(x))
TWO_ARGUMENTS = {"atan2": "y, x", "hypot": "x, y"}

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a ** b,
}

# what to call a refused construct in the error message (others are named by their AST class)
_REFUSED = {
    ast.Attribute: "attribute access (.)", ast.Subscript: "indexing ([])",
    ast.Lambda: "lambda", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.IfExp: "if/else",
    ast.JoinedStr: "f-strings", ast.NamedExpr: "assignment (:=)", ast.Starred: "* unpacking",
    ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
    ast.FloorDiv: "the // operator", ast.Mod: "the % operator", ast.MatMult: "the @ operator",
    ast.BitAnd: "bitwise operators", ast.BitOr: "bitwise operators",
    ast.BitXor: "^, Python's bitwise xor (a power is x**2)", ast.LShift: "bitwise operators",
    ast.RShift: "bitwise operators", ast.Invert: "bitwise operators", ast.Not: "not",
}


class ExpressionError(ValueError):
    """The expression cannot be built: the message says why, in one line."""


def build(text: str, variables: dict[str, float]) -> Value:
    """The `Value` that `text` computes, each name being a leaf Value labelled with its name."""
    tree = parse(text, set(variables))
    leaves = {name: Value(float(value), label=name) for name, value in variables.items()}
    return evaluate(tree, leaves)


def variables_used(tree: ast.Expression) -> set[str]:
    """The names an expression reads as numbers (not the functions it calls)."""
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and id(node) not in called}


def parse(text: str, names: set[str]) -> ast.Expression:
    """Parse and check `text`: returns its AST if every part of it is allowed."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected the expression as a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit is "
                              f"{MAX_LENGTH}")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"syntax error{where}: {error.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression is nested too deeply") from None
    count = 0
    function_names: set[int] = set()                    # the `tanh` of tanh(x): not a variable
    for node in ast.walk(tree):                          # breadth-first: a call before its name
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"the expression has more than {MAX_NODES} parts")
        if id(node) not in function_names:
            _check(node, names)
        if isinstance(node, ast.Call):
            function_names.add(id(node.func))
    return tree


def _check(node: ast.AST, names: set[str]) -> None:
    if isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Load, ast.USub, ast.UAdd)):
        return
    if type(node) in _BINARY:
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, got {node.value!r:.40}")
        return
    if isinstance(node, ast.Name):
        if node.id not in names and node.id not in CONSTANTS:
            hint = (f"'{node.id}' is a function: call it, {node.id}(x)" if node.id in FUNCTIONS
                    else f"give it a value, e.g. {node.id}=1.0")
            raise ExpressionError(f"unknown name '{node.id}' ({hint})")
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        name = node.func.attr                            # micrograd's form: (x*w + b).tanh()
        if name not in FUNCTIONS:
            raise ExpressionError(f"'.{name}()' is not an allowed method; the functions are "
                                  f"{', '.join(sorted(FUNCTIONS))}")
        if name in TWO_ARGUMENTS:
            if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                first, second = TWO_ARGUMENTS[name].split(", ")
                raise ExpressionError(f".{name}() takes one argument, like {first}.{name}"
                                      f"({second}) for {name}({first}, {second})")
        elif node.args or node.keywords:
            raise ExpressionError(f".{name}() takes no argument, like (x*w).{name}()")
        return
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            if name is None:
                raise ExpressionError(f"only these functions can be called, by name: {allowed}")
            raise ExpressionError(f"'{name}' is not an allowed function; the functions are "
                                  f"{allowed}")
        example = TWO_ARGUMENTS.get(name, "x")
        count = example.count(",") + 1
        if (node.keywords or len(node.args) != count
                or any(isinstance(argument, ast.Starred) for argument in node.args)):
            how_many = "one argument" if count == 1 else "two arguments"
            raise ExpressionError(f"{name}() takes exactly {how_many}, like {name}({example})")
        return
    if isinstance(node, ast.keyword):
        return                                           # reported by the Call above
    if isinstance(node, ast.Attribute) and node.attr in FUNCTIONS:     # (x*w).tanh, no ()
        raise ExpressionError(f"'.{node.attr}' is a method: call it, (x).{node.attr}()")
    if isinstance(node, ast.Attribute) and node.attr in ("data", "grad"):   # micrograd's x.data
        raise ExpressionError(f"'.{node.attr}' is not needed: the expression computes with "
                              f"the numbers given (write x, not x.{node.attr})")
    what = _REFUSED.get(type(node), type(node).__name__)
    raise ExpressionError(f"not allowed in an expression: {what}")


def evaluate(tree: ast.Expression, leaves: dict[str, Value]) -> Value:
    """Compute a checked AST with Values: an iterative post-order walk (no recursion)."""
    results: dict[int, Value | float] = {}               # id(ast node) → its value
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, children_done = stack.pop()
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in _operands(node))
            continue
        results[id(node)] = _apply(node, results, leaves)
    out = results[id(tree.body)]
    return out if isinstance(out, Value) else Value(out, requires_grad=False)


def _operands(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return _arguments(node)
    return []


def _arguments(call: ast.Call) -> list[ast.AST]:
    """What a function is applied to: tanh(x) or, micrograd's way, x.tanh() (and atan2(y, x)
    or y.atan2(x))."""
    if isinstance(call.func, ast.Attribute):
        return [call.func.value, *call.args]
    return call.args


def _apply(node: ast.AST, results: dict, leaves: dict[str, Value]) -> Value | float:
    if isinstance(node, ast.Constant):
        # a float, even for an int literal: Python's ints never overflow, so 9**9**9 would
        # build an integer of 370 million digits; as floats its exponent is refused at once
        try:
            return float(node.value)
        except OverflowError:                            # a literal beyond 1.8e308
            raise ExpressionError(f"the number {str(node.value)[:6]}… is too large") from None
    if isinstance(node, ast.Name):
        return leaves[node.id] if node.id in leaves else CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp):
        x = results[id(node.operand)]
        return -x if isinstance(node.op, ast.USub) else x
    if isinstance(node, ast.Call):
        x, *rest = [results[id(argument)] for argument in _arguments(node)]
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        if not isinstance(x, Value):
            x = Value(x, requires_grad=False)
        try:
            return FUNCTIONS[name](x, *rest)
        except (ValueError, ArithmeticError) as error:
            message = str(error)
            raise ExpressionError(message if message.startswith(name)
                                  else f"{name}: {message}") from None
    a, b = results[id(node.left)], results[id(node.right)]
    if isinstance(node.op, ast.Pow) and not isinstance(b, Value) and abs(b) > MAX_EXPONENT:
        raise ExpressionError(f"the exponent {b:g} is too large (the limit is "
                              f"{MAX_EXPONENT:g})")
    try:
        out = _BINARY[type(node.op)](a, b)
    except ZeroDivisionError as error:       # the engine's own message says which power
        message = str(error)
        raise ExpressionError(message if message.startswith("pow:") else "division by zero"
                              ) from None
    except OverflowError:
        raise ExpressionError("a number grew too large (overflow)") from None
    except ValueError as error:
        raise ExpressionError(str(error)) from None
    if isinstance(out, complex) or (isinstance(out, float) and not math.isfinite(out)):
        raise ExpressionError(f"the expression gives {out}, not a finite real number")
    return out
