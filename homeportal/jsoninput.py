"""JSON that comes from outside (the board editor, an imported file, a widget's options): read
with limits, then checked against the shape the caller expects, before anything looks inside.

- size: at most `max_bytes` (UTF-8), refused before parsing;
- nesting: at most `max_depth` levels of arrays and objects, found by a linear scan of the
  text *before* `json.loads` runs (whose C scanner recurses once per level and raises
  RecursionError around a thousand levels deep);
- text: no string, key or value, may hold a NUL or an unpaired surrogate (homeportal.text);
- numbers: no NaN or Infinity, no integer longer than Python reads;
- shape: a small strict schema (`Obj`, `List`, `Str`, `Int`, `Bool`, `Null`, `AnyOf`,
  `JSONValue`): wrong types, unknown keys and missing keys are refused, every problem named by
  its place in the document (`sections[2].items[0].id: expected a whole number, got a list`).

Every refusal is a `JSONInputError` whose `messages` can be shown to the person who sent it.
"""

import json
import re
from itertools import accumulate

from django.utils.translation import gettext as _

from homeportal.text import text_problem

DEFAULT_MAX_DEPTH = 16

# Strings, matched so that the match can never fail: it runs to the closing quote or to the
# end of the text. Linear whatever the text (no backtracking), so hostile input such as
# `"\"\"\"…` costs one pass.
_STRING = re.compile(r'"(?:[^"\\]+|\\.?)*(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}


class JSONInputError(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text`, brackets inside strings not counted."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def _refuse_constant(name: str):
    raise ValueError(name)


def loads(raw, *, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH, shape=None):
    """The JSON document in `raw` (str or UTF-8 bytes), checked; JSONInputError otherwise."""
    if isinstance(raw, bytes | bytearray):
        if len(raw) > max_bytes:
            raise JSONInputError([_too_large(max_bytes)])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise JSONInputError([_("This is not JSON: the text is not UTF-8.")]) from None
    else:
        text = raw
        if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            raise JSONInputError([_too_large(max_bytes)])
    if nesting_depth(text) > max_depth:
        raise JSONInputError(
            [_("The JSON nests deeper than %(n)s levels of lists and objects.") % {"n": max_depth}]
        )
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        position = getattr(error, "pos", None)
        if position is not None:
            raise JSONInputError(
                [_("This is not JSON (at character %(n)s).") % {"n": position + 1}]
            ) from None
        raise JSONInputError([_("This is not JSON.")]) from None
    errors: list[str] = []
    _check_text(data, "", errors)
    if errors:
        raise JSONInputError(errors[:20])
    if shape is not None:
        check(data, shape)
    return data


def _too_large(max_bytes: int) -> str:
    size = f"{max_bytes / 1024 / 1024:g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
    return _("The JSON is larger than %(size)s.") % {"size": size}


def _where(path: str) -> str:
    return path or _("the document")


def _check_text(value, path: str, errors: list[str]) -> None:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            errors.append(f"{_where(path)}: {problem}")
    elif isinstance(value, list):
        for index, element in enumerate(value):
            _check_text(element, f"{path}[{index}]", errors)
    elif isinstance(value, dict):
        for key, element in value.items():
            problem = text_problem(key)
            if problem is not None:
                errors.append(_("%(where)s: a key %(problem)s") % {"where": _where(path),
                                                                   "problem": problem})  # fmt: skip
                continue
            _check_text(element, f"{path}.{key}" if path else key, errors)


# --- Shapes ------------------------------------------------------------------------------------


def _type_name(value) -> str:
    if value is None:
        return _("null")
    if isinstance(value, bool):
        return _("true or false")
    if isinstance(value, int):
        return _("a whole number")
    if isinstance(value, float):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    return _("an object")


class Shape:
    @property
    def expected(self) -> str:
        return ""

    def check(self, value, path: str, errors: list[str]) -> None:
        raise NotImplementedError

    def mismatch(self, value, path: str, errors: list[str]) -> None:
        errors.append(
            _("%(where)s: expected %(expected)s, got %(got)s")
            % {"where": _where(path), "expected": self.expected, "got": _type_name(value)}
        )


class JSONValue(Shape):
    """Anything JSON can say (its text and depth are checked by `loads` already)."""

    def check(self, value, path, errors):
        return


class Null(Shape):
    @property
    def expected(self):
        return _("null")

    def check(self, value, path, errors):
        if value is not None:
            self.mismatch(value, path, errors)


class Bool(Shape):
    @property
    def expected(self):
        return _("true or false")

    def check(self, value, path, errors):
        if not isinstance(value, bool):
            self.mismatch(value, path, errors)


class Int(Shape):
    def __init__(self, minimum: int | None = None, maximum: int | None = None):
        self.minimum, self.maximum = minimum, maximum

    @property
    def expected(self):
        return _("a whole number")

    def check(self, value, path, errors):
        if not isinstance(value, int) or isinstance(value, bool):
            self.mismatch(value, path, errors)
        elif (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            errors.append(
                _("%(where)s: %(value)s is not between %(a)s and %(b)s")
                % {"where": _where(path), "value": value, "a": self.minimum, "b": self.maximum}
            )


class Str(Shape):
    def __init__(self, max_length: int | None = None):
        self.max_length = max_length

    @property
    def expected(self):
        return _("text")

    def check(self, value, path, errors):
        if not isinstance(value, str):
            self.mismatch(value, path, errors)
        elif self.max_length is not None and len(value) > self.max_length:
            errors.append(
                _("%(where)s: longer than %(n)s characters")
                % {"where": _where(path), "n": self.max_length}
            )


class List(Shape):
    def __init__(self, items: Shape, *, max_items: int | None = None, length: int | None = None):
        self.items, self.max_items, self.length = items, max_items, length

    @property
    def expected(self):
        if self.length is not None:
            return _("a list of %(n)s") % {"n": self.length}
        return _("a list")

    def check(self, value, path, errors):
        if not isinstance(value, list) or (self.length is not None and len(value) != self.length):
            self.mismatch(value, path, errors)
            return
        if self.max_items is not None and len(value) > self.max_items:
            errors.append(
                _("%(where)s: more than %(n)s entries")
                % {"where": _where(path), "n": self.max_items}
            )
            return
        for index, element in enumerate(value):
            self.items.check(element, f"{path}[{index}]", errors)


class Obj(Shape):
    """An object with these keys (all optional unless listed in `required`); any other key is
    refused unless `other` gives the shape of their values (then at most `max_keys` of them)."""

    def __init__(
        self,
        fields: dict[str, Shape] | None = None,
        *,
        required: tuple[str, ...] = (),
        other: Shape | None = None,
        max_keys: int = 200,
    ):
        self.fields, self.required, self.other, self.max_keys = (
            fields or {}, required, other, max_keys,
        )  # fmt: skip

    @property
    def expected(self):
        return _("an object")

    def check(self, value, path, errors):
        if not isinstance(value, dict):
            self.mismatch(value, path, errors)
            return
        if len(value) > self.max_keys:
            errors.append(
                _("%(where)s: more than %(n)s keys") % {"where": _where(path), "n": self.max_keys}
            )
            return
        for key in self.required:
            if key not in value:
                errors.append(
                    _("%(where)s: “%(key)s” is missing") % {"where": _where(path), "key": key}
                )
        for key, element in value.items():
            where = f"{path}.{key}" if path else key
            shape = self.fields.get(key, self.other)
            if shape is None:
                errors.append(_("%(where)s: unknown key") % {"where": where})
            else:
                shape.check(element, where, errors)


class AnyOf(Shape):
    def __init__(self, *shapes: Shape):
        self.shapes = shapes

    @property
    def expected(self):
        return _(" or ").join(str(shape.expected) for shape in self.shapes)

    def check(self, value, path, errors):
        for shape in self.shapes:
            attempt: list[str] = []
            shape.check(value, path, attempt)
            if not attempt:
                return
        if len(self.shapes) and all(
            not isinstance(s, Obj | List) or not isinstance(value, dict | list) for s in self.shapes
        ):
            self.mismatch(value, path, errors)
            return
        # The value has the container type of one alternative: say what is wrong inside it.
        for shape in self.shapes:
            if isinstance(shape, Obj) and isinstance(value, dict):
                shape.check(value, path, errors)
                return
            if isinstance(shape, List) and isinstance(value, list):
                shape.check(value, path, errors)
                return
        self.mismatch(value, path, errors)


def check(data, shape: Shape) -> None:
    """Raises JSONInputError naming every place where `data` does not have `shape`."""
    errors: list[str] = []
    shape.check(data, "", errors)
    if errors:
        raise JSONInputError(errors[:20])
