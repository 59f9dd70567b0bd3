"""Loopback fakes that speak the real wire protocols (ARM, Kubernetes API) to the real SDK clients."""
