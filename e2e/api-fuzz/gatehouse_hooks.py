"""Schemathesis hooks for fuzzing Gatehouse's native API (run by scripts/api-fuzz.sh).

Every example is re-authenticated: a fresh UST is fetched for it, so an operation that ends a session (logout,
ending sessions) cannot turn the checks after it into 401s. Operations run in tenants made for the run:
`fuzz` for most, `fuzzset` for settings changes (undone after each), the system tenant for the operator
routes. Operations that could disable the account the run logs in with (lock, reject, delete, set password,
reset TOTP) are pointed at sacrificial users instead when they name it."""

import json
import os
import sqlite3
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ["GATEHOUSE_FUZZ_BASE"]
PASSWORD = os.environ["GATEHOUSE_FUZZ_PASSWORD"]
# The server's SQLite store, where a fuzzed settings change is undone without asking the API (whose login the
# change itself may have closed to the run's app).
DATABASE = os.environ["GATEHOUSE_FUZZ_DATABASE"]
PROTECTED_TENANTS = {"fuzz", "fuzzset", "system", "default"}


# The run's own application, listed in every tenant by the instance defaults (scripts/api-fuzz.sh). The web UI's
# name is reserved for the web pages, so the run names an app of its own like any other client.
APP = "fuzzapp"


def _request(method, path, body=None, ust=None, app=APP):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("X-Current-App", app)
    if ust:
        req.add_header("Authorization", "Bearer " + ust)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def login(tenant, username, app=APP):
    status, body = _request(
        "POST", f"/api/v1/t/{tenant}/login", {"username": username, "password": PASSWORD}, app=app
    )
    if status != 200:
        raise RuntimeError(f"the fuzz run's login as {tenant}/{username} failed: {status} {body}")
    return body["ust"], body["user_id"]


_ROOT_IDS = {}


def root_id(tenant):
    if tenant not in _ROOT_IDS:
        _ROOT_IDS[tenant] = login(tenant, "root")[1]
    return _ROOT_IDS[tenant]


def _victim_id():
    if "victim" not in _ROOT_IDS:
        ust, _ = login("fuzz", "root")
        status, body = _request(
            "POST", "/api/v1/t/fuzz/users", {"username": "victim", "password": PASSWORD}, ust=ust
        )
        if status == 201:
            _ROOT_IDS["victim"] = body["user_id"]
        else:
            _ROOT_IDS["victim"] = "zusrnosuchvictim"
    return _ROOT_IDS["victim"]


def _tenant_for(path, method):
    if path.startswith("/api/v1/t/{tenant}/settings") and method == "PATCH":
        return "fuzzset"
    return "fuzz"


@schemathesis.hook
def before_call(context, case, kwargs):
    path, method = case.operation.path, case.operation.method.upper()
    params = case.path_parameters if case.path_parameters is not None else {}
    headers = case.headers if case.headers is not None else {}
    if path.startswith("/api/v1/tenants"):
        ust, _ = login("system", "operator")
        headers["X-Current-App"] = APP
        if params.get("slug") in PROTECTED_TENANTS:
            params["slug"] = "fuzzgone"
    elif "{tenant}" in path:
        tenant = _tenant_for(path, method)
        params["tenant"] = tenant
        headers["X-Current-App"] = APP
        ust, _ = login(tenant, "root")
        if params.get("user_id") == root_id(tenant):
            params["user_id"] = _victim_id()
        # The run's own app is not for the fuzzer to remove or change (the names it learns from responses
        # include it).
        if params.get("name") == APP:
            params["name"] = "fuzzgoneapp"
        if isinstance(case.body, dict) and case.body.get("name") == APP:
            case.body["name"] = "fuzzotherapp"
    else:
        return
    headers["Authorization"] = "Bearer " + ust
    case.path_parameters = params
    case.headers = headers


@schemathesis.hook
def after_call(context, case, response):
    """Undoes a settings change, so later examples run under the defaults: the tenant's overrides go and its
    settings version moves, which the server (with server.tenant_cache_ms = 0) sees on the next request."""
    if case.operation.method.upper() != "PATCH" or not case.operation.path.endswith("/settings"):
        return
    if response.status_code != 200:
        return
    with sqlite3.connect(DATABASE, timeout=30) as db:
        db.execute(
            "DELETE FROM tenant_settings WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'fuzzset')"
        )
        db.execute("UPDATE tenants SET settings_version = settings_version + 1 WHERE slug = 'fuzzset'")
