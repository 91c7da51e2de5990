# iofault_fulldisk.sh — a full disk (a 3 MiB tmpfs, mounted when running as
# root) makes a command fail with a clear error and leaves the previous
# state intact; once space is back the same command succeeds.  Issue 14
# §12: on the full disk the read verbs still work (they used to fail with
# "disk I/O error") and a failed write says "the disk is full", naming the
# state store.
. "$(dirname "$0")/lib.sh"

FULL="$TMP/full"
mkdir -p "$FULL"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=3m tmpfs "$FULL" 2>/dev/null; then
	skip full_disk "needs root to mount a small tmpfs"
	exit 0
fi
trap 'umount "$FULL" 2>/dev/null; rm -rf "$TMP"' EXIT
export MACEXT_STATE="$FULL/state"
t create_device "$MX" device create mac1
before=$("$MX" store digest)
# fill the file system, leaving a few KiB
dd if=/dev/zero of="$FULL/filler" bs=64k 2>/dev/null
dd if=/dev/zero of="$FULL/filler2" bs=1k 2>/dev/null
t_exit 74 full_disk_fails_74 "$MX" fleet create --count 3000 --batch 3000 --prefix x \
    --mix 'arm64:15.1=100%'
check_re full_disk_message_clear "the disk is full \(state store $FULL/state/macext.db" "$ERR"
# reads on the full disk
t_out full_disk_digest_readable "$before" "$MX" store digest
t_grep full_disk_store_check '^ok: 1 devices' "$MX" store check
t_grep full_disk_device_list '^mac1 ' "$MX" device list
t_json full_disk_device_show 'j["name"]' mac1 "$MX" device show --json
t_grep full_disk_log 'device created' "$MX" log
t_exit 74 full_disk_small_write_fails "$MX" device create mac2
t_grep full_disk_small_write_message "the disk is full" "$MX" device create mac2
rm -f "$FULL/filler" "$FULL/filler2"
t_out full_disk_state_intact "$before" "$MX" store digest
t store_check_after_full "$MX" store check
t retry_with_space "$MX" fleet create --count 3000 --batch 3000 --prefix x --mix 'arm64:15.1=100%'
t_json all_created_after_retry 'len(j)' 3001 "$MX" device list --json
