/* fleet-export.c: the fleet registry into files; see fleet-export.h. */
#include "fleet-export.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "caps.h"

struct out {
	FILE *fp;
	EVP_MD_CTX *md;
	const char *path;
};

static int
put(struct out *o, const char *s, size_t n, char *why, size_t cap)
{
	if (fwrite(s, 1, n, o->fp) != n || EVP_DigestUpdate(o->md, s, n) != 1) {
		snprintf(why, cap, "cannot write %s: %s", o->path, strerror(errno));
		return FR_ERR_DB;
	}
	return FR_OK;
}

static int
put_csv_field(struct out *o, const char *v, char *why, size_t cap)
{
	const char *p;
	int r;

	if (v == NULL)
		return FR_OK;
	if (strpbrk(v, ",\"\r\n") == NULL && v[0] != ' ' && (v[0] == '\0' || v[strlen(v) - 1] != ' '))
		return put(o, v, strlen(v), why, cap);
	if ((r = put(o, "\"", 1, why, cap)) != FR_OK)
		return r;
	for (p = v; *p; p++)
		if ((r = put(o, p, 1, why, cap)) != FR_OK ||
		    (*p == '"' && (r = put(o, "\"", 1, why, cap)) != FR_OK))
			return r;
	return put(o, "\"", 1, why, cap);
}

static int
put_row(struct out *o, enum fleet_export_format fmt, const struct fleet_table_spec *sp,
    const char *const *row, char *why, size_t cap)
{
	json_t *obj;
	char *s;
	int j, r;

	if (fmt == FE_CSV) {
		for (j = 0; j < sp->ncols; j++)
			if ((j > 0 && (r = put(o, ",", 1, why, cap)) != FR_OK) ||
			    (r = put_csv_field(o, row[j], why, cap)) != FR_OK)
				return r;
		return put(o, "\r\n", 2, why, cap);
	}
	if ((obj = json_object()) == NULL)
		return FR_ERR_NOMEM;
	for (j = 0; j < sp->ncols; j++) {
		json_t *v = row[j] == NULL ? json_null() : json_string(row[j]);

		if (v == NULL || json_object_set_new(obj, sp->cols[j], v) != 0) {
			snprintf(why, cap, "a %s.%s value is not UTF-8 text", sp->name, sp->cols[j]);
			json_decref(obj);
			return FR_ERR_CORRUPT;
		}
	}
	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (s == NULL)
		return FR_ERR_NOMEM;
	r = put(o, s, strlen(s), why, cap);
	free(s);
	return r == FR_OK ? put(o, "\n", 1, why, cap) : r;
}

/* dir absent (made), or an empty directory */
static int
prepare_dir(const char *dir, char *why, size_t cap)
{
	struct dirent *de;
	DIR *d;
	int empty = 1;

	if (mkdir(dir, 0750) == 0)
		return FR_OK;
	if (errno != EEXIST || (d = opendir(dir)) == NULL) {
		snprintf(why, cap, "cannot make the export directory %s: %s", dir, strerror(errno));
		return FR_ERR_DB;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	if (!empty) {
		snprintf(why, cap, "the export directory %s is not empty: give a new one", dir);
		return FR_ERR_DB;
	}
	return FR_OK;
}

static int
export_table(struct fleet_src *src, enum fleet_export_format fmt, const char *dir,
    enum fleet_table t, long long *nrows, char hex[65], char *why, size_t cap)
{
	const struct fleet_table_spec *sp = fleet_read_spec(t);
	char path[CAP_PATH + 64];
	struct fleet_cur *c = NULL;
	const char *const *row;
	struct out o = { NULL, NULL, path };
	uint8_t md[32];
	unsigned mdlen = 0;
	int r, j;

	*nrows = 0;
	snprintf(path, sizeof(path), "%s/%s.%s", dir, sp->name, fmt == FE_CSV ? "csv" : "jsonl");
	if ((o.fp = fopen(path, "wx")) == NULL) {
		snprintf(why, cap, "cannot write %s: %s", path, strerror(errno));
		return FR_ERR_DB;
	}
	if ((o.md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(o.md, EVP_sha256(), NULL) != 1) {
		r = FR_ERR_NOMEM;
		goto out;
	}
	if (fmt == FE_CSV)
		for (j = 0; j < sp->ncols; j++)
			if ((r = put(&o, sp->cols[j], strlen(sp->cols[j]), why, cap)) != FR_OK ||
			    (r = put(&o, j + 1 < sp->ncols ? "," : "\r\n", j + 1 < sp->ncols ? 1 : 2, why,
			         cap)) != FR_OK)
				goto out;
	if ((r = fleet_read_cursor(src, t, &c, why, cap)) != FR_OK)
		goto out;
	while ((r = fleet_read_next(c, &row, why, cap)) == 1) {
		if ((r = put_row(&o, fmt, sp, row, why, cap)) != FR_OK)
			goto out;
		(*nrows)++;
	}
	if (r < 0)
		goto out;
	if (EVP_DigestFinal_ex(o.md, md, &mdlen) != 1 || mdlen != 32) {
		r = FR_ERR_NOMEM;
		goto out;
	}
	fleet_read_hex32(md, hex);
	r = FR_OK;
out:
	fleet_read_cursor_close(c);
	EVP_MD_CTX_free(o.md);
	if (fclose(o.fp) != 0 && r == FR_OK) {
		snprintf(why, cap, "cannot write %s: %s", path, strerror(errno));
		r = FR_ERR_DB;
	}
	return r;
}

int
fleet_export_run(struct fleet_src *src, enum fleet_export_format fmt, const char *dir,
    long long *rows, char *why, size_t cap)
{
	char hex[65], path[CAP_PATH + 32], created[32];
	json_t *files = NULL, *m = NULL;
	long long n = 0;
	time_t now = time(NULL);
	struct tm tm;
	int r, t;

	if (strlen(dir) > CAP_PATH) {
		snprintf(why, cap, "the export directory's path is too long");
		return FR_ERR_DB;
	}
	if ((r = prepare_dir(dir, why, cap)) != FR_OK)
		return r;
	if ((files = json_array()) == NULL)
		return FR_ERR_NOMEM;
	for (t = 0; t < FT_N; t++) {
		char name[64];

		if ((r = export_table(src, fmt, dir, (enum fleet_table)t, &n, hex, why, cap)) != FR_OK)
			goto out;
		if (rows != NULL)
			rows[t] = n;
		snprintf(name, sizeof(name), "%s.jsonl", fleet_read_spec((enum fleet_table)t)->name);
		if (json_array_append_new(files, json_pack("{s:s s:I s:s}", "name", name, "rows",
		        (json_int_t)n, "sha256", hex)) != 0) {
			r = FR_ERR_NOMEM;
			goto out;
		}
	}
	if (fmt == FE_BUNDLE) {
		gmtime_r(&now, &tm);
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(path, sizeof(path), "%s/manifest.json", dir);
		m = json_pack("{s:s s:i s:s s:O}", "format", "fleet-bundle", "schema", fleet_read_schema(src),
		    "created", created, "files", files);
		if (m == NULL || json_dump_file(m, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
			snprintf(why, cap, "cannot write %s", path);
			r = FR_ERR_DB;
			goto out;
		}
	}
	r = FR_OK;
out:
	json_decref(files);
	json_decref(m);
	return r;
}
