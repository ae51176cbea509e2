# Build and install the suite. debian/rules and rpm/nut-rs.spec both call the
# targets below, so this file is the ONE place that says which program goes
# where and into which package ("component"):
#
#   make                      cargo build --release of the whole workspace
#   make install DESTDIR=...  everything into one tree
#   make install-client DESTDIR=...   upsmon side (what a monitoring-only host needs)
#   make install-server DESTDIR=...   upsd, drivers, driver tools, units, udev, hook,
#                                     upsd's data files (cmdvartab)
#   make install-snmp DESTDIR=...     the SNMP driver name(s): empty until snmp-ups
#                                     exists (so no package ships it yet)
#   make list-client|list-server|list-snmp   print what that component installs
#
# Paths default to Debian's NUT layout (upsd/upsmon in /sbin, clients in /bin,
# drivers in /lib/nut, units in /lib/systemd/system); the RPM spec passes the
# merged-/usr ones. A program that is not built yet (the suite is still
# growing) is skipped with a note, so packaging never breaks because a binary
# is missing; `make STRICT=1 install` turns that into an error.

CARGO        ?= cargo
CARGO_FLAGS  ?= --locked
PROFILE      ?= release
# cargo's output directory; debian/rules and the spec point it elsewhere.
CARGO_TARGET_DIR ?= target
export CARGO_TARGET_DIR
STRICT       ?= 0

DESTDIR      ?=
prefix       ?= /usr
sbindir      ?= /sbin
bindir       ?= /bin
# NUT's driver directory (Debian: /lib/nut). nut-driver and its names live here.
driverdir    ?= /lib/nut
confdir      ?= /etc/nut
statedir     ?= /var/lib/nut
unitdir      ?= /lib/systemd/system
shutdowndir  ?= /lib/systemd/system-shutdown
generatordir ?= /lib/systemd/system-generators
udevrulesdir ?= /lib/udev/rules.d
tmpfilesdir  ?= $(prefix)/lib/tmpfiles.d
sysusersdir  ?= $(prefix)/lib/sysusers.d
mandir       ?= $(prefix)/share/man
bashcompdir  ?= $(prefix)/share/bash-completion/completions
zshcompdir   ?= $(prefix)/share/zsh/vendor-completions
fishcompdir  ?= $(prefix)/share/fish/vendor_completions.d
# upsd's DATAPATH is $(datadir)/nut (Debian: /usr/share/nut)
datadir      ?= $(prefix)/share

INSTALL      ?= install

ifeq ($(PROFILE),dev)
BUILDDIR := $(CARGO_TARGET_DIR)/debug
else
BUILDDIR := $(CARGO_TARGET_DIR)/$(PROFILE)
endif
DOCDIR := $(CARGO_TARGET_DIR)/nut-gen-docs

# ---------------------------------------------------------------------------
# What goes where. Add a program here when it lands; nothing else to edit.
# ---------------------------------------------------------------------------
CLIENT_SBIN  := upsmon upssched
CLIENT_BIN   := upsc upsrw upscmd upslog nut-check-config
CLIENT_UNITS := nut-monitor.service nut-monitor.socket nut.target
CLIENT_CONF  := nut.conf upsmon.conf upssched.conf

SERVER_SBIN    := upsd upsdrvsvcctl
# executables that go to the driver directory (besides nut-driver itself).
# upsdrvctl runs the drivers found beside its own executable, so it lives
# there and the sbin name is a link to it.
SERVER_LIBEXEC := nut-driver-enumerator upsdrvctl
SERVER_SBIN_LINKS := upsdrvctl
SERVER_CONF    := ups.conf upsd.conf upsd.users
# files from data/ for upsd's DATAPATH, $(datadir)/nut (GET DESC / GET CMDDESC)
SERVER_DATA    := cmdvartab
# every other unit in units/ belongs to the server side
SERVER_UNITS    = $(filter-out $(CLIENT_UNITS),$(notdir $(wildcard units/*)))

# The driver names nut-driver answers to come from the code itself, the
# DRIVERS table in src/driver/mod.rs, so a new driver gets its link for free.
DRIVERS      := $(shell awk '/pub const DRIVERS/,/\];/' src/driver/mod.rs 2>/dev/null \
                  | grep -o '"[^"]*"' | tr -d '"')
SNMP_DRIVERS   := $(filter snmp-ups,$(DRIVERS))
SERVER_DRIVERS := $(filter-out $(SNMP_DRIVERS),$(DRIVERS))

# programs that only run at build time (docs, generated files) or for
# benchmarks: never installed
BUILD_TOOLS := nut-gen-docs nut-udev-rules nut-bench-load

# the program whose man page and completions belong to each component
CLIENT_DOC_NAMES := $(CLIENT_SBIN) $(CLIENT_BIN) $(CLIENT_CONF)
SERVER_DOC_NAMES := $(SERVER_SBIN) $(SERVER_LIBEXEC) nut-driver $(SERVER_DRIVERS) $(SERVER_CONF) nutupsdrv
SNMP_DOC_NAMES   := $(SNMP_DRIVERS)

.PHONY: all build docs install install-client install-server install-snmp \
        list-client list-server list-snmp check-layout clean

all: build docs

build:
	$(CARGO) build $(CARGO_FLAGS) --workspace --bins --profile $(PROFILE)

# nut-gen-docs (when built) writes man pages and bash/zsh/fish completions for
# every command; the install targets sort them by name into components.
docs: build
	rm -rf $(DOCDIR)
	if [ -x $(BUILDDIR)/nut-gen-docs ]; then \
	  mkdir -p $(DOCDIR) && $(BUILDDIR)/nut-gen-docs $(DOCDIR); \
	else echo "note: nut-gen-docs not built yet; no man pages or completions" >&2; fi

# $(call progs,DIR,MODE,NAMES): install the built programs NAMES into DIR
define progs
	for p in $(3); do \
	  if [ -x $(BUILDDIR)/$$p ]; then \
	    $(INSTALL) -D -m $(2) $(BUILDDIR)/$$p $(DESTDIR)$(1)/$$p; \
	  elif [ "$(STRICT)" = 1 ]; then echo "error: $$p is not built" >&2; exit 1; \
	  else echo "note: $$p is not built yet; skipped" >&2; fi; \
	done
endef

# $(call files,DIR,MODE,SRCDIR,NAMES): install shipped files that exist
define files
	for f in $(4); do \
	  if [ -f $(3)/$$f ]; then $(INSTALL) -D -m $(2) $(3)/$$f $(DESTDIR)$(1)/$$f; \
	  elif [ "$(STRICT)" = 1 ]; then echo "error: $(3)/$$f is missing" >&2; exit 1; \
	  else echo "note: $(3)/$$f does not exist yet; skipped" >&2; fi; \
	done
endef

# $(call units,NAMES): units, with the program paths rewritten to this layout
define units
	for u in $(1); do \
	  [ -f units/$$u ] || { echo "note: units/$$u does not exist yet; skipped" >&2; continue; }; \
	  mkdir -p $(DESTDIR)$(unitdir); \
	  sed -e 's|\([= ]\)/sbin/|\1$(sbindir)/|g' -e 's|\([= ]\)/lib/nut/|\1$(driverdir)/|g' \
	      -e 's|\([= ]\)/bin/\(ups[a-z]*\)|\1$(bindir)/\2|g' \
	      units/$$u > $(DESTDIR)$(unitdir)/$$u; \
	  chmod 0644 $(DESTDIR)$(unitdir)/$$u; \
	done
endef

# $(call gendocs,NAMES): man pages and completions nut-gen-docs wrote for NAMES
# (its layout: man<N>/<name>.<N>, completions/{bash/<name>,zsh/_<name>,fish/<name>.fish})
define gendocs
	[ ! -d $(DOCDIR) ] || for n in $(1); do \
	  for s in 1 5 8; do [ ! -f $(DOCDIR)/man$$s/$$n.$$s ] || \
	    $(INSTALL) -D -m 0644 $(DOCDIR)/man$$s/$$n.$$s $(DESTDIR)$(mandir)/man$$s/$$n.$$s; done; \
	  [ ! -f $(DOCDIR)/completions/bash/$$n ] || \
	    $(INSTALL) -D -m 0644 $(DOCDIR)/completions/bash/$$n $(DESTDIR)$(bashcompdir)/$$n; \
	  [ ! -f $(DOCDIR)/completions/zsh/_$$n ] || \
	    $(INSTALL) -D -m 0644 $(DOCDIR)/completions/zsh/_$$n $(DESTDIR)$(zshcompdir)/_$$n; \
	  [ ! -f $(DOCDIR)/completions/fish/$$n.fish ] || \
	    $(INSTALL) -D -m 0644 $(DOCDIR)/completions/fish/$$n.fish $(DESTDIR)$(fishcompdir)/$$n.fish; \
	done
endef

install: install-client install-server install-snmp

install-client:
	$(call progs,$(sbindir),0755,$(CLIENT_SBIN))
	$(call progs,$(bindir),0755,$(CLIENT_BIN))
	$(call files,$(confdir),0640,conf,$(CLIENT_CONF))
	$(call units,$(CLIENT_UNITS))
	$(call files,$(tmpfilesdir),0644,tmpfiles.d,nut.conf)
	$(call files,$(sysusersdir),0644,sysusers.d,nut.conf)
	# Debian's NUT has upsmon in the driver directory too; keep that name working
	if [ -e $(DESTDIR)$(sbindir)/upsmon ]; then \
	  mkdir -p $(DESTDIR)$(driverdir) && ln -sf $(sbindir)/upsmon $(DESTDIR)$(driverdir)/upsmon; fi
	$(call gendocs,$(CLIENT_DOC_NAMES))

install-server:
	$(call progs,$(sbindir),0755,$(SERVER_SBIN))
	$(call progs,$(driverdir),0755,nut-driver $(SERVER_LIBEXEC))
	for d in $(SERVER_DRIVERS); do \
	  [ -e $(DESTDIR)$(driverdir)/nut-driver ] && ln -sf nut-driver $(DESTDIR)$(driverdir)/$$d; done; true
	for p in $(SERVER_SBIN_LINKS); do [ -e $(DESTDIR)$(driverdir)/$$p ] || continue; \
	  mkdir -p $(DESTDIR)$(sbindir) && ln -sf $(driverdir)/$$p $(DESTDIR)$(sbindir)/$$p; done
	# the enumerator is also the systemd generator that adds nut-driver@<ups>
	if [ -e $(DESTDIR)$(driverdir)/nut-driver-enumerator ]; then mkdir -p $(DESTDIR)$(generatordir) && \
	  ln -sf $(driverdir)/nut-driver-enumerator $(DESTDIR)$(generatordir)/nut-driver-enumerator-generator; fi
	# Debian's NUT has upsd in the driver directory too; keep that name working
	if [ -e $(DESTDIR)$(sbindir)/upsd ]; then \
	  ln -sf $(sbindir)/upsd $(DESTDIR)$(driverdir)/upsd; fi
	$(call files,$(confdir),0640,conf,$(SERVER_CONF))
	$(call files,$(datadir)/nut,0644,data,$(SERVER_DATA))
	$(call units,$(SERVER_UNITS))
	if ls udev-rules/*.rules >/dev/null 2>&1; then \
	  for r in udev-rules/*.rules; do $(INSTALL) -D -m 0644 $$r $(DESTDIR)$(udevrulesdir)/$${r##*/}; done; \
	else echo "note: udev-rules/ has no rules yet; skipped" >&2; fi
	# the shutdown hook: a script under shutdown-hook/, else the built program
	if [ -f shutdown-hook/nutshutdown ]; then mkdir -p $(DESTDIR)$(shutdowndir) && \
	  sed 's|NUT_SBINDIR:-/usr/sbin}|NUT_SBINDIR:-$(sbindir)}|' shutdown-hook/nutshutdown \
	    > $(DESTDIR)$(shutdowndir)/nutshutdown && chmod 0755 $(DESTDIR)$(shutdowndir)/nutshutdown; \
	elif [ -x $(BUILDDIR)/nut-shutdown-hook ]; then \
	  $(INSTALL) -D -m 0755 $(BUILDDIR)/nut-shutdown-hook $(DESTDIR)$(shutdowndir)/nutshutdown; \
	else echo "note: no shutdown hook yet; skipped" >&2; fi
	$(INSTALL) -d -m 0755 $(DESTDIR)$(statedir)
	$(call gendocs,$(SERVER_DOC_NAMES))

install-snmp:
	for d in $(SNMP_DRIVERS); do \
	  mkdir -p $(DESTDIR)$(driverdir) && ln -sf nut-driver $(DESTDIR)$(driverdir)/$$d; done; true
	$(call gendocs,$(SNMP_DOC_NAMES))

list-client list-server list-snmp: list-%:
	@d=$$(mktemp -d) && $(MAKE) -s install-$* DESTDIR=$$d >/dev/null 2>&1 && \
	  (cd $$d && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort); rm -rf $$d

# The layout check run by tests/packaging: every program cargo builds is
# claimed by one component (so nothing silently stays out of the packages).
check-layout:
	@missing=; for f in $(BUILDDIR)/*; do \
	  [ -f "$$f" ] && [ -x "$$f" ] || continue; p=$${f##*/}; \
	  case " $(CLIENT_SBIN) $(CLIENT_BIN) $(SERVER_SBIN) $(SERVER_LIBEXEC) nut-driver $(BUILD_TOOLS) nut-shutdown-hook " in \
	    *" $$p "*) ;; *) missing="$$missing $$p" ;; esac; done; \
	if [ -n "$$missing" ]; then echo "error: built but in no component:$$missing (add them to the Makefile)" >&2; exit 1; fi; \
	echo "layout ok: drivers: $(DRIVERS)"

clean:
	$(CARGO) clean
