# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The browser helpers' own judgements, without a browser."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'browser'))

import webmail  # noqa: E402  pylint: disable=wrong-import-position


def metrics(natural, shown):
    return {'naturalWidth': natural[0], 'naturalHeight': natural[1],
            'width': shown[0], 'height': shown[1]}


@pytest.mark.parametrize('natural, shown, expected', [
    ((80, 40), (80, 40), True),
    ((128, 13), (128, 13), True),
    ((128, 13), (64, 6.5), True),          # shown smaller (a narrow sidebar): still its own pixels
    ((129, 40), (129, 40), False),         # the file itself too wide
    ((80, 41), (80, 41), False),
    ((80, 40), (160, 80), False),          # enlarged by the page
    ((0, 0), (0, 0), False),               # not loaded
])
def test_logo_fits_within_the_box(natural, shown, expected):
    assert webmail.fits_within(metrics(natural, shown), 128, 40) is expected


@pytest.mark.parametrize('state, expected', [
    ({'disabled': False, 'readOnly': False}, True),
    ({'disabled': True, 'readOnly': False}, False),
    ({'disabled': False, 'readOnly': True}, False),
    (None, False),
])
def test_editable_field(state, expected):
    assert webmail.is_editable(state) is expected


def test_folder_element_id_is_roundcubes():
    # rcube_utils::html_identifier($name, true): URL-safe base64 without padding.
    assert webmail.folder_element_id('INBOX') == 'SU5CT1g'
    assert webmail.folder_element_id('Sent') == 'U2VudA'
    assert webmail.folder_element_id('??>') == 'Pz8-'      # + and / of base64 become - and _
    assert webmail.folder_element_id('Shared/a?>') == 'U2hhcmVkL2E_Pg'


def test_screenshots_sort_by_check_then_step():
    assert webmail.step_file_name('roundtrip', 3, 'alice', 'Open message') == \
        'roundtrip-03-alice-open-message.png'
    names = [webmail.step_file_name('logo', number, 'bob', 'x') for number in (2, 10, 1)]
    assert sorted(names) == [names[2], names[0], names[1]]


class FlakyPage:
    """A page whose first `failures` screenshots fail as Chromium's do when a page is busy."""

    def __init__(self, failures):
        self.failures = failures
        self.taken = []

    def screenshot(self, path):
        from playwright.sync_api import Error as PlaywrightError
        if self.failures:
            self.failures -= 1
            raise PlaywrightError('Protocol error (Page.captureScreenshot): Unable to capture screenshot\ncall log')
        self.taken.append(path)


@pytest.mark.parametrize('failures', [0, webmail.SCREENSHOT_ATTEMPTS - 1])
def test_a_busy_page_is_captured_on_a_later_try(tmp_path, monkeypatch, failures):
    monkeypatch.setattr(webmail.time, 'sleep', lambda seconds: None)
    browser = webmail.Webmail('https://mail.example.test', str(tmp_path), label='roundtrip')
    page = FlakyPage(failures)
    path = browser.screenshot(page, 'alice', 'compose')
    assert page.taken == [path]
    assert browser.screenshots == [path]
    assert browser.screenshot_errors == []


def test_a_screenshot_that_keeps_failing_is_listed_not_raised(tmp_path, monkeypatch):
    monkeypatch.setattr(webmail.time, 'sleep', lambda seconds: None)
    browser = webmail.Webmail('https://mail.example.test', str(tmp_path), label='roundtrip')
    assert browser.screenshot(FlakyPage(webmail.SCREENSHOT_ATTEMPTS), 'alice', 'compose') is None
    assert browser.screenshots == []
    assert browser.screenshot_errors == [
        'roundtrip-01-alice-compose.png: Protocol error (Page.captureScreenshot): Unable to capture screenshot']


class NavigatingPage:
    """A page whose reads are cut off by `navigations` navigations, as Roundcube's compose
    screen does a moment after a send is confirmed."""

    def __init__(self):
        self.loads = 0

    def wait_for_load_state(self):
        self.loads += 1


def cut_off_read(navigations, answer):
    from playwright.sync_api import Error as PlaywrightError
    calls = []

    def read():
        calls.append(1)
        if len(calls) <= navigations:
            raise PlaywrightError('Locator.inner_text: Execution context was destroyed, most likely '
                                  'because of a navigation')
        return answer
    return read


def mailbox_on(page):
    return webmail.Mailbox(None, page, 'alice')


def test_a_read_cut_off_by_navigation_is_read_again_on_the_next_page():
    page = NavigatingPage()
    text = mailbox_on(page).read_settled(cut_off_read(webmail.NAVIGATION_RETRIES, 'Message sent successfully.'))
    assert text == 'Message sent successfully.'
    assert page.loads == webmail.NAVIGATION_RETRIES


def test_a_page_that_keeps_navigating_or_another_error_is_raised():
    from playwright.sync_api import Error as PlaywrightError
    with pytest.raises(PlaywrightError, match='Execution context was destroyed'):
        mailbox_on(NavigatingPage()).read_settled(cut_off_read(webmail.NAVIGATION_RETRIES + 1, 'late'))

    def timed_out():
        raise PlaywrightError('Timeout 30000ms exceeded')
    page = NavigatingPage()
    with pytest.raises(PlaywrightError, match='Timeout'):
        mailbox_on(page).read_settled(timed_out)
    assert page.loads == 0


FRAMED_SENT = ('<script>if (window.parent && parent.rcmail) {\n'
               '\tparent.rcmail.set_env({"compose_extwin":false});\n'
               '\tparent.rcmail.sent_successfully("confirmation","Message sent successfully.",["Sent"],false);\n'
               '}\n</script>')
FRAMED_REFUSED = ('<script>if (window.parent && parent.rcmail) {\n'
                  '\tparent.rcmail.display_message("SMTP Error (550): Failed to add recipient \\"bob@example.test\\"'
                  ' (5.7.1 sender name is fixed).","error",0);\n}\n</script>')


@pytest.mark.parametrize('answer, expected', [
    (FRAMED_SENT, ('sent', 'Message sent successfully.')),
    (FRAMED_REFUSED, ('refused', 'SMTP Error (550): Failed to add recipient "bob@example.test" '
                                 '(5.7.1 sender name is fixed).')),
    # A confirmation of another kind (a draft saved meanwhile) is no answer to the send.
    ('<script>parent.rcmail.display_message("Message saved to Drafts.","confirmation",0);</script>', (None, '')),
    ('<html></html>', (None, '')),
])
def test_roundcubes_answer_to_a_send_is_read_from_its_frame(answer, expected):
    assert webmail.send_outcome(answer) == expected


class FakeRequest:
    def __init__(self, method):
        self.method = method


class FakeResponse:
    def __init__(self, method, url):
        self.request = FakeRequest(method)
        self.url = url


@pytest.mark.parametrize('method, url, expected', [
    ('POST', 'https://h/?_task=mail&_unlock=loading1&_framed=1&_lang=en_US', True),
    ('GET', 'https://h/?_task=mail&_unlock=loading1&_framed=1', False),
    ('POST', 'https://h/?_task=mail&_action=refresh&_remote=1', False),     # the keep-alive request
    ('POST', 'https://h/?_task=mail&_unlock=loading2', False),
])
def test_only_the_compose_forms_own_post_is_its_answer(method, url, expected):
    assert webmail.is_compose_submission(FakeResponse(method, url)) is expected


def test_smime_status_box_as_answered():
    assert webmail.smime_status(None) is None
    box = {'encrypted': '1', 'signature': 'valid', 'signer': 'alice@example.test',
           'text': 'This message was encrypted.\n  Valid signature by Alice.', 'mismatch': False}
    assert webmail.smime_status(box) == {'encrypted': True, 'signature': 'valid', 'signer': 'alice@example.test',
                                         'text': 'This message was encrypted. Valid signature by Alice.',
                                         'sender_is_signer': True}
    unknown = webmail.smime_status({'encrypted': '0', 'signature': 'unknown', 'signer': None, 'text': '', 'mismatch': True})
    assert unknown['encrypted'] is False and unknown['sender_is_signer'] is False and unknown['signer'] == ''
