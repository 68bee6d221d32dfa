# e2fsprogs-atomic: e2fsprogs built from Debian's source with atomic write
# support (our files in e2fsprogs/, the hook series in patches/e2fsprogs/),
# the kernel series (kernel/), tests and benchmarks.
#
#   make              build e2fsprogs with our support, and the test programs
#   make check        our tests, then e2fsprogs' own suite against the build
#   make install DESTDIR=DIR   install the build, as e2fsprogs installs
#   make SANITIZE=1 check    the same with ASan and UBSan
#   make deb          Debian packages of it (scripts/build-deb, doc/debian.md)
# See README.md for the rest (valgrind, crash-sweep, fuzz, check-vm).

top_builddir	= .
include MCONFIG

SRCDIR_CMD	= bash $(top_builddir)/scripts/e2fsprogs-source

all: e2fsprogs stock
	$(MAKE) -C tests all
	$(MAKE) -C bench all

# Ours: scripts/build-e2fsprogs is incremental (our files copied again,
# make rebuilds what changed; a changed series remakes the tree).
e2fsprogs:
	EXTRA_CONF_FLAGS="$(E2CONF)" bash scripts/build-e2fsprogs -j$(JOBS) \
		-o $(E2DIR) "$$($(SRCDIR_CMD))" patches/e2fsprogs e2fsprogs \
		>/dev/null

# The unpatched build of the same source with the same flags: what tests
# and benchmarks compare against.  Cached.
stock:
	@test -x $(STOCKBUILD)/e2fsck/e2fsck -a -f $(STOCKDIR)/.inputs || \
	bash scripts/build-e2fsprogs -j$(JOBS) -o $(STOCKDIR) \
		"$$($(SRCDIR_CMD))" >/dev/null

# e2fsprogs is configured as Debian configures it (prefix /usr, programs
# in /sbin): installing into / would replace the distribution's files
# behind dpkg's back, so a DESTDIR is required (ALLOW_ROOT_INSTALL=1 to
# install into / anyway).
install: e2fsprogs
	@if [ -z "$(DESTDIR)" ] && [ "$(ALLOW_ROOT_INSTALL)" != 1 ]; then \
		echo "make install: give DESTDIR=DIR (or ALLOW_ROOT_INSTALL=1 to" \
		     "replace the distribution's e2fsprogs files in /)"; exit 2; fi
	$(MAKE) -C $(E2BUILD) install DESTDIR=$(abspath $(DESTDIR))

# Debian binary packages, by Debian's own packaging; prints their directory
# (in the cache) last.
deb:
	E2ATOMIC_CACHE=$(E2ATOMIC_CACHE) JOBS=$(JOBS) bash scripts/build-deb

check: all
	$(MAKE) -C tests check

check-tools: all
	$(MAKE) -C tests check-tools

suite: all
	$(MAKE) -C tests suite

valgrind: all
	$(MAKE) -C tests valgrind
	$(MAKE) -C bench valgrind

fuzz: all
	$(MAKE) -C tests fuzz

crash-sweep: all
	$(MAKE) -C tests crash-sweep

check-vm: all
	$(MAKE) -C kernel check-vm

# A Debian 12 booted with systemd under qemu, with our packages installed
# (tests/debian/run; builds or reuses the packages and the images), then
# the control: the same system with the distribution's e2fsprogs must not
# come up.
check-debian: all
	bash tests/debian/run
	bash tests/debian/run --stock

# MariaDB 10.11 with innodb_doublewrite=OFF on an atomic_write filesystem
# in the same booted Debian (tests/debian/run-mariadb): no plain write
# command inside its tablespaces, no corrupt page.
check-mariadb: all
	bash tests/debian/run-mariadb

# fstests (doc/fstests.md): long TCG runs, not in CI; their results are
# committed in tests/fstests/results.
check-fstests: all
	bash tests/fstests/run atomic
	bash tests/fstests/run --unpatched atomic
	bash tests/fstests/expect tests/fstests/results/atomic-patched \
		tests/fstests/atomic.expect

check-fstests-regress: all
	bash tests/fstests/run --unpatched regress
	bash tests/fstests/run regress
	bash -o pipefail -c 'bash tests/fstests/compare \
		tests/fstests/results/regress-unpatched \
		tests/fstests/results/regress-patched | \
		tee tests/fstests/results/regress-compare.md'

clean:
	$(MAKE) -C tests clean
	$(MAKE) -C bench clean
	rm -rf build

.PHONY: all e2fsprogs stock install deb check check-tools suite valgrind \
	fuzz crash-sweep check-vm check-debian check-mariadb check-fstests \
	check-fstests-regress clean
