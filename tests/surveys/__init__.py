"""Tests of callback surveys and campaigns (issue 7)."""
