# state_dir.sh — issue 14 §12: the state directory option gets exact
# messages, and a read-only state directory can still be read.  Before,
# `--state FILE` failed deep inside SQLite, `--state ""` and a bare
# `--state` fell back to a default or to "unknown option", and every
# command — even `device list` — failed on a read-only state with "attempt
# to write a readonly database".  Read verbs now open the store read-only;
# a write names the read-only directory.
. "$(dirname "$0")/lib.sh"
# the default ./macext-state must not appear: run where nothing else put one
# (a developer's `make run` leaves ./macext-state in the checkout)
cd "$TMP" || exit 1
printf 'not a directory' > "$TMP/file"
t_exit 64 state_file_refused "$MX" --state "$TMP/file" device list
t_grep state_file_message "^macext: state directory $TMP/file is not a directory \(--state and MACEXT_STATE name the directory that holds macext.db\)$" "$MX" --state "$TMP/file" device list
t_exit 64 state_file_write_refused "$MX" --state "$TMP/file" device create m
t_exit 64 state_empty_refused "$MX" --state "" device list
t_grep state_empty_message '^macext: --state: expected a directory, got an empty string$' "$MX" --state "" device list
t_grep state_empty_eq_message '^macext: --state: expected a directory, got an empty string$' "$MX" --state= device list
t_exit 64 state_bare_refused "$MX" device list --state
t_grep state_bare_message '^macext: --state needs a directory \(usage: --state DIR\)$' "$MX" device list --state
t_grep state_env_empty_message '^macext: MACEXT_STATE: expected a directory, got an empty string$' env MACEXT_STATE= "$MX" device list
check nothing_created_for_bad_state test ! -e "./macext-state"

# ---- a read-only state directory (a read-only bind mount: root only)
S="$TMP/state"
t create "$MX" --state "$S" device create mac --arch arm64 --os 15.1 --admin admin:pw
t enroll "$MX" --state "$S" mdm enroll --method device --user-approved
if [ -n "$TESTDATA" ]; then
	t profile "$MX" --state "$S" mdm install-profile "$TESTDATA/profiles/kandji__Dropbox.mobileconfig"
fi
RO="$TMP/ro"; mkdir -p "$RO"
if [ "$(id -u)" != 0 ] || ! mount --bind "$S" "$RO" 2>/dev/null; then
	skip read_only "needs root for a read-only bind mount"; exit 0
fi
trap 'umount "$RO" 2>/dev/null; rm -rf "$TMP"' EXIT
if ! mount -o remount,bind,ro "$RO" 2>/dev/null; then
	skip read_only "cannot remount the bind mount read-only"; exit 0
fi
# a clean close removed -wal and -shm: SQLite cannot make them on a read-only
# mount, so the reader opens the database immutable
check no_wal_left test ! -e "$RO/macext.db-wal" -a ! -e "$RO/macext.db-shm"
t ro_digest "$MX" --state "$RO" store digest
before=$OUT
t ro_device_list "$MX" --state "$RO" device list
t_json ro_device_list_summaries '[sorted(x["summary"]) for x in j]' '[["alerts", "kext_states", "sysext_states", "user_actions"]]' \
    "$MX" --state "$RO" device list --json
t_json ro_device_show 'j["name"]' mac "$MX" --state "$RO" device show --json
t_grep ro_store_check '^ok: 1 devices' "$MX" --state "$RO" store check
t ro_profiles_list "$MX" --state "$RO" profiles list
t ro_kext_list "$MX" --state "$RO" kext list
t ro_sysext_list "$MX" --state "$RO" sysext list
t ro_alerts "$MX" --state "$RO" alerts
t_grep ro_log 'device created' "$MX" --state "$RO" log
t ro_fleet_summary "$MX" --state "$RO" fleet summary
t ro_systemextensionsctl_list env MACEXT_STATE="$RO" systemextensionsctl list
t ro_kextstat env MACEXT_STATE="$RO" kextstat
t_exit 74 ro_write_refused "$MX" --state "$RO" device create mac2
t_grep ro_write_message "the state directory $RO is read-only" "$MX" --state "$RO" device create mac2
t_exit 74 ro_profile_install_refused "$MX" --state "$RO" mdm unenroll
t_exit 74 ro_alerts_dismiss_refused "$MX" --state "$RO" alerts dismiss 1
t_grep ro_alerts_dismiss_message "is read-only" "$MX" --state "$RO" alerts dismiss 1
t_grep ro_install_message "is read-only" "$MX" --state "$RO" mdm unenroll
umount "$RO"
t_out state_unchanged "$before" "$MX" --state "$S" store digest
