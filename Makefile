# macext — one Makefile. `make` builds build/macext and the Apple tool links;
# `make check` builds a sanitized copy in build-check/ and runs every test
# (`make unit T=NAME` / `make cli T=NAME` run one);
# `make run` is the demo; `make bench` and `make fuzz` are separate.
CC      ?= cc
PKGS     = libplist-2.0 libcrypto sqlite3 jansson libsodium yaml-0.1
# Opened on first use by the verbs that need them, not linked (src/formats/dl.h):
# with their own dependencies they are some 40 libraries every command would
# load (libssl and libnghttp2 serve only the MDM agent).  Their headers are still needed; programs that call them directly (the
# unit tests' HTTP clients, tests/unit/mdms_run.c and test_apns.c) also link
# them (LDLIBS_DL): the shared code gets the same copy from dlopen then.
PKGS_DL  = libarchive libcurl libmicrohttpd libssl libnghttp2
DEBS     = gcc make pkg-config libplist-dev libplist-utils libssl-dev openssl \
           libsqlite3-dev sqlite3 libjansson-dev libmicrohttpd-dev libsodium-dev libarchive-dev clang \
           python3 python3-macholib llvm-14 llvm-19 xxd \
           libyaml-dev libgnutls28-dev libcurl4-openssl-dev libnghttp2-dev curl wrk \
           chromium nodejs fonts-inter
B       ?= build
SAN     ?=
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wvla \
           -Wno-unused-parameter -Wno-format-truncation -Iinclude -Isrc -MMD -MP
OPT     ?= -O2 -g
CFLAGS_ALL = $(CFLAGS_BASE) $(OPT) $(SAN) $(shell pkg-config --cflags $(PKGS) $(PKGS_DL) 2>/dev/null)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
LDLIBS_DL  = $(shell pkg-config --libs $(PKGS_DL) 2>/dev/null)

FORMATS_SRC = $(wildcard src/formats/*.c)
CORE_SRC    = $(wildcard src/core/*.c)
STORE_SRC   = $(wildcard src/store/*.c)
ENGINE_SRC  = $(wildcard src/engine/*.c)
TOOLS_SRC   = $(wildcard src/tools/*.c)
DAEMON_SRC  = $(wildcard src/daemon/*.c)
LIB_SRC     = $(FORMATS_SRC) $(CORE_SRC) $(STORE_SRC) $(ENGINE_SRC)
UNIT_SRC    = $(wildcard tests/unit/*.c)

LIB_OBJ   = $(LIB_SRC:%.c=$(B)/obj/%.o)
# The System Settings page: every file under src/daemon/page/ becomes a C
# table (tools/embed_page.py) linked into the binary: nothing is read or
# downloaded at run time (src/daemon/page.h).
PAGE_FILES = $(shell find src/daemon/page -type f ! -name '.*' 2>/dev/null)
PAGE_OBJ  = $(B)/obj/gen/page_assets.o
TOOLS_OBJ = $(TOOLS_SRC:%.c=$(B)/obj/%.o) $(DAEMON_SRC:%.c=$(B)/obj/%.o) $(PAGE_OBJ)
UNIT_OBJ  = $(UNIT_SRC:%.c=$(B)/obj/%.o)
# the CLI's command code is linked into the unit tests too, without main()
TOOLS_NOMAIN_OBJ = $(filter-out $(B)/obj/src/tools/main.o,$(TOOLS_OBJ))

LINKS = systemextensionsctl kmutil spctl csrutil bputil profiles kextstat kextload kextunload

all: $(B)/macext links

deps: $(B)/.deps-ok
$(B)/.deps-ok:
	@mkdir -p $(B)
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing missing Debian packages:$$missing"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi; touch $@

$(B)/obj/%.o: %.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo '  CC  $<'; $(CC) $(CFLAGS_ALL) -c $< -o $@

$(B)/gen/page_assets.c: tools/embed_page.py src/daemon/page $(PAGE_FILES)
	@mkdir -p $(dir $@)
	@echo '  GEN $@'; python3 tools/embed_page.py src/daemon/page $@
$(PAGE_OBJ): $(B)/gen/page_assets.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	@echo '  CC  $<'; $(CC) $(CFLAGS_ALL) -c $< -o $@

$(B)/libmacext.a: $(LIB_OBJ)
	@rm -f $@; ar rcs $@ $^

$(B)/macext: $(TOOLS_OBJ) $(B)/libmacext.a
	@echo '  LD  $@'; $(CC) $(SAN) -o $@ $(TOOLS_OBJ) $(B)/libmacext.a $(LDLIBS_ALL)

links: $(B)/macext
	@for l in $(LINKS); do ln -sf macext $(B)/$$l; done

$(B)/unit: $(UNIT_OBJ) $(TOOLS_NOMAIN_OBJ) $(B)/libmacext.a
	@echo '  LD  $@'; $(CC) $(SAN) -o $@ $(UNIT_OBJ) $(TOOLS_NOMAIN_OBJ) $(B)/libmacext.a $(LDLIBS_ALL) $(LDLIBS_DL)

# The crash-safety driver (tests/stress/crash.c) links the CLI's commands like the unit tests
$(B)/crash: tests/stress/crash.c $(TOOLS_NOMAIN_OBJ) $(B)/libmacext.a
	@echo '  LD  $@'; $(CC) $(CFLAGS_ALL) -o $@ $< $(TOOLS_NOMAIN_OBJ) $(B)/libmacext.a $(LDLIBS_ALL)

# The conformance MDM server (tests/mdm/README.md): system libraries only, no
# libmacext, so a bug in the agent cannot be mirrored by the server it is tested
# against.  Not part of `all`; `make check` and `make bench` build it.
MDMS_PKGS = libmicrohttpd gnutls openssl libplist-2.0 yaml-0.1 jansson libcurl
MDMS_SRC  = $(wildcard tests/mdm/*.c)
MDMS_OBJ  = $(MDMS_SRC:%.c=$(B)/obj/%.o)
MDMS_LIB_OBJ = $(filter-out $(B)/obj/tests/mdm/main.o,$(MDMS_OBJ))
MDMS_LIBS = $(shell pkg-config --libs $(MDMS_PKGS) 2>/dev/null) -lpthread
$(MDMS_OBJ): CFLAGS_ALL += $(shell pkg-config --cflags $(MDMS_PKGS) 2>/dev/null)
$(B)/libmdms.a: $(MDMS_LIB_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/mdmserver: $(B)/obj/tests/mdm/main.o $(B)/libmdms.a
	@echo '  LD  $@'; $(CC) $(SAN) -o $@ $^ $(MDMS_LIBS)
# fuzz targets of the server link its sources, not libmacext
$(B)/fuzz-replay-mdmserver_%: tests/fuzz/mdmserver_%/fuzz.c tests/fuzz/replay.c $(B)/libmdms.a
	@echo '  LD  $@'; $(CC) $(CFLAGS_ALL) $(shell pkg-config --cflags $(MDMS_PKGS) 2>/dev/null) -o $@ \
	  tests/fuzz/mdmserver_$*/fuzz.c tests/fuzz/replay.c $(B)/libmdms.a $(MDMS_LIBS)

# Fuzz replay: every tests/fuzz/<name>/fuzz.c linked with a standalone driver
FUZZ_DIRS = $(patsubst tests/fuzz/%/fuzz.c,%,$(wildcard tests/fuzz/*/fuzz.c))
$(B)/fuzz-replay-%: tests/fuzz/%/fuzz.c tests/fuzz/replay.c $(B)/libmacext.a
	@echo '  LD  $@'; $(CC) $(CFLAGS_ALL) -o $@ tests/fuzz/$*/fuzz.c tests/fuzz/replay.c $(B)/libmacext.a $(LDLIBS_ALL)

# The browser scenarios (tests/browser/*.mjs) drive Debian's chromium with
# playwright-core, installed from the committed package-lock.json by npm ci
# when tests/browser/node_modules is absent or older than the lock; no
# browser is ever downloaded (playwright-core has no install step).
BROWSER_DEPS = tests/browser/node_modules/.package-lock.json
$(BROWSER_DEPS): tests/browser/package.json tests/browser/package-lock.json | $(B)/.deps-ok
	@command -v npm >/dev/null || { echo "npm is missing (it comes with nodejs)"; exit 1; }
	@echo '  NPM tests/browser (npm ci)'; cd tests/browser && \
	  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent
	@touch $@
browser-deps: deps $(BROWSER_DEPS)

CHECK_SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
check: deps browser-deps
	@$(MAKE) --no-print-directory B=build-check SAN="$(CHECK_SAN)" OPT="-O1 -g" \
	  build-check/macext links build-check/unit build-check/crash build-check/mdmserver \
	  $(patsubst %,build-check/fuzz-replay-%,$(FUZZ_DIRS))
	@$(MAKE) --no-print-directory B=build build/crash   # unsanitized: ASan makes every fork ~10x dearer
	@B=build-check FUZZ="$(FUZZ_DIRS)" sh tests/run.sh

# One test: `make unit T=engine_op_bracket` (unit tests whose name contains T),
# `make cli T=boot` (tests/cli/boot.sh), both on the sanitized build.
unit: deps
	@$(MAKE) --no-print-directory B=build-check SAN="$(CHECK_SAN)" OPT="-O1 -g" build-check/unit
	@B=build-check TESTS="$(T)" sh tests/run.sh unit

cli: deps
	@$(MAKE) --no-print-directory B=build-check SAN="$(CHECK_SAN)" OPT="-O1 -g" \
	  build-check/macext links build-check/crash build-check/mdmserver
	@$(MAKE) --no-print-directory B=build build/crash
	@B=build-check TESTS="$(if $(T),/$(T).sh)" sh tests/run.sh cli

# `make api T=events` (tests/api/events.py), on the sanitized build
api: deps
	@$(MAKE) --no-print-directory B=build-check SAN="$(CHECK_SAN)" OPT="-O1 -g" build-check/macext links
	@B=build-check TESTS="$(if $(T),/$(T).py)" sh tests/run.sh api

# `make browser T=keyboard` (tests/browser/keyboard.mjs), on the sanitized build
browser: deps browser-deps
	@$(MAKE) --no-print-directory B=build-check SAN="$(CHECK_SAN)" OPT="-O1 -g" build-check/macext links
	@B=build-check TESTS="$(if $(T),/$(T).mjs)" sh tests/run.sh browser

check-update: deps
	@$(MAKE) --no-print-directory B=build-check SAN="$(CHECK_SAN)" OPT="-O1 -g" build-check/macext links
	@B=build-check UPDATE=1 sh tests/run.sh cli

run: all
	@sh tools/demo.sh $(B)

bench: all $(B)/mdmserver
	@sh bench/run.sh $(B)

# `make stress`: many more crash points, concurrency and I/O-fault rounds (optimized build)
stress: all $(B)/crash
	@sh tests/stress/run.sh $(B)

FUZZ_SECONDS ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory B=build-fuzz CC=clang \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -Wno-unknown-warning-option" OPT="-O1 -g" \
	  build-fuzz/libmacext.a build-fuzz/libmdms.a
	@for t in $(FUZZ_DIRS); do \
	  case $$t in \
	  mdmserver_*) lib="build-fuzz/libmdms.a $(MDMS_LIBS)"; inc="$$(pkg-config --cflags $(MDMS_PKGS))";; \
	  *) lib="build-fuzz/libmacext.a $(LDLIBS_ALL)"; inc="$$(pkg-config --cflags $(PKGS))";; \
	  esac; \
	  clang $(CFLAGS_BASE) -Wno-unknown-warning-option -O1 -g -fsanitize=fuzzer,address,undefined $$inc \
	    -o build-fuzz/fuzz-$$t tests/fuzz/$$t/fuzz.c $$lib || exit 1; \
	  mkdir -p build-fuzz/corpus-$$t tests/fuzz/$$t/crashes; \
	  echo "fuzz $$t for $(FUZZ_SECONDS)s"; \
	  build-fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=tests/fuzz/$$t/crashes/ \
	    build-fuzz/corpus-$$t tests/fuzz/$$t/corpus || exit 1; \
	done

clean:
	rm -rf build build-check build-fuzz

.PHONY: all deps links check unit cli api browser browser-deps check-update run bench fuzz stress clean mdmserver
mdmserver: $(B)/mdmserver
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
