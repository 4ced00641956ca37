"""The emulated backend: /proc/sys descriptors answered from the model, no FUSE."""
