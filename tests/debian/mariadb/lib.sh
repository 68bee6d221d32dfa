# SPDX-License-Identifier: GPL-2.0
# tests/debian/mariadb/lib.sh --- sourced by the MariaDB scenarios in the
# booted Debian (guest side): a scsi_debug disk with atomic writes, a
# filesystem on it (atomic_write with a 16 KiB unit and the data
# directory flagged +W, or plain ext4), MariaDB 10.11 as Debian packages
# it with its data directory there, sysbench, and a count of the write
# commands that reach the disk (the scsi:scsi_dispatch_cmd_start trace
# event).
# The host's settings (SB_TIME, ...), when it gave any.
[ -f /host/scenarios/env ] && . /host/scenarios/env
DB=/srv/db
DATADIR=$DB/mysql
SOCK=/run/mysqld/mysqld.sock
TRACE=/sys/kernel/tracing
# sysbench's load: tables far larger than the buffer pool, so that pages
# are flushed all the time.
SB_TABLES=${SB_TABLES:-4}
SB_ROWS=${SB_ROWS:-40000}
SB_THREADS=${SB_THREADS:-4}

# atomic_disk: load scsi_debug (4 KiB sectors, atomic writes of 4 to 64
# KiB, no delay), print its device.  (bench/run-write-profile's guest
# uses it too.)
atomic_disk() {
	modprobe scsi_debug dev_size_mb=1024 sector_size=4096 atomic_wr=1 \
		atomic_wr_max_length=16 atomic_wr_gran=1 atomic_wr_align=1 \
		delay=0 || return 1
	udevadm settle
	for b in /sys/block/sd*; do
		grep -q scsi_debug "$b/device/model" 2>/dev/null &&
			echo "/dev/${b##*/}"
	done
}

# db_fs DEV atomic|plain: a new filesystem on DEV mounted on $DB, with a
# new, empty data directory (flagged +W on the atomic one: every file
# MariaDB makes in it inherits the flag).
db_fs() {
	mountpoint -q $DB && umount $DB
	if [ "$2" = atomic ]; then
		mkfs.ext4 -q -F -O atomic_write -E atomic_write_unit=16k "$1"
	else
		mkfs.ext4 -q -F "$1"
	fi
	mkdir -p $DB
	mount "$1" $DB || return 1
	mkdir $DATADIR
	[ "$2" = atomic ] && chattr +W $DATADIR
	chown mysql:mysql $DATADIR
	mariadb-install-db --user=mysql --datadir=$DATADIR \
		--skip-test-db > /tmp/install-db.out 2>&1 ||
		{ echo "mariadb-install-db failed:"; tail -n 5 /tmp/install-db.out; }
}

# db_start ON|OFF: start MariaDB (its systemd unit) on $DATADIR with
# InnoDB's doublewrite buffer on or off.
db_start() {
	db_stop
	cat > /etc/mysql/mariadb.conf.d/99-e2atomic.cnf <<CNF
[mariadbd]
datadir = $DATADIR
innodb_flush_method = O_DIRECT
innodb_doublewrite = $1
innodb_buffer_pool_size = 8M
innodb_flush_log_at_trx_commit = 1
CNF
	systemctl start mariadb
}

# db_stop: stop MariaDB, and its socket, which would start it again.
db_stop() {
	systemctl stop mariadb.socket mariadb
}

# sb COMMAND [ARGS]: sysbench's oltp_write_only on database sbtest.
sb() {
	sysbench oltp_write_only --db-driver=mysql --mysql-socket=$SOCK \
		--mysql-user=root --mysql-db=sbtest --tables=$SB_TABLES \
		--table-size=$SB_ROWS "$@"
}

db_prepare() {
	mariadb -e "CREATE DATABASE sbtest" &&
		sb --threads=2 prepare > /dev/null
}

# trace_on / trace_off FILE: record every write command sent to the
# disk (WRITE(10), WRITE(16), WRITE ATOMIC(16)) into FILE.
trace_on() {
	echo 0 > $TRACE/tracing_on
	echo > $TRACE/trace
	echo 65536 > $TRACE/buffer_size_kb
	echo 'opcode == 0x2a || opcode == 0x8a || opcode == 0x9c' \
		> $TRACE/events/scsi/scsi_dispatch_cmd_start/filter
	echo 1 > $TRACE/events/scsi/scsi_dispatch_cmd_start/enable
	echo 1 > $TRACE/tracing_on
}
trace_off() {
	echo 0 > $TRACE/tracing_on
	echo 0 > $TRACE/events/scsi/scsi_dispatch_cmd_start/enable
	cat $TRACE/trace > "$1"
	grep -q 'LOST' "$1" && echo "the trace lost events"
	echo > $TRACE/trace
}

# tablespaces: InnoDB's tablespace files in $DATADIR, sorted: the system
# tablespace, undo tablespaces, one file per table.  (The temporary
# tablespace ibtmp1 is gone after a shutdown; the redo log ib_logfile0
# is not made of pages.)
tablespaces() {
	find $DATADIR -name 'ibdata*' -o -name 'undo[0-9]*' -o -name '*.ibd' |
		sort
}

# extents FILE...: "first-block count" of each extent of each FILE (4 KiB
# blocks on 4 KiB sectors: a block number is an LBA).
extents() {
	for f in "$@"; do
		filefrag -e -b4096 "$f" | awk -F: '$1 ~ /^ *[0-9]+$/ {
			split($3, p, /\.\./); split($4, n, " ")
			print p[1] + 0, n[1] }'
	done
}

# wire TRACE EXTENTS: the write commands of TRACE that land inside
# EXTENTS (kernel/tests/wire.awk, copied into the share): "ATOMIC-COUNT
# ATOMIC-BLOCKS PLAIN-COUNT PLAIN-BLOCKS NOT-WHOLE" (NOT-WHOLE: atomic
# commands that are not whole 16 KiB windows).
wire() {
	awk -v wb=4 -f /host/scenarios/wire.awk "$2" "$1"
}
