"""Analysis engine: one meta-device trace feeds the summary, the graph IR and channel growth."""
from .summary import Analysis, analyze

__all__ = ["Analysis", "analyze"]
