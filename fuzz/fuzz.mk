# memlayout fuzzing (included by the top Makefile; see fuzz/README.md).
#
#   make fuzz          libFuzzer, FUZZ_TARGET for FUZZ_TIME seconds on JOBS cores,
#                      findings listed and confirmed through real processes at the end
#   make fuzz-afl      the same with AFL++ (afl-clang-fast, deferred fork server, persistent)
#   make fuzz-build    build every libFuzzer target (fuzz-build-asan, fuzz-build-afl: the variants)
#   make fuzz-smoke    each target for a few seconds on the seeds (fuzz/ci-smoke.sh)
#   make fuzz-findings minimize (where a session stopped), list and confirm its findings
#                      (fuzz/session.sh --findings-only: the target, then memlayout triage --confirm)
#   make corpus-min    distil the session's corpus (libFuzzer -merge, or afl-cmin with ENGINE=afl)
#   make fuzz-bench    fuzz/bench.sh: exec rate against `memlayout run`, feedback on/off
#   make fuzz-replay   the corpus through the target bodies, no fuzzer (also part of `make test`)
#   make fuzz-known    regenerate fuzz/known-bugs.txt, the known bugs (fuzz/known.sh)
#
# Variables: FUZZ_TARGET (case_json, case_bytes, case_parse), FUZZ_TIME (seconds),
# JOBS, FEEDBACK (none, layout, python, all), STOP=1 (stop at the first finding),
# FUZZ_SAN=1 (ASan+UBSan build), FUZZ_WORK (work dirs, outside git), SEEDS,
# MIN_TIME (fuzz-findings: seconds minimizing variants; sessions: FUZZ_TIME/10, >= 60).

# Include this after the top Makefile has set BUILD, CC and CFLAGS (at its end).
# Included before its first rule, nothing here may become the default goal.
$(if $(BUILD),,$(error fuzz/fuzz.mk: include it after the top Makefile sets BUILD))
MLF_SAVED_GOAL := $(.DEFAULT_GOAL)

FUZZ_CC      ?= clang
AFL_CC       ?= afl-clang-fast
FUZZ_TARGET  ?= case_json
FUZZ_TIME    ?= 3600
JOBS         ?= 1
FEEDBACK     ?= layout
STOP         ?= 0
FUZZ_SAN     ?= 0
FUZZ_WORK    ?= out/fuzz
MIN_TIME     ?= 60
SEEDS        ?= corpus/seed
ENGINE       ?= libfuzzer

MLF_TARGETS  := case_json case_bytes case_parse
# The harness library (harness/lib/); the archive gives each target only the
# modules it calls. The CLI and the report stay out of the fuzz builds.
MLF_LIB_SRC  := $(wildcard harness/lib/*.c)
# fuzz/lsan.supp as a C string (lsan_supp.h), compiled into the Python targets.
MLF_GEN      := build/gen
MLF_HDRS     := $(wildcard harness/lib/*.h) fuzz/fuzz.h $(MLF_GEN)/lsan_supp.h
MLF_CORE     := fuzz mutate feedback
MLF_PYSIDE   := run pytrace crash lsan
MLF_CFLAGS    = -O1 -g -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow \
                -Iharness/lib -I$(MLF_GEN) $(CJSON_CFLAGS) $(PY_CFLAGS) $(ML_DEFS)
MLF_ASAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined

FUZZ_DIR      := build/fuzz
FUZZ_ASAN_DIR := build/fuzz-asan
FUZZ_AFL_DIR  := build/fuzz-afl
ifeq ($(FUZZ_SAN),1)
FUZZ_BIN_DIR  := $(FUZZ_ASAN_DIR)
else
FUZZ_BIN_DIR  := $(FUZZ_DIR)
endif

$(MLF_GEN)/lsan_supp.h: fuzz/lsan.supp
	@mkdir -p $(dir $@)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/.*/"&\\n"/' $< >$@.tmp && mv $@.tmp $@

# mlf_variant DIR CC CFLAGS ENGINE-DEFINE LINK-FLAGS DRIVER-OBJ PYTHON-LIBS
define mlf_variant
$(1)/harness/%.o: harness/lib/%.c $$(MLF_HDRS)
	@mkdir -p $$(dir $$@)
	$(2) $$(MLF_CFLAGS) $(3) -c -o $$@ $$<
$(1)/libmemlayout.a: $$(MLF_LIB_SRC:harness/lib/%.c=$(1)/harness/%.o)
	rm -f $$@ && ar rcs $$@ $$^
$(1)/obj/%.o: fuzz/%.c $$(MLF_HDRS)
	@mkdir -p $$(dir $$@)
	$(2) $$(MLF_CFLAGS) $(3) $(4) -c -o $$@ $$<
$(1)/case_parse: $(1)/obj/case_parse.o $$(MLF_CORE:%=$(1)/obj/%.o) $(6) $(1)/libmemlayout.a
	$(2) $(3) $(5) -o $$@ $$^ $$(CJSON_LIBS) -lm
$(1)/case_%: $(1)/obj/case_%.o $$(MLF_CORE:%=$(1)/obj/%.o) $$(MLF_PYSIDE:%=$(1)/obj/%.o) $(6) $(1)/libmemlayout.a
	$(2) $(3) $(5) -o $$@ $$^ $$(CJSON_LIBS) $(7) -lm
endef

# The libFuzzer build links the static libpython like the CLI (the same speed,
# compared in fuzz/bench.sh); the sanitizer and AFL++ builds the shared one.
$(eval $(call mlf_variant,$(FUZZ_DIR),$(FUZZ_CC),-fsanitize=fuzzer-no-link,-DMLF_ENGINE_LIBFUZZER,-fsanitize=fuzzer,,$(CLI_PY_LIBS)))
$(eval $(call mlf_variant,$(FUZZ_ASAN_DIR),$(FUZZ_CC),-fsanitize=fuzzer-no-link $(MLF_ASAN),-DMLF_ENGINE_LIBFUZZER,-fsanitize=fuzzer,,$(PY_LIBS)))
$(eval $(call mlf_variant,$(FUZZ_AFL_DIR),$(AFL_CC),,-DMLF_ENGINE_AFL,,$(FUZZ_AFL_DIR)/obj/afl_main.o $(FUZZ_AFL_DIR)/afl_map.o,$(PY_LIBS)))

# Must not be instrumented (see the file).
$(FUZZ_AFL_DIR)/afl_map.o: fuzz/afl_map.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(MLF_CFLAGS) -c -o $@ $<

# AFL++'s custom mutator: the same mutator, position-independent, no Python.
MLF_MUT_SRC := fuzz/afl_mutator.c fuzz/fuzz.c fuzz/mutate.c fuzz/feedback.c harness/lib/case.c harness/lib/strbuf.c harness/lib/gen.c \
               harness/lib/fsutil.c harness/lib/layout.c
$(FUZZ_AFL_DIR)/mlf_mutator.so: $(MLF_MUT_SRC) $(MLF_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(MLF_CFLAGS) -fPIC -shared -o $@ $(MLF_MUT_SRC) $(CJSON_LIBS) -lm

# The replay: same bodies, no engine, the top Makefile's compiler and flags
# (SAN=1 gives its ASan/UBSan build), run by tests/run.sh as a test.
MLF_REPLAY_SRC := fuzz/replay.c $(MLF_TARGETS:%=fuzz/%.c) $(MLF_CORE:%=fuzz/%.c) $(MLF_PYSIDE:%=fuzz/%.c)
$(BUILD)/tests/test_fuzz_replay: $(MLF_REPLAY_SRC) $(MLF_HDRS) $(BUILD)/libmemlayout.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIB_INC) -I$(MLF_GEN) -DMLF_REPLAY $(LDFLAGS) \
	    -o $@ $(MLF_REPLAY_SRC) $(BUILD)/libmemlayout.a $(LDLIBS)
all: $(BUILD)/tests/test_fuzz_replay

.PHONY: fuzz fuzz-afl fuzz-build fuzz-build-asan fuzz-build-afl fuzz-smoke fuzz-findings \
        corpus-min fuzz-bench fuzz-replay fuzz-known fuzz-clean

fuzz-build: $(MLF_TARGETS:%=$(FUZZ_DIR)/%)
fuzz-build-asan: $(MLF_TARGETS:%=$(FUZZ_ASAN_DIR)/%)
fuzz-build-afl: $(MLF_TARGETS:%=$(FUZZ_AFL_DIR)/%) $(FUZZ_AFL_DIR)/mlf_mutator.so

MLF_SESSION = FUZZ_TIME=$(FUZZ_TIME) JOBS=$(JOBS) FEEDBACK=$(FEEDBACK) STOP=$(STOP) \
              FUZZ_WORK=$(FUZZ_WORK) SEEDS=$(SEEDS) ML=$(BUILD)/memlayout

fuzz: $(FUZZ_BIN_DIR)/$(FUZZ_TARGET) $(BUILD)/memlayout
	$(MLF_SESSION) BIN=$(FUZZ_BIN_DIR) sh fuzz/session.sh libfuzzer $(FUZZ_TARGET)

fuzz-afl: fuzz-build-afl $(BUILD)/memlayout
	$(MLF_SESSION) BIN=$(FUZZ_AFL_DIR) sh fuzz/session.sh afl $(FUZZ_TARGET)

MLF_FINDINGS_BIN = $(if $(filter afl,$(ENGINE)),$(FUZZ_AFL_DIR),$(FUZZ_BIN_DIR))/$(FUZZ_TARGET)

fuzz-findings: $(BUILD)/memlayout $(MLF_FINDINGS_BIN)
	BIN=$(dir $(MLF_FINDINGS_BIN)) FUZZ_WORK=$(FUZZ_WORK) ML=$(BUILD)/memlayout MIN_TIME=$(MIN_TIME) \
	    sh fuzz/session.sh --findings-only $(ENGINE) $(FUZZ_TARGET)

corpus-min: $(if $(filter afl,$(ENGINE)),fuzz-build-afl,$(FUZZ_DIR)/$(FUZZ_TARGET))
	FUZZ_WORK=$(FUZZ_WORK) SEEDS=$(SEEDS) BIN=$(if $(filter afl,$(ENGINE)),$(FUZZ_AFL_DIR),$(FUZZ_DIR)) \
	    sh fuzz/corpus-min.sh $(ENGINE) $(FUZZ_TARGET)

fuzz-smoke: fuzz-build
	BIN=$(FUZZ_DIR) sh fuzz/ci-smoke.sh

fuzz-bench: $(FUZZ_DIR)/case_json $(FUZZ_DIR)/case_bytes $(BUILD)/memlayout
	BIN=$(FUZZ_DIR) BUILD=$(BUILD) sh fuzz/bench.sh

# The known bugs the targets in an OSS-Fuzz $OUT pass over (fuzz/known.sh).
fuzz-known: $(FUZZ_BIN_DIR)/case_json
	sh fuzz/known.sh $< >fuzz/known-bugs.txt.tmp && mv fuzz/known-bugs.txt.tmp fuzz/known-bugs.txt
	@grep -vc '^#' fuzz/known-bugs.txt | sed 's|$$| known bugs in fuzz/known-bugs.txt|'

fuzz-replay: $(BUILD)/tests/test_fuzz_replay
	$(BUILD)/tests/test_fuzz_replay

fuzz-clean:
	rm -rf $(FUZZ_DIR) $(FUZZ_ASAN_DIR) $(FUZZ_AFL_DIR) $(FUZZ_WORK)


# Objects are built through pattern rules: keep them between builds.
.PRECIOUS: $(foreach d,$(FUZZ_DIR) $(FUZZ_ASAN_DIR) $(FUZZ_AFL_DIR),$(d)/obj/%.o $(d)/harness/%.o)

.DEFAULT_GOAL := $(MLF_SAVED_GOAL)
