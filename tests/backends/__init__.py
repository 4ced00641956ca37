"""Tests of the backends besides the namespace sandbox."""
