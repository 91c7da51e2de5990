/*
 * schema.c — the database schema as numbered migrations.  Migration N takes
 * a database at user_version N-1 to N, inside the opening transaction.
 * Names follow macOS where macOS has them: KextPolicy's kext_policy,
 * kext_policy_mdm, kext_load_history_v3 and settings (kernel-extensions.md
 * §2.2), and sysextd's db.plist record fields (system-extensions.md §2.3),
 * each with a device_id column since one database holds the whole fleet.
 */
#include <stddef.h>

#include "store_int.h"

extern const char *const mx_schema_migrations[];
extern const int mx_schema_nmigrations;

const char *const mx_schema_migrations[] = {
/* 1: the foundation */
"CREATE TABLE devices ("
"  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, serial TEXT NOT NULL UNIQUE,"
"  udid TEXT NOT NULL, arch TEXT NOT NULL, os TEXT NOT NULL, csr INTEGER NOT NULL,"
"  policy TEXT NOT NULL, kext_user_management INTEGER NOT NULL,"
"  kext_remote_management INTEGER NOT NULL, enroll TEXT NOT NULL,"
"  user_approved INTEGER NOT NULL, supervised INTEGER NOT NULL, in_abm INTEGER NOT NULL,"
"  bootstrap_escrowed INTEGER NOT NULL, env TEXT NOT NULL, recovery_entry TEXT,"
"  recovery_authenticated INTEGER NOT NULL, boot_session TEXT NOT NULL,"
"  boot_count INTEGER NOT NULL, restart_pending INTEGER NOT NULL, trust_anchor TEXT NOT NULL);"
"CREATE TABLE users (device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
"  name TEXT NOT NULL, admin INTEGER NOT NULL, pwhash TEXT NOT NULL,"
"  PRIMARY KEY (device_id, name));"
"CREATE TABLE events (id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL, time INTEGER NOT NULL,"
"  actor TEXT NOT NULL, what TEXT NOT NULL, why TEXT NOT NULL);"
"CREATE INDEX events_device ON events(device_id, id);"
"CREATE TABLE alerts (id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL REFERENCES devices(id)"
"  ON DELETE CASCADE, kind TEXT NOT NULL, subject TEXT NOT NULL, title TEXT NOT NULL,"
"  text TEXT NOT NULL, actions TEXT NOT NULL, time INTEGER NOT NULL);"
"CREATE INDEX alerts_device ON alerts(device_id);"
"CREATE TABLE blobs (hash TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;"
"CREATE TABLE files (device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
"  path TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (device_id, path)) WITHOUT ROWID;"
"CREATE TABLE kv (device_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
"  PRIMARY KEY (device_id, key)) WITHOUT ROWID;"
/* installed configuration profiles; body in blobs */
"CREATE TABLE profiles (seq INTEGER PRIMARY KEY, device_id INTEGER NOT NULL"
"  REFERENCES devices(id) ON DELETE CASCADE,"
"  identifier TEXT NOT NULL, uuid TEXT NOT NULL, display_name TEXT NOT NULL,"
"  organization TEXT NOT NULL, source TEXT NOT NULL, signer TEXT NOT NULL,"
"  installed_at INTEGER NOT NULL, body TEXT NOT NULL, payload_types TEXT NOT NULL,"
"  UNIQUE (device_id, identifier));"
/* ---- system extensions: sysextd's db.plist records (system-extensions.md §2.3) ---- */
"CREATE TABLE sysext (device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
"  uniqueID TEXT NOT NULL, seq INTEGER NOT NULL, identifier TEXT NOT NULL, teamID TEXT NOT NULL,"
"  bundleVersion TEXT NOT NULL, bundleShortVersion TEXT NOT NULL, name TEXT NOT NULL,"
"  developerName TEXT NOT NULL, categories TEXT NOT NULL, state TEXT NOT NULL,"
"  approval TEXT NOT NULL, originPath TEXT NOT NULL, container TEXT NOT NULL,"
"  app_id TEXT NOT NULL, \"references\" TEXT NOT NULL, stagedCdhashes TEXT NOT NULL,"
"  stagedBundle TEXT NOT NULL, entitlements TEXT NOT NULL, created_at INTEGER NOT NULL,"
"  PRIMARY KEY (device_id, uniqueID)) WITHOUT ROWID;"
"CREATE INDEX sysext_seq ON sysext(device_id, seq);"
"CREATE TABLE sysext_settings (device_id INTEGER PRIMARY KEY REFERENCES devices(id)"
"  ON DELETE CASCADE, developerMode INTEGER NOT NULL, bootUUID TEXT NOT NULL);"
/* ---- kernel extensions: KextPolicy ---- */
"CREATE TABLE kext_policy (device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
"  team_id TEXT, bundle_id TEXT, allowed BOOLEAN, developer_name TEXT, flags INTEGER,"
"  PRIMARY KEY (device_id, team_id, bundle_id));"
"CREATE TABLE kext_policy_mdm (device_id INTEGER NOT NULL REFERENCES devices(id)"
"  ON DELETE CASCADE, team_id TEXT, bundle_id TEXT, allowed BOOLEAN, payload_uuid TEXT,"
"  PRIMARY KEY (device_id, team_id, bundle_id));"
"CREATE TABLE kext_load_history_v3 (device_id INTEGER NOT NULL REFERENCES devices(id)"
"  ON DELETE CASCADE, path TEXT, team_id TEXT, bundle_id TEXT, boot_uuid TEXT,"
"  created_at TEXT, last_seen TEXT, flags INTEGER, cdhash TEXT,"
"  PRIMARY KEY (device_id, path));"
"CREATE TABLE settings (device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
"  name TEXT, value TEXT, PRIMARY KEY (device_id, name));"
/* macext's own per-device kext records (kernelmanagerd's view: staged
 * bundle, signature, state of DESIGN.md, approval source, AuxKC membership) */
"CREATE TABLE kexts (device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
"  bundle_id TEXT NOT NULL, team_id TEXT NOT NULL, version TEXT NOT NULL, path TEXT NOT NULL,"
"  hash TEXT NOT NULL, cdhash TEXT NOT NULL, developer_name TEXT NOT NULL,"
"  signature TEXT NOT NULL, requirement_met INTEGER NOT NULL, codeless INTEGER NOT NULL,"
"  apple_auxiliary INTEGER NOT NULL, has_arch INTEGER NOT NULL, load_requested INTEGER NOT NULL,"
"  state TEXT NOT NULL, approval TEXT NOT NULL, in_auxkc INTEGER NOT NULL,"
"  running_version TEXT NOT NULL, running_cdhash TEXT NOT NULL, running_hash TEXT NOT NULL,"
"  installed_at INTEGER NOT NULL, PRIMARY KEY (device_id, bundle_id)) WITHOUT ROWID;",
/* 2: the device-side MDM agent (store_mdm.h): enrolments with a real server,
 * executed commands with their results, the identity key pool */
"CREATE TABLE mdm_enrollments (device_id INTEGER PRIMARY KEY REFERENCES devices(id)"
"  ON DELETE CASCADE, profile TEXT NOT NULL, method TEXT NOT NULL,"
"  user_approved INTEGER NOT NULL, insecure INTEGER NOT NULL, state TEXT NOT NULL,"
"  access_rights INTEGER NOT NULL, capabilities INTEGER NOT NULL,"
"  identity_key BLOB NOT NULL, identity_cert BLOB NOT NULL, push_token TEXT NOT NULL,"
"  push_magic TEXT NOT NULL, user_token TEXT NOT NULL, user_magic TEXT NOT NULL,"
"  user_enrolled INTEGER NOT NULL, awaiting_configuration INTEGER NOT NULL,"
"  bootstrap_sent INTEGER NOT NULL, last_error TEXT NOT NULL, failures INTEGER NOT NULL,"
"  enrolled_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
"CREATE TABLE mdm_commands (device_id INTEGER NOT NULL REFERENCES devices(id)"
"  ON DELETE CASCADE, channel INTEGER NOT NULL, uuid TEXT NOT NULL,"
"  request_type TEXT NOT NULL, status TEXT NOT NULL, response BLOB,"
"  reported INTEGER NOT NULL, executed_at INTEGER NOT NULL, seq INTEGER NOT NULL,"
"  PRIMARY KEY (device_id, channel, uuid)) WITHOUT ROWID;"
"CREATE INDEX mdm_commands_unreported ON mdm_commands(device_id, channel, reported, seq);"
"CREATE TABLE mdm_keys (id INTEGER PRIMARY KEY, bits INTEGER NOT NULL, der BLOB NOT NULL);"
"CREATE INDEX mdm_keys_bits ON mdm_keys(bits, id);"
};
const int mx_schema_nmigrations = (int)(sizeof mx_schema_migrations / sizeof mx_schema_migrations[0]);
