# memlayout build. `make run` and `make test` are the two entry points (README).
PY        ?= /usr/bin/python3
PYCONFIG  ?= /usr/bin/python3-config
CC        ?= cc
SAN       ?=
ifeq ($(SAN),1)
BUILD     ?= build/san
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD     ?= build/release
SANFLAGS  :=
endif

PY_CFLAGS := $(shell $(PYCONFIG) --includes)
# Debian's static libpython is the one its python3.11 executable is built
# from (about 10% faster per case than the shared library); extension modules
# such as NumPy's then find the interpreter's symbols in the executable.
# Tests and fuzz targets keep the shared library: LeakSanitizer's suppressions
# name it (fuzz/lsan.supp).
PY_LIBS   := $(shell $(PYCONFIG) --embed --ldflags)
PY_STATIC := $(wildcard $(shell $(PYCONFIG) --configdir 2>/dev/null)/libpython3.11.a)
ifneq ($(PY_STATIC),)
CLI_PY_LIBS := -no-pie -Wl,-Bstatic -lpython3.11 -Wl,-Bdynamic -Xlinker -export-dynamic \
             -ldl -lm -lexpat -lz -lpthread -lutil
else
CLI_PY_LIBS := $(PY_LIBS)
endif
PY_EXE    := $(shell $(PY) -c 'import sys,os; print(os.path.realpath(sys.executable))' 2>/dev/null)
CJSON_CFLAGS := $(shell pkg-config --cflags libcjson 2>/dev/null || echo -I/usr/include/cjson)
CJSON_LIBS   := $(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)

VERSION   := 0.1.0
# The current releases from PyPI (the newest NumPy with CPython 3.11 wheels):
# the regression job's second environment, the long campaign's and the one
# docs/known-bugs.md describes.
CURRENT   := joblib==1.6.0 numpy==2.4.6
CFLAGS    ?= -O2 -g
# What every build of the harness is told about this machine (fuzz/fuzz.mk too).
ML_DEFS   := -DML_VERSION='"$(VERSION)"' -DML_PY_EXE='"$(PY_EXE)"' \
             -DML_RUNNER_DIR='"$(abspath harness/python)"'
CFLAGS    += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes $(SANFLAGS) \
             $(CJSON_CFLAGS) $(PY_CFLAGS) $(ML_DEFS)
LDFLAGS   += $(SANFLAGS)
LDLIBS    += $(CJSON_LIBS) $(PY_LIBS) -lm
CLI_LDLIBS := $(CJSON_LIBS) $(CLI_PY_LIBS) -lm

# The harness in three layers, each a folder: lib/ (cases, generator, layout
# model, oracle, Python children, campaigns, minimizing, triage), report/ (the
# HTML report, on top of lib/) and cli/ (the memlayout command, on top of
# both). A layer sees only its own headers and those of the layers below.
LIB_SRC   := $(wildcard harness/lib/*.c)
LIB_OBJ   := $(LIB_SRC:harness/%.c=$(BUILD)/harness/%.o)
REPORT_SRC := $(wildcard harness/report/*.c)
REPORT_OBJ := $(REPORT_SRC:harness/%.c=$(BUILD)/harness/%.o)
CLI_SRC   := $(wildcard harness/cli/*.c)
CLI_OBJ   := $(CLI_SRC:harness/%.c=$(BUILD)/harness/%.o)
LIB_INC   := -Iharness/lib
REPORT_INC := $(LIB_INC) -Iharness/report
CLI_INC   := $(REPORT_INC) -Iharness/cli
HARNESS_HDRS := $(wildcard harness/*/*.h)
TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps run test bench browser-test regress regress-current campaign known-bugs clean
all: $(BUILD)/memlayout $(TEST_BIN) $(BENCH_BIN)

deps:
	sh ci/install-deps.sh

$(BUILD)/harness/lib/%.o: harness/lib/%.c $(HARNESS_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIB_INC) -c -o $@ $<

$(BUILD)/harness/report/%.o: harness/report/%.c $(HARNESS_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(REPORT_INC) -c -o $@ $<

$(BUILD)/harness/cli/%.o: harness/cli/%.c $(HARNESS_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CLI_INC) -c -o $@ $<

$(BUILD)/libmemlayout.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libmlreport.a: $(REPORT_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/memlayout: $(CLI_OBJ) $(BUILD)/libmlreport.a $(BUILD)/libmemlayout.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CLI_LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libmlreport.a $(BUILD)/libmemlayout.a tests/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(REPORT_INC) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libmlreport.a $(BUILD)/libmemlayout.a $(LDLIBS)

# Benchmarks that need only the library (ci/bench.sh runs them).
$(BUILD)/bench/%: bench/%.c $(BUILD)/libmemlayout.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIB_INC) $(LDFLAGS) -o $@ $< $(BUILD)/libmemlayout.a $(LDLIBS)

# Findings are the expected outcome on Debian's joblib (exit 1): only a
# broken run (2, 3, 130) fails the target.
run: deps all
	rm -rf out/run
	$(BUILD)/memlayout run --seed 1 --time 60 --out out/run --report reports/run/index.html || [ $$? -eq 1 ]

test: deps all
	BUILD=$(BUILD) SAN=$(SAN) sh tests/run.sh

browser-test: deps all
	BUILD=$(BUILD) sh ci/browser-test.sh

regress: deps all
	BUILD=$(BUILD) sh ci/regress.sh

# The regression job on the current releases (installed once from PyPI).
regress-current: deps all
	BUILD=$(BUILD) OUT=$${OUT:-out/ci-current} sh ci/regress.sh --with "$(CURRENT)"

# A long campaign per transport on the current releases (ci/campaign.sh:
# TIME seconds each, default 600).
campaign: deps all
	BUILD=$(BUILD) REQS="$(CURRENT)" sh ci/campaign.sh

# docs/known-bugs.md from corpus/regress: the bugs of the current releases,
# each with its reproducer and its verdict per release.
known-bugs: deps all
	ML=$(BUILD)/memlayout $(PY) ci/known_bugs.py --current "$(CURRENT)" --out docs/known-bugs.md

bench: deps all
	BUILD=$(BUILD) sh ci/bench.sh
	BIN=build/fuzz BUILD=$(BUILD) sh fuzz/bench.sh

clean:
	rm -rf build

include fuzz/fuzz.mk
