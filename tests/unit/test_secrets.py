"""Redacting credentials from configs, overrides, command lines and stored YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from assay.compiler import compile_plan, load_spec
from assay.config.compose import compose, origin_of
from assay.config.project import locate_project
from assay.config.secrets import (
    REDACTED,
    is_secret_key,
    masked_like,
    redact_command,
    redact_overrides,
    redact_yaml,
    redactor_for,
    restore_secrets,
)
from assay.steps import default_catalog

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("key", [
    "token", "api_token", "hf_token", "hfToken", "HF_TOKEN", "secret", "client_secret",
    "password", "db-password", "passwd", "api_key", "apiKey", "apikey", "credentials",
    "private_key", "aws_access_key_id", "auth", "Authorization", "secret_key",
])
def test_credential_keys_are_recognised(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", [
    "tokenizer", "max_tokens", "n_tokens", "author", "key", "keys", "monkey", "primary_key",
    "passthrough", "target", "name", "C", "secretary_general",
])
def test_ordinary_keys_are_left_alone(key: str) -> None:
    assert not is_secret_key(key)


def test_env_values_and_credential_keys_are_redacted_everywhere_but_the_live_config(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_UNIT_SECRET", "s3cr3t-from-env")
    cfg = OmegaConf.create({
        "data": {"url": "https://example.com", "api_token": "${oc.env:ASSAY_UNIT_SECRET}",
                 "bucket": "${oc.env:ASSAY_UNIT_SECRET}",
                 "header": "Bearer ${data.bucket}"},
        "db": {"password": 1234, "use_auth_token": True, "credentials": {"user": "u",
                                                                          "key": "k"}},
        "model": {"max_tokens": 5},
    })
    redactor = redactor_for(cfg)
    stored = yaml.safe_load(redactor.config_yaml(cfg))
    assert stored["data"] == {"url": "https://example.com", "api_token": REDACTED,
                              "bucket": REDACTED, "header": f"Bearer {REDACTED}"}
    assert stored["db"] == {"password": REDACTED, "use_auth_token": True,
                            "credentials": REDACTED}
    assert stored["model"] == {"max_tokens": 5}
    unresolved = yaml.safe_load(redactor.config_yaml(cfg, resolve=False))
    assert unresolved["data"]["bucket"] == REDACTED
    assert unresolved["data"]["header"] == "Bearer ${data.bucket}"
    assert cfg.data.bucket == "s3cr3t-from-env"  # what steps receive is untouched
    assert redactor.text("failed: 401 for s3cr3t-from-env") == f"failed: 401 for {REDACTED}"


def test_overrides_and_command_lines_hide_credential_values() -> None:
    overrides = ["model.C=0.5", "data.api_token=abc123", "+registry.tags.owner=me",
                 "++db.password=hunter2", "~data.secret"]
    assert redact_overrides(overrides) == ["model.C=0.5", f"data.api_token={REDACTED}",
                                           "+registry.tags.owner=me",
                                           f"++db.password={REDACTED}", "~data.secret"]
    assert redact_command("assay run model.C=0.5 'data.api_token=a b'") == (
        "assay run model.C=0.5 'data.api_token=***'")
    assert redact_command("assay run model.C=0.5") == "assay run model.C=0.5"


def test_an_override_of_a_path_found_secret_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_UNIT_SECRET", "value-of-env")
    cfg = OmegaConf.create({"data": {"bucket": "${oc.env:ASSAY_UNIT_SECRET}"}})
    assert redactor_for(cfg).overrides(["data.bucket=other"]) == [f"data.bucket={REDACTED}"]


def test_stored_yaml_is_redacted_on_reading_and_left_as_written_otherwise() -> None:
    plain = "model:\n  C: 1.0  # kept as written\n"
    assert redact_yaml(plain) == plain
    assert yaml.safe_load(redact_yaml("data:\n  api_token: abc\n  name: x\n")) == {
        "data": {"api_token": REDACTED, "name": "x"}}


def test_recorded_components_hold_no_secret_but_the_fingerprint_tells_values_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "unit_secret_source.py").write_text(
        "class Source:\n    def __init__(self, api_token, name='x'):\n        pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    project = locate_project(REPO)
    catalog, _ = default_catalog()

    def compiled(token: str):  # type: ignore[no-untyped-def]
        path = tmp_path / "load.yaml"
        path.write_text("steps:\n  load:\n    uses: load_dataset\n    with:\n      source: "
                        f"{{_target_: unit_secret_source.Source, api_token: {token}}}\n")
        cfg = compose(project, [])
        return compile_plan(load_spec(path), cfg, catalog, hash_file=lambda p: "h",
                            base_dir=tmp_path, origin=origin_of(cfg, project)).node("load")

    first, second = compiled("first-token-value"), compiled("second-token-value")
    assert first.fingerprint != second.fingerprint
    assert first.components["params"]["source"]["api_token"] == REDACTED
    assert first.params["source"]["api_token"] == "first-token-value"
    assert "first-token-value" not in repr(first.components)


def test_a_rerun_reads_redacted_values_where_the_project_keeps_them() -> None:
    stored = {"data": {"api_token": REDACTED, "name": "x"}, "db": {"password": REDACTED},
              "model": {"C": 1.0}}
    current = OmegaConf.create({"data": {"api_token": "${oc.env:SOME_TOKEN}", "name": "y"},
                                "model": {"C": 2.0}})
    assert restore_secrets(stored, current) == {
        "data": {"api_token": "${oc.env:SOME_TOKEN}", "name": "x"},
        "db": {"password": REDACTED}, "model": {"C": 1.0}}


def test_shown_params_are_masked_where_their_record_is() -> None:
    params = {"source": {"path": "/abs/data.csv", "api_token": "t0k3n", "cols": ("a", "b")}}
    recorded = {"source": {"path": "data.csv", "api_token": REDACTED, "cols": ["a", "b"]}}
    assert masked_like(params, recorded) == {
        "source": {"path": "/abs/data.csv", "api_token": REDACTED, "cols": ["a", "b"]}}
