# offsite.backup: demo and tests. Run as root on Debian or Ubuntu.
#   make demo    a sandbox backup host, a real backup to a local S3 endpoint, a summary
#   make test    everything CI runs

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PROJECT := $(abspath .)
export OFFSITE_WORK ?= $(PROJECT)/.work
export OFFSITE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/offsite-backup
export OFFSITE_VENV ?= $(OFFSITE_WORK)/venv
export PIP_CACHE_DIR ?= $(OFFSITE_CACHE)/pip
VENV := $(OFFSITE_VENV)
BIN := $(VENV)/bin
PY ?= python3
COLLECTIONS := $(OFFSITE_WORK)/collections
# The installed copy of the collection: molecule, the demo and ansible-test use it.
INSTALLED := $(COLLECTIONS)/ansible_collections/offsite/backup
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true
export ANSIBLE_FORCE_COLOR ?= false
export ANSIBLE_NOCOLOR ?= true
export ANSIBLE_PYTHON_INTERPRETER ?= auto_silent

OS_PACKAGES := mmdebstrap arch-test qemu-user-static binfmt-support gnupg rsync git python3-venv shellcheck openssl systemd-container
# make test splits the scenarios over its two lanes so that both end at about the same
# time (README, Testing): these in the host lane, after lint ...
MOLECULE_SCENARIOS ?= default unattended tiering pip protect arm64
# ... and these in the controller lane, after sanity, units and integration. arm first:
# the two emulated scenarios (arm here, arm64 last in the host lane) should overlap as
# little as possible. make molecule-all runs both.
SIDE_SCENARIOS ?= arm split restore drill
# The controllers sanity, units and integration run on (requirements/controller-*.txt):
# the oldest ansible-core meta/runtime.yml supports, with amazon.aws at galaxy.yml's
# floor, and the newest. Lint, molecule and the demo use the main venv (ansible 12).
CONTROLLERS ?= 2.17 2.21

.PHONY: help deps venv collection services-start services-stop demo demo-clean \
	test sanity units integration lint molecule molecule-side molecule-all benchmark clean

help:
	@sed -n 's/^#   //p' Makefile

deps:
	@missing=$$(for p in $(OS_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BIN)/ansible: requirements/test.txt | deps
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@# --no-compile: byte-compiling the tens of thousands of files of the ansible package
	@# takes a minute; Python compiles what is imported, when it is imported.
	$(BIN)/pip install -q --no-compile -r requirements/test.txt
	touch $@

venv: $(BIN)/ansible

# Build the collection tarball and install it, so everything runs from the copy a
# user would install, not from this checkout.
collection: venv
	rm -rf $(OFFSITE_WORK)/dist $(INSTALLED)
	mkdir -p $(OFFSITE_WORK)/dist $(COLLECTIONS)
	$(BIN)/ansible-galaxy collection build --force --output-path $(OFFSITE_WORK)/dist .
	$(BIN)/ansible-galaxy collection install --offline --no-deps -p $(COLLECTIONS) $(OFFSITE_WORK)/dist/offsite-backup-*.tar.gz

services-start: venv
	scripts/services start

services-stop:
	scripts/services stop

demo: collection
	scripts/demo

demo-clean:
	scripts/testroot destroy demo-pi || true
	scripts/services stop

# Each controller in turn; a failure on one does not hide the others' results.
sanity units integration: collection
	@failed=; for c in $(CONTROLLERS); do \
	  echo "=== ansible-test $@ on ansible-core $$c"; \
	  venv=$$(scripts/controller-venv $$c) || { failed="$$failed $$c"; continue; }; \
	  OFFSITE_TEST_VENV=$$venv scripts/ansible-test $@ $(if $(filter integration,$@),--requirements) || failed="$$failed $$c"; \
	done; \
	if [ -n "$$failed" ]; then echo "ansible-test $@ failed on ansible-core$$failed"; exit 1; fi

lint: collection
	@# ansible-lint exits 0 when a warning drops the run to a lower profile; the
	@# production profile must pass as such.
	cd $(PROJECT) && PATH=$(BIN):$$PATH ansible-lint --profile production --nocolor 2>&1 | tee $(OFFSITE_WORK)/lint.log
	@! grep -q "was required, but" $(OFFSITE_WORK)/lint.log
	@# The scripts the README names run as written: no PYTHONPATH, no venv on PATH.
	@# Every repository path the documents name exists.
	python3 scripts/check_doc_paths.py $$(git ls-files '*.md' ':!changelogs')
	for s in scripts/simulate_transition.py scripts/bucket_summary.py; do \
	  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$$HOME" python3 $$s --help >/dev/null || exit 1; \
	done
	$(BIN)/ansible-playbook --syntax-check -i examples/inventory \
	  --vault-password-file examples/inventory/vault-password.example offsite.backup.backup_hosts
	@# Every shell script (by its shebang or shellcheck directive), and the duply hooks
	@# as the role renders them; molecule's inline shell snippets are exempt.
	shellcheck $$(grep -d skip -lE '^(#!.*(ba)?sh|# shellcheck shell=)' scripts/* benchmarks/* .ci/*)
	rm -rf $(OFFSITE_WORK)/lint/hooks
	$(BIN)/python scripts/render_hooks.py $(OFFSITE_WORK)/lint/hooks >/dev/null
	shellcheck $(OFFSITE_WORK)/lint/hooks/*

# Every scenario runs, so one run shows every failure.
molecule: collection
	@failed=; for s in $(MOLECULE_SCENARIOS); do \
	  echo "=== molecule test -s $$s (at $$(date +%T))"; start=$$(date +%s); \
	  if PATH=$(BIN):$$PATH $(BIN)/molecule test -s $$s; then verdict=passed; else verdict=FAILED; failed="$$failed $$s"; fi; \
	  echo "=== molecule $$s $$verdict in $$(( $$(date +%s) - start ))s"; \
	done; \
	if [ -n "$$failed" ]; then echo "molecule failed:$$failed"; exit 1; fi

# Scenarios make test runs in the controller lane, after the matrix, instead of in
# the host lane: the two lanes then take about as long as each other.
molecule-side: collection
	@$(MAKE) --no-print-directory -o collection molecule MOLECULE_SCENARIOS="$(SIDE_SCENARIOS)"

molecule-all: collection
	@$(MAKE) --no-print-directory -o collection molecule MOLECULE_SCENARIOS="$(MOLECULE_SCENARIOS) $(SIDE_SCENARIOS)"

test: venv
	scripts/run-tests

benchmark: collection
	PATH=$(BIN):$$PATH benchmarks/converge

clean:
	-for r in $(OFFSITE_WORK)/roots/*/; do [ -d "$$r" ] && scripts/testroot destroy $$(basename $$r); done
	scripts/services stop
	rm -rf $(OFFSITE_WORK)
