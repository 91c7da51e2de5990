# fleet_scale.sh — shared bytes at scale: a kext installed on 10,000
# devices is stored once; Macs that build the same AuxKC share one copy;
# per-device disk stays small.
. "$(dirname "$0")/lib.sh"

W="$TMP/w"
mkdir -p "$W"
if ! "$MX" forge ca "$W/ca" >/dev/null 2>&1 ||
   ! "$MX" forge kext "$W/Fleet.kext" --bundle-id com.example.fleet.kext --team FLEETTEAM1 \
       --ca "$W/ca" --arch fat >/dev/null 2>&1; then
	skip forge "forge is not in this build"
	exit 0
fi
t create_10000 "$MX" fleet create --count 10000 --mix 'x86_64:12.7=50%,arm64:14.5:automated=50%' \
    --prefix s --trust-anchor "$W/ca/root.pem"
printf 'kext install Fleet.kext\n' > "$W/install.steps"
t install_on_10000 "$MX" fleet apply "$W/install.steps" --json
t_json installed_everywhere 'j["steps"][0]["ok"]' 10000 printf '%s' "$OUT"
t_out one_kext_copy_in_cas 1 sh -c "ls -d '$MACEXT_STATE'/cas/*/*/Fleet.kext | wc -l"
t_out every_device_has_the_file 10000 sqlite3 "$MACEXT_STATE/macext.db" \
    "SELECT count(*) FROM files WHERE path = '/Library/Extensions/Fleet.kext'"
t_out all_point_at_one_hash 1 sqlite3 "$MACEXT_STATE/macext.db" \
    "SELECT count(DISTINCT hash) FROM files WHERE path = '/Library/Extensions/Fleet.kext'"
kib=$(( ($(du -sk "$MACEXT_STATE" | cut -f1) - $(du -sk "$MACEXT_STATE/cas" | cut -f1)) * 1024 / 10000 ))
check disk_per_device_under_8KiB test "$kib" -lt 8192
echo "  disk per device beyond shared bundles: $kib bytes"

# the full flow on 200 Intel Macs: one AuxKC for all of them
cat > "$W/flow.steps" <<'S'
kmutil load -b com.example.fleet.kext expect-exit 27
approve kext com.example.fleet.kext --as admin:admin
restart
kmutil load -b com.example.fleet.kext
S
t flow_on_200 "$MX" fleet apply "$W/flow.steps" --devices 'arch=x86_64,name=s-000[0-3]*' --json
t_json flow_loaded 'j["kext_states"]' '{"loaded": 200}' printf '%s' "$OUT"
t_json flow_no_user_action_left 'j["user_actions"]' '{}' printf '%s' "$OUT"
t_out one_auxkc_for_200_macs 1 sqlite3 "$MACEXT_STATE/macext.db" \
    "SELECT count(DISTINCT hash) FROM files WHERE path LIKE '%AuxiliaryKernelExtensions.kc'"
t_out auxkc_on_each 200 sqlite3 "$MACEXT_STATE/macext.db" \
    "SELECT count(*) FROM files WHERE path LIKE '%AuxiliaryKernelExtensions.kc'"
t store_check_at_scale "$MX" store check
