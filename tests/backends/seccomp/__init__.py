"""The seccomp backend: /proc/sys path syscalls redirected into a mounted fake."""
