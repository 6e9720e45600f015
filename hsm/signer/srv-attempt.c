/*
 * srv-attempt.c: the boards a run session is provisioning, in the signer's own memory. The
 * database is the record, not the authority (PRODUCT §4): a row someone edited into the
 * serials or pw_commits tables gives no board a certificate. An attempt lives from BOARD (serial
 * allocated) to VERIFIED (the device row takes over), FAIL or a refusal that voids it; the run
 * session's start-up recovery voided every older one in the record.
 */
#include "srv.h"

#include <string.h>

#include "util.h"

struct srv_attempt *
srv_att_find(struct srv *s, const char *chip)
{
	size_t i;

	for (i = 0; i < CAP_ATTEMPTS; i++)
		if (s->att[i].in_use && strcmp(s->att[i].chip, chip) == 0)
			return &s->att[i];
	return NULL;
}

struct srv_attempt *
srv_att_new(struct srv *s, const char *chip, const char *serial)
{
	size_t i;

	for (i = 0; i < CAP_ATTEMPTS; i++) {
		struct srv_attempt *a = &s->att[i];

		if (a->in_use)
			continue;
		memset(a, 0, sizeof(*a));
		if (strlen(chip) >= sizeof(a->chip) || strlen(serial) >= sizeof(a->serial))
			return NULL;
		memcpy(a->chip, chip, strlen(chip) + 1);
		memcpy(a->serial, serial, strlen(serial) + 1);
		a->in_use = 1;
		return a;
	}
	return NULL;
}

void
srv_att_drop(struct srv_attempt *a)
{
	if (a != NULL)
		memset(a, 0, sizeof(*a));
}

void
srv_att_void(struct srv *s, struct srv_attempt *a)
{
	if (a == NULL)
		return;
	s->voided++; /* with or without a certificate: both burn what the lot was given */
	srv_att_drop(a);
}

int
srv_pending_add(struct srv *s, const char *chip)
{
	size_t i, free_slot = CAP_ATTEMPTS;

	if (strlen(chip) >= sizeof(s->lock_pending[0]))
		return -1;
	for (i = 0; i < CAP_ATTEMPTS; i++) {
		if (strcmp(s->lock_pending[i], chip) == 0)
			return 0;
		if (s->lock_pending[i][0] == '\0' && free_slot == CAP_ATTEMPTS)
			free_slot = i;
	}
	if (free_slot == CAP_ATTEMPTS)
		return -1;
	memcpy(s->lock_pending[free_slot], chip, strlen(chip) + 1);
	return 0;
}

int
srv_pending_take(struct srv *s, const char *chip)
{
	size_t i;

	if (chip[0] == '\0')
		return 0;
	for (i = 0; i < CAP_ATTEMPTS; i++) {
		if (strcmp(s->lock_pending[i], chip) == 0) {
			s->lock_pending[i][0] = '\0';
			return 1;
		}
	}
	return 0;
}

int
srv_pending_has(const struct srv *s, const char *chip)
{
	size_t i;

	for (i = 0; chip[0] != '\0' && i < CAP_ATTEMPTS; i++)
		if (strcmp(s->lock_pending[i], chip) == 0)
			return 1;
	return 0;
}
