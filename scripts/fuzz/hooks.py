"""Schemathesis hooks for Agora: every test case gets a fresh access token for the fuzzing
account, so that a fuzzed logout cannot poison the cases after it. A fuzzed profile change
may rename the account; then a new one is made (users sign up; admins come from
admin-cli, as on a real server) and fuzzing goes on with it."""

import itertools
import os
import subprocess

import requests
import schemathesis

BASE = os.environ["AGORA_FUZZ_BASE"]
ROLE = os.environ["AGORA_FUZZ_ROLE"]  # "user" or "admin"
PASSWORD = os.environ["AGORA_FUZZ_PASSWORD"]
ADMIN_CLI = os.environ.get("AGORA_FUZZ_ADMIN_CLI", "./target/debug/admin-cli")

_serial = itertools.count(1)
_account = {"name": os.environ["AGORA_FUZZ_USER"]}


def _login(name):
    response = requests.post(
        f"{BASE}/api/v1/auth/login", json={"username": name, "password": PASSWORD}, timeout=30
    )
    return response.json()["access_token"] if response.status_code == 200 else None


def _new_account():
    name = f"fuzz_{ROLE}_{os.getpid()}_{next(_serial)}"
    email = f"{name}@example.com"
    if ROLE == "admin":
        subprocess.run(
            [ADMIN_CLI, "create-admin", "--name", name, "--email", email, "--password-stdin"],
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
    else:
        response = requests.post(
            f"{BASE}/api/v1/auth/signup",
            json={"name": name, "email": email, "password": PASSWORD},
            timeout=30,
        )
        response.raise_for_status()
    _account["name"] = name


@schemathesis.auth(refresh_interval=None)
class FreshToken:
    def get(self, case, ctx):
        token = _login(_account["name"])
        if token is None:
            _new_account()
            token = _login(_account["name"])
        if token is None:
            raise RuntimeError(f"cannot log in as {_account['name']}")
        return token

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


# Ids of data that exists (seeded by run.sh), so that fuzzing reaches past "404 Not Found"
# into the handlers; random ids keep the 404 paths covered half of the time.
_IDS = {k: v for k, v in (pair.split("=") for pair in os.environ.get("AGORA_FUZZ_IDS", "").split(",") if pair)}
_KINDS = [
    ("/api/v1/admin/users/", "user"),
    ("/api/v1/admin/boards/", "board"),
    ("/api/v1/boards/", "board"),
    ("/api/v1/posts/", "post"),
    ("/api/v1/comments/", "comment"),
    ("/api/v1/attachments/", "attachment"),
    ("/api/v1/chat/sessions/", "session"),
    ("/api/v1/chat/messages/", "message"),
    ("/api/v1/ai/models/", "model"),
    ("/api/v1/ai/inferences/", "job"),
]
_coin = itertools.cycle([True, False])


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    operation = getattr(ctx, "operation", None)
    if not path_parameters or "id" not in path_parameters or operation is None or not next(_coin):
        return path_parameters
    current = path_parameters["id"]
    # Only a well-formed id is swapped for a seeded one: a malformed id is the point of a
    # negative case, and replacing it would turn a request meant to be refused into a
    # valid one.
    if isinstance(current, bool) or not isinstance(current, int) or current < 1:
        return path_parameters
    for prefix, kind in _KINDS:
        if operation.path.startswith(prefix) and kind in _IDS:
            path_parameters["id"] = int(_IDS[kind])
            break
    return path_parameters
