# attnlab: self-attention computed live. `make run` and `make test` install what is
# missing (scripts/deps.sh), build and run.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
ARCH    ?= -march=native
PKGS     = sdl2 SDL2_ttf fontconfig stb md4c fftw3f
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN     = -std=c11 -Wall -Wextra -pedantic -D_POSIX_C_SOURCE=200809L
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(WARN) $(CFLAGS) $(ARCH) $(PKG_CFLAGS)
LIBS     = $(PKG_LIBS) -lm -pthread

SRC      = $(wildcard src/engine/*.c src/lesson/*.c src/draw/*.c src/app/*.c src/image/*.c src/audio/*.c src/file/*.c)
MAIN     = src/main.c
TESTS    = $(wildcard tests/test_*.c)
# linked into both test builds: running attnlab in a sandbox and reading what it wrote
TEST_SUPPORT = tests/harness.c
HDRS     = $(wildcard src/*/*.h tests/*.h)

OBJ      = $(SRC:src/%.c=build/obj/%.o)
SAN_OBJ  = $(SRC:src/%.c=build/san/%.o)
SAN      = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all run test bench install uninstall clean deps deps-test

all: build/attnlab

deps:
	@sh scripts/deps.sh build

deps-test:
	@sh scripts/deps.sh test

# the engine's loops are written to vectorise; -O3 lets them
build/obj/engine/%.o: ENGINE_OPT = -O3

build/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ENGINE_OPT) -c $< -o $@

build/san/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(SAN) $(PKG_CFLAGS) -c $< -o $@

build/attnlab: $(OBJ) $(MAIN)
	$(CC) $(ALL_CFLAGS) $(MAIN) $(OBJ) -o $@ $(LIBS)

build/attnlab-san: $(SAN_OBJ) $(MAIN)
	$(CC) $(WARN) $(SAN) $(PKG_CFLAGS) $(MAIN) $(SAN_OBJ) -o $@ $(LIBS)

build/test: $(OBJ) $(TESTS) $(TEST_SUPPORT) $(HDRS)
	$(CC) $(ALL_CFLAGS) -Itests $(TESTS) $(TEST_SUPPORT) $(OBJ) -o $@ $(LIBS) -lcjson

build/test-san: $(SAN_OBJ) $(TESTS) $(TEST_SUPPORT) $(HDRS)
	$(CC) $(WARN) $(SAN) $(PKG_CFLAGS) -Itests $(TESTS) $(TEST_SUPPORT) $(SAN_OBJ) -o $@ $(LIBS) -lcjson

build/bench: $(OBJ) tests/bench.c
	$(CC) $(ALL_CFLAGS) tests/bench.c $(OBJ) -o $@ $(LIBS)

run: deps
	@$(MAKE) --no-print-directory all
	./build/attnlab

# The suite runs twice: optimised, then under AddressSanitizer + UBSan. The last line is
# the total over both runs.
test: deps-test
	@$(MAKE) --no-print-directory build/attnlab build/test build/attnlab-san build/test-san
	@sh tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory build/bench build/attnlab
	./build/bench

install: build/attnlab
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/attnlab/lessons/data
	install -m 755 build/attnlab $(DESTDIR)$(PREFIX)/bin/attnlab
	install -m 644 lessons/*.md $(DESTDIR)$(PREFIX)/share/attnlab/lessons/
	install -m 644 lessons/data/* $(DESTDIR)$(PREFIX)/share/attnlab/lessons/data/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/attnlab
	rm -rf $(DESTDIR)$(PREFIX)/share/attnlab

clean:
	rm -rf build
