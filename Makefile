# kgprofile: the two commands are `make demo` and `make test` (see README.md).
BUILD    ?= build
JOBS     ?= 2
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
BIN      := $(BUILD)/kgprofile

.PHONY: all deps deps-test deps-bench deps-eval deps-fuzz configure build demo test test-all bench eval fuzz clean FORCE

all: build

# Installs missing Debian packages (a no-op when all are present): `deps` what the build and the
# demo need; test, bench, eval and fuzz add their own tools (scripts/install-deps.sh GROUP).
deps:
	@bash scripts/install-deps.sh
deps-test deps-bench deps-eval deps-fuzz: deps
	@bash scripts/install-deps.sh $(patsubst deps-%,%,$@)

# An existing build folder is configured again when CMAKE_FLAGS or BUILD_TYPE is given on the
# command line (CMake keeps what they set in its cache: later plain `make` runs keep it too).
RECONFIGURE := $(strip $(CMAKE_FLAGS))$(filter command line,$(origin BUILD_TYPE))
$(BUILD)/CMakeCache.txt: $(if $(RECONFIGURE),FORCE) | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)
FORCE:

configure: $(BUILD)/CMakeCache.txt

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# The whole pipeline on a generated sample; prints where the results are.
demo: build
	$(BIN) demo --out $(BUILD)/demo

# The test suite (fast tier; < 15 minutes on 2 cores).
test: build deps-test
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 900

# Benchmarks: throughput, latency percentiles, peak memory, baseline in the same run.
bench: build deps-bench
	bash scripts/bench.sh $(BUILD)

# Long accuracy runs on the shared datasets (../shared/data).
eval: build deps-eval
	bash scripts/eval.sh $(BUILD)

# libFuzzer targets, one per reader (clang).
fuzz: deps-fuzz
	cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
	  -DKGPROFILE_BUILD_FUZZERS=ON -DKGPROFILE_BUILD_TESTS=OFF -DKGPROFILE_BUILD_BENCHMARKS=OFF
	cmake --build $(BUILD)-fuzz -j$(JOBS)
	@echo "fuzzers in $(BUILD)-fuzz/fuzz/ (run e.g. $(BUILD)-fuzz/fuzz/fuzz_rees46 -max_total_time=60)"

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
