"""A credential in a config appears nowhere in clear: not in the store (SQLite bytes
included), not in what the command line prints, not in the report site, its search
index or its exports. The step that needs it still receives the real value."""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import textwrap
from pathlib import Path

from tests.helpers import assay

SOURCE = '''
import hashlib
from pathlib import Path

from assay.steps.sources import SklearnDataset


class TokenSource:
    """breast_cancer, behind a pretend API that needs a token and a password."""

    def __init__(self, name, api_token, password, task="classification", target="target",
                 **extra):
        self.inner = SklearnDataset(name, task, target)
        self.refuse = extra.pop("refuse", False)
        self.seen = [api_token, password, *extra.values()]

    def load(self):
        if self.refuse:
            print("calling the API with", self.seen[0])
            raise PermissionError(f"401: the API refused token {self.seen[0]}")
        digest = hashlib.sha256("|".join(self.seen).encode()).hexdigest()
        Path("received.txt").write_text(digest)
        return self.inner.load()
'''

FAST = ["executor=threads", "report.resamples=50", "data=secret_source"]


def _every_file(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def test_a_credential_is_redacted_in_store_output_site_and_exports(project: Path) -> None:
    token = "tok-" + secrets.token_hex(12)
    password = "pw-" + secrets.token_hex(12)
    client_secret = "cs-" + secrets.token_hex(12)
    (project / "tokdata.py").write_text(SOURCE)
    (project / "configs" / "data" / "secret_source.yaml").write_text(textwrap.dedent(f"""
        _target_: tokdata.TokenSource
        name: breast_cancer
        task: classification
        target: target
        api_token: ${{oc.env:ASSAY_TEST_API_TOKEN}}
        password: {password}
    """))
    env = {"ASSAY_TEST_API_TOKEN": token}
    outputs: list[subprocess.CompletedProcess[str]] = []

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        result = assay(*args, cwd=project, env=env)
        outputs.append(result)
        assert result.returncode == 0, result.stderr
        return result

    run("run", *FAST, f"+data.client_secret={client_secret}")
    # the step received the real values
    received = hashlib.sha256("|".join([token, password, client_secret]).encode()).hexdigest()
    assert (project / "received.txt").read_text() == received

    planned = json.loads(run("plan", "--json", *FAST, f"+data.client_secret={client_secret}").stdout)
    load = next(n for n in planned["nodes"] if n["id"] == "load")
    assert load["params"]["source"]["api_token"] == "***"
    assert load["params"]["source"]["client_secret"] == "***"
    run("run", "-m", *FAST, f"+data.client_secret={client_secret}", "model.C=0.5,2.0")
    listed = json.loads(run("models", "list", "--json").stdout)
    ref = listed[0]["ref"]
    shown = run("models", "show", ref).stdout
    assert "+data.client_secret=***" in shown
    as_json = json.loads(run("models", "show", ref, "--json").stdout)
    assert "api_token: '***'" in as_json["config"] and "password: '***'" in as_json["config"]
    run_id = json.loads(run("runs", "list", "--json").stdout)[0]["id"]
    run("runs", "show", run_id)
    run("runs", "show", run_id, "--json")
    run("models", "diff", ref, ref)
    run("models", "tag", ref, f"api_key={client_secret}", "owner=me")
    assert "api_key=***" in run("models", "show", ref).stdout
    run("report", "--json")
    # a failing run prints its resume command: the override stays redacted there too
    failed = assay("run", *FAST, f"+data.client_secret={client_secret}", "model.C=-1", cwd=project,
                   env=env)
    outputs.append(failed)
    assert failed.returncode == 2, failed.stderr  # scikit-learn refuses C=-1: bad config
    assert "+data.client_secret=***" in failed.stderr
    # a step whose error quotes the credential: the message, the record and the log mask it
    refused = assay("run", *FAST, "+data.refuse=true", cwd=project, env=env)
    outputs.append(refused)
    assert refused.returncode == 1, refused.stderr
    assert "401: the API refused token ***" in refused.stderr
    run("runs", "list")

    store, site = project / ".assay", project / "site"
    files = _every_file(store, site)
    assert any(p.suffix == ".db" for p in files)
    assert any(p.name == "search_index.json" for p in files), "the site has a search index"
    assert any("exports" in p.parts or p.name == "README.md" for p in files)
    for secret in (token, password, client_secret):
        leaks = [str(p.relative_to(project)) for p in files if secret.encode() in p.read_bytes()]
        assert leaks == [], (secret, leaks)
        for result in outputs:
            assert secret not in result.stdout + result.stderr, result.args
    cards = [p for p in files if p.suffix == ".md" and "api_token" in p.read_text()]
    assert cards and all("api_token: '***'" in p.read_text() for p in cards)
