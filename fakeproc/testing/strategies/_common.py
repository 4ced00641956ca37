"""The strategy registry and the argument checks every strategy module shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from fakeproc.errors import ProfileError
from fakeproc.profiles import Profile, load_profile
from fakeproc.spec import NamespaceType

__all__ = [
    "FORMS",
    "STRATEGIES",
    "check_form",
    "check_namespaces",
    "check_sizes",
    "check_type",
    "defines_strategy",
    "resolve_profile",
]

T = TypeVar("T")

#: Every public strategy, by name (drives the bad-argument test, like Hypothesis's ``_all_strategies``).
STRATEGIES: dict[str, Callable[..., SearchStrategy[Any]]] = {}


def defines_strategy(fn: Callable[..., SearchStrategy[T]]) -> Callable[..., SearchStrategy[T]]:
    STRATEGIES[fn.__name__] = fn
    return fn


# ----------------------------------------------------------------------------- argument checks


def check_type(expected: type | tuple[type, ...], value: object, name: str) -> None:
    if not isinstance(value, expected):
        names = expected.__name__ if isinstance(expected, type) else " or ".join(t.__name__ for t in expected)
        raise InvalidArgument(f"Expected {names} for {name}, got {name}={value!r} ({type(value).__name__})")


def check_sizes(min_size: int, max_size: int | None, *, min_name: str = "min_size",
                 max_name: str = "max_size") -> None:
    check_type(int, min_size, min_name)
    if isinstance(min_size, bool) or min_size < 0:
        raise InvalidArgument(f"{min_name}={min_size!r} must be a non-negative int")
    if max_size is not None:
        check_type(int, max_size, max_name)
        if max_size < min_size:
            raise InvalidArgument(f"Cannot have {max_name}={max_size!r} < {min_name}={min_size!r}")


def resolve_profile(profile: str | Profile | None) -> Profile:
    if profile is not None and not isinstance(profile, (str, Profile)):
        raise InvalidArgument(f"profile={profile!r} must be a profile name, a Profile or None")
    try:
        return profile if isinstance(profile, Profile) else load_profile(profile)
    except ProfileError as e:
        raise InvalidArgument(f"profile={profile!r}: {e}") from None


def check_namespaces(namespace: object) -> frozenset[NamespaceType] | None:
    if namespace is None:
        return None
    items = [namespace] if isinstance(namespace, (str, NamespaceType)) else namespace
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise InvalidArgument(f"namespace={namespace!r} must be a NamespaceType, a name like 'net', a sequence "
                              "of those, or None")
    out = set()
    for item in items:
        try:
            out.add(item if isinstance(item, NamespaceType) else NamespaceType(item))
        except ValueError:
            known = ", ".join(t.value for t in NamespaceType)
            raise InvalidArgument(f"namespace={namespace!r}: unknown namespace type {item!r} (known: {known})") from None
    if not out:
        raise InvalidArgument(f"namespace={namespace!r} is empty; use None for every namespace type")
    return frozenset(out)


FORMS = ("dotted", "slash", "any")


def check_form(form: object) -> str:
    if form not in FORMS:
        raise InvalidArgument(f"form={form!r} must be one of {', '.join(map(repr, FORMS))}")
    return str(form)

