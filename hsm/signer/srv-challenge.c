/*
 * srv-challenge.c: the challenges a session's LOOKUPs gave for PASS chips, in the signer's own
 * memory (S-29). A board re-checked at the end of the line proves its key by signing the
 * signer's challenge, not one the station chose, so a board.checked PASS is evidence the signer
 * verified: a station can neither make one up nor replay an old one. Each challenge is used
 * once; CAP_ATTEMPTS of them are kept at most, the oldest replaced. A chip may have more than
 * one outstanding (two fixtures holding boards that claim one chip ID, a board seated again):
 * the proof is matched against each, so the genuine board is not failed by its double.
 */
#include "srv.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

int
srv_chal_new(struct srv *s, const char *chip, uint8_t out[SIGP_CHALLENGE])
{
	struct srv_challenge *slot = NULL;
	size_t i;

	if (strlen(chip) >= sizeof(s->chal[0].chip) || chip[0] == '\0')
		return -1;
	for (i = 0; i < CAP_ATTEMPTS && slot == NULL; i++)
		if (s->chal[i].chip[0] == '\0')
			slot = &s->chal[i];
	if (slot == NULL) {
		slot = &s->chal[0];
		for (i = 1; i < CAP_ATTEMPTS; i++)
			if (s->chal[i].seq < slot->seq)
				slot = &s->chal[i];
	}
	OPENSSL_cleanse(slot, sizeof(*slot));
	if (RAND_bytes(slot->c, SIGP_CHALLENGE) != 1)
		return -1;
	memcpy(slot->chip, chip, strlen(chip) + 1);
	slot->seq = ++s->chal_seq;
	memcpy(out, slot->c, SIGP_CHALLENGE);
	return 0;
}

int
srv_chal_use(struct srv *s, const char *chip, int (*proves)(void *arg, const uint8_t *c),
    void *arg)
{
	size_t i;
	int had = 0;

	if (chip[0] == '\0')
		return -1;
	for (i = 0; i < CAP_ATTEMPTS; i++) {
		if (strcmp(s->chal[i].chip, chip) != 0)
			continue;
		had = 1;
		if (proves(arg, s->chal[i].c)) {
			OPENSSL_cleanse(&s->chal[i], sizeof(s->chal[i]));
			return 1;
		}
	}
	if (!had)
		return -1;
	/* A proof over none of them: they are spent too, so no proof is tried twice. */
	for (i = 0; i < CAP_ATTEMPTS; i++)
		if (strcmp(s->chal[i].chip, chip) == 0)
			OPENSSL_cleanse(&s->chal[i], sizeof(s->chal[i]));
	return 0;
}
