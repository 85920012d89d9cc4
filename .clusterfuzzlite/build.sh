#!/bin/bash -eu
# ClusterFuzzLite entry point: the project's own OSS-Fuzz style build, with
# the builder image's Python 3.11 (PATH), not the distribution's older one.
cd "$SRC/memlayout"
PY=$(command -v python3.11 || command -v python3) sh fuzz/build.sh
