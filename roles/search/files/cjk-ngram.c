/* Copyright (c) mailroom.server authors. GNU General Public License v3.0+
 *
 * Dovecot tokenizers "cjk-ngram" and "cjk-prefix": make every Chinese, Japanese and Korean word
 * findable by full-text search, wherever it sits in an unbroken run of any length.
 *
 * CJK text has no spaces between words, so Dovecot's generic tokenizer turns a whole run into
 * one token and cuts it at a byte limit: words further in are lost. This tokenizer hands all
 * non-CJK text to Dovecot's own generic tokenizer unchanged, and cuts CJK runs into character
 * n-grams instead:
 *   - indexing with "cjk-ngram" (for backends that match whole terms, such as lucene): every
 *     n-gram of 1..CJK_GRAM_MAX characters of the run, so each substring of up to CJK_GRAM_MAX
 *     characters is an index term;
 *   - indexing with "cjk-prefix" (for backends that match term prefixes, such as flatcurve):
 *     one term per character, the next CJK_GRAM_MAX characters of the run from there, so each
 *     such substring is the prefix of a term - the same reach with one term instead of
 *     CJK_GRAM_MAX per character;
 *   - searching, either way: a run of up to CJK_GRAM_MAX characters is one term (an exact match of the
 *     word); a longer run becomes its overlapping CJK_GRAM_MAX-character n-grams, all required.
 * N-grams never span a non-CJK character, so punctuation and spaces still separate words.
 *
 * The same source builds against Dovecot 2.3 (lib-fts) and 2.4 (lib-language, -DDOVECOT_24).
 */
#include "lib.h"
#include "buffer.h"
#include "str.h"
#include "unichar.h"
#include "module-dir.h"

#ifdef DOVECOT_24
#  include "lang-settings.h"
#  include "lang-tokenizer-private.h"
#  define TOKENIZER struct lang_tokenizer
#  define TOKENIZER_VFUNCS struct lang_tokenizer_vfuncs
#  define tokenizer_next lang_tokenizer_next
#  define tokenizer_final lang_tokenizer_final
#  define tokenizer_reset lang_tokenizer_reset
#  define tokenizer_unref lang_tokenizer_unref
#  define tokenizer_register lang_tokenizer_register
#  define tokenizer_unregister lang_tokenizer_unregister
#  define generic_tokenizer_class lang_tokenizer_generic
#else
#  include "fts-tokenizer-private.h"
#  define TOKENIZER struct fts_tokenizer
#  define TOKENIZER_VFUNCS struct fts_tokenizer_vfuncs
#  define tokenizer_next fts_tokenizer_next
#  define tokenizer_final fts_tokenizer_final
#  define tokenizer_reset fts_tokenizer_reset
#  define tokenizer_unref fts_tokenizer_unref
#  define tokenizer_register fts_tokenizer_register
#  define tokenizer_unregister fts_tokenizer_unregister
#  define generic_tokenizer_class fts_tokenizer_generic
#endif

/* Longest word matched exactly, in characters: covers the common CJK words and compounds (1-4
   characters) and longer ones such as 데이터베이스; longer query words are matched through their
   overlapping 6-grams. Six three-byte characters also stay within flatcurve's 30-byte term limit. */
#ifndef CJK_GRAM_MAX
#  define CJK_GRAM_MAX 6
#endif
#define UTF8_MAX_BYTES 4

struct cjk_tokenizer {
	TOKENIZER tokenizer;
	/* Dovecot's generic tokenizer: all non-CJK text goes through it */
	TOKENIZER *words;
	/* words was given data since its last flush */
	bool words_pending;
	bool search;
	/* one prefix term per character instead of every n-gram */
	bool prefix_terms;

	/* indexing: the last CJK_GRAM_MAX characters of the current run */
	unsigned char window[CJK_GRAM_MAX * UTF8_MAX_BYTES];
	size_t window_char_bytes[CJK_GRAM_MAX];
	unsigned int window_chars;
	/* searching: the whole current run */
	string_t *run;

	/* tokens made but not returned yet, each NUL-terminated */
	buffer_t *pending;
	size_t pending_pos;
	/* the token returned last; valid until the next call */
	string_t *token;
};

static bool is_cjk(unichar_t chr)
{
	return (chr >= 0x1100 && chr <= 0x11FF) ||   /* Hangul Jamo */
		(chr >= 0x2E80 && chr <= 0x2FDF) ||  /* CJK and Kangxi radicals */
		(chr >= 0x3005 && chr <= 0x3007) ||  /* 々 〆 〇 */
		(chr >= 0x3021 && chr <= 0x3029) ||  /* Hangzhou numerals */
		(chr >= 0x3031 && chr <= 0x3035) ||  /* kana repeat marks */
		(chr >= 0x3041 && chr <= 0x309F) ||  /* Hiragana */
		(chr >= 0x30A1 && chr <= 0x30FA) ||  /* Katakana, less ゠ */
		(chr >= 0x30FC && chr <= 0x30FF) ||  /* ー and marks, less ・ */
		(chr >= 0x3131 && chr <= 0x318E) ||  /* Hangul compatibility Jamo */
		(chr >= 0x31F0 && chr <= 0x31FF) ||  /* Katakana extension */
		(chr >= 0x3400 && chr <= 0x4DBF) ||  /* CJK extension A */
		(chr >= 0x4E00 && chr <= 0x9FFF) ||  /* CJK unified ideographs */
		(chr >= 0xA960 && chr <= 0xA97F) ||  /* Hangul Jamo extended A */
		(chr >= 0xAC00 && chr <= 0xD7FF) ||  /* Hangul syllables, Jamo extended B */
		(chr >= 0xF900 && chr <= 0xFAFF) ||  /* CJK compatibility ideographs */
		(chr >= 0xFF66 && chr <= 0xFFDC) ||  /* halfwidth Katakana and Hangul */
		(chr >= 0x20000 && chr <= 0x3FFFF);  /* CJK extensions B to H */
}

/* Decodes the character at data[0]. The caller guarantees complete UTF-8 sequences. */
static size_t utf8_decode(const unsigned char *data, size_t size, unichar_t *chr_r)
{
	unsigned char lead = data[0];
	size_t len, i;
	unichar_t chr;

	if (lead < 0x80) {
		*chr_r = lead;
		return 1;
	}
	if ((lead & 0xE0) == 0xC0) {
		len = 2; chr = lead & 0x1F;
	} else if ((lead & 0xF0) == 0xE0) {
		len = 3; chr = lead & 0x0F;
	} else if ((lead & 0xF8) == 0xF0) {
		len = 4; chr = lead & 0x07;
	} else {
		/* not a lead byte: treat it as a lone non-CJK byte */
		*chr_r = lead;
		return 1;
	}
	if (len > size)
		len = size;
	for (i = 1; i < len; i++)
		chr = (chr << 6) | (data[i] & 0x3F);
	*chr_r = chr;
	return len;
}

static void pending_push(struct cjk_tokenizer *tok, const void *data, size_t size)
{
	buffer_append(tok->pending, data, size);
	buffer_append_c(tok->pending, '\0');
}

static bool pending_pop(struct cjk_tokenizer *tok, const char **token_r)
{
	const char *next;

	if (tok->pending_pos >= tok->pending->used)
		return FALSE;
	next = CONST_PTR_OFFSET(tok->pending->data, tok->pending_pos);
	str_truncate(tok->token, 0);
	str_append(tok->token, next);
	tok->pending_pos += strlen(next) + 1;
	if (tok->pending_pos >= tok->pending->used) {
		buffer_set_used_size(tok->pending, 0);
		tok->pending_pos = 0;
	}
	*token_r = str_c(tok->token);
	return TRUE;
}

static size_t window_bytes(const struct cjk_tokenizer *tok, unsigned int from)
{
	size_t bytes = 0;
	unsigned int i;

	for (i = from; i < tok->window_chars; i++)
		bytes += tok->window_char_bytes[i];
	return bytes;
}

static void window_drop_first(struct cjk_tokenizer *tok)
{
	size_t first = tok->window_char_bytes[0];

	memmove(tok->window, tok->window + first, window_bytes(tok, 0) - first);
	memmove(tok->window_char_bytes, tok->window_char_bytes + 1,
		sizeof(tok->window_char_bytes[0]) * (tok->window_chars - 1));
	tok->window_chars--;
}

/* Indexing, cjk-prefix: one term per character, the run's next CJK_GRAM_MAX characters
   from there; a query word is the prefix of one of them. */
static void index_add_char_prefix(struct cjk_tokenizer *tok, const unsigned char *chr, size_t len)
{
	memcpy(tok->window + window_bytes(tok, 0), chr, len);
	tok->window_char_bytes[tok->window_chars++] = len;
	if (tok->window_chars == CJK_GRAM_MAX) {
		pending_push(tok, tok->window, window_bytes(tok, 0));
		window_drop_first(tok);
	}
}

/* Indexing, cjk-ngram: every n-gram that ends with the new character. */
static void index_add_char_ngram(struct cjk_tokenizer *tok, const unsigned char *chr, size_t len)
{
	size_t bytes, start;
	unsigned int i;

	if (tok->window_chars == CJK_GRAM_MAX)
		window_drop_first(tok);
	memcpy(tok->window + window_bytes(tok, 0), chr, len);
	tok->window_char_bytes[tok->window_chars++] = len;

	bytes = start = window_bytes(tok, 0);
	for (i = tok->window_chars; i > 0; i--) {
		start -= tok->window_char_bytes[i - 1];
		pending_push(tok, tok->window + start, bytes - start);
	}
}

static void index_add_char(struct cjk_tokenizer *tok, const unsigned char *chr, size_t len)
{
	if (tok->prefix_terms)
		index_add_char_prefix(tok, chr, len);
	else
		index_add_char_ngram(tok, chr, len);
}

/* At the end of a run, cjk-prefix still owes the terms of the last characters. */
static void index_end_run(struct cjk_tokenizer *tok)
{
	while (tok->window_chars > 0) {
		if (tok->prefix_terms)
			pending_push(tok, tok->window, window_bytes(tok, 0));
		window_drop_first(tok);
	}
}

/* Searching: a run of up to CJK_GRAM_MAX characters is one term, a longer one its n-grams. */
static void search_flush_run(struct cjk_tokenizer *tok)
{
	const unsigned char *run = str_data(tok->run);
	size_t size = str_len(tok->run), offsets[CJK_GRAM_MAX + 1];
	size_t pos = 0, start = 0;
	unsigned int chars = 0;
	unichar_t chr;

	if (size == 0)
		return;
	/* offsets[] is a ring of the byte offsets of the last CJK_GRAM_MAX+1 character starts */
	while (pos < size) {
		offsets[chars % (CJK_GRAM_MAX + 1)] = pos;
		pos += utf8_decode(run + pos, size - pos, &chr);
		chars++;
		if (chars >= CJK_GRAM_MAX) {
			start = offsets[(chars - CJK_GRAM_MAX) % (CJK_GRAM_MAX + 1)];
			pending_push(tok, run + start, pos - start);
		}
	}
	if (chars < CJK_GRAM_MAX)
		pending_push(tok, run, size);
	str_truncate(tok->run, 0);
}

static void cjk_run_end(struct cjk_tokenizer *tok)
{
	if (tok->search)
		search_flush_run(tok);
	else
		index_end_run(tok);
}

static int
cjk_tokenizer_next(TOKENIZER *_tok, const unsigned char *data, size_t size,
		   size_t *skip_r, const char **token_r, const char **error_r)
{
	struct cjk_tokenizer *tok = container_of(_tok, struct cjk_tokenizer, tokenizer);
	size_t pos = 0, end, len;
	unichar_t chr;
	int ret;

	for (;;) {
		if (pending_pop(tok, token_r)) {
			*skip_r = pos;
			return 1;
		}
		if (pos == size)
			break;
		len = utf8_decode(data + pos, size - pos, &chr);
		if (is_cjk(chr)) {
			/* a CJK character ends the word the generic tokenizer is building */
			if (tok->words_pending) {
				ret = tokenizer_final(tok->words, token_r, error_r);
				if (ret != 0) {
					*skip_r = pos;
					return ret;
				}
				tok->words_pending = FALSE;
			}
			if (tok->search)
				str_append_data(tok->run, data + pos, len);
			else
				index_add_char(tok, data + pos, len);
			pos += len;
			continue;
		}
		cjk_run_end(tok);
		if (tok->pending_pos < tok->pending->used)
			continue;
		/* hand the whole non-CJK stretch to the generic tokenizer; it is called with the
		   same data until it returns 0, as its interface requires */
		end = pos;
		while (end < size) {
			len = utf8_decode(data + end, size - end, &chr);
			if (is_cjk(chr))
				break;
			end += len;
		}
		ret = tokenizer_next(tok->words, data + pos, end - pos, token_r, error_r);
		if (ret != 0) {
			*skip_r = pos;
			return ret;
		}
		tok->words_pending = TRUE;
		pos = end;
	}
	/* Dovecot signals the end of input with data == NULL; size 0 with data is only the rest of
	   a block whose last token was just returned, and a run may go on in the next block. */
	if (data != NULL) {
		*skip_r = size;
		return 0;
	}
	/* end of input: flush the run and the generic tokenizer */
	cjk_run_end(tok);
	if (pending_pop(tok, token_r)) {
		*skip_r = 0;
		return 1;
	}
	if (tok->words_pending) {
		ret = tokenizer_final(tok->words, token_r, error_r);
		if (ret != 0) {
			*skip_r = 0;
			return ret;
		}
		tok->words_pending = FALSE;
	}
	*skip_r = 0;
	return 0;
}

static void cjk_tokenizer_reset(TOKENIZER *_tok)
{
	struct cjk_tokenizer *tok = container_of(_tok, struct cjk_tokenizer, tokenizer);

	tokenizer_reset(tok->words);
	tok->words_pending = FALSE;
	tok->window_chars = 0;
	str_truncate(tok->run, 0);
	buffer_set_used_size(tok->pending, 0);
	tok->pending_pos = 0;
}

static void cjk_tokenizer_destroy(TOKENIZER *_tok)
{
	struct cjk_tokenizer *tok = container_of(_tok, struct cjk_tokenizer, tokenizer);

	tokenizer_unref(&tok->words);
	str_free(&tok->run);
	buffer_free(&tok->pending);
	str_free(&tok->token);
	i_free(tok);
}

static const TOKENIZER cjk_ngram_class, cjk_prefix_class;

static struct cjk_tokenizer *cjk_tokenizer_alloc(const TOKENIZER *class, bool search)
{
	struct cjk_tokenizer *tok = i_new(struct cjk_tokenizer, 1);

	/* an instance starts as a copy of its class (name, vfuncs) */
	tok->tokenizer = *class;
	tok->prefix_terms = class == &cjk_prefix_class;
	tok->search = search;
	tok->run = str_new(default_pool, 128);
	tok->pending = buffer_create_dynamic(default_pool, 256);
	tok->token = str_new(default_pool, 64);
	return tok;
}

#ifdef DOVECOT_24
static int
cjk_tokenizer_create(const TOKENIZER *class, const struct lang_settings *set,
		     struct event *event, enum lang_tokenizer_flags flags,
		     TOKENIZER **tokenizer_r, const char **error_r)
{
	struct cjk_tokenizer *tok = cjk_tokenizer_alloc(
		class, (flags & LANG_TOKENIZER_FLAG_SEARCH) != 0);

	/* the generic tokenizer reads its own settings (algorithm, token_maxlen) */
	if (lang_tokenizer_create(generic_tokenizer_class, NULL, set, event, flags,
				  &tok->words, error_r) < 0) {
		cjk_tokenizer_destroy(&tok->tokenizer);
		return -1;
	}
	*tokenizer_r = &tok->tokenizer;
	return 0;
}

static int
cjk_ngram_create(const struct lang_settings *set, struct event *event,
		 enum lang_tokenizer_flags flags, TOKENIZER **tokenizer_r,
		 const char **error_r)
{
	return cjk_tokenizer_create(&cjk_ngram_class, set, event, flags, tokenizer_r, error_r);
}

static int
cjk_prefix_create(const struct lang_settings *set, struct event *event,
		  enum lang_tokenizer_flags flags, TOKENIZER **tokenizer_r,
		  const char **error_r)
{
	return cjk_tokenizer_create(&cjk_prefix_class, set, event, flags, tokenizer_r, error_r);
}
#else
static int
cjk_tokenizer_create(const TOKENIZER *class, const char *const *settings,
		     TOKENIZER **tokenizer_r, const char **error_r)
{
	bool search = FALSE;
	struct cjk_tokenizer *tok;
	unsigned int i;

	for (i = 0; settings[i] != NULL; i += 2) {
		if (strcmp(settings[i], "search") == 0)
			search = TRUE;
	}
	tok = cjk_tokenizer_alloc(class, search);
	/* the generic tokenizer takes the same settings (algorithm, maxlen, search) */
	if (fts_tokenizer_create(generic_tokenizer_class, NULL, settings,
				 &tok->words, error_r) < 0) {
		cjk_tokenizer_destroy(&tok->tokenizer);
		return -1;
	}
	*tokenizer_r = &tok->tokenizer;
	return 0;
}

static int
cjk_ngram_create(const char *const *settings, TOKENIZER **tokenizer_r, const char **error_r)
{
	return cjk_tokenizer_create(&cjk_ngram_class, settings, tokenizer_r, error_r);
}

static int
cjk_prefix_create(const char *const *settings, TOKENIZER **tokenizer_r, const char **error_r)
{
	return cjk_tokenizer_create(&cjk_prefix_class, settings, tokenizer_r, error_r);
}
#endif

static const TOKENIZER_VFUNCS cjk_ngram_vfuncs = {
	cjk_ngram_create,
	cjk_tokenizer_destroy,
	cjk_tokenizer_reset,
	cjk_tokenizer_next,
};

static const TOKENIZER_VFUNCS cjk_prefix_vfuncs = {
	cjk_prefix_create,
	cjk_tokenizer_destroy,
	cjk_tokenizer_reset,
	cjk_tokenizer_next,
};

static const TOKENIZER cjk_ngram_class = {
	.name = "cjk-ngram",
	.v = &cjk_ngram_vfuncs,
};

static const TOKENIZER cjk_prefix_class = {
	.name = "cjk-prefix",
	.v = &cjk_prefix_vfuncs,
};

const char *mailroom_cjk_plugin_version = DOVECOT_ABI_VERSION;
/* the fts plugin sets up the tokenizer registry these tokenizers join */
const char *mailroom_cjk_plugin_dependencies[] = { "fts", NULL };

void mailroom_cjk_plugin_init(struct module *module);
void mailroom_cjk_plugin_deinit(void);

void mailroom_cjk_plugin_init(struct module *module ATTR_UNUSED)
{
	tokenizer_register(&cjk_ngram_class);
	tokenizer_register(&cjk_prefix_class);
}

void mailroom_cjk_plugin_deinit(void)
{
	tokenizer_unregister(&cjk_prefix_class);
	tokenizer_unregister(&cjk_ngram_class);
}
