"""A remediation plan as the lines the console prints: every step numbered, then the manual work."""

from __future__ import annotations

from pathlib import Path

from auditor.remediation.plan import RemediationPlan, Step, Via


def short_name(resource_id: str) -> str:
    """``cluster``, ``cluster/pool`` or ``cluster/config`` (fleets: ``fleet/run``) from an ARM id."""
    parts = resource_id.strip("/").split("/")
    return "/".join(parts[7::2]) if len(parts) > 7 else resource_id


def render_plan(plan: RemediationPlan, path: Path, *, applying: bool = False) -> list[str]:
    numbers = {step.id: index for index, step in enumerate(plan.steps, 1)}
    clusters = {step.cluster_id.lower() for step in plan.steps if step.via is Via.AKS}
    runs = sum(step.via is Via.FLEET for step in plan.steps)
    lines = [
        f"remediation plan: {len(plan.steps)} steps on {len(clusters)} clusters"
        + (f" and {runs} fleet update run{'s' if runs != 1 else ''}" if runs else "")
        + f"; {len(plan.manual)} findings need a person -> {path}"
    ]
    for step in plan.steps:
        lines.append(_step_line(numbers[step.id], step, numbers))
    if plan.manual:
        lines.append("needs a person:")
        for item in plan.manual:
            lines.append(f"  {item.policy_id} {short_name(item.resource_id)}: {item.why}")
            lines.extend(f"      $ {command}" for command in item.commands)
    if not applying:
        lines.append("nothing was changed in Azure.")
    return lines


def _step_line(number: int, step: Step, numbers: dict[str, int]) -> str:
    after = ", ".join(str(numbers[dep]) for dep in step.depends_on)
    return f"  {number:>3}. {step.reason} [{', '.join(step.policy_ids)}]" + (
        f" (after {after})" if after else ""
    )


def step_label(step: Step) -> str:
    """``action resource`` of a step, e.g. ``upgrade-node-pool aks-qa-sea-01/qa``."""
    return f"{step.action.value} {short_name(step.resource_id)}"
