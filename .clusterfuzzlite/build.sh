#!/bin/bash -eu
# ClusterFuzzLite entry point: the project's own OSS-Fuzz style build.
cd "$SRC/memlayout"
sh fuzz/build.sh
