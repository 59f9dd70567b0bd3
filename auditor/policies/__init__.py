"""Policy loading, layered validation, the CEL engine adapter and the evaluator."""
