"""Forms rendered from a plugin's marshmallow settings schema.

A target declares ``settings_schema``; the settings page shows one input per schema field and
validates the submitted form with that same schema, so errors appear next to the field they
belong to. Field metadata a plugin may set (all optional):

* ``label`` or ``title`` — what the shop owner reads (default: the field name, humanised);
* ``description`` — a help line under the input;
* ``secret`` — render as a password input and never echo the stored value;
* ``placeholder`` — example value shown in the empty input.

Structured fields (``Dict``, ``List``, ``Nested``) are not rendered here: a dedicated page edits
them (the QuickBooks income-account mapping), and the stored value is kept on save.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError, fields, missing, validate

_SECRET_WORDS = ("password", "secret", "api_key", "token")


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a select input."""

    value: str
    label: str


@dataclass(slots=True)
class FormField:
    """One input of a schema-driven form, ready for the ``form_field`` template macro."""

    name: str
    label: str
    input_type: str
    required: bool = False
    description: str = ""
    placeholder: str = ""
    choices: list[Choice] = field(default_factory=list)
    value: str = ""
    checked: bool = False
    errors: list[str] = field(default_factory=list)
    optional_with_default: bool = False
    """Not required and has a default: shown under "More settings"."""

    @property
    def described_by(self) -> str:
        """Ids of the help line and error message, for ``aria-describedby``."""
        ids = [f"help-{self.name}"] if self.description else []
        if self.errors:
            ids.append(f"err-{self.name}")
        return " ".join(ids)


@dataclass(slots=True)
class SchemaForm:
    """The inputs of a schema plus, after :meth:`validate`, the loaded data or the errors."""

    schema_class: type[Schema]
    fields: list[FormField]
    data: dict[str, Any] = field(default_factory=dict)
    form_errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        """True when any field (or the form as a whole) has an error."""
        return bool(self.form_errors) or any(f.errors for f in self.fields)

    def validate(self, formdata: Mapping[str, str], current: Mapping[str, Any] | None = None) -> bool:
        """Load *formdata* through the schema; on failure attach each message to its field.

        *current* is the stored settings: structured fields keep their stored value, and a
        secret input left empty keeps the stored secret (it is never shown, so it cannot be
        re-typed every time).
        """
        current = current or {}
        schema = self.schema_class()
        raw = _raw_values(schema, formdata)
        secrets = {f.name for f in self.fields if f.input_type == "password"}
        rendered = {f.name for f in self.fields}
        # Not on the form (a mapping edited elsewhere, a key the schema derived such as a hash):
        # hand the stored value back so the schema sees the whole settings.
        for key, value in current.items():
            if key not in rendered and key not in raw:
                raw[key] = value
        partial: list[str] = []
        if current:
            for name in secrets:
                if raw.get(name):
                    continue
                raw.pop(name, None)
                if current.get(name):
                    raw[name] = current[name]
                else:
                    partial.append(name)
        self.fill(raw)
        try:
            self.data = schema.load(raw, partial=tuple(partial) or False)
        except ValidationError as exc:
            self.attach_errors(_as_field_errors(exc.messages))
            return False
        return True

    def fill(self, values: Mapping[str, Any]) -> None:
        """Show *values* in the inputs (secrets are never echoed back)."""
        for form_field in self.fields:
            if form_field.name not in values or form_field.input_type == "password":
                continue
            value = values[form_field.name]
            if form_field.input_type == "checkbox":
                form_field.checked = bool(value)
            else:
                form_field.value = "" if value is None else str(value)

    def attach_errors(self, errors: Mapping[str, list[str]]) -> None:
        """Put messages from a ``{field: [messages]}`` map next to their fields; messages for
        unknown names (or ``_schema``) go to the top of the form."""
        by_name = {f.name: f for f in self.fields}
        for name, messages in errors.items():
            target = by_name.get(name)
            if target is None:
                self.form_errors.extend(messages)
            else:
                target.errors.extend(messages)


def build_form(schema_class: type[Schema], initial: Mapping[str, Any] | None = None) -> SchemaForm:
    """A :class:`SchemaForm` with one input per loadable field of *schema_class*."""
    schema = schema_class()
    form_fields = [
        _form_field(name, schema_field)
        for name, schema_field in schema.load_fields.items()
        if not is_structured(schema_field)
    ]
    form = SchemaForm(schema_class=schema_class, fields=form_fields)
    defaults = {
        f.data_key or name: f.load_default
        for name, f in schema.load_fields.items()
        if not callable(f.load_default) and f.load_default is not missing
    }
    form.fill({**defaults, **(initial or {})})
    return form


def is_structured(schema_field: fields.Field) -> bool:
    """True for fields a flat HTML form cannot edit (mappings, lists, nested schemas)."""
    return isinstance(schema_field, fields.Dict | fields.List | fields.Nested | fields.Tuple)


_ACRONYMS = {"api": "API", "url": "URL", "id": "ID", "qbo": "QBO", "csv": "CSV", "oauth": "OAuth"}
#: marshmallow's wording, and what a shop owner reads instead.
_PLAIN_MESSAGES = {
    "Missing data for required field.": "This is required.",
    "Field may not be null.": "This is required.",
    "Not a valid string.": "Enter text here.",
    "Not a valid integer.": "Enter a whole number.",
    "Not a valid number.": "Enter a number.",
}


def _humanise(name: str) -> str:
    words = name.replace("_", " ").strip().split()
    if not words:
        return name
    shown = [_ACRONYMS.get(w.lower(), w) for w in words]
    first = shown[0]
    shown[0] = first if first.isupper() else first.capitalize()
    return " ".join(shown)


def plain_message(message: str) -> str:
    """marshmallow's generic messages in words a shop owner reads."""
    return _PLAIN_MESSAGES.get(message, message)


def _input_type(name: str, schema_field: fields.Field) -> str:
    meta = schema_field.metadata
    secret_name = any(word in name.lower() for word in _SECRET_WORDS)
    if meta.get("secret") or meta.get("widget") == "password" or secret_name:
        return "password"
    if _one_of(schema_field) is not None or isinstance(schema_field, fields.Enum):
        return "select"
    if isinstance(schema_field, fields.Boolean):
        return "checkbox"
    if isinstance(schema_field, fields.Integer | fields.Decimal | fields.Float):
        return "number"
    if isinstance(schema_field, fields.Date):
        return "date"
    if isinstance(schema_field, fields.Email):
        return "email"
    if isinstance(schema_field, fields.Url):
        return "url"
    return "text"


def _one_of(schema_field: fields.Field) -> validate.OneOf | None:
    validators = schema_field.validators or []
    return next((v for v in validators if isinstance(v, validate.OneOf)), None)


def _choices(schema_field: fields.Field) -> list[Choice]:
    one_of = _one_of(schema_field)
    if one_of is not None:
        labels = list(one_of.labels) if one_of.labels else []
        return [
            Choice(str(value), str(labels[i]) if i < len(labels) and labels[i] else str(value))
            for i, value in enumerate(one_of.choices)
        ]
    if isinstance(schema_field, fields.Enum):
        return [Choice(str(m.value), _humanise(m.name.lower())) for m in schema_field.enum]
    return []


def _form_field(name: str, schema_field: fields.Field) -> FormField:
    key = schema_field.data_key or name
    meta = schema_field.metadata
    return FormField(
        name=key,
        label=str(meta.get("label") or meta.get("title") or _humanise(key)),
        input_type=_input_type(key, schema_field),
        required=bool(schema_field.required),
        description=str(meta.get("description") or ""),
        placeholder=str(meta.get("placeholder") or ""),
        choices=_choices(schema_field),
        optional_with_default=not schema_field.required and schema_field.load_default is not missing,
    )


def _raw_values(schema: Schema, formdata: Mapping[str, str]) -> dict[str, Any]:
    """The submitted values the schema should see: checkboxes become booleans and an empty
    input is left out, so the schema's default applies (or it reports the field missing)."""
    raw: dict[str, Any] = {}
    for name, schema_field in schema.load_fields.items():
        key = schema_field.data_key or name
        if isinstance(schema_field, fields.Boolean):
            raw[key] = key in formdata and formdata.get(key) not in ("", "0", "false", "off")
            continue
        value = formdata.get(key) or ""
        # A tab is a real choice (a delimiter); only free-text inputs are trimmed.
        if _one_of(schema_field) is None:
            value = value.strip()
        if value == "":
            continue
        raw[key] = value
    return raw


def _as_field_errors(messages: Any) -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages into ``{field: [message, ...]}``."""
    if isinstance(messages, list):
        return {"_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for name, value in dict(messages).items():
        if isinstance(value, dict):
            for sub, sub_messages in _as_field_errors(value).items():
                flat.setdefault(str(name), []).extend(f"{sub}: {m}" for m in sub_messages)
        else:
            flat[str(name)] = [plain_message(str(m)) for m in (value if isinstance(value, list) else [value])]
    return flat
