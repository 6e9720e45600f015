/*
 * ceremony.h: key ceremony on the embedded default (docs/key-ceremony.md): creates the issuing CA
 * key, the audit-log signing key and the password-commitment key inside the token (each
 * non-extractable and sensitive; one key, one purpose), certifies the issuing CA key with a demo
 * root whose private key exists only in memory during the ceremony, and records it all in the
 * audit log. Idempotent: existing keys and certificates are kept and checked.
 */
#ifndef CEREMONY_H
#define CEREMONY_H

/* Returns a process exit code (0 ok, 3 profile, 4 HSM, 5 database). Messages go to stderr,
 * the summary to stdout. */
int ceremony_init(const char *profile_path);

/* Embedded default only (scripts/hsm-setup.sh): makes sure the profile's token exists,
 * initialising a free one through PKCS#11 with the SO PIN from so_pin_file and the user PIN from
 * the profile's pin_file. Real HSMs are initialised with their vendor's tools instead. */
int ceremony_token(const char *profile_path, const char *so_pin_file);

#endif
