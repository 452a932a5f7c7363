/* mailroom.server imap role: Dovecot mail plugin "mailroom_inbox_guid".
 *
 * Every delivery to INBOX asks for the mailbox GUID (lib-lda's check that one session does not
 * store one message twice under one GUID). Maildir keeps that GUID in the first line of
 * dovecot-uidlist, but answers the question by reading and parsing the whole file: one line per
 * message, 6 MB at 100,000 messages, on every delivery. This plugin answers a GUID-only question
 * from the header line alone and leaves everything else (and any file without a GUID header,
 * which Dovecot itself must rewrite) to Dovecot. Deliveries only append to the file; its header
 * line is written only when Dovecot recreates the file aside and renames it into place, so the
 * first line read is always whole. Dovecot reads the file without a lock too.
 *
 * Nothing else changes: the same GUID, read the same way (no lock), only without parsing every
 * message's line. Measured in docs/performance.md (issue 20). Builds against Dovecot 2.3 and 2.4.
 * GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
 */
#include "lib.h"
#include "guid.h"
#include "module-context.h"
#include "mail-storage-private.h"

#include <fcntl.h>
#include <unistd.h>

#define INBOX_GUID_CONTEXT(obj) MODULE_CONTEXT(obj, inbox_guid_storage_module)

const char *mailroom_inbox_guid_plugin_version = DOVECOT_ABI_VERSION;
void mailroom_inbox_guid_plugin_init(struct module *module);
void mailroom_inbox_guid_plugin_deinit(void);

static MODULE_CONTEXT_DEFINE_INIT(inbox_guid_storage_module, &mail_storage_module_register);

/* The GUID of a version 3 uidlist header ("3 V<validity> N<next uid> G<guid> ..."):
   0 and the GUID, or -1 when the file is missing, older or has none (Dovecot decides then). */
static int uidlist_header_guid(struct mailbox *box, guid_128_t guid_r)
{
	const char *dir, *p, *end;
	char line[512], hex[GUID_128_SIZE * 2 + 1];
	ssize_t size;
	int fd;

	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_CONTROL, &dir) <= 0)
		return -1;
	fd = open(t_strconcat(dir, "/dovecot-uidlist", NULL), O_RDONLY);
	if (fd == -1)
		return -1;
	size = read(fd, line, sizeof(line) - 1);
	i_close_fd(&fd);
	if (size <= 0)
		return -1;
	line[size] = '\0';
	end = strchr(line, '\n');
	if (end == NULL || line[0] != '3' || line[1] != ' ')
		return -1;
	for (p = line + 1; p != NULL && p < end; p = strchr(p + 1, ' ')) {
		if (p[1] != 'G')
			continue;
		if (end - (p + 2) < (ptrdiff_t)sizeof(hex) - 1)
			return -1;
		memcpy(hex, p + 2, sizeof(hex) - 1);
		hex[sizeof(hex) - 1] = '\0';
		if (p[2 + sizeof(hex) - 1] != ' ' && p + 2 + sizeof(hex) - 1 != end)
			return -1;
		return guid_128_from_string(hex, guid_r);
	}
	return -1;
}

static int inbox_guid_get_metadata(struct mailbox *box, enum mailbox_metadata_items items,
				   struct mailbox_metadata *metadata_r)
{
	union mailbox_module_context *ctx = INBOX_GUID_CONTEXT(box);

	if (items == MAILBOX_METADATA_GUID && uidlist_header_guid(box, metadata_r->guid) == 0)
		return 0;
	return ctx->super.get_metadata(box, items, metadata_r);
}

static void inbox_guid_mailbox_allocated(struct mailbox *box)
{
	struct mailbox_vfuncs *v = box->vlast;
	union mailbox_module_context *ctx;

	if (strcmp(box->storage->name, "maildir") != 0)
		return;
	ctx = p_new(box->pool, union mailbox_module_context, 1);
	ctx->super = *v;
	box->vlast = &ctx->super;
	v->get_metadata = inbox_guid_get_metadata;
	MODULE_CONTEXT_SET_SELF(box, inbox_guid_storage_module, ctx);
}

static struct mail_storage_hooks inbox_guid_hooks = {
	.mailbox_allocated = inbox_guid_mailbox_allocated,
};

void mailroom_inbox_guid_plugin_init(struct module *module)
{
	mail_storage_hooks_add(module, &inbox_guid_hooks);
}

void mailroom_inbox_guid_plugin_deinit(void)
{
	mail_storage_hooks_remove(&inbox_guid_hooks);
}
