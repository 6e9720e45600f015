/*
 * srv-checkpoint.c: the signer signs checkpoints of the audit log (PRODUCT §7). It trusts
 * nothing it did not compute: the tree is rebuilt from the rows themselves (each leaf recomputed
 * from the canonical bytes), and a size that already has a signed root is never signed with
 * another one (tlog-checkpoint: a log MUST NOT sign inconsistent checkpoints).
 */
#include "srv.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor.h"
#include "log.h"
#include "merkle.h"
#include "note.h"
#include "record.h"
#include "registry.h"
#include "sigproto.h"
#include "util.h"

static void
reply(struct sigp_rsp *p, int status, const char *text)
{
	size_t n = strnlen(text, sizeof(p->text) - 1);

	p->status = (uint8_t)status;
	memcpy(p->text, text, n); /* long reasons are cut: the whole one is logged */
	p->text[n] = '\0';
}

/* The audit public key, from the public half on the token. */
static int
audit_pubkey(struct srv *s, EVP_PKEY **out)
{
	CK_OBJECT_HANDLE h;
	uint8_t *der = NULL;
	size_t n = 0;
	const unsigned char *p;
	EVP_PKEY *k;

	if (p11_find(s->p11, s->prof.audit_key_uri, CKO_PUBLIC_KEY, &h) != 0 ||
	    p11_ec_pubkey_spki(s->p11, h, &der, &n) != 0)
		return -1;
	p = der;
	k = d2i_PUBKEY(NULL, &p, (long)n);
	free(der);
	if (k == NULL) {
		log_openssl(LOG_ERROR, "the audit public key from the HSM is not a valid key");
		return -1;
	}
	*out = k;
	return 0;
}

/* Writes audit-key.pem next to the database unless it exists (the verifier's default key). */
static void
export_pubkey(EVP_PKEY *k, const char *db)
{
	char path[CAP_PATH + 32];
	BIO *b = NULL;
	char *pem;
	long n;

	if (util_sibling(db, "audit-key.pem", path, sizeof(path)) != 0 || access(path, F_OK) == 0)
		return;
	if ((b = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_PUBKEY(b, k) != 1 ||
	    (n = BIO_get_mem_data(b, &pem)) <= 0 || util_write_file(path, pem, (size_t)n, 0644) != 0)
		log_warn("cannot write the audit public key to %s: %s; auditors then need it from "
		    "'station ca info'", path, strerror(errno));
	BIO_free(b);
}

/* Ed25519 (CKM_EDDSA, pure: the module signs the text itself) or ECDSA over SHA-256(body)
 * (srv_ecdsa_sign turns PKCS#11's r||s into the DER the note wants). */
static int
sign_body(struct srv *s, const char *body, size_t blen, uint8_t *sig, size_t *siglen)
{
	if (s->audit_is_ed25519)
		return p11_sign(s->p11, s->audit_key, CKM_EDDSA, (const uint8_t *)body, blen, sig,
		    siglen) == 0 && *siglen == 64 ? 0 : -1;
	return srv_ecdsa_sign(s, s->audit_key, (const uint8_t *)body, blen, sig, siglen);
}

/* PRODUCT §7: HSM failures are logged (hsm.error, operation "checkpoint"). The entry itself
 * waits for the next checkpoint. */
static void
hsm_error(struct srv *s, const char *reason)
{
	(void)audit_log(s->audit, &s->who, "hsm.error", NULL, NULL, json_pack("{s:s,s:s}", "operation",
	    "checkpoint", "reason", reason));
}

/* Every earlier checkpoint must be a prefix of this log: recompute their roots in one pass.
 * 0, or -1 with why (empty when the stored checkpoints could not be read; logged). */
static int
consistent_with_past(struct audit *a, const merkle_hash *leaves, uint64_t n, char *why,
    size_t cap)
{
	uint64_t *sizes = NULL;
	merkle_hash *want = NULL, *got = NULL;
	size_t k = 0, i;
	int r = -1, x;

	if ((x = reg_cp_roots(a, n, &sizes, &want, &k)) != 0) {
		if (x == AUDIT_ERR_CORRUPT)
			snprintf(why, cap, "a stored checkpoint row is malformed; run 'station audit "
			    "verify'");
		goto out;
	}
	if (k == 0) {
		r = 0;
		goto out;
	}
	if ((got = malloc(k * sizeof(*got))) == NULL ||
	    merkle_prefix_roots(leaves, n, sizes, k, got) != 0)
		goto out;
	for (i = 0; i < k; i++)
		if (memcmp(got[i], want[i], 32) != 0) {
			snprintf(why, cap, "the log no longer matches the checkpoint of size %llu that "
			    "this station signed: an entry before #%llu was altered; refusing to sign "
			    "(run 'station audit verify')", (unsigned long long)sizes[i],
			    (unsigned long long)sizes[i]);
			goto out;
		}
	r = 0;
out:
	free(sizes);
	free(want);
	free(got);
	return r;
}

/*
 * The signer's own memory of what it signed, outside the database (PRODUCT §4: the state the
 * signer relies on to refuse equivocation lives where the station's uid cannot write): the
 * file <database>.signer-state holds "size hex-root" of the last checkpoint this signer signed.
 * Deleting checkpoint rows and rewriting an entry with a recomputed leaf no longer passes: the
 * log's prefix of that size must still have that root.
 */
static void
state_path(const struct srv *s, char *out, size_t cap)
{
	snprintf(out, cap, "%s.signer-state", s->prof.database);
}

/* 1 and (*size, root) when the state file exists, 0 when it does not, -1 when unreadable. */
static int
state_read(const struct srv *s, uint64_t *size, uint8_t root[32])
{
	char path[CAP_PATH + 16], hex[65];
	unsigned long long n = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = -1;

	state_path(s, path, sizeof(path));
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (util_read_file(path, 128, &buf, &len) != 0)
		return -1;
	buf[len < 128 ? len : 127] = '\0';
	if (sscanf((char *)buf, "%llu %64s", &n, hex) == 2 && strlen(hex) == 64 &&
	    util_unhex(hex, root, 32) == 32) {
		*size = n;
		r = 1;
	}
	free(buf);
	return r;
}

static int
state_write(const struct srv *s, uint64_t size, const uint8_t root[32])
{
	char path[CAP_PATH + 16], tmp[CAP_PATH + 32], line[128], hex[65];
	int n;

	state_path(s, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(line, sizeof(line), "%llu %s\n", (unsigned long long)size,
	    util_hex(root, 32, hex, sizeof(hex)));
	(void)unlink(tmp);
	if (util_write_file(tmp, line, (size_t)n, 0600) != 0 || rename(tmp, path) != 0) {
		log_error("cannot write the signer state %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Without a state file (a signer from before it existed, or someone deleted it), the newest
 * signed checkpoint file in <db dir>/checkpoints/ stands in for it, if its signature verifies
 * under the audit key: deleting the state file then gives no more than deleting nothing.
 * 1 and (*size, root) when such a file exists, 0 when none, -1 when one does not verify.
 */
static int
newest_file(struct srv *s, EVP_PKEY *pub, uint64_t *size, uint8_t root[32])
{
	char dir[CAP_PATH + 32], path[CAP_PATH + 64];
	struct note_checkpoint *cp = NULL;
	unsigned long long best = 0, v;
	struct dirent *de;
	uint8_t *buf = NULL;
	size_t len = 0;
	char *end;
	DIR *d;
	int r = 0;

	if (util_sibling(s->prof.database, "checkpoints", dir, sizeof(dir)) != 0 ||
	    (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		v = strtoull(de->d_name, &end, 10);
		if (end != de->d_name && strcmp(end, ".checkpoint") == 0 && v > best)
			best = v;
	}
	closedir(d);
	if (best == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%llu.checkpoint", dir, best);
	r = -1;
	if ((cp = malloc(sizeof(*cp))) == NULL || util_read_file(path, CAP_NOTE, &buf, &len) != 0 ||
	    note_parse((const char *)buf, len, cp, NULL, 0) != 0 ||
	    note_verify((const char *)buf, cp, pub) != 0 || cp->size != best)
		goto out;
	*size = cp->size;
	memcpy(root, cp->root, 32);
	r = 1;
out:
	free(buf);
	free(cp);
	return r;
}

/* The log must extend the last checkpoint this signer signed. 0, or -1 with why. */
static int
state_check(struct srv *s, EVP_PKEY *pub, const merkle_hash *leaves, uint64_t n, char *why,
    size_t cap)
{
	uint8_t want[32];
	merkle_hash got;
	uint64_t size = 0;
	int r;

	if ((r = state_read(s, &size, want)) == 0 && (r = newest_file(s, pub, &size, want)) < 0) {
		snprintf(why, cap, "refusing to sign: this signer's state file is missing and the newest "
		    "checkpoint file does not verify under the audit key (run 'station audit verify')");
		return -1;
	}
	if (r == 0)
		return 0;
	if (r < 0) {
		snprintf(why, cap, "cannot read this signer's state file (<database>.signer-state); "
		    "refusing to sign");
		return -1;
	}
	if (n < size) {
		snprintf(why, cap, "refusing to sign: the log has %llu entries but this signer signed "
		    "a checkpoint of size %llu: entries were removed (run 'station audit verify')",
		    (unsigned long long)n, (unsigned long long)size);
		return -1;
	}
	if (merkle_prefix_roots(leaves, n, &size, 1, &got) != 0 || memcmp(got, want, 32) != 0) {
		snprintf(why, cap, "refusing to sign: the log no longer matches the checkpoint of size "
		    "%llu that this signer signed: an entry before #%llu was rewritten (run 'station "
		    "audit verify')", (unsigned long long)size, (unsigned long long)size);
		return -1;
	}
	return 0;
}

/* Not forced: sign only when [audit] checkpoint_entries new entries or checkpoint_interval
 * seconds with new entries have passed. 1 when due, 0 when not, -1 on error. */
static int
due(struct srv *s)
{
	uint64_t log_size = 0, cp_size = 0;

	if (reg_log_sizes(s->audit, &log_size, &cp_size) != 0)
		return -1;
	if (log_size <= cp_size)
		return 0;
	if (s->prof.checkpoint_entries != 0 && log_size - cp_size >= s->prof.checkpoint_entries)
		return 1;
	return s->prof.checkpoint_interval != 0 &&
	    util_ms() - s->last_cp_ms >= (uint64_t)s->prof.checkpoint_interval * 1000;
}

void
srv_checkpoint(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p, char **note_out)
{
	char origin[CAP_ORIGIN + 1], body[CAP_ORIGIN + 96], why[CAP_REASON * 2];
	char dir[CAP_PATH + 32], path[CAP_PATH + 64];
	char *note = NULL;
	uint8_t root[32], old[32], sig[160], id[4];
	size_t blen = 0, nlen = 0, siglen = sizeof(sig);
	merkle_hash *leaves = NULL;
	uint64_t n = 0, cp_max = 0;
	int64_t cp_count = 0;
	EVP_PKEY *pub = NULL;
	int in_tx = 0, have, attempts = 0, st, refused = 0;

	why[0] = '\0';
	if (!q->force && (st = due(s)) <= 0) {
		if (st < 0)
			reply(p, SIGST_LOG, "cannot read the log size");
		return; /* OK, nothing signed */
	}
	if (!s->have_audit_key) {
		reply(p, SIGST_STARTUP, "no audit signing key: set [hsm] audit_key in "
		    "the profile and run 'station ca init'");
		return;
	}
	if (note_origin(s->prof.station_id, origin, sizeof(origin)) != 0) {
		reply(p, SIGST_REQUEST, "the [station] id cannot name a checkpoint "
		    "(it must be printable ASCII without spaces or '+')");
		return;
	}
	if ((note = malloc(CAP_NOTE + 1)) == NULL || audit_pubkey(s, &pub) != 0) {
		hsm_error(s, "cannot read the audit public key from the HSM");
		reply(p, SIGST_HSM, "cannot read the audit public key from the HSM");
		goto out;
	}
	/* The tree and the comparison with the past are computed on one read snapshot (WAL), so
	 * the station keeps appending meanwhile: at 1,000,000 entries this part takes ~1.7 s
	 * (measured: `station audit checkpoint` on a synthetic log, 2-core VM), which used to hold
	 * the write lock. Entries below n are append-only; an edit made after the snapshot is
	 * exactly what the signed root will expose. Only the insert takes the write lock. */
again:
	if (audit_begin_read(s->audit) != 0) {
		reply(p, SIGST_LOG, "cannot read the audit database");
		goto out;
	}
	in_tx = 1;
	if (record_leaves(audit_db(s->audit), &leaves, &n, why, sizeof(why)) != 0) {
		char msg[CAP_REASON * 2 + 64];
		snprintf(msg, sizeof(msg), "refusing to sign a checkpoint: %s; run 'station audit "
		    "verify'", why);
		log_error("%s", msg);
		reply(p, SIGST_LOG, msg);
		goto out;
	}
	if (reg_cp_state(s->audit, &cp_count, &cp_max) != 0) {
		reply(p, SIGST_LOG, "cannot read the stored checkpoints");
		goto out;
	}
	if (cp_max > n) {
		snprintf(why, sizeof(why), "refusing to sign: the log has %llu entries but a checkpoint "
		    "of size %llu was signed: entries were removed (run 'station audit verify')",
		    (unsigned long long)n, (unsigned long long)cp_max);
		log_error("%s", why);
		reply(p, SIGST_LOG, why);
		goto out;
	}
	if (merkle_root(leaves, n, root) != 0 ||
	    note_body(origin, n, root, body, sizeof(body), &blen) != 0) {
		reply(p, SIGST_INTERNAL, "cannot compute the tree head");
		goto out;
	}
	if ((have = reg_cp_find(s->audit, n, old, note, CAP_NOTE + 1)) < 0) {
		reply(p, SIGST_LOG, "cannot read the stored checkpoints");
		goto out;
	}
	if (have && memcmp(old, root, 32) != 0) {
		snprintf(why, sizeof(why), "refusing to sign: a checkpoint of size %llu with another "
		    "root was already signed; the log was altered (run 'station audit verify')",
		    (unsigned long long)n);
		log_error("%s", why);
		reply(p, SIGST_LOG, why);
		goto out;
	}
	if (state_check(s, pub, leaves, n, why, sizeof(why)) != 0) {
		log_error("%s", why);
		reply(p, SIGST_LOG, why);
		refused = 1;
		goto out;
	}
	if (!have && consistent_with_past(s->audit, leaves, n, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "cannot compare with earlier checkpoints");
		log_error("%s", why);
		reply(p, SIGST_LOG, why);
		goto out;
	}
	if (audit_commit(s->audit) != 0) { /* ends the read snapshot */
		reply(p, SIGST_LOG, "cannot read the audit database");
		goto out;
	}
	in_tx = 0;
	if (!have) {
		if (note_key_id(pub, origin, id) != 0) {
			reply(p, SIGST_STARTUP, "the audit key must be an Ed25519 or EC "
			    "P-256 key (signed-note types 0x01, 0x02); check [hsm] audit_key");
			goto out;
		}
		if (sign_body(s, body, blen, sig, &siglen) != 0 ||
		    note_assemble(body, origin, id, sig, siglen, note, CAP_NOTE + 1, &nlen) != 0) {
			hsm_error(s, "the HSM could not sign the checkpoint");
			reply(p, SIGST_HSM, "the HSM could not sign the checkpoint");
			goto out;
		}
		/* Check our own signature before it becomes evidence. */
		{
			struct note_checkpoint *cp = malloc(sizeof(*cp));
			int ok = cp != NULL && note_parse(note, nlen, cp, NULL, 0) == 0 &&
			    note_verify(note, cp, pub) == 0;
			free(cp);
			if (!ok) {
				hsm_error(s, "the checkpoint signature does not verify with the audit "
				    "public key");
				reply(p, SIGST_HSM, "the checkpoint signature does not "
				    "verify with the audit public key; check [hsm] audit_key");
				goto out;
			}
		}
		if ((st = reg_cp_store(s->audit, cp_count, n, root, note, CAP_NOTE + 1)) == 1 &&
		    ++attempts < 3) {
			/* another signer stored a checkpoint since our snapshot: check again */
			free(leaves);
			leaves = NULL;
			siglen = sizeof(sig);
			goto again;
		}
		if (st == AUDIT_ERR_CONSTRAINT) {
			snprintf(why, sizeof(why), "refusing to store: a checkpoint of size %llu with "
			    "another root was signed meanwhile; the log was altered (run 'station audit "
			    "verify')", (unsigned long long)n);
			log_error("%s", why);
			reply(p, SIGST_LOG, why);
			goto out;
		}
		if (st != 0) {
			reply(p, SIGST_LOG, st == 1 ? "cannot store the checkpoint (other signers kept "
			    "storing checkpoints meanwhile; try again)" : "cannot store the checkpoint "
			    "in the audit database");
			goto out;
		}
	}
	/* The files are copies for people and off-site storage; the table is the record. */
	if (util_sibling(s->prof.database, "checkpoints", dir, sizeof(dir)) != 0) {
		log_warn("the database path is too long to name <db dir>/checkpoints");
	} else {
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			log_warn("cannot create %s: %s", dir, strerror(errno));
		snprintf(path, sizeof(path), "%s/%llu.checkpoint", dir, (unsigned long long)n);
		if (util_write_file(path, note, strlen(note), 0644) != 0)
			log_warn("cannot write %s: %s", path, strerror(errno));
	}
	export_pubkey(pub, s->prof.database);
	if (state_write(s, n, root) != 0) {
		reply(p, SIGST_LOG, "the checkpoint is stored but this signer could not save its state "
		    "file; check the database directory's permissions");
		goto out;
	}
	s->last_cp_ms = util_ms();
	p->signed_now = 1;
	p->size_hi = (uint32_t)(n >> 32);
	p->size_lo = (uint32_t)n;
	p->blob = (const uint8_t *)note;
	p->blob_len = strlen(note);
	*note_out = note;
	note = NULL; /* owned by the caller */
out:
	if (in_tx)
		audit_rollback(s->audit);
	/* After the snapshot ends: the refusal is evidence too. */
	if (refused)
		(void)audit_log(s->audit, &s->who, "checkpoint.refused", NULL, NULL,
		    json_pack("{s:s,s:s}", "trigger", q->trigger, "reason", why));
	EVP_PKEY_free(pub);
	free(leaves);
	free(note);
}
