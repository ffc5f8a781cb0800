"""HCL expressions evaluated on python-hcl2's parse tree.

`values_of` turns a parsed body into the dicts `hcl2.loads` gives (same keys, same literals),
except that a value which is an expression is an `Expression`: the `${...}` text `loads` gives,
carrying the tree node it came from (and, in a `for_each` resource, what `each` is). `Evaluator`
evaluates such nodes: literals, strings and `${...}` templates, tuples and objects, references
(which the subclass resolves: `read.TerraformFiles`), the calls in `FUNCTIONS`, operators,
conditionals and `for` expressions. What is not known offline is `Unresolved`, with the reason.

python-hcl2 gives no tree inside a heredoc (its body is one token): a heredoc without `${` or
`%{` is its text, one with them is `Unresolved`. Template directives (`%{if}`, `%{for}`) and
splats (`[*]`, `.*`) are not evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hcl2.rules.base import AttributeRule, BlockRule, BodyRule
from hcl2.rules.containers import (
    ObjectElemKeyExpressionRule,
    ObjectElemKeyRule,
    ObjectRule,
    TupleRule,
)
from hcl2.rules.expressions import BinaryOpRule, ConditionalRule, ExprTermRule, UnaryOpRule
from hcl2.rules.for_expressions import ForObjectExprRule, ForTupleExprRule
from hcl2.rules.functions import FunctionCallRule
from hcl2.rules.indexing import (
    GetAttrExprTermRule,
    IndexExprTermRule,
    ShortIndexRule,
)
from hcl2.rules.literal_rules import FloatLitRule, IdentifierRule, IntLitRule, LiteralValueRule
from hcl2.rules.strings import (
    HeredocTemplateRule,
    InterpolationRule,
    StringRule,
    TemplateStringRule,
)
from hcl2.utils import SerializationContext, SerializationOptions, process_escape_sequences

#: What `hcl2.loads` is asked for: values, not source; no comments; blocks as plain dicts.
from labkit.terraform.values import (
    ARITHMETIC,
    COMPARISONS,
    FUNCTIONS,
    Failed,
    Reference,
    Unresolved,
    as_boolean,
    as_number,
    describe,
    to_string,
    whole,
)

OPTIONS = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
#: Reference depth at which evaluation stops (a local naming itself, ...).
MAX_DEPTH = 40


class Expression(str):
    """An HCL expression: the `${...}` text python-hcl2 serializes it to (so it compares equal
    to what `hcl2.loads` gives), with its parse-tree ``node`` and the names bound around it
    (``each`` in a `for_each` resource)."""

    node: Any
    scope: Mapping[str, Any]

    def __new__(cls, text: str, node: Any, scope: Mapping[str, Any] | None = None) -> Expression:
        expression = super().__new__(cls, text)
        expression.node = node
        expression.scope = dict(scope or {})
        return expression


@dataclass(frozen=True)
class Context:
    """How one evaluation goes: strict (unknown raises) or lenient (unknown stays `${...}`
    text), the names in scope, and how deep references have been followed."""

    strict: bool = True
    scope: Mapping[str, Any] = field(default_factory=dict)
    depth: int = 0

    def deeper(self, source: str, scope: Mapping[str, Any] | None = None) -> Context:
        if self.depth >= MAX_DEPTH:
            raise Unresolved(source, "references nest too deeply (a cycle?)")
        return replace(self, depth=self.depth + 1, scope=self.scope if scope is None else scope)

    def binding(self, names: Mapping[str, Any]) -> Context:
        return replace(self, scope={**self.scope, **names})


# --- From the tree to values --------------------------------------------------------------------

_LITERALS = (IntLitRule, FloatLitRule, LiteralValueRule)


def values_of(body: BodyRule) -> dict:
    """A body as `hcl2.loads` serializes it (blocks grouped by type, labels nested), with every
    non-literal value an `Expression`."""
    result: dict[str, Any] = {}
    for child in body.children:
        if isinstance(child, BlockRule):
            value: Any = values_of(child.body)
            for label in reversed(child.labels[1:]):
                value = {label.serialize(OPTIONS): value}
            result.setdefault(child.labels[0].serialize(OPTIONS), []).append(value)
        elif isinstance(child, AttributeRule):
            result[child.identifier.serialize(OPTIONS)] = _value(child.expression)
    return result


def _value(node: Any) -> Any:
    inner = _unwrap(node)
    if isinstance(inner, TupleRule):
        return [_value(element) for element in inner.elements]
    if isinstance(inner, ObjectRule):
        return {_key_text(e.key): _value(e.expression) for e in inner.elements}
    serialized = node.serialize(OPTIONS, SerializationContext())
    if isinstance(inner, _LITERALS) or _is_plain_string(inner) or _is_number(inner, serialized):
        return serialized
    return Expression(str(serialized), node)


def _unwrap(node: Any) -> Any:
    """The expression inside an `ExprTermRule` without parentheses."""
    while isinstance(node, ExprTermRule) and not node.parentheses:
        node = node.expression
    return node


def _is_plain_string(node: Any) -> bool:
    return isinstance(node, StringRule) and all(
        _token_name(part.content) == "STRING_CHARS" for part in node.string_parts
    )


def _is_number(node: Any, serialized: Any) -> bool:
    """`-3`: python-hcl2 reads a negative number as an operation, serialized as the number."""
    return isinstance(node, UnaryOpRule) and isinstance(serialized, (int, float))


def _token_name(content: Any) -> str | None:
    return content.lark_name() if hasattr(content, "value") else None


def _key_text(key: Any) -> str:
    return str(key.serialize(OPTIONS, SerializationContext()))


def source(node: Any) -> str:
    """The expression's HCL text, without the `${...}` around it."""
    return str(node.serialize(OPTIONS, SerializationContext(inside_dollar_string=True)))


def bind(value: Any, scope: Mapping[str, Any]) -> Any:
    """``value`` with ``scope`` bound in each of its expressions (a resource instance's body)."""
    if isinstance(value, Expression):
        return Expression(str(value), value.node, {**value.scope, **scope})
    if isinstance(value, dict):
        return {key: bind(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [bind(item, scope) for item in value]
    return value


def template(text: str) -> Expression:
    """Text written as an HCL quoted template (`"/${var.name}/app"`), parsed."""
    import hcl2

    try:
        (attribute,) = hcl2.parses(f'v = "{text}"', discard_comments=True).body.children
        return Expression(text, attribute.expression)
    except Exception as exc:  # lark raises several unrelated exception types
        raise Unresolved(text, "not an HCL template") from exc


# --- Evaluation ---------------------------------------------------------------------------------


class Evaluator:
    """Evaluates parse-tree nodes; `reference` (what a name like `var` or a resource type
    means) is the subclass's."""

    def reference(self, name: str, steps: list[Any], node: Any, context: Context) -> Any:
        """The value ``name`` and the leading ``steps`` it consumes name; the rest follow."""
        raise Unresolved(source(node), f"{name!r} is not known here")

    def evaluate(self, value: Any, strict: bool = True, _depth: int = 0) -> Any:
        """The value of a serialized HCL value: literals, expressions, templates, collections.

        With ``strict`` an unknown part raises `Unresolved`; otherwise it stays as `${...}` text.
        """
        return self.value(value, Context(strict=strict, depth=_depth))

    def value(self, value: Any, context: Context) -> Any:
        if isinstance(value, Expression):
            result = self.node(value.node, replace(context, scope=value.scope))
            if isinstance(result, Reference):
                raise Unresolved(str(value), "a whole resource, known only after `terraform apply`")
            return result
        if isinstance(value, dict):
            return {key: self.value(item, context) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item, context) for item in value]
        if isinstance(value, str) and "${" in value:
            return self.value(template(value), context)
        return value

    def node(self, node: Any, context: Context) -> Any:
        handler = self._handler(node)
        if context.strict or isinstance(node, (ExprTermRule, TupleRule, ObjectRule, StringRule)):
            return handler(node, context)
        try:
            return handler(node, context)
        except Unresolved:
            return "${" + source(node) + "}"

    def _handler(self, node: Any) -> Callable[[Any, Context], Any]:
        for kind, name in _HANDLERS:
            if isinstance(node, kind):
                return getattr(self, name)
        return self._not_evaluated

    def _term(self, node: ExprTermRule, context: Context) -> Any:
        return self.node(node.expression, context)

    def _literal(self, node: Any, context: Context) -> Any:
        if isinstance(node, IntLitRule):
            return int(node.token.value)
        if isinstance(node, FloatLitRule):
            return float(node.token.value)
        return node.serialize(OPTIONS, SerializationContext())  # true, false, null

    def _tuple(self, node: TupleRule, context: Context) -> list:
        return [self.node(element, context) for element in node.elements]

    def _not_evaluated(self, node: Any, context: Context) -> Any:
        kind = type(node).__name__.removesuffix("Rule")
        raise Unresolved(
            source(node), f"an expression ({kind}) that is only evaluated by Terraform"
        )

    # -- strings --

    def _string(self, node: StringRule, context: Context) -> Any:
        parts = [part.content for part in node.string_parts]
        if len(parts) == 1 and isinstance(parts[0], InterpolationRule):
            return self.node(parts[0].expression, context)  # "${x}" is x, of any type
        text = []
        for part in parts:
            name = _token_name(part)
            if name == "STRING_CHARS":
                text.append(process_escape_sequences(part.value))
            elif name in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                text.append(part.value[1:])  # $${ is a literal ${
            elif isinstance(part, InterpolationRule):
                text.append(to_string(self.node(part.expression, context), source(part)))
            else:
                raise Unresolved(source(node), "a template directive (%{...}) is not evaluated")
        return "".join(text)

    def _template_string(self, node: TemplateStringRule, context: Context) -> str:
        return node.inner_value

    def _heredoc(self, node: HeredocTemplateRule, context: Context) -> str:
        body = node.serialize(replace(OPTIONS, preserve_heredocs=False), SerializationContext())
        unescaped = body.replace("$${", "").replace("%%{", "")
        if "${" in unescaped or "%{" in unescaped:
            raise Unresolved(
                source(node), "python-hcl2 does not parse the templates inside a heredoc"
            )
        return body.replace("$${", "${").replace("%%{", "%{")

    def _object(self, node: ObjectRule, context: Context) -> dict:
        result = {}
        for element in node.elements:
            key = element.key
            if isinstance(key, ObjectElemKeyExpressionRule):
                name = to_string(self.node(key.expression, context), source(key))
            elif isinstance(key, ObjectElemKeyRule) and isinstance(key.value, StringRule):
                name = to_string(self.node(key.value, context), source(key))
            else:  # a bare name or a number is the key itself
                name = _key_text(key)
            result[name] = self.node(element.expression, context)
        return result

    # -- references --

    def _traversal(self, node: Any, context: Context) -> Any:
        root, steps = steps_of(node)
        if isinstance(root, IdentifierRule):
            name = root.serialize(OPTIONS)
            if name in context.scope:
                value = context.scope[name]
            else:
                value, steps = self.reference(name, steps, node, context)
        else:
            value = self.node(root, context)
        for step in steps:
            value = self.step(value, step, node, context)
        return value

    def step(self, value: Any, step: Any, node: Any, context: Context) -> Any:
        """``value.name`` (a str step) or ``value[index]`` (an index node)."""
        key = step if isinstance(step, str) else self.index(step, context)
        if isinstance(value, Reference):
            return value.get(key, context)
        try:
            if isinstance(value, list):
                return value[int(key)]
            return value[key]
        except (KeyError, IndexError, TypeError, ValueError):
            raise Failed(source(node), f"{key!r} is not in {describe(value)}") from None

    def index(self, step: Any, context: Context) -> Any:
        if isinstance(step, ShortIndexRule):
            return int(step.index.value)
        return self.node(step.index_expression, context)

    def step_name(self, step: Any, context: Context) -> str:
        """A step as a key: an attribute's name, or the index's value as text."""
        return step if isinstance(step, str) else to_string(self.index(step, context), "[...]")

    # -- functions and operators --

    def _call(self, node: FunctionCallRule, context: Context) -> Any:
        name = "::".join(identifier.serialize(OPTIONS) for identifier in node.identifiers)
        if name in ("try", "can"):
            return self._try(name, node, context)
        function = FUNCTIONS.get(name)
        if function is None:
            raise Unresolved(source(node), f"the function {name}() is not evaluated")
        arguments = node.arguments
        values = [self.node(a, context) for a in (arguments.arguments if arguments else [])]
        if arguments and arguments.has_ellipsis:
            values = values[:-1] + list(values[-1])
        try:
            return function(*values)
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise Failed(source(node), f"{name}(): {exc}") from None

    def _try(self, name: str, node: FunctionCallRule, context: Context) -> Any:
        """`try(a, b, ...)`: the first argument that evaluates; `can(a)`: whether it does.
        Offline, an argument that is not known cannot be told from one that fails, so it is
        the call that is not known."""
        arguments = node.arguments.arguments if node.arguments else []
        for argument in arguments:
            try:
                value = self.node(argument, replace(context, strict=True))
            except Unresolved as exc:
                if not isinstance(exc, Failed):
                    raise
                continue
            return True if name == "can" else value
        if name == "can":
            return False
        raise Failed(source(node), "no argument of try() can be evaluated")

    def _conditional(self, node: ConditionalRule, context: Context) -> Any:
        condition = as_boolean(self.node(node.condition, context), source(node.condition))
        return self.node(node.if_true if condition else node.if_false, context)

    def _binary(self, node: BinaryOpRule, context: Context) -> Any:
        left = self.node(node.expr_term, context)
        symbol = str(node.binary_term.binary_operator.token.value).strip()
        right = self.node(node.binary_term.expr_term, context)
        where = source(node)
        if symbol in ("==", "!="):
            return (left == right) == (symbol == "==")
        if symbol in ("&&", "||"):
            left, right = as_boolean(left, where), as_boolean(right, where)
            return (left and right) if symbol == "&&" else (left or right)
        left, right = as_number(left, where), as_number(right, where)
        if symbol in COMPARISONS:
            return COMPARISONS[symbol](left, right)
        if symbol in ("/", "%") and right == 0:
            raise Failed(where, "division by zero")
        return whole(ARITHMETIC[symbol](left, right))

    def _unary(self, node: UnaryOpRule, context: Context) -> Any:
        operand = self.node(node.expr_term, context)
        if node.operator.strip() == "!":
            return not as_boolean(operand, source(node))
        return -as_number(operand, source(node))

    def _for(self, node: ForTupleExprRule | ForObjectExprRule, context: Context) -> Any:
        intro = node.for_intro
        collection = self.node(intro.iterable, context)
        if isinstance(collection, dict):
            pairs = list(collection.items())
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            raise Failed(source(intro.iterable), f"cannot iterate over {describe(collection)}")
        first = intro.first_iterator.serialize(OPTIONS)
        second = intro.second_iterator.serialize(OPTIONS) if intro.second_iterator else None
        objects = isinstance(node, ForObjectExprRule)
        result: Any = {} if objects else []
        for key, item in pairs:
            inner = context.binding({first: key, second: item} if second else {first: item})
            if node.condition and not as_boolean(
                self.node(node.condition.condition_expr, inner), source(node.condition)
            ):
                continue
            if not objects:
                result.append(self.node(node.value_expr, inner))
                continue
            name = to_string(self.node(node.key_expr, inner), source(node.key_expr))
            value = self.node(node.value_expr, inner)
            if node.ellipsis:
                result.setdefault(name, []).append(value)
            elif name in result:
                raise Failed(source(node), f"two elements with the key {name!r}")
            else:
                result[name] = value
        return result


#: Which method evaluates which kind of node (a kind not listed is `_not_evaluated`).
_HANDLERS: tuple[tuple[Any, str], ...] = (
    (ExprTermRule, "_term"),
    (_LITERALS, "_literal"),
    (StringRule, "_string"),
    (TemplateStringRule, "_template_string"),
    (HeredocTemplateRule, "_heredoc"),
    (TupleRule, "_tuple"),
    (ObjectRule, "_object"),
    ((IdentifierRule, GetAttrExprTermRule, IndexExprTermRule), "_traversal"),
    (FunctionCallRule, "_call"),
    (ConditionalRule, "_conditional"),
    (BinaryOpRule, "_binary"),
    (UnaryOpRule, "_unary"),
    ((ForTupleExprRule, ForObjectExprRule), "_for"),
)


def steps_of(node: Any) -> tuple[Any, list[Any]]:
    """`a.b[c].d` (or `"${a.b[c].d}"`) as its root node (`a`) and its steps: names, and
    index nodes."""
    steps: list[Any] = []
    node = _unwrap(node)
    parts = node.string_parts if isinstance(node, StringRule) else []
    if len(parts) == 1 and isinstance(parts[0].content, InterpolationRule):
        node = _unwrap(parts[0].content.expression)
    while isinstance(node, (GetAttrExprTermRule, IndexExprTermRule)):
        if isinstance(node, GetAttrExprTermRule):
            steps.append(node.get_attr.identifier.serialize(OPTIONS))
            node = _unwrap(node.expr_term)
        else:
            steps.append(node.children[1])
            node = _unwrap(node.children[0])
    return node, steps[::-1]
