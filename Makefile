# Strait — the one build. `make` builds everything into build/; `make test`
# runs every suite (unit tests under ASan+UBSan); see README.md.

# Debian packages the build and the tests need: the one list.
DEBIAN_PACKAGES := build-essential pkg-config clang libclang-rt-14-dev \
	libev-dev libyaml-dev libzstd-dev zlib1g-dev liblz4-dev libsnappy-dev \
	libsqlite3-dev libmicrohttpd-dev libssl-dev libcmocka-dev \
	librdkafka-dev kcat python3 python3-confluent-kafka
# Node.js and npm (kafkajs interop tests): Debian's packages, unless a node
# with npm is already installed (e.g. from NodeSource, whose nodejs conflicts
# with Debian's npm package).
NODE_PACKAGES := nodejs npm

CC ?= gcc
CLANG ?= clang
BUILD := build
PROTOCOL_DIR ?= ../shared/kafka-protocol

WARN := -Wall -Wextra -Werror
BASE_CFLAGS := -std=gnu11 $(WARN) -MMD -MP -I. -D_GNU_SOURCE
CFLAGS ?= -O2 -g
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LIBS := -lev -lyaml -lz -lzstd -llz4 -lsnappy -lsqlite3 -lmicrohttpd -lpthread -lm
TEST_LIBS := -lcmocka

COMMON_SRC := $(wildcard common/*.c common/protocol/*.c)
BROKER_SRC := $(filter-out broker/main.c,$(wildcard broker/*.c))
MIRROR_SRC := $(filter-out mirror/main.c,$(wildcard mirror/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_HELPERS := $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
COMMON_ASAN_OBJ := $(COMMON_SRC:%.c=$(BUILD)/asan/%.o)
BROKER_OBJ := $(BROKER_SRC:%.c=$(BUILD)/obj/%.o)
BROKER_ASAN_OBJ := $(BROKER_SRC:%.c=$(BUILD)/asan/%.o)
MIRROR_OBJ := $(MIRROR_SRC:%.c=$(BUILD)/obj/%.o)
MIRROR_ASAN_OBJ := $(MIRROR_SRC:%.c=$(BUILD)/asan/%.o)
TOOLS_SRC := $(wildcard tools/*.c)
TOOLS_OBJ := $(TOOLS_SRC:%.c=$(BUILD)/obj/%.o)
BINARIES := $(BUILD)/strait-broker $(BUILD)/strait $(BUILD)/strait-mirror
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/asan/tests/%)
UNIT_HELPER_OBJ := $(UNIT_HELPERS:%.c=$(BUILD)/asan/%.o)

.PHONY: all deps test unit unit-build asan ubsan protocol protocol-check fuzz fuzz-run clean run bench examples

all: $(BINARIES) unit-build examples

# Install whatever of DEBIAN_PACKAGES is missing (as root, or through sudo).
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done; \
		command -v npm >/dev/null 2>&1 || echo $(NODE_PACKAGES)); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(BUILD)/libstrait.a: $(COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/asan/libstrait.a: $(COMMON_ASAN_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libstrait-broker.a: $(BROKER_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/asan/libstrait-broker.a: $(BROKER_ASAN_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libstrait-mirror.a: $(MIRROR_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/asan/libstrait-mirror.a: $(MIRROR_ASAN_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# The replicator daemon and its commands (failover, status).
$(BUILD)/strait-mirror: $(BUILD)/obj/mirror/main.o $(BUILD)/libstrait-mirror.a $(BUILD)/libstrait.a
	$(CC) -o $@ $^ $(LIBS)

$(BUILD)/strait-broker: $(BUILD)/obj/broker/main.o $(BUILD)/libstrait-broker.a $(BUILD)/libstrait.a
	$(CC) -o $@ $^ $(LIBS)

# The `strait` command-line tools (tools/*.c) on the client library.
$(BUILD)/strait: $(TOOLS_OBJ) $(BUILD)/libstrait.a
	$(CC) -o $@ $^ $(LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN_FLAGS) -c $< -o $@

$(BUILD)/asan/tests/%: $(BUILD)/asan/tests/unit/%.o $(UNIT_HELPER_OBJ) $(BUILD)/asan/libstrait-mirror.a $(BUILD)/asan/libstrait-broker.a $(BUILD)/asan/libstrait.a
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

unit-build: $(UNIT_BIN)

# Example client programs (examples/*.c), linked with the client library.
EXAMPLE_BIN := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

examples: $(EXAMPLE_BIN)

$(BUILD)/examples/%: examples/%.c $(BUILD)/libstrait.a
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libstrait.a $(LIBS)

# Unit tests (ASan+UBSan), then the interop and system suites.
test: deps
	@$(MAKE) --no-print-directory -j2 unit-build
	@bash tests/run.sh $(UNIT_BIN)

unit: unit-build
	@bash tests/run.sh --unit-only $(UNIT_BIN)

asan ubsan: unit-build

# Regenerate the protocol codec from the schemas (PROTOCOL_DIR).
protocol:
	python3 common/protocol/generate.py $(PROTOCOL_DIR) common/protocol

# Fails when the committed generated code differs from what the schemas give.
protocol-check:
	@bash tests/checks/test_protocol_generated.sh $(PROTOCOL_DIR)

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_FLAGS := -std=gnu11 -I. -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer

fuzz: $(FUZZ_TARGETS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(COMMON_SRC) tests/unit/protocol_fill.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $^ $(LIBS)

# Runs one fuzz target on its seed corpus: make fuzz-run TARGET=fuzz_request SECONDS=600
fuzz-run: fuzz
	@bash tests/fuzz/run.sh $(TARGET) $(SECONDS)

# The two-site example (examples/two_sites.sh) until Ctrl-C: cluster east
# (127.0.0.1:9092, data ./data/east), cluster west (127.0.0.1:9192, data
# ./data/west), strait-mirror east -> west (config/mirror.yaml) and the
# trucks_gps producer writing to east; logs in ./data/logs.
run: deps
	@$(MAKE) --no-print-directory -j2 $(BINARIES) $(BUILD)/examples/trucks_producer
	@exec bash examples/two_sites.sh

# Benchmarks: our broker side by side with librdkafka's mock cluster
# (bench/run.sh; librdkafka is linked into these bench binaries only).
BENCH_BIN := $(BUILD)/bench/loadgen $(BUILD)/bench/mock_cluster $(BUILD)/bench/client_bench \
             $(BUILD)/bench/mirror_wait $(BUILD)/bench/mirror_lag

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< -lrdkafka -lpthread

# Our client library against librdkafka in one binary (bench/client_bench.c).
$(BUILD)/bench/client_bench: bench/client_bench.c $(BUILD)/libstrait.a
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libstrait.a -lrdkafka $(LIBS)

bench: $(BUILD)/strait-broker $(BUILD)/strait-mirror $(BENCH_BIN)
	@bash bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
