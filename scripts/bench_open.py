#!/usr/bin/env python3
"""The open data API's benchmark (issue #16), against a running demo server started with
`CANMOU_SCHEDULE__ENABLED=false`; the bare ceiling (`canmou bench-ceiling`, the read
benchmark's) is started here, beside it, with the demo's public secret:

    python3 scripts/bench_open.py http://127.0.0.1:8080 [--duration 10] [--connections 64]

- cached `GET /open/v1/facts` throughput against the read benchmark's bare ceiling (a 1 KB
  JSON behind the mini-program's authentication), with wrk and scripts/bench.lua;
- the token issue rate (client_secret_basic), for a client whose secret was verified before
  (remembered) and for wrong secrets (an Argon2 check every time);
- the rate limit's accuracy: an application limited to --rate calls a second under wrk's load;
- with --pg-quota: the daily quota's accuracy on two `canmou serve` instances sharing one
  PostgreSQL database (a scratch one, created and dropped here), both overloaded at once.

Needs wrk (apt-get install wrk).
"""
import argparse, base64, concurrent.futures, json, os, re, subprocess, sys, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench-open")


def app(base, rate=10000.0, quota=None, admin=None):
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "open_app.py"), base, "--json", "--rate", str(rate)]
    if quota:
        cmd += ["--quota", str(quota)]
    if admin:
        cmd += ["--admin-token", admin]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def wrk(base, name, lines, args):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".tsv")
    with open(path, "w") as f:
        f.write("\n".join("\t".join(l) for l in lines) + "\n")
    cmd = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "-s",
           os.path.join(ROOT, "scripts", "bench.lua"), base, "--", path]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"RESULT requests=(\d+) seconds=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) non2xx=(\d+) errors=(\d+)", out)
    if not m:
        sys.exit(out)
    n, secs, p50, p99, bad, errs = m.groups()
    return {"rps": int(n) / float(secs), "ok_rps": (int(n) - int(bad)) / float(secs), "p50": float(p50),
            "p99": float(p99), "non2xx": int(bad), "seconds": float(secs)}


def quota_on_two(args):
    """Two `canmou serve` instances on one scratch PostgreSQL database, an application with a
    daily quota of --quota calls, and wrk overloading both instances at once."""
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = os.path.join(target, "release", "canmou")
    db = f"canmou_bench_open_{os.getpid()}"
    admin_url = f"{args.pg_url}/postgres"
    secret = "bench-open-secret-bench-open-secret-0123"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANMOU_")}
    env.update({"CANMOU_DATABASE__URL": f"{args.pg_url}/{db}", "CANMOU_LOG__FILTER": "warn",
                "CANMOU_SCHEDULE__ENABLED": "false", "CANMOU_AUTH__JWT_SECRET": secret,
                "CANMOU_DINGTALK__APP_KEY": "bench", "CANMOU_DINGTALK__APP_SECRET": "bench",
                "CANMOU_DINGTALK__AGENT_ID": "1", "CANMOU_DINGTALK__CORP_ID": "bench"})
    subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {db}"], check=True)
    procs = []
    try:
        subprocess.run([binary, "generate", "--days", "2"], env=env, check=True, stdout=subprocess.DEVNULL)
        out = os.path.join(OUT, "pg")
        subprocess.run([binary, "bench-prepare", "--users", "1", "--out", out], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        admin = open(os.path.join(out, "admin.token")).read().strip()
        bases = []
        for port in (18101, 18102):
            procs.append(subprocess.Popen([binary, "serve"], env=dict(env, CANMOU_SERVER__PORT=str(port)),
                                          stdout=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            for _ in range(600):
                try:
                    urllib.request.urlopen(base + "/readyz", timeout=1).read()
                    break
                except Exception:
                    time.sleep(0.2)
        a = app(bases[0], rate=10000, quota=args.quota, admin=admin)
        lines = [(a["accessToken"], "/open/v1/metrics")]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda b: wrk(b, "quota_" + b[-5:], lines, args), bases))
        passed = sum(int(r["ok_rps"] * r["seconds"] + 0.5) for r in results)
        offered = sum(r["rps"] for r in results)
        print(f"daily quota {args.quota} on two instances, offered {offered:.0f}/s for {args.duration} s: "
              f"{passed} passed ({100 * passed / args.quota:.1f} % of the quota), "
              f"{sum(r['non2xx'] for r in results)} refused")
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        subprocess.run(["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False)


def token_rate(base, client_id, secret, seconds=5, workers=8):
    auth = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    def one(_):
        req = urllib.request.Request(base + "/open/v1/token", data=b"grant_type=client_credentials", method="POST",
                                     headers={"Authorization": auth,
                                              "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    done, statuses, t0 = 0, {}, time.time()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        while time.time() - t0 < seconds:
            for s in pool.map(one, range(workers * 4)):
                statuses[s] = statuses.get(s, 0) + 1
                done += 1
    return done / (time.time() - t0), statuses


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--rate", type=float, default=50)
    p.add_argument("--pg-quota", action="store_true", help="also the daily quota on two instances (PostgreSQL)")
    p.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--quota", type=int, default=5000)
    args = p.parse_args()
    base = args.base.rstrip("/")
    # An application may call at most 10,000 times a second: the load is spread over eight, so
    # that what is measured is the answer, not the limiter saying no.
    apps = [app(base) for _ in range(8)]
    a = apps[0]
    tok, admin, org, metric = a["accessToken"], a["adminToken"], a["org"], a["metric"]
    facts = [(x["accessToken"], f"/open/v1/facts?metric={metric}&org={org}&grain={g}&children=true")
             for g in ("day", "week", "month") for x in apps]
    # A page of about the ceiling's size: 5 rows.
    small = [(x["accessToken"], f"/open/v1/facts?metric={metric}&org={org}&grain={g}&limit=5")
             for g in ("day", "week", "month") for x in apps]
    for _, path in facts[::8] + small[::8]:  # warm the cache
        req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + tok, "Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as r:
            print(f"{path}: {len(r.read())} B gzipped")
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    bare = subprocess.Popen([os.path.join(target, "release", "canmou"), "bench-ceiling", "--port", "18091",
                             "--secret", "canmou-demo-secret-do-not-use-in-production"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):  # up once it answers (401 without a token)
            try:
                urllib.request.urlopen("http://127.0.0.1:18091/", timeout=1)
            except urllib.error.HTTPError:
                break
            except Exception:
                time.sleep(0.1)
        ceiling = wrk("http://127.0.0.1:18091", "ceiling", [(admin, "/")], args)
    finally:
        bare.terminate()
        bare.wait()
    print(f"ceiling                 {ceiling['rps']:>9.0f} req/s  p50 {ceiling['p50']} ms  p99 {ceiling['p99']} ms")
    for name, lines in (("/open/v1/facts hit (100 rows)", facts), ("/open/v1/facts hit (5 rows)", small)):
        hit = wrk(base, "open_facts_hit", lines, args)
        print(f"{name:<30}{hit['rps']:>9.0f} req/s  p50 {hit['p50']} ms  p99 {hit['p99']} ms  "
              f"({100 * hit['rps'] / ceiling['rps']:.0f} % of the ceiling, non-2xx {hit['non2xx']})")
    ok, statuses = token_rate(base, a["clientId"], a["clientSecret"])
    print(f"token issue (verified)  {ok:>9.0f} req/s  {statuses}")
    bad, statuses = token_rate(base, a["clientId"], "wrong-secret")
    print(f"token refused (Argon2)  {bad:>9.0f} req/s  {statuses}")
    limited = app(base, rate=args.rate)
    r = wrk(base, "rate", [(limited["accessToken"], "/open/v1/metrics")], args)
    print(f"rate {args.rate:g}/s offered {r['rps']:.0f}/s: {r['ok_rps']:.1f} passed/s "
          f"({100 * r['ok_rps'] / args.rate:.1f} % of the setting)")
    if args.pg_quota:
        quota_on_two(args)


if __name__ == "__main__":
    sys.exit(main())
