# SPDX-License-Identifier: GPL-2.0-only
#
# integration.mk: `make test-integration` runs tests/integration/run.sh,
# the lab-based tests (root, network namespaces; see tools/lab.sh).  They
# run what `all` builds, so it comes first.

test-integration: all
	tests/integration/run.sh
