"""The Asterisk adapter: a FastAGI server (pyst2's AGI as the protocol layer)."""
