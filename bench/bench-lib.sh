# SPDX-License-Identifier: GPL-2.0
# bench-lib.sh --- shared by the bench scripts (sourced): the header
# line naming the date and machine, and wall-clock timing of a command.

# The header line: date, kernel, CPU, stock e2fsprogs, git revision.
bench_header() {
	echo "# $(date -u '+%F %T UTC') | $(uname -srm) | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') | e2fsprogs $(dpkg-query -W -f='${Version}' e2fsprogs) | git $(git rev-parse --short HEAD 2>/dev/null)${1:+ | $1}"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
best() { sort -n | head -1; }

# timeit command...: wall seconds over $RUNS runs, reduced by $PICK
# (median, the default, or best); the command's failure is not ours.
timeit() {
	local i t0 t1
	for i in $(seq "$RUNS"); do
		t0=$(date +%s.%N); "$@" > /dev/null 2>&1 || true
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
	done | ${PICK:-median}
}

# timeit_fresh base copy command...: as timeit, for a command that changes
# its image: copy is made afresh from base (and synced) before each run,
# outside the timing.
timeit_fresh() {
	local base=$1 copy=$2 i t0 t1
	shift 2
	for i in $(seq "$RUNS"); do
		cp --sparse=always "$base" "$copy"
		sync
		t0=$(date +%s.%N); "$@" > /dev/null 2>&1 || true
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
	done | ${PICK:-median}
}
