#!/usr/bin/env python3
"""The rule of the house, checked on `cargo metadata`: domain crates depend on no framework,
and the HTTP adapter reaches neither persistence nor messaging. Exits 1 naming each breach."""

import json
import subprocess
import sys

DOMAINS = ["kernel", "identity", "board", "chat", "ai"]
FRAMEWORKS = ["sea-orm", "sea-query", "sqlx", "actix-web", "actix-ws", "actix-http", "lapin", "smartcore",
              "jsonwebtoken", "bcrypt", "utoipa", "tokio"]
HTTP_FORBIDDEN = ["persistence", "messaging", "sea-orm", "lapin", "migration"]


def main() -> int:
    meta = json.loads(subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--locked",
         "--filter-platform", "x86_64-unknown-linux-gnu"], text=True))
    names = {p["id"]: p["name"] for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}

    def normal_deps(pkg_id):
        """Transitive dependencies through normal (non-dev, non-build) edges."""
        seen, stack = set(), [pkg_id]
        while stack:
            for dep in nodes[stack.pop()]["deps"]:
                if any(k["kind"] is None for k in dep["dep_kinds"]) and dep["pkg"] not in seen:
                    seen.add(dep["pkg"])
                    stack.append(dep["pkg"])
        return {names[d] for d in seen}

    by_name = {names[i]: i for i in nodes if names[i] in DOMAINS + ["agora-http"]}
    breaches = []
    for domain in DOMAINS:
        if domain not in by_name:
            breaches.append(f"domain crate {domain} is missing")
            continue
        bad = sorted(normal_deps(by_name[domain]) & set(FRAMEWORKS))
        if bad:
            breaches.append(f"domain crate {domain} depends on {', '.join(bad)}")
    bad = sorted(normal_deps(by_name["agora-http"]) & set(HTTP_FORBIDDEN))
    if bad:
        breaches.append(f"agora-http depends on {', '.join(bad)}")
    for breach in breaches:
        print(f"architecture: {breach}", file=sys.stderr)
    if not breaches:
        print("architecture: domains are framework-free; http reaches no persistence or messaging")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
