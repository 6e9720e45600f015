/* label-png.c: PNG labels with cairo and FreeType; see label-png.h. */
#include "label-png.h"

#include <cairo-ft.h>
#include <cairo.h>
#include <errno.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define FONT_FILE_MAX (16L * 1024 * 1024)

struct label_fonts {
	cairo_font_face_t *cf[2]; /* regular, mono */
};

/* A FreeType face and the file it is read from, owned by cairo's font face: cairo may keep a
 * font face in its caches past label_fonts_free, so both go when cairo drops it. */
struct face_file {
	FT_Face face;
	uint8_t *data;
};

static const cairo_user_data_key_t face_key;
/* One FreeType library for the process (faces may outlive a font set, see above). */
static FT_Library ft_lib;
static int ft_ok;
static pthread_once_t ft_once = PTHREAD_ONCE_INIT;
/* One FreeType face per font is shared by every thread: drawing takes turns. */
static pthread_mutex_t draw_lock = PTHREAD_MUTEX_INITIALIZER;

static void
ft_init(void)
{
	ft_ok = FT_Init_FreeType(&ft_lib) == 0;
}

static void
face_file_free(void *arg)
{
	struct face_file *ff = arg;

	FT_Done_Face(ff->face);
	free(ff->data);
	free(ff);
}

void
label_fonts_free(struct label_fonts *f)
{
	int i;

	if (f == NULL)
		return;
	pthread_mutex_lock(&draw_lock);
	for (i = 0; i < 2; i++)
		if (f->cf[i] != NULL)
			cairo_font_face_destroy(f->cf[i]);
	pthread_mutex_unlock(&draw_lock);
	free(f);
}

/* One font file as a cairo font face. NULL with why set. */
static cairo_font_face_t *
load_face(const char *path, char *why, size_t cap)
{
	struct face_file *ff;
	cairo_font_face_t *cf;
	size_t len = 0;
	int r;

	if ((ff = calloc(1, sizeof(*ff))) == NULL) {
		util_why(why, cap, "out of memory");
		return NULL;
	}
	if ((r = util_read_file(path, FONT_FILE_MAX, &ff->data, &len)) != 0) {
		util_why(why, cap, "cannot read the font %s: %s", path, r == -2 ?
		    "larger than 16 MiB" : strerror(errno));
		free(ff);
		return NULL;
	}
	if (FT_New_Memory_Face(ft_lib, ff->data, (FT_Long)len, 0, &ff->face) != 0) {
		util_why(why, cap, "%s is not a font FreeType can read (give a TrueType file)", path);
		free(ff->data);
		free(ff);
		return NULL;
	}
	cf = cairo_ft_font_face_create_for_ft_face(ff->face, 0);
	if (cairo_font_face_status(cf) != CAIRO_STATUS_SUCCESS ||
	    cairo_font_face_set_user_data(cf, &face_key, ff, face_file_free) != CAIRO_STATUS_SUCCESS) {
		util_why(why, cap, "cairo cannot use the font %s: %s", path,
		    cairo_status_to_string(cairo_font_face_status(cf)));
		cairo_font_face_destroy(cf);
		face_file_free(ff);
		return NULL;
	}
	return cf;
}

int
label_fonts_load(const char *regular, const char *mono, struct label_fonts **out, char *why,
    size_t cap)
{
	struct label_fonts *f;

	pthread_once(&ft_once, ft_init);
	if (!ft_ok) {
		util_why(why, cap, "FreeType cannot start");
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		util_why(why, cap, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&draw_lock);
	if ((f->cf[0] = load_face(regular, why, cap)) == NULL ||
	    (f->cf[1] = load_face(mono, why, cap)) == NULL) {
		pthread_mutex_unlock(&draw_lock);
		label_fonts_free(f);
		return -1;
	}
	pthread_mutex_unlock(&draw_lock);
	*out = f;
	return 0;
}

static int
text_width_locked(struct label_fonts *f, cairo_t *cr, int mono, unsigned size, const char *text)
{
	cairo_text_extents_t te;

	cairo_set_font_face(cr, f->cf[mono ? 1 : 0]);
	cairo_set_font_size(cr, (double)size);
	cairo_text_extents(cr, text, &te);
	if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
		return -1;
	return (int)(te.x_advance + 0.999);
}

int
label_png_text_width(struct label_fonts *f, int mono, unsigned size, const char *text)
{
	cairo_surface_t *s;
	cairo_t *cr;
	int w;

	pthread_mutex_lock(&draw_lock);
	s = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
	cr = cairo_create(s);
	w = text_width_locked(f, cr, mono, size, text);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	pthread_mutex_unlock(&draw_lock);
	return w;
}

struct pngbuf {
	uint8_t *p;
	size_t n, cap;
	int full;
};

static cairo_status_t
png_write(void *arg, const unsigned char *data, unsigned int len)
{
	struct pngbuf *b = arg;
	uint8_t *np;
	size_t want;

	if (len > CAP_LABEL_PNG - b->n) {
		b->full = 1;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	if (b->n + len > b->cap) {
		want = b->cap ? b->cap * 2 : 65536;
		while (want < b->n + len)
			want *= 2;
		if (want > CAP_LABEL_PNG)
			want = CAP_LABEL_PNG;
		/* grown by copy, never realloc: the old buffer shows the password and is wiped */
		if ((np = malloc(want)) == NULL)
			return CAIRO_STATUS_NO_MEMORY;
		if (b->n)
			memcpy(np, b->p, b->n);
		if (b->p != NULL) {
			util_wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = want;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
	return CAIRO_STATUS_SUCCESS;
}

static void
draw(struct label_fonts *f, cairo_t *cr, const struct label_layout *l)
{
	cairo_font_extents_t fe;
	const struct label_item *it;
	const struct label_qr *q;
	unsigned i, x, y, m;
	int w;

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (i = 0; i < l->nitem; i++) {
		it = &l->item[i];
		if (LABEL_F_IS_QR(it->kind)) {
			if (it->code >= l->ncode)
				continue;
			q = &l->code[it->code].qr;
			/* whole dots, no smoothing: a module is it->module dots square */
			cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
			m = q->modules;
			for (y = 0; y < m; y++)
				for (x = 0; x < m; x++)
					if (q->dark[y * m + x])
						cairo_rectangle(cr, it->x + (4 + x) * it->module,
						    it->y + (4 + y) * it->module, it->module, it->module);
			cairo_fill(cr);
			cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
			if (it->text[0] == '\0')
				continue;
			/* the caption under the code, centred on it with its quiet zone (as ZPL's ^FB) */
			w = text_width_locked(f, cr, 0, it->csize, it->text);
			cairo_set_font_face(cr, f->cf[0]);
			cairo_set_font_size(cr, (double)it->csize);
			cairo_font_extents(cr, &fe);
			cairo_move_to(cr, (double)it->x + ((double)it->side - (w < 0 ? 0 : w)) / 2,
			    (double)(it->y + it->side) + fe.ascent);
			cairo_show_text(cr, it->text);
			continue;
		}
		cairo_set_font_face(cr, f->cf[it->mono ? 1 : 0]);
		cairo_set_font_size(cr, (double)it->size);
		cairo_font_extents(cr, &fe);
		/* the field's top at y, as ZPL's ^FO places a text */
		cairo_move_to(cr, (double)it->x, (double)it->y + fe.ascent);
		cairo_show_text(cr, it->text);
	}
}

int
label_png(struct label_fonts *f, const struct label_layout *l, uint8_t **out, size_t *len,
    char *why, size_t cap)
{
	struct pngbuf b = { NULL, 0, 0, 0 };
	cairo_surface_t *s;
	cairo_status_t st;
	unsigned char *pixels;
	cairo_t *cr;
	int r = -1;

	pthread_mutex_lock(&draw_lock);
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)l->width, (int)l->height);
	if ((st = cairo_surface_status(s)) != CAIRO_STATUS_SUCCESS) {
		util_why(why, cap, "cairo: %s", cairo_status_to_string(st));
		goto out;
	}
	cr = cairo_create(s);
	draw(f, cr, l);
	st = cairo_status(cr);
	cairo_destroy(cr);
	if (st != CAIRO_STATUS_SUCCESS) {
		util_why(why, cap, "cairo: %s", cairo_status_to_string(st));
		goto out;
	}
	cairo_surface_flush(s);
	st = cairo_surface_write_to_png_stream(s, png_write, &b);
	if (st != CAIRO_STATUS_SUCCESS) {
		util_why(why, cap, "%s", b.full ? "the PNG label is larger than 2 MiB" :
		    cairo_status_to_string(st));
		goto out;
	}
	*out = b.p;
	*len = b.n;
	b.p = NULL; /* owned by the caller */
	r = 0;
out:
	/* the image shows the password */
	if ((pixels = cairo_image_surface_get_data(s)) != NULL)
		util_wipe(pixels, (size_t)cairo_image_surface_get_stride(s) * l->height);
	cairo_surface_destroy(s);
	pthread_mutex_unlock(&draw_lock);
	if (b.p != NULL) {
		util_wipe(b.p, b.cap);
		free(b.p);
	}
	return r;
}
