"""How long each report format takes to render a large report, beside the JSON baseline.

    python -m bench.formats.run                 # 1,000 copies of the mixed test report
    python -m bench.formats.run --copies 200

The report is ``tests/data/reports/mixed.json`` with its documents and findings copied
``--copies`` times under new paths (11 claims and 7 findings per copy). Each format is
rendered ``--repeats`` times; the best CPU time (``time.process_time``) is reported, with
its ratio to ``json`` (pydantic's serializer) measured in the same run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from provenance.formats import FORMATS
from provenance.models import Report, load_report

MIXED = Path(__file__).resolve().parents[2] / "tests" / "data" / "reports" / "mixed.json"


def _big(copies: int) -> Report:
    base = load_report(MIXED)
    documents, findings = [], []
    for i in range(copies):
        prefix = f"copy{i:05}/"
        documents += [d.model_copy(update={"path": prefix + d.path}) for d in base.documents]
        findings += [f.model_copy(update={"path": prefix + f.path}) for f in base.findings]
    return base.model_copy(update={"documents": documents, "findings": findings})


def main() -> None:
    """Render every format and print CPU seconds and the ratio to json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    report = _big(args.copies)
    claims = sum(len(d.claims) for d in report.documents)
    print(f"{len(report.documents)} documents, {claims} claims, {len(report.findings)} findings")
    best: dict[str, float] = {}
    sizes: dict[str, int] = {}
    for name in ["json", *sorted(set(FORMATS) - {"json"})]:
        times = []
        for _ in range(args.repeats):
            start = time.process_time()
            text = FORMATS[name](report)
            times.append(time.process_time() - start)
        best[name], sizes[name] = min(times), len(text)
    print(f"{'format':<10} {'CPU s':>8} {'x json':>8} {'MB out':>8}")
    for name, seconds in best.items():
        ratio = seconds / best["json"]
        print(f"{name:<10} {seconds:>8.3f} {ratio:>8.2f} {sizes[name] / 1e6:>8.2f}")


if __name__ == "__main__":
    main()
