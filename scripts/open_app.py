#!/usr/bin/env python3
"""Registers an open-data application on a demo server and prints an application token.

    python3 scripts/open_app.py http://127.0.0.1:8080 [--rate N] [--quota N] [--json] [--admin-token T]

Signs in as the sandbox's `demo-admin` (or uses --admin-token), registers an application for every active metric over
the administrator's first scope, and exchanges its credentials at POST /open/v1/token. With
--json prints {"adminToken", "appId", "clientId", "clientSecret", "accessToken", "org",
"metric"} instead of the bare token. Used by the open API's fuzz step and its benchmark.
"""
import argparse, base64, json, sys, urllib.parse, urllib.request


def call(base, method, path, body=None, token=None, form=None, basic=None):
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = "Bearer " + token
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--rate", type=float, default=10000)
    p.add_argument("--quota", type=int, default=1000000000)
    p.add_argument("--json", action="store_true")
    p.add_argument("--admin-token", help="an administrator's token (`canmou serve` has no sandbox login)")
    a = p.parse_args()
    base = a.base.rstrip("/")
    admin = a.admin_token
    if not admin:
        code = call(base, "POST", "/sandbox/dingtalk/_sandbox/auth-codes", {"userid": "demo-admin"})["authCode"]
        admin = call(base, "POST", "/api/v1/auth/dingtalk", {"authCode": code})["token"]
    me = call(base, "GET", "/api/v1/me", token=admin)
    org = me["scopes"][0]["id"]
    metrics = [m["code"] for m in call(base, "GET", "/api/v1/metrics", token=admin)["metrics"] if m["active"]]
    app = call(base, "POST", "/api/v1/admin/open-apps", token=admin, body={
        "name": "fuzz and bench", "metrics": metrics, "orgs": [org],
        "ratePerSecond": a.rate, "dailyQuota": a.quota,
    })
    tok = call(base, "POST", "/open/v1/token", form={"grant_type": "client_credentials"},
               basic=(app["clientId"], app["clientSecret"]))["access_token"]
    if a.json:
        print(json.dumps({"adminToken": admin, "appId": app["id"], "clientId": app["clientId"],
                          "clientSecret": app["clientSecret"], "accessToken": tok, "org": org,
                          "metric": metrics[0]}))
    else:
        print(tok)


if __name__ == "__main__":
    sys.exit(main())
