"""Kubernetes version paths for one cluster: one minor per hop, never down, pools never above the plane.

Pure: a cluster's running versions and its region's catalog in, an ordered list of hops out (or the
reason there is none). The planner turns hops into plan steps; a property test holds these rules:

- every hop moves its resource exactly one minor up (or, for a patch fix, up within the same minor);
- every target is listed in the region's catalog (a preview one only when allowed) — except a pool
  joining its control plane's own version, which AKS always accepts;
- a pool is never above its control plane, before or after any hop;
- the control plane never moves more than ``max_hops`` minors (it moves that many when the catalog
  offers them), and never so far that a pool would trail it by more than the allowed skew.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.inventory.aks import CatalogMinor, VersionCatalog
from auditor.kube_versions import parse_version, version_compare

OFFICIAL = "KubernetesOfficial"
LTS = "AKSLongTermSupport"
CONTROL_PLANE = ""  # the resource name of the control plane in hops (pools use their own name)


@dataclass(frozen=True)
class Hop:
    """Move ``resource`` (CONTROL_PLANE or a pool name) from ``from_version`` to ``to_version``."""

    resource: str
    from_version: str
    to_version: str


@dataclass
class VersionPath:
    hops: list[Hop] = field(default_factory=list)
    #: Why the path stops short of what was wanted, per resource (CONTROL_PLANE or a pool name).
    stopped: list[tuple[str, str]] = field(default_factory=list)


def minor_key(version: str) -> tuple[int, int]:
    major, minor, _ = parse_version(version)
    return major, minor


def next_minor(version: str) -> str:
    major, minor = minor_key(version)
    return f"{major}.{minor + 1}"


def max_pool_skew(control_plane: str) -> int:
    """Minors a pool may trail the control plane: three from 1.28, two before (Kubernetes skew policy)."""
    return 3 if minor_key(control_plane) >= (1, 28) else 2


@dataclass(frozen=True)
class Catalog:
    """A region's catalog as the planner needs it: which minors are allowed and their latest patch."""

    catalog: VersionCatalog
    lts: bool
    allow_preview: bool

    def minor(self, minor: str) -> CatalogMinor | None:
        return next((m for m in self.catalog.versions if m.version == minor), None)

    def allowed(self, minor: str) -> bool:
        """Offered to this cluster: listed, not preview (unless allowed), under a plan it is on."""
        entry = self.minor(minor)
        if entry is None or (entry.is_preview and not self.allow_preview):
            return False
        return OFFICIAL in entry.support_plans or (self.lts and LTS in entry.support_plans)

    def latest_patch(self, minor: str) -> str | None:
        """The highest full ``MAJOR.MINOR.PATCH`` listed for ``minor`` (None when none is)."""
        entry = self.minor(minor)
        if entry is None:
            return None
        patches = [p for p in entry.patch_versions if parse_version(p)[2] is not None]
        best: str | None = None
        for patch in patches:
            if best is None or version_compare(patch, best) > 0:
                best = patch
        return best

    def why_not(self, minor: str) -> str:
        entry = self.minor(minor)
        region = self.catalog.location
        if entry is None:
            return f"{minor} is not offered in {region}"
        if entry.is_preview and not self.allow_preview:
            return f"{minor} is preview in {region} (--allow-preview to target it)"
        if OFFICIAL not in entry.support_plans:
            return f"{minor} is offered in {region} only under the {LTS} plan (Premium tier)"
        return f"{minor} has no patch version listed in {region}"


def plan_versions(
    control_plane: str,
    pools: dict[str, str],
    catalog: Catalog,
    *,
    hop_control_plane: bool,
    fix_patch: bool,
    raise_pools: frozenset[str],
    max_hops: int,
) -> VersionPath:
    """The hops that bring a cluster forward.

    ``hop_control_plane``: move the plane a minor at a time, ``max_hops`` minors or until the next
    minor is not offered (a plane still unsupported then is said in ``stopped``). ``fix_patch``: when
    the plane does not change minor, move it to its minor's latest patch. ``raise_pools``: pools to
    bring up to the plane's minor, a minor per hop; every pool at the plane's old minor follows each
    plane hop, so none falls out of skew on the way.
    """
    path = VersionPath()
    current = dict(pools)
    plane = control_plane
    ahead = sorted(name for name, version in current.items() if minor_key(version) > minor_key(plane))
    for name in ahead:
        path.stopped.append((name, f"pool {name} ({current[name]}) is ahead of the control plane ({plane})"))

    def raise_pool(name: str, limit: str) -> bool:
        """One minor up for pool ``name``, never above ``limit`` (the plane's version)."""
        version = current[name]
        if minor_key(version) >= minor_key(limit):
            return False
        target_minor = next_minor(version)
        if minor_key(target_minor) == minor_key(limit):
            target = limit
        elif catalog.allowed(target_minor) and (patch := catalog.latest_patch(target_minor)):
            target = patch
        else:
            path.stopped.append(
                (name, f"pool {name} ({version}) cannot move up: {catalog.why_not(target_minor)}")
            )
            return False
        path.hops.append(Hop(name, version, target))
        current[name] = target
        return True

    # Pools that trail: catch up first, so the plane never leaves one out of skew.
    for name in sorted(raise_pools - set(ahead)):
        while raise_pool(name, plane):
            pass
    hops = 0
    while hop_control_plane and hops < max_hops:
        target_minor = next_minor(plane)
        patch = catalog.latest_patch(target_minor) if catalog.allowed(target_minor) else None
        if patch is None:
            if not catalog.allowed(_minor(plane)):  # still unsupported: say why it cannot go on
                path.stopped.append(
                    (
                        CONTROL_PLANE,
                        f"the control plane ({plane}) cannot move up: {catalog.why_not(target_minor)}",
                    )
                )
            break
        skew = max_pool_skew(patch)
        behind = sorted(n for n, v in current.items() if minor_key(patch)[1] - minor_key(v)[1] > skew)
        if behind:
            path.stopped.append(
                (
                    CONTROL_PLANE,
                    f"the control plane cannot move to {target_minor}: pool(s) {', '.join(behind)} would "
                    f"trail it by more than {skew} minors",
                )
            )
            break
        path.hops.append(Hop(CONTROL_PLANE, plane, patch))
        followers = sorted(
            n for n, v in current.items() if minor_key(v) == minor_key(plane) and n not in ahead
        )
        plane = patch
        hops += 1
        for name in followers:
            raise_pool(name, plane)
    if hop_control_plane and hops == max_hops and not catalog.allowed(_minor(plane)):
        path.stopped.append(
            (CONTROL_PLANE, f"the control plane ({plane}) is still unsupported after {max_hops} hop(s)")
        )
    if fix_patch and hops == 0:
        minor = _minor(plane)
        latest = catalog.latest_patch(minor) if catalog.allowed(minor) else None
        if latest is None:
            path.stopped.append(
                (CONTROL_PLANE, f"no patch of {minor} can be targeted: {catalog.why_not(minor)}")
            )
        elif version_compare(latest, plane) > 0:
            path.hops.append(Hop(CONTROL_PLANE, plane, latest))
    return path


def _minor(version: str) -> str:
    major, minor = minor_key(version)
    return f"{major}.{minor}"
