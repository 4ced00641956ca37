"""Step-by-step comparison of real-kernel and model results, with readable failure messages.

>>> mismatches([{"count": 1}], [{"count": 1}], [{"op": "write"}])
[]
"""

from __future__ import annotations

import errno
import json
from typing import Any

__all__ = ["assert_same", "mismatches"]


def _show(result: dict[str, Any]) -> str:
    out = dict(result)
    for field in ("errno", "open_errno"):
        if isinstance(out.get(field), int):
            out[field] = errno.errorcode.get(out[field], out[field])
    text = json.dumps(out)
    return text if len(text) < 400 else text[:400] + "..."


def mismatches(real: list[dict[str, Any]], model: list[dict[str, Any]], steps: list[dict[str, Any]]) -> list[str]:
    """One line per step whose result differs (errno, count, data or read-back)."""
    lines = []
    for i, step in enumerate(steps):
        r = real[i] if i < len(real) else None
        m = model[i] if i < len(model) else None
        if r != m:
            data = step.get("data", "")
            shown = repr(data if len(data) < 60 else data[:60] + f"...({len(data)} bytes)")
            lines.append(
                f"step {i} {step['op']} {step.get('key', '')} data={shown} pos={step.get('pos', 0)}\n"
                f"    real : {_show(r) if r is not None else None}\n"
                f"    model: {_show(m) if m is not None else None}"
            )
    return lines


def assert_same(case_id: str, real: list[dict[str, Any]], model: list[dict[str, Any]],
                steps: list[dict[str, Any]]) -> None:
    """Fail with every differing step of ``case_id`` listed."""
    diff = mismatches(real, model, steps)
    assert not diff, f"{case_id}: model differs from the real kernel\n" + "\n".join(diff)
