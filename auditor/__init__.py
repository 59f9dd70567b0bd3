"""aks-auditor: policy-as-code compliance auditing for AKS and Azure Kubernetes Fleet Manager estates."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aks-auditor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
