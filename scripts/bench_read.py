#!/usr/bin/env python3
"""The read benchmark (issues #4, #17): cached and uncached /home and breakdown and 304s, each
as a ratio to a bare ceiling measured in the same run — `canmou bench-ceiling`, an actix-web
server with no middleware that verifies the same HS256 tokens and answers a fixed 1 KB JSON —
over loopback with wrk, `Accept-Encoding: gzip` on every request.

    python3 scripts/bench_read.py            # SQLite, the demo province under `canmou serve`
    python3 scripts/bench_read.py --pg       # and the same on PostgreSQL (12.8 M facts)

Needs wrk (apt-get install wrk). Builds the release binary first unless --no-build.
"""
import argparse, json, os, re, shutil, signal, subprocess, sys, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "canmou")
OUT = os.path.join(ROOT, "target", "bench")
PORT = 18080
BASE = f"http://127.0.0.1:{PORT}"
CEILING_PORT = 18090
CEILING = f"http://127.0.0.1:{CEILING_PORT}"
SECRET = "bench-secret-bench-secret-bench-secret-0123"


def env(extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith("CANMOU_")}
    e.update({"CANMOU_SERVER__PORT": str(PORT), "CANMOU_LOG__FILTER": "warn",
              # Scheduled jobs (feed sync, briefings) would compete with the load.
              "CANMOU_SCHEDULE__ENABLED": "false"})
    e.update(extra)
    return e


def wait_up(proc, log, timeout=600):
    """Until the server has printed its banner (demo: after the directory sync) or, for
    `serve`, answers /readyz."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        try:
            with open(log) as f:
                if "Press Ctrl-C" in f.read():
                    return
        except OSError:
            pass
        try:
            urllib.request.urlopen(BASE + "/readyz", timeout=1).read()
            if "serve" in proc.args:
                return
        except Exception:
            pass
        time.sleep(0.5)
    sys.exit("server did not come up")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssWatch(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.2)


def fetch(token, path, extra=None):
    req = urllib.request.Request(BASE + path, headers={"Authorization": "Bearer " + token, **(extra or {})})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.headers, r.read()


def warm(name):
    """Asks for every answer of request list `name` once, as the benchmark will (gzip), so
    that each is in the cache in the encoding it is about to be served in; returns `name`."""
    for token, path, *_ in lines(name):
        fetch(token, path, {"Accept-Encoding": "gzip"})
    return name


def lines(name):
    with open(os.path.join(OUT, name)) as f:
        return [l.rstrip("\n").split("\t") for l in f if l.strip()]


def wrk(name, file, args, base=BASE):
    cmd = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "-s",
           os.path.join(ROOT, "scripts", "bench.lua"), base, "--", os.path.join(OUT, file)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"RESULT requests=(\d+) seconds=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) non2xx=(\d+) errors=(\d+)", out)
    if not m:
        sys.exit(out)
    n, secs, p50, p99, bad, errs = m.groups()
    return {"name": name, "rps": int(n) / float(secs), "p50": float(p50), "p99": float(p99),
            "requests": int(n), "non2xx": int(bad), "errors": int(errs)}


def bare_ceiling(args, secret, name):
    """The bare ceiling (`canmou bench-ceiling`) started, measured and stopped."""
    ceiling = subprocess.Popen([BIN, "bench-ceiling", "--port", str(CEILING_PORT), "--secret", secret],
                               stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(CEILING, timeout=1)
            except urllib.error.HTTPError:
                break  # 401 without a token: it is up
            except Exception:
                time.sleep(0.1)
        return wrk(name, "ceiling.tsv", args, CEILING)
    finally:
        stop(ceiling)


def run_suite(label, proc, args, db_env, secret):
    subprocess.run([BIN, "bench-prepare", "--users", str(args.users), "--out", OUT], env=env(db_env), check=True)
    hits = lines("home_hits.tsv")
    with open(os.path.join(OUT, "home_304.tsv"), "w") as f:
        for token, path in hits:
            headers, body = fetch(token, path, {"Accept-Encoding": "gzip"})
            f.write(f"{token}\t{path}\t{headers['ETag']}\n")
    gz = fetch(hits[0][0], hits[0][1], {"Accept-Encoding": "gzip"})[1]
    br = fetch(hits[0][0], hits[0][1], {"Accept-Encoding": "br"})[1]
    # A metric's detail and its trend, for the same users (their first scope).
    for name, suffix in (("metric_hits.tsv", ""), ("series_hits.tsv", "/series")):
        with open(os.path.join(OUT, name), "w") as f:
            for token, _ in hits:
                f.write(f"{token}\t/api/v1/metrics/collab.msg_total{suffix}\n")
    # The bare ceiling first, alone on the machine like every scenario after it.
    results = [bare_ceiling(args, secret, "bare ceiling (actix + HS256, 1 KB)")]
    watch = RssWatch(proc.pid)
    watch.start()
    results.append(wrk("/healthz (full middleware)", "healthz.tsv", args))
    # Hits first, each list rendered (and gzipped) just before it runs; the misses last: a
    # miss scenario fills the cache with some 20,000 new answers, and for several seconds
    # after such a flood a newly warmed answer may not be admitted yet (the cache keeps what
    # is asked often), so a hit scenario after it would time misses too.
    results.append(wrk("/home cache hit", warm("home_hits.tsv"), args))
    results.append(wrk("/home 304", "home_304.tsv", args))
    results.append(wrk("/metrics/{code} cache hit", warm("metric_hits.tsv"), args))
    results.append(wrk("/metrics/{code}/series cache hit", warm("series_hits.tsv"), args))
    results.append(wrk("breakdown cache hit", warm("breakdown_hits.tsv"), args))
    # This virtual machine's speed drifts within a run: the ceiling again, after the hits. The
    # ratios are to the faster of its two readings, so a slow moment of the ceiling never
    # flatters Canmou.
    results.append(bare_ceiling(args, secret, "bare ceiling, again after the hits"))
    results.append(wrk("/home cache miss", "home_misses.tsv", args))
    results.append(wrk("breakdown cache miss", "breakdown_misses.tsv", args))
    watch.stop = True
    watch.join()
    ceiling = max(r["rps"] for r in results if r["name"].startswith("bare ceiling"))
    print(f"\n## {label}  (wrk -t2 -c{args.connections} -d{args.duration}s over loopback, 2-core machine)\n")
    print("| scenario | req/s | × bare ceiling | p50 ms | p99 ms | not 200 | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['name']} | {r['rps']:.0f} | {r['rps'] / ceiling:.2f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['non2xx']} | {r['errors']} |")
    print(f"\n8-card /home compressed: gzip {len(gz)} B, brotli {len(br)} B; peak RSS {watch.peak / 1024:.0f} MiB")
    for r in results:
        if r["non2xx"] and "304" not in r["name"]:
            print(f"warning: {r['name']} had {r['non2xx']} answers other than 200")


def stop(proc):
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", action="store_true", help="also run on PostgreSQL (12.8 M facts)")
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "canmou-cli"], cwd=ROOT, check=True)
    os.makedirs(OUT, exist_ok=True)

    # The service alone, as it runs in production: the province is generated into the database
    # first, then `canmou serve` answers. (The demo process also holds the DingTalk and feed
    # sandboxes, with a year of records in memory; their memory is not the service's.)
    data = os.path.join(OUT, "sqlite-data")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    served("SQLite, demo province (607 orgs, 12.8 M facts)", {"CANMOU_DATABASE__URL": f"sqlite://{data}/canmou.db"}, args)

    if args.pg:
        db = "canmou_bench"
        subprocess.run(["psql", f"{args.pg_url}/postgres", "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=True)
        subprocess.run(["psql", f"{args.pg_url}/postgres", "-qc", f"CREATE DATABASE {db}"], check=True)
        served("PostgreSQL, demo province (607 orgs, 12.8 M facts)", {"CANMOU_DATABASE__URL": f"{args.pg_url}/{db}"}, args)


def served(label, db_env, args):
    """Generates the demo province into the database of `db_env`, then benchmarks `canmou serve`."""
    db_env = dict(db_env, **{"CANMOU_DINGTALK__APP_KEY": "bench", "CANMOU_DINGTALK__APP_SECRET": "bench",
                             "CANMOU_DINGTALK__AGENT_ID": "1", "CANMOU_DINGTALK__CORP_ID": "bench",
                             "CANMOU_AUTH__JWT_SECRET": SECRET})
    t = time.time()
    subprocess.run([BIN, "generate"], env=env(db_env), check=True)
    print(f"{label}: generated in {time.time() - t:.0f} s")
    log = os.path.join(OUT, "server.log")
    proc = subprocess.Popen([BIN, "serve"], env=env(db_env), stdout=open(log, "w"))
    try:
        wait_up(proc, log)
        run_suite(label, proc, args, db_env, SECRET)
    finally:
        stop(proc)

if __name__ == "__main__":
    main()
