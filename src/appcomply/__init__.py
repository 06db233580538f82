"""appcomply: compliance platform for mobile app information services in China (CAC 2022 Provisions)."""

__version__ = "0.1.0"
