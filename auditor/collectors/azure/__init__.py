"""Live collection from Azure: Resource Graph, the AKS API and Fleet ARM resources -> an Estate.

Entry points: ``collector.AzureCollector`` and ``settings.AzureSettings`` (SDK-free, for the config).
"""
