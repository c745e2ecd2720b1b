"""The one error type the generator raises for a spec it cannot turn into correct code."""


class SpecError(Exception):
    """A construct the generator does not support, or a spec that contradicts itself.

    The message always names where in the spec the problem is (schema and property).
    """
