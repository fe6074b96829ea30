"""flowrelease: GitOps for Genesys Cloud Architect flows."""

__version__ = "0.1.0"
