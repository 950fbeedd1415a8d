"""Download the pinned Mermaid bundle that the report site ships next to its pages.

MkDocs Material draws ``mermaid`` diagrams with a script it loads from unpkg.com unless a global
``mermaid`` is already defined. Report sites must work offline (the test machines reach package
registries only, and a report opened from disk should not phone home), so the site carries its
own copy of ``mermaid.min.js``.

The version is pinned, with the npm registry's sha512 ``integrity`` string, so every build ships
the same verified bytes: a newer release cannot slip in, and a tampered or truncated download
fails loudly instead of producing a site whose diagrams silently do not render. It stays on 11.x
because that is the major version Material itself loads (``mermaid@11``).

Usage: ``python scripts/fetch_mermaid.py DEST`` (stdlib only: it runs before any install).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

MERMAID_VERSION = "11.17.2"
# `dist.integrity` of mermaid@11.17.2 from https://registry.npmjs.org/mermaid (sha512 of the tarball)
MERMAID_INTEGRITY = (
    "sha512-V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7LoaRQxULMa80/qt5gHO73aCleBBg=="
)
TARBALL_URL = f"https://registry.npmjs.org/mermaid/-/mermaid-{MERMAID_VERSION}.tgz"
MEMBER = "package/dist/mermaid.min.js"
# sha256 of MEMBER as extracted from that verified tarball: lets a later run tell, without the
# network, that the destination already holds exactly the pinned bundle (byte for byte upstream's).
BUNDLE_SHA256 = "581ed7d74bd9048d0e3a91363927d72ef22942d7722546b27f7cc29e35390eb8"


def verify_integrity(data: bytes, integrity: str = MERMAID_INTEGRITY) -> None:
    """Raise ``ValueError`` unless ``data`` matches an npm ``sha512-<base64>`` integrity string."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise ValueError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if actual != expected:
        raise ValueError(f"integrity mismatch: expected sha512-{expected}, got sha512-{actual}")


def download(url: str = TARBALL_URL, timeout: float = 60.0) -> bytes:
    """The tarball's bytes (npm serves it with no redirects or auth)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        data: bytes = response.read()
    return data


def extract_bundle(tarball: bytes) -> bytes:
    """The bytes of ``package/dist/mermaid.min.js`` inside the (already verified) tarball."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        # Read the one member as a stream: nothing is written from the archive's own paths.
        member = archive.extractfile(MEMBER)
        if member is None:
            raise ValueError(f"{MEMBER} is not a regular file in {TARBALL_URL}")
        bundle = member.read()
    # The tarball is verified already; this catches a wrong pin of BUNDLE_SHA256 itself, which
    # would otherwise make every run re-download.
    if hashlib.sha256(bundle).hexdigest() != BUNDLE_SHA256:
        raise ValueError(f"{MEMBER} in {TARBALL_URL} does not match the pinned sha256 {BUNDLE_SHA256}")
    return bundle


def is_current(dest: Path) -> bool:
    """Whether ``dest`` already holds the pinned bundle, byte for byte."""
    try:
        return hashlib.sha256(dest.read_bytes()).hexdigest() == BUNDLE_SHA256
    except FileNotFoundError:
        return False


def write_atomically(dest: Path, content: bytes) -> None:
    """Write ``content`` to ``dest`` through a temp file and a rename, so that an interrupted run
    never leaves a half-written bundle that a later run would take for a complete one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the site is served to others
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch(dest: Path) -> bool:
    """Make ``dest`` hold the pinned ``mermaid.min.js``; returns whether anything was written."""
    if is_current(dest):
        return False
    tarball = download()
    verify_integrity(tarball)
    bundle = extract_bundle(tarball)
    write_atomically(dest, bundle)
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: {Path(sys.argv[0]).name} DEST", file=sys.stderr)
        return 2
    dest = Path(args[0])
    try:
        wrote = fetch(dest)
    except (OSError, ValueError, tarfile.TarError) as error:
        print(f"fetch_mermaid: could not get mermaid {MERMAID_VERSION}: {error}", file=sys.stderr)
        return 1
    print(f"mermaid {MERMAID_VERSION}: {'wrote' if wrote else 'already present at'} {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
