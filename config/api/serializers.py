"""Serializer bases every app's API shares, so the OpenAPI schema and the validation agree:

    StrictSerializer, StrictModelSerializer   input: an unknown field is an error, and a value
                                              of the wrong JSON type is refused rather than
                                              coerced (0 is not false, 5 is not "5", money is a
                                              decimal string)
    OutputModelSerializer                     output: a model field that may be blank says so
                                              in the schema ("" beside a `uri`, `email` or enum)
    LocalTimeField                            a wall-clock time ("21:00"), documented as such
                                              (the schema's `time` format demands an offset)
"""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

LOCAL_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
# Serializer context key: the data comes from a query string (strings only, parsed by the
# fields), not from a JSON body.
QUERY_STRING = "query_string"


def _type_problem(field: serializers.Field, value: object) -> list[str] | dict | None:
    """Why `value` (decoded JSON) is not of the type `field`'s schema names, in DRF's error
    form (a list of messages, or per key or index for a map or list), or None. DRF would
    coerce it (0 → false, 5 → "5", "7" → 7, 12.5 → Decimal); the schema promises it will not.
    Dates, times and choices need no check here: DRF refuses what is not a string of theirs."""
    if value is None:
        return None  # allow_null decides
    if isinstance(field, serializers.BooleanField):
        ok = isinstance(value, bool)
    elif isinstance(field, serializers.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(field, serializers.DecimalField):
        if not isinstance(value, str):
            return ['Send a decimal string, e.g. "12.50" (a JSON number may lose digits).']
        ok = True
    elif isinstance(field, serializers.CharField):
        if isinstance(value, str) and field.max_length is not None and len(value) > field.max_length:
            # The schema's maxLength is of the string as sent: DRF would trim surrounding
            # spaces first and accept 121 characters that start with one.
            return [str(field.error_messages["max_length"]).format(max_length=field.max_length)]
        ok = isinstance(value, str)
    elif isinstance(field, serializers.ListField) and isinstance(value, list):
        problems = {index: problem for index, item in enumerate(value)
                    if (problem := _type_problem(field.child, item))}
        return problems or None
    elif isinstance(field, serializers.DictField) and isinstance(value, dict):
        problems = {key: problem for key, item in value.items()
                    if (problem := _type_problem(field.child, item))}
        return problems or None
    else:
        ok = True
    return None if ok else [str(field.error_messages["invalid"])]


class StrictSerializerMixin:
    """Unknown fields are an error, not silently dropped: a typo must not lose data. Values of
    the wrong JSON type are errors too, not coerced."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name: field for name, field in self.fields.items() if not field.read_only}
            errors: dict = {name: ["Unknown field."] for name in sorted(set(data) - set(writable))}
            typed = not self.context.get(QUERY_STRING)
            for name, field in writable.items():
                if typed and name in data and (problem := _type_problem(field, data[name])):
                    errors[name] = problem
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class BlankAwareMixin:
    """DRF drops `allow_blank` from read-only model fields, so the schema would promise a
    `uri`, an `email` or an enum value where the API sends "" for "not set". Kept, the schema
    documents "" (drf-spectacular adds it beside the format or the enum)."""

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        allow_blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank and "allow_blank" not in kwargs:
            kwargs["allow_blank"] = True
        return kwargs


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictSerializerMixin, BlankAwareMixin, serializers.ModelSerializer):
    pass


class OutputModelSerializer(BlankAwareMixin, serializers.ModelSerializer):
    pass


@extend_schema_field({"type": "string", "pattern": LOCAL_TIME.pattern, "example": "21:00"})
class LocalTimeField(serializers.TimeField):
    """A time of day on the wall clock, without an offset: `HH:MM` or `HH:MM:SS`. Output as
    `HH:MM:SS`."""

    default_error_messages = {"invalid": 'Use a time of day such as "21:00", without an offset.'}

    def to_internal_value(self, value):
        if not isinstance(value, str) or not LOCAL_TIME.match(value):
            self.fail("invalid")
        return super().to_internal_value(value)
