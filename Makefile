# kenshu — acceptance scanner for Windows Embedded disk images.
# `make` builds build/kenshu; `make check` installs missing deps, builds and
# runs every test; `make demo` builds and scans a sample vendor image.

PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= gcc
PKGS      := libclamav libntfs-3g json-c libcrypto hivex libxml-2.0 libnbd wimlib libguestfs libarchive inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

VERSION   := 0.1.0
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
GIT_DIRTY  := $(shell git diff --quiet HEAD -- scanner include 2>/dev/null || echo -dirty)

WARN      := -Wall -Wextra -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
             -Wvla -Wwrite-strings -Wshadow -Wno-unused-parameter
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude -Iscanner $(PKG_CFLAGS) \
             -DKENSHU_VERSION='"$(VERSION)"' -DKENSHU_COMMIT='"$(GIT_COMMIT)$(GIT_DIRTY)"' \
             -DKENSHU_DATADIR='"$(PREFIX)/share/kenshu"'
ifdef DEVELOPER
ALL_CFLAGS += -Werror
endif
ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=$(SANITIZE)
endif
LIBS      := $(PKG_LIBS) -lpthread

SRCS      := $(wildcard scanner/*.c)
# Shipped profiles and data tables, compiled in (embedded.h).
EMBEDDED  := $(sort $(wildcard profiles/*.ini profiles/tables/*.tsv))
OBJS      := $(SRCS:scanner/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/embedded.o
LIB_OBJS  := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all check check-unit check-e2e check-sanitize check-valgrind demo bench bench-containers deps install clean

all: $(BUILD)/kenshu

$(BUILD)/obj/%.o: scanner/%.c $(wildcard include/kenshu/*.h scanner/*.h) | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -MMD -c -o $@ $<

$(BUILD)/gen/embedded.c: scanner/gen-embedded.sh $(EMBEDDED) | $(BUILD)/gen
	scanner/gen-embedded.sh $@ $(EMBEDDED)

$(BUILD)/obj/embedded.o: $(BUILD)/gen/embedded.c include/kenshu/embedded.h | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/kenshu: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libkenshu.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/%: tests/unit/%.c tests/unit/bytes.h $(BUILD)/libkenshu.a | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libkenshu.a $(LIBS) -lcmocka

# Fixture tools stand alone: they build images, they do not use kenshu.
$(BUILD)/tools/%: tests/tools/%.c | $(BUILD)/tools
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/tools $(BUILD)/gen:
	mkdir -p $@

# Installs the Debian packages kenshu and its tests need, only when missing.
deps:
	@tests/install-deps.sh

check: deps
	$(MAKE) all tests
	tests/run-all.sh $(BUILD)

tests: $(BUILD)/kenshu $(UNIT_BINS) $(TOOL_BINS)

check-unit: $(UNIT_BINS)
	tests/run-all.sh $(BUILD) unit

check-e2e: $(BUILD)/kenshu $(TOOL_BINS)
	tests/run-all.sh $(BUILD) e2e

check-sanitize: deps
	$(MAKE) BUILD=build-san SANITIZE=address,undefined CFLAGS="-O1 -g" all tests
	ASAN_OPTIONS=detect_leaks=1 tests/run-all.sh build-san

demo: deps
	$(MAKE) all tests
	tests/demo.sh $(BUILD)

bench: deps
	$(MAKE) all tests
	bench/run.sh $(BUILD)

# The container path (qemu-nbd) against raw, and a libguestfs peer.
bench-containers: deps
	$(MAKE) all tests
	bench/containers.sh $(BUILD)

install: $(BUILD)/kenshu
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/kenshu/profiles
	install -m 0755 $(BUILD)/kenshu $(DESTDIR)$(PREFIX)/bin/kenshu
	install -m 0644 docs/kenshu.1 $(DESTDIR)$(PREFIX)/share/man/man1/kenshu.1
	for p in profiles/*.ini; do [ -f "$$p" ] && install -m 0644 "$$p" $(DESTDIR)$(PREFIX)/share/kenshu/profiles/ || true; done

clean:
	rm -rf build build-san

-include $(OBJS:.o=.d)
