"""How long each report format takes to render a large report, beside the JSON baseline.

    python -m bench.formats.run                 # 1,000 copies of the mixed test report
    python -m bench.formats.run --copies 200
    python -m bench.formats.run --report audit  # the audit scenario's report instead

The report is ``tests/data/reports/mixed.json`` with its documents and findings copied
``--copies`` times under new paths (11 claims and 7 findings per copy). With ``--report
audit`` it is the audit scenario's golden report (``tests/golden/audit/report.json``: 8
claims with support scores, 7 audited sources, 8 findings per copy), its sources copied
too under new ids. Each format is
rendered ``--repeats`` times; the best CPU time (``time.process_time``) is reported, with
its ratio to ``json`` (pydantic's serializer) measured in the same run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from provenance.formats import FORMATS
from provenance.models import Report, load_report

TESTS = Path(__file__).resolve().parents[2] / "tests"
MIXED = TESTS / "data" / "reports" / "mixed.json"
AUDIT = TESTS / "golden" / "audit" / "report.json"


def _audit_base() -> Report:
    text = AUDIT.read_text(encoding="utf-8")
    text = text.replace('"<generated_at>"', '"2026-01-11T09:00:00Z"').replace("<version>", "0")
    text = text.replace("{a}", "http://a.example.org").replace("{b}", "http://b.example.org")
    return Report.model_validate_json(text)


def _big(copies: int, audit: bool = False) -> Report:
    base = _audit_base() if audit else load_report(MIXED)
    documents, findings, sources = [], [], []
    for i in range(copies):
        prefix = f"copy{i:05}/"
        if not audit:
            documents += [d.model_copy(update={"path": prefix + d.path}) for d in base.documents]
            findings += [f.model_copy(update={"path": prefix + f.path}) for f in base.findings]
            continue
        # Each copy cites its own sources: the copies' cards and support stay separate.
        for doc in base.documents:
            claims = [
                c.model_copy(
                    update={
                        "support": [
                            s.model_copy(update={"source": prefix + s.source})
                            for s in c.support or []
                        ]
                    }
                )
                for c in doc.claims
            ]
            citations = [
                c.model_copy(update={"source": prefix + c.source if c.source else None})
                for c in doc.citations
            ]
            documents.append(
                doc.model_copy(
                    update={"path": prefix + doc.path, "claims": claims, "citations": citations}
                )
            )
        findings += [
            f.model_copy(
                update={"path": prefix + f.path, "source": prefix + f.source if f.source else None}
            )
            for f in base.findings
        ]
        sources += [s.model_copy(update={"id": prefix + s.id}) for s in base.sources]
    update: dict[str, object] = {"documents": documents, "findings": findings}
    if audit:
        update["sources"] = sources
    return base.model_copy(update=update)


def main() -> None:
    """Render every format and print CPU seconds and the ratio to json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--report", choices=["mixed", "audit"], default="mixed")
    args = parser.parse_args()
    report = _big(args.copies, audit=args.report == "audit")
    claims = sum(len(d.claims) for d in report.documents)
    print(
        f"{len(report.documents)} documents, {claims} claims, {len(report.sources)} sources,"
        f" {len(report.findings)} findings"
    )
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
