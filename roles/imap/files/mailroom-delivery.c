/* mailroom.server imap role: Dovecot mail plugin "mailroom_delivery".
 *
 * Keeps the cost of one delivery from growing with the mailbox (issue 20; figures in
 * docs/performance.md). Three things in Dovecot's own delivery path cost more the larger the
 * mailbox is, and this plugin bounds each of them without changing what is stored:
 *
 * 1. The mailbox GUID. Every delivery to INBOX asks for it (lib-lda's check that one session does
 *    not store one message twice under one GUID). Maildir keeps it in the first line of
 *    dovecot-uidlist but answers by reading and parsing the whole file: one line per message, 6 MB
 *    at 100,000 messages. The plugin answers a GUID-only question from the header line alone and
 *    leaves everything else (and any file without a GUID header, which Dovecot itself must
 *    rewrite) to Dovecot. Deliveries only append to the file; its header line is written only
 *    when Dovecot recreates the file aside and renames it into place, so the first line read is
 *    always whole. Dovecot reads the file without a lock too.
 *
 * 2. The transaction log a delivery replays. Each delivery maps dovecot.index and replays every
 *    dovecot.index.log record written after it. Deliveries never write dovecot.index themselves:
 *    Dovecot writes it when it rotates the log (over 32 KB and 5 minutes old, or over 1 MB), and
 *    from 2.4 on only in a sync that went through every pending change, which a delivery's save
 *    never does. So a mailbox no IMAP client opens replays every delivery since the last open, on
 *    every delivery (Dovecot 2.4: 2.7 ms into a fresh INBOX, 9.8 ms after 3,000 deliveries, 17 ms
 *    after 5,500), and a restored one its whole resync. In delivery sessions the plugin lets the
 *    log rotate at 32 KB without waiting 5 minutes and, when the log has grown past
 *    LOG_SYNC_BYTES, runs the index sync that rotates it and writes dovecot.index, unless a
 *    change is pending for the mailbox's own sync. Its cost, writing dovecot.index (16 bytes or so
 *    per message), is paid by one delivery (the others in parallel go on) once per
 *    LOG_SYNC_BYTES of log, about 300 deliveries. The price: .log.2 keeps less history for
 *    QRESYNC after a burst.
 *
 * 3. \Recent. Every delivery marks each message from the index's first_recent_uid on as \Recent
 *    in its own memory, one by one: 100,000 of them after a restore or in a mailbox no IMAP or
 *    POP3 session has opened (73 % of a delivery's instructions at 100,000). An IMAP SELECT or a
 *    POP3 session moves first_recent_uid past them. The plugin keeps \Recent on the newest
 *    RECENT_LIMIT messages no session has seen, by moving first_recent_uid up in delivery
 *    sessions when more are recent; IMAP clients see at most that many \Recent messages.
 *
 * Builds against Dovecot 2.3 and 2.4.
 * GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
 */
#include "lib.h"
#include "guid.h"
#include "module-context.h"
#include "mail-storage-private.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DELIVERY_CONTEXT(obj) MODULE_CONTEXT(obj, delivery_storage_module)

/* Point 2: a delivery first syncs the mailbox when its log is larger than this, holding this
   lock (a file beside the index) so that only one of the parallel deliveries does. */
#define LOG_SYNC_BYTES (64 * 1024)
#define SYNC_LOCK_NAME "mailroom-delivery-sync.lock"
/* Point 2: rotate at Dovecot's minimum log size without its 5-minute age condition (0 would mean
   "keep the default" to mail_index_set_optimization_settings()). */
#define LOG_ROTATE_MIN_AGE_SECS 1
/* Point 3: the newest messages that keep \Recent in a mailbox no session has opened. */
#define RECENT_LIMIT 1000

const char *mailroom_delivery_plugin_version = DOVECOT_ABI_VERSION;
void mailroom_delivery_plugin_init(struct module *module);
void mailroom_delivery_plugin_deinit(void);

static MODULE_CONTEXT_DEFINE_INIT(delivery_storage_module, &mail_storage_module_register);

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

static int delivery_get_metadata(struct mailbox *box, enum mailbox_metadata_items items,
				   struct mailbox_metadata *metadata_r)
{
	union mailbox_module_context *ctx = DELIVERY_CONTEXT(box);

	if (items == MAILBOX_METADATA_GUID && uidlist_header_guid(box, metadata_r->guid) == 0)
		return 0;
	return ctx->super.get_metadata(box, items, metadata_r);
}

static void delivery_mailbox_allocated(struct mailbox *box)
{
	struct mailbox_vfuncs *v = box->vlast;
	union mailbox_module_context *ctx;

	if (strcmp(box->storage->name, "maildir") != 0)
		return;
	ctx = p_new(box->pool, union mailbox_module_context, 1);
	ctx->super = *v;
	box->vlast = &ctx->super;
	v->get_metadata = delivery_get_metadata;
	MODULE_CONTEXT_SET_SELF(box, delivery_storage_module, ctx);
}

/* Point 3: \Recent on the newest RECENT_LIMIT unseen messages at most. Moving first_recent_uid is
   what an IMAP SELECT does for every message; a failed commit leaves only the cost as it was. */
static void delivery_limit_recent(struct mailbox *box)
{
	const struct mail_index_header *hdr;
	struct mailbox_transaction_context *trans;
	uint32_t first_recent_uid;

	hdr = mail_index_get_header(box->view);
	if (hdr->next_uid <= RECENT_LIMIT ||
	    I_MAX(hdr->first_recent_uid, 1) >= hdr->next_uid - RECENT_LIMIT)
		return;
	first_recent_uid = hdr->next_uid - RECENT_LIMIT;
	trans = mailbox_transaction_begin(box, 0, "mailroom_delivery: limit \\Recent");
	mail_index_update_header(trans->itrans,
				 offsetof(struct mail_index_header, first_recent_uid),
				 &first_recent_uid, sizeof(first_recent_uid), FALSE);
	(void)mailbox_transaction_commit(&trans);
}

/* Point 2: Dovecot rotates the log (and writes dovecot.index) at the end of an index sync that went
   through every pending change. When nothing is pending (deliveries' records are all "external",
   already applied), that is an index sync that finds nothing: the index is written from the
   same map, the mailbox is not touched. A pending change (say a flag an IMAP client has just
   set, which its own sync will write to the file name) is left to the mailbox's own sync: the
   index sync is rolled back without marking anything. */
static void write_index_if_nothing_pending(struct mail_index *index)
{
	struct mail_index_sync_ctx *sync_ctx;
	struct mail_index_view *sync_view;
	struct mail_index_transaction *sync_trans;
	struct mail_index_sync_rec sync_rec;

	if (mail_index_sync_begin(index, &sync_ctx, &sync_view, &sync_trans, 0) <= 0)
		return;
	if (mail_index_sync_next(sync_ctx, &sync_rec)) {
		mail_index_sync_rollback(&sync_ctx);
		return;
	}
	(void)mail_index_sync_commit(&sync_ctx);
}

static bool log_is_long(const char *log_path)
{
	struct stat st;

	return stat(log_path, &st) == 0 && st.st_size > LOG_SYNC_BYTES;
}

/* Point 2. Parallel deliveries all see the long log until it is rotated; one of them writes the
   index, the others go on (a lock file of ours, flock: Dovecot's own locks are fcntl locks on its
   files). A failure leaves only the cost as it was; the next delivery tries again. */
static void delivery_bound_log_replay(struct mailbox *box)
{
	struct mail_index_optimization_settings set;
	const char *dir, *log_path;
	int lock_fd;

	i_zero(&set);
	set.log.min_age_secs = LOG_ROTATE_MIN_AGE_SECS;
	mail_index_set_optimization_settings(box->index, &set);

	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_INDEX, &dir) <= 0)
		return;
	log_path = t_strconcat(dir, "/" MAIL_INDEX_PREFIX ".log", NULL);
	if (!log_is_long(log_path))
		return;
	lock_fd = open(t_strconcat(dir, "/" SYNC_LOCK_NAME, NULL), O_RDWR | O_CREAT, 0660);
	if (lock_fd == -1)
		return;
	/* Checked again once locked: the delivery that held the lock may have rotated the log. */
	if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0 && log_is_long(log_path))
		write_index_if_nothing_pending(box->index);
	i_close_fd(&lock_fd);
}

/* Delivery sessions (LMTP, LDA, Sieve's fileinto) open their mailboxes as POST_SESSION. */
static void delivery_mailbox_opened(struct mailbox *box)
{
	if ((box->flags & MAILBOX_FLAG_POST_SESSION) == 0 ||
	    (box->flags & MAILBOX_FLAG_READONLY) != 0 || box->view == NULL)
		return;
	delivery_limit_recent(box);
	delivery_bound_log_replay(box);
}

static struct mail_storage_hooks delivery_hooks = {
	.mailbox_allocated = delivery_mailbox_allocated,
	.mailbox_opened = delivery_mailbox_opened,
};

void mailroom_delivery_plugin_init(struct module *module)
{
	mail_storage_hooks_add(module, &delivery_hooks);
}

void mailroom_delivery_plugin_deinit(void)
{
	mail_storage_hooks_remove(&delivery_hooks);
}
