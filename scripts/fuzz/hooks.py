"""Schemathesis hooks for Agora: every test case gets a fresh access token for the account
named by AGORA_FUZZ_USER / AGORA_FUZZ_PASSWORD, so that a fuzzed logout or password change
cannot poison the cases after it."""

import os

import requests
import schemathesis

BASE = os.environ["AGORA_FUZZ_BASE"]
USER = os.environ["AGORA_FUZZ_USER"]
PASSWORD = os.environ["AGORA_FUZZ_PASSWORD"]


@schemathesis.auth(refresh_interval=None)
class FreshToken:
    def get(self, case, ctx):
        response = requests.post(
            f"{BASE}/api/v1/auth/login",
            json={"username": USER, "password": PASSWORD},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
