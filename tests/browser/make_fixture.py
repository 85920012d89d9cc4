#!/usr/bin/python3
"""Writes a synthetic run directory for report tests: summary.json,
results.jsonl and findings/ shaped like `memlayout run` writes them.

    make_fixture.py OUT [--cases N] [--findings K] [--hostile] [--ci] [--no-t]

--hostile puts markup, quotes and control bytes into every string field that
reaches the report (versions, command line, transports, dtypes, verdicts,
file names, messages); --ci adds expected verdicts (the regression view);
--no-t leaves out the completion time field, as older runs do. Deterministic:
the same arguments give the same files. No NumPy needed.
"""
import json
import os
import random
import sys

HOSTILE = '<script>alert("x")</script>\'"><img src=x onerror=alert(1)>&amp;\x01'

TRANSPORTS = ["reduce", "loky", "multiprocessing", "threading", "pickle5", "pool-spawn"]
OPS = ["reshape", "transpose", "swapaxes", "moveaxis", "slice", "index", "newaxis",
       "squeeze", "ravel", "view", "broadcast"]
DTYPES = ["<f8", "<f4", ">f8", "<i4", ">i2", "|u1", "|b1", "<c16", "<f2", "structured"]
LAYOUTS = ["C+F", "C", "F", "strided", "broadcast", "empty", "copy"]
FILE = {"size_before": 120, "size_after": 120, "hash_before": "ab" * 16, "hash_after": "ab" * 16}


def obs(shape, strides, c, f, h, dtype="<f8", head=None, file="/tmp/x/data.bin"):
    o = {"type": "memmap", "shape": shape, "strides": strides, "dtype": dtype, "itemsize": 8,
         "flags": {"c": c, "f": f, "writeable": False, "aligned": True, "owndata": False},
         "backing": {"file": file, "mode": "r", "offset": 0, "first": 0, "lo": 0, "hi": 120, "len": 120},
         "hash": h}
    if head is not None:
        o["head"] = head
    return o


def hexd(v):
    import struct
    return struct.pack("<d", v).hex()


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out = args[0]
    n = int(args[args.index("--cases") + 1]) if "--cases" in args else 1000
    k = int(args[args.index("--findings") + 1]) if "--findings" in args else 50
    hostile = "--hostile" in args
    ci = "--ci" in args
    with_t = "--no-t" not in args
    rng = random.Random(7)
    os.makedirs(os.path.join(out, "findings"), exist_ok=True)
    transports = TRANSPORTS + ([HOSTILE] if hostile else [])
    dtypes = DTYPES + ([HOSTILE] if hostile else [])
    H = (lambda s: s + HOSTILE) if hostile else (lambda s: s)

    counts = {"pass": 0, "fail": 0, "error": 0, "invalid": 0}
    per_t = {}
    findings = {}
    t = 0.0
    written = 0
    with open(os.path.join(out, "results.jsonl"), "w") as res:
        for i in range(n):
            tr = rng.choice(transports)
            nd = rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6])
            order = rng.choice("CCF")
            nops = rng.choice([0, 1, 1, 2, 2, 3, 4])
            ops = [rng.choice(OPS) for _ in range(nops)]
            layout = rng.choice(LAYOUTS)
            child = layout
            verdict = "pass"
            x = rng.random()
            if tr in ("reduce", "loky", "multiprocessing") and layout == "C" and "reshape" in ops and x < 0.7:
                verdict, child = "fail:data,flags", "F"
            elif tr in ("reduce", "loky") and layout == "strided" and x < 0.2:
                verdict = "fail:strides,backing"
            elif x < 0.002:
                verdict = "error:timeout"
                child = "none"
            elif x < 0.05:
                verdict = "invalid"
                layout = child = "none"
            if hostile and i % 97 == 5:
                verdict = "fail:" + HOSTILE
            kind = verdict.split(":")[0]
            counts[kind if kind in counts else "fail"] += 1
            per_t.setdefault(tr, {"pass": 0, "fail": 0, "error": 0, "invalid": 0})[kind if kind in counts else "fail"] += 1
            secs = rng.uniform(0.0003, 0.002) if tr in ("reduce", "pickle5", "threading") else rng.uniform(0.002, 0.02)
            t += secs * 0.8
            line = {"id": i, "transport": tr, "verdict": verdict, "ndim": nd, "order": order,
                    "source": rng.choice(["raw", "raw", "npy"]), "mode": rng.choice(["r", "r+", "c", "w+"]),
                    "dtype": rng.choice(dtypes), "ops": ",".join(ops), "seconds": round(secs, 6)}
            if with_t:
                line.update({"t": round(t, 3), "view_ndim": max(0, nd + rng.choice([-1, 0, 0, 1])),
                             "layout": layout, "child": child})
            if hostile and i % 50 == 3:
                line["layout"] = HOSTILE
                line["ops"] = "reshape," + HOSTILE
            if ci:
                exp = verdict
                if i % 40 == 0:
                    exp = "pass" if verdict != "pass" else "fail:data,flags"
                line["expected"] = exp if i % 333 else None
                line["case"] = H("corpus/regress/case-%05d.json" % i)
                line["env"] = H("joblib-1.2.0") if i % 2 else "joblib-1.3.2"
            res.write(json.dumps(line) + "\n")
            if kind in ("fail", "error") and written < k:
                findings[verdict] = findings.get(verdict, 0) + 1
                written += 1
                shape = [5, 3] if "data" in verdict else [4, 6]
                case = {"memlayout": 1, "dtype": "<f8",
                        "backing": {"source": "raw", "shape": [15 + (i % 3) * 3], "order": order, "offset": 0,
                                    "mode": "r"},
                        "ops": [{"op": "reshape", "shape": shape, "order": "C"}] + (
                            [{"op": "transpose", "axes": None}] * (i % 2)),
                        "transport": tr, "seed": i}
                vs = verdict.replace(":", "-").replace(",", "-")
                base = os.path.join(out, "findings", "%06d-%s-%s" % (i, tr if not hostile or tr != HOSTILE else "x", vs if not hostile else "fail-data-flags"))
                if kind == "error":
                    o = {"status": "error", "error_kind": "timeout", "message": H("case took longer than 10 s"),
                         "parent": None, "child": None, "seconds": 10.0}
                elif "data" in verdict:
                    head = i % 2 == 0
                    o = {"status": "ok", "parent": obs([5, 3], [24, 8], True, False, "aa11" * 8,
                                                      head=[hexd(v) for v in range(8)] if head else None,
                                                      file=H("/tmp/memlayout-x/data.bin")),
                         "child": obs([5, 3], [8, 40], False, True, "bb22" * 8,
                                      head=[hexd(v) for v in (0, 5, 10, 1, 6, 11, 2, 7)] if head else None,
                                      file=H("/tmp/memlayout-x/data.bin")),
                         "write": None, "file": FILE, "seconds": secs}
                    if hostile:
                        o["parent"]["dtype"] = HOSTILE
                        o["message"] = HOSTILE
                else:
                    o = {"status": "ok", "parent": obs([4, 6], [48, 16], False, False, "cc" * 16),
                         "child": obs([4, 6], [48, 8], False, False, "cc" * 16), "write": None, "file": FILE,
                         "seconds": secs}
                with open(base + ".obs", "w") as f:
                    f.write(json.dumps(o) + "\n")
                with open(base + ".json", "w") as f:
                    f.write(json.dumps(case, separators=(",", ":")) + "\n")
    cmd = ["memlayout", "run", "--seed", "1", "--time", "30", "-T", ",".join(TRANSPORTS)]
    if hostile:
        cmd += ["--python-path", HOSTILE, "--out", "it's a <dir>"]
    summary = {"command": cmd, "memlayout": H("0.1.0"),
               "versions": {"python": H("3.11.2"), "numpy": H("1.24.2"), "joblib": H("1.2.0"),
                            "numpy_path": H("/usr/lib/python3/dist-packages/numpy"),
                            "joblib_path": H("/usr/lib/python3/dist-packages/joblib"),
                            "executable": "/usr/bin/python3.11"},
               "seed": H("1"), "started": 1764052116, "seconds": t / 0.8 * 1.02, "cases": n,
               "cases_per_second": n / (t / 0.8 * 1.02) if t else 0, "interrupted": False, "restarts": 1,
               "counts": counts, "per_transport": per_t, "findings": findings}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
