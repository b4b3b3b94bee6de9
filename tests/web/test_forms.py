"""Forms rendered from a marshmallow schema: inputs, errors next to fields, kept secrets."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from hub.web.forms import build_form


class Settings(Schema):
    folder = fields.String(required=True, metadata={"label": "Output folder", "description": "Where."})
    delimiter = fields.String(load_default=",", validate=validate.OneOf([",", "\t"], labels=["Comma", "Tab"]))
    api_key = fields.String(required=True, load_only=True, validate=validate.Length(min=8))
    retries = fields.Integer(load_default=3, validate=validate.Range(min=0, max=9))
    enabled = fields.Boolean(load_default=True)
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


def by_name(form):
    return {f.name: f for f in form.fields}


def test_each_field_gets_the_right_input() -> None:
    form = build_form(Settings)
    inputs = by_name(form)
    assert set(inputs) == {"folder", "delimiter", "api_key", "retries", "enabled"}  # no Dict input
    assert inputs["folder"].label == "Output folder" and inputs["folder"].required
    assert inputs["delimiter"].input_type == "select"
    assert [(c.value, c.label) for c in inputs["delimiter"].choices] == [(",", "Comma"), ("\t", "Tab")]
    assert inputs["api_key"].input_type == "password"
    assert inputs["retries"].input_type == "number" and inputs["retries"].value == "3"
    assert inputs["enabled"].input_type == "checkbox" and inputs["enabled"].checked
    assert inputs["retries"].optional_with_default and not inputs["folder"].optional_with_default


def test_errors_land_on_their_fields_and_values_are_kept() -> None:
    form = build_form(Settings)
    ok = form.validate({"folder": " /srv/x ", "api_key": "short", "retries": "12", "delimiter": "\t"})
    assert not ok
    inputs = by_name(form)
    assert inputs["api_key"].errors == ["Shorter than minimum length 8."]
    assert inputs["retries"].errors and "9" in inputs["retries"].errors[0]
    assert inputs["folder"].errors == [] and inputs["folder"].value == "/srv/x"
    assert inputs["api_key"].value == ""  # a secret is never echoed back
    assert inputs["api_key"].described_by == "err-api_key"


def test_a_tab_delimiter_survives_and_unchecked_is_false() -> None:
    form = build_form(Settings)
    assert form.validate({"folder": "/srv/x", "api_key": "12345678", "delimiter": "\t"})
    assert form.data["delimiter"] == "\t" and form.data["enabled"] is False
    assert form.data["mapping"] == {}


def test_editing_keeps_the_stored_secret_and_mapping() -> None:
    current = {"folder": "/srv/x", "api_key": "stored-key-1", "mapping": {"a": "b"}}
    form = build_form(Settings, current)
    assert by_name(form)["folder"].value == "/srv/x"
    assert form.validate({"folder": "/srv/y", "api_key": "", "enabled": "on"}, current=current)
    assert form.data["api_key"] == "stored-key-1" and form.data["mapping"] == {"a": "b"}
    assert form.data["folder"] == "/srv/y" and form.data["enabled"] is True


def test_a_new_connection_must_give_the_secret() -> None:
    form = build_form(Settings)
    assert not form.validate({"folder": "/srv/x"})
    assert by_name(form)["api_key"].errors == ["This is required."]
    assert by_name(form)["api_key"].label == "API key"


def test_messages_for_unknown_fields_go_to_the_top() -> None:
    form = build_form(Settings)
    form.attach_errors({"target": ["QuickBooks refused the connection"], "folder": ["is read-only"]})
    assert form.form_errors == ["QuickBooks refused the connection"]
    assert by_name(form)["folder"].errors == ["is read-only"]
