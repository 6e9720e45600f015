/* proof.c: tlog-proof text form; see proof.h. */
#include "proof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "note.h"

static const char MAGIC[] = "c2sp.org/tlog-proof@v1";

int
proof_format(uint64_t index, const uint8_t *entry, size_t elen, const merkle_hash *path,
    size_t npath, const char *note, char **out)
{
	char *b64 = NULL, h[45], *buf = NULL;
	size_t cap = (elen + 2) / 3 * 4 + 1, len = 0, i;
	FILE *f;

	if (npath > MERKLE_MAX_PROOF || (b64 = malloc(cap)) == NULL)
		return -1;
	note_b64enc(entry, elen, b64, cap);
	if ((f = open_memstream(&buf, &len)) == NULL) {
		free(b64);
		return -1;
	}
	fprintf(f, "%s\nextra %s\nindex %llu\n", MAGIC, b64, (unsigned long long)index);
	for (i = 0; i < npath; i++) {
		note_b64enc(path[i], 32, h, sizeof(h));
		fprintf(f, "%s\n", h);
	}
	fprintf(f, "\n%s", note);
	free(b64);
	if (fclose(f) != 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

static int
bad(char *why, size_t wcap, const char *s)
{
	snprintf(why, wcap, "%s", s);
	return -1;
}

static int
line(const char *t, size_t len, size_t *off, const char **l, size_t *ll)
{
	const char *nl;

	if (*off >= len || (nl = memchr(t + *off, '\n', len - *off)) == NULL)
		return -1;
	*l = t + *off;
	*ll = (size_t)(nl - *l);
	*off += *ll + 1;
	return 0;
}

int
proof_parse(const char *text, size_t len, struct proof *p, char *why, size_t wcap)
{
	const char *l;
	size_t off = 0, ll, i;
	uint64_t v = 0;
	long n;

	memset(p, 0, sizeof(*p));
	if (len == 0 || len > CAP_PROOF_FILE || !note_text_ok(text, len))
		return bad(why, wcap, "not a text file of acceptable size");
	if (line(text, len, &off, &l, &ll) != 0 || ll != strlen(MAGIC) || memcmp(l, MAGIC, ll) != 0)
		return bad(why, wcap, "does not start with c2sp.org/tlog-proof@v1");
	if (line(text, len, &off, &l, &ll) != 0 || ll < 6 || memcmp(l, "extra ", 6) != 0)
		return bad(why, wcap, "no 'extra' line with the entry (this station always writes one)");
	if ((p->extra = malloc((ll - 6) / 4 * 3 + 1)) == NULL ||
	    (n = note_b64dec(l + 6, ll - 6, p->extra, (ll - 6) / 4 * 3 + 1)) <= 0) {
		proof_clear(p);
		return bad(why, wcap, "the 'extra' line is not base64");
	}
	p->extra_len = (size_t)n;
	if (line(text, len, &off, &l, &ll) != 0 || ll < 7 || ll > 6 + 19 ||
	    memcmp(l, "index ", 6) != 0 || (ll > 7 && l[6] == '0'))
		goto badindex;
	for (i = 6; i < ll; i++) {
		if (l[i] < '0' || l[i] > '9')
			goto badindex;
		v = v * 10 + (uint64_t)(l[i] - '0');
	}
	p->index = v;
	for (;;) {
		if (line(text, len, &off, &l, &ll) != 0) {
			proof_clear(p);
			return bad(why, wcap, "no blank line before the checkpoint");
		}
		if (ll == 0)
			break;
		if (p->npath >= MERKLE_MAX_PROOF || ll != 44 ||
		    note_b64dec(l, ll, p->path[p->npath], 32) != 32) {
			proof_clear(p);
			return bad(why, wcap, "a proof hash is not 32 bytes of base64");
		}
		p->npath++;
	}
	p->note = text + off;
	p->note_len = len - off;
	return 0;
badindex:
	proof_clear(p);
	return bad(why, wcap, "no valid 'index' line");
}

void
proof_clear(struct proof *p)
{
	free(p->extra);
	p->extra = NULL;
	p->extra_len = 0;
}
