# infbench - plain Makefile.
#   make                          build ./infbench
#   make test                     unit + integration tests
#   make SANITIZE=address,undefined test
#   make MPI=1 [test]             ./infbench-mpi: distributed runs under
#                                 mpirun/srun (Open MPI; docs/DISTRIBUTED.md)
#   make demo                     the main job on the built-in simulated server
#   make bench                    benchmark programs (print figures)
#   make fuzz                     short libFuzzer runs of the parsers (clang)

CC       ?= cc
SANITIZE ?=
MPI      ?=
PKGS     := libcurl jansson yaml-0.1 libpcre2-8 libutf8proc
BUILD    := build$(if $(MPI),-mpi)$(if $(SANITIZE),-san)
BIN      := infbench$(if $(MPI),-mpi)$(if $(SANITIZE),-san)
SHARED   ?= $(abspath ../shared)

CFLAGS_BASE := -std=c17 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
	-Isrc -pthread -MMD -MP
ifneq ($(SANITIZE),)
CFLAGS_BASE += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	-fno-sanitize-recover=all -O1
LDFLAGS_SAN := -fsanitize=$(SANITIZE)
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CFLAGS_BASE) $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -ldl -lm -pthread
LDFLAGS += $(LDFLAGS_SAN)
ifneq ($(MPI),)
# MPI=1: the same sources with src/dist/ on MPI (pkg-config ompi-c, else
# the mpicc wrapper's flags); without MPI src/dist/ compiles to no-ops.
MPI_CFLAGS = $(shell pkg-config --cflags ompi-c 2>/dev/null || \
	mpicc --showme:compile 2>/dev/null)
MPI_LIBS   = $(shell pkg-config --libs ompi-c 2>/dev/null || \
	mpicc --showme:link 2>/dev/null)
CFLAGS  += -DINFBENCH_MPI $(MPI_CFLAGS)
LDLIBS  += $(MPI_LIBS)
endif

LIB_SRC   := $(sort $(shell find src -name '*.c' ! -path src/main.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC  := $(sort $(shell find tests -name '*_test.c'))
TEST_BIN  := $(TEST_SRC:%.c=$(BUILD)/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:%.c=$(BUILD)/%)
DEPS_OK   := $(BUILD)/.deps-ok

.PHONY: all deps test unit integration demo bench fuzz clean

all: $(BIN)

# Installs the Debian packages we build against when they are missing.
$(DEPS_OK): scripts/deps.sh
	@MPI=$(MPI) sh scripts/deps.sh
	@mkdir -p $(BUILD) && touch $@
deps: $(DEPS_OK)

GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
$(BUILD)/src/core/version.o: CFLAGS += -DINFBENCH_GIT_REV='"$(GIT_REV)"'

$(BUILD)/%.o: %.c $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libinfbench.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(BUILD)/libinfbench.a
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libinfbench.a tests/test.h
	@mkdir -p $(dir $@)
	@echo "  TEST    $<"
	@$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libinfbench.a $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libinfbench.a
	@mkdir -p $(dir $@)
	@echo "  BENCH   $<"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libinfbench.a $(LDLIBS)

test: all $(TEST_BIN)
	@INFBENCH=./$(BIN) BUILD=$(BUILD) \
		SHARED=$(SHARED) sh tests/run.sh $(TEST_BIN)

demo: all
	./infbench compare

bench: all $(BENCH_BIN)
	@BUILD=$(BUILD) SHARED=$(SHARED) sh bench/run.sh

fuzz:
	@sh tests/fuzz/run.sh

clean:
	rm -rf build build-san build-mpi build-mpi-san infbench infbench-san \
		infbench-mpi infbench-mpi-san

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d $(TEST_BIN:=.d) $(BENCH_BIN:=.d)
