"""Fleet hub clusters read through the Kubernetes API: ``read`` (the client calls, faults as coverage
gaps), ``kubeconfig`` (hub sources from a kubeconfig file or an in-memory one), ``normalize`` (Kubernetes
objects into the inventory's MemberCluster / Placement / StagedUpdateRun)."""
