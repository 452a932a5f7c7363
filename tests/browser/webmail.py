# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Roundcube (Elastic skin) driven by a real headless Chromium, as a person would use it.

Playwright drives Debian's /usr/bin/chromium from the Docker host (its own browser downloads are
unreachable here), against the mail host's address over HTTPS. The test host's certificate is
self-signed, so each browser context ignores certificate errors. Every step can leave a
screenshot under the artifacts directory; `Webmail.screenshots` lists them in order.

    with Webmail('https://172.18.0.2', 'molecule/default/artifacts/host') as webmail:
        alice = webmail.login('alice', 'secret')
        alice.open_message('Hello')
        alice.send('bob@example.test', 'Re: Hello', 'Hi Bob')
"""
from __future__ import absolute_import, division, print_function

import base64
import json
import os
import re
import time
from urllib.parse import quote

CHROMIUM = os.environ.get('MAILROOM_CHROMIUM', '/usr/bin/chromium')
# A desktop window: Elastic shows folders, list and preview side by side, and the sidebar logo.
VIEWPORT = {'width': 1280, 'height': 800}
TIMEOUT_MS = 30000
# Tries of one screenshot, a second apart (see Webmail.screenshot).
SCREENSHOT_ATTEMPTS = 3
# Playwright's words for a read cut off by the page navigating, and how often to read again.
NAVIGATED = 'Execution context was destroyed'
NAVIGATION_RETRIES = 2
# Roundcube's messages of failure, in the corner of every page.
ERRORS = '#messagestack div.error, #messagestack div.warning'
# Roundcube's answer to a send, the page its hidden frame loads: the commands it gives the compose
# screen, JSON-encoded arguments (rcmail_output_html). The confirmation shows for half a second
# before Roundcube goes back to the list, too short to be seen reliably on a loaded machine.
SENT_COMMAND = re.compile(r'sent_successfully\(\s*"confirmation"\s*,\s*("(?:[^"\\]|\\.)*")')
SHOWN_PROBLEM = re.compile(r'display_message\(\s*("(?:[^"\\]|\\.)*")\s*,\s*"(?:error|warning)"')
SEND_ANSWER_MS = 120000

# How #logo is shown: the image file's own size, and the box its pixels are drawn in (the
# element's box less padding and border: Elastic pads the sidebar logo).
LOGO_METRICS_JS = """logo => {
    const box = logo.getBoundingClientRect();
    const style = getComputedStyle(logo);
    const px = name => parseFloat(style[name]) || 0;
    const width = box.width - px('paddingLeft') - px('paddingRight')
                  - px('borderLeftWidth') - px('borderRightWidth');
    const height = box.height - px('paddingTop') - px('paddingBottom')
                   - px('borderTopWidth') - px('borderBottomWidth');
    return {src: logo.currentSrc || logo.src || '', complete: logo.complete,
            naturalWidth: logo.naturalWidth, naturalHeight: logo.naturalHeight,
            width: width, height: height, elementWidth: box.width, elementHeight: box.height,
            visible: width > 0 && height > 0 && style.visibility !== 'hidden'
                     && style.display !== 'none'};
}"""

# enigma's dialog asking for a key's passphrase (before decrypting, or signing).
PASSPHRASE_DIALOG = '.ui-dialog .prompt input[type=password]'

# The links page (Settings > Shared links, the webmail role's mailroom_shared_links plugin) and its
# stable DOM (docs/webmail.md): one row per link, the delete button posts a form.
LINKS_MENU_ENTRY = '#settings-menu li.mailroom-shared-links a'
LINKS_URL_QUERY = '_task=settings&_action=plugin.mailroom_shared_links'
LINKS_TABLE = '#mailroom-shared-links'
LINK_ROWS_JS = """rows => rows.map(row => {
    const cell = name => row.querySelector(name);
    const text = name => (cell(name) ? cell(name).textContent : '');
    return {id: row.getAttribute('data-link-id'), file_name: text('.file-name'), size: text('.size'),
            size_bytes: cell('.size') ? cell('.size').getAttribute('data-bytes') : null,
            created: text('.created'), expires: text('.expires'),
            expires_at: cell('.expires') ? cell('.expires').getAttribute('data-expires') : null,
            url: cell('a.link') ? cell('a.link').getAttribute('href') : null,
            new_tab: cell('a.link') ? cell('a.link').getAttribute('target') === '_blank' : false,
            deletable: cell('button.delete') !== null};
})"""
# Download links in a message: what the shared links milter puts in place of an attachment.
SHARED_LINK_ANCHORS = '#messagebody a[href*="/shared-links/"]'
CONFIRMATIONS = '#messagestack div.confirmation'
# The External accounts page (the webmail role's plugin mailroom_external_pop3; docs/webmail.md).
EXTERNAL_MENU_ENTRY = '#settings-menu li.mailroom-external-pop3 a'
EXTERNAL_PAGE = 'div#mailroom-external-pop3'

# S/MIME (the webmail role's mailroom_smime plugin) and its stable DOM (docs/webmail.md).
SMIME_MENU_ENTRY = '#settings-menu li.mailroom-smime a'
SMIME_PAGE = 'div#mailroom-smime'
SMIME_CERTIFICATE = 'dl#mailroom-smime-certificate'
SMIME_FORM_ERROR = '#mailroom-smime-form-error'
SMIME_STATUS = '#mailroom-smime-status'
SMIME_OPTIONS = {'sign': 'mailroom-smime-sign', 'encrypt': 'mailroom-smime-encrypt'}
SMIME_CERTIFICATE_JS = """dl => {
    const text = name => { const dd = dl.querySelector('dd.' + name); return dd ? dd.textContent.trim() : ''; };
    return {subject: text('subject'), issuer: text('issuer'), emails: text('emails'),
            not_after: text('not-after'), fingerprint: text('fingerprint')};
}"""
SMIME_STATUS_JS = """box => ({encrypted: box.getAttribute('data-encrypted'), signature: box.getAttribute('data-signature'),
                       signer: box.getAttribute('data-signer'), text: box.textContent.trim(),
                       mismatch: box.querySelector('p.mismatch') !== null})"""
EXTERNAL_FORM = 'form#mailroom-external-pop3-form'
EXTERNAL_TEST_RESULT = 'div#mailroom-external-pop3-test-result'
EXTERNAL_ROWS_JS = """rows => rows.map(row => {
    const cell = name => row.querySelector(name);
    const text = name => (cell(name) ? cell(name).textContent.trim() : '');
    const data = (name, key) => (cell(name) ? cell(name).getAttribute(key) : null);
    const error = document.querySelector('tr.last-error[data-account-id="' + row.getAttribute('data-account-id')
                                         + '"] .error-text');
    return {id: row.getAttribute('data-account-id'), server: text('td.server'), login: text('td.login'),
            tls: data('td.tls', 'data-tls'), keep: data('td.keep', 'data-keep'), folder: text('td.folder'),
            paused: data('td.state', 'data-paused'), last_run: data('td.last-run', 'data-last-run'),
            last_count: data('td.count', 'data-last-count'), total: data('td.count', 'data-total'),
            last_error: error ? error.textContent.trim() : null};
})"""
LINK_ID = re.compile(r'^[0-9a-f]{32}$')

FIELD_STATE_JS = """field => ({value: field.value, disabled: field.disabled, readOnly: field.readOnly,
                             visible: field.offsetParent !== null})"""


class WebmailError(Exception):
    """The webmail did not do what a person asked of it (the message says what and where)."""


def step_file_name(label, number, user, step):
    """Screenshot names sort by check, then in the order they were taken:
    roundtrip-03-alice-open-message.png."""
    slug = re.sub(r'[^A-Za-z0-9]+', '-', '%s-%02d-%s-%s' % (label, number, user, step))
    return slug.strip('-').lower() + '.png'


def folder_element_id(folder):
    """The id suffix Roundcube gives a folder's list item (rcmli + URL-safe base64 of its
    IMAP name, unpadded), so a test clicks the folder a person would."""
    return base64.b64encode(folder.encode('utf-8')).decode('ascii').translate(
        str.maketrans('+/', '-_')).rstrip('=')


def folder_from_element_id(element_id):
    """The IMAP name of a folder from its list item's id suffix (folder_element_id's inverse)."""
    padded = element_id + '=' * (-len(element_id) % 4)
    return base64.b64decode(padded.translate(str.maketrans('-_', '+/'))).decode('utf-8')


def folders_under(folders, parent):
    """The folders at or below `parent` (IMAP names with / as separator): what a user sees of
    another user's shared folders (parent shared/alice)."""
    return sorted(name for name in folders if name == parent or name.startswith(parent + '/'))


def is_editable(state):
    """A form field a person can type into (present, enabled, writable)."""
    return bool(state) and not state['disabled'] and not state['readOnly']


def fits_within(metrics, width, height):
    """Whether a measured #logo shows its own pixels within width x height: the image file is at
    most that size, and the page does not stretch it beyond its natural size."""
    return (0 < metrics['naturalWidth'] <= width and 0 < metrics['naturalHeight'] <= height
            and metrics['width'] <= metrics['naturalWidth'] + 0.5
            and metrics['height'] <= metrics['naturalHeight'] + 0.5)


def link_from_row(row):
    """A row of the links page as the check answers it: texts stripped, the size in bytes and the
    expiry in seconds since the epoch as numbers (expires_at None: never)."""
    def number(text):
        return int(text) if text is not None and text.strip().isdigit() else None
    expires_at = (row.get('expires_at') or '').strip()
    return {
        'id': row.get('id'),
        'file_name': (row.get('file_name') or '').strip(),
        'size': (row.get('size') or '').strip(),
        'size_bytes': number(row.get('size_bytes')),
        'created': (row.get('created') or '').strip(),
        'expires': (row.get('expires') or '').strip(),
        'expires_at': None if expires_at in ('', 'never') else number(expires_at),
        'never_expires': expires_at == 'never',
        'url': row.get('url'),
        'new_tab': bool(row.get('new_tab')),
        'deletable': bool(row.get('deletable')),
    }


def shared_link_urls(hrefs):
    """The distinct download links of a message, in the order shown (a link in both the text
    and the HTML part, or shown twice, counts once)."""
    seen = []
    for href in hrefs:
        if href and '/shared-links/' in href and href not in seen:
            seen.append(href)
    return seen


def is_link_id(text):
    return bool(LINK_ID.match(text or ''))


def smime_status(box):
    """The S/MIME box above a message as the check answers it (None: no box, the message was
    neither encrypted nor signed, or the plugin is off)."""
    if not box:
        return None
    return {'encrypted': box.get('encrypted') == '1', 'signature': box.get('signature') or 'none',
            'signer': box.get('signer') or '', 'text': ' '.join((box.get('text') or '').split()),
            'sender_is_signer': not box.get('mismatch')}


class Webmail:
    """One headless Chromium for one host's webmail; each login gets a browser context of its own
    (its own cookies), as two people on two computers would."""

    def __init__(self, base_url, artifacts, label='webmail', chromium=CHROMIUM, screenshots=True):
        self.base_url = base_url.rstrip('/')
        self.artifacts = artifacts
        self.label = label
        # Off for timings: a screenshot takes longer than some of the steps it would show.
        self.taking_screenshots = screenshots
        self.chromium = chromium
        self.screenshots = []
        self.screenshot_errors = []
        self._playwright = None
        self._browser = None

    def __enter__(self):
        # Imported here: the pure helpers above are unit-tested without a browser.
        from playwright.sync_api import sync_playwright
        os.makedirs(self.artifacts, exist_ok=True)
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self.chromium, args=['--no-sandbox'], headless=True)
        except Exception:
            self._playwright.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    def screenshot(self, page, user, step):
        """A screenshot of the step, or None. Screenshots are evidence, not the check: Chromium
        sometimes cannot capture a page that is busy (a dialog closing, a frame navigating) under
        load, so a capture is tried again and a lasting failure is listed, never raised."""
        if not self.taking_screenshots:
            return None
        from playwright.sync_api import Error as PlaywrightError
        path = os.path.join(self.artifacts, step_file_name(self.label, len(self.screenshots) + 1, user, step))
        for attempt in range(SCREENSHOT_ATTEMPTS):
            try:
                page.screenshot(path=path)
            except PlaywrightError as exc:
                if attempt == SCREENSHOT_ATTEMPTS - 1:
                    self.screenshot_errors.append('%s: %s' % (os.path.basename(path), str(exc).splitlines()[0]))
                    return None
                time.sleep(1)
            else:
                break
        self.screenshots.append(path)
        return path

    def new_page(self):
        context = self._browser.new_context(ignore_https_errors=True, viewport=VIEWPORT,
                                            locale='en-US')
        context.set_default_timeout(TIMEOUT_MS)
        return context.new_page()

    def login_page(self, user='anonymous'):
        """The login form, loaded; returns the page."""
        page = self.new_page()
        page.goto(self.base_url + '/')
        page.wait_for_selector('#rcmloginuser')
        self.screenshot(page, user, 'login-page')
        return page

    def login_page_logo(self):
        """#logo on the login page, measured once its image has loaded."""
        page = self.login_page()
        try:
            return measure_logo(page)
        finally:
            page.context.close()

    def login(self, user, password, page=None):
        """Log in with the login form and wait for the mailbox list; returns a Mailbox."""
        page = page or self.login_page(user)
        page.fill('#rcmloginuser', user)
        page.fill('#rcmloginpwd', password)
        page.click('#rcmloginsubmit')
        mailbox = Mailbox(self, page, user)
        mailbox.wait_for_list(error_step='login')
        self.screenshot(page, user, 'mailbox')
        return mailbox


def measure_logo(page):
    page.wait_for_function("() => { const l = document.querySelector('#logo');"
                           " return l && l.complete; }")
    return page.eval_on_selector('#logo', LOGO_METRICS_JS)


def send_outcome(answer):
    """('sent', confirmation), ('refused', Roundcube's message) or (None, '') for a frame page
    that is no answer to a send (a draft saved meanwhile)."""
    match = SENT_COMMAND.search(answer)
    if match:
        return 'sent', json.loads(match.group(1))
    match = SHOWN_PROBLEM.search(answer)
    if match:
        return 'refused', json.loads(match.group(1))
    return None, ''


def is_compose_submission(response):
    """The compose form posted into its hidden frame (submit_messageform: _unlock and _framed)."""
    return (response.request.method == 'POST' and '_unlock=' in response.url
            and '_framed=1' in response.url)


class Mailbox:
    """A logged-in user's webmail, in one browser context (closed with the browser: closing it
    on its own once hung Chromium after a send)."""

    def __init__(self, webmail, page, user):
        self.webmail = webmail
        self.page = page
        self.user = user

    def url(self, query):
        return '%s/?%s' % (self.webmail.base_url, query)

    def screenshot(self, step):
        return self.webmail.screenshot(self.page, self.user, step)

    def error_text(self):
        """Roundcube's error and warning messages on screen ('' if none)."""
        return ' / '.join(text.strip() for text in self.read_settled(self.page.locator(ERRORS).all_inner_texts))

    def read_settled(self, read):
        """read(), read again on the next page when Roundcube navigated meanwhile (it leaves the
        compose screen a moment after "Message sent successfully." appears)."""
        from playwright.sync_api import Error as PlaywrightError
        retries = 0
        while True:
            try:
                return read()
            except PlaywrightError as exc:
                retries += 1
                if NAVIGATED not in str(exc) or retries > NAVIGATION_RETRIES:
                    raise
                self.page.wait_for_load_state()

    def wait_for(self, selector):
        """Wait for `selector` or one of Roundcube's error messages, whichever comes first (an
        error fades after a few seconds: waiting for the success alone would lose its text)."""
        self.page.locator('%s, %s' % (selector, ERRORS)).first.wait_for()
        errors = self.error_text()
        if errors:
            raise WebmailError(errors)

    def wait_for_list(self, error_step):
        """Wait until the folder list and the first page of the message list are drawn (the
        list comes by XHR after the page: rcmail is busy until it is in)."""
        try:
            self.wait_for('#mailboxlist li.mailbox')
            self.page.wait_for_function(
                "() => window.rcmail && rcmail.env.task == 'mail' && !rcmail.busy"
                " && rcmail.message_list && document.querySelector('#messagelist tbody') !== null"
                " && rcmail.env.messagecount !== undefined")
        except Exception as exc:
            self.webmail.screenshot(self.page, self.user, error_step + '-failed')
            raise WebmailError('%s: no mailbox list for %s: %s' % (error_step, self.user, exc))

    def wait_for_rows(self, count):
        """Wait until the message list shows at least `count` rows."""
        self.page.wait_for_function(
            "count => document.querySelectorAll('#messagelist tbody tr.message').length >= count",
            arg=count)

    def message_count(self):
        return self.page.evaluate('() => rcmail.env.messagecount')

    def list_rows(self):
        return self.page.locator('#messagelist tbody tr.message').count()

    def open_inbox(self):
        self.open_folder('INBOX')

    def open_folder(self, folder):
        """The message list of `folder`, opened by its URL as a bookmark would (a folder missing
        from the folder list can still be asked for this way)."""
        self.page.goto(self.url('_task=mail&_mbox=' + quote(folder, safe='')))
        self.wait_for_list(error_step='folder')

    def all_folders(self):
        """Settings > Folders: the IMAP names of every folder the user may see, subscribed or not
        (the mail view lists subscribed folders only, and nobody subscribes a new share for its
        grantee)."""
        self.page.goto(self.url('_task=settings&_action=folders'))
        # The list's first item is its hidden root (named '*'), not a folder.
        self.page.locator('#subscription-table li.mailbox:not(.root)').first.wait_for()
        ids = self.page.eval_on_selector_all('#subscription-table li.mailbox:not(.root)[id^="rcmli"]',
                                             'items => items.map(item => item.id)')
        self.screenshot('all-folders')
        return sorted(folder_from_element_id(element[len('rcmli'):]) for element in ids)

    def find_row(self, subject, wait=30, folder='INBOX'):
        """The message list's row of the message with this subject, reloading the list until it
        is there (it may still be on its way through Postfix and Dovecot)."""
        deadline = time.time() + wait
        while True:
            row = self.page.locator('#messagelist tbody tr.message', has_text=subject)
            if row.count():
                return row.first
            if time.time() > deadline:
                self.screenshot('no-message')
                raise WebmailError('no message "%s" in the list of %s' % (subject, self.user))
            time.sleep(1)
            self.open_folder(folder)

    def open_message(self, subject, folder='INBOX', wait=30, passphrase=None):
        """Open the message (double click: the full view); returns its subject and body text.
        An encrypted message makes enigma ask for the key's passphrase first: `passphrase` is
        typed into that dialog."""
        self.find_row(subject, wait=wait, folder=folder).dblclick()
        self.page.wait_for_url(re.compile(r'_action=show'))
        self.page.wait_for_selector('#messagebody')
        if passphrase is not None:
            self.unlock_key(passphrase)
        shown = {'subject': self.page.inner_text('#message-header .subject').strip(),
                 'body': self.page.inner_text('#messagebody')}
        self.screenshot('open-message')
        return shown

    def unlock_key(self, passphrase):
        """Answer enigma's passphrase dialog, when it asks (it reloads the message with the
        passphrase); returns whether it asked."""
        self.page.wait_for_function('() => window.rcmail && !rcmail.busy')
        dialog = self.page.locator(PASSPHRASE_DIALOG)
        if not dialog.count():
            return False
        self.screenshot('key-passphrase')
        dialog.first.fill(passphrase)
        with self.page.expect_navigation():
            self.page.locator('.ui-dialog button.unlock, .ui-dialog .mainaction.unlock').first.click()
        self.page.wait_for_selector('#messagebody')
        return True

    def compose(self):
        """The compose screen, loaded (Roundcube adds the compose id by a redirect)."""
        self.page.goto(self.url('_task=mail&_action=compose'))
        self.page.wait_for_selector('#compose-subject')
        self.page.wait_for_function('() => window.rcmail && !rcmail.busy')
        return self.page

    def send(self, recipient, subject, body, encrypt=False, smime=()):
        """Write and send a message from the compose screen; returns Roundcube's confirmation.
        `encrypt` ticks enigma's "Encrypt this message" option, `smime` the S/MIME plugin's
        options named ('sign', 'encrypt'), all in the compose screen's options (Elastic)."""
        outcome, text = self.submit(recipient, subject, body, encrypt=encrypt, smime=smime)
        if outcome == 'refused':
            raise WebmailError('sending as %s: %s' % (self.user, text))
        return text

    def submit(self, recipient, subject, body, encrypt=False, smime=()):
        """As send(), but a refusal is an answer: ('sent' or 'refused', Roundcube's text)."""
        page = self.compose()
        # The recipient widget turns typed text into a recipient when the field loses focus.
        to_input = page.locator('#compose_to .recipient-input input')
        to_input.click()
        to_input.type(recipient)
        page.click('#compose-subject')
        page.fill('#compose-subject', subject)
        page.fill('#composebody', body)
        ticks = (['enigmaencryptopt'] if encrypt else []) + [SMIME_OPTIONS[name] for name in smime]
        for option in ticks:
            # Elastic draws the checkbox as a switch: its label is what takes the click.
            page.click('label.custom-control-label[for="%s"]' % option)
            if not page.is_checked('#%s' % option):
                self.screenshot('option-not-ticked')
                raise WebmailError('the compose option %s did not tick for %s' % (option, self.user))
        self.screenshot('compose')
        try:
            with page.expect_response(is_compose_submission, timeout=SEND_ANSWER_MS) as answer:
                page.click('#compose-content .formbuttons .send')
            outcome, text = send_outcome(answer.value.text())
            if outcome is None:
                # Not the send's answer: read the confirmation or the error on screen instead.
                confirmation = '#messagestack div.confirmation'
                self.wait_for(confirmation)
                outcome, text = 'sent', self.read_settled(page.locator(confirmation).first.inner_text)
        except Exception as exc:
            self.screenshot('send-failed')
            raise WebmailError('sending as %s: %s' % (self.user, exc))
        self.screenshot('send-refused' if outcome == 'refused' else 'sent')
        return outcome, text.strip()

    def compose_smime_options(self):
        """Which of the S/MIME plugin's compose options the compose screen offers."""
        page = self.compose()
        return sorted(name for name, option in SMIME_OPTIONS.items() if page.locator('#%s' % option).count())

    def preferences_frame(self):
        return self.page.frame_locator('#preferences-frame')

    def identity_fields(self):
        """Settings > Identities > the first identity: the state of its name and address fields
        ({'name': {value, disabled, readOnly, visible} or None, 'email': ...})."""
        self.page.goto(self.url('_task=settings&_action=identities'))
        self.page.locator('#identities-table tbody tr').first.click()
        frame = self.preferences_frame()
        frame.locator('form').first.wait_for()
        fields = {}
        for field, name in (('name', '_name'), ('email', '_email')):
            element = frame.locator('[name="%s"]' % name)
            fields[field] = element.first.evaluate(FIELD_STATE_JS) if element.count() else None
        self.screenshot('identity')
        return fields

    def encryption_options(self):
        """The compose screen's OpenPGP options (enigma's sign/encrypt checkboxes): for each,
        None if absent, else whether it can be ticked."""
        page = self.compose()
        options = {}
        for option, selector in (('sign', '#enigmasignopt'), ('encrypt', '#enigmaencryptopt'),
                                 ('attach_pubkey', '#enigmaattachpubkeyopt')):
            element = page.locator(selector)
            options[option] = (not element.first.is_disabled()) if element.count() else None
        self.screenshot('compose-encryption')
        return options

    def sharing_ui(self, folder='INBOX'):
        """Settings > Folders > `folder`: whether the acl plugin's Sharing tab and its table of
        rights are there ({'tab': bool, 'table': bool})."""
        self.page.goto(self.url('_task=settings&_action=folders'))
        self.page.locator('#rcmli%s > a' % folder_element_id(folder)).first.click()
        frame = self.preferences_frame()
        frame.locator('form').first.wait_for()
        # Elastic turns each fieldset of the folder form into a tab named by its legend.
        tab = frame.locator('.nav-tabs a, legend', has_text=re.compile(r'^\s*Sharing\s*$'))
        table = frame.locator('#acltable, #acl-table, table.acl')
        found = {'tab': tab.count() > 0, 'table': table.count() > 0}
        if found['tab']:
            tab.first.click()
        self.screenshot('folder-sharing')
        return found

    def logo(self):
        """#logo in the mail view's sidebar, measured."""
        self.open_inbox()
        metrics = measure_logo(self.page)
        self.screenshot('mail-view-logo')
        return metrics

    def open_shared_links(self):
        """Settings > Shared links, by its entry in the Settings menu as a person would; the
        page's table drawn."""
        self.page.goto(self.url('_task=settings'))
        entry = self.page.locator(LINKS_MENU_ENTRY)
        try:
            entry.first.wait_for()
        except Exception as exc:
            self.screenshot('no-shared-links-entry')
            raise WebmailError('no "Shared links" in the Settings menu of %s: %s' % (self.user, exc))
        with self.page.expect_navigation():
            entry.first.click()
        self.wait_for(LINKS_TABLE)
        self.screenshot('shared-links')

    def open_external_accounts(self):
        """Settings > External accounts, by its entry in the Settings menu as a person would."""
        self.page.goto(self.url('_task=settings'))
        entry = self.page.locator(EXTERNAL_MENU_ENTRY)
        try:
            entry.first.wait_for()
        except Exception as exc:
            self.screenshot('no-external-accounts-entry')
            raise WebmailError('no "External accounts" in the Settings menu of %s: %s' % (self.user, exc))
        with self.page.expect_navigation():
            entry.first.click()
        self.wait_for(EXTERNAL_PAGE)
        self.screenshot('external-accounts')

    def external_accounts(self):
        """The accounts listed on the External accounts page, top to bottom."""
        return self.page.eval_on_selector_all('table#mailroom-external-pop3-accounts tr.account[data-account-id]',
                                              EXTERNAL_ROWS_JS)

    def fill_external_account(self, account):
        """Type an account into the page's form as a person would: server, encryption, port,
        login, password, keep on the server, folder."""
        form = self.page.locator(EXTERNAL_FORM)
        form.locator('select[name=_tls]').select_option(account['tls'])
        form.locator('input[name=_server]').fill(account['server'])
        form.locator('input[name=_port]').fill(str(account['port']))
        form.locator('input[name=_login]').fill(account['login'])
        form.locator('input[name=_password]').fill(account['password'])
        form.locator('input[name=_keep]').set_checked(account['keep'])
        form.locator('select[name=_folder]').select_option(account['folder'])

    def test_external_account(self, account):
        """Fill the form, click "Test connection", and read what the page shows: (ok, text)."""
        self.fill_external_account(account)
        result = self.page.locator(EXTERNAL_TEST_RESULT)
        self.page.locator('%s button.test' % EXTERNAL_FORM).click()
        self.page.wait_for_function(
            "() => { const box = document.querySelector('%s');"
            " return box && (box.classList.contains('ok') || box.classList.contains('failed')); }"
            % EXTERNAL_TEST_RESULT, timeout=120000)
        self.screenshot('external-account-test')
        return 'ok' in (result.get_attribute('class') or '').split(), result.inner_text().strip()

    def save_external_account(self, account):
        """Fill the form and save it; returns Roundcube's message and the accounts listed after."""
        self.fill_external_account(account)
        with self.page.expect_navigation():
            self.page.locator('%s button.save' % EXTERNAL_FORM).click()
        self.page.locator(EXTERNAL_PAGE).wait_for()
        self.page.wait_for_function('() => window.rcmail && !rcmail.busy')
        shown = self.page.locator('%s, %s, #mailroom-external-pop3-form-error' % (CONFIRMATIONS, ERRORS))
        message = ' / '.join(text.strip() for text in self.read_settled(shown.all_inner_texts))
        self.screenshot('external-account-saved')
        return message, self.external_accounts()

    def has_smime_settings(self):
        """Whether the Settings menu has "S/MIME certificate"."""
        self.page.goto(self.url('_task=settings'))
        self.page.wait_for_selector('#settings-menu')
        self.page.wait_for_function('() => window.rcmail && !rcmail.busy')
        return self.page.locator(SMIME_MENU_ENTRY).count() > 0

    def open_smime_settings(self):
        """Settings > S/MIME certificate, by its entry in the Settings menu as a person would."""
        self.page.goto(self.url('_task=settings'))
        entry = self.page.locator(SMIME_MENU_ENTRY)
        try:
            entry.first.wait_for()
        except Exception as exc:
            self.screenshot('no-smime-entry')
            raise WebmailError('no "S/MIME certificate" in the Settings menu of %s: %s' % (self.user, exc))
        with self.page.expect_navigation():
            entry.first.click()
        self.wait_for(SMIME_PAGE)
        self.screenshot('smime-settings')

    def smime_certificate(self):
        """The user's certificate as the page shows it, or None."""
        found = self.page.locator(SMIME_CERTIFICATE)
        return found.evaluate(SMIME_CERTIFICATE_JS) if found.count() else None

    def smime_recipients(self):
        """The addresses of the contacts' certificates listed."""
        return self.page.eval_on_selector_all('table#mailroom-smime-recipients tr[data-address]',
                                              'rows => rows.map(row => row.getAttribute("data-address"))')

    def smime_upload(self, form, files):
        """Fill one of the page's upload forms (file inputs by name => path, other inputs by name
        => text) and post it; returns the page's refusal or Roundcube's message."""
        locator = self.page.locator('form#mailroom-smime-%s' % form)
        for name, value in files.items():
            field = locator.locator('input[name=%s]' % name)
            if field.get_attribute('type') == 'file':
                field.set_input_files(value)
            else:
                field.fill(value)
        with self.page.expect_navigation():
            locator.locator('button[type=submit]').click()
        self.wait_for(SMIME_PAGE)
        self.page.wait_for_function('() => window.rcmail && !rcmail.busy')
        refusal = self.page.locator(SMIME_FORM_ERROR)
        shown = self.page.locator('%s, %s, %s' % (SMIME_FORM_ERROR, CONFIRMATIONS, ERRORS))
        message = ' / '.join(text.strip() for text in self.read_settled(shown.all_inner_texts))
        self.screenshot('smime-%s' % form)
        return (message, refusal.count() > 0)

    def message_smime_status(self):
        """The S/MIME box above the open message (see smime_status)."""
        box = self.page.locator(SMIME_STATUS)
        return smime_status(box.first.evaluate(SMIME_STATUS_JS) if box.count() else None)

    def shared_links(self):
        """The links on the links page as it is now, top to bottom."""
        rows = self.page.eval_on_selector_all('%s tbody tr[data-link-id]' % LINKS_TABLE, LINK_ROWS_JS)
        return [link_from_row(row) for row in rows]

    def delete_shared_link(self, link_id):
        """Click the link's Delete button, accept the question, and wait for the page the form's
        POST answers with; returns (whether the row is gone, Roundcube's message)."""
        button = self.page.locator('%s tr[data-link-id="%s"] button.delete' % (LINKS_TABLE, link_id))
        if not is_link_id(link_id) or not button.count():
            return False, 'no link %s on the page' % link_id

        def accept(dialog):
            dialog.accept()
        self.page.on('dialog', accept)
        try:
            with self.page.expect_navigation():
                button.first.click()
        finally:
            self.page.remove_listener('dialog', accept)
        self.page.locator(LINKS_TABLE).wait_for()
        self.page.wait_for_function('() => window.rcmail && !rcmail.busy')
        # Roundcube's answer fades after a few seconds: read it at once.
        shown = self.page.locator('%s, %s' % (CONFIRMATIONS, ERRORS))
        message = ' / '.join(text.strip() for text in self.read_settled(shown.all_inner_texts))
        self.screenshot('shared-link-deleted')
        gone = not self.page.locator('%s tr[data-link-id="%s"]' % (LINKS_TABLE, link_id)).count()
        return gone, message

    def message_shared_links(self, subject, folder='Sent', wait=30):
        """Open the message (full view) and return its subject and the download links in its
        body."""
        shown = self.open_message(subject, folder=folder, wait=wait)
        hrefs = self.page.eval_on_selector_all(SHARED_LINK_ANCHORS, 'links => links.map(a => a.href)')
        return {'subject': shown['subject'], 'urls': shared_link_urls(hrefs)}
