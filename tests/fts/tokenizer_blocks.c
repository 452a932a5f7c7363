/* GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
 *
 * The CJK tokenizers must give the same terms however Dovecot cuts the text into blocks (mail
 * arrives through decoders in pieces, and a CJK run may span any number of them). This program
 * tokenizes standard input whole, then in blocks of 1 to 97 bytes (cut at UTF-8 character
 * boundaries, as Dovecot's decoders do), with both tokenizers, and compares the term sequences.
 *
 * Built on a host of the search role against the installed Dovecot and tokenizer source:
 *   cc -I/usr/include/dovecot -include config.h [-DDOVECOT_24] \
 *      -I/usr/local/src/mailroom-cjk-tokenizer tokenizer_blocks.c -L/usr/lib/dovecot \
 *      -Wl,-rpath,/usr/lib/dovecot -ldovecot (-ldovecot-fts | -ldovecot-language)
 * Prints one line per tokenizer; exit status 0 when every block size gives the same terms.
 */
#include "cjk-ngram.c"
#include "array.h"

#include <stdio.h>

#ifdef DOVECOT_24
#  define tokenizers_init lang_tokenizers_init
#  define tokenizer_find lang_tokenizer_find
#else
#  define tokenizers_init fts_tokenizers_init
#  define tokenizer_find fts_tokenizer_find
#endif

#define MAX_BLOCK 97

#ifdef DOVECOT_24
static struct event *event;
#endif

static TOKENIZER *create(const char *name)
{
	const TOKENIZER *class = tokenizer_find(name);
	TOKENIZER *tok;
	const char *error;
#ifdef DOVECOT_24
	if (lang_tokenizer_create(class, NULL, &lang_default_settings, event, 0, &tok, &error) < 0)
#else
	const char *const settings[] = { "algorithm", "simple", NULL };
	if (fts_tokenizer_create(class, NULL, settings, &tok, &error) < 0)
#endif
		i_fatal("%s: %s", name, error);
	return tok;
}

static void terms(TOKENIZER *tok, const unsigned char *text, size_t size, size_t block,
		  string_t *out)
{
	const char *token, *error;
	size_t pos = 0, len;

	str_truncate(out, 0);
	while (pos < size) {
		len = block < size - pos ? block : size - pos;
		while (pos + len < size && (text[pos + len] & 0xC0) == 0x80)
			len++;
		while (tokenizer_next(tok, text + pos, len, &token, &error) > 0)
			str_printfa(out, "%s\n", token);
		pos += len;
	}
	while (tokenizer_final(tok, &token, &error) > 0)
		str_printfa(out, "%s\n", token);
}

int main(void)
{
	buffer_t *input;
	string_t *whole, *blocks;
	unsigned char chunk[4096];
	const char *const names[] = { "cjk-ngram", "cjk-prefix" };
	unsigned int i, failures = 0;
	size_t block, got;

	lib_init();
#ifdef DOVECOT_24
	event = event_create(NULL);
#endif
	tokenizers_init();
	mailroom_cjk_plugin_init(NULL);
	input = buffer_create_dynamic(default_pool, 65536);
	while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buffer_append(input, chunk, got);
	whole = str_new(default_pool, 65536);
	blocks = str_new(default_pool, 65536);

	for (i = 0; i < N_ELEMENTS(names); i++) {
		TOKENIZER *tok = create(names[i]);
		unsigned int count = 0;
		const char *p;

		terms(tok, input->data, input->used, input->used, whole);
		for (p = str_c(whole); *p != '\0'; p++)
			count += *p == '\n';
		for (block = 1; block <= MAX_BLOCK; block++) {
			terms(tok, input->data, input->used, block, blocks);
			if (!str_equals(whole, blocks)) {
				printf("%s: %zu-byte blocks give other terms than the whole text\n",
				       names[i], block);
				failures++;
				break;
			}
		}
		if (block > MAX_BLOCK)
			printf("%s: %u terms, the same for blocks of 1 to %d bytes\n",
			       names[i], count, MAX_BLOCK);
		tokenizer_unref(&tok);
	}
	mailroom_cjk_plugin_deinit();
#ifdef DOVECOT_24
	event_unref(&event);
#endif
	lib_deinit();
	return failures == 0 ? 0 : 1;
}
