# user_names.sh — issue 14 §4, the helper part: a user name with a newline
# or an escape sequence was stored as given, so it could forge a line in
# `macext log` or drive the terminal.  Account names now follow macOS's
# rule (letters, digits, '_', '-', '.'), checked in the core for device
# create --admin/--user; a rejected or unknown name is shown escaped, on one
# line.
. "$(dirname "$0")/lib.sh"
nl='
'
forged="evil${nl}     2  mdm        profile com.evil installed (forged)"
t_exit 64 newline_admin_refused "$MX" device create mac --admin "$forged:pw"
check_re newline_shown_escaped "bad user name 'evil\\\\n     2  mdm" "$ERR"
check one_line_error test "$(printf '%s\n' "$ERR" | wc -l)" -eq 1
t_exit 64 escape_user_refused "$MX" device create mac --user "$(printf '\033[2Jroot'):pw"
check no_escape_in_message sh -c '! printf "%s" "$1" | grep -q "$(printf "\033")"' - "$ERR"
t_exit 64 space_refused "$MX" device create mac --user "John Appleseed:pw"
check nothing_created test ! -e "$MACEXT_STATE/macext.db" -o -z "$("$MX" device list --json 2>/dev/null | tr -d '[] \n')"
t good_names "$MX" device create mac --admin admin:pw --user bob.smith-2:pw --user _svc:pw
t_json users '[u["name"] for u in j["users"]]' '["admin", "bob.smith-2", "_svc"]' "$MX" device show --json
# an unknown name typed at an authentication prompt is shown escaped
t recovery "$MX" recovery --via power-button
t_exit 77 unknown_user "$MX" security set reduced --as "$(printf 'x\033[31m'):pw"
check_re unknown_user_escaped "no user 'x\\\\x1b\\[31m'" "$ERR"
check no_forged_log_line sh -c '! "$1" log | grep -q forged' - "$MX"
